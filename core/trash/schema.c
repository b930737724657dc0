/*
 * The trash's tables and policy rows: catalog migration 4 (db.c runs
 * it). Kept apart so that the catalog's migrations need nothing else of
 * this module.
 */
#include "trash_private.h"

const char trash_schema[] =
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
	" ('disposition-roles', '" DEFAULT_DISPOSERS "'),"
	" ('register-roles', '" DEFAULT_READERS "'),"
	" ('destruction-approval-level', 'confidential');";
