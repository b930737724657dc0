#include "rules_i.h"

/*
 * The decision engine: one question (subject, action, object) answered
 * from memory by the families of rules and the grants in force.
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
#include "proc.h"

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

static void fmt_time(char *out, size_t outsz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, outsz, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, outsz, "%lld", (long long)t);
}

static void grant_verdict(const struct ctx *c, struct dossier_verdict *v,
			  const struct rule *ru, const struct grant *g)
{
	char who[64], until[40];

	rules_name_of(c->r, g->approved_by, who, sizeof(who));
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
int rules_eval_pair(const struct ctx *c, const struct rule **ru,
		    struct detail *d, int *nolend)
{
	const struct rule *lr = rules_first_match(c, FAM_LEVEL);
	const struct rule *sr = rules_first_match(c, FAM_SCOPE);
	int le = rules_effect_of(lr), se = rules_effect_of(sr), eff;

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
	if (eff == EFF_GRANTABLE && !rules_lendable(c->r, c->o->level)) {
		*nolend = 1;
		eff = EFF_DENY;
	}
	return eff;
}

/* Which family a pair-deciding row came from, for default messages. */
static const char *pair_note(const struct rule *ru, int nolend,
			     const struct ctx *c, char *buf, size_t bufsz)
{
	const char *n = rules_note_of(ru, "level or scope");

	if (!nolend)
		return n;
	snprintf(buf, bufsz, "%s; %s records are never lent", n,
		 rules_level_label(c->r, c->o->level));
	return buf;
}

/* read or history (c->action), grants included. */
static void do_read(const struct ctx *c, struct dossier_verdict *v,
		    struct detail *d)
{
	const struct rule *ru;
	const struct grant *g;
	char buf[256];
	int nolend, eff = rules_eval_pair(c, &ru, d, &nolend);
	const char *why = pair_note(ru, nolend, c, buf, sizeof(buf));

