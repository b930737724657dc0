#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db_i.h"
#include "error.h"
#include "sandbox.h"

/*
 * core/store/db.c, the SQLite edge: opening a catalog, its migrations
 * and version, and the translation of SQLite's codes. Each test gets a
 * temp dir; the catalog is checked through a connection of its own.
 */

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	if (sandbox_tmpdir(dir, sizeof(dir)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dossier_error_clear();
	return sandbox_rmtree(dir);
}

/* Run sql on the catalog at path through a connection of the test's own. */
static void raw_exec(const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int64_t path_int(const char *sql)
{
	sqlite3 *db = NULL;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	v = sandbox_sql_int(db, sql);
	sqlite3_close(db);
	return v;
}

/* A catalog made by this build, then marked as of schema version v. */
static void catalog_at_version(int v)
{
	sqlite3 *db = NULL;
	char sql[64];

	assert_int_equal(dossier_db_open(&db, path, 1), 0);
	dossier_db_close(db);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	raw_exec(sql);
}

static void test_db__create_migrates_to_latest(void **state)
{
	static const char *const tables[] = {
		"meta", "category", "node", "xattr", "journal", "version",
		"rule", "setting", "audit", "ref_pending",
	};
	sqlite3 *db = NULL;
	char sql[160];
	size_t i;

	(void)state;
	assert_int_equal(dossier_db_open(&db, path, 1), 0);
	assert_non_null(db);
	assert_true(dossier_db_latest_version() >= 15);
	assert_int_equal(dossier_db_version(db), dossier_db_latest_version());
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_schema "
			 "WHERE type = 'table' AND name = '%s'", tables[i]);
		assert_int_equal(sandbox_sql_int(db, sql), 1);
	}
	/*
	 * what the steps seed: the settings' defaults; the default policy
	 * is the rule store's to write (dossier_rules_open, archive create)
	 */
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM rule"), 0);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM setting "
					 "WHERE key IN ('text-recognition', "
					 "'max-record-size', 'thumbnailers')"),
			 3);
	/* as the connection is set up */
	assert_int_equal(sandbox_sql_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(sandbox_sql_int(db, "PRAGMA secure_delete"), 1);
	dossier_db_close(db);
	assert_int_equal(path_int("PRAGMA user_version"),
			 dossier_db_latest_version());
	dossier_db_close(NULL);
}

static void test_db__missing_catalog_is_not_found(void **state)
{
	char p[160];
	sqlite3 *db = (sqlite3 *)1;

	(void)state;
	assert_int_equal(dossier_db_open(&db, path, 0), DOSSIER_ENOTFOUND);
	assert_null(db);
	dossier_error_clear();
	/* create makes the file, not the folders above it */
	snprintf(p, sizeof(p), "%s/no/such/catalog.db", dir);
	assert_int_equal(dossier_db_open(&db, p, 1), DOSSIER_ENOTFOUND);
	assert_null(db);
	assert_non_null(strstr(dossier_error_last(), p));
}

static void test_db__not_a_database_is_corrupt(void **state)
{
	sqlite3 *db = NULL;
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not a database, just some words to fill a page\n", f);
	fclose(f);
	assert_int_equal(dossier_db_open(&db, path, 1), DOSSIER_ECORRUPT);
	assert_null(db);
	assert_non_null(strstr(dossier_error_last(), "catalog"));
}

/*
 * A catalog whose pages do not add up (here its count of free pages, in
 * the file's header) is refused before any migration writes to it,
 * saying what is wrong and what to do.
 */
static void test_db__damaged_pages_refused(void **state)
{
	unsigned char hdr[4];
	sqlite3 *db = NULL;
	uint32_t nfree;
	FILE *f;

	(void)state;
	assert_int_equal(dossier_db_open(&db, path, 1), 0);
	dossier_db_close(db);
	db = NULL;
	/* free pages: rows written, then dropped */
	raw_exec("CREATE TABLE filler(t); WITH RECURSIVE n(i) AS (SELECT 1 "
		 "UNION ALL SELECT i + 1 FROM n WHERE i < 500) INSERT INTO "
		 "filler SELECT printf('%0200d', i) FROM n; DROP TABLE filler");
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, 36, SEEK_SET), 0);
	assert_int_equal(fread(hdr, 1, 4, f), 4);
	nfree = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
		(uint32_t)hdr[2] << 8 | hdr[3];
	assert_true(nfree > 0);
	nfree += 5;
	hdr[0] = (unsigned char)(nfree >> 24);
	hdr[1] = (unsigned char)(nfree >> 16);
	hdr[2] = (unsigned char)(nfree >> 8);
	hdr[3] = (unsigned char)nfree;
	assert_int_equal(fseek(f, 36, SEEK_SET), 0);
	assert_int_equal(fwrite(hdr, 1, 4, f), 4);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(dossier_db_open(&db, path, 0), DOSSIER_ECORRUPT);
	assert_null(db);
	assert_non_null(strstr(dossier_error_last(), "catalog is damaged"));
	assert_non_null(strstr(dossier_error_last(), "freelist"));
}

/* A catalog written by a later dossierfs is left alone. */
static void test_db__newer_schema_refused(void **state)
{
	sqlite3 *db = NULL;
	int latest = dossier_db_latest_version();

	(void)state;
	catalog_at_version(latest + 1);
	assert_int_equal(dossier_db_open(&db, path, 0), DOSSIER_ECORRUPT);
	assert_null(db);
	assert_non_null(strstr(dossier_error_last(), "newer"));
	assert_int_equal(path_int("PRAGMA user_version"), latest + 1);
}

