#include "rules_i.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db_i.h"
#include "error.h"
#include "log.h"

/*
 * The policy shipped by `dossierctl init` (PRODUCT.md, "Classification and
 * access"). Choices where the product is silent say so in their note.
 */
static const char seed_sql[] =
	"INSERT INTO role(name, zh) VALUES"
	" ('gm', '总经理'), ('deputy_gm', '副总经理'), ('director', '总监'),"
	" ('office_director', '总经理办公室主任'), ('manager', '部门经理'),"
	" ('sales', '销售人员'), ('archivist', '档案管理员'),"
	" ('auditor', '审计'), ('staff', '员工');"
	"INSERT INTO level(rank, name, zh, max_grant_seconds, lendable, note)"
	" VALUES"
	" (0, 'internal', '非密', 28800, 1,"
	"  'internal grants last at most 8 h (policy choice: a working day)'),"
	" (1, 'confidential', '秘密', 14400, 1,"
	"  'confidential grants last at most 4 h'),"
	" (2, 'secret', '机密', NULL, 0, 'secret records are never lent'),"
	" (3, 'topsecret', '绝密', NULL, 0,"
	"  'topsecret records are never lent');"
	"INSERT INTO site(name, note) VALUES ('reading-room',"
	" 'the reading room: a mount started with -o site=reading-room');"
	"INSERT INTO setting(key, value) VALUES ('trash-days', '30'),"
	" ('root-role', 'archivist');"
	"INSERT INTO rule(id, family, priority, action, level, scope, relation,"
	" role, dept_role, user_dept, site, effect, approvers, note) VALUES"
	/* level family: list, read and history */
	" (1, 'level', 10, 'history', NULL, NULL, NULL, 'auditor', NULL, NULL,"
	"  NULL, 'allow', NULL,"
	"  'auditors read the history of every record they may list'),"
	" (2, 'level', 20, 'list', 3, NULL, NULL, 'gm,deputy_gm,archivist',"
	"  NULL, NULL, NULL, 'allow', NULL,"
	"  'topsecret records are listed to gm, deputy_gm and archivists, who"
	" file them'),"
	" (3, 'level', 21, 'list', 3, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'topsecret records are listed only to gm, deputy_gm"
	" and archivists'),"
	" (4, 'level', 22, 'list', 2, NULL, NULL,"
	"  'gm,deputy_gm,director,office_director,archivist', NULL, NULL, NULL,"
	"  'allow', NULL, 'secret records are listed to those who may read"
	" them in the reading room'),"
	" (5, 'level', 23, 'list', 2, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'secret records are listed only to those who may read"
	" them in the reading room'),"
	" (6, 'level', 30, NULL, 3, NULL, NULL, NULL, NULL, NULL, NULL, 'deny',"
	"  NULL, 'no one retrieves topsecret content through the filesystem'),"
	" (7, 'level', 40, NULL, 2, NULL, NULL,"
	"  'gm,deputy_gm,director,office_director,archivist', NULL, NULL,"
	"  'reading-room', 'allow', NULL, 'secret records are read at the"
	" reading-room site by gm, deputy_gm, directors, office_director and"
	" archivists'),"
	" (8, 'level', 41, NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, 'deny',"
	"  NULL, 'secret records are read only at the reading-room site and"
	" are never lent'),"
	" (9, 'level', 50, NULL, 1, NULL, NULL, 'gm,deputy_gm', NULL, NULL,"
	"  NULL, 'allow', NULL, 'gm and deputy_gm read confidential records'),"
	" (10, 'level', 51, NULL, 1, NULL, NULL, 'archivist', NULL, NULL, NULL,"
	"  'allow', NULL, 'archivists read confidential records directly to"
	" file them (policy choice)'),"
	" (11, 'level', 52, NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'gm,deputy_gm', 'confidential records are lent only on"
	" a grant approved by gm or deputy_gm'),"
	" (12, 'level', 60, NULL, 0, NULL, NULL,"
	"  'gm,deputy_gm,director,office_director', NULL, NULL, NULL, 'allow',"
	"  NULL, 'gm, deputy_gm, directors and office_director read internal"
	" records'),"
	" (13, 'level', 61, NULL, 0, NULL, NULL, 'archivist', NULL, NULL, NULL,"
	"  'allow', NULL, 'archivists read internal records directly to file"
	" them (policy choice)'),"
	" (14, 'level', 62, NULL, 0, NULL, 'owner', NULL, NULL, NULL, NULL,"
	"  'allow', NULL, 'owners read their own internal records as far as"
	" the scope rules allow (policy choice)'),"
	" (15, 'level', 63, NULL, 0, NULL, NULL, NULL, 'manager', NULL, NULL,"
	"  'allow', NULL, 'department managers read their department''s"
	" internal records as far as the scope rules allow (policy choice)'),"
	" (16, 'level', 64, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'dept:manager,gm,deputy_gm', 'internal records are lent"
	" on a grant approved by the requester''s department manager'),"
	/* scope family: list, read and history */
	" (20, 'scope', 10, 'history', NULL, NULL, NULL, 'auditor', NULL, NULL,"
	"  NULL, 'allow', NULL,"
	"  'auditors read the history of every record they may list'),"
	" (21, 'scope', 15, NULL, NULL, NULL, NULL, 'archivist', NULL, NULL,"
	"  NULL, 'allow', NULL, 'archivists file records of every scope"
	" (policy choice)'),"
	" (22, 'scope', 16, NULL, NULL, NULL, NULL, 'gm,deputy_gm', NULL, NULL,"
	"  NULL, 'allow', NULL, 'gm and deputy_gm read records of every scope"
	" (personal: policy choice)'),"
	" (19, 'scope', 17, NULL, NULL, NULL, 'owner', NULL, NULL, NULL, NULL,"
	"  'allow', NULL, 'owners (the account salesperson) read their own"
	" records of every scope (policy choice)'),"
	" (23, 'scope', 20, NULL, NULL, 'company', NULL, 'director', NULL,"
	"  'marketing', NULL, 'allow', NULL, 'company-level records are read"
	" by the marketing director, deputy_gm and gm'),"
	" (24, 'scope', 21, NULL, NULL, 'company', NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'director,gm,deputy_gm', 'company-level records are"
	" lent on a director''s grant'),"
	" (25, 'scope', 30, NULL, NULL, 'department', NULL, NULL, 'manager',"
	"  NULL, NULL, 'allow', NULL, 'department-level records are read by"
	" their department''s manager'),"
	" (26, 'scope', 31, NULL, NULL, 'department', NULL, NULL, NULL, NULL,"
	"  NULL, 'grantable', 'record:manager,gm,deputy_gm', 'department-level"
	" records are lent on a grant by their department''s manager'),"
	" (27, 'scope', 40, NULL, NULL, 'personal', 'owner', NULL, NULL, NULL,"
	"  NULL, 'allow', NULL, 'personal records are read by their owner'),"
	" (28, 'scope', 41, 'list', NULL, 'personal', 'other', NULL, NULL,"
	"  NULL, NULL, 'deny', NULL, 'another person''s personal records are"
	" listed only inside the owner''s department'),"
	" (29, 'scope', 42, NULL, NULL, 'personal', NULL, NULL, NULL, NULL,"
	"  NULL, 'grantable', 'record:manager,gm,deputy_gm', 'personal records"
	" are lent on a grant by the owner''s department manager'),"
	/* action family */
	" (40, 'action', 10, 'write', NULL, NULL, NULL, 'auditor', NULL, NULL,"
	"  NULL, 'deny', NULL, 'auditors do not change records'),"
	" (41, 'action', 11, 'write', NULL, NULL, 'owner', NULL, NULL, NULL,"
	"  NULL, 'allow', NULL, 'owners change the records they may read'),"
	" (42, 'action', 12, 'write', NULL, NULL, NULL,"
	"  'archivist,gm,deputy_gm', NULL, NULL, NULL, 'allow', NULL,"
	"  'archivists, gm and deputy_gm change the records they may read'),"
	" (43, 'action', 13, 'write', NULL, NULL, NULL, NULL, 'manager', NULL,"
	"  NULL, 'allow', NULL, 'department managers change their"
	" department''s records they may read'),"
	" (44, 'action', 14, 'write', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'record:manager,gm,deputy_gm', 'others change a record"
	" only on a write grant by its department''s manager, gm or"
	" deputy_gm'),"
	" (50, 'action', 20, 'delete', NULL, NULL, 'owner', NULL, NULL, NULL,"
	"  NULL, 'allow', NULL, 'owners delete the records they may change'),"
	" (51, 'action', 21, 'delete', NULL, NULL, NULL, 'archivist,gm', NULL,"
	"  NULL, NULL, 'allow', NULL, 'archivists and gm delete the records"
	" they may change'),"
	" (52, 'action', 22, 'delete', NULL, NULL, NULL, NULL, 'manager', NULL,"
	"  NULL, 'allow', NULL, 'department managers delete their"
	" department''s records'),"
	" (53, 'action', 23, 'delete', NULL, NULL, NULL, NULL, NULL, NULL,"
	"  NULL, 'deny', NULL, 'records are deleted only by their owner, their"
	" department''s manager, an archivist or gm'),"
	" (60, 'action', 30, 'create', NULL, NULL, NULL,"
	"  'sales,manager,director,office_director,deputy_gm,gm,archivist',"
	"  NULL, NULL, NULL, 'allow', NULL, 'sales, managers, directors,"
	" office_director, deputy_gm, gm and archivists file new records'),"
	" (61, 'action', 31, 'create', NULL, NULL, NULL, NULL, NULL, NULL,"
	"  NULL, 'deny', NULL, 'auditors and staff do not file new records'),"
	" (70, 'action', 40, 'classify', NULL, NULL, NULL, 'archivist,gm',"
	"  NULL, NULL, NULL, 'allow', NULL,"
	"  'archivists and gm classify records'),"
	" (71, 'action', 41, 'classify', NULL, NULL, NULL, NULL, NULL, NULL,"
	"  NULL, 'deny', NULL, 'only archivists and gm change a record''s"
	" level, scope, owner or department'),"
	" (80, 'action', 50, 'grant', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'allow', NULL, 'who approves a grant is named by the rule that makes"
	" the record grantable'),"
	" (90, 'action', 60, 'revoke', NULL, NULL, NULL,"
	"  'archivist,gm,deputy_gm', NULL, NULL, NULL, 'allow', NULL,"
	"  'archivists, gm and deputy_gm end grants'),"
	" (91, 'action', 61, 'revoke', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'a grant is ended by its approver, its holder, an"
	" archivist, gm or deputy_gm'),"
	" (95, 'action', 70, 'policy', NULL, NULL, NULL, 'archivist,gm', NULL,"
	"  NULL, NULL, 'allow', NULL, 'archivists and gm edit the policy'),"
	" (96, 'action', 71, 'policy', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'the policy is edited only by archivists and gm');";

