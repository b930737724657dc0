#ifndef DOSSIER_CORE_HISTORY_PRIV_I_H
#define DOSSIER_CORE_HISTORY_PRIV_I_H

/*
 * Private to core/history/'s own files: the layout of the history handle
 * and what they pass each other. The rest of core/ (journal_write.c,
 * backup.c, text.c included) uses history_i.h. The files, each calling
 * only those listed before it:
 *
 *   handle.c    the repository and its lock, waking the committer, the
 *               recovering flag
 *   spool.c     content snapshots copied at close (inline or spool/)
 *   journal.c   the journal as the committer reads it
 *   live.c      deferred snapshots (history_live_*)
 *   index.c     the version index, and what the repository holds per
 *               record (node.hist_*); refs noted and moved
 *   commit.c    one journal entry into one commit
 *   recovery.c  what a restart finds: head, spool, changed content
 *   committer.c the committer thread: batches, drains, upkeep
 *   history.c   open, start, close
 *
 * journal_write.c (the writer) calls handle.c, spool.c and live.c only.
 */

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gitstore.h"
#include "history_i.h"
#include "worker.h"

/*
 * Lock rules: git_lock protects git. The committer takes the archive's
 * lock for catalog work and git_lock for repository work, never both at
 * once; threads that write the catalog never wait for git_lock while
 * holding the archive's lock.
 */
struct dossier_history {
	struct dossier_archive *a;
	struct history_hooks hooks;	/* read-only after open */
	pthread_mutex_t drain_lock;	/* one drainer at a time */
	pthread_mutex_t git_lock;
	struct dossier_git *git;	/* protected by git_lock */
	int spoolfd;
	struct dossier_worker work;	/* the committer thread */
	int recovering;			/* protected by work.lock */
	pthread_cond_t recovered;	/* recovering went to 0 */
	int64_t recover_upto;		/* journal rows the last daemon left:
					   committed at once; drain_lock */
	struct recon *recon;		/* to reconcile; committer thread */
	size_t nrecon;
	int recon_clean;		/* the last daemon stopped cleanly */
	uint64_t spool_seq;		/* protected by work.lock */
	int64_t next_purge_ns;		/* hooks.daily's; committer thread */
	struct built *built;		/* BATCH_MAX; under drain_lock */
	unsigned batches;		/* since the last upkeep; drain_lock */
	struct live *live;		/* deferred snapshots; archive lock */
	unsigned nlive;			/* written under the archive lock */
	pthread_cond_t live_cond;	/* a deferred snapshot was settled */
};

/* A record whose content differed from its snapshot at the start. */
struct recon {
	uint64_t id;
	int64_t mtime_ns;	/* the content's stat then (size -1: gone) */
	int64_t size;
};

/*
 * A save whose snapshot is the content inode itself, until the committer
 * has hashed it or something is about to change it (see "Deferred
 * snapshots" in docs/design.md). Protected by the archive's lock.
 */
struct live {
	struct live *next;
	int64_t seq;		/* its journal row */
	uint64_t record;
	dev_t dev;		/* the content inode the save left */
	ino_t ino;
	int fd;			/* read-only, on that inode */
	int reading;		/* the committer is hashing it */
	int copying;		/* a writer copies it into its row */
	int dead;		/* its row went while it was read or copied */
};

/* One journal entry, as read by the committer. */
struct entry {
	int64_t seq;
	uint64_t record;
	char op[16];
	char *path;
	char *old_path;
	char *spool;
	char *blob;
	void *data;		/* inline snapshot, when has_data */
	size_t datalen;
	int has_data;
	uid_t uid;
	char *program;
	char *reason;
	int64_t time_ns;
	int64_t live;		/* the snapshot is content inode live (0: no) */
	int live_fd;		/* committer: that inode, while hashed */
};

/*
 * An entry whose record commit is made, waiting for its batch's commit
 * of main (commit_batch) and then to be indexed.
 */
