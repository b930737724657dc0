#include "rules_i.h"

/*
 * The policy rows: users, roles, levels, sites, rules and grants read
 * from the catalog into memory (open, reload, free).
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db_i.h"
#include "engine_i.h"
#include "error.h"
#include "log.h"

static const char *const family_names[FAM__COUNT] = {
	"level", "scope", "action"
};
static const char *const effect_names[] = { "deny", "grantable", "allow" };

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void rule_release(struct rule *ru)
{
	free(ru->action);
	free(ru->scope);
	free(ru->relation);
	free(ru->role);
	free(ru->dept_role);
	free(ru->user_dept);
	free(ru->site);
	free(ru->approvers);
	free(ru->note);
}

static void policy_release(struct policy *p)
{
	size_t i, f;

	for (i = 0; i < p->nusers; i++) {
		free(p->users[i].name);
		free(p->users[i].role);
		free(p->users[i].dept);
	}
	free(p->users);
	for (f = 0; f < FAM__COUNT; f++) {
		for (i = 0; i < p->nrules[f]; i++)
			rule_release(&p->rules[f][i]);
		free(p->rules[f]);
	}
	for (i = 0; i < NLEVELS; i++)
		free(p->levels[i].name);
	free_strv(p->roles, p->nroles);
	free_strv(p->sites, p->nsites);
	free(p->root_role);
	free(p->thumbnailers);
	memset(p, 0, sizeof(*p));
}

const char *rules_col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int oom(void)
{
	dossier_error_set("rules: out of memory");
	return DOSSIER_ERROR;
}

/* v (n used of *cap elements of sz) with room for one more; NULL if OOM. */
static void *grow(void *v, size_t *cap, size_t n, size_t sz)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if (!(nv = realloc(v, ncap * sz)))
		return NULL;
	*cap = ncap;
	return nv;
}

/*
 * Copy text column i into *out (NULL stays NULL). Fails on OOM: a lost
 * condition would read as "any" and widen the rule.
 */
static int dup_col(sqlite3_stmt *st, int i, char **out)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	*out = NULL;
	if (!t)
		return 0;
	return (*out = strdup(t)) ? 0 : oom();
}

/* Step st; 1 on a row, 0 when done, a negative code on error. */
int rules_step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int src = sqlite3_step(st);

	if (src == SQLITE_ROW)
		return 1;
	if (src == SQLITE_DONE)
		return 0;
	return dossier_db_err(db, src, what);
}