enum effect { EFF_DENY = 0, EFF_GRANTABLE = 1, EFF_ALLOW = 2 };
enum family { FAM_LEVEL, FAM_SCOPE, FAM_ACTION, FAM__COUNT };
enum relation { REL_OWNER, REL_DEPT, REL_OTHER };

static const char *const family_names[FAM__COUNT] = {
	"level", "scope", "action"
};
static const char *const effect_names[] = { "deny", "grantable", "allow" };
static const char *const relation_names[] = { "owner", "dept", "other" };

struct rule {
	int64_t id;
	int64_t priority;
	int level;		/* -1: any */
	int effect;
	char *action;
	char *scope;
	char *relation;
	char *role;
	char *dept_role;
	char *user_dept;
	char *site;
	char *approvers;
	char *note;
};

struct user {
	uid_t uid;
	char *name;
	char *role;
	char *dept;
};

struct level {
	int present;
	int lendable;
	int64_t max_grant;	/* seconds; 0: none */
	char *name;
};

struct grant {
	int64_t id;
	uint64_t record;
	uid_t uid;
	uid_t approved_by;
	int can_read;
	int can_write;
	int64_t start;
	int64_t end;
};

#define NLEVELS 4

/* Everything loaded at once, replaced as a whole by a reload. */
struct policy {
	struct user *users;	/* sorted by uid */
	size_t nusers;
	struct rule *rules[FAM__COUNT];	/* sorted by priority, id */
	size_t nrules[FAM__COUNT];
	struct level levels[NLEVELS];
	char **roles;
	size_t nroles;
	char **sites;
	size_t nsites;
	char *root_role;	/* NULL: an unmapped root gets nothing */
};

/* Memory only, no lock: the caller serialises (rules_i.h). */
struct dossier_rules {
	sqlite3 *db;
	struct policy p;
	struct grant *grants;	/* unrevoked, sorted by uid, record, end */
	size_t ngrants;
	int64_t grant_floor;	/* grants ended before this are not loaded */
};

/* Who asks, resolved. */
struct subject {
	uid_t uid;
	const char *name;
	const char *role;
	const char *dept;
};

/* One question put to the rules. o or s may be NULL (see rule_matches). */
struct ctx {
	const struct dossier_rules *r;
	const struct subject *s;
	const struct dossier_object *o;
	const char *site;
	const char *action;
	int64_t now;
};

/* Why a verdict came out as it did, for explain and grant. */
struct detail {
	const struct rule *gr[3];	/* grantable rows a grant must satisfy */
	size_t ngr;
};

/* ---- names ---- */

static const char *const level_en[NLEVELS] = {
	"internal", "confidential", "secret", "topsecret"
};
static const char *const level_zh[NLEVELS] = {
	"非密", "秘密", "机密", "绝密"
};
static const char *const scope_en[] = { "company", "department", "personal" };
static const char *const scope_zh[] = { "公司级", "部门级", "个人级" };
static const char *const action_names[] = {
	"list", "read", "write", "create", "delete", "history", "classify",
	"grant"
};

int dossier_level_parse(const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < NLEVELS; i++)
		if (!strcasecmp(s, level_en[i]) || !strcmp(s, level_zh[i]))
			return i;
	if (s[0] >= '0' && s[0] < '0' + NLEVELS && !s[1])
		return s[0] - '0';
	return -1;
}

const char *dossier_level_name(int level)
{
	return level >= 0 && level < NLEVELS ? level_en[level] : "?";
}

const char *dossier_level_name_zh(int level)
{
	return level >= 0 && level < NLEVELS ? level_zh[level] : "?";
}

int dossier_level_is_lowering(int from, int to)
{
	return to < from;
}

int dossier_scope_parse(const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < 3; i++)
		if (!strcasecmp(s, scope_en[i]) || !strcmp(s, scope_zh[i]))
			return i;
	return -1;
}

const char *dossier_scope_name(enum dossier_scope s)
{
	return (unsigned)s < 3 ? scope_en[s] : "?";
}

const char *dossier_scope_name_zh(enum dossier_scope s)
{
	return (unsigned)s < 3 ? scope_zh[s] : "?";
}

const char *dossier_action_name(enum dossier_action act)
{
	return (unsigned)act < sizeof(action_names) / sizeof(action_names[0]) ?
		       action_names[act] : "?";
}

/* ---- loading ---- */

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
	memset(p, 0, sizeof(*p));
}

