/*
 * The control requests of dossierctl's trash, restore-deleted, purge,
 * register, approve-destruction, hold, release and due.
 */
#include "trash_private.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_i.h"
#include "audit_i.h"
#include "control_i.h"
#include "db_i.h"
#include "error.h"
#include "name.h"
#include "reply.h"
#include "rules_i.h"

/* 0 if who may manage disposition (setting disposition-roles). */
static int may_dispose(struct dossier_archive *a,
		       const struct dossier_caller *who, const char *what)
{
	return trash_need_role(a, who, what, "disposition-roles",
			       DEFAULT_DISPOSERS);
}

/* 0 if who may read the register and the retention list. */
static int may_read_register(struct dossier_archive *a,
			     const struct dossier_caller *who, const char *what)
{
	return trash_need_role(a, who, what, "register-roles",
			       DEFAULT_READERS);
}

/*
 * The node a request names: "#ID", a path in the archive (deleted: the
 * last component may be a deleted record), or a path in /.trash. Lock
 * held.
 */
static int resolve(struct dossier_archive *a, const struct dossier_caller *who,
		   const char *target, int deleted, struct node *out)
{
	if (target[0] == '#') {
		char *end;
		unsigned long long id = strtoull(target + 1, &end, 10);

		if (end == target + 1 || *end || id == 0 ||
		    id >= (1ULL << ID_BITS)) {
			dossier_error_set("'%s' is not a record id", target);
			return DOSSIER_EINVAL;
		}
		if (archive_get_node(a, id, out) < 0) {
			dossier_error_clear();
			dossier_error_set("no record %llu", id);
			return DOSSIER_ENOTFOUND;
		}
		if (archive_decide(a, who, out, NULL, ACT_LIST) < 0) {
			dossier_error_clear();
			dossier_error_set("no record %llu", id);
			return DOSSIER_EHIDDEN;
		}
		return 0;
	}
	if (!strcmp(target, ".trash") || !strncmp(target, ".trash/", 7)) {
		char *copy = strdup(target), *comp, *save = NULL;
		uint64_t ino = INO_TRASH;
		int rc = 0;

		if (!copy)
			return DOSSIER_ERROR;
		strtok_r(copy, "/", &save);
		while (rc == 0 && (comp = strtok_r(NULL, "/", &save))) {
			char nfc[DOSSIER_NAME_MAX + 1];
			struct trash_entry *e = NULL;
			size_t n = 0, i;

			if ((rc = dossier_name_normalize(nfc, sizeof(nfc),
							 comp)) < 0 ||
			    (rc = trash_dir_read(a, who, ino, &e, &n)) < 0)
				break;
			rc = DOSSIER_ENOTFOUND;
			for (i = 0; i < n; i++)
				if (!strcmp(e[i].name, nfc)) {
					*out = e[i].n;
					ino = TRASH_BASE | e[i].n.id;
					rc = 0;
					break;
				}
			trash_entries_free(e, n);
		}
		free(copy);
		if (rc == 0 && ino == INO_TRASH) {
			dossier_error_set("name a record or folder in the "
					  "trash");
			rc = DOSSIER_EINVAL;
		}
		return rc;
	}
	return access_resolve(a, who, target, deleted, out);
}

