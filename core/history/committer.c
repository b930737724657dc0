/*
 * The committer thread: it wakes when a change is journaled (or every
 * 250 ms), takes the due journal entries in batches (one pack and one
 * move of the refs per batch), keeps the repository compact, and between
 * drains runs the daily work of the layers above (history_hooks). After a
 * restart it first commits what the last daemon left.
 */
#include "history_priv_i.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "error.h"
#include "log.h"

/* Pack when this many loose objects piled up. */
#define PACK_LOOSE_LIMIT 20000
/* Each batch writes a pack: merge the small ones beyond this many. */
#define PACK_COUNT_LIMIT 16
/*
 * The committer runs at nice COMMITTER_NICE: the requests of the people
 * on the mount have the CPU first, journaled changes are safe meanwhile.
 * Once a drain has BACKLOG_ENTRIES behind it, it runs at the users'
 * priority until the journal is empty: at nice 10 on two busy cores it
 * got a tenth of one and a backlog grew without end under writers.
 */
#define COMMITTER_NICE 10
#define BACKLOG_ENTRIES (2 * BATCH_MAX)
/* Commits indexed in one catalog transaction. */
#define INDEX_CHUNK 64
/* Upkeep after this many batches of one drain, and when a drain ends. */
#define UPKEEP_BATCHES 8

/*
 * Keep the repository compact (git lock taken here): pack loose objects
 * once too many piled up, merge packs beyond PACK_COUNT_LIMIT. Run every
 * few batches, not only when a drain ends: a bulk load keeps one drain
 * going for minutes, and a few hundred packs make every new object's
 * existence check rescan the pack folder.
 */
static void upkeep(struct dossier_history *h)
{
	size_t loose = 0;

	h->batches = 0;
	history_git_lock(h);
	if (dossier_git_loose_estimate(h->git, &loose) == 0 &&
	    loose > PACK_LOOSE_LIMIT && dossier_git_pack_loose(h->git) < 0)
		dossier_log(LOG_WARNING, "history: packing failed: %s",
			    dossier_error_last());
	else if (dossier_git_rollup(h->git, PACK_COUNT_LIMIT) < 0)
		dossier_log(LOG_WARNING, "history: merging packs failed: %s",
			    dossier_error_last());
	history_git_unlock(h);
	dossier_error_clear();
}

/*
 * Index the n commits from built[from] in one catalog transaction: each
 * transaction costs a commit of the catalog's WAL, which for one save
 * each was a sixth of the committer's time. Lock taken for the chunk.
 */
static int index_chunk(struct dossier_history *h, size_t from, size_t n)
{
	size_t i;
	int rc, versions = 0;

	if ((rc = index_begin(h)) < 0)
		return rc;
	for (i = from; rc == 0 && i < from + n; i++) {
		struct built *b = &h->built[i];

		if (b->dropped)
			continue;
		rc = index_add(h, &b->e, b->author, &b->commit,
			       b->has_rec ? &b->rec : NULL,
			       b->has_blob ? b->bhex : NULL, b->size,
			       b->new_path);
		versions |= b->has_blob;
	}
	if ((rc = index_end(h, rc, versions)) < 0)
		return rc;
	/* indexed: their snapshots are in history now */
	for (i = from; i < from + n; i++)
		if (h->built[i].e.spool && !h->built[i].dropped)
			unlinkat(h->spoolfd, h->built[i].e.spool, 0);
	return 0;
}

/*
 * Index the n commits the batch built, INDEX_CHUNK to a transaction. A
 * chunk that fails is indexed again one commit at a time, so the
 * commits before the one that cannot be indexed are, and it stays in
 * the journal with those after it.
 */
static int index_built(struct dossier_history *h, size_t n)
{
	size_t i, j, k;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i += k) {
		k = n - i < INDEX_CHUNK ? n - i : INDEX_CHUNK;
		if (index_chunk(h, i, k) == 0)
			continue;
		dossier_error_clear();
		for (j = i; rc == 0 && j < i + k; j++)
			rc = index_chunk(h, j, 1);
	}
	return rc;
}

/* Begin a batch, on the tips whose refs are not moved yet. */
static int batch_start(struct dossier_history *h)
{
	history_git_lock(h);
	dossier_git_batch_begin(h->git);
	history_git_unlock(h);
	return index_load_tips(h);
}

