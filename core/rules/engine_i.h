#ifndef DOSSIER_CORE_ENGINE_I_H
#define DOSSIER_CORE_ENGINE_I_H

/*
 * The insides of the rule store, shared by the files of core/rules/ and
 * by nothing else: the policy as loaded (load.c), who asks (match.c),
 * and the functions one file of the store lends another. The contract of
 * the store is rules_i.h.
 */

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rules_i.h"

enum effect { EFF_DENY = 0, EFF_GRANTABLE = 1, EFF_ALLOW = 2 };
enum family { FAM_LEVEL, FAM_SCOPE, FAM_ACTION, FAM__COUNT };
enum relation { REL_OWNER, REL_DEPT, REL_OTHER };

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
	char *thumbnailers;	/* setting 'thumbnailers'; NULL: none */
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

/* ---- load.c ---- */

const char *rules_col_text(sqlite3_stmt *st, int i);

/* Step st; 1 on a row, 0 when done, a negative code on error. */
int rules_step(sqlite3 *db, sqlite3_stmt *st, const char *what);

int rules_load_grants(struct dossier_rules *r);

/* ---- seed.c ---- */

/*
 * A catalog that went through schema step 3 after the step stopped
 * seeding (it was made before the rule store, and migrated by this
 * version) has empty policy tables: it gets the default policy, as the
 * step gave it before.
 */
int rules_seed_if_empty(sqlite3 *db);

/* ---- match.c ---- */

/*
 * The next item of the comma list at *p (spaces before it skipped, and
 * after it with trim): its start into *item, its length into *n, and *p
 * moved past it. 0 when the list holds no more items.
 */
int rules_list_next(const char **p, const char **item, size_t *n, int trim);

int rules_same(const char *a, const char *b);

/*
 * Whether ru applies. Conditions on the object fail without one (c->o
 * NULL); with subject_free, conditions on the subject are not checked.
 */
int rules_rule_matches(const struct rule *ru, const struct ctx *c,
		       int subject_free);

const struct rule *rules_first_match(const struct ctx *c, int fam);

int rules_effect_of(const struct rule *ru);

const struct level *rules_level_of(const struct dossier_rules *r, int level);

int rules_lendable(const struct dossier_rules *r, int level);

const char *rules_level_label(const struct dossier_rules *r, int level);

/*
 * rules_subject_get, or DOSSIER_EDENIED with the reason set: "uid N is
 * not mapped to a user".
 */
int rules_subject_mapped(const struct dossier_rules *r, uid_t uid,
			 struct subject *s);

/* Resolve uid; -1 if it gets nothing. */
int rules_subject_get(const struct dossier_rules *r, uid_t uid,
		      struct subject *s);

/* The latest-ending active grant of uid on record (with write if asked). */
const struct grant *rules_grant_find(const struct dossier_rules *r,
				     uid_t uid, uint64_t record,
				     int64_t now, int want_write);

const char *rules_note_of(const struct rule *ru, const char *family);

/* User name of uid, "root" or "uid:N"; 0 or -1 if truncated. */
int rules_name_of(const struct dossier_rules *r, uid_t uid, char *out,
		  size_t outsz);

int rules_role_known(const struct dossier_rules *r, const char *role);

/* Whether the action-family rows for action allow s (no object). */
int rules_subject_may(struct dossier_rules *r, const struct subject *s,
		      const char *action, const struct rule **ru);

/* ---- engine.c ---- */

/*
 * Evaluate families level and scope for c->action and take the weaker.
 * Returns the effect before grants; *ru the deciding row; d the grantable
 * rows a grant would have to satisfy. A grantable verdict on a level that
 * is not lendable is a deny (*nolend set).
 */
int rules_eval_pair(const struct ctx *c, const struct rule **ru,
		    struct detail *d, int *nolend);

/* Whether approver a satisfies one of the approvers of ru for grantee s
 * (NULL: some grantee, not known yet) on object o. */
int rules_approver_ok(const struct rule *ru, const struct subject *a,
		      const struct subject *s, const struct dossier_object *o);

/* check_approver: also whether the rules name the subject as approver */
void rules_grant_right(struct ctx *c, struct dossier_verdict *v,
		       int check_approver);

void rules_decide_ctx(struct ctx *c, enum dossier_action act,
		      struct dossier_verdict *v, struct detail *d);

/* ---- grants.c ---- */

/* "4 h", "30 min", "45 s" */
void rules_fmt_duration(char *out, size_t outsz, int64_t s);

#endif
