/*
 * setattr: size, times and mode of a record, decided for the caller as
 * things stand now, also through a descriptor held across a rename.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "access_i.h"
#include "tree_i.h"
#include "subtree_i.h"
#include "db_i.h"
#include "error.h"
#include "audit_i.h"
#include "history_i.h"
#include "meta_i.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"
#include "views_i.h"
#include "log.h"
#include "name.h"


/* The times utimensat(2) is to set, from set's flags (UTIME_OMIT else). */
static void times_of(struct timespec ts[2], const struct stat *st,
		     unsigned set)
{
	if (set & DOSSIER_SET_ATIME)
		ts[0] = st->st_atim;
	if (set & DOSSIER_SET_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	if (set & DOSSIER_SET_MTIME)
		ts[1] = st->st_mtim;
	if (set & DOSSIER_SET_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
}

/* Truncate a record's content (through fd, else by rel). Lock held. */
static int truncate_content(struct dossier_archive *a, int fd,
			    const char *rel, off_t size)
{
	int rc, own = -1;

	/* the inode first: the settle may wait, and rel may change meanwhile */
	if ((fd < 0 && (fd = own = openat(a->contentfd, rel,
					  O_WRONLY | O_CLOEXEC)) < 0) ||
	    ((rc = tree_content_changing(a, fd, size)) == 0 &&
	     ftruncate(fd, size) < 0)) {
		rc = dossier_err_from_errno(errno);
		dossier_error_set("truncate: %s", strerror(errno));
	}
	if (own >= 0)
		close(own);
	return rc;
}

/*
 * setattr through an open file whose entry is gone: a temp file renamed
 * onto a record and still open (gio closes it after the rename, and the
 * kernel's writeback sets its times then). Its descriptor still reaches
 * the content, now the record's. Modes and owners are the record's own
 * business and are left alone.
 */
static int setattr_orphan(struct dossier_file *f, const struct stat *st,
			  unsigned set, struct dossier_attr *out)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	struct stat cs;

	/*
	 * f's row is gone: its content became another record's (a save by
	 * rename) or was destroyed. Its opener has no right to that record
	 * through f: writes are refused (dossier_file_check), and so is a
	 * truncate; times only, which the kernel sends as a writer closes.
	 */
	if (set & DOSSIER_SET_SIZE) {
		dossier_error_set("the file was renamed over a record or "
				  "removed: its descriptor changes nothing");
		return DOSSIER_EDENIED;
	}
	times_of(ts, st, set);
	if ((ts[0].tv_nsec != UTIME_OMIT || ts[1].tv_nsec != UTIME_OMIT) &&
	    futimens(f->fd, ts) < 0)
		return dossier_err_from_errno(errno);
	if (fstat(f->fd, &cs) < 0)
		return dossier_err_from_errno(errno);
	memset(out, 0, sizeof(*out));
	out->id = f->id;
	out->kind = DOSSIER_KIND_FILE;
	out->st = cs;
	out->st.st_ino = f->id;
	out->st.st_mode = S_IFREG | 0600;
	out->st.st_uid = f->who.uid;
	out->st.st_gid = f->who.gid;
	out->st.st_nlink = 0;
	return 0;
}

#define SET_OWNER_BITS (DOSSIER_SET_MODE | DOSSIER_SET_UID | DOSSIER_SET_GID)
#define SET_TIME_BITS                                                         \
	(DOSSIER_SET_ATIME | DOSSIER_SET_MTIME | DOSSIER_SET_ATIME_NOW |      \
	 DOSSIER_SET_MTIME_NOW)

/* Mode and owners of n, as set asks: checked for who, then written. */
static int set_owner(struct dossier_archive *a,
		     const struct dossier_caller *who, struct node *n,
		     const struct stat *st, unsigned set, int64_t t)
{
	sqlite3_stmt *q = a->st[ST_SETOWNER];
	mode_t mode = n->mode;
	uid_t uid = n->uid;
	gid_t gid = n->gid;
	int rc;

	if (set & DOSSIER_SET_MODE)
		mode = (n->mode & S_IFMT) | (st->st_mode & 07777);
	if (set & DOSSIER_SET_UID)
		uid = st->st_uid;
	if (set & DOSSIER_SET_GID)
		gid = st->st_gid;
	/*
	 * Only root gives a node away; anyone may "change" to what
	 * is already there (vim and LibreOffice chown to themselves).
	 */
	if (who->uid != 0 && ((uid != n->uid) ||
			      (who->uid != n->uid && mode != n->mode) ||
			      (gid != n->gid && gid != who->gid))) {
		dossier_error_set("only the owner changes modes, only "
				  "root changes owners");
		return DOSSIER_ESTRUCTURE;
	}
	if (n->kind <= DOSSIER_KIND_CATEGORY && who->uid != 0)
		return DOSSIER_ESTRUCTURE;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)n->id);
	sqlite3_bind_int(q, 2, (int)mode);
	sqlite3_bind_int64(q, 3, uid);
	sqlite3_bind_int64(q, 4, gid);
	sqlite3_bind_int64(q, 5, t);
	if ((rc = dossier_db_step_done(a->db, q, "set owner")) < 0)
		return rc;
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	return 0;
}

