/*
 * Deferred snapshots (history_i.h; "Deferred snapshots" in
 * docs/design.md): a large save's journal row names its content inode,
 * kept open here until the committer has hashed it or something is about
 * to change it. Writers settle them; the committer takes and gives back.
 */
#include "history_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access_i.h"
#include "archive_i.h"
#include "db_i.h"
#include "error.h"

int history_live_any(struct dossier_history *h)
{
	return h && __atomic_load_n(&h->nlive, __ATOMIC_ACQUIRE) != 0;
}

int history_live_room(struct dossier_history *h)
{
	return h && __atomic_load_n(&h->nlive, __ATOMIC_ACQUIRE) <
			    HISTORY_LIVE_MAX;
}

static void live_unlink(struct dossier_history *h, struct live *l)
{
	struct live **pp;

	for (pp = &h->live; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	close(l->fd);
	free(l);
	__atomic_store_n(&h->nlive, h->nlive - 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&h->live_cond);
}

void live_free_all(struct dossier_history *h)
{
	while (h->live)
		live_unlink(h, h->live);
}

/* A read-only descriptor of fd's inode st, of our own; -1 if none. */
static int reopen_readonly(int fd, const struct stat *st)
{
	struct stat cs;
	char self[64];
	int own;

	/* a description of our own: the writer's may be O_DIRECT */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	own = open(self, O_RDONLY | O_CLOEXEC);
	if (own >= 0 && (fstat(own, &cs) < 0 || cs.st_ino != st->st_ino ||
			 cs.st_dev != st->st_dev)) {
		close(own);
		own = -1;
	}
	return own >= 0 ? own : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int history_live_add(struct dossier_history *h, int64_t seq,
		     uint64_t record, int fd, const struct stat *st)
{
	struct live *l = calloc(1, sizeof(*l));
	int e = ENOMEM;

	if (!l || (l->fd = reopen_readonly(fd, st)) < 0) {
		if (l)
			e = errno;
		free(l);
		dossier_error_set("cannot keep a snapshot: %s", strerror(e));
		return dossier_err_from_errno(e);
	}
	l->seq = seq;
	l->record = record;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->next = h->live;
	h->live = l;
	__atomic_store_n(&h->nlive, h->nlive + 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Is l's journal row still waiting on l's inode? Row, record and inode
 * must all match: a rolled-back save may leave an entry whose seq a later
 * row reuses.
 */
static int live_row(struct dossier_archive *a, const struct live *l)
{
	return journal_waits_on(a, l->seq, l->record, l->ino);
}

/* Row seq takes the copy of its content: spool if named, else data. */
static int row_takes_copy(struct dossier_archive *a, int64_t seq,
			  const char *spool, const struct dossier_buf *data)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = archive_stmt(a, "UPDATE journal SET live = NULL, spool = "
			       "?2, data = ?3 WHERE seq = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	if (spool[0])
		sqlite3_bind_text(st, 2, spool, -1, SQLITE_STATIC);
	else
		sqlite3_bind_blob64(st, 3, data->buf ? data->buf : "",
				    data->len, SQLITE_STATIC);
	rc = dossier_db_step_done(a->db, st, "journal snapshot");
	archive_stmt_done(st);
	return rc;
}

/*
 * Copy l's content into its journal row (inline or spool) before the
 * inode changes; the row then no longer depends on it. Lock held.
 */
static int live_materialise(struct dossier_history *h, struct live *l,
			    int unlocked)
{
	struct dossier_archive *a = h->a;
	struct dossier_buf data = DOSSIER_BUF_INIT;
	char spool[64];
	int rc;

	if ((rc = live_row(a, l)) <= 0) {
		if (rc == 0)
			live_unlink(h, l);
		return rc;
	}
	/*
	 * A large file takes a moment to copy: where the caller allows it,
	 * without the archive's lock (others wait for this entry only).
	 */
	l->copying = 1;
	if (unlocked)
		pthread_mutex_unlock(&a->lock);
	rc = history_spool(h, l->fd, spool, sizeof(spool), &data);
	if (unlocked)
		pthread_mutex_lock(&a->lock);
	l->copying = 0;
	if (rc == 0 && !l->dead && (rc = live_row(a, l)) > 0 &&
	    (rc = row_takes_copy(a, l->seq, spool, &data)) == 0)
		spool[0] = '\0';	/* the row has it now */
	dossier_buf_release(&data);
	if (spool[0])
		history_discard_spool(h, spool);
	if (rc < 0)
		pthread_cond_broadcast(&h->live_cond);
	else
		live_unlink(h, l);	/* broadcasts */
	return rc < 0 ? rc : 0;
}

/*
 * Copy the waiting snapshots of inode st (or, st NULL, of record) into
 * their rows; wait: also wait for those being hashed or copied.
 */
static int settle(struct dossier_history *h, const struct stat *st,
		  uint64_t record, int wait)
{
	struct live *l;
	int rc;

again:
	for (l = h ? h->live : NULL; l; l = l->next) {
		if (l->dead || (st ? l->dev != st->st_dev ||
					     l->ino != st->st_ino :
				      l->record != record))
			continue;
		if (l->reading || l->copying) {
			if (!wait)
				continue;
			/* being hashed or copied: its row is done soon */
			pthread_cond_wait(&h->live_cond, &h->a->lock);
			goto again;
		}
		if ((rc = live_materialise(h, l, wait)) < 0)
			return rc;
		goto again;
	}
	return 0;
}

int history_live_settle(struct dossier_history *h, const struct stat *st,
			int wait)
{
	return settle(h, st, 0, wait);
}

int history_live_settle_record(struct dossier_history *h, uint64_t record,
			       int wait)
{
	return settle(h, NULL, record, wait);
}

/*
 * Let go of entries whose rows are gone (of record, or of any record with
 * every): busy ones are marked for whoever holds them. Lock held.
 */
static void prune(struct dossier_history *h, uint64_t record, int every)
{
	struct live *l, *next;

	for (l = h ? h->live : NULL; l; l = next) {
		next = l->next;
		/* kept when its row is there, or the catalog cannot say */
		if ((!every && l->record != record) || l->dead ||
		    live_row(h->a, l) != 0)
			continue;
		if (l->reading || l->copying)
			l->dead = 1;	/* whoever holds it lets it go */
		else
			live_unlink(h, l);
	}
}

void history_live_prune(struct dossier_history *h, uint64_t record)
{
	prune(h, record, 0);
}

void live_prune_every(struct dossier_history *h)
{
	prune(h, 0, 1);
}

/* e's entry among the deferred snapshots, or NULL. */
static struct live *live_find(struct dossier_history *h,
			      const struct entry *e)
{
	struct live *l;

	for (l = h->live; l; l = l->next)
		if (l->seq == e->seq && l->record == e->record &&
		    (int64_t)l->ino == e->live && !l->dead)
			return l;
	return NULL;
}

/*
 * Journaled before a restart: the record's content file, if it is still
 * the inode and size (-1: not noted) the save left, becomes e's entry.
 */
static int live_reopen(struct dossier_history *h, const struct entry *e,
		       int64_t size, struct live **out)
{
	struct dossier_archive *a = h->a;
	struct stat cs;
	char rel[64];
	int fd, rc = DOSSIER_ECORRUPT;

	content_relpath(rel, sizeof(rel), e->record);
	fd = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &cs) < 0 || (int64_t)cs.st_ino != e->live ||
	    (size >= 0 && cs.st_size != size)) {
		dossier_error_set("the content it saved changed or was "
				  "replaced before it was committed");
		goto out;
	}
	if (history_live_add(h, e->seq, e->record, fd, &cs) < 0) {
		rc = DOSSIER_EBUSY;	/* no descriptor: retried */
		goto out;
	}
	*out = h->live;
	rc = 1;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

int live_begin(struct dossier_history *h, struct entry *e)
{
	struct dossier_archive *a = h->a;
	struct live *l = NULL;
	int64_t size;
	int rc;

	pthread_mutex_lock(&a->lock);
	/* a writer copying it into the row: take that copy */
	while ((rc = journal_reread(a, e, &size)) > 0 &&
	       (l = live_find(h, e)) && l->copying)
		pthread_cond_wait(&h->live_cond, &a->lock);
	if (rc > 0 && !l)
		rc = live_reopen(h, e, size, &l);
	if (rc > 0) {
		l->reading = 1;
		e->live_fd = l->fd;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/*
 * Row e names blob now, instead of its inode. < 0: the update failed (the
 * row still names the inode); a statement that cannot be prepared is not
 * that (0: the committer goes on, the row goes with its commit).
 */
static int row_takes_blob(struct dossier_archive *a, const struct entry *e,
			  const struct dossier_oid *blob)
{
	sqlite3_stmt *st = NULL;
	char hex[41];
	int rc = 0;

	if (archive_stmt(a, "UPDATE journal SET live = NULL, blob = ?2 "
			 "WHERE seq = ?1 AND record = ?3 AND live = ?4",
			 &st) == 0) {
		dossier_oid_fmt(hex, blob);
		sqlite3_bind_int64(st, 1, e->seq);
		sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)e->record);
		sqlite3_bind_int64(st, 4, e->live);
		rc = dossier_db_step_done(a->db, st, "journal blob");
	}
	archive_stmt_done(st);
	return rc;
}

int live_end(struct dossier_history *h, struct entry *e,
	     const struct dossier_oid *blob)
{
	struct dossier_archive *a = h->a;
	struct live *l;
	int gone;

	pthread_mutex_lock(&a->lock);
	for (l = h->live; l && !(l->seq == e->seq && l->reading); l = l->next)
		;
	gone = l && l->dead;
	if (blob && !gone && row_takes_blob(a, e, blob) < 0)
		blob = NULL;
	if (l) {
		l->reading = 0;
		if (blob || l->dead)
			live_unlink(h, l);
		else
			pthread_cond_broadcast(&h->live_cond);
	}
	e->live_fd = -1;
	pthread_mutex_unlock(&a->lock);
	return gone;
}
