#include "db_i.h"

#include <stdio.h>
#include <string.h>

#include "audit_i.h"
#include "error.h"
#include "log.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"

/*
 * Schema migrations, applied in order inside one transaction each.
 * Never edit a shipped step: add a new one.
 */
static int seed_rules(sqlite3 *db)
{
	return dossier_rules_seed_default(db);
}

static const struct {
	const char *sql;
	int (*fn)(sqlite3 *db);	/* runs after sql, in the same transaction */
} migrations[] = {
	/* 1: the catalog of the archive tree */
	{ "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE category("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  position INTEGER NOT NULL,"
	"  retention_years INTEGER"	/* NULL = permanent */
	");"
	/*
	 * One row per entry of the tree. Records are the kind-5 rows; their
	 * id is stable for life (AUTOINCREMENT never reuses ids) and is what
	 * history, level, scope, owner and trash state hang on.
	 */
	"CREATE TABLE node("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  parent INTEGER REFERENCES node(id),"
	"  name TEXT NOT NULL,"
	"  kind INTEGER NOT NULL,"	/* 0 root 1 year 2 category 3 client 4 folder 5 file */
	"  category INTEGER REFERENCES category(id),"
	"  scratch INTEGER NOT NULL DEFAULT 0,"
	"  mode INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  gid INTEGER NOT NULL,"
	"  mtime_ns INTEGER NOT NULL,"	/* folders; files use their content */
	"  ctime_ns INTEGER NOT NULL,"
	"  created_ns INTEGER NOT NULL,"
	"  level INTEGER,"		/* NULL: inherit from the folder */
	"  scope INTEGER,"
	"  dept TEXT,"
	"  owner TEXT,"
	"  deleted_ns INTEGER,"		/* set: in the trash */
	"  deleted_by INTEGER,"
	"  deleted_path TEXT"
	");"
	"CREATE UNIQUE INDEX node_by_name ON node(parent, name)"
	"  WHERE deleted_ns IS NULL;"
	"CREATE INDEX node_trash ON node(deleted_ns) WHERE deleted_ns IS NOT NULL;"
	"CREATE INDEX node_by_category ON node(category) WHERE kind = 2;"
	/* user.* extended attributes of any node (Samba, GIO, users) */
	"CREATE TABLE xattr("
	"  node INTEGER NOT NULL REFERENCES node(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value BLOB NOT NULL,"
	"  PRIMARY KEY(node, name)"
	") WITHOUT ROWID;"
	/* editor and OS scratch names: data, not code (fnmatch patterns) */
	"CREATE TABLE scratch_pattern("
	"  pattern TEXT PRIMARY KEY,"
	"  note TEXT NOT NULL"
	");", NULL },
	/* 2: history: the journal of changes to commit and the version index */
	{ /*
	 * A change is journaled in the same transaction as the catalog change
	 * (or at close, with a snapshot of the content in spool/), and
	 * committed to the repository by the committer thread once it is
	 * due, so that editor save dances inside the window collapse.
	 */
	"CREATE TABLE journal("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  record INTEGER NOT NULL,"
	"  op TEXT NOT NULL,"		/* create save rename delete move restore recovered */
	"  path TEXT,"			/* the record's path after the change */
	"  old_path TEXT,"		/* move: the folder's old path */
	"  spool TEXT,"			/* content snapshot, in spool/ */
	"  blob TEXT,"			/* content already in the repository */
	"  author_uid INTEGER NOT NULL,"
	"  program TEXT,"
	"  reason TEXT,"
	"  time_ns INTEGER NOT NULL,"
	"  due_ns INTEGER NOT NULL"
	");"
	"CREATE INDEX journal_by_record ON journal(record);"
	/* one row per history entry of a record: versions are one query */
	"CREATE TABLE version("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  record INTEGER NOT NULL,"
	"  commit_oid TEXT NOT NULL,"
	"  rec_commit TEXT,"
	"  blob TEXT,"
	"  size INTEGER,"
	"  author_uid INTEGER NOT NULL,"
	"  author TEXT NOT NULL,"
	"  op TEXT NOT NULL,"
	"  path TEXT NOT NULL,"
	"  program TEXT,"
	"  reason TEXT,"
	"  time_ns INTEGER NOT NULL"
	");"
	"CREATE INDEX version_by_record ON version(record, id);"
	/* what the repository holds for a record, and editor save state */
	"ALTER TABLE node ADD COLUMN hist_path TEXT;"
	"ALTER TABLE node ADD COLUMN hist_rec TEXT;"
	"ALTER TABLE node ADD COLUMN hist_blob TEXT;"
	"ALTER TABLE node ADD COLUMN snap_mtime_ns INTEGER;"
	"ALTER TABLE node ADD COLUMN snap_size INTEGER;"
	"ALTER TABLE node ADD COLUMN prev_name TEXT;"
	"ALTER TABLE node ADD COLUMN displaced_ns INTEGER;"
	/* content generation: bumped when content is replaced behind the
	 * kernel's inode (a save by rename, a restore) */
	"ALTER TABLE node ADD COLUMN cgen INTEGER NOT NULL DEFAULT 0;", NULL },
	/* 3: the rule store, with the default policy of PRODUCT.md as rows */
	{ dossier_rules_schema, seed_rules },
	/* 4: trash, destruction register, retention, holds (trash.c) */
	{ trash_schema, NULL },
	/* 5: the audit trail (audit.c) */
	{ audit_schema, NULL },
	/*
	 * 6: thumbnailers, by the kernel's 15-character program name: they
	 * read whole files and keep copies in the user's home, so they are
	 * refused records above internal (policy data, editable).
	 */
	{ "INSERT OR IGNORE INTO setting(key, value) VALUES('thumbnailers', "
	  "'gdk-pixbuf-thum,tumblerd,evince-thumbnai,totem-video-thu,"
	  "ffmpegthumbnail,gnome-thumbnail,atril-thumbnai,xreader-thumbn,"
	  "gsf-office-thum,folks-thumbnai');", NULL },
	/*
	 * 7: names of deleted entries too (history and trash views, editor
	 * revivals, rmdir's "anything left?") are one indexed lookup, not a
	 * scan of the whole catalog.
	 */
	{ "CREATE INDEX IF NOT EXISTS node_by_name_all ON node(parent, name);",
	  NULL },
	/*
	 * 8: small snapshots live in their journal row: a save of a small
	 * file creates and deletes no spool file (on ext4 without a journal,
	 * every freshly deleted inode slows the next file creations).
	 */
	{ "ALTER TABLE journal ADD COLUMN data BLOB;", NULL },
	/*
	 * 9: refs the committer has indexed commits for but not moved yet
	 * (record 0: main); moved at the end of each batch and at start.
	 */
	{ "CREATE TABLE ref_pending(record INTEGER PRIMARY KEY,"
	  " oid TEXT NOT NULL);", NULL },
	/*
	 * 10: deferred snapshots: a large save's row names the content inode
	 * it left (live) instead of a copy; the committer hashes the inode,
	 * or a change copies it into the row first (history_i.h).
	 */
	{ "ALTER TABLE journal ADD COLUMN live INTEGER;", NULL },
	/* 11: and its size, checked when a restart hashes it */
	{ "ALTER TABLE journal ADD COLUMN live_size INTEGER;", NULL },
	/*
	 * 12: classification that holds against a hostile local user
	 * (docs/design.md, Threat model). A scratch file is decided as the
	 * record it derives from (derived = its id) or is its creator's
	 * alone (-1; every scratch file older than this). A rename away
	 * remembers who made it (displaced_by): only they may finish the
	 * save dance. A name is no longer unique among live entries: one
	 * hidden from a caller does not stop the caller from using the name
	 * (polyinstantiation); the code keeps names unique among what each
	 * caller sees. An entry that took a name held (or, a moment ago,
	 * left in a save dance) by one hidden from its maker is that one's
	 * twin (twin_of): whoever may list the other never sees the twin
	 * under the plain name.
	 */
	{ "ALTER TABLE node ADD COLUMN derived INTEGER;"
	  "UPDATE node SET derived = -1 WHERE scratch = 1 AND kind = 5;"
	  "ALTER TABLE node ADD COLUMN displaced_by INTEGER;"
	  "ALTER TABLE node ADD COLUMN twin_of INTEGER;"
	  "DROP INDEX node_by_name;"
	  "CREATE INDEX node_by_name ON node(parent, name, id)"
	  "  WHERE deleted_ns IS NULL;", NULL },
	/*
	 * 13: the text of each version (recognised for scans), its queue,
	 * and the full-text index of current versions (text.c)
	 */
	{ text_schema, NULL },
	/*
	 * 14: a folder's access time as utimensat(2) set it (NULL: its
	 * mtime), and its sub-folders at a glance for the link count
	 * (core/folder.c): without the index a client folder of thousands
	 * of records was read whole at every lookup of it.
	 */
	{ "ALTER TABLE node ADD COLUMN atime_ns INTEGER;"
	  "CREATE INDEX node_subdirs ON node(parent) WHERE kind <> 5 AND "
	  "deleted_ns IS NULL;", NULL },
	/*
	 * 15: the settings the text worker and the size limit read, as rows
	 * ('policy set' takes only keys that are rows): their defaults.
	 */
	{ "INSERT OR IGNORE INTO setting(key, value) VALUES"
	  " ('text-recognition', 'on'), ('max-record-size', '4G');", NULL },
};

int dossier_db_latest_version(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
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
		if ((rc = dossier_db_exec(db, migrations[v].sql)) < 0 ||
		    (migrations[v].fn && (rc = migrations[v].fn(db)) < 0) ||
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
	    (rc = dossier_db_exec(db, "PRAGMA quick_check(1)")) < 0 ||
	    (rc = migrate(db)) < 0 || (rc = drop_stats(db)) < 0 ||
	    (rc = text_db_init(db)) < 0) {
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
