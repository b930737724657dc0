#include "rules_i.h"

/*
 * Grants: approving one, ending one, and the grants in force.
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

/* "4 h", "30 min", "45 s" */
void rules_fmt_duration(char *out, size_t outsz, int64_t s)
{
	if (s > 0 && s % 3600 == 0)
		snprintf(out, outsz, "%lld h", (long long)(s / 3600));
	else if (s > 0 && s % 60 == 0)
		snprintf(out, outsz, "%lld min", (long long)(s / 60));
	else
		snprintf(out, outsz, "%lld s", (long long)s);
}

/*
 * Whether obj may be lent to g by a at all, for seconds: not to oneself,
 * at a level that is lent, for no longer than it allows.
 */
static int grant_lendable(struct dossier_rules *r, const struct subject *a,
			  const struct dossier_object *obj,
			  const struct subject *g, int64_t seconds)
{
	const struct level *l = rules_level_of(r, obj->level);
	char max[32], asked[32];

	if (a->uid == g->uid) {
		dossier_error_set("'%s' may not approve a grant for "
				  "themselves", a->name);
		return DOSSIER_EDENIED;
	}
	if (!l || !l->lendable) {
		dossier_error_set("%s records are never lent: no grant can "
				  "open them", rules_level_label(r, obj->level));
		return DOSSIER_EDENIED;
	}
	if (l->max_grant > 0 && seconds > l->max_grant) {
		rules_fmt_duration(max, sizeof(max), l->max_grant);
		rules_fmt_duration(asked, sizeof(asked), seconds);
		dossier_error_set("grants on %s records last at most %s "
				  "(asked for %s)", rules_level_label(r, obj->level),
				  max, asked);
		return DOSSIER_EDENIED;
	}
	return 0;
}

/*
 * What the grant opens for the grantee g of gc: the read outside any
 * site, and the write with can_write. EDENIED if no grant may, EEXISTS if
 * g may already; d gets the grantable rows whose approvers must agree.
 */
static int grant_opens(struct ctx *gc, const struct subject *g, int can_write,
		       struct detail *d)
{
	const struct rule *ru, *wr = NULL;
	int eff, weff = EFF_ALLOW, nolend;

	eff = rules_eval_pair(gc, &ru, d, &nolend);
	if (eff == EFF_DENY) {
		dossier_error_set("no grant can open this record for '%s': %s",
				  g->name, rules_note_of(ru, "level or scope"));
		return DOSSIER_EDENIED;
	}
	if (can_write) {
		gc->action = "write";
		wr = rules_first_match(gc, FAM_ACTION);
		weff = rules_effect_of(wr);
		if (weff == EFF_DENY) {
			dossier_error_set("no grant lets '%s' change this "
					  "record: %s", g->name,
					  rules_note_of(wr, "write"));
			return DOSSIER_EDENIED;
		}
		if (weff == EFF_GRANTABLE)
			d->gr[d->ngr++] = wr;
	}
	if (eff == EFF_ALLOW && weff == EFF_ALLOW) {
		dossier_error_set("'%s' already may %s this record without a "
				  "grant", g->name, can_write ? "change" :
				  "read");
		return DOSSIER_EEXISTS;
	}
	return 0;
}

/* The approver check of a grant for grantee g (see rules_i.h). */
static int grant_check(struct dossier_rules *r, const struct subject *a,
		       const char *site, const struct dossier_object *obj,
		       const struct subject *g, int can_write, int64_t seconds,
		       int64_t now_s)
{
	struct ctx c = { r, a, obj, site, NULL, now_s };
	struct ctx gc = { r, g, obj, NULL, "read", now_s };
	struct dossier_verdict v;
	size_t i;
	struct detail d;
	int rc;

	if ((rc = grant_lendable(r, a, obj, g, seconds)) < 0)
		return rc;
	/*
	 * The approver sees the record and the 'grant' rows allow; whom
	 * the approver may lend it to is checked below, for g.
	 */
	rules_grant_right(&c, &v, 0);
	if (!v.allow) {
		dossier_error_set("'%s' may not approve grants on this "
				  "record: %s", a->name, v.why);
		return DOSSIER_EDENIED;
	}
	if ((rc = grant_opens(&gc, g, can_write, &d)) < 0)
		return rc;
	for (i = 0; i < d.ngr; i++) {
		if (!rules_approver_ok(d.gr[i], a, g, obj)) {
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
	if ((rc = rules_subject_mapped(r, approver, &a)) < 0)
		return rc;
	if (rules_subject_get(r, user, &g) < 0) {
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
	return rules_load_grants(r);
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
	if ((rc = rules_step(r->db, st, "find grant")) < 0)
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
	if ((rc = rules_subject_mapped(r, who, &s)) < 0)
		goto out;
	/*
	 * Ending a grant only takes access away: its two parties may, and
	 * whom the policy lets. Anyone else is answered as for an id no
	 * grant has: whether a grant between others exists is not theirs
	 * to learn.
	 */
	if (who != holder && who != approver &&
	    !rules_subject_may(r, &s, "revoke", &ru)) {
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
	rc = rules_load_grants(r);
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
