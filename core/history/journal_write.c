/*
 * The journal writer (journal_i.h): every change of a record becomes a
 * journal row in the catalog's transaction, and wakes the committer.
 * The reader, which the committer takes rows with, is journal.c.
 */
#include "journal_i.h"

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
#include "history_i.h"
#include "proc.h"

static int journal_row(struct dossier_archive *a, uint64_t record,
		       const char *op, const char *path, const char *old_path,
		       const char *spool, const struct dossier_buf *data,
		       const char *blob, const struct dossier_caller *who,
		       const char *reason, int64_t t, const struct stat *live)
{
	static const char sql[] = "INSERT INTO journal(record, op, path, "
		"old_path, spool, data, blob, author_uid, program, reason, "
		"time_ns, due_ns, live, live_size) VALUES(?1, ?2, ?3, ?4, ?5, "
		"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	sqlite3_stmt *st = NULL;
	char program[64];
	int rc;

	dossier_program_of(who->pid, program, sizeof(program));
	if ((rc = archive_stmt(a, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
	sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, old_path, -1, SQLITE_STATIC);
	if (spool && spool[0])
		sqlite3_bind_text(st, 5, spool, -1, SQLITE_STATIC);
	else if (data)
		sqlite3_bind_blob64(st, 6, data->buf, data->len,
				    SQLITE_STATIC);
	sqlite3_bind_text(st, 7, blob, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (int32_t)who->uid);
	if (who->pid > 0)
		sqlite3_bind_text(st, 9, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, t);
	sqlite3_bind_int64(st, 12, t + HISTORY_WINDOW_NS);
	if (live) {
		sqlite3_bind_int64(st, 13, (sqlite3_int64)live->st_ino);
		sqlite3_bind_int64(st, 14, (sqlite3_int64)live->st_size);
	}
	rc = dossier_db_step_done(a->db, st, "journal");
	archive_stmt_done(st);
	if (rc == 0)
		history_kick(a->history);
	return rc;
}

int archive_journal(struct dossier_archive *a, uint64_t record,
		    const char *op, const char *path, const char *old_path,
		    const char *spool, const char *blob,
		    const struct dossier_caller *who, const char *reason,
		    int64_t t)
{
	return journal_row(a, record, op, path, old_path, spool, NULL, blob,
			   who, reason, t, NULL);
}

int archive_journal_snap(struct dossier_archive *a, uint64_t record,
			 const char *op, const char *path, const char *spool,
			 const struct dossier_buf *data,
			 const struct dossier_caller *who, const char *reason,
			 int64_t t)
{
	return journal_row(a, record, op, path, NULL, spool, data, NULL, who,
			   reason, t, NULL);
}

/* Is content of this stat journaled as a deferred snapshot? */
int journal_deferrable(struct dossier_archive *a, const struct stat *cs)
{
	return cs->st_size > HISTORY_INLINE_MAX &&
	       history_live_room(a->history);
}

/*
 * Journal a content change of record id whose content is open as fd (cs:
 * its stat now): large content as a deferred snapshot (the row names the
 * inode; history_i.h), else copied now. Lock held.
 */
int journal_deferred(struct dossier_archive *a, uint64_t id,
			    const char *op, const char *path, int fd,
			    const struct stat *cs,
			    const struct dossier_caller *who,
			    const char *reason, int64_t t)
{
	struct dossier_buf data = DOSSIER_BUF_INIT;
	char spool[64];
	int rc;

	if (journal_deferrable(a, cs)) {
		rc = journal_row(a, id, op, path, NULL, NULL, NULL, NULL, who,
				 reason, t, cs);
		if (rc == 0)
			rc = history_live_add(a->history,
					      sqlite3_last_insert_rowid(a->db),
					      id, fd, cs);
		return rc;
	}
	rc = history_spool(a->history, fd, spool, sizeof(spool), &data);
	if (rc == 0)
		rc = archive_journal_snap(a, id, op, path, spool, &data, who,
					  reason, t);
	if (rc < 0 && spool[0])
		history_discard_spool(a->history, spool);
	dossier_buf_release(&data);
	return rc;
}

/*
 * Forget pending journal entries of record (all, or of one op), and the
 * content snapshots they held.
 */
int journal_forget(struct dossier_archive *a, uint64_t record,
			  const char *op)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (a->history &&
	    dossier_db_prepare(a->db, "SELECT spool FROM journal WHERE record "
			       "= ?1 AND spool IS NOT NULL AND (?2 IS NULL OR "
			       "op = ?2)", &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
		sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			history_discard_spool(a->history, (const char *)
					      sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	rc = archive_exec(a, "DELETE FROM journal WHERE record = ? AND "
			 "(?2 IS NULL OR op = ?2)", "it", (int64_t)record, op);
	history_live_prune(a->history, record);
	return rc;
}

/*
 * Journal a change of record n's content: snapshot it into the spool (so
 * the entry commits exactly this content) and remember the content's
 * stat for reconciliation. Lock held. Only when serving (history open).
 */
int journal_content(struct dossier_archive *a, uint64_t id,
			   const char *op, int fd,
			   const struct dossier_caller *who,
			   const char *reason, int64_t t)
{
	char rel[64], *path;
	struct stat cs;
	int rc, own = -1;

	if (!a->history)
		return 0;
	if (fd < 0) {
		content_relpath(rel, sizeof(rel), id);
		fd = own = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			dossier_error_set("cannot open content: %s",
					  strerror(errno));
			return DOSSIER_EIO;
		}
	}
	if (fstat(fd, &cs) < 0) {
		dossier_error_set("cannot snapshot content: %s",
				  strerror(errno));
		rc = DOSSIER_EIO;
	} else {
		rc = archive_exec(a, "UPDATE node SET snap_mtime_ns = ?, "
				  "snap_size = ? WHERE id = ?", "iii",
				  (int64_t)cs.st_mtim.tv_sec * 1000000000 +
					  cs.st_mtim.tv_nsec,
				  (int64_t)cs.st_size, (int64_t)id);
	}
	if (rc == 0) {
		path = archive_node_path(a, id);
		rc = journal_deferred(a, id, op, path, fd, &cs, who, reason,
				      t);
		free(path);
	}
	if (own >= 0)
		close(own);
	return rc;
}

/* Journal a rename or delete of a record (no content change). */
int journal_plain(struct dossier_archive *a, uint64_t id,
			 const char *op, const char *old_path,
			 const struct dossier_caller *who, int64_t t)
{
	char *path = archive_node_path(a, id);
	int rc;

	rc = archive_journal(a, id, op, path, old_path, NULL, NULL, who,
			     NULL, t);
	free(path);
	return rc;
}
