#include "rules_i.h"

/*
 * Explain to a person what a user may do with a record, and why.
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
	const char *list = ru->approvers ? ru->approvers : "", *q, *p;
	size_t n, k = 0, total = 1;

	for (q = list; *q; q++)
		total += *q == ',';
	for (q = list; rules_list_next(&q, &p, &n, 0); k++) {
		if (k)
			put(o, k + 1 == total ? " or " : ", ");
		if (n > 5 && !strncmp(p, "dept:", 5))
			put(o, "a %.*s of the requester's department",
			    (int)(n - 5), p + 5);
		else if (n > 7 && !strncmp(p, "record:", 7))
			put(o, "a %.*s of department '%s'", (int)(n - 7),
			    p + 7, obj->dept ? obj->dept : "(none)");
		else if (n == 5 && !strncmp(p, "owner", 5))
			put(o, "the record's owner");
		else
			put(o, "%.*s", (int)n, p);
	}
}

/* The same approvers twice (read and write rows) say it once. */
static void drop_same_approvers(struct detail *d)
{
	size_t i;

	for (i = 1; i < d->ngr; i++) {
		if (rules_same(d->gr[i]->approvers, d->gr[i - 1]->approvers) ||
		    rules_same(d->gr[i]->approvers, d->gr[0]->approvers)) {
			memmove(&d->gr[i], &d->gr[i + 1],
				(d->ngr - i - 1) * sizeof(d->gr[0]));
			d->ngr--;
			i--;
		}
	}
}

/* Who may approve the grant that would allow it (d->ngr > 0), how long. */
static void put_grant(struct out *o, struct dossier_rules *r,
		      const struct dossier_object *obj, const struct detail *d)
{
	const struct level *l = rules_level_of(r, obj->level);
	char max[32];
	size_t i;

	if (d->ngr == 1) {
		put(o, "; a grant approved by ");
		put_approvers(o, d->gr[0], obj);
	} else {
		put(o, "; a grant approved by someone named by ");
		for (i = 0; i < d->ngr; i++) {
			put(o, "%srule %lld (", i ? " and by " : "",
			    (long long)d->gr[i]->id);
			put_approvers(o, d->gr[i], obj);
			put(o, ")");
		}
	}
	if (l && l->max_grant > 0) {
		rules_fmt_duration(max, sizeof(max), l->max_grant);
		put(o, ", for at most %s,", max);
	}
	put(o, " would allow it");
}

/* The other sites at which s may do act. */
static void put_other_sites(struct out *o, struct dossier_rules *r,
			    const struct subject *s, const char *site,
			    const struct dossier_object *obj, int64_t now_s,
			    enum dossier_action act)
{
	size_t i;

	for (i = 0; i < r->p.nsites; i++) {
		struct ctx sc = { r, s, obj, r->p.sites[i], NULL, now_s };
		struct dossier_verdict sv;

		if (rules_same(site, r->p.sites[i]))
			continue;
		rules_decide_ctx(&sc, act, &sv, NULL);
		if (sv.allow)
			put(o, "; allowed at site '%s' (rule %lld)",
			    r->p.sites[i], (long long)sv.rule);
	}
}

static void explain_line(struct dossier_rules *r, struct out *o,
			 const struct subject *s, const char *site,
			 const struct dossier_object *obj, int64_t now_s,
			 enum dossier_action act)
{
	struct ctx c = { r, s, obj, site, NULL, now_s };
	struct dossier_verdict v;
	struct detail d;

	rules_decide_ctx(&c, act, &v, &d);
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
	drop_same_approvers(&d);
	if (!v.allow && v.grantable && d.ngr)
		put_grant(o, r, obj, &d);
	else if (!v.allow)
		put_other_sites(o, r, s, site, obj, now_s, act);
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
	if (rules_subject_get(r, uid, &s) < 0) {
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
