#ifndef DOSSIER_CORE_HISTORY_I_H
#define DOSSIER_CORE_HISTORY_I_H

/*
 * History (core-only): every change of a record is journaled in the
 * catalog at the moment it happens (in the same transaction, or at close
 * with a snapshot of the content), and a committer thread turns due
 * journal entries into commits of the history repository, one commit per
 * entry, plus one row of the version index.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "archive.h"
#include "buf.h"
#include "gitstore.h"

struct dossier_history;

/*
 * How long a journaled change waits before it is committed, so that the
 * steps of an editor's save (delete then rename, rename away then create)
 * collapse into one entry. Revivals only look this far back.
 */
#define HISTORY_WINDOW_NS 1000000000LL

/*
 * What the committer calls in the layers above history (the trash's
 * daily purge, the full-text index): given at history_open(), so that
 * history never names them. Any of them may be NULL.
 */
struct history_hooks {
	/*
	 * Between drains, on the committer thread, no lock held: the daily
	 * work of the layers above. *next_ns is theirs to keep from one
	 * call to the next (0 at first).
	 */
	void (*daily)(void *ctx, int64_t now_ns, int64_t *next_ns);
	/*
	 * Content version `version` (a version row id) of record was
	 * indexed: archive lock held, inside the committer's transaction.
	 * A failure rolls the transaction back (the entry is retried).
	 */
	int (*version_indexed)(void *ctx, int64_t version, uint64_t record);
	/*
	 * A transaction that indexed a content version committed (lock
	 * held): wake whoever works on new versions.
	 */
	void (*versions_committed)(void *ctx);
	void *ctx;
};

/*
 * Open (with create, create) the repository of archive a. Does not start
 * the committer. hooks (copied; NULL: none) are what the committer calls
 * above it. Caller frees with history_close().
 */
int history_open(struct dossier_history **out, struct dossier_archive *a,
		 int create, const struct history_hooks *hooks);

/*
 * Heal after a crash (the last commit made but not indexed), commit what
 * the journal holds and reconcile current content with the last commit,
 * committing differences as recovered changes; then start the committer
 * thread.
 */
int history_start(struct dossier_history *h);

/* Stop the committer after committing everything journaled; free h. */
void history_close(struct dossier_history *h);

/* Wake the committer (a change was journaled). */
void history_kick(struct dossier_history *h);

/* The repository; use under history_git_lock(). */
struct dossier_git *history_git(struct dossier_history *h);
void history_git_lock(struct dossier_history *h);
void history_git_unlock(struct dossier_history *h);

/*
 * Snapshot the whole content of fd: what the journal entry will commit,
 * whatever happens to the record afterwards. Up to HISTORY_INLINE_MAX
 * bytes go to data (the journal row keeps them) and name is ""; larger
 * content is copied into a new spool file whose name goes to name (at
 * least 32 bytes).
 */
#define HISTORY_INLINE_MAX (64 * 1024)
int history_spool(struct dossier_history *h, int fd, char *name,
		  size_t namesz, struct dossier_buf *data);

/*
 * Deferred snapshots. A save of more than HISTORY_INLINE_MAX bytes is not
 * copied at close: its journal row names the content inode (column live)
 * and history_live_add() keeps a read-only descriptor of it until the
 * committer has hashed it. Whatever changes a content inode first calls
 * history_live_settle() (writes, truncation, fallocate; wait: may sleep on
 * the archive's lock while the committer reads it, so never inside a
 * transaction), which copies a still deferred snapshot into its row;
 * whatever replaces a record's content file calls
 * history_live_settle_record() (wait: as above; without, snapshots being
 * hashed or copied are left to that), so a restart finds each row's
 * inode.
 * All but history_live_any()/history_live_room() with the archive's lock
 * held. At most HISTORY_LIVE_MAX at once; beyond, saves copy at close.
 */
#define HISTORY_LIVE_MAX 256
int history_live_any(struct dossier_history *h);
int history_live_room(struct dossier_history *h);
int history_live_add(struct dossier_history *h, int64_t seq,
		     uint64_t record, int fd, const struct stat *st);
int history_live_settle(struct dossier_history *h, const struct stat *st,
			int wait);
int history_live_settle_record(struct dossier_history *h, uint64_t record,
			       int wait);
/* Forget deferred snapshots of record whose journal rows are gone. */
void history_live_prune(struct dossier_history *h, uint64_t record);

/* Remove a spool file that no journal entry took. */
void history_discard_spool(struct dossier_history *h, const char *name);

/* Commit everything due now (or everything, with all); for tests/shutdown. */
int history_drain(struct dossier_history *h, int all);

/*
 * Run fn(arg) with the history quiet: no batch, upkeep or purge of the
 * repository runs (a batch under way is finished first) and the git lock
 * is held (use history_git(h) inside fn). The archive's lock is not held:
 * fn may take it; saves go on being journaled meanwhile, committed after.
 * Returns fn's result.
 */
int history_quiesce(struct dossier_history *h, int (*fn)(void *arg),
		    void *arg);
/* Is the committer still committing what the last daemon left? */
int history_recovering(struct dossier_history *h);

/*
 * Wait until it has (h may be NULL): a listing of /.history right after
 * a restart shows what the last daemon journaled. Lock not held.
 */
void history_wait_recovered(struct dossier_history *h);

#endif