	if (eff == EFF_ALLOW) {
		verdict(v, 1, 0, ru, NULL, "%s", why);
	} else if (eff == EFF_GRANTABLE) {
		g = rules_grant_find(c->r, c->s->uid, c->o->record, c->now, 0);
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
	eff = rules_eval_pair(c, &ru, NULL, &nolend);
	if (eff == EFF_ALLOW) {
		verdict(v, 1, 0, ru, NULL, "%s", rules_note_of(ru, "level or scope"));
	} else if (eff == EFF_GRANTABLE) {
		verdict(v, 1, 0, ru, NULL, "listed as a grant could open it: %s",
			rules_note_of(ru, "level or scope"));
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
	const struct rule *ru = rules_first_match(c, FAM_ACTION);
	const struct grant *g;
	int eff = rules_effect_of(ru);
	const char *why = rules_note_of(ru, c->action);

	if (eff == EFF_ALLOW) {
		verdict(v, 1, 0, ru, NULL, "%s", why);
		return;
	}
	if (eff == EFF_GRANTABLE && want_write) {
		if (!rules_lendable(c->r, c->o->level)) {
			verdict(v, 0, 0, ru, NULL, "%s; %s records are never "
				"lent", why, rules_level_label(c->r, c->o->level));
			return;
		}
		g = rules_grant_find(c->r, c->s->uid, c->o->record, c->now, 1);
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
	wr = rules_first_match(c, FAM_ACTION);
	if (v->grantable && rules_effect_of(wr) == EFF_DENY) {
		v->grantable = 0;
		v->rule = wr ? wr->id : 0;
		snprintf(v->why, sizeof(v->why), "%s",
			 rules_note_of(wr, "write"));
	} else if (v->grantable && rules_effect_of(wr) == EFF_GRANTABLE && d &&
		   d->ngr < 3) {
		d->gr[d->ngr++] = wr;
	}
}

/* Whether approver a satisfies one of the approvers of ru for grantee s
 * (NULL: some grantee, not known yet) on object o. */
int rules_approver_ok(const struct rule *ru, const struct subject *a,
		      const struct subject *s, const struct dossier_object *o)
{
	const char *p = ru->approvers, *item;
	char tok[64];
	size_t n;

	if (!p)
		return 0;
	while (rules_list_next(&p, &item, &n, 1)) {
		if (n < sizeof(tok)) {
			memcpy(tok, item, n);
			tok[n] = '\0';
			if (!strncmp(tok, "dept:", 5)) {
				if (rules_same(a->role, tok + 5) &&
				    (!s || rules_same(a->dept, s->dept)))
					return 1;
			} else if (!strncmp(tok, "record:", 7)) {
				if (rules_same(a->role, tok + 7) &&
				    rules_same(a->dept, o->dept))
					return 1;
			} else if (!strcmp(tok, "owner")) {
				if (o->owner != DOSSIER_NO_OWNER &&
				    a->uid == o->owner)
					return 1;
			} else if (rules_same(a->role, tok)) {
				return 1;
			}
		}
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
			    !rules_rule_matches(x, &rc, 1))
				continue;
			ok = -1;
			if (!miss)
				miss = x;
			if (rules_approver_ok(x, c->s, NULL, c->o)) {
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
void rules_grant_right(struct ctx *c, struct dossier_verdict *v,
		       int check_approver)
{
	const struct rule *ru;

	do_list(c, v);
	if (!v->allow)
		return;
	if (!rules_lendable(c->r, c->o->level)) {
		verdict(v, 0, 0, NULL, NULL, "%s records are never lent",
			rules_level_label(c->r, c->o->level));
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

void rules_decide_ctx(struct ctx *c, enum dossier_action act,
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
		rules_grant_right(c, v, 1);
		break;
	}
}

static void unmapped_verdict(struct dossier_verdict *v, uid_t uid)
{
	verdict(v, 0, 0, NULL, NULL, "uid %lu is not mapped to a user: an "
		"unmapped account gets nothing", (unsigned long)uid);
}

/* 1 if the program of pid is one of the policy's thumbnailers. */
static int is_thumbnailer(const struct dossier_rules *r, pid_t pid)
{
	char list[1024], prog[64], *tok, *save = NULL;

	if (!r->p.thumbnailers)
		return 0;
	snprintf(list, sizeof(list), "%s", r->p.thumbnailers);
	dossier_program_of(pid, prog, sizeof(prog));
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, prog))
			return 1;
	return 0;
}

/*
 * The policy the tree itself sets, before the rows (rules_i.h). 1 when
 * it answered *v, else 0 with *act the action the rows are asked.
 */
static int tree_policy(struct dossier_rules *r,
		       const struct dossier_question *q,
		       enum dossier_action *act, struct dossier_verdict *v)
{
	const struct dossier_object *o = q->obj;

	if (q->top && *act != DOSSIER_ACT_CREATE && *act != DOSSIER_ACT_DELETE &&
	    *act != DOSSIER_ACT_WRITE && *act != DOSSIER_ACT_CLASSIFY) {
		v->allow = 1;
		return 1;
	}
	if (!r) {
		v->allow = q->uid == 0;
		return 1;
	}
	if (q->scratch_private) {
		v->allow = q->uid == o->owner && *act != DOSSIER_ACT_GRANT &&
			   *act != DOSSIER_ACT_HISTORY;
		snprintf(v->why, sizeof(v->why), "%s", v->allow ?
			 "a temporary file of yours" :
			 "another user's temporary file");
		return 1;
	}
	if (o->is_folder && *act == DOSSIER_ACT_LIST) {
		v->allow = q->holds_listed && q->holds_listed(q->ctx);
		snprintf(v->why, sizeof(v->why), "%s",
			 v->allow ? "folder holds something you may see" :
				    "nothing in this folder is yours to see");
		return 1;
	}
	if (o->is_folder && *act == DOSSIER_ACT_READ)
		*act = DOSSIER_ACT_LIST;
	if (q->derived && *act == DOSSIER_ACT_DELETE)
		*act = DOSSIER_ACT_WRITE;
	return 0;
}

int dossier_rules_ask(struct dossier_rules *r,
		      const struct dossier_question *q,
		      struct dossier_verdict *out)
{
	enum dossier_action act = q->act;
	const struct dossier_object *o = q->obj;
	int rc;

	memset(out, 0, sizeof(*out));
	if (tree_policy(r, q, &act, out))
		return 0;
	rc = dossier_rules_decide(r, q->uid, q->site, act, o, q->now_s, out);
	if (rc == 0 && out->allow && act == DOSSIER_ACT_READ &&
	    !o->is_folder && o->level > DOSSIER_LEVEL_INTERNAL &&
	    is_thumbnailer(r, q->pid)) {
		out->allow = 0;
		out->rule = 0;
		snprintf(out->why, sizeof(out->why), "thumbnailers may not read "
			 "records above internal (policy setting "
			 "'thumbnailers')");
	}
	return rc;
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
	if (rules_subject_get(r, uid, &s) < 0) {
		unmapped_verdict(out, uid);
		return 0;
	}
	rules_decide_ctx(&c, act, out, NULL);
	return 0;
}