static const char *col_text(sqlite3_stmt *st, int i)
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
static int step(sqlite3 *db, sqlite3_stmt *st, const char *what)
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
	while ((rc = step(db, st, "load rules")) == 1) {
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
	while ((rc = step(db, st, "load users")) == 1) {
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
	while ((rc = step(db, st, "load levels")) == 1) {
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

static int load_rules(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st = NULL;
	size_t cap[FAM__COUNT] = { 0 };
	struct rule *ru;
	int rc, fam, eff;
	int64_t id;
	void *nv;

	if ((rc = dossier_db_prepare(db, "SELECT id, family, priority, "
					 "action, level, scope, relation, role, "
					 "dept_role, user_dept, site, effect, "
					 "approvers, note FROM rule "
					 "ORDER BY priority, id", &st)) < 0)
		goto out;
	while ((rc = step(db, st, "load rules")) == 1) {
		id = sqlite3_column_int64(st, 0);
		fam = parse_family(col_text(st, 1));
		eff = parse_effect(col_text(st, 11));
		if (fam < 0 || eff < 0) {
			dossier_error_set("rules: rule %lld: unknown %s '%s'",
					  (long long)id,
					  fam < 0 ? "family" : "effect",
					  fam < 0 ? col_text(st, 1) :
						    col_text(st, 11));
			rc = DOSSIER_ECORRUPT;
			goto out;
		}
		if (!(nv = grow(p->rules[fam], &cap[fam], p->nrules[fam],
				sizeof(struct rule)))) {
			rc = oom();
			goto out;
		}
		p->rules[fam] = nv;
		ru = &p->rules[fam][p->nrules[fam]++];
		memset(ru, 0, sizeof(*ru));
		ru->id = id;
		ru->priority = sqlite3_column_int64(st, 2);
		ru->effect = eff;
		ru->level = sqlite3_column_type(st, 4) == SQLITE_NULL ?
				    -1 : sqlite3_column_int(st, 4);
		if ((rc = dup_col(st, 3, &ru->action)) < 0 ||
		    (rc = dup_col(st, 5, &ru->scope)) < 0 ||
		    (rc = dup_col(st, 6, &ru->relation)) < 0 ||
		    (rc = dup_col(st, 7, &ru->role)) < 0 ||
		    (rc = dup_col(st, 8, &ru->dept_role)) < 0 ||
		    (rc = dup_col(st, 9, &ru->user_dept)) < 0 ||
		    (rc = dup_col(st, 10, &ru->site)) < 0 ||
		    (rc = dup_col(st, 12, &ru->approvers)) < 0 ||
		    (rc = dup_col(st, 13, &ru->note)) < 0)
			goto out;
		if (!ru->note && !(ru->note = strdup("")))
			rc = oom();
		if (rc < 0)
			goto out;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

static int load_root_role(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(db, "SELECT value FROM setting WHERE "
					 "key = 'root-role'", &st)) < 0)
		goto out;
	if ((rc = step(db, st, "load settings")) == 1) {
		rc = 0;
		if ((rc = dup_col(st, 0, &p->root_role)) < 0)
			goto out;
		if (p->root_role && !p->root_role[0]) {
			free(p->root_role);
			p->root_role = NULL;
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
	    (rc = load_root_role(db, p)) < 0) {
		policy_release(p);
		return rc;
	}
	return 0;
}

static int load_grants(struct dossier_rules *r)
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
	while ((rc = step(r->db, st, "load grants")) == 1) {
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

int dossier_rules_seed_default(sqlite3 *db)
{
	int rc;

	if ((rc = dossier_db_exec(db, "SAVEPOINT rules_seed")) < 0)
		return rc;
	if ((rc = dossier_db_exec(db, seed_sql)) < 0) {
		sqlite3_exec(db, "ROLLBACK TO rules_seed; RELEASE rules_seed",
			     NULL, NULL, NULL);
		return rc;
	}
	return dossier_db_exec(db, "RELEASE rules_seed");
}

/*
 * A catalog that went through schema step 3 after the step stopped
 * seeding (it was made before the rule store, and migrated by this
 * version) has empty policy tables: it gets the default policy, as the
 * step gave it before.
 */
static int seed_if_empty(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc, empty;

	if ((rc = dossier_db_prepare(db, "SELECT NOT EXISTS (SELECT 1 FROM "
				     "role) AND NOT EXISTS (SELECT 1 FROM "
				     "level) AND NOT EXISTS (SELECT 1 FROM "
				     "rule)", &st)) < 0)
		return rc;
	empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!empty)
		return 0;
	dossier_log(LOG_NOTICE, "catalog: writing the default policy");
	return dossier_rules_seed_default(db);
}

int dossier_rules_open(struct dossier_rules **out, sqlite3 *db)
{
	struct dossier_rules *r;
	int rc;

	*out = NULL;
	if ((rc = seed_if_empty(db)) < 0)
		return rc;
	if (!(r = calloc(1, sizeof(*r))))
		return oom();
	r->db = db;
	if ((rc = load_policy(db, &r->p)) < 0 || (rc = load_grants(r)) < 0) {
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
	if ((rc = load_grants(r)) < 0) {
		policy_release(&p);
		return rc;
	}
	policy_release(&r->p);
	r->p = p;
	return 0;
}

/* ---- matching ---- */

/* Whether val is one of the comma-separated items of list. */
static int list_has(const char *list, const char *val)
{
	const char *p = list, *e;
	size_t n, vn;

	if (!val)
		return 0;
	vn = strlen(val);
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n && p[n - 1] == ' ')
			n--;
		if (n && n == vn && !memcmp(p, val, n))
			return 1;
		p = e;
	}
	return 0;
}

static int same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static enum relation relation_of(const struct subject *s,
				 const struct dossier_object *o)
{
	if (o->owner != DOSSIER_NO_OWNER && s->uid == o->owner)
		return REL_OWNER;
	if (same(s->dept, o->dept))
		return REL_DEPT;
	return REL_OTHER;
}

/*
 * Whether ru applies. Conditions on the object fail without one (c->o
 * NULL); with subject_free, conditions on the subject are not checked.
 */
static int rule_matches(const struct rule *ru, const struct ctx *c,
			int subject_free)
{
	const struct dossier_object *o = c->o;
	const struct subject *s = c->s;

	if (ru->action && !list_has(ru->action, c->action))
		return 0;
	if (ru->level >= 0 && (!o || o->level != ru->level))
		return 0;
	if (ru->scope && (!o || !list_has(ru->scope,
					  dossier_scope_name(o->scope))))
		return 0;
	if (ru->site && !list_has(ru->site, c->site))
		return 0;
	if (subject_free)
		return 1;
	if (ru->relation &&
	    (!o || !list_has(ru->relation, relation_names[relation_of(s, o)])))
		return 0;
	if (ru->role && !list_has(ru->role, s->role))
		return 0;
	if (ru->dept_role && (!o || !list_has(ru->dept_role, s->role) ||
			      !same(s->dept, o->dept)))
		return 0;
	if (ru->user_dept && !list_has(ru->user_dept, s->dept))
		return 0;
	return 1;
}

static const struct rule *first_match(const struct ctx *c, int fam)
{
	const struct policy *p = &c->r->p;
	size_t i;

	for (i = 0; i < p->nrules[fam]; i++)
		if (rule_matches(&p->rules[fam][i], c, 0))
			return &p->rules[fam][i];
	return NULL;
}

static int effect_of(const struct rule *ru)
{
	return ru ? ru->effect : EFF_DENY;
}

static const struct level *level_of(const struct dossier_rules *r, int level)
{
	if (level < 0 || level >= NLEVELS || !r->p.levels[level].present)
		return NULL;
	return &r->p.levels[level];
}

static int lendable(const struct dossier_rules *r, int level)
{
	const struct level *l = level_of(r, level);

	return l && l->lendable;
}

static const char *level_label(const struct dossier_rules *r, int level)
{
	const struct level *l = level_of(r, level);

	return l && l->name ? l->name : dossier_level_name(level);
}

static const struct user *user_find(const struct dossier_rules *r, uid_t uid)
{
	size_t lo = 0, hi = r->p.nusers, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (r->p.users[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->p.nusers && r->p.users[lo].uid == uid)
		return &r->p.users[lo];
	return NULL;
}

/* Resolve uid; -1 if it gets nothing. */
static int subject_get(const struct dossier_rules *r, uid_t uid,
		       struct subject *s)
{
	const struct user *u = user_find(r, uid);

	s->uid = uid;
	if (u) {
		s->name = u->name;
		s->role = u->role;
		s->dept = u->dept;
		return 0;
	}
	if (uid == 0 && r->p.root_role) {
		s->name = "root";
		s->role = r->p.root_role;
		s->dept = NULL;
		return 0;
	}
	return -1;
}

/* The latest-ending active grant of uid on record (with write if asked). */
static const struct grant *grant_find(const struct dossier_rules *r,
				      uid_t uid, uint64_t record,
				      int64_t now, int want_write)
{
	const struct grant *g, *best = NULL;
	size_t lo = 0, hi = r->ngrants, mid;

	if (!record)
		return NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		g = &r->grants[mid];
		if (g->uid < uid || (g->uid == uid && g->record < record))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < r->ngrants; lo++) {
		g = &r->grants[lo];
		if (g->uid != uid || g->record != record)
			break;
		if (g->can_read && g->start <= now && now < g->end &&
		    (!want_write || g->can_write))
			best = g;
	}
	return best;
}

/* ---- verdicts ---- */

static void verdict(struct dossier_verdict *v, int allow, int grantable,
		    const struct rule *ru, const struct grant *g,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void verdict(struct dossier_verdict *v, int allow, int grantable,
		    const struct rule *ru, const struct grant *g,
		    const char *fmt, ...)
{
	va_list ap;

	v->allow = allow;
	v->grantable = grantable;
	v->rule = ru ? ru->id : 0;
	v->grant = g ? g->id : 0;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), fmt, ap);
	va_end(ap);
}

static const char *note_of(const struct rule *ru, const char *family)
{
	static _Thread_local char buf[64];

	if (ru)
		return ru->note;
	snprintf(buf, sizeof(buf), "no %s rule matches: denied by default",
		 family);
	return buf;
}

static void fmt_time(char *out, size_t outsz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, outsz, "%lld", (long long)t);
}

/* User name of uid, "root" or "uid:N"; 0 or -1 if truncated. */
static int name_of(const struct dossier_rules *r, uid_t uid, char *out,
		   size_t outsz)
{
	const struct user *u = user_find(r, uid);
	int n;

	if (u)
		n = snprintf(out, outsz, "%s", u->name);
	else if (uid == 0)
		n = snprintf(out, outsz, "root");
	else
		n = snprintf(out, outsz, "uid:%lu", (unsigned long)uid);
	return n < 0 || (size_t)n >= outsz ? -1 : 0;
}

static void grant_verdict(const struct ctx *c, struct dossier_verdict *v,
			  const struct rule *ru, const struct grant *g)
{
	char who[64], until[40];

	name_of(c->r, g->approved_by, who, sizeof(who));
	fmt_time(until, sizeof(until), g->end);
	verdict(v, 1, 0, ru, g, "open on grant %lld approved by '%s' until %s",
		(long long)g->id, who, until);
}

/*
 * Evaluate families level and scope for c->action and take the weaker.
 * Returns the effect before grants; *ru the deciding row; d the grantable
 * rows a grant would have to satisfy. A grantable verdict on a level that
 * is not lendable is a deny (*nolend set).
 */
static int eval_pair(const struct ctx *c, const struct rule **ru,
		     struct detail *d, int *nolend)
{
	const struct rule *lr = first_match(c, FAM_LEVEL);
	const struct rule *sr = first_match(c, FAM_SCOPE);
	int le = effect_of(lr), se = effect_of(sr), eff;

	eff = le < se ? le : se;
	if (le < se)
		*ru = lr;
	else if (se < le)
		*ru = sr;
	else if (eff == EFF_ALLOW)
		*ru = sr;	/* the scope row says why this person */
	else
		*ru = lr ? lr : sr;
	*nolend = 0;
	if (d) {
		d->ngr = 0;
		if (eff == EFF_GRANTABLE) {
			if (le == EFF_GRANTABLE)
				d->gr[d->ngr++] = lr;
			if (se == EFF_GRANTABLE)
				d->gr[d->ngr++] = sr;
		}
	}
	if (eff == EFF_GRANTABLE && !lendable(c->r, c->o->level)) {
		*nolend = 1;
		eff = EFF_DENY;
	}
	return eff;
}

/* Which family a pair-deciding row came from, for default messages. */
static const char *pair_note(const struct rule *ru, int nolend,
			     const struct ctx *c, char *buf, size_t bufsz)
{
	const char *n = note_of(ru, "level or scope");

	if (!nolend)
		return n;
	snprintf(buf, bufsz, "%s; %s records are never lent", n,
		 level_label(c->r, c->o->level));
	return buf;
}

/* read or history (c->action), grants included. */
static void do_read(const struct ctx *c, struct dossier_verdict *v,
		    struct detail *d)
{
	const struct rule *ru;
	const struct grant *g;
	char buf[256];
	int nolend, eff = eval_pair(c, &ru, d, &nolend);
	const char *why = pair_note(ru, nolend, c, buf, sizeof(buf));

	if (eff == EFF_ALLOW) {
		verdict(v, 1, 0, ru, NULL, "%s", why);
	} else if (eff == EFF_GRANTABLE) {
		g = grant_find(c->r, c->s->uid, c->o->record, c->now, 0);
		if (g)
			grant_verdict(c, v, ru, g);
		else
			verdict(v, 0, 1, ru, NULL, "%s", why);
	} else {
		verdict(v, 0, 0, ru, NULL, "%s", why);
	}
}

static void do_list(struct ctx *c, struct dossier_verdict *v)
{
	struct dossier_verdict rv;
	const struct rule *ru;
	char buf[256];
	int nolend, eff;

	c->action = "list";
	eff = eval_pair(c, &ru, NULL, &nolend);
	if (eff == EFF_ALLOW) {
		verdict(v, 1, 0, ru, NULL, "%s", note_of(ru, "level or scope"));
	} else if (eff == EFF_GRANTABLE) {
		verdict(v, 1, 0, ru, NULL, "listed as a grant could open it: %s",
			note_of(ru, "level or scope"));
	} else {
		verdict(v, 0, 0, ru, NULL, "%s",
			pair_note(ru, nolend, c, buf, sizeof(buf)));
		/* whoever holds a grant may read it now, so may see it */
		c->action = "read";
		do_read(c, &rv, NULL);
		if (rv.allow && rv.grant)
			*v = rv;
	}
}

/* Family 'action' row for c->action, after the prerequisite allowed. */
static void do_action(const struct ctx *c, struct dossier_verdict *v,
		      struct detail *d, int want_write)
{
	const struct rule *ru = first_match(c, FAM_ACTION);
	const struct grant *g;
	int eff = effect_of(ru);
	const char *why = note_of(ru, c->action);

	if (eff == EFF_ALLOW) {
		verdict(v, 1, 0, ru, NULL, "%s", why);
		return;
	}
	if (eff == EFF_GRANTABLE && want_write) {
		if (!lendable(c->r, c->o->level)) {
			verdict(v, 0, 0, ru, NULL, "%s; %s records are never "
				"lent", why, level_label(c->r, c->o->level));
			return;
		}
		g = grant_find(c->r, c->s->uid, c->o->record, c->now, 1);
		if (g) {
			grant_verdict(c, v, ru, g);
			return;
		}
		if (d)
			d->gr[d->ngr++] = ru;
		verdict(v, 0, 1, ru, NULL, "%s", why);
		return;
	}
	/* no grant carries delete, classify or create: grantable is a no */
	verdict(v, 0, 0, ru, NULL, "%s", why);
}

static void do_write(struct ctx *c, struct dossier_verdict *v,
		     struct detail *d)
{
	const struct rule *wr;

	c->action = "read";
	do_read(c, v, d);
	c->action = "write";
	if (v->allow) {
		if (d)
			d->ngr = 0;
		do_action(c, v, d, 1);
		return;
	}
	/* not readable: a grant opens it only if the write row can lend */
	wr = first_match(c, FAM_ACTION);
	if (v->grantable && effect_of(wr) == EFF_DENY) {
		v->grantable = 0;
		v->rule = wr ? wr->id : 0;
		snprintf(v->why, sizeof(v->why), "%s",
			 note_of(wr, "write"));
	} else if (v->grantable && effect_of(wr) == EFF_GRANTABLE && d &&
		   d->ngr < 3) {
		d->gr[d->ngr++] = wr;
	}
}

/* Whether approver a satisfies one of the approvers of ru for grantee s
 * (NULL: some grantee, not known yet) on object o. */
static int approver_ok(const struct rule *ru, const struct subject *a,
		       const struct subject *s, const struct dossier_object *o)
{
	const char *p = ru->approvers, *e;
	char tok[64];
	size_t n;

	if (!p)
		return 0;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n && p[n - 1] == ' ')
			n--;
		if (n && n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			if (!strncmp(tok, "dept:", 5)) {
				if (same(a->role, tok + 5) &&
				    (!s || same(a->dept, s->dept)))
					return 1;
			} else if (!strncmp(tok, "record:", 7)) {
				if (same(a->role, tok + 7) &&
				    same(a->dept, o->dept))
					return 1;
			} else if (!strcmp(tok, "owner")) {
				if (o->owner != DOSSIER_NO_OWNER &&
				    a->uid == o->owner)
					return 1;
			} else if (same(a->role, tok)) {
				return 1;
			}
		}
		p = e;
	}
	return 0;
}

