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
	struct dossier_trash *trash;	/* its own lock (trash_i.h) */
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
/* 1 if ino belongs to a virtual tree (history, trash, control, views). */
static inline int ino_is_virtual(uint64_t ino)
{
	return ino >= HIST_DIR_BASE;
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

/* Give record id a new content generation (lock held). */
int archive_bump_cgen(struct dossier_archive *a, uint64_t id);

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

/* Node rows (core/catalog/nodes.c) and statements (catalog.c). */

/*
 * Run one statement, kept prepared (archive_stmt: sql a string literal),
 * its parameters bound by types as dossier_db_bind() does (db_i.h): 'i'
 * int64_t, 't' text (NULL binds NULL), 'n' NULL. Lock held.
 */
int archive_exec(struct dossier_archive *a, const char *sql,
		 const char *types, ...);

/*
 * The first column of the first row of sql as an integer, 0 if no row;
 * sql is bound as archive_exec binds it. Lock held.
 */
int64_t archive_query_id(struct dossier_archive *a, const char *sql,
			 const char *types, ...);

/* Prepare every statement, with "%s" in its text standing for node_cols. */
int archive_prepare_all(struct dossier_archive *a);

/* Fetch one row from a prepared lookup; resets st. Lock held. */
int archive_fetch_node(struct dossier_archive *a, sqlite3_stmt *st,
		      struct node *out);

int archive_has_child(struct dossier_archive *a, uint64_t id, int any);

int archive_insert_node(struct dossier_archive *a, uint64_t parent,
		       const char *name, int kind, int64_t category,
		       int scratch, mode_t mode, uid_t uid, gid_t gid,
		       int64_t t, uint64_t *id_out);

int archive_touch_node(struct dossier_archive *a, uint64_t id, int64_t t);

int archive_delete_node(struct dossier_archive *a, uint64_t id);

/* 1 if anc is id or one of its ancestors. */
int archive_is_ancestor(struct dossier_archive *a, uint64_t anc, uint64_t id);

int archive_is_scratch_name(struct dossier_archive *a, const char *name);

int archive_load_patterns(struct dossier_archive *a);

/*
 * Live folder id, to make or move a name into (lock held):
 * DOSSIER_ENOTFOUND if it has been deleted, DOSSIER_ENOTDIR if a file.
 */
int archive_get_folder(struct dossier_archive *a, uint64_t id,
		       struct node *out);

/* The name of node id, live or deleted (lock held); caller frees. NULL if
 * there is no such node or no memory. */
char *archive_node_name(struct dossier_archive *a, uint64_t id);

#endif