static int load_names(sqlite3 *db, const char *sql, char ***out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	void *nv;
	int rc;

	if ((rc = dossier_db_prepare(db, sql, &st)) < 0)
		goto out;
	while ((rc = rules_step(db, st, "load rules")) == 1) {
		if (!(nv = grow(*out, &cap, *n, sizeof(**out)))) {
			rc = oom();
			goto out;
		}
		*out = nv;
		if ((rc = dup_col(st, 0, &(*out)[*n])) < 0)
			goto out;
		if ((*out)[*n])
			(*n)++;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_users(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	struct user *u;
	void *nv;
	int rc;

	if ((rc = dossier_db_prepare(db, "SELECT uid, name, role, dept FROM "
					 "user ORDER BY uid", &st)) < 0)
		goto out;
	while ((rc = rules_step(db, st, "load users")) == 1) {
		if (!(nv = grow(p->users, &cap, p->nusers,
				sizeof(*p->users)))) {
			rc = oom();
			goto out;
		}
		p->users = nv;
		u = &p->users[p->nusers++];
		memset(u, 0, sizeof(*u));
		u->uid = (uid_t)sqlite3_column_int64(st, 0);
		if ((rc = dup_col(st, 1, &u->name)) < 0 ||
		    (rc = dup_col(st, 2, &u->role)) < 0 ||
		    (rc = dup_col(st, 3, &u->dept)) < 0)
			goto out;
		if (!u->name || !u->role) {
			dossier_error_set("rules: user %lu has no name or role",
					  (unsigned long)u->uid);
			rc = DOSSIER_ECORRUPT;
			goto out;
		}
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_levels(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st = NULL;
	struct level *l;
	int rc, rank;

	if ((rc = dossier_db_prepare(db, "SELECT rank, name, lendable, "
					 "max_grant_seconds FROM level",
				     &st)) < 0)
		goto out;
	while ((rc = rules_step(db, st, "load levels")) == 1) {
		rank = sqlite3_column_int(st, 0);
		if (rank < 0 || rank >= NLEVELS) {
			dossier_error_set("rules: level rank %d out of range",
					  rank);
			rc = DOSSIER_ECORRUPT;
			goto out;
		}
		l = &p->levels[rank];
		free(l->name);
		l->present = 1;
		if ((rc = dup_col(st, 1, &l->name)) < 0)
			goto out;
		l->lendable = sqlite3_column_int(st, 2) != 0;
		l->max_grant = sqlite3_column_int64(st, 3);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int parse_effect(const char *s)
{
	int i;

	for (i = 0; s && i < 3; i++)
		if (!strcmp(s, effect_names[i]))
			return i;
	return -1;
}

static int parse_family(const char *s)
{
	int i;

	for (i = 0; s && i < FAM__COUNT; i++)
		if (!strcmp(s, family_names[i]))
			return i;
	return -1;
}

/* The text columns of rule row st into ru (a NULL note as ""). */
static int rule_strings(sqlite3_stmt *st, struct rule *ru)
{
	int rc;

	if ((rc = dup_col(st, 3, &ru->action)) < 0 ||
	    (rc = dup_col(st, 5, &ru->scope)) < 0 ||
	    (rc = dup_col(st, 6, &ru->relation)) < 0 ||
	    (rc = dup_col(st, 7, &ru->role)) < 0 ||
	    (rc = dup_col(st, 8, &ru->dept_role)) < 0 ||
	    (rc = dup_col(st, 9, &ru->user_dept)) < 0 ||
	    (rc = dup_col(st, 10, &ru->site)) < 0 ||
	    (rc = dup_col(st, 12, &ru->approvers)) < 0 ||
	    (rc = dup_col(st, 13, &ru->note)) < 0)
		return rc;
	if (!ru->note && !(ru->note = strdup("")))
		return oom();
	return 0;
}

/* Rule row st onto p's list of its family (cap: the lists' room). */
static int add_rule(struct policy *p, size_t cap[], sqlite3_stmt *st)
{
	int64_t id = sqlite3_column_int64(st, 0);
	int fam = parse_family(rules_col_text(st, 1));
	int eff = parse_effect(rules_col_text(st, 11));
	struct rule *ru;
	void *nv;

	if (fam < 0 || eff < 0) {
		dossier_error_set("rules: rule %lld: unknown %s '%s'",
				  (long long)id, fam < 0 ? "family" : "effect",
				  fam < 0 ? rules_col_text(st, 1) :
					    rules_col_text(st, 11));
		return DOSSIER_ECORRUPT;
	}
	if (!(nv = grow(p->rules[fam], &cap[fam], p->nrules[fam],
			sizeof(struct rule))))
		return oom();
	p->rules[fam] = nv;
	ru = &p->rules[fam][p->nrules[fam]++];
	memset(ru, 0, sizeof(*ru));
	ru->id = id;
	ru->priority = sqlite3_column_int64(st, 2);
	ru->effect = eff;
	ru->level = sqlite3_column_type(st, 4) == SQLITE_NULL ?
			    -1 : sqlite3_column_int(st, 4);
	return rule_strings(st, ru);
}

static int load_rules(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st = NULL;
	size_t cap[FAM__COUNT] = { 0 };
	int rc;

	if ((rc = dossier_db_prepare(db, "SELECT id, family, priority, "
					 "action, level, scope, relation, role, "
					 "dept_role, user_dept, site, effect, "
					 "approvers, note FROM rule "
					 "ORDER BY priority, id", &st)) < 0)
		goto out;
	while ((rc = rules_step(db, st, "load rules")) == 1)
		if ((rc = add_rule(p, cap, st)) < 0)
			goto out;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Setting key into *out; NULL when unset or empty. */
static int load_setting(sqlite3 *db, const char *key, char **out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(db, "SELECT value FROM setting WHERE "
					 "key = ?", &st)) < 0)
		goto out;
	dossier_db_bind(st, "t", key);
	if ((rc = rules_step(db, st, "load settings")) == 1) {
		rc = 0;
		if ((rc = dup_col(st, 0, out)) < 0)
			goto out;
		if (*out && !(*out)[0]) {
			free(*out);
			*out = NULL;
		}
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_policy(sqlite3 *db, struct policy *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = load_names(db, "SELECT name FROM role", &p->roles,
			     &p->nroles)) < 0 ||
	    (rc = load_names(db, "SELECT name FROM site ORDER BY name",
			     &p->sites, &p->nsites)) < 0 ||
	    (rc = load_users(db, p)) < 0 ||
	    (rc = load_levels(db, p)) < 0 ||
	    (rc = load_rules(db, p)) < 0 ||
	    (rc = load_setting(db, "root-role", &p->root_role)) < 0 ||
	    (rc = load_setting(db, "thumbnailers", &p->thumbnailers)) < 0) {
		policy_release(p);
		return rc;
	}
	return 0;
}

int rules_load_grants(struct dossier_rules *r)
{
	sqlite3_stmt *st = NULL;
	struct grant *v = NULL, *g;
	size_t n = 0, cap = 0;
	void *nv;
	int rc;

	if ((rc = dossier_db_prepare(r->db, "SELECT id, record, uid, "
					 "approved_by, can_read, can_write, "
					 "start_s, end_s FROM grant WHERE "
					 "revoked_s IS NULL AND end_s > ? "
					 "ORDER BY uid, record, end_s",
				     &st)) < 0)
		goto out;
	dossier_db_bind(st, "i", r->grant_floor);
	while ((rc = rules_step(r->db, st, "load grants")) == 1) {
		if (!(nv = grow(v, &cap, n, sizeof(*v)))) {
			rc = oom();
			goto out;
		}
		v = nv;
		g = &v[n++];
		g->id = sqlite3_column_int64(st, 0);
		g->record = (uint64_t)sqlite3_column_int64(st, 1);
		g->uid = (uid_t)sqlite3_column_int64(st, 2);
		g->approved_by = (uid_t)sqlite3_column_int64(st, 3);
		g->can_read = sqlite3_column_int(st, 4) != 0;
		g->can_write = sqlite3_column_int(st, 5) != 0;
		g->start = sqlite3_column_int64(st, 6);
		g->end = sqlite3_column_int64(st, 7);
	}
out:
	sqlite3_finalize(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	free(r->grants);
	r->grants = v;
	r->ngrants = n;
	return 0;
}

int dossier_rules_open(struct dossier_rules **out, sqlite3 *db)
{
	struct dossier_rules *r;
	int rc;

	*out = NULL;
	if ((rc = rules_seed_if_empty(db)) < 0)
		return rc;
	if (!(r = calloc(1, sizeof(*r))))
		return oom();
	r->db = db;
	if ((rc = load_policy(db, &r->p)) < 0 || (rc = rules_load_grants(r)) < 0) {
		dossier_rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void dossier_rules_free(struct dossier_rules *r)
{
	if (!r)
		return;
	policy_release(&r->p);
	free(r->grants);
	free(r);
}

int dossier_rules_reload(struct dossier_rules *r)
{
	struct policy p;
	int rc;

	if ((rc = load_policy(r->db, &p)) < 0)
		return rc;
	if ((rc = rules_load_grants(r)) < 0) {
		policy_release(&p);
		return rc;
	}
	policy_release(&r->p);
	r->p = p;
	return 0;
}