/*
 * Whether the subject of c could approve a grant on c->o for someone:
 * in each family with grantable read rows for this object, it is named by
 * one of them. *ru: a row naming it, or on refusal the row it is missing
 * from (NULL if nothing is grantable).
 */
static int may_approve(const struct ctx *c, const struct rule **ru)
{
	const struct policy *p = &c->r->p;
	struct ctx rc = *c;
	int fam, any = 0, ok;
	size_t i;

	rc.action = "read";
	*ru = NULL;
	for (fam = FAM_LEVEL; fam <= FAM_SCOPE; fam++) {
		const struct rule *hit = NULL, *miss = NULL;

		ok = 0;
		for (i = 0; i < p->nrules[fam]; i++) {
			const struct rule *x = &p->rules[fam][i];

			if (x->effect != EFF_GRANTABLE ||
			    !rule_matches(x, &rc, 1))
				continue;
			ok = -1;
			if (!miss)
				miss = x;
			if (approver_ok(x, c->s, NULL, c->o)) {
				hit = x;
				ok = 1;
				break;
			}
		}
		if (ok < 0) {
			*ru = miss;
			return 0;
		}
		if (ok > 0) {
			any = 1;
			if (!*ru)
				*ru = hit;
		}
	}
	return any;
}

/* check_approver: also whether the rules name the subject as approver */
static void do_grant_right(struct ctx *c, struct dossier_verdict *v,
			   int check_approver)
{
	const struct rule *ru;

	do_list(c, v);
	if (!v->allow)
		return;
	if (!lendable(c->r, c->o->level)) {
		verdict(v, 0, 0, NULL, NULL, "%s records are never lent",
			level_label(c->r, c->o->level));
		return;
	}
	c->action = "grant";
	do_action(c, v, NULL, 0);
	if (!v->allow || !check_approver)
		return;
	if (!may_approve(c, &ru)) {
		if (ru)
			verdict(v, 0, 0, ru, NULL, "not an approver: %s",
				ru->note);
		else
			verdict(v, 0, 0, NULL, NULL, "no rule makes this "
				"record grantable");
		return;
	}
	verdict(v, 1, 0, ru, NULL, "may approve grants: %s", ru->note);
}

