/*
 * The catalog base: the statements prepared once per archive, one typed way
 * to run a statement, transactions, and where a record's content lives.
 * Every layer above reads and writes the catalog through these.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "audit_i.h"
#include "history_i.h"
#include "meta_i.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"
#include "views_i.h"
#include "log.h"
#include "name.h"


const char *const archive_node_cols =
	"id, parent, kind, scratch, category, mode, uid, gid, mtime_ns, "
	"ctime_ns, deleted_ns IS NOT NULL, hist_rec IS NOT NULL, "
	"coalesce(displaced_ns, 0), cgen, coalesce(level, 0), "
	"coalesce(scope, 1), dept, coalesce(derived, 0), coalesce(twin_of, 0)";

static const char *const stmt_sql[ST__COUNT] = {
	[ST_LOOKUP] = "SELECT %s FROM node WHERE parent = ?1 AND name = ?2 "
		      "AND deleted_ns IS NULL ORDER BY id",
	[ST_GET] = "SELECT %s FROM node WHERE id = ?1",
	/* names in order (node_by_name): entries sharing one are adjacent */
	[ST_LIST] = "SELECT %s, name FROM node WHERE parent = ?1 "
		    "AND deleted_ns IS NULL ORDER BY name, id",
	/* a new entry takes its folder's level, scope and department */
	[ST_INSERT] = "INSERT INTO node(parent, name, kind, category, scratch,"
		      " mode, uid, gid, mtime_ns, ctime_ns, created_ns, level,"
		      " scope, dept) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		      "?9, ?9, ?9, (SELECT level FROM node WHERE id = ?1), "
		      "(SELECT scope FROM node WHERE id = ?1), coalesce(("
		      "SELECT dept FROM node WHERE id = ?1), ?10))",
	[ST_TOUCH] = "UPDATE node SET mtime_ns = ?2, ctime_ns = ?2 "
		     "WHERE id = ?1",
	[ST_HASCHILD] = "SELECT 1 FROM node WHERE parent = ?1 "
			"AND deleted_ns IS NULL LIMIT 1",
	[ST_HASANYCHILD] = "SELECT 1 FROM node WHERE parent = ?1 LIMIT 1",
	[ST_DELETE] = "DELETE FROM node WHERE id = ?1",
	[ST_SOFTDEL] = "UPDATE node SET deleted_ns = ?2, deleted_by = ?3, "
		       "deleted_path = ?4 WHERE id = ?1",
	/* a scratch file renamed to a record's name becomes a record */
	[ST_MOVE] = "UPDATE node SET parent = ?2, name = ?3, kind = ?4, "
		    "scratch = ?5, ctime_ns = ?6, derived = CASE WHEN ?5 "
		    "THEN derived END WHERE id = ?1",
	[ST_SETOWNER] = "UPDATE node SET mode = ?2, uid = ?3, gid = ?4, "
			"ctime_ns = ?5 WHERE id = ?1",
	[ST_SETDIRTIME] = "UPDATE node SET mtime_ns = ?2, ctime_ns = ?3 "
			  "WHERE id = ?1",
	[ST_CATEGORIES] = "SELECT id, name, retention_years FROM category "
			  "ORDER BY position",
	/* a twin, or a younger namesake of a live entry, is marked */
	[ST_ANCESTORS] = "WITH RECURSIVE up(id, parent, name, twin, depth) AS ("
			 " SELECT id, parent, name, coalesce(twin_of, 0), 0"
			 " FROM node WHERE id = ?1"
			 " UNION ALL SELECT n.id, n.parent, n.name,"
			 " coalesce(n.twin_of, 0), depth + 1"
			 " FROM node n JOIN up ON n.id = up.parent"
			 " WHERE up.parent IS NOT NULL)"
			 " SELECT id, name, twin != 0 OR EXISTS(SELECT 1 FROM"
			 " node o WHERE o.parent = up.parent AND o.name ="
			 " up.name AND o.deleted_ns IS NULL AND o.id < up.id"
			 " AND coalesce(o.twin_of, 0) = 0)"
			 " FROM up ORDER BY depth DESC",
};

void content_relpath(char *out, size_t outsz, uint64_t id)
{
	snprintf(out, outsz, "%02x/%" PRIu64, (unsigned)(id & 0xff), id);
}

const char *dossier_archive_path(const struct dossier_archive *a)
{
	return a->path;
}

int archive_stmt(struct dossier_archive *a, const char *sql,
		 sqlite3_stmt **out)
{
	size_t h = ((uintptr_t)sql >> 3) % STMT_CACHE, i;
	int rc;

	for (i = 0; i < STMT_CACHE; i++, h = (h + 1) % STMT_CACHE) {
		if (a->cache[h].sql == sql) {
			*out = a->cache[h].st;
			return 0;
		}
		if (!a->cache[h].sql)
			break;
	}
	if (i == STMT_CACHE) {
		dossier_error_set("catalog: statement cache full");
		return DOSSIER_ERROR;
	}
	if ((rc = dossier_db_prepare(a->db, sql, out)) < 0)
		return rc;
	a->cache[h].sql = sql;
	a->cache[h].st = *out;
	return 0;
}

void archive_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/* Lock held (archive_i.h). */
int archive_exec(struct dossier_archive *a, const char *sql,
		 const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc;

	if ((rc = archive_stmt(a, sql, &st)) < 0)
		return rc;
	va_start(ap, types);
	rc = dossier_db_runv(a->db, st, sql, types, ap);
	va_end(ap);
	return rc;
}

int64_t archive_query_id(struct dossier_archive *a, const char *sql,
			 const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	va_list ap;

	if (archive_stmt(a, sql, &st) < 0)
		return 0;
	va_start(ap, types);
	dossier_db_bindv(st, types, ap);
	va_end(ap);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	archive_stmt_done(st);
	return v;
}

int archive_begin(struct dossier_archive *a)
{
	return dossier_db_exec(a->db, "BEGIN IMMEDIATE");
}

int archive_end(struct dossier_archive *a, int rc)
{
	if (rc < 0) {
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	a->generation++;	/* cached answers and open files: ask again */
	return dossier_db_exec(a->db, "COMMIT");
}

/* Prepare every statement, with "%s" in its text standing for node_cols. */
int archive_prepare_all(struct dossier_archive *a)
{
	char sql[1024];
	const char *mark;
	int i, rc;

	for (i = 0; i < ST__COUNT; i++) {
		mark = strstr(stmt_sql[i], "%s");
		if (mark)
			snprintf(sql, sizeof(sql), "%.*s%s%s",
				 (int)(mark - stmt_sql[i]), stmt_sql[i],
				 archive_node_cols, mark + 2);
		else
			snprintf(sql, sizeof(sql), "%s", stmt_sql[i]);
		if ((rc = dossier_db_prepare(a->db, sql, &a->st[i])) < 0)
			return rc;
	}
	return 0;
}
