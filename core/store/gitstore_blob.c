#include "gitstore_i.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			int saverr = errno;

			if (saverr == EINTR)
				continue;
			return gitstore_sys_fail(saverr,
						 "cannot write blob out");
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Up to len bytes of the blob's source into buf, *got how many: pread at
 * off, or read from the current offset when off < 0.
 */
static int source_read(int fd, char *buf, size_t len, off_t off,
		       size_t *got)
{
	ssize_t n;

	do {
		n = off < 0 ? read(fd, buf, len) : pread(fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return gitstore_sys_fail(errno, "cannot read blob source");
	*got = (size_t)n;
	return 0;
}

/* The size bytes of fd, through buf (IO_CHUNK bytes), into stream. */
static int copy_file(git_odb_stream *stream, int fd, uint64_t size,
		     char *buf)
{
	uint64_t off = 0;
	size_t got;
	int gerr, rc;

	while (off < size) {
		size_t want = size - off < IO_CHUNK ? (size_t)(size - off)
						    : IO_CHUNK;

		if ((rc = source_read(fd, buf, want, (off_t)off, &got)) < 0)
			return rc;
		if (got == 0) {
			dossier_error_set("file shrank while being stored");
			return DOSSIER_EBUSY;
		}
		if ((gerr = git_odb_stream_write(stream, buf, got)) < 0)
			return gitstore_fail(gerr, "cannot write blob");
		off += got;
	}
	/* a regular file must be at its end now */
	if ((rc = source_read(fd, buf, 1, (off_t)off, &got)) < 0)
		return rc;
	if (got > 0) {
		dossier_error_set("file grew while being stored");
		return DOSSIER_EBUSY;
	}
	return 0;
}

/*
 * A regular file: its size is known, so stream straight into a loose
 * object (libgit2 needs the size for the object header up front).
 */
static int blob_from_file(struct dossier_git *git, int fd, uint64_t size,
			  char *buf, git_oid *out)
{
	git_odb *odb = NULL;
	git_odb_stream *stream = NULL;
	int gerr, rc;

	if ((rc = gitstore_odb(&odb, git)) < 0)
		goto out;
	if ((gerr = git_odb_open_wstream(&stream, odb, size,
					 GIT_OBJECT_BLOB)) < 0) {
		rc = gitstore_fail(gerr, "cannot start blob");
		goto out;
	}
	if ((rc = copy_file(stream, fd, size, buf)) < 0)
		goto out;
	if ((gerr = git_odb_stream_finalize_write(out, stream)) < 0)
		rc = gitstore_fail(gerr, "cannot write blob");
out:
	git_odb_stream_free(stream);
	git_odb_free(odb);
	return rc;
}

/* fd read to its end, through buf (IO_CHUNK bytes), into ws. */
static int copy_stream(git_writestream *ws, int fd, char *buf,
		       uint64_t *size)
{
	size_t got;
	int gerr, rc;

	for (;;) {
		if ((rc = source_read(fd, buf, IO_CHUNK, -1, &got)) < 0)
			return rc;
		if (got == 0)
			return 0;
		if ((gerr = ws->write(ws, buf, got)) < 0)
			return gitstore_fail(gerr, "cannot write blob");
		*size += (uint64_t)got;
	}
}

/*
 * A pipe or socket: size unknown, so let libgit2 spool it to a temporary
 * file in the repository and then stream that in.
 */
static int blob_from_stream(struct dossier_git *git, int fd, char *buf,
			    git_oid *out, uint64_t *size)
{
	git_writestream *ws = NULL;
	int gerr, rc;

	*size = 0;
	if ((gerr = git_blob_create_from_stream(&ws, git->repo, NULL)) < 0)
		return gitstore_fail(gerr, "cannot start blob");
	if ((rc = copy_stream(ws, fd, buf, size)) < 0)
		goto out;
	/* commit frees the stream, on failure too */
	gerr = git_blob_create_from_stream_commit(out, ws);
	ws = NULL;
	if (gerr < 0)
		rc = gitstore_fail(gerr, "cannot write blob");
out:
	if (ws)
		ws->free(ws);
	return rc;
}

int dossier_git_blob_from_fd(struct dossier_git *git, int fd,
			     struct dossier_oid *out, uint64_t *size_out)
{
	struct stat st;
	git_oid id;
	uint64_t size;
	char *buf = NULL;
	int rc;

	if (fstat(fd, &st) < 0)
		return gitstore_sys_fail(errno, "cannot stat blob source");
	if (!(buf = malloc(IO_CHUNK)))
		return gitstore_sys_fail(ENOMEM, "cannot store blob");
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		rc = blob_from_file(git, fd, size, buf, &id);
	} else {
		rc = blob_from_stream(git, fd, buf, &id, &size);
	}
	free(buf);
	if (rc < 0)
		return rc;
	git->loose_est++;	/* at most: it may have been there already */
	from_git(out, &id);
	if (size_out)
		*size_out = size;
	return 0;
}

int dossier_git_blob_from_buffer(struct dossier_git *git, const void *data,
				 size_t len, struct dossier_oid *out)
{
	git_odb *odb = NULL;
	git_oid id;
	int gerr, rc;

	/* git_odb_write, not a blob stream: in a batch, it goes to the pack */
	if ((rc = gitstore_odb(&odb, git)) < 0)
		return rc;
	gerr = git_odb_write(&id, odb, data, len, GIT_OBJECT_BLOB);
	git_odb_free(odb);
	if (gerr < 0)
		return gitstore_fail(gerr, "cannot write blob");
	from_git(out, &id);
	return 0;
}

/* A packed blob, read whole: its first max bytes to fd. */
static int packed_to_fd(git_odb *odb, const git_oid *id, int fd, size_t max)
{
	git_odb_object *obj = NULL;
	size_t len;
	int gerr, rc;

	if ((gerr = git_odb_read(&obj, odb, id)) < 0)
		return gitstore_fail(gerr, "cannot read blob");
	len = git_odb_object_size(obj);
	rc = write_all(fd, git_odb_object_data(obj), len < max ? len : max);
	git_odb_object_free(obj);
	return rc;
}

/* The next len bytes of a loose blob's stream to fd. */
static int stream_to_fd(git_odb_stream *stream, size_t len, int fd)
{
	char *buf = malloc(IO_CHUNK);
	size_t done = 0;
	int rc = 0;

	if (!buf)
		return gitstore_sys_fail(ENOMEM, "cannot read blob");
	while (rc == 0 && done < len) {
		size_t want = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		int n = git_odb_stream_read(stream, buf, want);

		if (n < 0) {
			rc = gitstore_fail(n, "cannot read blob");
		} else if (n == 0) {
			dossier_error_set("blob shorter than its header says");
			rc = DOSSIER_ECORRUPT;
		} else if ((rc = write_all(fd, buf, (size_t)n)) == 0) {
			done += (size_t)n;
		}
	}
	free(buf);
	return rc;
}

/*
 * Only the loose backend can stream (libgit2 1.5 has no pack read
 * stream), so a packed blob is read whole, once.
 */
int dossier_git_blob_head_to_fd(struct dossier_git *git,
				const struct dossier_oid *blob, int fd,
				size_t max)
{
	git_odb *odb = NULL;
	git_odb_stream *stream = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	git_oid id;
	size_t len = 0;
	int rc;

	to_git(&id, blob);
	if ((rc = gitstore_expect_type(git, &id, GIT_OBJECT_BLOB, NULL)) < 0 ||
	    (rc = gitstore_odb(&odb, git)) < 0)
		return rc;
	if (git_odb_open_rstream(&stream, &len, &type, odb, &id) < 0) {
		git_error_clear();
		stream = NULL;
	}
	if (stream)
		rc = stream_to_fd(stream, len < max ? len : max, fd);
	else
		rc = packed_to_fd(odb, &id, fd, max);
	git_odb_stream_free(stream);
	git_odb_free(odb);
	return rc;
}

int dossier_git_blob_to_fd(struct dossier_git *git,
			   const struct dossier_oid *blob, int fd)
{
	return dossier_git_blob_head_to_fd(git, blob, fd, SIZE_MAX);
}

int dossier_git_blob_size(struct dossier_git *git,
			  const struct dossier_oid *blob, uint64_t *out)
{
	git_oid id;
	size_t size = 0;
	int rc;

	to_git(&id, blob);
	if ((rc = gitstore_expect_type(git, &id, GIT_OBJECT_BLOB, &size)) < 0)
		return rc;
	*out = size;
	return 0;
}