static void decide(struct ctx *c, enum dossier_action act,
		   struct dossier_verdict *v, struct detail *d)
{
	if (d)
		d->ngr = 0;
	switch (act) {
	case DOSSIER_ACT_LIST:
		do_list(c, v);
		break;
	case DOSSIER_ACT_READ:
		c->action = "read";
		do_read(c, v, d);
		break;
	case DOSSIER_ACT_HISTORY:
		do_list(c, v);
		if (!v->allow)
			break;
		c->action = "history";
		do_read(c, v, d);
		break;
	case DOSSIER_ACT_WRITE:
		do_write(c, v, d);
		break;
	case DOSSIER_ACT_DELETE:
		do_write(c, v, NULL);
		if (!v->allow) {
			v->grantable = 0;
			break;
		}
		c->action = "delete";
		do_action(c, v, NULL, 0);
		break;
	case DOSSIER_ACT_CREATE:
		c->action = "create";
		do_action(c, v, NULL, 0);
		break;
	case DOSSIER_ACT_CLASSIFY:
		do_list(c, v);
		if (!v->allow)
			break;
		c->action = "classify";
		do_action(c, v, NULL, 0);
		break;
	case DOSSIER_ACT_GRANT:
		do_grant_right(c, v, 1);
		break;
	}
}

static void unmapped_verdict(struct dossier_verdict *v, uid_t uid)
{
	verdict(v, 0, 0, NULL, NULL, "uid %lu is not mapped to a user: an "
		"unmapped account gets nothing", (unsigned long)uid);
}

int dossier_rules_decide(struct dossier_rules *r, uid_t uid, const char *site,
			 enum dossier_action act,
			 const struct dossier_object *obj, int64_t now_s,
			 struct dossier_verdict *out)
{
	struct subject s;
	struct ctx c = { r, &s, obj, site, NULL, now_s };

	memset(out, 0, sizeof(*out));
	if (!r || !obj || (unsigned)act > DOSSIER_ACT_GRANT) {
		dossier_error_set("rules: bad arguments to decide");
		return DOSSIER_EINVAL;
	}
	if (subject_get(r, uid, &s) < 0) {
		unmapped_verdict(out, uid);
		return 0;
	}
	decide(&c, act, out, NULL);
	return 0;
}

/* ---- users ---- */

static int role_known(const struct dossier_rules *r, const char *role)
{
	size_t i;

	for (i = 0; role && i < r->p.nroles; i++)
		if (!strcmp(r->p.roles[i], role))
			return 1;
	return 0;
}

int dossier_rules_user_add(struct dossier_rules *r, uid_t uid,
			   const char *name, const char *role,
			   const char *dept)
{
	int rc;

	if (!name || !*name) {
		dossier_error_set("a user needs a name");
		return DOSSIER_EINVAL;
	}
	if (!role_known(r, role)) {
		dossier_error_set("unknown role '%s'", role ? role : "");
		return DOSSIER_EINVAL;
	}
	rc = dossier_db_run(r->db, "add user", "INSERT INTO user(uid, name, "
			    "role, dept) VALUES (?, ?, ?, ?)", "ittt",
			    (int64_t)uid, name, role, dept && *dept ? dept :
			    NULL);
	if (rc == DOSSIER_EEXISTS) {
		dossier_error_clear();
		dossier_error_set("uid %lu or name '%s' is already mapped",
				  (unsigned long)uid, name);
	}
	return rc < 0 ? rc : dossier_rules_reload(r);
}

/*
 * rc of a statement that changed rows of user name: DOSSIER_ENOTFOUND
 * when it changed none.
 */
static int user_changed(struct dossier_rules *r, const char *name, int rc)
{
	if (rc == 0 && sqlite3_changes(r->db) == 0) {
		dossier_error_set("'%s' is not a mapped user", name);
		rc = DOSSIER_ENOTFOUND;
	}
	return rc;
}

