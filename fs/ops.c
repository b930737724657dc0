/*
 * The FUSE low-level operations: decode the request, call libdossier with
 * the caller from the request context, map the result, reply exactly once.
 */
#include "fs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "errmap.h"
#include "error.h"
#include "log.h"
#include "session.h"

static struct fs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct dossier_caller caller_of(fuse_req_t req)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);
	struct fs *fs = fs_of(req);
	struct dossier_caller who = { c->uid, c->gid, c->pid };

	/* a view answers for its user alone; the kernel lets nobody else
	 * in, but requests it makes itself (writeback) carry other ids */
	if (fs->view) {
		who.uid = fs->uid;
		who.gid = fs->gid;
	}
	return who;
}

/*
 * 1 (and EACCES sent) if req comes from a process a view for Samba must
 * not serve: any uid but its user's and root's (smbd acts for the user
 * with a root real uid, sometimes as root itself). The folder above the
 * view keeps such processes out; one that root or the user let in (a
 * descriptor, a working folder) is refused here at every request.
 */
static int foreign(fuse_req_t req)
{
	struct fs *fs = fs_of(req);
	const struct fuse_ctx *c;

	if (!fs->samba)
		return 0;
	c = fuse_req_ctx(req);
	if (c->uid == fs->uid || c->uid == 0)
		return 0;
	dossier_log(LOG_NOTICE, "refused uid %u (pid %d) in uid %u's view "
		    "for Samba at '%s'", (unsigned)c->uid, (int)c->pid,
		    (unsigned)fs->uid, fs->dir);
	fuse_reply_err(req, EACCES);
	return 1;
}

/* May fs's kernel keep an answer about ino for VIEW_TTL? */
static int view_caches(struct fs *fs, uint64_t ino, uint64_t epoch)
{
	return fs->view && dossier_ino_is_node(ino) &&
	       notify_epoch(fs) == epoch;
}

/*
 * The lifetimes of entry e (parent/name) for fs's kernel. A view keeps
 * catalog nodes VIEW_TTL seconds, unless an invalidation was queued for
 * it while the answer was computed (then it may be stale: no lifetime).
 * Whatever the kernel may keep is tracked, for a broad invalidation.
 */
static void cache_entry(struct fs *fs, uint64_t parent, const char *name,
			struct fuse_entry_param *e,
			const struct dossier_attr *at, uint64_t epoch)
{
	if (fs->view && dossier_ino_is_node(parent) &&
	    dossier_ino_is_node(e->ino)) {
		if (notify_epoch(fs) != epoch) {
			e->entry_timeout = e->attr_timeout = 0;
			return;
		}
		e->entry_timeout = e->attr_timeout = VIEW_TTL;
		/*
		 * An editor's temp (gio, LibreOffice, rsync, Excel) renamed
		 * onto a record gives the record its content and is gone,
		 * while the kernel moves the temp's dentry, lifetime
		 * included, onto the record's name: with no lifetime, the
		 * next use of that name asks again and gets the record.
		 */
		if (at->save_source)
			e->entry_timeout = 0;
	}
	if (e->entry_timeout > 0) {
		notify_track_entry(fs, parent, name);
		notify_track_inode(fs, e->ino);
	}
}

/* The attribute lifetime of ino for fs's kernel (see cache_entry). */
static double cache_attr(struct fs *fs, uint64_t ino, double ttl,
			 uint64_t epoch)
{
	if (view_caches(fs, ino, epoch)) {
		notify_track_inode(fs, ino);
		return VIEW_TTL;
	}
	return fs->view && dossier_ino_is_node(ino) ? 0 : ttl;
}

static void reply_rc(fuse_req_t req, int rc)
{
	dossier_error_clear();
	fuse_reply_err(req, fs_errno(rc));
}

static void fill_entry(struct fuse_entry_param *e,
		       const struct dossier_attr *at)
{
	memset(e, 0, sizeof(*e));
	e->ino = at->id;
	e->generation = 1;
	e->attr = at->st;
	e->attr_timeout = at->attr_ttl;
	e->entry_timeout = at->entry_ttl;
}