/*
 * Commit the batch to main (commit_batch), put the batch's objects on
 * disk, index its commits (INDEX_CHUNK to a
 * catalog transaction, with the refs they move noted), and begin the
 * next batch. A commit that cannot be indexed stays in the journal with
 * those after it, for the next drain; refs never point past the index.
 * The noted refs move with the upkeep every UPKEEP_BATCHES batches and
 * when the drain ends (last): a ref moved is a file created, and a
 * record saved again and again moves its ref once for many batches.
 */
static int batch_finish(struct dossier_history *h, size_t *n, int last)
{
	size_t i;
	int rc, r, tidy;

	if ((rc = commit_batch(h, h->built, *n)) == 0) {
		history_git_lock(h);
		rc = dossier_git_flush(h->git);
		history_git_unlock(h);
	}
	if (rc == 0)
		rc = index_built(h, *n);
	for (i = 0; i < *n; i++)
		built_release(&h->built[i]);
	tidy = *n && ++h->batches >= UPKEEP_BATCHES;
	if ((last || tidy) && (r = index_apply_refs(h)) < 0 && rc == 0)
		rc = r;
	history_git_lock(h);
	dossier_git_batch_end(h->git);
	history_git_unlock(h);
	/* between batches: upkeep may reopen the repository */
	if (tidy)
		upkeep(h);
	*n = 0;
	if (!last && (r = batch_start(h)) < 0 && rc == 0)
		rc = r;
	return rc;
}

/*
 * Does e end the batch of n entries before it? At a second entry of one
 * record (what the catalog says a record holds is what the batch built
 * on), at BATCH_MAX, and before a folder move, which touches many records.
 */
static int ends_batch(const struct dossier_history *h, size_t n,
		      const struct entry *e)
{
	size_t i;

	for (i = 0; i < n && h->built[i].e.record != e->record; i++)
		;
	return n && (i < n || n == BATCH_MAX || !strcmp(e->op, "move"));
}

/*
 * Commit the due entries (all: every entry) up to seq last in batches:
 * not those saved while it runs. Under
 * steady writers a drain would never end, and 'sync', 'log' or a purge,
 * which wait for the drain under way before their own, with it. *done
 * counts them. On failure, why keeps the reason: what follows may
 * clear it.
 */
static int commit_due(struct dossier_history *h, int all, int64_t last,
		      int *done, char *why, size_t whysz)
{
	struct entry e;
	size_t n = 0;
	int64_t after = 0;
	int rc = 0, r;

	memset(&e, 0, sizeof(e));
	while (rc == 0 && journal_next(h->a, dossier_clock_ns(), all, after,
				       h->recover_upto, &e)) {
		if (e.seq > last) {
			entry_release(&e);
			break;
		}
		if (ends_batch(h, n, &e) && (rc = batch_finish(h, &n, 0)) < 0) {
			entry_release(&e);
			break;
		}
		/* a backlog: commit at the users' priority until it is gone */
		if (*done == BACKLOG_ENTRIES)
			dossier_worker_nice(&h->work, 0, "history committer");
		after = e.seq;
		r = commit_entry(h, &e, &h->built[n]);
		if (r > 0)
			n++;
		else if (r < 0)
			rc = r;
		if (r < 0)
			snprintf(why, whysz, "%s of record %" PRIu64 ": %s",
				 e.op, e.record, dossier_error_last()[0] ?
				 dossier_error_last() : dossier_strerror(r));
		entry_release(&e);
		(*done)++;
	}
	if ((r = batch_finish(h, &n, 1)) < 0 && rc == 0)
		rc = r;
	dossier_worker_nice(&h->work, COMMITTER_NICE, "history committer");
	return rc;
}

/*
 * Commit every due journal entry (every entry, with all) journaled
 * before the call (the caller may wait for the drain under way first),
 * in batches. tidy: then keep the repository compact (upkeep); the last drain before
 * the daemon exits does not: merging packs can take many seconds at 100k
 * records, and an unmount should not wait for it (the next daemon's
 * upkeep does it). Then entries a rolled-back save left behind (each
 * holds a descriptor and a slot) are let go.
 */
