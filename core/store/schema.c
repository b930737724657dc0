#include "schema_i.h"

#include <stddef.h>

/*
 * The catalog's schema, every step of it, in version order: the tables
 * of the tree and of every module above (rules, trash, audit, history,
 * text) live here, so the store that opens the catalog owns them and
 * calls nothing above it. Never edit a shipped step: add a new one.
 * Rows a module needs in its tables (the default policy) are written by
 * that module, not by a step.
 */

/*
 * The tables of the rule store. Conditions of a rule that hold text are
 * comma lists; NULL means "any". See rules_i.h for the decision model.
 */
const char dossier_schema_rules[] =
	"CREATE TABLE role("
	"  name TEXT PRIMARY KEY,"
	"  zh TEXT"
	");"
	"CREATE TABLE user("
	"  uid INTEGER PRIMARY KEY,"
	"  name TEXT UNIQUE NOT NULL,"
	"  role TEXT NOT NULL REFERENCES role(name),"
	"  dept TEXT"
	");"
	"CREATE TABLE level("
	"  rank INTEGER PRIMARY KEY CHECK(rank BETWEEN 0 AND 3),"
	"  name TEXT UNIQUE NOT NULL,"
	"  zh TEXT UNIQUE NOT NULL,"
	"  max_grant_seconds INTEGER,"	/* NULL: no maximum set (not lendable) */
	"  lendable INTEGER NOT NULL DEFAULT 0,"
	"  note TEXT"
	");"
	"CREATE TABLE site("
	"  name TEXT PRIMARY KEY,"
	"  note TEXT"
	");"
	"CREATE TABLE rule("
	"  id INTEGER PRIMARY KEY,"
	"  family TEXT NOT NULL CHECK(family IN ('level','scope','action')),"
	"  priority INTEGER NOT NULL,"	/* lowest first, then id */
	"  action TEXT,"
	"  level INTEGER,"
	"  scope TEXT,"			/* company|department|personal */
	"  relation TEXT,"		/* owner|dept|other */
	"  role TEXT,"
	"  dept_role TEXT,"		/* subject's role, in the record's dept */
	"  user_dept TEXT,"		/* subject's department */
	"  site TEXT,"
	"  effect TEXT NOT NULL CHECK(effect IN ('allow','grantable','deny')),"
	"  approvers TEXT,"		/* ROLE, dept:ROLE, record:ROLE, owner */
	"  note TEXT NOT NULL"		/* the one-line reason a verdict gives */
	");"
	"CREATE TABLE grant("
	"  id INTEGER PRIMARY KEY,"
	"  record INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  can_read INTEGER NOT NULL DEFAULT 1,"
	"  can_write INTEGER NOT NULL DEFAULT 0,"
	"  approved_by INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  start_s INTEGER NOT NULL,"
	"  end_s INTEGER NOT NULL,"
	"  revoked_s INTEGER"
	");"
	"CREATE INDEX grant_by_user ON grant(uid, record);"
	"CREATE INDEX grant_open ON grant(end_s) WHERE revoked_s IS NULL;"
	"CREATE TABLE setting("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");";


