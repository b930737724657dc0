#ifndef DOSSIER_CORE_DB_I_H
#define DOSSIER_CORE_DB_I_H

/*
 * The SQLite edge of libdossier (core-only). Every SQLite result code is
 * translated to a dossier code here and nowhere else.
 */

#include <sqlite3.h>
#include <stdint.h>

/* Open (or with create, create) the catalog at path: WAL, foreign keys on,
 * busy timeout, migrations applied. Caller closes with dossier_db_close(). */
int dossier_db_open(sqlite3 **out, const char *path, int create);
void dossier_db_close(sqlite3 *db);

/* Run one or more statements without results. */
int dossier_db_exec(sqlite3 *db, const char *sql);

/* Prepare sql; caller finalizes. */
int dossier_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out);

/* Translate an SQLite result code (and message) to a dossier code. */
int dossier_db_err(sqlite3 *db, int src, const char *what);

/* Step a statement expecting SQLITE_DONE; resets it. */
int dossier_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what);

/* Current schema version (PRAGMA user_version). */
int dossier_db_version(sqlite3 *db);

/* Latest schema version this build knows. */
int dossier_db_latest_version(void);

#endif