static int cmd_trash(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	char sql[1024];
	sqlite3_stmt *st = NULL;
	uid_t only = 0;
	int rc, days, need, base;
	int64_t now = dossier_clock_ns();

	if (n > 2)
		return control_status(out, 2, "usage: trash [USER]");
	pthread_mutex_lock(&a->lock);
	rc = 0;
	if (n == 2 && (!a->rules ||
		       (rc = dossier_rules_user_lookup(a->rules, f[1],
						       &only)) < 0))
		rc = rc < 0 ? rc : DOSSIER_ENOTFOUND;
	days = trash_days(a);
	need = trash_approval_level(a);
	snprintf(sql, sizeof(sql), "SELECT %s, deleted_ns, deleted_by, "
		 "coalesce(deleted_path, '') FROM node WHERE kind = 5 AND "
		 "scratch = 0 AND deleted_ns IS NOT NULL AND (?1 < 0 OR "
		 "deleted_by = ?1) ORDER BY deleted_ns", archive_node_cols);
	if (rc == 0)
		rc = dossier_db_prepare(a->db, sql, &st);
	if (rc < 0) {
		pthread_mutex_unlock(&a->lock);
		return control_refused(out, rc, "trash");
	}
	base = sqlite3_column_count(st) - 3;
	sqlite3_bind_int64(st, 1, n == 2 ? (int64_t)only : -1);
	control_status(out, 0, "ok");
	dossier_buf_addf(out, "days\t%d\n", days);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct node r;
		struct trash_hold h;
		char by[64], state[64], appr[64];
		int64_t del = sqlite3_column_int64(st, base), left;

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		trash_user_name(a, (uid_t)sqlite3_column_int64(st, base + 1),
				by, sizeof(by));
		left = trash_expiry_ns(del, days) - now;
		if (trash_is_purging(a, r.id))
			snprintf(state, sizeof(state), "purging");
		else if (trash_find_hold(a, r.id, &h) > 0)
			snprintf(state, sizeof(state), "held");
		else if (r.level >= need &&
			 !trash_find_approval(a, r.id, appr, sizeof(appr),
					      NULL))
			snprintf(state, sizeof(state), "needs approval");
		else
			state[0] = '\0';
		/* whole days, rounded up, never more than the period */
		left = left > 0 ? (left + DAY_NS - 1) / DAY_NS : 0;
		dossier_buf_addf(out, "%" PRIu64 "\t%" PRId64 "\t%" PRId64
				 "\t%s\t%s\t%s\t%s\n", r.id, del / 1000000000,
				 left > days ? (int64_t)days : left,
				 state, by, dossier_level_name(r.level),
				 sqlite3_column_text(st, base + 2));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int cmd_restore_deleted(struct dossier_archive *a,
			       const struct dossier_caller *who, char **f,
			       int n, struct dossier_buf *out)
{
	struct node r;
	char *path = NULL;
	int rc;

	if (n != 2)
		return control_status(out, 2, "usage: restore-deleted "
					    "PATH|#ID");
	pthread_mutex_lock(&a->lock);
	rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0 && !r.deleted) {
		dossier_error_set("'%s' is not in the trash", f[1]);
		rc = DOSSIER_EINVAL;
	}
	if (rc == 0 && r.kind != DOSSIER_KIND_FILE &&
	    (r.kind < DOSSIER_KIND_CLIENT)) {
		dossier_error_set("'%s' cannot be restored", f[1]);
		rc = DOSSIER_ESTRUCTURE;
	}
	if (rc == 0 && r.kind == DOSSIER_KIND_FILE)
		rc = trash_may_restore(a, who, &r, NULL);
	else if (rc == 0)
		rc = archive_decide(a, who, &r, NULL, ACT_CREATE);
	if (rc == 0 && (rc = archive_begin(a)) == 0) {
		rc = trash_restore_in_place(a, who, &r, dossier_clock_ns());
		rc = archive_end(a, rc);
	}
	if (rc == 0)
		path = archive_node_path(a, r.id);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0) {
		audit_record(a->audit, who, "restore", f[1], 0, 0,
			     dossier_error_last());
		return control_refused(out, rc, f[1]);
	}
	dossier_buf_addf(out, "0\trestored '%s'\n", path ? path : f[1]);
	free(path);
	return 0;
}

static int cmd_purge(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	struct dossier_buf report = DOSSIER_BUF_INIT;
	size_t done = 0;
	int rc;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: purge");
	pthread_mutex_lock(&a->lock);
	rc = may_dispose(a, who, "purging");
	pthread_mutex_unlock(&a->lock);
	if (rc == 0)
		rc = trash_purge(a, who, trash_window_passed(a), &report,
				 &done);
	if (rc < 0 && done == 0 && report.len == 0) {
		audit_record(a->audit, who, "purge", "", 0, 0,
			     dossier_error_last());
		dossier_buf_release(&report);
		return control_refused(out, rc, "purge");
	}
	dossier_buf_addf(out, "%d\t%zu destroyed%s\n", rc < 0 ? 1 : 0, done,
			 rc < 0 ? ", some failed (see the daemon log)" : "");
	dossier_buf_add(out, report.buf, report.len);
	dossier_buf_release(&report);
	dossier_error_clear();
	return rc < 0 ? 1 : 0;
}