struct built {
	struct entry e;
	char author[128];
	char email[64];
	int64_t when;		/* unix seconds */
	char *msg;		/* its message, for a main commit of its own */
	struct dossier_git_change ch[2];	/* what it changes in main */
	size_t nch;		/* ch[].path owned, ch[].target = &rec */
	struct dossier_oid commit;	/* main's, once commit_batch made it */
	struct dossier_oid rec;	/* the record's commit it made */
	int has_rec;
	int has_blob;		/* a content version: bhex, size */
	char bhex[41];
	int64_t size;
	char *new_path;
	int dropped;		/* main could not take it: logged, dropped */
};

/* A batch ends early at a second entry of one record, and at this size. */
#define BATCH_MAX 512

/* What the repository holds for a record now (its node.hist_* columns). */
struct held {
	char *hist_path;
	char *hist_rec;
	char *hist_blob;
};

/* The committed records below a folder that moved. */
struct moved {
	size_t n, cap;
	uint64_t *ids;
	char **paths;			/* their new paths */
	struct dossier_oid *targets;	/* their per-record commits */
};

/* ---- journal.c: the journal as the committer reads it ---- */

/* Column i of st's row as a new string (NULL: NULL); caller frees. */
struct sqlite3_stmt;
char *history_col_dup(struct sqlite3_stmt *st, int i);

/* Free what e holds and zero it. */
void entry_release(struct entry *e);

/* Does op change a record's content (its entry carries a snapshot)? */
int entry_is_content(const char *op);

/* The newest journal entry's seq (0: none). Lock taken. */
int64_t journal_last(struct dossier_archive *a);

/*
 * Read into e the oldest journal entry after seq `after` that is due at
 * now (all: any; seq <= upto: any too). 1 if found, else 0. Lock taken.
 */
int journal_next(struct dossier_archive *a, int64_t now, int all,
		 int64_t after, int64_t upto, struct entry *e);

/*
 * Read e's row again (a deferred snapshot may have been settled meanwhile;
 * lock held). 1: still deferred, on inode e->live whose size the save
 * noted goes to size (-1: not noted); 0: no longer deferred (e now names
 * its snapshot), or the row is gone (e->seq 0); < 0 failed.
 */
int journal_reread(struct dossier_archive *a, struct entry *e,
		   int64_t *size);

/*
 * Is row seq, of record, still waiting on inode ino? 1 yes, 0 no (gone or
 * settled), < 0 the catalog failed. Lock held.
 */
int journal_waits_on(struct dossier_archive *a, int64_t seq, uint64_t record,
		     ino_t ino);

/* Forget row seq (it is committed, or dropped). Lock held. */
int journal_done(struct dossier_archive *a, int64_t seq);

/* Has record id a journal row (a save made meanwhile)? Lock held. */
int journal_busy(struct dossier_archive *a, uint64_t id);

/* The newest journal row's seq (0: none), or INT64_MAX if unknown. */
int64_t journal_last_seq(struct dossier_archive *a);

/* ---- live.c: deferred snapshots, the committer's side ---- */

/*
 * The committer takes e's content inode: from its deferred snapshot, or
 * after a restart from the record's content file if that is still the
 * inode the save left. 1: e->live_fd is it; 0: the row changed meanwhile
 * (e now names its snapshot, or is gone: e->seq 0); < 0 failed.
 */
int live_begin(struct dossier_history *h, struct entry *e);

/*
 * The committer is done with e's inode: with its blob on disk (blob not
 * NULL), the row names the blob (a restart no longer needs the inode) and
 * writers may go on. On failure the snapshot stays deferred, for the
 * retry. 1: the row went meanwhile (a purge): nothing to commit.
 */
int live_end(struct dossier_history *h, struct entry *e,
	     const struct dossier_oid *blob);

/* Let go of every entry whose row is gone. Lock held. */
void live_prune_every(struct dossier_history *h);

/* Let go of every entry (history_close). */
void live_free_all(struct dossier_history *h);

/* ---- index.c: the version index ---- */

/*
 * What the repository holds for record (lock taken). DOSSIER_ENOTFOUND:
 * the record is gone; other failures are a busy or failing catalog. On
 * failure out is empty. Free with held_release().
 */
