/*
 * Control requests of the access rules: users, grants, revoke, explain,
 * policy. The caller is the kernel's uid of the request; what they may do
 * is the rule store's answer.
 */
#include "control_i.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "log.h"
#include "rules_i.h"
#include "access_i.h"

static int64_t now_s(void)
{
	return dossier_clock_ns() / 1000000000;
}

/* Drop the kernel's cached name and pages of record n (lock held). */
static void invalidate(struct dossier_archive *a, const struct node *n)
{
	sqlite3_stmt *st = NULL;
	struct node p;

	if (!a->notify)
		return;
	if (a->notify->inval_inode)
		a->notify->inval_inode(a->notify_ctx, NODEID(n->id, n->cgen));
	if (!a->notify->inval_entry ||
	    archive_get_node(a, n->parent, &p) < 0 ||
	    dossier_db_prepare(a->db, "SELECT name FROM node WHERE id = ?1",
			       &st) < 0)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		a->notify->inval_entry(a->notify_ctx, NODEID(p.id, p.cgen),
				       (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* user-add NAME ROLE [DEPT]: map a Unix account (policy editors only). */
static int ctl_user_add(struct dossier_archive *a,
			const struct dossier_caller *who, char **f, int n,
			struct dossier_buf *out)
{
	struct passwd pw, *res = NULL;
	char buf[1024], line[256];
	int rc;

	if (n < 3 || n > 4)
		return control_status(out, 2, "usage: user-add NAME ROLE [DEPT]");
	if (getpwnam_r(f[1], &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(line, sizeof(line), "'%s' is not a Unix account on "
			 "this machine", f[1]);
		return control_status(out, 1, line);
	}
	pthread_mutex_lock(&a->lock);
	rc = dossier_rules_may(a->rules, who->uid, "policy");
	if (rc == 0)
		rc = dossier_rules_user_add(a->rules, res->pw_uid, f[1], f[2],
					    n == 4 ? f[3] : NULL);
	archive_changed(a);
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "user-add", f[1], rc == 0, 0, f[2]);
	if (rc < 0)
		return control_refused(out, rc, "user add");
	snprintf(line, sizeof(line), "'%s' (uid %u) is %s%s%s", f[1],
		 (unsigned)res->pw_uid, f[2], n == 4 ? " in " : "",
		 n == 4 ? f[3] : "");
	return control_status(out, 0, line);
}

/*
 * user-set NAME ROLE DEPT ("-": keep; DEPT "" none) and user-remove NAME:
 * policy editors only; effective at once (rules reloaded, cached
 * answers dropped), audited.
 */
static int ctl_user_set(struct dossier_archive *a,
			const struct dossier_caller *who, char **f, int n,
			struct dossier_buf *out)
{
	const char *role, *dept;
	char line[300];
	int rc;

	if (n != 4)
		return control_status(out, 2, "usage: user-set NAME ROLE|- "
					      "DEPT|-");
	role = strcmp(f[2], "-") ? f[2] : NULL;
	dept = strcmp(f[3], "-") ? f[3] : NULL;
	pthread_mutex_lock(&a->lock);
	rc = dossier_rules_may(a->rules, who->uid, "policy");
	if (rc == 0)
		rc = dossier_rules_user_set(a->rules, f[1], role, dept);
	if (rc == 0)
		archive_changed(a);
	pthread_mutex_unlock(&a->lock);
	snprintf(line, sizeof(line), "role %s, department %s",
		 role ? role : "kept", dept ? (dept[0] ? dept : "none") :
		 "kept");
	audit_record(a->audit, who, "user-set", f[1], rc == 0, 0, line);
	if (rc < 0)
		return control_refused(out, rc, "user set");
	snprintf(line, sizeof(line), "'%s' changed: %s%s%s%s", f[1],
		 role ? "role " : "", role ? role : "",
		 role && dept ? ", " : "", dept ? (dept[0] ? dept :
		 "no department") : "");
	return control_status(out, 0, line);
}

static int ctl_user_remove(struct dossier_archive *a,
			   const struct dossier_caller *who, char **f, int n,
			   struct dossier_buf *out)
{
	char line[300];
	int rc;

	if (n != 2)
		return control_status(out, 2, "usage: user-remove NAME");
	pthread_mutex_lock(&a->lock);
	rc = dossier_rules_may(a->rules, who->uid, "policy");
	if (rc == 0)
		rc = dossier_rules_user_remove(a->rules, f[1], now_s());
	if (rc == 0)
		archive_changed(a);
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "user-remove", f[1], rc == 0, 0, NULL);
	if (rc < 0)
		return control_refused(out, rc, "user remove");
	snprintf(line, sizeof(line), "'%s' is no longer mapped: the account "
		 "gets nothing, its grants ended", f[1]);
	return control_status(out, 0, line);
}

static int ctl_users(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	size_t i, count;

	(void)who;
	(void)f;
	(void)n;
	control_status(out, 0, "ok");
	pthread_mutex_lock(&a->lock);
	count = dossier_rules_user_count(a->rules);
	for (i = 0; i < count; i++) {
		const char *name, *role, *dept;
		uid_t uid;

		if (dossier_rules_user_at(a->rules, i, &uid, &name, &role,
					  &dept) == 0)
			dossier_buf_addf(out, "%s\t%u\t%s\t%s\n", name,
					 (unsigned)uid, role, dept ? dept : "");
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* grant PATH USER r|rw SECONDS REASON */
static int ctl_grant(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	struct dossier_object o;
	struct node rec;
	char line[512];
	int64_t id = 0, secs;
	uid_t user;
	int rc;

	if (n != 6 || (strcmp(f[3], "r") && strcmp(f[3], "rw")) ||
	    (secs = strtoll(f[4], NULL, 10)) <= 0 || !f[5][0])
		return control_status(out, 2, "usage: grant PATH USER r|rw "
					      "SECONDS REASON");
	pthread_mutex_lock(&a->lock);
	rc = access_resolve(a, who, f[1], 0, &rec);
	if (rc == 0 && rec.kind != DOSSIER_KIND_FILE) {
		dossier_error_set("grants are given on records, not folders");
		rc = DOSSIER_EINVAL;
	}
	if (rc == 0)
		rc = dossier_rules_user_lookup(a->rules, f[2], &user);
	if (rc == 0) {
		archive_object(&rec, &o);
		rc = dossier_rules_grant(a->rules, who->uid,
					 a->site[0] ? a->site : NULL, &o, user,
					 !strcmp(f[3], "rw"), secs, f[5],
					 now_s(), &id);
	}
	if (rc == 0) {
		archive_changed(a);
		invalidate(a, &rec);
	}
	pthread_mutex_unlock(&a->lock);
	snprintf(line, sizeof(line), "to %s for %" PRId64 " s: %s", f[2], secs,
		 f[5]);
	audit_record(a->audit, who, "grant", f[1], rc == 0, 0, line);
	if (rc < 0)
		return control_refused(out, rc, "grant");
	snprintf(line, sizeof(line), "grant %" PRId64 ": %s may %s '%s' for "
		 "%" PRId64 " s", id, f[2], strcmp(f[3], "rw") ? "read" :
		 "read and write", f[1], secs);
	return control_status(out, 0, line);
}

struct grants_ctx {
	struct dossier_archive *a;
	const struct dossier_caller *who;
	struct dossier_buf *out;
	uid_t only;
};

static int list_one(void *vctx, int64_t id, uint64_t record, uid_t uid,
		    int can_write, uid_t approved_by, int64_t start,
		    int64_t end)
{
	struct grants_ctx *c = vctx;
	char user[128], appr[128], until[32], *path;
	time_t t = (time_t)end;
	struct tm tm;

	(void)start;
	if (c->only != (uid_t)-1 && uid != c->only && approved_by != c->only)
		return 0;
	/* a grant on a record the caller may not list now is not theirs to see */
	if (!control_may_list(c->a, c->who, record))
		return 0;
	dossier_rules_user_name(c->a->rules, uid, user, sizeof(user));
	dossier_rules_user_name(c->a->rules, approved_by, appr, sizeof(appr));
	gmtime_r(&t, &tm);
	strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	path = archive_node_path(c->a, record);
	dossier_buf_addf(c->out, "%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n", id,
			 path ? path : "?", user, can_write ? "rw" : "r", appr,
			 until);
	free(path);
	return 0;
}

/*
 * grants: the caller's own (or all, for policy editors and auditors), on
 * records the caller may list now
 */
static int ctl_grants(struct dossier_archive *a,
		      const struct dossier_caller *who, char **f, int n,
		      struct dossier_buf *out)
{
	struct grants_ctx c = { a, who, out, who->uid };
	const char *role = NULL;

	(void)f;
	(void)n;
	pthread_mutex_lock(&a->lock);
	if (dossier_rules_may(a->rules, who->uid, "policy") == 0 ||
	    (dossier_rules_user_info(a->rules, who->uid, &role, NULL) == 0 &&
	     role && !strcmp(role, "auditor")))
		c.only = (uid_t)-1;
	dossier_error_clear();
	control_status(out, 0, "ok");
	dossier_rules_grants_each(a->rules, now_s(), list_one, &c);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/*
 * Whether grant id is in force on a record who may not list and is none
 * of its two parties: such a grant answers as one that does not exist
 * (the refusal would say it does). Its parties may still end it: that
 * only takes access away. Lock held.
 */
static int grant_hidden(struct dossier_archive *a,
			const struct dossier_caller *who, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int hidden = 0;

	if (dossier_db_prepare(a->db, "SELECT record FROM grant WHERE id = ?1 "
			       "AND revoked_s IS NULL AND uid != ?2 AND "
			       "approved_by != ?2", &st) < 0) {
		dossier_error_clear();
		return 0;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)who->uid);
	if (sqlite3_step(st) == SQLITE_ROW)
		hidden = !control_may_list(a, who, (uint64_t)
					   sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	return hidden;
}

static int ctl_revoke(struct dossier_archive *a,
		      const struct dossier_caller *who, char **f, int n,
		      struct dossier_buf *out)
{
	int64_t id;
	int rc;

	if (n != 2 || (id = strtoll(f[1], NULL, 10)) <= 0)
		return control_status(out, 2, "usage: revoke ID");
	pthread_mutex_lock(&a->lock);
	if (grant_hidden(a, who, id)) {
		/* the words dossier_rules_revoke() uses for an unknown id */
		dossier_error_set("no grant %lld in force", (long long)id);
		rc = DOSSIER_ENOTFOUND;
	} else {
		rc = dossier_rules_revoke(a->rules, who->uid, id, now_s());
	}
	archive_changed(a);
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "revoke", f[1], rc == 0, 0, NULL);
	if (rc < 0)
		return control_refused(out, rc, "revoke");
	/* files opened on the grant check it on every read and write */
	return control_status(out, 0, "revoked");
}

/* explain PATH [USER] */
static int ctl_explain(struct dossier_archive *a,
		       const struct dossier_caller *who, char **f, int n,
		       struct dossier_buf *out)
{
	struct dossier_object o;
	struct node rec;
	char text[4096];
	const char *role = NULL;
	uid_t uid = who->uid;
	int rc;

	if (n < 2 || n > 3)
		return control_status(out, 2, "usage: explain PATH [USER]");
	pthread_mutex_lock(&a->lock);
	rc = access_resolve(a, who, f[1], 1, &rec);
	if (rc == 0 && n == 3) {
		rc = dossier_rules_user_lookup(a->rules, f[2], &uid);
		/* for others: policy editors and auditors */
		if (rc == 0 && uid != who->uid &&
		    dossier_rules_may(a->rules, who->uid, "policy") < 0 &&
		    !(dossier_rules_user_info(a->rules, who->uid, &role,
					      NULL) == 0 &&
		      role && !strcmp(role, "auditor"))) {
			dossier_error_clear();
			dossier_error_set("only archivists, gm and auditors "
					  "explain for another user");
			rc = DOSSIER_EDENIED;
		}
	}
	if (rc == 0) {
		archive_object(&rec, &o);
		rc = dossier_rules_explain(a->rules, uid,
					   a->site[0] ? a->site : NULL, &o,
					   now_s(), text, sizeof(text));
	}
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	control_status(out, 0, "ok");
	dossier_buf_addf(out, "%s%s", text,
			 text[0] && text[strlen(text) - 1] != '\n' ? "\n" : "");
	return 0;
}

/* policy: the rules and settings, as rows */
static int ctl_policy(struct dossier_archive *a,
		      const struct dossier_caller *who, char **f, int n,
		      struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;

	(void)who;
	(void)f;
	(void)n;
	control_status(out, 0, "ok");
	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT key, value FROM setting ORDER "
			       "BY key", &st) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW)
			dossier_buf_addf(out, "setting\t%s\t%s\n",
					 sqlite3_column_text(st, 0),
					 sqlite3_column_text(st, 1));
		sqlite3_finalize(st);
	}
	if (dossier_db_prepare(a->db, "SELECT id, family, priority, "
			       "coalesce(action, '*'), coalesce(level, '*'), "
			       "coalesce(scope, '*'), coalesce(relation, '*'),"
			       " coalesce(role, '*'), coalesce(site, '*'), "
			       "effect, coalesce(approvers, ''), note FROM rule"
			       " ORDER BY family, priority, id", &st) == 0) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			int i;

			dossier_buf_addf(out, "rule");
			for (i = 0; i < 12; i++)
				dossier_buf_addf(out, "\t%s",
						 sqlite3_column_text(st, i));
			dossier_buf_addf(out, "\n");
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

/* policy-set KEY VALUE */
static int ctl_policy_set(struct dossier_archive *a,
			  const struct dossier_caller *who, char **f, int n,
			  struct dossier_buf *out)
{
	char line[300];
	int rc;

	if (n != 3)
		return control_status(out, 2, "usage: policy-set KEY VALUE");
	pthread_mutex_lock(&a->lock);
	rc = dossier_rules_setting_set(a->rules, who->uid, f[1], f[2]);
	archive_changed(a);
	pthread_mutex_unlock(&a->lock);
	snprintf(line, sizeof(line), "%s = %s", f[1], f[2]);
	audit_record(a->audit, who, "policy", line, rc == 0, 0, NULL);
	if (rc < 0)
		return control_refused(out, rc, "policy set");
	return control_status(out, 0, line);
}

const struct control_cmd control_rules_cmds[] = {
	{ "user-add", ctl_user_add },
	{ "user-set", ctl_user_set },
	{ "user-remove", ctl_user_remove },
	{ "users", ctl_users },
	{ "grant", ctl_grant },
	{ "grants", ctl_grants },
	{ "revoke", ctl_revoke },
	{ "explain", ctl_explain },
	{ "policy", ctl_policy },
	{ "policy-set", ctl_policy_set },
	{ NULL, NULL },
};
