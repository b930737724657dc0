#ifndef DOSSIER_CORE_ARCHIVE_I_H
#define DOSSIER_CORE_ARCHIVE_I_H

/* Core-only layout of the archive. */

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "archive.h"
#include "buf.h"
#include "clock.h"

enum stmt_id {
	ST_LOOKUP,
	ST_GET,
	ST_LIST,
	ST_INSERT,
	ST_TOUCH,
	ST_HASCHILD,
	ST_HASANYCHILD,
	ST_DELETE,
	ST_SOFTDEL,
	ST_MOVE,
	ST_SETOWNER,
	ST_SETDIRTIME,
	ST_CATEGORIES,
	ST_ANCESTORS,
	ST__COUNT
};

/* A node row as the catalog holds it. */
struct node {
	uint64_t id;
	uint64_t parent;
	int kind;
	int scratch;
	int64_t category;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t mtime_ns;
	int64_t ctime_ns;
	int deleted;
	int has_hist;		/* the repository holds a version */
	int64_t displaced_ns;	/* renamed away from prev_name at */
	int64_t cgen;		/* content generation */
	int level;		/* 0 internal .. 3 topsecret */
	int scope;		/* enum dossier_scope */
	char dept[64];		/* owning department, "" none */
	/*
	 * A scratch file's origin: the record it was derived from (vim's
	 * swap and backup, a lock file, the old content a save left behind),
	 * decided as that record is; SCRATCH_PRIVATE: derived from nothing
	 * the creator could see (a save's temp), its creator's alone; 0: a
	 * record, decided on its own classification.
	 */
	int64_t derived;
	/*
	 * The entry that held this one's name, hidden from whoever gave it
	 * the name (polyinstantiation): whoever may list that entry sees
	 * this one only as "STEM (#ID).EXT". 0: none.
	 */
	int64_t twin_of;
};

#define SCRATCH_PRIVATE (-1)
/* columns of archive_node_cols; a SELECT of them may add its own after */
#define ARCHIVE_NODE_NCOLS 19


/*
 * Lock rules: lock protects db, every prepared statement, patterns and
 * nothing else. It is never held across a call into the notify callbacks'
 * consumers (they only queue). contentfd and rootfd are read-only after
 * open.
 */
#define VIS_SLOTS 1024
#define STMT_CACHE 128

struct dossier_archive {
	char *path;
	int rootfd;
	int contentfd;
	unsigned flags;
	pthread_mutex_t lock;
	sqlite3 *db;			/* protected by lock */
	sqlite3_stmt *st[ST__COUNT];	/* protected by lock */
	struct {
		const char *sql;	/* a string literal: its address */
		sqlite3_stmt *st;
	} cache[STMT_CACHE];		/* protected by lock */
	char **patterns;		/* protected by lock */
	size_t npatterns;
	const struct dossier_notify_ops *notify;
	void *notify_ctx;
	const struct dossier_session_ops *sessions;	/* views (session.h) */
	void *sessions_ctx;
	struct dossier_history *history;	/* NULL: not serving */
	struct dossier_rules *rules;	/* protected by lock */
	struct dossier_audit *audit;	/* NULL: not serving */
	struct dossier_text *text;	/* NULL: no text worker here */
	char site[64];			/* -o site=NAME, "" for none */
	uint64_t generation;		/* protected by lock: bumped per change */
	struct {
		uint64_t id;
		uid_t uid;
		uint64_t generation;
		int64_t sec;
		int visible;
	} vis[VIS_SLOTS];		/* protected by lock */
	int lockfd;			/* flock: one serving daemon */
	struct dossier_file *files;	/* protected by lock: open records */
	int refused_open;		/* protected by lock: files refused
					 * since the last archive_notify_wait */
	/* grants end by the clock: their open files are swept each second */
	pthread_t sweeper;
	pthread_cond_t sweep_cond;	/* with lock */
	int sweeping;			/* the sweeper runs */
	int sweep_stop;			/* protected by lock */
	int64_t max_size;		/* atomic: limits.c's cache of */
	int64_t max_size_sec;		/* max-record-size, and when read */
	int64_t space_low;		/* atomic: limits.c: disk nearly full */
	int64_t space_ns;		/* atomic: when space_low was found */
	int64_t space_busy;		/* atomic: bytes of writes under way */
};

struct dossier_file {
	uint64_t id;
	int fd;			/* -1: the control file */
	int virt;		/* a .history version or the control file */
	struct dossier_buf req;	/* control file: the request written */
	struct dossier_buf reply;	/* control file: its reply */
	int answered;
	int written;		/* data written since the last save */
	int created;		/* new record, no save yet */
	int on_grant;		/* opened thanks to a grant: re-checked */
	int write_err;		/* a write failed (logged once): errno */
	int flags;
	struct dossier_caller who;
	/*
	 * Access taken away reaches open files (archive_changed): the
	 * generation the caller's right was last confirmed at, whether a
	 * change refused it since, the kernel inode it was opened on (whose
	 * pages are dropped then), and the archive's list of open records.
	 * All protected by the archive's lock, except checked, which the
	 * data path compares unlocked (atomically) to skip the lock.
	 */
	uint64_t checked;
	int revoked;
	uint64_t nodeid;
	struct dossier_file *next, *prev;
};