static void reply_entry(fuse_req_t req, uint64_t parent, const char *name,
			int rc, const struct dossier_attr *at, uint64_t epoch)
{
	struct fuse_entry_param e;

	if (rc < 0) {
		/*
		 * Negative entries are never cached on the shared mount: a
		 * name hidden from one caller may exist for the next.
		 */
		reply_rc(req, rc);
		return;
	}
	fill_entry(&e, at);
	cache_entry(fs_of(req), parent, name, &e, at, epoch);
	fuse_reply_entry(req, &e);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	/*
	 * No writeback cache: with it the kernel took a write() into its own
	 * pages and size before we saw it, so a write past the size limit
	 * or into a full disk failed only at close (a pwrite at 2^62
	 * "succeeded"). Every write() reaches us and gets its own answer;
	 * measured, 1 MiB writes were as fast and small-file saves no
	 * slower. The kernel still keeps pages across opens (keep_cache).
	 */
	(void)userdata;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	if (conn->capable & FUSE_CAP_SPLICE_READ)
		conn->want |= FUSE_CAP_SPLICE_READ;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	/* Access is ours to decide per caller: never kernel-side ACLs or
	 * cached directory contents. */
	conn->want &= ~(unsigned)(FUSE_CAP_POSIX_ACL | FUSE_CAP_CACHE_SYMLINKS);
	conn->want &= ~(unsigned)FUSE_CAP_READDIRPLUS_AUTO;
	/*
	 * Cached pages stay valid until we say otherwise: content that
	 * changes behind the kernel's back (a restore, a file put back from
	 * the trash, a rename over a record) gets a new inode generation,
	 * so the kernel never has pages of it. Without this, every read()
	 * of a file whose attributes have no timeout costs a GETATTR.
	 */
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA;
	conn->max_readahead = 1 << 20;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dossier_caller who = caller_of(req);
	struct fs *fs = fs_of(req);
	uint64_t epoch = notify_epoch(fs);
	struct fuse_entry_param e;
	struct dossier_attr at;
	int rc;

	if (foreign(req))
		return;
	rc = dossier_archive_lookup(fs->archive, &who, parent, name, &at);

	/*
	 * A view's kernel may remember that a name is absent (one caller,
	 * and every create or visibility change is notified); not in the
	 * root, whose dot-names are virtual.
	 */
	if (rc < 0 && fs_errno(rc) == ENOENT && parent != FUSE_ROOT_ID &&
	    view_caches(fs, parent, epoch)) {
		dossier_error_clear();
		memset(&e, 0, sizeof(e));
		e.entry_timeout = VIEW_TTL;
		notify_track_entry(fs, parent, name);
		fuse_reply_entry(req, &e);
		return;
	}
	reply_entry(req, parent, name, rc, &at, epoch);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	/* inode numbers are catalog ids: nothing is held per inode */
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static struct dossier_file *file_of(struct fuse_file_info *fi)
{
	return (struct dossier_file *)(uintptr_t)fi->fh;
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct dossier_caller who = caller_of(req);
	struct fs *fs = fs_of(req);
	uint64_t epoch = notify_epoch(fs);
	struct dossier_attr at;
	int rc;

	if (foreign(req))
		return;
	rc = dossier_file_getattr(fs->archive, &who, ino,
				  fi ? file_of(fi) : NULL, &at);
	if (rc < 0)
		reply_rc(req, rc);
	else
		fuse_reply_attr(req, &at.st,
				cache_attr(fs, ino, at.attr_ttl, epoch));
}

static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	static const struct {
		int fuse;
		unsigned ours;
	} bits[] = {
		{ FUSE_SET_ATTR_MODE, DOSSIER_SET_MODE },
		{ FUSE_SET_ATTR_UID, DOSSIER_SET_UID },
		{ FUSE_SET_ATTR_GID, DOSSIER_SET_GID },
		{ FUSE_SET_ATTR_SIZE, DOSSIER_SET_SIZE },
		{ FUSE_SET_ATTR_ATIME, DOSSIER_SET_ATIME },
		{ FUSE_SET_ATTR_MTIME, DOSSIER_SET_MTIME },
		{ FUSE_SET_ATTR_ATIME_NOW, DOSSIER_SET_ATIME_NOW },
		{ FUSE_SET_ATTR_MTIME_NOW, DOSSIER_SET_MTIME_NOW },
	};
	struct dossier_caller who = caller_of(req);
	struct dossier_file *f = fi ? (struct dossier_file *)fi->fh : NULL;
	struct fs *fs = fs_of(req);
	uint64_t epoch = notify_epoch(fs);
	struct dossier_attr at;
	unsigned set = 0;
	size_t i;
	int rc;

	if (foreign(req))
		return;
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (to_set & bits[i].fuse)
			set |= bits[i].ours;
	rc = dossier_archive_setattr(fs->archive, &who, ino, f, attr, set, &at);
	if (rc < 0) {
		reply_rc(req, rc);
		return;
	}
	/* an owner may decide who sees a record (personal scope) */
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		notify_reclassified(fs, ino);
	else
		notify_changed(fs, 0, NULL, ino, 0);
	fuse_reply_attr(req, &at.st, cache_attr(fs, ino, at.attr_ttl, epoch));
}

