/*
 * How large a record may grow, and what a write the content store refused
 * leaves in the kernel. Kept apart from archive.c's tree operations.
 */
#include "archive_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "rules_i.h"

/*
 * Without a setting a record may reach 16 GiB: far above any scanned
 * document, far below what fills a server's disk with one truncate(1).
 */
#define DEFAULT_MAX_SIZE (16LL << 30)

/* Lock held: setting max-record-size in bytes (K, M, G, T suffixes). */
static int64_t max_size_setting(struct dossier_archive *a)
{
	char v[64], *end;
	long long n;

	if (!a->rules ||
	    dossier_rules_setting_get(a->rules, "max-record-size", v,
				      sizeof(v)) < 0) {
		dossier_error_clear();
		return DEFAULT_MAX_SIZE;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	switch (*end) {
	case 'T': case 't': n <<= 10; /* fall through */
	case 'G': case 'g': n <<= 10; /* fall through */
	case 'M': case 'm': n <<= 10; /* fall through */
	case 'K': case 'k': n <<= 10; end++; break;
	default: break;
	}
	if (end == v || *end || n <= 0 || errno) {
		dossier_log(LOG_WARNING, "setting max-record-size '%s' is not "
			    "a size: using %lld", v, DEFAULT_MAX_SIZE);
		return DEFAULT_MAX_SIZE;
	}
	return n;
}

/*
 * Asked on every write: the setting is read again at most once a second
 * (a policy edit takes effect within that second), without the lock.
 */
static int64_t max_size(struct dossier_archive *a)
{
	int64_t sec = archive_now_ns() / 1000000000, v;

	if (__atomic_load_n(&a->max_size_sec, __ATOMIC_ACQUIRE) == sec)
		return __atomic_load_n(&a->max_size, __ATOMIC_RELAXED);
	pthread_mutex_lock(&a->lock);
	v = max_size_setting(a);
	pthread_mutex_unlock(&a->lock);
	__atomic_store_n(&a->max_size, v, __ATOMIC_RELAXED);
	__atomic_store_n(&a->max_size_sec, sec, __ATOMIC_RELEASE);
	return v;
}

int archive_size_allowed(struct dossier_archive *a, uint64_t id, off_t end,
			 int locked)
{
	int64_t max = locked ? max_size_setting(a) : max_size(a);

	if (end <= max)
		return 0;
	dossier_error_set("record %" PRIu64 " would grow to %lld bytes, "
			  "past the limit of %lld (policy setting "
			  "max-record-size)", id, (long long)end,
			  (long long)max);
	return DOSSIER_EFBIG;
}

int dossier_file_write_check(struct dossier_archive *a,
			     struct dossier_file *f, off_t off, size_t size)
{
	int rc;

	if (f->fd < 0 || (off_t)size <= 0)
		return 0;
	if ((rc = archive_size_allowed(a, f->id, off + (off_t)size, 0)) < 0) {
		dossier_log(LOG_NOTICE, "refused write by uid %u: %s",
			    (unsigned)f->who.uid, dossier_error_last());
		dossier_file_write_failed(a, f, EFBIG);
	}
	return rc;
}

/*
 * With the writeback cache the kernel took the write into its own pages
 * and size before we saw it: a write that fails here leaves the kernel's
 * inode claiming bytes the content never got (a stat said 4 EiB after a
 * pwrite at 2^62, and reads returned zeros up to there). A new content
 * generation makes the next lookup hand the kernel a fresh inode with
 * the size the content really has.
 */
void dossier_file_write_failed(struct dossier_archive *a,
			       struct dossier_file *f, int err)
{
	if (f->fd < 0)
		return;
	pthread_mutex_lock(&a->lock);
	if (archive_bump_cgen(a, f->id) < 0)
		dossier_error_clear();
	pthread_mutex_unlock(&a->lock);
	if (err != EFBIG)
		dossier_log(LOG_ERR, "cannot write record %" PRIu64 ": %s",
			    f->id, strerror(err));
}