/* trash, destruction register, retention, holds (core/trash/) */
static const char trash_sql[] =
	/* legal holds on a record or a folder (its whole subtree) */
	"CREATE TABLE hold("
	"  id INTEGER PRIMARY KEY,"
	"  node INTEGER NOT NULL,"
	"  path TEXT NOT NULL,"		/* where it was when held */
	"  reason TEXT NOT NULL,"
	"  held_by INTEGER NOT NULL,"	/* uid */
	"  held_ns INTEGER NOT NULL,"
	"  released_by INTEGER,"
	"  released_ns INTEGER,"
	"  release_reason TEXT"
	");"
	"CREATE INDEX hold_active ON hold(node) WHERE released_ns IS NULL;"
	/* an approver's decision that a classified record may be destroyed */
	"CREATE TABLE destruction_approval("
	"  id INTEGER PRIMARY KEY,"
	"  record INTEGER NOT NULL,"
	"  approved_by INTEGER NOT NULL,"	/* uid */
	"  approver TEXT NOT NULL,"		/* user name then */
	"  reason TEXT NOT NULL,"
	"  time_ns INTEGER NOT NULL"
	");"
	"CREATE INDEX approval_by_record ON destruction_approval(record);"
	/*
	 * What was destroyed, when, approved by whom and why: written in the
	 * transaction that deletes the record's rows, never changed.
	 */
	"CREATE TABLE destruction_register("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  record INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  path TEXT NOT NULL,"		/* where it was when deleted */
	"  level INTEGER NOT NULL,"
	"  category TEXT,"
	"  versions INTEGER NOT NULL,"	/* content versions destroyed */
	"  deleted_ns INTEGER,"
	"  deleted_by TEXT,"
	"  destroyed_ns INTEGER NOT NULL,"
	"  destroyed_by TEXT NOT NULL,"
	"  approved_by TEXT,"		/* NULL: no approval needed */
	"  reason TEXT NOT NULL"
	");"
	"CREATE TRIGGER destruction_register_no_update BEFORE UPDATE ON "
	"  destruction_register BEGIN SELECT RAISE(ABORT, "
	"  'the destruction register is append-only'); END;"
	"CREATE TRIGGER destruction_register_no_delete BEFORE DELETE ON "
	"  destruction_register BEGIN SELECT RAISE(ABORT, "
	"  'the destruction register is append-only'); END;"
	/* records a purge has started to destroy (see trash_i.h) */
	"CREATE TABLE trash_purging("
	"  record INTEGER PRIMARY KEY,"
	"  since_ns INTEGER NOT NULL"
	");"
	"CREATE TABLE trash_state("
	"  key TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL"
	");"
	/* policy as data: who manages disposition, who reads the register */
	"INSERT OR IGNORE INTO setting(key, value) VALUES"
	" ('disposition-roles', 'gm,deputy_gm,archivist'),"
	" ('register-roles', 'gm,deputy_gm,archivist,auditor'),"
	" ('destruction-approval-level', 'confidential');";


/*
 * text_queue: content versions waiting for their text (oldest first).
 * version_text: the text of each version, with how it was got (status 0
 * done, 1 failed), pages recognised and the time it took.
 * text_index: the current version's text of each record (rowid = record
 * id); trigram: it finds any substring of three characters or more, the
 * only way to find Chinese words, which have no spaces between them.
 * The existing records' current versions are queued once.
 */
static const char text_sql[] =
	"CREATE TABLE text_queue("
	"  version INTEGER PRIMARY KEY,"
	"  record INTEGER NOT NULL,"
	"  queued_ns INTEGER NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX text_queue_by_record ON text_queue(record);"
	"CREATE TABLE version_text("
	"  version INTEGER PRIMARY KEY,"
	"  record INTEGER NOT NULL,"
	"  status INTEGER NOT NULL,"
	"  method TEXT NOT NULL,"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  ms INTEGER NOT NULL DEFAULT 0,"
	"  body TEXT,"
	"  error TEXT,"
	"  done_ns INTEGER NOT NULL"
	");"
	"CREATE INDEX version_text_by_record ON version_text(record);"
	"CREATE VIRTUAL TABLE text_index USING fts5(body, version UNINDEXED,"
	"  tokenize = 'trigram');"
	"INSERT INTO text_queue(version, record, queued_ns)"
	"  SELECT max(id), record, 0 FROM version WHERE blob IS NOT NULL"
	"  GROUP BY record;";


/*
 * IF NOT EXISTS: audit_open() runs this again on catalogs that went
 * through migration 5 while it was a placeholder (archives created between
 * the module skeletons and this schema, 2026-11).
 */
const char dossier_schema_audit[] =
	"CREATE TABLE IF NOT EXISTS audit("
	"  id INTEGER PRIMARY KEY,"	/* append order */
	"  time_ns INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"		/* account name when written */
	"  pid INTEGER NOT NULL,"
	"  program TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  path TEXT NOT NULL,"		/* archive path, "" for none */
	"  allowed INTEGER NOT NULL,"
	"  rule INTEGER,"		/* deciding rule row; NULL: none */
	"  detail TEXT"
	");"
	"CREATE INDEX IF NOT EXISTS audit_by_time ON audit(time_ns);"
	"CREATE INDEX IF NOT EXISTS audit_by_user ON audit(user);"
	"CREATE INDEX IF NOT EXISTS audit_by_uid ON audit(uid);"
	"CREATE INDEX IF NOT EXISTS audit_by_path ON audit(path);"
	"CREATE INDEX IF NOT EXISTS audit_denied ON audit(time_ns)"
	"  WHERE allowed = 0;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;";


