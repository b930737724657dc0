/*
 * Files: create, open, read and write through the content descriptor, the
 * checks a write passes, and the save at close (a journal row for history).
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
#include "journal_i.h"
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

/* The longest request the control file takes. */
#define CONTROL_REQUEST_MAX 65536


/*
 * The content inode open as fd is about to change (to size, if >= 0; lock
 * held, not in a transaction): a save still waiting on it gets its own
 * copy first. May release the lock while it waits or copies.
 */
int tree_content_changing(struct dossier_archive *a, int fd, off_t size)
{
	struct stat cs;
	int rc;

	if (!history_live_any(a->history))
		return 0;
	if (fstat(fd, &cs) < 0) {
		dossier_error_set("cannot stat content: %s", strerror(errno));
		return dossier_err_from_errno(errno);
	}
	if (size >= 0 && cs.st_size == size)
		return 0;	/* a truncate to its size changes nothing */
	rc = history_live_settle(a->history, &cs, 1);
	if (rc < 0)
		dossier_log(LOG_ERR, "cannot keep the last saved version "
			    "before a change: %s", dossier_error_last());
	return rc;
}

/*
 * The open(2) flags used on the content file. Write-only opens become
 * read-write and O_APPEND is dropped: with the kernel's writeback cache
 * the kernel itself reads partial pages and places appends at explicit
 * offsets (as passthrough_ll does). O_DIRECT is dropped too: the kernel
 * already bypasses its cache for such an open and hands us each write,
 * but in its request buffer, at no alignment ext4's O_DIRECT accepts
 * (dd oflag=direct and fsx -Z failed with EINVAL). The caller's own
 * flags were decided on before this.
 */
static int content_flags(int open_flags)
{
	int acc = open_flags & O_ACCMODE;

	/* O_RDONLY|O_TRUNC truncates too (after the settle, by ftruncate) */
	if (acc == O_WRONLY || (open_flags & O_TRUNC))
		acc = O_RDWR;
	return acc | (open_flags & (O_TRUNC | O_SYNC | O_DSYNC |
				    O_NOATIME)) | O_CLOEXEC;
}

/* f is an open record of a, on kernel inode nodeid. Lock held. */
static void file_link(struct dossier_archive *a, struct dossier_file *f,
		      uint64_t nodeid)
{
	f->nodeid = nodeid;
	f->checked = a->generation;
	f->prev = NULL;
	f->next = a->files;
	if (a->files)
		a->files->prev = f;
	a->files = f;
}

static struct dossier_file *file_new(uint64_t id, int fd, int flags,
				     const struct dossier_caller *who)
{
	struct dossier_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->id = id;
	f->fd = fd;
	f->flags = flags;
	f->who = *who;
	dossier_buf_init(&f->req);
	dossier_buf_init(&f->reply);
	return f;
}

/*
 * A create of a name a record left a moment ago is a save of that record:
 * vim renames NAME to NAME~ and creates NAME; some programs delete and
 * recreate. The record comes back (id, level, history) with empty
 * content; vim's NAME~ keeps the old content as a scratch file. *id gets
 * the record, or 0. Lock held, in a transaction.
 */