int dossier_rules_user_set(struct dossier_rules *r, const char *name,
			   const char *role, const char *dept)
{
	int rc;

	if (role && !role_known(r, role)) {
		dossier_error_set("unknown role '%s'", role);
		return DOSSIER_EINVAL;
	}
	rc = dossier_db_run(r->db, "change user", "UPDATE user SET role = "
			    "coalesce(?2, role), dept = CASE WHEN ?4 THEN "
			    "nullif(?3, '') ELSE dept END WHERE name = ?1",
			    "ttti", name, role, dept ? dept : "",
			    (int64_t)(dept != NULL));
	rc = user_changed(r, name, rc);
	if (rc == 0)
		rc = dossier_rules_reload(r);
	return rc;
}

int dossier_rules_user_remove(struct dossier_rules *r, const char *name,
			      int64_t now_s)
{
	int rc;

	/* grants end with the mapping: a later mapping starts afresh */
	rc = dossier_db_exec(r->db, "SAVEPOINT user_remove");
	if (rc == 0)
		rc = dossier_db_run(r->db, "change user", "UPDATE grant SET "
				    "revoked_s = ?2 WHERE revoked_s IS NULL AND "
				    "uid = (SELECT uid FROM user WHERE name = "
				    "?1)", "ti", name, now_s);
	if (rc == 0)
		rc = user_changed(r, name, dossier_db_run(r->db, "change user",
				  "DELETE FROM user WHERE name = ?1", "t",
				  name));
	if (rc == 0)
		rc = dossier_db_exec(r->db, "RELEASE user_remove");
	else
		sqlite3_exec(r->db, "ROLLBACK TO user_remove; RELEASE "
			     "user_remove", NULL, NULL, NULL);
	if (rc == 0)
		rc = dossier_rules_reload(r);
	return rc;
}

int dossier_rules_user_name(struct dossier_rules *r, uid_t uid, char *out,
			    size_t outsz)
{
	if (name_of(r, uid, out, outsz) < 0) {
		dossier_error_set("user name of uid %lu: buffer too small",
				  (unsigned long)uid);
		return DOSSIER_ERANGE;
	}
	return 0;
}

int dossier_rules_user_lookup(struct dossier_rules *r, const char *name,
			      uid_t *out)
{
	size_t i;

	for (i = 0; name && i < r->p.nusers; i++) {
		if (!strcmp(r->p.users[i].name, name)) {
			*out = r->p.users[i].uid;
			return 0;
		}
	}
	dossier_error_set("no user '%s'", name ? name : "");
	return DOSSIER_ENOTFOUND;
}

int dossier_rules_user_info(struct dossier_rules *r, uid_t uid,
			    const char **role, const char **dept)
{
	size_t i;

	for (i = 0; i < r->p.nusers; i++)
		if (r->p.users[i].uid == uid) {
			if (role)
				*role = r->p.users[i].role;
			if (dept)
				*dept = r->p.users[i].dept;
			return 0;
		}
	if (uid == 0 && r->p.root_role) {
		if (role)
			*role = r->p.root_role;
		if (dept)
			*dept = NULL;
		return 0;
	}
	return DOSSIER_ENOTFOUND;
}

size_t dossier_rules_user_count(struct dossier_rules *r)
{
	return r->p.nusers;
}

int dossier_rules_user_at(struct dossier_rules *r, size_t i, uid_t *uid,
			  const char **name, const char **role,
			  const char **dept)
{
	if (i >= r->p.nusers)
		return DOSSIER_ENOTFOUND;
	*uid = r->p.users[i].uid;
	*name = r->p.users[i].name;
	*role = r->p.users[i].role;
	*dept = r->p.users[i].dept;
	return 0;
}

int dossier_rules_grants_each(struct dossier_rules *r, int64_t now_s,
			      int (*fn)(void *ctx, int64_t id, uint64_t record,
					uid_t uid, int can_write,
					uid_t approved_by, int64_t start,
					int64_t end),
			      void *ctx)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < r->ngrants; i++) {
		const struct grant *g = &r->grants[i];

		if (g->end <= now_s)
			continue;
		rc = fn(ctx, g->id, g->record, g->uid, g->can_write,
			g->approved_by, g->start, g->end);
	}
	return rc;
}

/* ---- grants ---- */

/* "4 h", "30 min", "45 s" */
static void fmt_duration(char *out, size_t outsz, int64_t s)
{
	if (s > 0 && s % 3600 == 0)
		snprintf(out, outsz, "%lld h", (long long)(s / 3600));
	else if (s > 0 && s % 60 == 0)
		snprintf(out, outsz, "%lld min", (long long)(s / 60));
	else
		snprintf(out, outsz, "%lld s", (long long)s);
}

/* The approver check of a grant for grantee g (see rules_i.h). */
static int grant_check(struct dossier_rules *r, const struct subject *a,
		       const char *site, const struct dossier_object *obj,
		       const struct subject *g, int can_write, int64_t seconds,
		       int64_t now_s)
{
	struct ctx c = { r, a, obj, site, NULL, now_s };
	struct ctx gc = { r, g, obj, NULL, "read", now_s };
	const struct level *l = level_of(r, obj->level);
	const struct rule *ru, *wr = NULL;
	struct dossier_verdict v;
	char max[32], asked[32];
	int eff, weff = EFF_ALLOW, nolend;
	size_t i;
	struct detail d;

	if (a->uid == g->uid) {
		dossier_error_set("'%s' may not approve a grant for "
				  "themselves", a->name);
		return DOSSIER_EDENIED;
	}
	if (!l || !l->lendable) {
		dossier_error_set("%s records are never lent: no grant can "
				  "open them", level_label(r, obj->level));
		return DOSSIER_EDENIED;
	}
	if (l->max_grant > 0 && seconds > l->max_grant) {
		fmt_duration(max, sizeof(max), l->max_grant);
		fmt_duration(asked, sizeof(asked), seconds);
		dossier_error_set("grants on %s records last at most %s "
				  "(asked for %s)", level_label(r, obj->level),
				  max, asked);
		return DOSSIER_EDENIED;
	}
	/* the approver sees the record and the 'grant' rows allow; whom
	 * the approver may lend it to is checked below, for g */
	do_grant_right(&c, &v, 0);
	if (!v.allow) {
		dossier_error_set("'%s' may not approve grants on this "
				  "record: %s", a->name, v.why);
		return DOSSIER_EDENIED;
	}
	/* what the grant opens: the grantee's read outside any site */
	eff = eval_pair(&gc, &ru, &d, &nolend);
	if (eff == EFF_DENY) {
		dossier_error_set("no grant can open this record for '%s': %s",
				  g->name, note_of(ru, "level or scope"));
		return DOSSIER_EDENIED;
	}
	if (can_write) {
		gc.action = "write";
		wr = first_match(&gc, FAM_ACTION);
		weff = effect_of(wr);
		if (weff == EFF_DENY) {
			dossier_error_set("no grant lets '%s' change this "
					  "record: %s", g->name,
					  note_of(wr, "write"));
			return DOSSIER_EDENIED;
		}
		if (weff == EFF_GRANTABLE)
			d.gr[d.ngr++] = wr;
	}
	if (eff == EFF_ALLOW && weff == EFF_ALLOW) {
		dossier_error_set("'%s' already may %s this record without a "
				  "grant", g->name, can_write ? "change" :
				  "read");
		return DOSSIER_EEXISTS;
	}
	for (i = 0; i < d.ngr; i++) {
		if (!approver_ok(d.gr[i], a, g, obj)) {
			dossier_error_set("'%s' may not approve this grant: %s",
					  a->name, d.gr[i]->note);
			return DOSSIER_EDENIED;
		}
	}
	return 0;
}