/* Whether who (through f, if not NULL) may set n's size and times. */
static int may_set_size_times(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      struct dossier_file *f, const struct node *n,
			      const struct stat *st, unsigned set)
{
	int rc;

	/* through a descriptor: its opener's right, as it is now */
	if (f && !f->virt && f->fd >= 0 &&
	    (rc = access_file_allowed(a, f, 1)) < 0) {
		dossier_error_set("access was taken away while the "
				  "file was open");
		return rc;
	}
	if ((set & DOSSIER_SET_SIZE) && n->kind != DOSSIER_KIND_FILE)
		return DOSSIER_EISDIR;
	if ((set & DOSSIER_SET_SIZE) && !f &&
	    (rc = archive_decide(a, who, n, NULL, DOSSIER_ACT_WRITE)) < 0)
		return rc;
	if ((set & DOSSIER_SET_SIZE) &&
	    (rc = archive_size_allowed(a, n->id, st->st_size, 1)) < 0)
		return rc;
	/*
	 * Times: whoever may write the record may set them. With the
	 * writeback cache the kernel itself sends explicit times on
	 * every truncate, fsync and close of a writer, so the POSIX
	 * owner-only rule for explicit times cannot apply here.
	 */
	if (who->uid != 0 && who->uid != n->uid &&
	    (set & (DOSSIER_SET_ATIME | DOSSIER_SET_MTIME)) && !f &&
	    (rc = archive_decide(a, who, n, NULL,
				 n->kind == DOSSIER_KIND_FILE ?
					 DOSSIER_ACT_WRITE :
					 DOSSIER_ACT_CREATE)) < 0)
		return rc;
	return 0;
}

/* A folder's times: its mtime in its row, its atime aside. */
static int set_dir_times(struct dossier_archive *a, struct node *n,
			 const struct timespec ts[2], unsigned set, int64_t t)
{
	sqlite3_stmt *q = a->st[ST_SETDIRTIME];
	int64_t m = n->mtime_ns;
	int rc;

	if (set & DOSSIER_SET_MTIME)
		m = (int64_t)ts[1].tv_sec * 1000000000 + ts[1].tv_nsec;
	else if (set & DOSSIER_SET_MTIME_NOW)
		m = t;
	sqlite3_bind_int64(q, 1, (sqlite3_int64)n->id);
	sqlite3_bind_int64(q, 2, m);
	sqlite3_bind_int64(q, 3, t);
	if ((rc = dossier_db_step_done(a->db, q, "set times")) < 0)
		return rc;
	n->mtime_ns = m;
	if (!(set & (DOSSIER_SET_ATIME | DOSSIER_SET_ATIME_NOW)))
		return 0;
	return archive_folder_set_atime(a, n->id, set & DOSSIER_SET_ATIME ?
					(int64_t)ts[0].tv_sec * 1000000000 +
					ts[0].tv_nsec : t);
}

/* A record's size and times, on its content (through f, if not NULL). */
static int set_file_size_times(struct dossier_archive *a,
			       struct dossier_file *f, const struct node *n,
			       const struct stat *st,
			       const struct timespec ts[2], unsigned set)
{
	char rel[64];
	int rc;

	content_relpath(rel, sizeof(rel), n->id);
	if ((set & DOSSIER_SET_SIZE) &&
	    (rc = truncate_content(a, f ? f->fd : -1, rel, st->st_size)) < 0)
		return rc;
	if (set & DOSSIER_SET_SIZE)
		dossier_file_mark_written(f);
	if ((ts[0].tv_nsec != UTIME_OMIT || ts[1].tv_nsec != UTIME_OMIT) &&
	    utimensat(a->contentfd, rel, ts, 0) < 0) {
		rc = dossier_err_from_errno(errno);
		dossier_error_set("utimens: %s", strerror(errno));
		return rc;
	}
	return 0;
}

/* Size and times of n, as set asks, if who (through f) may set them. */
static int set_size_times(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  struct dossier_file *f, struct node *n,
			  const struct stat *st, unsigned set, int64_t t)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	int rc;

	if ((rc = may_set_size_times(a, who, f, n, st, set)) < 0)
		return rc;
	times_of(ts, st, set);
	if (n->kind != DOSSIER_KIND_FILE)
		return set_dir_times(a, n, ts, set, t);
	return set_file_size_times(a, f, n, st, ts, set);
}

int dossier_archive_setattr(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    struct dossier_file *f, const struct stat *st,
			    unsigned set, struct dossier_attr *out)
{
	const struct subtree *s;
	struct node n;
	int rc;
	int64_t t = dossier_clock_ns();
	uint64_t ino = id;

	id = node_of(id);
	/* a temp renamed onto a record: its descriptor is the record's now */
	if (f && !f->virt && f->fd >= 0)
		id = f->id;

	dossier_error_clear();
	if ((s = subtree_of(id)))
		return s->setattr ? s->setattr(a, who, id, st, set, out) :
				    tree_virtual_readonly(a, who, "setattr", id);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, id, &n)) < 0) {
		if (rc == DOSSIER_ENOTFOUND && f)
			rc = setattr_orphan(f, st, set, out);
		goto unlock;
	}
	if (archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0) {
		rc = DOSSIER_EHIDDEN;
		goto unlock;
	}
	/*
	 * Times sent for an inode of replaced content (the kernel writes
	 * back the cached times of the record's old inode after a save by
	 * rename) are the old content's: the new content keeps its own.
	 */
	if (n.kind == DOSSIER_KIND_FILE && ino != NODEID(n.id, n.cgen))
		set &= ~(unsigned)SET_TIME_BITS;
	if ((set & SET_OWNER_BITS) &&
	    (rc = set_owner(a, who, &n, st, set, t)) < 0)
		goto unlock;
	if ((set & (DOSSIER_SET_SIZE | SET_TIME_BITS)) &&
	    (rc = set_size_times(a, who, f, &n, st, set, t)) < 0)
		goto unlock;
	rc = archive_node_attr(a, who, &n, out);
unlock:
	pthread_mutex_unlock(&a->lock);
	/* a vanished inode (the kernel flushing times late) is no refusal */
	if (rc == DOSSIER_ENOTFOUND)
		return rc;
	return rc < 0 ? archive_deny(a, who, "setattr", id, NULL, rc) : 0;
}