int index_held(struct dossier_archive *a, uint64_t record, struct held *out);
void held_release(struct held *x);

/*
 * The committed records below folder old_path, with their paths below
 * new_path (lock taken). Free with moved_release(), also on failure.
 */
int index_moved_below(struct dossier_archive *a, const char *old_path,
		      const char *new_path, struct moved *out);
void moved_release(struct moved *m);

/*
 * Index commit, made for entry e, and forget e, in one catalog
 * transaction that also notes the refs it moves (lock taken). rec, blob:
 * the per-record commit and blob of a content version, else NULL;
 * new_path: the record's path in main's tree now (NULL: none).
 */
int index_commit(struct dossier_history *h, const struct entry *e,
		 const char *author, const struct dossier_oid *commit,
		 const struct dossier_oid *rec, const char *blob,
		 int64_t size, const char *new_path);

/*
 * The same for many commits in one transaction: index_begin (takes the
 * lock and begins), index_add for each (as index_commit, inside it),
 * index_end (commits if rc is 0, else rolls back; then, with versions,
 * tells the layers above that content versions were indexed; releases
 * the lock). index_end returns rc, or the commit's failure.
 */
int index_begin(struct dossier_history *h);
int index_add(struct dossier_history *h, const struct entry *e,
	      const char *author, const struct dossier_oid *commit,
	      const struct dossier_oid *rec, const char *blob, int64_t size,
	      const char *new_path);
int index_end(struct dossier_history *h, int rc, int versions);

/*
 * Index the folder move e (commit) for every record in m, and forget e,
 * in one catalog transaction (lock taken).
 */
int index_move(struct dossier_archive *a, const struct entry *e,
	       const char *author, const struct dossier_oid *commit,
	       const struct moved *m);

/*
 * The newest version of record whose blob is blob_hex: its commit's id
 * into commit (41 bytes). 1 if there is one, else 0. Lock taken.
 */
int index_find_blob(struct dossier_archive *a, uint64_t record,
		    const char *blob_hex, char *commit);

/* Does the index know commit commit_hex? Lock taken. */
int index_knows_commit(struct dossier_archive *a, const char *commit_hex);

/* Move the refs the index noted and forget the notes. */
int index_apply_refs(struct dossier_history *h);

/*
 * In a batch just begun: the refs the index noted but did not move yet
 * are the records' tips the batch builds on.
 */
int index_load_tips(struct dossier_history *h);

/* ---- commit.c: one entry into one commit ---- */

/*
 * Turn one journal entry into one commit (or nothing, if it changes
 * nothing in the repository). 1: the commit is made and out holds it and
 * the entry (e is left empty) for the batch to index; 0: nothing left
 * to do (dropped, or a folder move, indexed at once); < 0: kept in the
 * journal, to be tried again.
 */
int commit_entry(struct dossier_history *h, struct entry *e,
		 struct built *out);

/*
 * The batch's n entries into one commit of main (one for each entry,
 * when the batch has one; the entries one by one when main cannot take
 * them together, and then an entry main cannot take is dropped, its
 * built marked). 0, or < 0 (transient): the batch stays in the journal.
 */
int commit_batch(struct dossier_history *h, struct built *b, size_t n);

/* Free what b holds (b is left empty). */
void built_release(struct built *b);

/* ---- recovery.c: what a restart finds ---- */

/*
 * Before the mount serves: move refs a crash left noted, index a head
 * the index does not know, sweep unjournaled snapshots, note the records
 * whose content changed without a save, and how far the journal the last
 * daemon left goes.
 */
int recovery_prepare(struct dossier_history *h);

/* Commit the noted records whose content changed (committer thread). */
void recovery_reconcile(struct dossier_history *h);

/* Note in the catalog that this daemon stopped after its last drain. */
void recovery_mark_clean(struct dossier_archive *a);

/* ---- committer.c: the committer thread ---- */

/* Start the committer thread; it first commits what a restart found. */
int committer_start(struct dossier_history *h);

/* Stop it after committing everything journaled. */
void committer_stop(struct dossier_history *h);

#endif
