#ifndef DOSSIER_CORE_ARCHIVE_I_H
#define DOSSIER_CORE_ARCHIVE_I_H

/* Core-only layout of the archive. */

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "archive.h"

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
};

#define CACHE_SLOTS 4096

/*
 * Lock rules: lock protects db, every prepared statement, patterns and
 * seen_ino. It is never held across a call into the notify callbacks'
 * consumers (they only queue). contentfd and rootfd are read-only after
 * open.
 */
struct dossier_archive {
	char *path;
	int rootfd;
	int contentfd;
	unsigned flags;
	pthread_mutex_t lock;
	sqlite3 *db;			/* protected by lock */
	sqlite3_stmt *st[ST__COUNT];	/* protected by lock */
	char **patterns;		/* protected by lock */
	size_t npatterns;
	struct {
		uint64_t id;
		uint64_t ino;
	} seen_ino[CACHE_SLOTS];	/* protected by lock */
	const struct dossier_notify_ops *notify;
	void *notify_ctx;
	struct dossier_history *history;	/* NULL: not serving */
	int lockfd;			/* flock: one serving daemon */
};

struct dossier_file {
	uint64_t id;
	int fd;
	int written;		/* data written since the last save */
	int created;		/* new record, no save yet */
	int flags;
	struct dossier_caller who;
};

/* Content file of record id, relative to contentfd ("ab/123"). */
void content_relpath(char *out, size_t outsz, uint64_t id);

/* now, in nanoseconds since the epoch */
int64_t archive_now_ns(void);

/*
 * The '/'-joined path of node id below the root, live or deleted
 * ("2024/contracts/ACME/x.pdf"). Lock held. Caller frees.
 */
char *archive_node_path(struct dossier_archive *a, uint64_t id);

/*
 * Journal a change of record in the catalog (lock held; inside the
 * caller's transaction if one is open) and wake the committer.
 */
int archive_journal(struct dossier_archive *a, uint64_t record,
		    const char *op, const char *path, const char *old_path,
		    const char *spool, const char *blob,
		    const struct dossier_caller *who, const char *reason,
		    int64_t t);

#endif