static int cmd_register(struct dossier_archive *a,
			const struct dossier_caller *who, char **f, int n,
			struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	int rc, i;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: register");
	pthread_mutex_lock(&a->lock);
	rc = may_read_register(a, who, "the destruction register");
	if (rc == 0)
		rc = dossier_db_prepare(a->db, "SELECT id, destroyed_ns / "
					"1000000000, record, name, path, level,"
					" coalesce(category, ''), versions, "
					"coalesce(deleted_ns / 1000000000, 0),"
					" coalesce(deleted_by, ''), "
					"destroyed_by, coalesce(approved_by, "
					"''), reason FROM destruction_register"
					" ORDER BY id", &st);
	if (rc < 0) {
		pthread_mutex_unlock(&a->lock);
		return control_refused(out, rc, "register");
	}
	control_status(out, 0, "ok");
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 13; i++) {
			const char *v = (const char *)
				sqlite3_column_text(st, i);

			if (i == 5)
				v = dossier_level_name(
					sqlite3_column_int(st, i));
			dossier_buf_addf(out, "%s%s", i ? "\t" : "",
					 v ? v : "");
		}
		dossier_buf_add(out, "\n", 1);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int cmd_approve_destruction(struct dossier_archive *a,
				   const struct dossier_caller *who, char **f,
				   int n, struct dossier_buf *out)
{
	char name[64], msg[256], *path = NULL;
	struct node r;
	int rc;

	if (n != 3 || !f[2][0])
		return control_status(out, 2, "usage: approve-destruction "
					    "PATH|#ID REASON (a reason is "
					    "required)");
	pthread_mutex_lock(&a->lock);
	rc = may_dispose(a, who, "approving destruction");
	if (rc == 0)
		rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0 && r.kind != DOSSIER_KIND_FILE)
		rc = DOSSIER_EISDIR;
	if (rc == 0) {
		trash_user_name(a, who->uid, name, sizeof(name));
		path = archive_node_path(a, r.id);
		rc = archive_exec(a, "INSERT INTO destruction_approval(record, "
				  "approved_by, approver, reason, time_ns) "
				  "VALUES(?, ?, ?, ?, ?)", "iitti",
				  (int64_t)r.id, (int64_t)who->uid, name, f[2],
				  dossier_clock_ns());
	}
	if (rc == 0)
		snprintf(msg, sizeof(msg), "destruction of record %" PRIu64
			 " (%s) approved%s", r.id, dossier_level_name(r.level),
			 r.level < trash_approval_level(a) ?
				 " (not needed at this level)" : "");
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "approve-destruction", path ? path : f[1],
		     rc == 0, 0, rc == 0 ? f[2] : dossier_error_last());
	free(path);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	return control_status(out, 0, msg);
}

static int cmd_hold(struct dossier_archive *a, const struct dossier_caller *who,
		    char **f, int n, struct dossier_buf *out)
{
	char msg[1200], *path = NULL;
	struct node r;
	int rc;

	if (n != 3 || !f[2][0])
		return control_status(out, 2, "usage: hold PATH|#ID REASON (a "
					    "reason is required)");
	pthread_mutex_lock(&a->lock);
	rc = may_dispose(a, who, "legal holds");
	if (rc == 0)
		rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0 && trash_is_purging(a, r.id)) {
		dossier_error_set("this record is being destroyed by a purge");
		rc = DOSSIER_EBUSY;
	}
	if (rc == 0 && !(path = archive_node_path(a, r.id)))
		rc = DOSSIER_ERROR;
	if (rc == 0)
		rc = archive_exec(a, "INSERT INTO hold(node, path, reason, "
				  "held_by, held_ns) VALUES(?, ?, ?, ?, ?)",
				  "ittii", (int64_t)r.id, path, f[2],
				  (int64_t)who->uid, dossier_clock_ns());
	if (rc == 0)
		snprintf(msg, sizeof(msg), "'%s' is held%s: it cannot be "
			 "deleted or destroyed until released", path,
			 r.kind == DOSSIER_KIND_FILE ? "" :
				 " with everything in it");
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "hold", path ? path : f[1], rc == 0, 0,
		     rc == 0 ? f[2] : dossier_error_last());
	free(path);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	return control_status(out, 0, msg);
}

static int cmd_release(struct dossier_archive *a,
		       const struct dossier_caller *who, char **f, int n,
		       struct dossier_buf *out)
{
	char msg[1200], *path = NULL;
	struct trash_hold h;
	struct node r;
	int rc, changed = 0;

