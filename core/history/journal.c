/*
 * The journal as the committer reads it: the rows it takes, in order,
 * and what it asks of them meanwhile. The writer is journal_write.c.
 */
#include "history_priv_i.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_i.h"
#include "archive_i.h"
#include "db_i.h"
#include "error.h"

char *history_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

void entry_release(struct entry *e)
{
	free(e->path);
	free(e->old_path);
	free(e->spool);
	free(e->data);
	free(e->blob);
	free(e->program);
	free(e->reason);
	memset(e, 0, sizeof(*e));
}

int entry_is_content(const char *op)
{
	return !strcmp(op, "create") || !strcmp(op, "save") ||
	       !strcmp(op, "restore") || !strcmp(op, "recovered") ||
	       !strcmp(op, "altered");
}

/* Take column col of st, an inline snapshot, into e (if it is one). */
static int take_data(struct entry *e, sqlite3_stmt *st, int col)
{
	size_t n;

	if (sqlite3_column_type(st, col) != SQLITE_BLOB)
		return 0;
	n = (size_t)sqlite3_column_bytes(st, col);
	if ((e->data = malloc(n ? n : 1)) == NULL)
		return DOSSIER_EBUSY;	/* retried */
	if (n)	/* an empty blob reads as NULL */
		memcpy(e->data, sqlite3_column_blob(st, col), n);
	e->datalen = n;
	e->has_data = 1;
	return 0;
}

/* The row st is on into e (the columns of journal_next's query). */
static int entry_from_row(struct entry *e, sqlite3_stmt *st)
{
	e->seq = sqlite3_column_int64(st, 0);
	e->record = (uint64_t)sqlite3_column_int64(st, 1);
	snprintf(e->op, sizeof(e->op), "%s", sqlite3_column_text(st, 2));
	e->path = history_col_dup(st, 3);
	e->old_path = history_col_dup(st, 4);
	e->spool = history_col_dup(st, 5);
	e->blob = history_col_dup(st, 6);
	e->uid = (uid_t)sqlite3_column_int64(st, 7);
	e->program = history_col_dup(st, 8);
	e->reason = history_col_dup(st, 9);
	e->time_ns = sqlite3_column_int64(st, 10);
	if (take_data(e, st, 11) < 0) {
		entry_release(e);
		return 0;
	}
	e->live = sqlite3_column_int64(st, 12);
	e->live_fd = -1;
	return 1;
}

int64_t journal_last(struct dossier_archive *a)
{
	int64_t seq;

	pthread_mutex_lock(&a->lock);
	seq = archive_query_id(a, "SELECT coalesce(max(seq), 0) FROM journal",
			       "");
	pthread_mutex_unlock(&a->lock);
	return seq;
}

int journal_next(struct dossier_archive *a, int64_t now, int all,
		 int64_t after, int64_t upto, struct entry *e)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "SELECT seq, record, op, path, old_path,"
			       " spool, blob, author_uid, program, reason, "
			       "time_ns, data, live FROM journal WHERE "
			       "seq > ?3 AND (?1 OR due_ns <= ?2 OR seq <= ?4) "
			       "ORDER BY seq LIMIT 1", &st) == 0) {
		sqlite3_bind_int(st, 1, all);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, after);
		sqlite3_bind_int64(st, 4, upto);
		if (sqlite3_step(st) == SQLITE_ROW)
			found = entry_from_row(e, st);
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	return found;
}

int journal_reread(struct dossier_archive *a, struct entry *e,
		   int64_t *size)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*size = -1;
	if ((rc = archive_stmt(a, "SELECT live, spool, data, live_size FROM "
			       "journal WHERE seq = ?1", &st)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, e->seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		e->seq = 0;			/* gone (purged) */
		goto out;
	}
	e->live = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 3) == SQLITE_INTEGER)
		*size = sqlite3_column_int64(st, 3);
	if (e->live) {
		rc = 1;
	} else {
		/* settled meanwhile: the row holds the snapshot now */
		free(e->spool);
		e->spool = history_col_dup(st, 1);
		rc = take_data(e, st, 2);
	}
out:
	archive_stmt_done(st);
	return rc;
}

int journal_waits_on(struct dossier_archive *a, int64_t seq, uint64_t record,
		     ino_t ino)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	if ((rc = archive_stmt(a, "SELECT 1 FROM journal WHERE seq = ?1 AND "
			       "record = ?2 AND live = ?3", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)record);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ino);
	src = sqlite3_step(st);
	rc = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 :
		dossier_db_err(a->db, src, "journal");
	archive_stmt_done(st);
	return rc;
}

int journal_done(struct dossier_archive *a, int64_t seq)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = archive_stmt(a, "DELETE FROM journal WHERE seq = ?1",
			       &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	rc = dossier_db_step_done(a->db, st, "journal");
	archive_stmt_done(st);
	return rc;
}

int journal_busy(struct dossier_archive *a, uint64_t id)
{
	sqlite3_stmt *st = NULL;
	int busy = 1;

	if (archive_stmt(a, "SELECT 1 FROM journal WHERE record = ?1 LIMIT 1",
			 &st) < 0)
		return 1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	busy = sqlite3_step(st) != SQLITE_DONE;
	archive_stmt_done(st);
	return busy;
}

int64_t journal_last_seq(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int64_t v = INT64_MAX;

	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT coalesce(max(seq), 0) FROM "
			       "journal", &st) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	dossier_error_clear();
	return v;
}