/*
 * Schema steps, applied in order inside one transaction each
 * (dossier_db_open). Never edit a shipped step: add a new one.
 */
static const char *const steps[] = {
	/* 1: the catalog of the archive tree */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
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
	");",
	/* 2: history: the journal of changes to commit and the version index */
	/*
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
	"ALTER TABLE node ADD COLUMN cgen INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 3: the rule store (its default policy is written by whoever
	 * creates the catalog, or by dossier_rules_open() finding it empty)
	 */
	dossier_schema_rules,
	/* 4: trash, destruction register, retention, holds (trash.c) */
	trash_sql,
	/* 5: the audit trail (audit.c) */
	dossier_schema_audit,
	/*
	 * 6: thumbnailers, by the kernel's 15-character program name: they
	 * read whole files and keep copies in the user's home, so they are
	 * refused records above internal (policy data, editable).
	 */
	"INSERT OR IGNORE INTO setting(key, value) VALUES('thumbnailers', "
	"'gdk-pixbuf-thum,tumblerd,evince-thumbnai,totem-video-thu,"
	"ffmpegthumbnail,gnome-thumbnail,atril-thumbnai,xreader-thumbn,"
	"gsf-office-thum,folks-thumbnai');",
	/*
	 * 7: names of deleted entries too (history and trash views, editor
	 * revivals, rmdir's "anything left?") are one indexed lookup, not a
	 * scan of the whole catalog.
	 */
	"CREATE INDEX IF NOT EXISTS node_by_name_all ON node(parent, name);",
	/*
	 * 8: small snapshots live in their journal row: a save of a small
	 * file creates and deletes no spool file (on ext4 without a journal,
	 * every freshly deleted inode slows the next file creations).
	 */
	"ALTER TABLE journal ADD COLUMN data BLOB;",
	/*
	 * 9: refs the committer has indexed commits for but not moved yet
	 * (record 0: main); moved at the end of each batch and at start.
	 */
	"CREATE TABLE ref_pending(record INTEGER PRIMARY KEY,"
	" oid TEXT NOT NULL);",
	/*
	 * 10: deferred snapshots: a large save's row names the content inode
	 * it left (live) instead of a copy; the committer hashes the inode,
	 * or a change copies it into the row first (history_i.h).
	 */
	"ALTER TABLE journal ADD COLUMN live INTEGER;",
	/* 11: and its size, checked when a restart hashes it */
	"ALTER TABLE journal ADD COLUMN live_size INTEGER;",
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
	"ALTER TABLE node ADD COLUMN derived INTEGER;"
	"UPDATE node SET derived = -1 WHERE scratch = 1 AND kind = 5;"
	"ALTER TABLE node ADD COLUMN displaced_by INTEGER;"
	"ALTER TABLE node ADD COLUMN twin_of INTEGER;"
	"DROP INDEX node_by_name;"
	"CREATE INDEX node_by_name ON node(parent, name, id)"
	"  WHERE deleted_ns IS NULL;",
	/*
	 * 13: the text of each version (recognised for scans), its queue,
	 * and the full-text index of current versions (text.c)
	 */
	text_sql,
	/*
	 * 14: a folder's access time as utimensat(2) set it (NULL: its
	 * mtime), and its sub-folders at a glance for the link count
	 * (core/folder.c): without the index a client folder of thousands
	 * of records was read whole at every lookup of it.
	 */
	"ALTER TABLE node ADD COLUMN atime_ns INTEGER;"
	"CREATE INDEX node_subdirs ON node(parent) WHERE kind <> 5 AND "
	"deleted_ns IS NULL;",
	/*
	 * 15: the settings the text worker and the size limit read, as rows
	 * ('policy set' takes only keys that are rows): their defaults.
	 */
	"INSERT OR IGNORE INTO setting(key, value) VALUES"
	" ('text-recognition', 'on'), ('max-record-size', '4G');",
};

const char *dossier_schema_step(int v)
{
	if (v < 1 || v > dossier_schema_latest())
		return NULL;
	return steps[v - 1];
}

int dossier_schema_latest(void)
{
	return (int)(sizeof(steps) / sizeof(steps[0]));
}
