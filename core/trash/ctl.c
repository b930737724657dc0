/*
 * The control requests of dossierctl's trash, restore-deleted, purge,
 * register, approve-destruction, hold, release and due.
 */
#include "trash_priv_i.h"

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
	char *end;
	unsigned long long id;

	if (!strcmp(target, ".trash") || !strncmp(target, ".trash/", 7))
		return trash_view_resolve(a, who, target, out);
	if (target[0] != '#')
		return access_resolve(a, who, target, deleted, out);
	id = strtoull(target + 1, &end, 10);
	if (end == target + 1 || *end || id == 0 || id >= (1ULL << ID_BITS)) {
		dossier_error_set("'%s' is not a record id", target);
		return DOSSIER_EINVAL;
	}
	if (archive_get_node(a, id, out) < 0) {
		dossier_error_clear();
		dossier_error_set("no record %llu", id);
		return DOSSIER_ENOTFOUND;
	}
	if (archive_decide(a, who, out, NULL, DOSSIER_ACT_LIST) < 0) {
		dossier_error_clear();
		dossier_error_set("no record %llu", id);
		return DOSSIER_EHIDDEN;
	}
	return 0;
}

/* The reply: "ok" and rows, or the refusal of rc about what. */
static int rows_reply(struct dossier_buf *out, int rc, const char *what,
		      const struct dossier_buf *rows)
{
	if (rc < 0)
		return control_refused(out, rc, what);
	control_status(out, 0, "ok");
	dossier_buf_add(out, rows->buf, rows->len);
	return 0;
}

static int ctl_trash(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	struct dossier_buf rows = DOSSIER_BUF_INIT;
	uid_t only = 0;
	int rc = 0;

	if (n > 2)
		return control_status(out, 2, "usage: trash [USER]");
	pthread_mutex_lock(&a->lock);
	if (n == 2 && (!a->rules ||
		       (rc = dossier_rules_user_lookup(a->rules, f[1],
						       &only)) < 0))
		rc = rc < 0 ? rc : DOSSIER_ENOTFOUND;
	if (rc == 0)
		rc = trash_deleted_rows(a, who, n == 2 ? (int64_t)only : -1,
					&rows);
	pthread_mutex_unlock(&a->lock);
	rc = rows_reply(out, rc, "trash", &rows);
	dossier_buf_release(&rows);
	return rc;
}

static int ctl_restore_deleted(struct dossier_archive *a,
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
		rc = archive_decide(a, who, &r, NULL, DOSSIER_ACT_CREATE);
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

static int ctl_purge(struct dossier_archive *a,
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
		rc = control_refused(out, rc, "purge");
	} else {
		dossier_buf_addf(out, "%d\t%zu destroyed%s\n", rc < 0 ? 1 : 0,
				 done, rc < 0 ? ", some failed (see the daemon "
				 "log)" : "");
		dossier_buf_add(out, report.buf, report.len);
		dossier_error_clear();
		rc = rc < 0 ? 1 : 0;
	}
	dossier_buf_release(&report);
	return rc;
}

static int ctl_register(struct dossier_archive *a,
			const struct dossier_caller *who, char **f, int n,
			struct dossier_buf *out)
{
	struct dossier_buf rows = DOSSIER_BUF_INIT;
	int rc;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: register");
	pthread_mutex_lock(&a->lock);
	rc = may_read_register(a, who, "the destruction register");
	if (rc == 0)
		rc = trash_register_rows(a, &rows);
	pthread_mutex_unlock(&a->lock);
	rc = rows_reply(out, rc, "register", &rows);
	dossier_buf_release(&rows);
	return rc;
}

static int ctl_approve_destruction(struct dossier_archive *a,
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

static int ctl_hold(struct dossier_archive *a, const struct dossier_caller *who,
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

static int ctl_release(struct dossier_archive *a,
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
static int ctl_due(struct dossier_archive *a, const struct dossier_caller *who,
		   char **f, int n, struct dossier_buf *out)
{
	struct dossier_buf rows = DOSSIER_BUF_INIT;
	time_t now = (time_t)(dossier_clock_ns() / 1000000000);
	struct tm tm;
	int rc;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: due");
	localtime_r(&now, &tm);
	pthread_mutex_lock(&a->lock);
	rc = may_read_register(a, who, "the retention list");
	if (rc == 0)
		rc = trash_due_rows(a, who, tm.tm_year + 1900, &rows);
	pthread_mutex_unlock(&a->lock);
	rc = rows_reply(out, rc, "due", &rows);
	dossier_buf_release(&rows);
	return rc;
}

const struct control_cmd control_trash_cmds[] = {
	{ "trash", ctl_trash },
	{ "restore-deleted", ctl_restore_deleted },
	{ "purge", ctl_purge },
	{ "register", ctl_register },
	{ "approve-destruction", ctl_approve_destruction },
	{ "hold", ctl_hold },
	{ "release", ctl_release },
	{ "due", ctl_due },
	{ NULL, NULL },
};