static void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	struct dossier_caller who = caller_of(req);
	struct fs *fs = fs_of(req);
	uint64_t epoch = notify_epoch(fs);
	struct dossier_attr at;
	int rc;

	if (foreign(req))
		return;
	rc = dossier_archive_mkdir(fs->archive, &who, parent, name, mode, &at);
	if (rc == 0)
		notify_changed(fs, parent, name, 0, CHANGE_NAME);
	reply_entry(req, parent, name, rc, &at, epoch);
}

/*
 * Reply rc to a request that, when done, changed what name in parent is
 * (removed or renamed it): every session forgets the name first.
 */
static void reply_name_changed(fuse_req_t req, uint64_t parent,
			       const char *name, int rc)
{
	if (rc == 0)
		notify_changed(fs_of(req), parent, name, 0, CHANGE_NAME);
	reply_rc(req, rc);
}

static void fs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dossier_caller who = caller_of(req);

	if (foreign(req))
		return;
	reply_name_changed(req, parent, name,
			   dossier_archive_rmdir(fs_of(req)->archive, &who,
						 parent, name));
}

static void fs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct dossier_caller who = caller_of(req);

	if (foreign(req))
		return;
	reply_name_changed(req, parent, name,
			   dossier_archive_unlink(fs_of(req)->archive, &who,
						  parent, name));
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	struct dossier_caller who = caller_of(req);
	unsigned ours = 0;
	int rc;

	if (foreign(req))
		return;
	if (flags & RENAME_EXCHANGE) {
		/* swapping two records' names has no archive meaning */
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & RENAME_NOREPLACE)
		ours |= DOSSIER_RENAME_NOREPLACE;
	rc = dossier_archive_rename(fs_of(req)->archive, &who, parent, name,
				    newparent, newname, ours);
	if (rc == 0)
		notify_changed(fs_of(req), parent, name, 0, CHANGE_NAME);
	reply_name_changed(req, newparent, newname, rc);
}

static void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct dossier_caller who = caller_of(req);
	struct fs *fs = fs_of(req);
	uint64_t epoch = notify_epoch(fs);
	struct dossier_file *f = NULL;
	struct fuse_entry_param e;
	struct dossier_attr at;
	int rc;

	if (foreign(req))
		return;
	rc = dossier_archive_create_file(fs->archive, &who, parent, name, mode,
					 fi->flags, &at, &f);
	if (rc < 0) {
		reply_rc(req, rc);
		return;
	}
	notify_changed(fs, parent, name, 0, CHANGE_NAME);
	fill_entry(&e, &at);
	cache_entry(fs, parent, name, &e, &at, epoch);
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->keep_cache = 1;
	if (fuse_reply_create(req, &e, fi) == -ENOENT)
		dossier_file_release(fs_of(req)->archive, f);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dossier_caller who = caller_of(req);
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	int rc;

	if (foreign(req))
		return;
	rc = dossier_archive_open_file(fs_of(req)->archive, &who, ino,
				       fi->flags, &f, &info);
	if (rc < 0) {
		reply_rc(req, rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)f;
	fi->keep_cache = info.keep_cache;
	fi->direct_io = info.direct_io;
	/*
	 * A view's pages serve its user alone, and every change or loss of
	 * access drops them: keep them, but for a record opened on a grant
	 * (the grant ends by the clock: every read is checked again).
	 */
	if (fs_of(req)->view && dossier_ino_is_node(ino) && !info.on_grant) {
		fi->keep_cache = 1;
		fi->direct_io = 0;
		notify_track_inode(fs_of(req), ino);
	}
	if (fuse_reply_open(req, fi) == -ENOENT)
		dossier_file_release(fs_of(req)->archive, f);
}

