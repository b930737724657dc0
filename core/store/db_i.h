#ifndef DOSSIER_CORE_DB_I_H
#define DOSSIER_CORE_DB_I_H

/*
 * The SQLite edge of libdossier (core-only). Every SQLite result code is
 * translated to a dossier code here and nowhere else.
 */

#include <sqlite3.h>
#include <stdarg.h>
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

/*
 * Bind the arguments after types to st's parameters 1, 2, ... as types
 * says, one letter a parameter: 'i' an int64_t, 't' a const char *
 * (NULL binds NULL; not copied: it stays valid until st is stepped and
 * reset), 'n' NULL (takes no argument). types names every parameter of
 * st and no more (asserted): no dummy bindings.
 */
void dossier_db_bind(sqlite3_stmt *st, const char *types, ...);
void dossier_db_bindv(sqlite3_stmt *st, const char *types, va_list ap);

/*
 * Prepare sql, bind it as dossier_db_bind does, step it once (a row or
 * done) and finalize it. what names it in an error message.
 */
int dossier_db_run(sqlite3 *db, const char *what, const char *sql,
		   const char *types, ...);

/*
 * Run prepared statement st once with the bindings of ap (as
 * dossier_db_bind); leaves it reset, its bindings cleared, for reuse.
 */
int dossier_db_runv(sqlite3 *db, sqlite3_stmt *st, const char *what,
		    const char *types, va_list ap);

/* Step a statement expecting SQLITE_DONE; resets it. */
int dossier_db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what);

/* Current schema version (PRAGMA user_version). */
int dossier_db_version(sqlite3 *db);

/* Latest schema version this build knows. */
int dossier_db_latest_version(void);

#endif
