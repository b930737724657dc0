#include "rules_i.h"

/*
 * Who asks and which rows apply: subjects, rule matching, levels,
 * grants in force, and the notes a verdict quotes.
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

static const char *const relation_names[] = { "owner", "dept", "other" };

int rules_list_next(const char **p, const char **item, size_t *n, int trim)
{
	const char *e;

	while (**p == ' ' || **p == ',')
		(*p)++;
	if (!**p)
		return 0;
	for (e = *p; *e && *e != ','; e++)
		;
	*item = *p;
	*n = (size_t)(e - *p);
	while (trim && *n && (*item)[*n - 1] == ' ')
		(*n)--;
	*p = e;
	return 1;
}

/* Whether val is one of the comma-separated items of list. */
static int list_has(const char *list, const char *val)
{
	const char *p = list, *item;
	size_t n;

	if (!val)
		return 0;
	while (rules_list_next(&p, &item, &n, 1))
		if (n == strlen(val) && !memcmp(item, val, n))
			return 1;
	return 0;
}

int rules_same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static enum relation relation_of(const struct subject *s,
				 const struct dossier_object *o)
{
	if (o->owner != DOSSIER_NO_OWNER && s->uid == o->owner)
		return REL_OWNER;
	if (rules_same(s->dept, o->dept))
		return REL_DEPT;
	return REL_OTHER;
}

/*
 * Whether ru applies. Conditions on the object fail without one (c->o
 * NULL); with subject_free, conditions on the subject are not checked.
 */
int rules_rule_matches(const struct rule *ru, const struct ctx *c,
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
			      !rules_same(s->dept, o->dept)))
		return 0;
	if (ru->user_dept && !list_has(ru->user_dept, s->dept))
		return 0;
	return 1;
}

const struct rule *rules_first_match(const struct ctx *c, int fam)
{
	const struct policy *p = &c->r->p;
	size_t i;

	for (i = 0; i < p->nrules[fam]; i++)
		if (rules_rule_matches(&p->rules[fam][i], c, 0))
			return &p->rules[fam][i];
	return NULL;
}

int rules_effect_of(const struct rule *ru)
{
	return ru ? ru->effect : EFF_DENY;
}

const struct level *rules_level_of(const struct dossier_rules *r, int level)
{
	if (level < 0 || level >= NLEVELS || !r->p.levels[level].present)
		return NULL;
	return &r->p.levels[level];
}

int rules_lendable(const struct dossier_rules *r, int level)
{
	const struct level *l = rules_level_of(r, level);

	return l && l->lendable;
}

const char *rules_level_label(const struct dossier_rules *r, int level)
{
	const struct level *l = rules_level_of(r, level);

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
int rules_subject_get(const struct dossier_rules *r, uid_t uid,
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
const struct grant *rules_grant_find(const struct dossier_rules *r,
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

const char *rules_note_of(const struct rule *ru, const char *family)
{
	static _Thread_local char buf[64];

	if (ru)
		return ru->note;
	snprintf(buf, sizeof(buf), "no %s rule matches: denied by default",
		 family);
	return buf;
}

/* User name of uid, "root" or "uid:N"; 0 or -1 if truncated. */
int rules_name_of(const struct dossier_rules *r, uid_t uid, char *out,
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

int rules_subject_mapped(const struct dossier_rules *r, uid_t uid,
			 struct subject *s)
{
	if (rules_subject_get(r, uid, s) == 0)
		return 0;
	dossier_error_set("uid %lu is not mapped to a user: an unmapped "
			  "account gets nothing", (unsigned long)uid);
	return DOSSIER_EDENIED;
}

int rules_role_known(const struct dossier_rules *r, const char *role)
{
	size_t i;

	for (i = 0; role && i < r->p.nroles; i++)
		if (!strcmp(r->p.roles[i], role))
			return 1;
	return 0;
}

/* Whether the action-family rows for action allow s (no object). */
int rules_subject_may(struct dossier_rules *r, const struct subject *s,
		      const char *action, const struct rule **ru)
{
	struct ctx c = { r, s, NULL, NULL, action, 0 };

	*ru = rules_first_match(&c, FAM_ACTION);
	return rules_effect_of(*ru) == EFF_ALLOW;
}