/* Files without a descriptor (the control file) answer from memory. */
static void read_memory(fuse_req_t req, struct dossier_file *f, size_t size,
			off_t off)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	n = dossier_file_pread(fs_of(req)->archive, f, buf, size, off);
	if (n < 0)
		reply_rc(req, (int)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/*
 * Whether the caller's right to read (or write) f still holds: 0 if so,
 * else the refusal is replied and a negative code returned.
 */
static int file_check(fuse_req_t req, struct dossier_file *f, int writing)
{
	int rc = dossier_file_check(fs_of(req)->archive, f, writing);

	if (rc < 0)
		reply_rc(req, rc);
	return rc;
}

/*
 * Before writing size bytes at off to f's descriptor: >= 0 as counted
 * (for write_end), else the refusal is replied and a negative code
 * returned.
 */
static int write_begin(fuse_req_t req, struct dossier_file *f, off_t off,
		       size_t size)
{
	int rc = dossier_file_write_begin(fs_of(req)->archive, f, off, size);

	if (rc < 0)
		reply_rc(req, rc);
	return rc;
}

/*
 * After that write, which gave n (bytes or -errno): 0 if it was done
 * (and f is marked written), else the error is replied and -1 returned.
 */
static int write_end(fuse_req_t req, struct dossier_file *f, size_t size,
		     int counted, ssize_t n)
{
	dossier_file_write_end(fs_of(req)->archive, f, size, counted, n);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return -1;
	}
	dossier_file_mark_written(f);
	return 0;
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct dossier_file *f = file_of(fi);
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);

	(void)ino;
	if (file_check(req, f, 0) < 0)
		return;
	if (dossier_file_fd(f) < 0) {
		read_memory(req, f, size, off);
		return;
	}
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = dossier_file_fd(f);
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

/* A write to the control file: the request it adds to. */
static void control_write(fuse_req_t req, struct dossier_file *f,
			  struct fuse_bufvec *in, off_t off)
{
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	char *mem = malloc(out.buf[0].size ? out.buf[0].size : 1);
	ssize_t n;

	if (!mem) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	out.buf[0].mem = mem;
	if ((n = fuse_buf_copy(&out, in, 0)) < 0) {
		free(mem);
		fuse_reply_err(req, (int)-n);
		return;
	}
	n = dossier_file_pwrite(fs_of(req)->archive, f, mem, (size_t)n, off);
	free(mem);
	if (n < 0)
		reply_rc(req, (int)n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void fs_write_buf(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_bufvec *in, off_t off,
			 struct fuse_file_info *fi)
{
	struct dossier_file *f = file_of(fi);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
	ssize_t n;
	int rc;

	(void)ino;
	if (file_check(req, f, 1) < 0)
		return;
	if (dossier_file_fd(f) < 0) {
		control_write(req, f, in, off);
		return;
	}
	if ((rc = write_begin(req, f, off, out.buf[0].size)) < 0)
		return;
	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = dossier_file_fd(f);
	out.buf[0].pos = off;
	n = fuse_buf_copy(&out, in, 0);
	if (write_end(req, f, out.buf[0].size, rc, n) == 0)
		fuse_reply_write(req, (size_t)n);
}

static void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dossier_caller who = caller_of(req);
	int rc = dossier_file_flush(fs_of(req)->archive, file_of(fi), &who);

	/* the other sessions' pages and sizes of it are stale now (FLUSH
	 * carries no open flags: ask the file) */
	if (rc == 0 && dossier_file_writable(file_of(fi)))
		notify_changed(fs_of(req), 0, NULL, ino, 0);
	reply_rc(req, rc);
}

static void fs_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	int writable = dossier_file_writable(file_of(fi));
	int rc = dossier_file_release(fs_of(req)->archive, file_of(fi));

	/* writes through a mapping may come after the last flush */
	if (writable)
		notify_changed(fs_of(req), 0, NULL, ino, 0);
	reply_rc(req, rc);
}

static void fs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	int fd = dossier_file_fd(file_of(fi));
	int rc = fd < 0 ? 0 : datasync ? fdatasync(fd) : fsync(fd);

	(void)ino;
	fuse_reply_err(req, rc < 0 ? errno : 0);
}

