#ifndef DOSSIER_CORE_ARCHIVE_H
#define DOSSIER_CORE_ARCHIVE_H

/*
 * libdossier's entry point: one open archive (catalog + content store),
 * and the operations of the tree, each decided for a caller. Thread-safe:
 * every function may be called from any thread; the archive serialises
 * catalog access internally.
 */

#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

struct dossier_archive;
struct dossier_file;
struct dossier_dir;

/* Who asks: taken from the kernel (FUSE request context), never argued. */
struct dossier_caller {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

enum dossier_kind {
	DOSSIER_KIND_ROOT = 0,
	DOSSIER_KIND_YEAR = 1,
	DOSSIER_KIND_CATEGORY = 2,
	DOSSIER_KIND_CLIENT = 3,
	DOSSIER_KIND_FOLDER = 4,
	DOSSIER_KIND_FILE = 5,
};

/* 1 if a folder of this kind may hold records: a client folder or below. */
static inline int dossier_kind_holds_files(int kind)
{
	return kind == DOSSIER_KIND_CLIENT || kind == DOSSIER_KIND_FOLDER;
}

#define DOSSIER_ROOT_ID 1

/* What a lookup or getattr answers. */
struct dossier_attr {
	uint64_t id;
	enum dossier_kind kind;
	struct stat st;		/* st_ino == id */
	double entry_ttl;	/* seconds the kernel may cache the name */
	double attr_ttl;	/* seconds the kernel may cache st */
	/*
	 * A record that a rename onto another may replace by its content
	 * (a scratch file, or one with no history yet): its node may be
	 * gone at the next rename, so its name is never cached.
	 */
	int save_source;
};

enum dossier_lang {
	DOSSIER_LANG_EN = 0,
	DOSSIER_LANG_ZH = 1,
};

/*
 * Create a new, empty archive in directory path (created if missing; must
 * be empty otherwise) with the default categories in lang. The archive is
 * readable and writable by root only.
 */
int dossier_archive_create(const char *path, enum dossier_lang lang);

enum dossier_archive_open_flags {
	DOSSIER_ARCHIVE_OPEN_READONLY = 1 << 0,
	/* the serving daemon: keeps history (one per archive at a time) */
	DOSSIER_ARCHIVE_OPEN_SERVE = 1 << 1,
	/* fail with DOSSIER_EBUSY if a daemon serves the archive now */
	DOSSIER_ARCHIVE_OPEN_PROBE = 1 << 2,
};

/*
 * Open the archive at path. Refuses (DOSSIER_ENOTFOUND, DOSSIER_ECORRUPT)
 * with a message saying what is wrong when the catalog or content store is
 * missing or damaged. Caller frees with dossier_archive_close().
 */
int dossier_archive_open(struct dossier_archive **out, const char *path,
			 unsigned flags);

/* Flush everything and free; accepts NULL. */
void dossier_archive_close(struct dossier_archive *a);

/* The site this mount serves (-o site=NAME); NULL or "" for none. */
void dossier_archive_set_site(struct dossier_archive *a, const char *site);

/*
 * Map Unix account uid to user name with a role and department (see
 * PRODUCT.md for the roles). The caller decides who may do this.
 */
int dossier_archive_user_add(struct dossier_archive *a, uid_t uid,
			     const char *name, const char *role,
			     const char *dept);

/* The directory the archive lives in; borrowed. */
const char *dossier_archive_path(const struct dossier_archive *a);

/*
 * Callbacks through which the archive asks the kernel layer to drop cached
 * names and inodes (grants, category renames, content replaced behind an
 * inode). They may be called with internal locks held: implementations
 * must only queue the request.
 */
struct dossier_notify_ops {
	void (*inval_entry)(void *ctx, uint64_t parent, const char *name);
	void (*inval_inode)(void *ctx, uint64_t id);
	/* everything any session may have cached (who sees what changed) */
	void (*inval_all)(void *ctx);
	/* wait until what was queued is done (never with the lock held) */
	void (*sync)(void *ctx);
};
void dossier_archive_set_notify(struct dossier_archive *a,
				const struct dossier_notify_ops *ops,
				void *ctx);

/* Tree operations. Names are single components as given by the caller. */
int dossier_archive_lookup(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name, struct dossier_attr *out);
int dossier_archive_getattr(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    struct dossier_attr *out);
int dossier_archive_mkdir(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *name, mode_t mode,
			  struct dossier_attr *out);
int dossier_archive_rmdir(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *name);
int dossier_archive_unlink(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name);

enum dossier_rename_flags {
	DOSSIER_RENAME_NOREPLACE = 1 << 0,
};
int dossier_archive_rename(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name, uint64_t newparent,
			   const char *newname, unsigned flags);

/* access(2) for the caller: mask of R_OK W_OK X_OK (F_OK = 0). */
int dossier_archive_access(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t id,
			   int mask);

int dossier_archive_statfs(struct dossier_archive *a, struct statvfs *out);

/* Which attributes dossier_archive_setattr changes. */
enum dossier_setattr_flags {
	DOSSIER_SET_MODE = 1 << 0,
	DOSSIER_SET_UID = 1 << 1,
	DOSSIER_SET_GID = 1 << 2,
	DOSSIER_SET_SIZE = 1 << 3,
	DOSSIER_SET_ATIME = 1 << 4,
	DOSSIER_SET_MTIME = 1 << 5,
	DOSSIER_SET_ATIME_NOW = 1 << 6,
	DOSSIER_SET_MTIME_NOW = 1 << 7,
};

/* f may be NULL (path-based) or the caller's open file (ftruncate etc.). */
int dossier_archive_setattr(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    struct dossier_file *f, const struct stat *st,
			    unsigned set, struct dossier_attr *out);

/*
 * Open files. open_flags are open(2) flags. The returned file owns a
 * descriptor on the record's content (dossier_file_fd), usable for
 * pread/pwrite/fsync/fallocate directly: the data path never enters the
 * catalog. *keep_cache tells whether the kernel may keep pages cached
 * from an earlier open (content unchanged behind its back).
 */
int dossier_archive_create_file(struct dossier_archive *a,
				const struct dossier_caller *who,
				uint64_t parent, const char *name, mode_t mode,
				int open_flags, struct dossier_attr *attr,
				struct dossier_file **out);
/* How the kernel should treat an open file's pages. */
struct dossier_open_info {
	int keep_cache;	/* pages cached from an earlier open are valid */
	int direct_io;	/* no page cache at all (control file) */
	int on_grant;	/* opened thanks to a grant: re-checked per read */
};
int dossier_archive_open_file(struct dossier_archive *a,
			      const struct dossier_caller *who, uint64_t id,
			      int open_flags, struct dossier_file **out,
			      struct dossier_open_info *info);

/* The content descriptor; borrowed, valid until dossier_file_release. */
int dossier_file_fd(const struct dossier_file *f);

/* The record the file belongs to. */
uint64_t dossier_file_id(const struct dossier_file *f);

/*
 * Check before each read or write that the caller's right still holds
 * (grants expire while files are open): 0, or DOSSIER_EDENIED (logged and
 * audited). Before a write, a save still waiting on f's content first
 * gets its own copy of it; if that fails, its error is returned.
 */
int dossier_file_check(struct dossier_archive *a, struct dossier_file *f,
		       int writing);

/*
 * dossier_archive_getattr, asked through f (NULL: no descriptor): if f's
 * opener has lost the record, the answer is f's refusal (DOSSIER_EDENIED,
 * as its reads say), not "no such file": the holder knows the file.
 */
int dossier_file_getattr(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t id,
			 struct dossier_file *f, struct dossier_attr *out);

/* Note that data was written through f (a save happens at release). */
void dossier_file_mark_written(struct dossier_file *f);

/*
 * Before writing size bytes at off through f: >= 0 to go ahead (hand it
 * to dossier_file_write_end() as counted), or DOSSIER_EFBIG past the
 * record size limit (policy setting max-record-size), DOSSIER_ENOSPC
 * when the write would take the room kept on the archive's disk for the
 * catalog and history (both logged).
 */
int dossier_file_write_begin(struct dossier_archive *a,
			     struct dossier_file *f, off_t off, size_t size);

/* After that write: result is its byte count or -errno. */
void dossier_file_write_end(struct dossier_archive *a, struct dossier_file *f,
			    size_t size, int counted, ssize_t result);

/*
 * A write through f failed with errno err: the kernel's cached size and
 * pages of the record are forgotten at its next lookup (logged unless
 * err is EFBIG, which the caller reported).
 */
void dossier_file_write_failed(struct dossier_archive *a,
			       struct dossier_file *f, int err);

/*
 * The caller closed a descriptor of f (close(2) waits for this): if data
 * was written since the last save, or the record is new, this is one save
 * of the record, journaled before returning so it survives a crash.
 */
int dossier_file_flush(struct dossier_archive *a, struct dossier_file *f,
		       const struct dossier_caller *who);

/* Close f (a save if anything was written since the last flush). Frees f. */
int dossier_file_release(struct dossier_archive *a, struct dossier_file *f);

/*
 * Folder listings: a snapshot taken at open, so offsets stay stable while
 * entries come and go. Entries carry attributes (for readdirplus).
 */
int dossier_dir_open(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t id,
		     struct dossier_dir **out);
size_t dossier_dir_count(const struct dossier_dir *d);
/* Entry i: name and attributes; borrowed from d. */
const char *dossier_dir_entry(const struct dossier_dir *d, size_t i,
			      const struct dossier_attr **attr);
void dossier_dir_free(struct dossier_dir *d);

/*
 * Extended attributes. user.* names are kept per node in the catalog
 * (values up to 64 KiB, Samba's limit); other namespaces are refused with
 * DOSSIER_ENOTSUP. get/list with size 0 report the needed size in *len.
 */
int dossier_archive_getxattr(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t id,
			     const char *name, void *buf, size_t size,
			     size_t *len);
int dossier_archive_setxattr(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t id,
			     const char *name, const void *value, size_t size,
			     int flags);
int dossier_archive_listxattr(struct dossier_archive *a,
			      const struct dossier_caller *who, uint64_t id,
			      char *buf, size_t size, size_t *len);
int dossier_archive_removexattr(struct dossier_archive *a,
				const struct dossier_caller *who, uint64_t id,
				const char *name);

struct dossier_buf;

/*
 * Run one control request (what dossierctl sends through /.dossier/ctl)
 * for who, appending the reply to out: first line "STATUS<TAB>MESSAGE"
 * (0 done, 1 refused, 2 usage), then the body. Returns the status.
 */
int dossier_archive_control(struct dossier_archive *a,
			    const struct dossier_caller *who, const char *req,
			    size_t len, struct dossier_buf *out);

/*
 * Files without a descriptor (the control file) are read and written
 * through these; dossier_file_fd() returns -1 for them. A control request
 * runs, at the first read after it was written, for the process that
 * opened the file (never for whoever holds the descriptor then).
 * dossier_file_pread returns the bytes read, or a negative enum dossier_err
 * with the error text set (a file with a descriptor reads from it: a
 * failed pread(2) gives dossier_err_from_errno()'s code, DOSSIER_EIO for
 * most); dossier_file_pwrite the same way, the bytes taken (a control
 * request beyond 64 KiB: DOSSIER_EFBIG).
 */
ssize_t dossier_file_pread(struct dossier_archive *a, struct dossier_file *f,
			   char *buf, size_t size, off_t off);
ssize_t dossier_file_pwrite(struct dossier_archive *a, struct dossier_file *f,
			    const char *buf, size_t size, off_t off);

/* Categories (dossierctl). */
int dossier_category_add(struct dossier_archive *a, const char *name);
int dossier_category_rename(struct dossier_archive *a, const char *from,
			    const char *to);
/* A category's retention period in years; years < 0: permanent. */
int dossier_category_set_retention(struct dossier_archive *a,
				   const char *name, int years);
/* Calls fn for each category in display order; stops if fn returns != 0. */
int dossier_category_list(struct dossier_archive *a,
			  int (*fn)(void *ctx, const char *name,
				    int retention_years),
			  void *ctx);

/*
 * Fill a fresh archive with sample clients, years, records in every
 * category (dossierctl init --demo). Acts as root.
 */
int dossier_archive_fill_demo(struct dossier_archive *a);

#endif