static int revive_for_create(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t parent,
			     const char *nfc, int64_t t, uint64_t *id)
{
	uint64_t rid, xid = 0;
	struct node r;
	char from[64], to[64], *rname = NULL;
	int rc;

	*id = 0;
	if ((rid = tree_recently_deleted(a, who, parent, nfc, t))) {
		if ((rc = tree_undelete(a, rid)) == 0)
			*id = rid;
		return rc;
	}
	if (!(rid = tree_recently_displaced(a, who, parent, nfc, t)))
		return 0;
	if ((rc = archive_get_node(a, rid, &r)) < 0)
		return rc;
	if (!(rname = archive_node_name(a, rid)))
		return DOSSIER_ERROR;
	rc = archive_exec(a, "UPDATE node SET name = ? WHERE id = ?", "ti",
		       "\001swap", (int64_t)rid);
	if (rc == 0)
		rc = archive_insert_node(a, r.parent, rname, DOSSIER_KIND_FILE, 0, 1,
				 r.mode, r.uid, r.gid, t, &xid);
	/* NAME~ keeps the record's old content: it is classified as it */
	if (rc == 0)
		rc = tree_derive_from(a, xid, rid);
	/* a save of rid still waiting on the content moved away keeps a copy */
	if (rc == 0)
		rc = history_live_settle_record(a->history, rid, 0);
	if (rc == 0) {
		content_relpath(from, sizeof(from), rid);
		content_relpath(to, sizeof(to), xid);
		if (renameat(a->contentfd, from, a->contentfd, to) < 0) {
			dossier_error_set("cannot move content: %s",
					  strerror(errno));
			rc = dossier_err_from_errno(errno);
		}
	}
	if (rc == 0)
		rc = archive_exec(a, "UPDATE node SET name = ?, parent = ?, "
			       "prev_name = NULL, displaced_ns = NULL, "
			       "ctime_ns = ? WHERE id = ?", "tiii", nfc,
			       (int64_t)parent, t, (int64_t)rid);
	if (rc == 0)
		rc = journal_forget(a, rid, "rename");
	if (rc == 0)
		rc = archive_bump_cgen(a, rid);
	if (rc == 0)
		*id = rid;
	free(rname);
	return rc;
}

/* A create in a virtual folder: s's own, or refused (read-only). */
static int create_virtual(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct subtree *s, uint64_t parent,
			  const char *name, int open_flags,
			  struct dossier_attr *attr, struct dossier_file **out)
{
	int rc, fd = -1;

	if (!s->create)
		return tree_virtual_readonly(a, who, "create", parent);
	/* GIO's .trashinfo files in /.Trash-UID/info: core/trash/ */
	if ((rc = s->create(a, who, parent, name, open_flags, attr, &fd)) < 0)
		return rc;
	if (!(*out = file_new(attr->id, fd, open_flags, who))) {
		close(fd);
		return DOSSIER_ERROR;
	}
	(*out)->virt = 1;
	return 0;
}

/* Whether who may create parent/nfc, and what must happen first. */
static int prepare_create(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *nfc, int64_t t)
{
	struct node p;
	uint64_t rid;
	int rc;

	if ((rc = archive_get_folder(a, parent, &p)) < 0)
		return rc;
	if (!dossier_kind_holds_files(p.kind)) {
		dossier_error_set("files live inside a client folder "
				  "(YEAR/CATEGORY/CLIENT/...)");
		return DOSSIER_ESTRUCTURE;
	}
	if ((rc = access_may_create(a, who, &p, nfc)) < 0)
		return rc;
	/*
	 * A create may revive a record deleted a moment ago, truncating its
	 * content: a save of it still waiting for the committer gets its
	 * copy first, here, where waiting is allowed (a deleted record
	 * gets no new save meanwhile).
	 */
	if (!archive_is_scratch_name(a, nfc) &&
	    (rid = tree_recently_deleted(a, who, parent, nfc, t)) &&
	    (rc = history_live_settle_record(a->history, rid, 1)) < 0)
		return rc;
	return 0;
}

/*
 * The node a create makes: a record revived (*revived set) or a new
 * node, *id. Lock held, in a transaction.
 */
static int create_node(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, mode_t mode, int64_t t, uint64_t *id,
		       int *revived)
{
	int rc = 0, scratch = archive_is_scratch_name(a, nfc);

	if (!scratch)
		rc = revive_for_create(a, who, parent, nfc, t, id);
	*revived = *id != 0;
	if (rc < 0 || *revived)
		return rc;
	rc = archive_insert_node(a, parent, nfc, DOSSIER_KIND_FILE, 0, scratch,
				 S_IFREG | (mode & 07777), who->uid, who->gid,
				 t, id);
	if (rc == 0)
		rc = archive_take_name(a, who, *id, parent, nfc, t);
	if (rc == 0 && scratch)
		rc = tree_classify_scratch(a, who, *id, parent, nfc);
	return rc;
}