static void fs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			 off_t offset, off_t length, struct fuse_file_info *fi)
{
	struct dossier_file *f = file_of(fi);
	ssize_t n;
	int rc;

	(void)ino;
	if ((rc = file_check(req, f, 1)) < 0)
		return;
	if (dossier_file_fd(f) < 0) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	/* punching a hole frees room: never refused for want of it */
	if (!(mode & FALLOC_FL_PUNCH_HOLE) &&
	    (rc = write_begin(req, f, offset, (size_t)length)) < 0)
		return;
	n = fallocate(dossier_file_fd(f), mode, offset, length) < 0 ? -errno : 0;
	if (write_end(req, f, (size_t)length, rc, n) == 0)
		fuse_reply_err(req, 0);
}

/* An open folder: its snapshot, and when it was taken (notify_epoch). */
struct fs_dir {
	struct dossier_dir *d;
	uint64_t epoch;
};

static void fs_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct dossier_caller who = caller_of(req);
	struct fs *fs = fs_of(req);
	struct fs_dir *fd;
	int rc;

	if (foreign(req))
		return;
	fd = malloc(sizeof(*fd));
	if (!fd) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	fd->epoch = notify_epoch(fs);
	rc = dossier_dir_open(fs->archive, &who, ino, &fd->d);
	if (rc < 0) {
		free(fd);
		reply_rc(req, rc);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)fd;
	/*
	 * Listings differ per caller: the shared mount never lets the
	 * kernel cache them; a view does (every change is notified).
	 */
	fi->cache_readdir = fi->keep_cache = view_caches(fs, ino, fd->epoch);
	if (fi->cache_readdir)
		notify_track_inode(fs, ino);
	if (fuse_reply_open(req, fi) == -ENOENT) {
		dossier_dir_free(fd->d);
		free(fd);
	}
}

/*
 * Entries 0 and 1 are "." and ".."; entry i >= 2 is the snapshot's i - 2.
 * The offset of an entry is the index of the next one.
 */
static void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi, int plus)
{
	struct fs_dir *fd = (struct fs_dir *)(uintptr_t)fi->fh;
	struct dossier_dir *d = fd->d;
	size_t total = dossier_dir_count(d) + 2, pos = 0, i, len;
	char *buf = malloc(size);

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (i = (size_t)off; i < total; i++) {
		const struct dossier_attr *at = NULL;
		struct fuse_entry_param e;
		struct stat st;
		const char *name;

		memset(&e, 0, sizeof(e));
		memset(&st, 0, sizeof(st));
		if (i < 2) {
			name = i == 0 ? "." : "..";
			st.st_ino = i == 0 ? ino : 1;
			st.st_mode = S_IFDIR;
			e.attr = st;	/* e.ino 0: not looked up */
		} else {
			name = dossier_dir_entry(d, i - 2, &at);
			st = at->st;
			fill_entry(&e, at);
			if (plus)
				cache_entry(fs_of(req), ino, name, &e, at,
					    fd->epoch);
		}
		if (plus)
			len = fuse_add_direntry_plus(req, buf + pos, size - pos,
						     name, &e, (off_t)i + 1);
		else
			len = fuse_add_direntry(req, buf + pos, size - pos,
						name, &st, (off_t)i + 1);
		if (len > size - pos)
			break;
		pos += len;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, fi, 0);
}

static void fs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			   off_t off, struct fuse_file_info *fi)
{
	readdir_common(req, ino, size, off, fi, 1);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct fs_dir *fd = (struct fs_dir *)(uintptr_t)fi->fh;

	(void)ino;
	dossier_dir_free(fd->d);
	free(fd);
	fuse_reply_err(req, 0);
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	int rc;

	(void)ino;
	if (foreign(req))
		return;
	rc = dossier_archive_statfs(fs_of(req)->archive, &sv);
	if (rc < 0)
		reply_rc(req, rc);
	else
		fuse_reply_statfs(req, &sv);
}

static void fs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct dossier_caller who = caller_of(req);

	if (foreign(req))
		return;
	reply_rc(req, dossier_archive_access(fs_of(req)->archive, &who, ino,
					     mask));
}

/*
 * Attribute name of ino, or with name NULL the list of them: size 0 asks
 * only how long the answer is.
 */
