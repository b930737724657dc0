/*
 * Content snapshots taken at close: small content inline (the journal
 * row keeps it), larger content copied into a file of spool/ that the
 * journal row names until the committer has it.
 */
#include "history_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"

static int snapshot_failed(int e)
{
	dossier_error_set("cannot snapshot content: %s", strerror(e));
	return dossier_err_from_errno(e);
}

/*
 * The whole of fd (at most HISTORY_INLINE_MAX bytes) into data; 1 if it
 * grew beyond that meanwhile (it is spooled then).
 */
static int snapshot_inline(int fd, struct dossier_buf *data)
{
	char buf[HISTORY_INLINE_MAX + 1];
	size_t len = 0;
	ssize_t n = 0;

	while (len < sizeof(buf)) {
		n = pread(fd, buf + len, sizeof(buf) - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n < 0)
		return snapshot_failed(errno);
	if (len > HISTORY_INLINE_MAX)
		return 1;
	dossier_buf_add(data, buf, len);
	return 0;
}

/* A spool file's name no other snapshot has, into name. */
static void spool_name(struct dossier_history *h, char *name, size_t namesz)
{
	uint64_t seq;

	pthread_mutex_lock(&h->work.lock);
	seq = ++h->spool_seq;
	pthread_mutex_unlock(&h->work.lock);
	snprintf(name, namesz, "%" PRId64 "-%" PRIu64 "-%d",
		 dossier_clock_ns(), seq, (int)getpid());
}

/* Copy size bytes of in into out; -1 with errno set if that failed. */
static int copy_all(int in, int out, off_t size)
{
	off_t off = 0;
	ssize_t n;

	while (off < size) {
		n = copy_file_range(in, &off, out, NULL, (size_t)(size - off),
				    0);
		if (n < 0 && (errno == EXDEV || errno == ENOSYS ||
			      errno == EOPNOTSUPP || errno == EINVAL)) {
			char buf[65536];

			n = pread(in, buf, sizeof(buf), off);
			if (n > 0 && write(out, buf, (size_t)n) != n)
				return -1;
			if (n > 0)
				off += n;
		}
		if (n < 0)
			return -1;
		if (n == 0)
			break;
	}
	return 0;
}

int history_spool(struct dossier_history *h, int fd, char *name,
		  size_t namesz, struct dossier_buf *data)
{
	struct stat st;
	int out = -1, rc = 1;

	name[0] = '\0';
	dossier_buf_release(data);
	if (fstat(fd, &st) < 0) {
		rc = snapshot_failed(errno);
		goto out;
	}
	if (st.st_size <= HISTORY_INLINE_MAX)
		rc = snapshot_inline(fd, data);
	if (rc <= 0)		/* kept inline, or failed */
		goto out;
	spool_name(h, name, namesz);
	out = openat(h->spoolfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     0600);
	rc = out < 0 || copy_all(fd, out, st.st_size) < 0 ?
		     snapshot_failed(errno) : 0;
out:
	if (out >= 0)
		close(out);
	if (rc < 0 && out >= 0)
		unlinkat(h->spoolfd, name, 0);
	if (rc < 0)
		name[0] = '\0';
	return rc;
}

void history_discard_spool(struct dossier_history *h, const char *name)
{
	unlinkat(h->spoolfd, name, 0);
}