/* Create (empty) the content of id, rel in the store, open as *fd. */
static int create_content(struct dossier_archive *a, uint64_t id,
			  int open_flags, char rel[64], int *fd)
{
	/*
	 * O_TRUNC, not O_EXCL: a crash between this and COMMIT leaves
	 * a content file whose id the next insert may be given again.
	 */
	content_relpath(rel, 64, id);
	*fd = openat(a->contentfd, rel, O_CREAT | O_TRUNC |
		     content_flags(open_flags), 0600);
	if (*fd >= 0)
		return 0;
	dossier_error_set("cannot create content: %s", strerror(errno));
	return dossier_err_from_errno(errno);
}

int dossier_archive_create_file(struct dossier_archive *a,
				const struct dossier_caller *who,
				uint64_t parent, const char *name, mode_t mode,
				int open_flags, struct dossier_attr *attr,
				struct dossier_file **out)
{
	const struct subtree *s;
	char nfc[DOSSIER_NAME_MAX + 1], rel[64];
	struct node n;
	uint64_t id = 0;
	int rc, fd = -1, revived = 0;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);

	dossier_error_clear();
	*out = NULL;
	if ((s = subtree_change_at(parent, name)))
		return create_virtual(a, who, s, parent, name, open_flags,
				      attr, out);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "create", parent, name, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = prepare_create(a, who, parent, nfc, t)) < 0 ||
	    (rc = archive_begin(a)) < 0)
		goto unlock;
	rc = create_node(a, who, parent, nfc, mode, t, &id, &revived);
	if (rc == 0)
		rc = create_content(a, id, open_flags, rel, &fd);
	if (rc == 0)
		rc = archive_touch_node(a, parent, t);
	if ((rc = archive_end(a, rc)) == 0 && (rc = archive_get_node(a, id, &n)) == 0)
		rc = archive_node_attr(a, who, &n, attr);
	if (rc == 0 && !(*out = file_new(id, fd, open_flags, who)))
		rc = DOSSIER_ERROR;
	if (rc == 0) {
		(*out)->created = 1;
		file_link(a, *out, attr->id);
	}
	if (rc < 0 && fd >= 0) {
		close(fd);
		if (!revived)
			unlinkat(a->contentfd, rel, 0);
	}
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "create", parent, nfc, rc) : 0;
}

/*
 * Decide an open; *on_grant is set if only a grant allows it, *rule to
 * the rule that decided.
 */
static int open_verdict(struct dossier_archive *a,
			const struct dossier_caller *who, const struct node *n,
			enum dossier_action act, int *on_grant, int64_t *rule)
{
	struct dossier_verdict v;
	int rc = archive_check(a, who, n, act, &v);

	*rule = v.rule;
	if (rc == 0 && v.grant)
		*on_grant = 1;
	return rc;
}

static int open_virtual(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t id,
			int open_flags, struct dossier_file **out,
			struct dossier_open_info *info)
{
	int rc, fd = -1, is_ctl = 0;

	pthread_mutex_lock(&a->lock);
	rc = subtree_of(id)->open(a, who, id, open_flags, &fd, &is_ctl);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return archive_deny(a, who, "open", id, NULL, rc);
	*out = file_new(id, fd, open_flags, who);
	if (!*out) {
		if (fd >= 0)
			close(fd);
		return DOSSIER_ERROR;
	}
	(*out)->virt = 1;
	/* a version's bytes never change; the control file has no pages */
	info->keep_cache = !is_ctl;
	info->direct_io = is_ctl;
	return 0;
}

/*
 * Whether who may open id (a record) with open_flags: *n gets its node,
 * *on_grant and *rule as open_verdict() sets them.
 */