static void xattr_read(fuse_req_t req, fuse_ino_t ino, const char *name,
		       size_t size)
{
	struct dossier_caller who = caller_of(req);
	struct dossier_archive *a = fs_of(req)->archive;
	char *buf;
	size_t len = 0;
	int rc;

	if (foreign(req))
		return;
	buf = size ? malloc(size) : NULL;
	if (size && !buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (name)
		rc = dossier_archive_getxattr(a, &who, ino, name, buf, size,
					      &len);
	else
		rc = dossier_archive_listxattr(a, &who, ino, buf, size, &len);
	if (rc < 0)
		reply_rc(req, rc);
	else if (size)
		fuse_reply_buf(req, buf, len);
	else
		fuse_reply_xattr(req, len);
	free(buf);
}

static void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	xattr_read(req, ino, name, size);
}

static void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	xattr_read(req, ino, NULL, size);
}

/*
 * Reply rc to a request that, when done, changed attribute name of ino.
 * Classification attributes and ACLs decide who sees and reads what:
 * every session forgets the node before the syscall returns (a level
 * raised takes effect in every view at once). Other attributes are not
 * cached by the kernel.
 */
static void reply_xattr_changed(fuse_req_t req, fuse_ino_t ino,
				const char *name, int rc)
{
	if (rc == 0 && (!strncmp(name, "user.dossier.", 13) ||
			!strncmp(name, "system.posix_acl", 16)))
		notify_reclassified(fs_of(req), ino);
	reply_rc(req, rc);
}

static void fs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	struct dossier_caller who = caller_of(req);

	if (foreign(req))
		return;
	reply_xattr_changed(req, ino, name,
			    dossier_archive_setxattr(fs_of(req)->archive, &who,
						     ino, name, value, size,
						     flags));
}

static void fs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct dossier_caller who = caller_of(req);

	if (foreign(req))
		return;
	reply_xattr_changed(req, ino, name,
			    dossier_archive_removexattr(fs_of(req)->archive,
							&who, ino, name));
}

/*
 * Hard links, symbolic links and device nodes have no place in the
 * archive: a link would give one record two names (and two sets of
 * rights), and a symlink could point a caller at what they may not see.
 */
static void refuse_link(fuse_req_t req, const char *op, const char *what)
{
	dossier_log(LOG_NOTICE, "refused %s by uid %u: the archive has no %s",
		    op, (unsigned)fuse_req_ctx(req)->uid, what);
	fuse_reply_err(req, EPERM);
}

static void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	refuse_link(req, "link", "hard links");
}

static void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		       const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	refuse_link(req, "symlink", "symbolic links");
}

static void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	struct dossier_caller who = caller_of(req);
	struct fs *fs = fs_of(req);
	uint64_t epoch = notify_epoch(fs);
	struct dossier_file *f = NULL;
	struct dossier_attr at;
	int rc;

	if (foreign(req))
		return;
	(void)rdev;
	if (!S_ISREG(mode)) {
		dossier_log(LOG_NOTICE, "refused mknod by uid %u: the archive "
			    "holds no %s", (unsigned)who.uid,
			    S_ISFIFO(mode) ? "FIFOs" : S_ISSOCK(mode) ?
			    "sockets" : "device nodes");
		fuse_reply_err(req, EPERM);
		return;
	}
	/* mknod of a regular file (some tools): a create and a close */
	rc = dossier_archive_create_file(fs->archive, &who, parent, name, mode,
					 O_WRONLY, &at, &f);
	if (rc == 0) {
		dossier_file_release(fs->archive, f);
		notify_changed(fs, parent, name, 0, CHANGE_NAME);
	}
	reply_entry(req, parent, name, rc, &at, epoch);
}

const struct fuse_lowlevel_ops fs_ops = {
	.link = fs_link,
	.symlink = fs_symlink,
	.mknod = fs_mknod,
	.init = fs_init,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.unlink = fs_unlink,
	.rename = fs_rename,
	.create = fs_create,
	.open = fs_open,
	.read = fs_read,
	.write_buf = fs_write_buf,
	.flush = fs_flush,
	.release = fs_release,
	.fsync = fs_fsync,
	.fallocate = fs_fallocate,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.readdirplus = fs_readdirplus,
	.releasedir = fs_releasedir,
	.statfs = fs_statfs,
	.access = fs_access,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.setxattr = fs_setxattr,
	.removexattr = fs_removexattr,
};