int dossier_rules_grant(struct dossier_rules *r, uid_t approver,
			const char *site, const struct dossier_object *obj,
			uid_t user, int can_write, int64_t seconds,
			const char *reason, int64_t now_s, int64_t *grant_id)
{
	struct subject a, g;
	int rc;

	if (grant_id)
		*grant_id = 0;
	if (!obj || obj->is_folder || !obj->record) {
		dossier_error_set("grants are given on records, not folders");
		return DOSSIER_EINVAL;
	}
	if (seconds <= 0) {
		dossier_error_set("a grant must last some time");
		return DOSSIER_EINVAL;
	}
	if (!reason || !*reason) {
		dossier_error_set("a grant needs a reason");
		return DOSSIER_EINVAL;
	}
	if (subject_get(r, approver, &a) < 0) {
		dossier_error_set("uid %lu is not mapped to a user: an "
				  "unmapped account gets nothing",
				  (unsigned long)approver);
		return DOSSIER_EDENIED;
	}
	if (subject_get(r, user, &g) < 0) {
		dossier_error_set("uid %lu is not mapped to a user: map it "
				  "before granting", (unsigned long)user);
		return DOSSIER_ENOTFOUND;
	}
	if ((rc = grant_check(r, &a, site, obj, &g, can_write, seconds,
			      now_s)) < 0)
		return rc;
	if ((rc = dossier_db_run(r->db, "record grant", "INSERT INTO "
				 "grant(record, uid, can_read, can_write, "
				 "approved_by, reason, start_s, end_s) VALUES "
				 "(?, ?, 1, ?, ?, ?, ?, ?)", "iiiitii",
				 (int64_t)obj->record, (int64_t)user,
				 (int64_t)(can_write ? 1 : 0),
				 (int64_t)approver, reason, now_s,
				 now_s + seconds)) < 0)
		return rc;
	if (grant_id)
		*grant_id = sqlite3_last_insert_rowid(r->db);
	if (now_s > r->grant_floor)
		r->grant_floor = now_s;
	return load_grants(r);
}

/* Whether the action-family rows for action allow s (no object). */
static int subject_may(struct dossier_rules *r, const struct subject *s,
		       const char *action, const struct rule **ru)
{
	struct ctx c = { r, s, NULL, NULL, action, 0 };

	*ru = first_match(&c, FAM_ACTION);
	return effect_of(*ru) == EFF_ALLOW;
}

int dossier_rules_revoke(struct dossier_rules *r, uid_t who, int64_t grant_id,
			 int64_t now_s)
{
	sqlite3_stmt *st = NULL;
	const struct rule *ru;
	struct subject s;
	uid_t holder, approver;
	int rc;

	if ((rc = dossier_db_prepare(r->db, "SELECT uid, approved_by FROM "
					 "grant WHERE id = ? AND revoked_s IS "
					 "NULL", &st)) < 0)
		goto out;
	dossier_db_bind(st, "i", grant_id);
	if ((rc = step(r->db, st, "find grant")) < 0)
		goto out;
	if (rc == 0) {
		dossier_error_set("no grant %lld in force", (long long)grant_id);
		rc = DOSSIER_ENOTFOUND;
		goto out;
	}
	holder = (uid_t)sqlite3_column_int64(st, 0);
	approver = (uid_t)sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	st = NULL;
	if (subject_get(r, who, &s) < 0) {
		dossier_error_set("uid %lu is not mapped to a user: an "
				  "unmapped account gets nothing",
				  (unsigned long)who);
		rc = DOSSIER_EDENIED;
		goto out;
	}
	/*
	 * Ending a grant only takes access away: its two parties may, and
	 * whom the policy lets. Anyone else is answered as for an id no
	 * grant has: whether a grant between others exists is not theirs
	 * to learn.
	 */
	if (who != holder && who != approver &&
	    !subject_may(r, &s, "revoke", &ru)) {
		dossier_error_set("no grant %lld in force", (long long)grant_id);
		rc = DOSSIER_ENOTFOUND;
		goto out;
	}
	if ((rc = dossier_db_run(r->db, "revoke grant", "UPDATE grant SET "
				 "revoked_s = ? WHERE id = ?", "ii", now_s,
				 grant_id)) < 0)
		goto out;
	if (now_s > r->grant_floor)
		r->grant_floor = now_s;
	rc = load_grants(r);
out:
	sqlite3_finalize(st);
	return rc;
}

int64_t dossier_rules_next_expiry(struct dossier_rules *r, int64_t now_s)
{
	int64_t best = 0;
	size_t i;

	for (i = 0; i < r->ngrants; i++) {
		const struct grant *g = &r->grants[i];

		if (g->start <= now_s && now_s < g->end &&
		    (!best || g->end < best))
			best = g->end;
	}
	return best;
}

/* ---- explain ---- */

struct out {
	char *p;
	size_t sz;
	size_t len;
	int trunc;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->trunc)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->sz - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->sz - o->len) {
		o->trunc = 1;
		return;
	}
	o->len += (size_t)n;
}

/* An approvers list in words: "gm or deputy_gm". */
static void put_approvers(struct out *o, const struct rule *ru,
			  const struct dossier_object *obj)
{
	const char *p = ru->approvers ? ru->approvers : "", *e;
	size_t n, k = 0, total = 0;
	const char *q;

	for (q = p; *q; q++)
		total += *q == ',';
	total++;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		if (n) {
			if (k)
				put(o, k + 1 == total ? " or " : ", ");
			if (n > 5 && !strncmp(p, "dept:", 5))
				put(o, "a %.*s of the requester's department",
				    (int)(n - 5), p + 5);
			else if (n > 7 && !strncmp(p, "record:", 7))
				put(o, "a %.*s of department '%s'",
				    (int)(n - 7), p + 7,
				    obj->dept ? obj->dept : "(none)");
			else if (n == 5 && !strncmp(p, "owner", 5))
				put(o, "the record's owner");
			else
				put(o, "%.*s", (int)n, p);
			k++;
		}
		p = e;
	}
}

static void explain_line(struct dossier_rules *r, struct out *o,
			 const struct subject *s, const char *site,
			 const struct dossier_object *obj, int64_t now_s,
			 enum dossier_action act)
{
	struct ctx c = { r, s, obj, site, NULL, now_s };
	const struct level *l = level_of(r, obj->level);
	struct dossier_verdict v;
	struct detail d;
	char max[32];
	size_t i;

	decide(&c, act, &v, &d);
	put(o, "%s: ", dossier_action_name(act));
	if (v.allow)
		put(o, "allowed");
	else if (v.grantable)
		put(o, "needs a grant");
	else
		put(o, "denied");
	if (v.rule)
		put(o, " (rule %lld)", (long long)v.rule);
	put(o, ": %s", v.why);
	/* the same approvers twice (read and write rows) say it once */
	for (i = 1; i < d.ngr; i++) {
		if (same(d.gr[i]->approvers, d.gr[i - 1]->approvers) ||
		    same(d.gr[i]->approvers, d.gr[0]->approvers)) {
			memmove(&d.gr[i], &d.gr[i + 1],
				(d.ngr - i - 1) * sizeof(d.gr[0]));
			d.ngr--;
			i--;
		}
	}
	if (!v.allow && v.grantable && d.ngr == 1) {
		put(o, "; a grant approved by ");
		put_approvers(o, d.gr[0], obj);
	} else if (!v.allow && v.grantable && d.ngr > 1) {
		put(o, "; a grant approved by someone named by ");
		for (i = 0; i < d.ngr; i++) {
			put(o, "%srule %lld (", i ? " and by " : "",
			    (long long)d.gr[i]->id);
			put_approvers(o, d.gr[i], obj);
			put(o, ")");
		}
	}
	if (!v.allow && v.grantable && d.ngr) {
		if (l && l->max_grant > 0) {
			fmt_duration(max, sizeof(max), l->max_grant);
			put(o, ", for at most %s,", max);
		}
		put(o, " would allow it");
	} else if (!v.allow) {
		for (i = 0; i < r->p.nsites; i++) {
			struct ctx sc = { r, s, obj, r->p.sites[i], NULL,
					  now_s };
			struct dossier_verdict sv;

			if (same(site, r->p.sites[i]))
				continue;
			decide(&sc, act, &sv, NULL);
			if (sv.allow)
				put(o, "; allowed at site '%s' (rule %lld)",
				    r->p.sites[i], (long long)sv.rule);
		}
	}
	put(o, "\n");
}

