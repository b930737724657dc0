/*
 * How large a record may grow, and what a write the content store refused
 * leaves in the kernel. Kept apart from the tree's operations (core/tree/).
 */
#include "archive_i.h"
#include "access_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "error.h"
#include "log.h"
#include "rules_i.h"

/*
 * Without a setting a record may reach 4 GiB: far above any scanned
 * document. A sparse `truncate -s 8G` was written into history as an
 * 8 GiB object (large blobs are stored, not deflated, until a pack
 * reads them whole into memory) and held every other record's commits
 * back meanwhile.
 */
#define DEFAULT_MAX_SIZE (4LL << 30)

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
	int64_t sec = dossier_clock_ns() / 1000000000, v;

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

/*
 * A full disk must leave room for what the archive itself writes: the
 * journal row of the save that filled it (so it is recorded under its
 * author), deletes (rm must always work), audit rows and history. So
 * content may not take the last 5 % of the archive's filesystem (at
 * least 1 MiB, at most 64 MiB): writes are refused with ENOSPC below
 * that, as ext4 keeps blocks for root. Asked at most every 50 ms while
 * more than 256 MiB are left above the reserve, else at every write.
 */
#define SPACE_CHECK_NS 50000000LL
#define RESERVE_MIN (1LL << 20)
#define RESERVE_MAX (64LL << 20)
#define SPACE_NEAR (256LL << 20)

int64_t archive_space_reserve(const struct statvfs *sv)
{
	int64_t total = (int64_t)sv->f_blocks * (int64_t)sv->f_frsize;
	int64_t r = total / 20;

	return r < RESERVE_MIN ? RESERVE_MIN : r > RESERVE_MAX ? RESERVE_MAX : r;
}

/*
 * 1 if writing size more bytes would reach into the reserve. Near it,
 * the bytes of writes under way count too (*counted: size was added to
 * them; dossier_file_write_end() takes it off): the kernel's writeback
 * sends many writes at once, and each alone saw room.
 */
static int space_low(struct dossier_archive *a, size_t size, int64_t *left,
		     int *counted)
{
	int64_t now = dossier_clock_ns(), avail, margin, busy;
	struct statvfs sv;

	*counted = 0;
	/* far from the reserve: 50 ms of writes cannot reach it */
	if (now - __atomic_load_n(&a->space_ns, __ATOMIC_ACQUIRE) <
	    SPACE_CHECK_NS && !__atomic_load_n(&a->space_low, __ATOMIC_RELAXED))
		return 0;
	if (fstatvfs(a->contentfd, &sv) < 0)
		return 0;
	avail = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	*left = avail;
	margin = archive_space_reserve(&sv);
	/* near it, every write asks */
	__atomic_store_n(&a->space_low, avail < margin + SPACE_NEAR,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&a->space_ns, now, __ATOMIC_RELEASE);
	if (avail >= margin + SPACE_NEAR)
		return 0;
	busy = __atomic_add_fetch(&a->space_busy, (int64_t)size,
				  __ATOMIC_ACQ_REL);
	if (avail - busy >= margin) {
		*counted = 1;
		return 0;
	}
	__atomic_sub_fetch(&a->space_busy, (int64_t)size, __ATOMIC_ACQ_REL);
	return 1;
}

int dossier_file_write_begin(struct dossier_archive *a,
			     struct dossier_file *f, off_t off, size_t size)
{
	int64_t left = 0;
	int rc, counted;

	if (f->fd < 0 || (off_t)size <= 0)
		return 0;
	if ((rc = archive_size_allowed(a, f->id, off + (off_t)size, 0)) < 0) {
		dossier_log(LOG_NOTICE, "refused write by uid %u: %s",
			    (unsigned)f->who.uid, dossier_error_last());
		dossier_file_write_failed(a, f, EFBIG);
		return rc;
	}
	if (space_low(a, size, &left, &counted)) {
		if (!f->write_err)
			dossier_log(LOG_ERR, "refused write by uid %u to record "
				    "%" PRIu64 ": the archive's disk is full "
				    "(%lld bytes left, kept for the catalog "
				    "and history)", (unsigned)f->who.uid,
				    f->id, (long long)left);
		f->write_err = ENOSPC;
		dossier_file_write_failed(a, f, ENOSPC);
		dossier_error_set("the archive's disk is full");
		return DOSSIER_ENOSPC;
	}
	return counted;
}

void dossier_file_write_end(struct dossier_archive *a, struct dossier_file *f,
			    size_t size, int counted, ssize_t result)
{
	if (counted)
		__atomic_sub_fetch(&a->space_busy, (int64_t)size,
				   __ATOMIC_ACQ_REL);
	if (result < 0)
		dossier_file_write_failed(a, f, (int)-result);
}

/*
 * With the writeback cache the kernel took the write into its own pages
 * and size before we saw it: a write that fails here leaves the kernel's
 * inode claiming bytes the content never got (a stat said 4 EiB after a
 * pwrite at 2^62, and reads returned zeros up to there). A new content
 * generation makes the next lookup hand the kernel a fresh inode with
 * the size the content really has. Logged once per open file.
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
	if (!f->write_err && err != EFBIG && err != ENOSPC)
		dossier_log(LOG_ERR, "cannot write record %" PRIu64 ": %s",
			    f->id, strerror(err));
	else if (!f->write_err && err == ENOSPC)
		dossier_log(LOG_ERR, "cannot write record %" PRIu64 ": the "
			    "archive's disk is full", f->id);
	f->write_err = err;
}

int archive_space_room(struct dossier_archive *a, int64_t need)
{
	struct statvfs sv;
	int64_t avail;

	if (fstatvfs(a->contentfd, &sv) < 0)
		return 0;
	avail = (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
	if (avail - need >= archive_space_reserve(&sv) / 2)
		return 0;
	dossier_error_set("the archive's disk is full: %lld bytes of history "
			  "wait for space", (long long)need);
	return DOSSIER_ENOSPC;
}