/* A catalog of an older dossierfs gets the steps it lacks, only those. */
static void test_db__older_schema_gets_the_missing_steps(void **state)
{
	sqlite3 *db = NULL;
	int latest = dossier_db_latest_version();

	(void)state;
	/* as before the last step, which adds two settings' rows */
	catalog_at_version(latest - 1);
	raw_exec("DELETE FROM setting WHERE key IN ('text-recognition', "
		 "'max-record-size')");
	raw_exec("UPDATE setting SET value = 'kept' WHERE key = "
		 "'thumbnailers'");
	assert_int_equal(dossier_db_open(&db, path, 0), 0);
	assert_int_equal(dossier_db_version(db), latest);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM setting "
					 "WHERE key IN ('text-recognition', "
					 "'max-record-size')"), 2);
	/* an earlier step did not run again */
	assert_int_equal(sandbox_sql_int(db, "SELECT value = 'kept' FROM "
					 "setting WHERE key = 'thumbnailers'"),
			 1);
	dossier_db_close(db);
}

/* A step that fails leaves the catalog as it was: one transaction each. */
static void test_db__failed_step_rolls_back(void **state)
{
	sqlite3 *db = NULL;

	(void)state;
	/* step 1 creates meta, category, node, then xattr: in the way */
	raw_exec("CREATE TABLE xattr(x)");
	assert_int_equal(dossier_db_open(&db, path, 0), DOSSIER_ERROR);
	assert_null(db);
	assert_non_null(strstr(dossier_error_last(), "already exists"));
	assert_int_equal(path_int("PRAGMA user_version"), 0);
	assert_int_equal(path_int("SELECT count(*) FROM sqlite_schema WHERE "
				  "name IN ('meta', 'category', 'node')"), 0);
}

static void test_db__sqlite_codes_translated(void **state)
{
	static const struct {
		int src;
		int rc;
	} codes[] = {
		{ SQLITE_BUSY, DOSSIER_EBUSY },
		{ SQLITE_BUSY_SNAPSHOT, DOSSIER_EBUSY },
		{ SQLITE_LOCKED, DOSSIER_EBUSY },
		{ SQLITE_FULL, DOSSIER_ENOSPC },
		{ SQLITE_CONSTRAINT, DOSSIER_EEXISTS },
		{ SQLITE_CONSTRAINT_UNIQUE, DOSSIER_EEXISTS },
		{ SQLITE_CORRUPT, DOSSIER_ECORRUPT },
		{ SQLITE_NOTADB, DOSSIER_ECORRUPT },
		{ SQLITE_READONLY, DOSSIER_EREADONLY },
		{ SQLITE_IOERR_WRITE, DOSSIER_EIO },
		{ SQLITE_MISMATCH, DOSSIER_ERROR },
		{ SQLITE_ERROR, DOSSIER_ERROR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_int_equal(dossier_db_err(NULL, codes[i].src, "step x"),
				 codes[i].rc);
		/* where it happened and SQLite's words for it */
		assert_non_null(strstr(dossier_error_last(),
				       "catalog: step x: "));
		assert_non_null(strstr(dossier_error_last(),
				       sqlite3_errstr(codes[i].src)));
		dossier_error_clear();
	}
}

/*
 * Failures on a live connection: another writer holding the catalog
 * (busy), a statement SQLite refuses, a constraint.
 */
static void test_db__failures_on_a_connection(void **state)
{
	sqlite3 *db = NULL, *other = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	assert_int_equal(dossier_db_open(&db, path, 1), 0);
	assert_int_equal(dossier_db_exec(db, "CREATE TABLE t(k TEXT PRIMARY "
				     "KEY)"), 0);
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 0);
	assert_int_equal(dossier_db_exec(db, "INSERT INTO t VALUES('a')"),
			 DOSSIER_EBUSY);
	dossier_error_clear();
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);

	assert_int_equal(dossier_db_exec(db, "SELEKT 1"), DOSSIER_ERROR);
	assert_non_null(strstr(dossier_error_last(), "syntax error"));
	dossier_error_clear();
	assert_int_equal(dossier_db_prepare(db, "SELECT x FROM nowhere",
					    &st), DOSSIER_ERROR);
	assert_null(st);
	assert_non_null(strstr(dossier_error_last(), "no such table"));
	dossier_error_clear();

	assert_int_equal(dossier_db_prepare(db, "INSERT INTO t VALUES(?1)",
					    &st), 0);
	sqlite3_bind_text(st, 1, "b", -1, SQLITE_STATIC);
	assert_int_equal(dossier_db_step_done(db, st, "add b"), 0);
	/* reset by step_done: the same statement runs again */
	assert_int_equal(dossier_db_step_done(db, st, "add b"),
			 DOSSIER_EEXISTS);
	assert_non_null(strstr(dossier_error_last(), "add b"));
	sqlite3_finalize(st);
	dossier_error_clear();
	/* a statement that returns a row is done too */
	assert_int_equal(dossier_db_prepare(db, "SELECT k FROM t", &st), 0);
	assert_int_equal(dossier_db_step_done(db, st, "read"), 0);
	sqlite3_finalize(st);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM t"), 1);
	dossier_db_close(db);
}

#define T(name) cmocka_unit_test_setup_teardown(test_db__##name, setup, \
						  teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(create_migrates_to_latest),
		T(missing_catalog_is_not_found),
		T(not_a_database_is_corrupt),
		T(damaged_pages_refused),
		T(newer_schema_refused),
		T(older_schema_gets_the_missing_steps),
		T(failed_step_rolls_back),
		T(sqlite_codes_translated),
		T(failures_on_a_connection),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