int dossier_rules_explain(struct dossier_rules *r, uid_t uid,
			  const char *site, const struct dossier_object *obj,
			  int64_t now_s, char *out, size_t outsz)
{
	static const enum dossier_action record_acts[] = {
		DOSSIER_ACT_LIST, DOSSIER_ACT_READ, DOSSIER_ACT_WRITE,
		DOSSIER_ACT_DELETE, DOSSIER_ACT_HISTORY, DOSSIER_ACT_CLASSIFY,
		DOSSIER_ACT_GRANT,
	};
	static const enum dossier_action folder_acts[] = {
		DOSSIER_ACT_CREATE, DOSSIER_ACT_LIST, DOSSIER_ACT_READ,
		DOSSIER_ACT_WRITE,
	};
	const enum dossier_action *acts = record_acts;
	size_t nacts = sizeof(record_acts) / sizeof(record_acts[0]), i;
	struct out o = { out, outsz, 0, 0 };
	struct subject s;

	if (!outsz) {
		dossier_error_set("explain: buffer too small");
		return DOSSIER_ERANGE;
	}
	out[0] = '\0';
	if (subject_get(r, uid, &s) < 0) {
		put(&o, "all: denied: uid %lu is not mapped to a user: an "
		    "unmapped account gets nothing\n", (unsigned long)uid);
	} else {
		put(&o, "user '%s' (role %s, department %s), site %s, %s %s "
		    "record\n", s.name, s.role, s.dept ? s.dept : "(none)",
		    site ? site : "(none)", dossier_level_name(obj->level),
		    dossier_scope_name(obj->scope));
		if (obj->is_folder) {
			acts = folder_acts;
			nacts = sizeof(folder_acts) / sizeof(folder_acts[0]);
			put(&o, "(a folder: list, read and write are those of "
			    "a new record with its defaults)\n");
		}
		for (i = 0; i < nacts; i++)
			explain_line(r, &o, &s, site, obj, now_s, acts[i]);
	}
	if (o.trunc) {
		dossier_error_set("explain: buffer too small");
		return DOSSIER_ERANGE;
	}
	return 0;
}

/* ---- settings ---- */

int dossier_rules_setting_get(struct dossier_rules *r, const char *key,
			      char *out, size_t outsz)
{
	sqlite3_stmt *st = NULL;
	const char *val;
	int rc, n;

	if ((rc = dossier_db_prepare(r->db, "SELECT value FROM setting WHERE "
					 "key = ?", &st)) < 0)
		goto out;
	dossier_db_bind(st, "t", key);
	if ((rc = step(r->db, st, "read setting")) < 0)
		goto out;
	if (rc == 0) {
		dossier_error_set("no setting '%s'", key);
		rc = DOSSIER_ENOTFOUND;
		goto out;
	}
	val = col_text(st, 0);
	n = snprintf(out, outsz, "%s", val ? val : "");
	if (n < 0 || (size_t)n >= outsz) {
		dossier_error_set("setting '%s': buffer too small", key);
		rc = DOSSIER_ERANGE;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int64_t dossier_rules_level_max(struct dossier_rules *r, int level)
{
	if (level < 0 || level >= NLEVELS || !r->p.levels[level].present ||
	    !r->p.levels[level].lendable)
		return 0;
	return r->p.levels[level].max_grant;
}

int dossier_rules_may(struct dossier_rules *r, uid_t who, const char *action)
{
	const struct rule *ru;
	struct subject s;

	if (subject_get(r, who, &s) < 0) {
		dossier_error_set("uid %lu is not mapped to a user: an "
				  "unmapped account gets nothing",
				  (unsigned long)who);
		return DOSSIER_EDENIED;
	}
	if (!subject_may(r, &s, action, &ru)) {
		dossier_error_set("'%s' may not: %s", s.name,
				  note_of(ru, action));
		return DOSSIER_EDENIED;
	}
	return 0;
}

/*
 * A setting's value must make sense for its key: keys are the rows init
 * seeded (an unknown key is a typo, never a new setting), and the value
 * is read as the key's kind (days, a level, a role, a list of roles).
 */
static int setting_check(struct dossier_rules *r, const char *key,
			 const char *value)
{
	sqlite3_stmt *st = NULL;
	size_t len = strlen(key);
	int known = 0;

	if (dossier_db_prepare(r->db, "SELECT 1 FROM setting WHERE key = ?",
			       &st) == 0) {
		dossier_db_bind(st, "t", key);
		known = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (!known) {
		dossier_error_set("'%s' is not a setting ('dossierctl policy' "
				  "lists them)", key);
		return DOSSIER_EINVAL;
	}
	if (!strcmp(key, "trash-days")) {
		if (!value[0] || strlen(value) > 6 ||
		    strspn(value, "0123456789") != strlen(value)) {
			dossier_error_set("trash-days is a number of days (0 "
					  "purges at the next run), not '%s'",
					  value);
			return DOSSIER_EINVAL;
		}
	} else if (len > 6 && !strcmp(key + len - 6, "-level")) {
		if (dossier_level_parse(value) < 0) {
			dossier_error_set("%s is a level (internal, "
					  "confidential, secret, topsecret), "
					  "not '%s'", key, value);
			return DOSSIER_EINVAL;
		}
	} else if ((!strcmp(key, "root-role") && value[0]) ||
		   (len > 6 && !strcmp(key + len - 6, "-roles"))) {
		char role[64];
		const char *p = value, *comma;

		do {
			comma = strchr(p, ',');
			snprintf(role, sizeof(role), "%.*s", comma ?
				 (int)(comma - p) : (int)strlen(p), p);
			if (!role_known(r, role)) {
				dossier_error_set("%s: '%s' is not a role (gm, "
						  "deputy_gm, director, "
						  "office_director, manager, "
						  "sales, archivist, auditor, "
						  "staff)", key, role);
				return DOSSIER_EINVAL;
			}
			p = comma ? comma + 1 : NULL;
		} while (p && strcmp(key, "root-role"));
		if (p) {
			dossier_error_set("root-role is one role");
			return DOSSIER_EINVAL;
		}
	} else if (!value[0] && strcmp(key, "root-role")) {
		/* root-role "": uid 0 unmapped is like any unmapped uid */
		dossier_error_set("%s needs a value", key);
		return DOSSIER_EINVAL;
	}
	return 0;
}

int dossier_rules_setting_set(struct dossier_rules *r, uid_t who,
			      const char *key, const char *value)
{
	const struct rule *ru;
	struct subject s;
	int rc;

	if (!key || !*key || !value) {
		dossier_error_set("a setting needs a key and a value");
		return DOSSIER_EINVAL;
	}
	if (subject_get(r, who, &s) < 0) {
		dossier_error_set("uid %lu is not mapped to a user: an "
				  "unmapped account gets nothing",
				  (unsigned long)who);
		return DOSSIER_EDENIED;
	}
	if (!subject_may(r, &s, "policy", &ru)) {
		dossier_error_set("'%s' may not set '%s': %s", s.name, key,
				  note_of(ru, "policy"));
		return DOSSIER_EDENIED;
	}
	if ((rc = setting_check(r, key, value)) < 0)
		return rc;
	if ((rc = dossier_db_run(r->db, "set setting", "INSERT OR REPLACE "
				 "INTO setting(key, value) VALUES (?, ?)",
				 "tt", key, value)) < 0)
		return rc;
	dossier_log(LOG_INFO, "setting '%s' set to '%s' by '%s'", key, value,
		    s.name);
	if (!strcmp(key, "root-role"))
		rc = dossier_rules_reload(r);
	return rc;
}