/* Content file of record id, relative to contentfd ("ab/123"). */
void content_relpath(char *out, size_t outsz, uint64_t id);

/* What a caller asks to do, for archive_decide(). */
enum action {
	ACT_LIST,
	ACT_READ,
	ACT_WRITE,
	ACT_CREATE,
	ACT_DELETE,
	ACT_HISTORY,
	ACT_CLASSIFY,
	ACT_GRANT,
};

/*
 * Inode numbers of the virtual trees (never catalog ids, which stay far
 * below 2^48): /.history, /.dossier/ctl, and per-node views. The kind is
 * ino >> 60: 1-4 here, 5-7 /.Trash-UID (trash_i.h), 12-13 every folder's
 * .snapshots (snapshots_i.h).
 */
#define VIRT_BASE (1ULL << 62)
#define INO_HISTORY (VIRT_BASE + 1)
#define INO_CTLDIR (VIRT_BASE + 2)
#define INO_CTL (VIRT_BASE + 3)
#define INO_TRASH (VIRT_BASE + 4)
#define HIST_DIR_BASE (1ULL << 60)	/* | node id: history of a node */
#define HIST_VER_BASE (2ULL << 60)	/* | version id: one version */
#define TRASH_BASE (3ULL << 60)		/* | node id: trash view entries */
#define VIRT_KIND(ino) ((ino) >> 60)

/*
 * The kernel's inode number (FUSE nodeid) of a record is its id plus its
 * content generation in bits 48-59. When content is replaced behind the
 * kernel's back (a save by rename, a restore), the generation moves on
 * and the next lookup hands the kernel a new inode: with the writeback
 * cache the kernel trusts its own size and pages of a cached inode, so
 * the old one must not be reused. st_ino stays the plain id.
 */
#define ID_BITS 48
#define ID_MASK ((1ULL << ID_BITS) - 1)
#define NODEID(id, gen) ((id) | ((((uint64_t)(gen)) & 0xfff) << ID_BITS))
static inline uint64_t node_of(uint64_t ino)
{
	return ino >= HIST_DIR_BASE ? ino : ino & ID_MASK;
}
#define VIRT_ID(ino) ((ino) & ((1ULL << 60) - 1))

/* SELECT list of a node row (archive_row_to_node reads it). */
extern const char *const archive_node_cols;

/* Lock held for all of these. */
int archive_get_node(struct dossier_archive *a, uint64_t id, struct node *out);
/*
 * The live entry named nfc in parent, whoever may see it: the oldest,
 * when records hidden from each other share the name (see
 * archive_find_visible). DOSSIER_ENOTFOUND if none.
 */
int archive_find_child(struct dossier_archive *a, uint64_t parent,
		       const char *nfc, struct node *out);
/*
 * The live entry named nfc in parent as who sees it: the oldest of that
 * name who may list, or the one a disambiguated name "STEM (#ID).EXT"
 * names (see archive_shown_name). A name held only by entries hidden
 * from who answers DOSSIER_ENOTFOUND, exactly as a name nobody has: a
 * create, mkdir or rename onto it makes a second entry of that name
 * (polyinstantiation, docs/design.md).
 */
int archive_find_visible(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t parent,
			 const char *nfc, struct node *out);
/*
 * The first entry named nfc in parent, among those the SQL condition
 * cond (and its ORDER BY) selects, that who may list: names are shared by
 * entries hidden from each other, and a hidden one must not stand in
 * front of one the caller may see. DOSSIER_ENOTFOUND if none. Lock held.
 */
int archive_first_listed(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t parent,
			 const char *nfc, const char *cond, struct node *out);

/*
 * The name who is shown for entry id named nfc when an older entry of the
 * same name is visible to who as well: "STEM (#ID).EXT" (folders:
 * "NAME (#ID)"), written into out.
 */
void archive_shown_name(char *out, size_t outsz, const char *nfc,
			uint64_t id, int is_file);

/*
 * Entry id has just taken name nfc in parent for who (a create, a move,
 * a restore): if an entry hidden from who holds that name, or left it a
 * moment ago in an editor's save dance, id becomes its twin (twin_of),
 * else no twin at all. Lock held, in a transaction.
 */
int archive_take_name(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t id,
		      uint64_t parent, const char *nfc, int64_t t);
/* Attributes of n as who sees them (who NULL: as stored). */
int archive_node_attr(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      struct dossier_attr *out);
void archive_row_to_node(sqlite3_stmt *st, struct node *n);
/* 0 if who may do act on n, else DOSSIER_EDENIED with the reason set. */
int archive_decide(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, const struct node *parent,
		   enum action act);