static int drain(struct dossier_history *h, int all, int tidy)
{
	int64_t last = journal_last(h->a);
	char why[512] = "";
	int rc, done = 0;

	pthread_mutex_lock(&h->drain_lock);
	if ((rc = batch_start(h)) == 0)
		rc = commit_due(h, all, last, &done, why, sizeof(why));
	history_git_lock(h);
	dossier_git_batch_end(h->git);
	history_git_unlock(h);
	if (done && tidy)
		upkeep(h);
	if (history_live_any(h)) {
		pthread_mutex_lock(&h->a->lock);
		live_prune_every(h);
		pthread_mutex_unlock(&h->a->lock);
	}
	pthread_mutex_unlock(&h->drain_lock);
	if (rc < 0 && why[0]) {
		dossier_error_clear();
		dossier_error_set("%s", why);
	}
	return rc;
}

int history_drain(struct dossier_history *h, int all)
{
	/* what was journaled before a restart comes first */
	history_wait_recovered(h);
	return drain(h, all, 1);
}

int history_quiesce(struct dossier_history *h, int (*fn)(void *arg),
		    void *arg)
{
	int rc;

	pthread_mutex_lock(&h->drain_lock);
	history_git_lock(h);
	rc = fn(arg);
	history_git_unlock(h);
	pthread_mutex_unlock(&h->drain_lock);
	return rc;
}

/*
 * A drain that failed is tried again 250 ms later: say so once a minute
 * per reason, not 4 times a second (a full disk wrote 697 lines), and
 * always with a reason.
 */
struct failure {
	char why[256];
	int64_t at_ns;
};

static void drain_failed(int rc, struct failure *last)
{
	int64_t now = dossier_clock_ns();
	char why[256];

	snprintf(why, sizeof(why), "%s", dossier_error_last()[0] ?
		 dossier_error_last() : dossier_strerror(rc));
	dossier_error_clear();
	if (!strcmp(why, last->why) && now - last->at_ns < 60000000000LL)
		return;
	snprintf(last->why, sizeof(last->why), "%s", why);
	last->at_ns = now;
	dossier_log(LOG_ERR, "history: cannot commit journaled changes yet "
		    "(retried; the changes are safe in the journal): %s", why);
}

/*
 * What a restart finds (the journal left by the last daemon, content
 * changed without a save) is committed here, in the background: the
 * mount serves meanwhile (a backlog after a kill -9 kept it from
 * answering for 21 s, and a full disk kept it from mounting at all).
 * history_drain() waits for it, so 'dossierctl log' sees its result.
 */
static void recover(struct dossier_history *h, struct failure *last)
{
	int rc;

	/* only what was there before: new saves keep their window */
	if ((rc = drain(h, 0, 1)) < 0)
		drain_failed(rc, last);
	recovery_reconcile(h);
	if ((rc = drain(h, 0, 1)) < 0)
		drain_failed(rc, last);
	pthread_mutex_lock(&h->drain_lock);
	h->recover_upto = 0;
	pthread_mutex_unlock(&h->drain_lock);
	pthread_mutex_lock(&h->work.lock);
	h->recovering = 0;
	pthread_cond_broadcast(&h->recovered);
	pthread_mutex_unlock(&h->work.lock);
}

static void *committer(void *arg)
{
	struct dossier_history *h = arg;
	const struct history_hooks *k = &h->hooks;
	struct failure last = { "", 0 };
	int stop = 0, rc;

	/*
	 * Commit work (hashing, deflating, tree updates) is done in the
	 * background: let the requests of the people working on the mount
	 * have the CPU first. Journaled changes are safe meanwhile.
	 */
	dossier_worker_nice(&h->work, COMMITTER_NICE, "history committer");

	recover(h, &last);
	while (!stop) {
		/* until kicked, or for 250 ms */
		stop = dossier_worker_wait(&h->work, 250000000);
		if ((rc = drain(h, stop, !stop)) < 0)
			drain_failed(rc, &last);
		/* the daily work above (the trash's purge), between drains */
		if (!stop && k->daily)
			k->daily(k->ctx, dossier_clock_ns(), &h->next_purge_ns);
	}
	return NULL;
}

int committer_start(struct dossier_history *h)
{
	h->recovering = 1;
	if (dossier_worker_start(&h->work, committer, h,
				 "history committer") < 0) {
		h->recovering = 0;
		return DOSSIER_ERROR;
	}
	return 0;
}

void committer_stop(struct dossier_history *h)
{
	dossier_worker_stop(&h->work);
}