static int open_decide(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t id,
		       int open_flags, struct node *n, int *on_grant,
		       int64_t *rule)
{
	int rc, acc = open_flags & O_ACCMODE;

	if ((rc = archive_get_node(a, id, n)) < 0)
		return rc;
	if (archive_decide(a, who, n, NULL, DOSSIER_ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	if (n->kind != DOSSIER_KIND_FILE)
		return DOSSIER_EISDIR;
	if ((acc == O_RDONLY || acc == O_RDWR) &&
	    (rc = open_verdict(a, who, n, DOSSIER_ACT_READ, on_grant,
				rule)) < 0)
		return rc;
	if ((acc == O_WRONLY || acc == O_RDWR || (open_flags & O_TRUNC)) &&
	    (rc = open_verdict(a, who, n, DOSSIER_ACT_WRITE, on_grant,
				rule)) < 0)
		return rc;
	return 0;
}

/*
 * Open id's content as *fd, truncated if open_flags say so (*n read
 * again after it). Lock held; may release it while a save settles.
 */
static int open_content(struct dossier_archive *a, uint64_t id,
			int open_flags, struct node *n, int *fd)
{
	char rel[64];
	int rc = 0;

	content_relpath(rel, sizeof(rel), id);
	/* O_TRUNC after the settle, on the inode opened (the settle may wait) */
	*fd = openat(a->contentfd, rel, content_flags(open_flags) & ~O_TRUNC);
	if (*fd < 0) {
		dossier_error_set("cannot open content of %" PRIu64 ": %s",
				  id, strerror(errno));
		return DOSSIER_EIO;
	}
	if ((open_flags & O_TRUNC) &&
	    (rc = tree_content_changing(a, *fd, 0)) == 0 &&
	    ftruncate(*fd, 0) < 0) {
		dossier_error_set("cannot truncate content of %" PRIu64 ": %s",
				  id, strerror(errno));
		rc = DOSSIER_EIO;
	}
	/* the settle may have let others change the record meanwhile */
	if (rc == 0 && (open_flags & O_TRUNC))
		rc = archive_get_node(a, id, n);
	if (rc < 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

/* The audit row of a read open of id. */
static void audit_read_open(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    int64_t rule, int on_grant)
{
	char *path = archive_node_path(a, id);

	audit_record(a->audit, who, "read", path, 1, rule,
		     on_grant ? "on a grant" : NULL);
	free(path);
}

int dossier_archive_open_file(struct dossier_archive *a,
			      const struct dossier_caller *who, uint64_t id,
			      int open_flags, struct dossier_file **out,
			      struct dossier_open_info *info)
{
	struct node n;
	int rc, fd = -1, acc = open_flags & O_ACCMODE, on_grant = 0;
	int64_t rule = 0;

	id = node_of(id);
	dossier_error_clear();
	*out = NULL;
	memset(info, 0, sizeof(*info));
	if (ino_is_virtual(id))
		return open_virtual(a, who, id, open_flags, out, info);
	pthread_mutex_lock(&a->lock);
	if ((rc = open_decide(a, who, id, open_flags, &n, &on_grant,
			      &rule)) < 0 ||
	    (rc = open_content(a, id, open_flags, &n, &fd)) < 0)
		goto unlock;
	/*
	 * Content under one nodeid changes only through the kernel, so its
	 * pages may stay cached; but a classified record, or one opened on
	 * a grant, is read through us every time: the kernel must never
	 * serve it to someone else or after the grant ends.
	 */
	info->direct_io = on_grant || n.level > DOSSIER_LEVEL_INTERNAL;
	info->keep_cache = !info->direct_io;
	info->on_grant = on_grant;
	if (a->audit && (acc == O_RDONLY || acc == O_RDWR))
		audit_read_open(a, who, id, rule, on_grant);
	if (!(*out = file_new(id, fd, open_flags, who))) {
		close(fd);
		rc = DOSSIER_ERROR;
		goto unlock;
	}
	(*out)->on_grant = on_grant;
	/* truncated: a change, saved at the last close at the latest */
	if (open_flags & O_TRUNC)
		(*out)->created = 1;
	file_link(a, *out, NODEID(n.id, n.cgen));
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "open", id, NULL, rc) : 0;
}

ssize_t dossier_file_pwrite(struct dossier_archive *a, struct dossier_file *f,
			    const char *buf, size_t size, off_t off)
{
	ssize_t n;
	int saverr;

	(void)a;
	if (f->fd >= 0) {
		if ((n = pwrite(f->fd, buf, size, off)) >= 0)
			return n;
		saverr = errno;
		dossier_error_set("cannot write content of %" PRIu64 ": %s",
				  f->id, strerror(saverr));
		return dossier_err_from_errno(saverr);
	}
	/* control file: a new request replaces an answered one */
	if (f->answered) {
		dossier_buf_release(&f->req);
		dossier_buf_release(&f->reply);
		f->answered = 0;
	}
	if (f->req.len + size > CONTROL_REQUEST_MAX) {
		dossier_error_set("a control request is at most %d bytes",
				  CONTROL_REQUEST_MAX);
		return DOSSIER_EFBIG;
	}
	dossier_buf_add(&f->req, buf, size);
	return (ssize_t)size;
}

/* The control file's reply: its request runs at the first read. */
static ssize_t control_read(struct dossier_archive *a, struct dossier_file *f,
			    char *buf, size_t size, off_t off)
{
	if (!f->answered) {
		/*
		 * The request runs for the process that opened the control
		 * file, never for whoever reads or writes the descriptor
		 * later: a descriptor handed to a setuid program (su, passwd
		 * read their standard input) must not run as that program.
		 * The kernel's rule for /proc and sysfs files: decided at
		 * open, acted on with the opener's credentials.
		 */
		dossier_archive_control(a, &f->who, f->req.buf, f->req.len,
					&f->reply);
		f->answered = 1;
	}
	if ((size_t)off >= f->reply.len)
		return 0;
	if (size > f->reply.len - (size_t)off)
		size = f->reply.len - (size_t)off;
	memcpy(buf, f->reply.buf + off, size);
	return (ssize_t)size;
}

ssize_t dossier_file_pread(struct dossier_archive *a, struct dossier_file *f,
			   char *buf, size_t size, off_t off)
{
	ssize_t n;
	int saverr;

	if (f->fd < 0)
		return control_read(a, f, buf, size, off);
	if ((n = pread(f->fd, buf, size, off)) >= 0)
		return n;
	saverr = errno;
	dossier_error_set("cannot read content of %" PRIu64 ": %s", f->id,
			  strerror(saverr));
	return dossier_err_from_errno(saverr);
}

int dossier_file_fd(const struct dossier_file *f)
{
	return f->fd;
}

uint64_t dossier_file_id(const struct dossier_file *f)
{
	return f->id;
}

/*
 * Before a write through f: a save still waiting on its content gets its
 * copy first (the write would change what that save is to keep).
 */
static int settle_before_write(struct dossier_archive *a,
			       struct dossier_file *f)
{
	int rc;

	if (f->fd < 0 || !history_live_any(a->history))
		return 0;
	pthread_mutex_lock(&a->lock);
	rc = tree_content_changing(a, f->fd, -1);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* f's right asked again, for writing or reading; a refusal is logged. */
static int recheck_file(struct dossier_archive *a, struct dossier_file *f,
			int writing)
{
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = access_file_allowed(a, f, writing);
	/* the fast path again only once all it was opened for holds */
	if (rc == 0 && access_file_allowed(a, f, -1) == 0) {
		f->revoked = 0;
		__atomic_store_n(&f->checked, a->generation, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&a->lock);
	if (rc >= 0)
		return 0;
	dossier_log(LOG_NOTICE, "refused %s by uid %u on record %" PRIu64
		    ": %s", writing ? "write" : "read", (unsigned)f->who.uid,
		    f->id, f->on_grant ?
		    "the grant it was opened on has ended" :
		    "access was taken away while it was open");
	audit_record(a->audit, &f->who, writing ? "write" : "read", NULL, 0, 0,
		     f->on_grant ? "grant ended while open" :
		     "access taken away while open");
	return DOSSIER_EDENIED;
}

int dossier_file_check(struct dossier_archive *a, struct dossier_file *f,
		       int writing)
{
	int rc;

	if (writing && (rc = settle_before_write(a, f)) < 0)
		return rc;
	/*
	 * The right an open file was opened with is asked again whenever
	 * the catalog changed since it was last confirmed (a reclassification,
	 * a revoke, a user's role: access taken away reaches descriptors
	 * already open), and at every use of a file opened on a grant (grants
	 * end by the clock). Otherwise nothing is asked: the data path takes
	 * no lock.
	 */
	if (f->virt || (!f->on_grant && !__atomic_load_n(&f->revoked,
							  __ATOMIC_RELAXED) &&
			__atomic_load_n(&f->checked, __ATOMIC_RELAXED) ==
			__atomic_load_n(&a->generation, __ATOMIC_RELAXED)))
		return 0;
	return recheck_file(a, f, writing);
}

int dossier_file_getattr(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t id,
			 struct dossier_file *f, struct dossier_attr *out)
{
	int rc = dossier_archive_getattr(a, who, id, out);

	/* fstat, or the kernel before a read past the size it knows */
	if ((rc == DOSSIER_ENOTFOUND || rc == DOSSIER_EHIDDEN) && f &&
	    dossier_file_check(a, f, 0) < 0)
		rc = DOSSIER_EDENIED;
	return rc;
}

void dossier_file_mark_written(struct dossier_file *f)
{
	if (f)
		f->written = 1;
}

/*
 * Whether a close or flush of f makes a save (last: the last close); it
 * clears f's marks. Takes the lock to look at the record.
 */
static int save_due(struct dossier_archive *a, struct dossier_file *f,
		    int last)
{
	struct node n;
	int rc;

	if (f->virt || !(f->written || (f->created && last)))
		return 0;
	f->written = f->created = 0;
	if (!a->history)
		return 0;
	pthread_mutex_lock(&a->lock);
	rc = archive_get_node(a, f->id, &n);
	pthread_mutex_unlock(&a->lock);
	return !(rc < 0 || n.scratch || n.deleted);
}

/* What a save takes of the content before it is journaled. */
struct snap {
	struct stat cs;
	int deferred;		/* large: the row names its inode */
	char spool[64];		/* its spool copy; "" once journaled */
	struct dossier_buf data;	/* or its bytes, if small */
};

/*
 * Snapshot f's content into s (outside the catalog lock: large files
 * take a moment). Release s with snap_release().
 */
static int snap_take(struct dossier_archive *a, struct dossier_file *f,
		     struct snap *s)
{
	/* large content is not copied now: the row names its inode */
	s->spool[0] = '\0';
	if (fstat(f->fd, &s->cs) < 0) {
		dossier_error_set("cannot snapshot content: %s",
				  strerror(errno));
		return DOSSIER_EIO;
	}
	s->deferred = journal_deferrable(a, &s->cs);
	if (s->deferred)
		return 0;
	return history_spool(a->history, f->fd, s->spool, sizeof(s->spool),
			     &s->data);
}

static void snap_release(struct dossier_archive *a, struct snap *s)
{
	dossier_buf_release(&s->data);
	if (s->spool[0])
		history_discard_spool(a->history, s->spool);
}

/* The reason left in id's user.dossier.reason, if any (1). Lock held. */
static int save_reason(struct dossier_archive *a, uint64_t id, char *reason,
		       size_t size)
{
	sqlite3_stmt *st = NULL;
	int have = 0;

	if (dossier_db_prepare(a->db, "SELECT value FROM xattr WHERE node = ?1"
			       " AND name = 'user.dossier.reason'", &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(reason, size, "%.*s",
				 sqlite3_column_bytes(st, 0),
				 (const char *)sqlite3_column_blob(st, 0));
			have = 1;
		}
	}
	sqlite3_finalize(st);
	return have;
}

/* "create" for the first version of record n, else "save". Lock held. */
static const char *save_op(struct dossier_archive *a, const struct node *n)
{
	if (!n->has_hist &&
	    !archive_query_id(a, "SELECT 1 FROM journal WHERE record = ?1 AND "
		      "(spool IS NOT NULL OR blob IS NOT NULL OR "
		      "data IS NOT NULL OR live IS NOT NULL)", "i",
		      (int64_t)n->id))
		return "create";
	return "save";
}

/*
 * Journal the save of live record n through f, with its snapshot s and
 * reason (NULL if none; a reason is used up). Lock held, in a transaction.
 */
static int journal_save(struct dossier_archive *a, struct dossier_file *f,
			const struct dossier_caller *who, const struct node *n,
			struct snap *s, const char *reason, int64_t t)
{
	char *path = NULL;
	const char *op;
	int rc = 0;

	if (reason)
		rc = archive_exec(a, "DELETE FROM xattr WHERE node = ? AND"
			       " name = 'user.dossier.reason'", "i",
			       (int64_t)f->id);
	if (rc == 0 && fstat(f->fd, &s->cs) == 0)
		rc = archive_exec(a, "UPDATE node SET snap_mtime_ns = ?, "
			       "snap_size = ? WHERE id = ?", "iii",
			       (int64_t)s->cs.st_mtim.tv_sec * 1000000000 +
				       s->cs.st_mtim.tv_nsec,
			       (int64_t)s->cs.st_size, (int64_t)f->id);
	path = archive_node_path(a, f->id);
	op = save_op(a, n);
	if (rc == 0 && s->deferred)
		rc = journal_deferred(a, f->id, op, path, f->fd, &s->cs, who,
				      reason, t);
	else if (rc == 0)
		rc = archive_journal_snap(a, f->id, op, path, s->spool,
					  &s->data, who, reason, t);
	if (rc == 0)
		audit_record(a->audit, who, op, path, 1, 0, reason);
	if (rc == 0)
		s->spool[0] = '\0';
	free(path);
	return rc;
}

/*
 * One save: snapshot the content and journal it with the reason left in
 * user.dossier.reason, if any.
 */
static int save_file(struct dossier_archive *a, struct dossier_file *f,
		     const struct dossier_caller *who, int last)
{
	struct snap s = { .data = DOSSIER_BUF_INIT };
	char reason[1024];
	struct node n;
	int rc, have_reason;
	int64_t t = dossier_clock_ns();

	if (!save_due(a, f, last))
		return 0;
	if ((rc = snap_take(a, f, &s)) < 0)
		goto out;
	pthread_mutex_lock(&a->lock);
	have_reason = save_reason(a, f->id, reason, sizeof(reason));
	rc = archive_begin(a);
	if (rc == 0 && archive_get_node(a, f->id, &n) == 0 && !n.scratch &&
	    !n.deleted)
		rc = journal_save(a, f, who, &n, &s,
				  have_reason ? reason : NULL, t);
	rc = archive_end(a, rc);
	pthread_mutex_unlock(&a->lock);
out:
	snap_release(a, &s);
	return rc;
}

int dossier_file_flush(struct dossier_archive *a, struct dossier_file *f,
		       const struct dossier_caller *who)
{
	int rc;

	dossier_error_clear();
	/*
	 * A new record unwritten at a flush is not saved yet: shells open,
	 * dup and close before writing. The last close saves it anyway.
	 */
	if ((rc = save_file(a, f, who, 0)) < 0)
		dossier_log(LOG_ERR, "cannot record a save of record %" PRIu64
			    ": %s", f->id, dossier_error_last());
	return rc;
}

int dossier_file_release(struct dossier_archive *a, struct dossier_file *f)
{
	int rc = 0;

	if (!f)
		return 0;
	if (f->virt) {
		if (f->fd >= 0)
			close(f->fd);
		dossier_buf_release(&f->req);
		dossier_buf_release(&f->reply);
		free(f);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	if (f->prev)
		f->prev->next = f->next;
	else if (a->files == f)
		a->files = f->next;
	if (f->next)
		f->next->prev = f->prev;
	pthread_mutex_unlock(&a->lock);
	/* writes after the last flush (mmap) are a save too */
	if ((f->written || f->created) && save_file(a, f, &f->who, 1) < 0)
		dossier_log(LOG_ERR, "cannot record a save of record %" PRIu64
			    ": %s", f->id, dossier_error_last());
	if (close(f->fd) < 0) {
		dossier_error_set("close: %s", strerror(errno));
		rc = dossier_err_from_errno(errno);
	}
	free(f);
	return rc;
}