struct dossier_verdict;
struct dossier_object;
/* The full verdict (rule, grant, reason) of who doing act on n. */
int archive_verdict(struct dossier_archive *a, const struct dossier_caller *who,
		    const struct node *n, enum action act,
		    struct dossier_verdict *v);
/* The rules' view of n. */
void archive_object(const struct node *n, struct dossier_object *o);
int archive_exec(struct dossier_archive *a, const char *sql,
		 const char *types, ...);
/*
 * A statement prepared once and kept for the archive's life (lock held):
 * sql must be a string literal, its address is the key. Hand it back with
 * archive_stmt_done (reset, bindings cleared), never finalize it.
 */
int archive_stmt(struct dossier_archive *a, const char *sql,
		 sqlite3_stmt **out);
void archive_stmt_done(sqlite3_stmt *st);
int archive_begin(struct dossier_archive *a);
int archive_end(struct dossier_archive *a, int rc);
/*
 * Something that may change who may do what happened (lock held): a
 * grant, a revoke, a policy or user edit, a reclassification. Forgets
 * cached folder answers, and every open record whose opener lost the
 * right it was opened with is refused from now on, its pages dropped
 * from the kernel's cache (queued; archive_notify_wait waits for it).
 * Every catalog write also forgets cached answers (archive_end).
 */
void archive_changed(struct dossier_archive *a);

/*
 * Wait until the kernel has dropped what archive_changed asked it to
 * (the lock must not be held: the kernel may wait on a request that
 * needs it). Before a command that took access away returns.
 */
void archive_notify_wait(struct dossier_archive *a);

/* Give record id a new content generation (lock held). */
int archive_bump_cgen(struct dossier_archive *a, uint64_t id);

/*
 * Folder attributes beyond the row (core/folder.c, lock held): st_nlink
 * is 2 + the sub-folders who may list (who NULL: all of them), st_atim
 * the access time set by utimensat(2), else the mtime.
 */
void archive_folder_attr(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct node *n, struct stat *st);
/*
 * 0 if record id may grow to end bytes (policy setting max-record-size),
 * else DOSSIER_EFBIG with the reason set. locked: the caller holds the
 * lock (core/limits.c).
 */
int archive_size_allowed(struct dossier_archive *a, uint64_t id, off_t end,
			 int locked);

/* Bytes of the archive's filesystem kept free of content (limits.c). */
struct statvfs;
int64_t archive_space_reserve(const struct statvfs *sv);

/*
 * May history write need more bytes? 0, or DOSSIER_ENOSPC (reason set)
 * when that would eat into the second half of the reserve (limits.c).
 */
int archive_space_room(struct dossier_archive *a, int64_t need);

/* Remember a folder's access time t (ns). Lock held. */
int archive_folder_set_atime(struct dossier_archive *a, uint64_t id,
			     int64_t t);

/*
 * A refusal: one NOTICE log line and one audit row (path of id, plus
 * name when given); returns rc. The archive lock must not be held.
 */
int archive_deny(struct dossier_archive *a, const struct dossier_caller *who,
		 const char *op, uint64_t id, const char *name, int rc);

/* The rule that decided this thread's last verdict (0: none). */
int64_t archive_last_rule(void);

/* Log a refusal (NOTICE) and return rc; see archive_deny. */
int archive_refuse(const struct dossier_caller *who, const char *op,
		   uint64_t id, const char *name, int rc);


/*
 * The '/'-joined canonical path of node id below the root, live or
 * deleted ("2024/contracts/ACME/x.pdf"), as history and the trash keep
 * it: a component that shares its name with an older live entry carries
 * "\001ID" after the name. Lock held. Caller frees.
 */
char *archive_node_path(struct dossier_archive *a, uint64_t id);

/*
 * Drop the "\001ID" marks of canonical paths from text shown to a caller
 * (s is changed in place; every control reply passes through this): a
 * caller must not learn that a name it holds is held by a record hidden
 * from it. Returns s.
 */
char *archive_path_shown(char *s);

/*
 * Journal a change of record in the catalog (lock held; inside the
 * caller's transaction if one is open) and wake the committer.
 */
int archive_journal(struct dossier_archive *a, uint64_t record,
		    const char *op, const char *path, const char *old_path,
		    const char *spool, const char *blob,
		    const struct dossier_caller *who, const char *reason,
		    int64_t t);
/* The same for a content change whose snapshot is spool (a spool file)
 * or, when spool is "", data (kept in the journal row). */
struct dossier_buf;
int archive_journal_snap(struct dossier_archive *a, uint64_t record,
			 const char *op, const char *path, const char *spool,
			 const struct dossier_buf *data,
			 const struct dossier_caller *who, const char *reason,
			 int64_t t);

#endif
