#include "db_i.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "schema_i.h"

int dossier_db_latest_version(void)
{
	return dossier_schema_latest();
}

int dossier_db_err(sqlite3 *db, int src, const char *what)
{
	int rc = DOSSIER_ERROR;

	switch (src & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: rc = DOSSIER_EBUSY; break;
	case SQLITE_FULL: rc = DOSSIER_ENOSPC; break;
	case SQLITE_CONSTRAINT: rc = DOSSIER_EEXISTS; break;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: rc = DOSSIER_ECORRUPT; break;
	case SQLITE_READONLY: rc = DOSSIER_EREADONLY; break;
	case SQLITE_IOERR: rc = DOSSIER_EIO; break;
	}
	dossier_error_set("catalog: %s: %s", what,
			  db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
	return rc;
}

int dossier_db_exec(sqlite3 *db, const char *sql)
{
	int src = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return src == SQLITE_OK ? 0 : dossier_db_err(db, src, "exec");
}

int dossier_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	int src = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				     out, NULL);

	return src == SQLITE_OK ? 0 : dossier_db_err(db, src, "prepare");
}

void dossier_db_bindv(sqlite3_stmt *st, const char *types, va_list ap)
{
	const char *t;
	int i;

	assert((int)strlen(types) == sqlite3_bind_parameter_count(st));
	for (i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i':
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
			break;
		case 't':
			t = va_arg(ap, const char *);
			if (t)
				sqlite3_bind_text(st, i + 1, t, -1,
						  SQLITE_STATIC);
			else
				sqlite3_bind_null(st, i + 1);
			break;
		case 'n':
			sqlite3_bind_null(st, i + 1);
			break;
		default:
			assert(!"dossier_db_bind: unknown type letter");
		}
	}
}

void dossier_db_bind(sqlite3_stmt *st, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	dossier_db_bindv(st, types, ap);
	va_end(ap);
}

int dossier_db_runv(sqlite3 *db, sqlite3_stmt *st, const char *what,
		    const char *types, va_list ap)
{
	int rc;

	dossier_db_bindv(st, types, ap);
	rc = dossier_db_step_done(db, st, what);
	sqlite3_clear_bindings(st);
	return rc;
}

int dossier_db_run(sqlite3 *db, const char *what, const char *sql,
		   const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc = dossier_db_prepare(db, sql, &st);

	if (rc == 0) {
		va_start(ap, types);
		rc = dossier_db_runv(db, st, what, types, ap);
		va_end(ap);
	}
	sqlite3_finalize(st);
	return rc;
}

int dossier_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int src = sqlite3_step(st);

	sqlite3_reset(st);
	if (src == SQLITE_DONE || src == SQLITE_ROW)
		return 0;
	return dossier_db_err(db, src, what);
}

int dossier_db_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(sqlite3 *db)
{
	int v = dossier_db_version(db), latest = dossier_db_latest_version();
	int rc;
	char sql[64];

	if (v < 0)
		return dossier_db_err(db, SQLITE_CORRUPT, "read schema version");
	if (v > latest) {
		dossier_error_set("catalog schema version %d is newer than this "
				  "program (%d): upgrade dossierfs", v, latest);
		return DOSSIER_ECORRUPT;
	}
	for (; v < latest; v++) {
		if ((rc = dossier_db_exec(db, "BEGIN IMMEDIATE")) < 0)
			return rc;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if ((rc = dossier_db_exec(db, dossier_schema_step(v + 1))) < 0 ||
		    (rc = dossier_db_exec(db, sql)) < 0) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return rc;
		}
		if ((rc = dossier_db_exec(db, "COMMIT")) < 0)
			return rc;
		dossier_log(LOG_INFO, "catalog migrated to schema %d", v + 1);
	}
	return 0;
}

/*
 * No planner statistics: every statement of the catalog is written for
 * one index (a folder's names, a node's id), and statistics gathered on
 * a young archive (PRAGMA optimize on a catalog of a few rows, as
 * earlier versions ran at close) made the planner scan the node table
 * for each step of an ancestor walk. Rows left by those versions are
 * removed and the planner told to forget them.
 */
static int drop_stats(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int have;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_schema WHERE "
			       "name = 'sqlite_stat1'", -1, &st, NULL) != SQLITE_OK)
		return dossier_db_err(db, sqlite3_errcode(db), "catalog");
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (have && sqlite3_exec(db, "DELETE FROM sqlite_stat1;"
				 "ANALYZE sqlite_schema;", NULL, NULL,
				 NULL) != SQLITE_OK)
		dossier_log(LOG_WARNING, "catalog: cannot drop planner "
			    "statistics: %s", sqlite3_errmsg(db));
	return 0;
}

/*
 * A quick look at the catalog's pages before anything writes to it (the
 * full check is 'dossierctl verify'): a damaged catalog is not migrated
 * or served. DOSSIER_ECORRUPT, saying what is wrong and what to do.
 */
static int check_pages(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	const char *res;
	int rc, src;

	if ((rc = dossier_db_prepare(db, "PRAGMA quick_check(1)", &st)) < 0)
		return rc;
	if ((src = sqlite3_step(st)) != SQLITE_ROW) {
		rc = dossier_db_err(db, src == SQLITE_DONE ? SQLITE_CORRUPT :
				    src, "catalog check");
	} else if ((res = (const char *)sqlite3_column_text(st, 0)) &&
		   strcmp(res, "ok")) {
		dossier_error_set("catalog is damaged (%s): restore catalog.db "
				  "from a backup or run 'dossierctl verify'",
				  res);
		rc = DOSSIER_ECORRUPT;
	}
	sqlite3_finalize(st);
	return rc;
}

int dossier_db_open(sqlite3 **out, const char *path, int create)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	int src, rc;

	*out = NULL;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	src = sqlite3_open_v2(path, &db, flags, NULL);
	if (src != SQLITE_OK) {
		rc = dossier_db_err(db, src, path);
		sqlite3_close(db);
		return src == SQLITE_CANTOPEN ? DOSSIER_ENOTFOUND : rc;
	}
	sqlite3_busy_timeout(db, 10000);
	/*
	 * WAL: readers never block the writer. synchronous=NORMAL: a kill of
	 * the daemon loses nothing (the WAL is in the page cache); a power
	 * cut may lose the last transactions, which reconciliation at mount
	 * repairs from the content store.
	 */
	/*
	 * secure_delete: deleted rows are zeroed, so small snapshots that
	 * journal rows held (and purged records' rows) leave no bytes in
	 * free pages; a purge then truncates the WAL (trash.c).
	 * cache_size: 64 MiB of catalog pages stay in the daemon (SQLite's
	 * default is 2 MiB; at 100k records the indexes alone are bigger,
	 * and every lookup went back to the kernel for its pages).
	 */
	if ((rc = dossier_db_exec(db, "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=NORMAL;"
				      "PRAGMA secure_delete=ON;"
				      "PRAGMA foreign_keys=ON;"
				      "PRAGMA cache_size=-65536;")) < 0 ||
	    (rc = check_pages(db)) < 0 ||
	    (rc = migrate(db)) < 0 || (rc = drop_stats(db)) < 0) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void dossier_db_close(sqlite3 *db)
{
	if (!db)
		return;
	sqlite3_close_v2(db);
}