	if (n < 2 || n > 3)
		return control_status(out, 2, "usage: release PATH|#ID "
					    "[REASON]");
	pthread_mutex_lock(&a->lock);
	rc = may_dispose(a, who, "legal holds");
	if (rc == 0)
		rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0) {
		path = archive_node_path(a, r.id);
		rc = archive_exec(a, "UPDATE hold SET released_by = ?, "
				  "released_ns = ?, release_reason = ? WHERE "
				  "node = ? AND released_ns IS NULL", "iiti",
				  (int64_t)who->uid, dossier_clock_ns(),
				  n == 3 ? f[2] : NULL, (int64_t)r.id);
		changed = sqlite3_changes(a->db);
	}
	if (rc == 0 && !changed) {
		if (trash_find_hold(a, r.id, &h) > 0)
			dossier_error_set("'%s' is held through '%s' (hold %"
					  PRId64 "): release that folder",
					  path ? path : f[1], h.path, h.id);
		else
			dossier_error_set("'%s' is not held",
					  path ? path : f[1]);
		rc = DOSSIER_ENOTFOUND;
	}
	if (rc == 0)
		snprintf(msg, sizeof(msg), "released %d hold%s on '%s'",
			 changed, changed == 1 ? "" : "s", path ? path : f[1]);
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "release", path ? path : f[1], rc == 0, 0,
		     rc == 0 ? (n == 3 ? f[2] : NULL) : dossier_error_last());
	free(path);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	return control_status(out, 0, msg);
}

/*
 * due: live records whose category's retention ended: the year folder
 * plus retention_years is before this year.
 */
static int cmd_due(struct dossier_archive *a, const struct dossier_caller *who,
		   char **f, int n, struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	char sql[1536];
	struct tm tm;
	time_t now = (time_t)(dossier_clock_ns() / 1000000000);
	int rc, base, need;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: due");
	localtime_r(&now, &tm);
	pthread_mutex_lock(&a->lock);
	rc = may_read_register(a, who, "the retention list");
	need = trash_approval_level(a);
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE sub(nid, year, cat, keep) AS ("
		 " SELECT c.id, CAST(y.name AS INTEGER), k.name,"
		 " k.retention_years FROM node c JOIN node y ON y.id = c.parent"
		 " JOIN category k ON k.id = c.category WHERE c.kind = 2 AND"
		 " y.kind = 1 AND c.deleted_ns IS NULL AND y.deleted_ns IS NULL"
		 " AND k.retention_years IS NOT NULL"
		 " AND CAST(y.name AS INTEGER) + k.retention_years < ?1"
		 " UNION ALL SELECT n.id, sub.year, sub.cat, sub.keep"
		 " FROM node n JOIN sub ON n.parent = sub.nid"
		 " WHERE n.deleted_ns IS NULL)"
		 " SELECT %s, sub.year, sub.cat, sub.keep FROM sub JOIN node ON"
		 " node.id = sub.nid WHERE kind = 5 AND scratch = 0"
		 " ORDER BY sub.year, sub.cat, node.id", archive_node_cols);
	if (rc == 0)
		rc = dossier_db_prepare(a->db, sql, &st);
	if (rc < 0) {
		pthread_mutex_unlock(&a->lock);
		return control_refused(out, rc, "due");
	}
	base = sqlite3_column_count(st) - 3;
	sqlite3_bind_int64(st, 1, tm.tm_year + 1900);
	control_status(out, 0, "ok");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct node r;
		struct trash_hold h;
		char appr[64], *path;
		const char *state;
		int year = sqlite3_column_int(st, base);
		int keep = sqlite3_column_int(st, base + 2);

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		path = archive_node_path(a, r.id);
		if (trash_find_hold(a, r.id, &h) > 0)
			state = "held";
		else if (trash_find_approval(a, r.id, appr, sizeof(appr), NULL))
			state = "approved";
		else
			state = r.level >= need ? "needs approval" : "";
		dossier_buf_addf(out, "%" PRIu64 "\t%d\t%s\t%d\t%d\t%s\t%s\t"
				 "%s\n", r.id, year,
				 sqlite3_column_text(st, base + 1), keep,
				 year + keep + 1, dossier_level_name(r.level),
				 state, path ? path : "");
		free(path);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

const struct control_cmd control_trash_cmds[] = {
	{ "trash", cmd_trash },
	{ "restore-deleted", cmd_restore_deleted },
	{ "purge", cmd_purge },
	{ "register", cmd_register },
	{ "approve-destruction", cmd_approve_destruction },
	{ "hold", cmd_hold },
	{ "release", cmd_release },
	{ "due", cmd_due },
	{ NULL, NULL },
};
