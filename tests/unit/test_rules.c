#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "rules.h"
#include "rules_i.h"
#include "schema_i.h"

/*
 * The rule store with the shipped policy, against an in-memory catalog
 * holding only the rule tables. Time is a fake clock (T0 + n).
 */

#define T0 1700000000LL
#define H 3600LL

struct fx {
	sqlite3 *db;
	struct dossier_rules *r;
};

/* The people of the tests. Records of "others" belong to sales2/eng. */
enum {
	U_ROOT = 0, U_GM = 1, U_DEPUTY = 2, U_MKTDIR = 3, U_SALESDIR = 4,
	U_OFFICE = 5, U_MGR = 6, U_MGR_FIN = 7, U_SALES = 8, U_ARCHIVIST = 9,
	U_AUDITOR = 10, U_STAFF = 11, U_SALES2 = 20, U_ENG = 21,
	U_UNMAPPED = 999,
};

struct person {
	const char *label;
	uid_t uid;
	const char *role;	/* as the policy sees it; NULL: gets nothing */
	const char *dept;
	int mapped;
};

static const struct person people[] = {
	{ "gm", U_GM, "gm", "management", 1 },
	{ "deputy_gm", U_DEPUTY, "deputy_gm", "management", 1 },
	{ "marketing director", U_MKTDIR, "director", "marketing", 1 },
	{ "sales director", U_SALESDIR, "director", "sales", 1 },
	{ "office_director", U_OFFICE, "office_director", "office", 1 },
	{ "manager same dept", U_MGR, "manager", "sales", 1 },
	{ "manager other dept", U_MGR_FIN, "manager", "finance", 1 },
	{ "sales", U_SALES, "sales", "sales", 1 },
	{ "archivist", U_ARCHIVIST, "archivist", "archive", 1 },
	{ "auditor", U_AUDITOR, "auditor", "audit", 1 },
	{ "staff", U_STAFF, "staff", "sales", 1 },
	{ "unmapped", U_UNMAPPED, NULL, NULL, 0 },
	/* unmapped uid 0: setting root-role (archivist), no department */
	{ "root", U_ROOT, "archivist", NULL, 0 },
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static int setup(void **state)
{
	static struct fx f;
	static const struct {
		uid_t uid;
		const char *name, *role, *dept;
	} users[] = {
		{ U_GM, "gm", "gm", "management" },
		{ U_DEPUTY, "deputy", "deputy_gm", "management" },
		{ U_MKTDIR, "mktdir", "director", "marketing" },
		{ U_SALESDIR, "salesdir", "director", "sales" },
		{ U_OFFICE, "office", "office_director", "office" },
		{ U_MGR, "mgr", "manager", "sales" },
		{ U_MGR_FIN, "mgrfin", "manager", "finance" },
		{ U_SALES, "sales", "sales", "sales" },
		{ U_ARCHIVIST, "archivist", "archivist", "archive" },
		{ U_AUDITOR, "auditor", "auditor", "audit" },
		{ U_STAFF, "staff", "staff", "sales" },
		{ U_SALES2, "sales2", "sales", "sales" },
		{ U_ENG, "eng", "sales", "engineering" },
	};
	size_t i;

	memset(&f, 0, sizeof(f));
	if (sqlite3_open(":memory:", &f.db) != SQLITE_OK ||
	    sqlite3_exec(f.db, dossier_schema_rules, NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    dossier_rules_seed_default(f.db) < 0 ||
	    dossier_rules_open(&f.r, f.db) < 0)
		return -1;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (dossier_rules_user_add(f.r, users[i].uid, users[i].name,
					   users[i].role, users[i].dept) < 0)
			return -1;
	dossier_error_clear();
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	dossier_rules_free(f->r);
	sqlite3_close(f->db);
	dossier_error_clear();
	return 0;
}

static struct dossier_object rec(uint64_t id, int level,
				 enum dossier_scope scope, const char *dept,
				 uid_t owner)
{
	struct dossier_object o = { id, level, scope, dept, owner, 0 };

	return o;
}

static struct dossier_verdict ask(struct fx *f, uid_t uid, const char *site,
				  enum dossier_action act,
				  const struct dossier_object *o, int64_t now)
{
	struct dossier_verdict v;

	assert_int_equal(dossier_rules_decide(f->r, uid, site, act, o, now,
					      &v), 0);
	return v;
}

/* ---- the oracle: the policy of PRODUCT.md, written out by hand ---- */

enum { D = 0, G = 1, A = 2 };

static int is(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int top(const char *role)
{
	return is(role, "gm") || is(role, "deputy_gm");
}

/* gm, deputy_gm, directors and office_director */
static int senior(const char *role)
{
	return top(role) || is(role, "director") ||
	       is(role, "office_director");
}

struct q {
	const char *role;
	const char *dept;
	int level;
	enum dossier_scope scope;
	int owner;
	int same_dept;
	int reading_room;
};

static int mgr_of_record(const struct q *q)
{
	return is(q->role, "manager") && q->same_dept;
}

static int read_level(const struct q *q)
{
	switch (q->level) {
	case 0:
		/*
		 * Judgement: the record's owner and its department's manager
		 * are not "everyone else" at the internal level; otherwise
		 * "personal: read by the owner" and "department: read by the
		 * manager" could never open anything for sales or managers.
		 */
		if (senior(q->role) || is(q->role, "archivist") || q->owner ||
		    mgr_of_record(q))
			return A;
		return G;
	case 1:
		/* archivists read confidential directly, to file it */
		return top(q->role) || is(q->role, "archivist") ? A : G;
	case 2:
		return q->reading_room && (senior(q->role) ||
					   is(q->role, "archivist")) ? A : D;
	default:
		return D;	/* topsecret: nobody, ever */
	}
}

static int list_level(const struct q *q)
{
	if (q->level == 3)
		return top(q->role) || is(q->role, "archivist") ? A : D;
	if (q->level == 2)
		/* those who may read it in the reading room, any site */
		return senior(q->role) || is(q->role, "archivist") ? A : D;
	return read_level(q);
}

static int read_scope(const struct q *q)
{
	/*
	 * Judgement: archivists (filing) and gm/deputy_gm are not limited
	 * by scope; personal records included.
	 */
	if (top(q->role) || is(q->role, "archivist"))
		return A;
	/* policy choice (rule 19): owners read their own records */
	if (q->owner)
		return A;
	switch (q->scope) {
	case DOSSIER_SCOPE_COMPANY:
		return is(q->role, "director") && is(q->dept, "marketing") ?
			       A : G;
	case DOSSIER_SCOPE_DEPARTMENT:
		return mgr_of_record(q) ? A : G;
	default:
		return q->owner ? A : G;
	}
}

static int list_scope(const struct q *q)
{
	/* another person's personal records: only inside the department */
	if (q->scope == DOSSIER_SCOPE_PERSONAL && !q->owner && !q->same_dept &&
	    !top(q->role) && !is(q->role, "archivist"))
		return D;
	return read_scope(q);
}

/* The weaker of two; grantable on secret/topsecret: nothing can lend it. */
static int weaker(int a, int b, int level)
{
	int e = a < b ? a : b;

	return e == G && level >= 2 ? D : e;
}

struct expect {
	int list, read, grantable, write, del, history;
};

static struct expect oracle(const struct q *q)
{
	struct expect e = { 0 };
	int rd;

	if (!q->role)
		return e;	/* unmapped: nothing, not even list */
	e.list = weaker(list_level(q), list_scope(q), q->level) >= G;
	rd = weaker(read_level(q), read_scope(q), q->level);
	e.read = rd == A;
	e.grantable = rd == G;
	/* history = read, except auditors: every record they may list */
	e.history = e.list && (is(q->role, "auditor") || e.read);
	/* judgement: auditors never change records (independence) */
	e.write = e.read && !is(q->role, "auditor") &&
		  (q->owner || top(q->role) || is(q->role, "archivist") ||
		   mgr_of_record(q));
	e.del = e.write && (q->owner || is(q->role, "gm") ||
			    is(q->role, "archivist") || mgr_of_record(q));
	return e;
}

/* ---- building one case of the matrix ---- */

enum { REL_OWNER, REL_DEPT, REL_OTHER };
static const char *const rel_names[] = { "owner", "same dept", "other" };

/*
 * The record for person p in relation rel: owned by p in department
 * sales; or owned by sales2 in p's department; or owned by eng in
 * engineering. 0 if the combination cannot exist (no department).
 */
static int make_case(const struct person *p, int rel, int level, int scope,
		     struct dossier_object *o, struct q *q)
{
	*o = rec(100, level, (enum dossier_scope)scope, NULL, 0);
	switch (rel) {
	case REL_OWNER:
		o->owner = p->uid;
		o->dept = "sales";
		break;
	case REL_DEPT:
		if (!p->dept)
			return 0;
		o->owner = U_SALES2;
		o->dept = p->dept;
		break;
	default:
		o->owner = U_ENG;
		o->dept = "engineering";
		break;
	}
	q->role = p->role;
	q->dept = p->dept;
	q->level = level;
	q->scope = (enum dossier_scope)scope;
	q->owner = rel == REL_OWNER;
	q->same_dept = is(p->dept, o->dept);
	return 1;
}

static int check_case(struct fx *f, const struct person *p, int rel,
		      int level, int scope, int rr, const struct expect *want)
{
	struct dossier_object o;
	struct dossier_verdict v[6];
	struct q q;
	const char *site = rr ? "reading-room" : NULL;
	int got[6], exp[6], i, bad = 0;
	static const char *const what[6] = {
		"list", "read", "read.grantable", "write", "delete", "history"
	};

	if (!make_case(p, rel, level, scope, &o, &q))
		return 0;
	q.reading_room = rr;
	v[0] = ask(f, p->uid, site, DOSSIER_ACT_LIST, &o, T0);
	v[1] = ask(f, p->uid, site, DOSSIER_ACT_READ, &o, T0);
	v[3] = ask(f, p->uid, site, DOSSIER_ACT_WRITE, &o, T0);
	v[4] = ask(f, p->uid, site, DOSSIER_ACT_DELETE, &o, T0);
	v[5] = ask(f, p->uid, site, DOSSIER_ACT_HISTORY, &o, T0);
	got[0] = v[0].allow;
	got[1] = v[1].allow;
	got[2] = v[1].grantable;
	got[3] = v[3].allow;
	got[4] = v[4].allow;
	got[5] = v[5].allow;
	if (want) {
		exp[0] = want->list;
		exp[1] = want->read;
		exp[2] = want->grantable;
		exp[3] = want->write;
		exp[4] = want->del;
		exp[5] = want->history;
	} else {
		struct expect e = oracle(&q);

		exp[0] = e.list;
		exp[1] = e.read;
		exp[2] = e.grantable;
		exp[3] = e.write;
		exp[4] = e.del;
		exp[5] = e.history;
	}
	for (i = 0; i < 6; i++) {
		if (got[i] == exp[i])
			continue;
		print_message("%s / %s / %s / %s / site %s: %s is %d, want %d"
			      " (rule %lld: %s)\n", p->label,
			      dossier_level_name(level),
			      dossier_scope_name((enum dossier_scope)scope),
			      rel_names[rel], rr ? "reading-room" : "none",
			      what[i], got[i], exp[i],
			      (long long)v[i == 2 ? 1 : i].rule,
			      v[i == 2 ? 1 : i].why);
		bad++;
	}
	/* every verdict names its rule, except for the unmapped */
	for (i = 0; i < 6; i++)
		if (i != 2 && p->role && !v[i].why[0])
			bad++;
	return bad;
}

static const struct person *person(const char *label)
{
	size_t i;

	for (i = 0; i < NPEOPLE; i++)
		if (!strcmp(people[i].label, label))
			return &people[i];
	fail_msg("no person '%s'", label);
	return NULL;
}

/* Every combination against the oracle. */
static void test_rules__matrix(void **state)
{
	struct fx *f = *state;
	int level, scope, rel, rr, bad = 0, n = 0;
	size_t i;

	for (level = 0; level < 4; level++)
		for (scope = 0; scope < 3; scope++)
			for (rel = 0; rel < 3; rel++)
				for (i = 0; i < NPEOPLE; i++)
					for (rr = 0; rr < 2; rr++, n++)
						bad += check_case(f,
								  &people[i],
								  rel, level,
								  scope, rr,
								  NULL);
	print_message("%d combinations, %d wrong verdicts\n", n, bad);
	assert_int_equal(bad, 0);
}

/*
 * Hand-worked rows, independent of the oracle above: what a reader of
 * PRODUCT.md should expect. Columns: list read grantable write delete
 * history.
 */
static void test_rules__table(void **state)
{
	static const struct {
		const char *who;
		int level, scope, rel, rr;
		struct expect e;
	} t[] = {
		/* staff may see what they could borrow */
		{ "sales", 1, 0, REL_OTHER, 0, { 1, 0, 1, 0, 0, 0 } },
		{ "sales", 0, 2, REL_OWNER, 0, { 1, 1, 0, 1, 1, 1 } },
		/* another's personal record, outside the department: hidden */
		{ "sales", 0, 2, REL_OTHER, 0, { 0, 0, 1, 0, 0, 0 } },
		{ "sales", 0, 2, REL_DEPT, 0, { 1, 0, 1, 0, 0, 0 } },
		/* the owner of a confidential record needs gm's grant too */
		{ "sales", 1, 2, REL_OWNER, 0, { 1, 0, 1, 0, 0, 0 } },
		{ "sales", 2, 2, REL_OWNER, 1, { 0, 0, 0, 0, 0, 0 } },
		{ "sales", 3, 2, REL_OWNER, 0, { 0, 0, 0, 0, 0, 0 } },
		/* topsecret: listed to gm, deputy_gm, archivists; read by none */
		{ "gm", 3, 0, REL_OTHER, 1, { 1, 0, 0, 0, 0, 0 } },
		{ "archivist", 3, 1, REL_OTHER, 0, { 1, 0, 0, 0, 0, 0 } },
		{ "root", 3, 1, REL_OTHER, 0, { 1, 0, 0, 0, 0, 0 } },
		{ "auditor", 3, 0, REL_OTHER, 0, { 0, 0, 0, 0, 0, 0 } },
		{ "marketing director", 3, 0, REL_OTHER, 1,
		  { 0, 0, 0, 0, 0, 0 } },
		/* auditors read the history of what they may list */
		{ "auditor", 1, 1, REL_OTHER, 0, { 1, 0, 1, 0, 0, 1 } },
		{ "auditor", 0, 2, REL_OWNER, 0, { 1, 1, 0, 0, 0, 1 } },
		{ "auditor", 0, 2, REL_OTHER, 0, { 0, 0, 1, 0, 0, 0 } },
		{ "auditor", 2, 0, REL_OTHER, 1, { 0, 0, 0, 0, 0, 0 } },
		/* secret: reading room only, listed wherever */
		{ "marketing director", 2, 0, REL_OTHER, 1,
		  { 1, 1, 0, 0, 0, 1 } },
		{ "marketing director", 2, 0, REL_OTHER, 0,
		  { 1, 0, 0, 0, 0, 0 } },
		/* secret but scope says "grant": never lent, so hidden */
		{ "sales director", 2, 0, REL_DEPT, 1, { 0, 0, 0, 0, 0, 0 } },
		{ "office_director", 2, 0, REL_DEPT, 1, { 0, 0, 0, 0, 0, 0 } },
		{ "gm", 2, 2, REL_OTHER, 1, { 1, 1, 0, 1, 1, 1 } },
		{ "gm", 2, 2, REL_OTHER, 0, { 1, 0, 0, 0, 0, 0 } },
		/* deputy_gm changes but does not delete */
		{ "deputy_gm", 2, 1, REL_OTHER, 1, { 1, 1, 0, 1, 0, 1 } },
		{ "archivist", 2, 1, REL_OTHER, 1, { 1, 1, 0, 1, 1, 1 } },
		{ "archivist", 2, 1, REL_OTHER, 0, { 1, 0, 0, 0, 0, 0 } },
		/* internal */
		{ "sales director", 0, 0, REL_DEPT, 0, { 1, 0, 1, 0, 0, 0 } },
		{ "marketing director", 0, 0, REL_OTHER, 0,
		  { 1, 1, 0, 0, 0, 1 } },
		{ "office_director", 0, 0, REL_OTHER, 0, { 1, 0, 1, 0, 0, 0 } },
		{ "office_director", 0, 2, REL_OTHER, 0, { 0, 0, 1, 0, 0, 0 } },
		{ "manager same dept", 0, 1, REL_DEPT, 0,
		  { 1, 1, 0, 1, 1, 1 } },
		{ "manager other dept", 0, 1, REL_OTHER, 0,
		  { 1, 0, 1, 0, 0, 0 } },
		/* a manager owning another department's personal record */
		{ "manager other dept", 0, 2, REL_OWNER, 0,
		  { 1, 1, 0, 1, 1, 1 } },
		{ "manager same dept", 1, 1, REL_DEPT, 0,
		  { 1, 0, 1, 0, 0, 0 } },
		{ "staff", 0, 1, REL_DEPT, 0, { 1, 0, 1, 0, 0, 0 } },
		{ "gm", 1, 2, REL_OTHER, 0, { 1, 1, 0, 1, 1, 1 } },
		{ "root", 1, 2, REL_OTHER, 0, { 1, 1, 0, 1, 1, 1 } },
		{ "unmapped", 0, 0, REL_OWNER, 0, { 0, 0, 0, 0, 0, 0 } },
		{ "unmapped", 0, 2, REL_OWNER, 1, { 0, 0, 0, 0, 0, 0 } },
	};
	struct fx *f = *state;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		bad += check_case(f, person(t[i].who), t[i].rel, t[i].level,
				  t[i].scope, t[i].rr, &t[i].e);
	assert_int_equal(bad, 0);
}

static void test_rules__unmapped_denied_everything(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(7, 0, DOSSIER_SCOPE_PERSONAL, "sales",
				      U_UNMAPPED);
	struct dossier_object folder = o;
	struct dossier_verdict v;
	int act;

	folder.record = 0;
	folder.is_folder = 1;
	for (act = DOSSIER_ACT_LIST; act <= DOSSIER_ACT_GRANT; act++) {
		v = ask(f, U_UNMAPPED, "reading-room",
			(enum dossier_action)act,
			act == DOSSIER_ACT_CREATE ? &folder : &o, T0);
		assert_false(v.allow);
		assert_false(v.grantable);
		assert_int_equal(v.rule, 0);
		assert_non_null(strstr(v.why, "not mapped"));
	}
	assert_int_equal(dossier_rules_grant(f->r, U_UNMAPPED, NULL, &o,
					     U_SALES, 0, H, "x", T0, NULL),
			 DOSSIER_EDENIED);
	dossier_error_clear();
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_UNMAPPED,
					     0, H, "x", T0, NULL),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_rules_setting_set(f->r, U_UNMAPPED,
						   "trash-days", "1"),
			 DOSSIER_EDENIED);
	dossier_error_clear();
}

static void test_rules__root_role_is_a_setting(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(7, 1, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);
	char name[32];

	assert_true(ask(f, 0, NULL, DOSSIER_ACT_READ, &o, T0).allow);
	assert_int_equal(dossier_rules_user_name(f->r, 0, name,
						 sizeof(name)), 0);
	assert_string_equal(name, "root");
	/* without root-role, uid 0 unmapped is like any unmapped uid */
	assert_int_equal(dossier_rules_setting_set(f->r, U_GM, "root-role",
						   ""), 0);
	assert_false(ask(f, 0, NULL, DOSSIER_ACT_LIST, &o, T0).allow);
	assert_int_equal(dossier_rules_setting_set(f->r, U_GM, "root-role",
						   "archivist"), 0);
	assert_true(ask(f, 0, NULL, DOSSIER_ACT_READ, &o, T0).allow);
}

static void test_rules__verdict_names_rule(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(9, 1, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);
	struct dossier_verdict v;

	v = ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o, T0);
	assert_false(v.allow);
	assert_true(v.grantable);
	assert_int_equal(v.rule, 11);
	assert_string_equal(v.why, "confidential records are lent only on a "
				   "grant approved by gm or deputy_gm");
	o.level = 3;
	v = ask(f, U_GM, "reading-room", DOSSIER_ACT_READ, &o, T0);
	assert_false(v.allow);
	assert_false(v.grantable);
	assert_int_equal(v.rule, 6);
	o.level = 2;
	v = ask(f, U_SALESDIR, "reading-room", DOSSIER_ACT_READ, &o, T0);
	assert_false(v.allow);
	assert_false(v.grantable);
	assert_non_null(strstr(v.why, "never lent"));
}

/* ---- grants ---- */

static void test_rules__confidential_grant_by_gm(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(42, 1, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);
	struct dossier_verdict v;
	int64_t id = 0;

	assert_false(ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o, T0).allow);
	assert_int_equal(dossier_rules_next_expiry(f->r, T0), 0);
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_SALES, 0,
					     4 * H, "contract review", T0,
					     &id), 0);
	assert_true(id > 0);
	v = ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o, T0 + 1);
	assert_true(v.allow);
	assert_int_equal(v.grant, id);
	assert_int_equal(v.rule, 11);
	assert_non_null(strstr(v.why, "'gm'"));
	assert_true(ask(f, U_SALES, NULL, DOSSIER_ACT_LIST, &o, T0 + 1).allow);
	/* a read grant is not a write grant */
	assert_false(ask(f, U_SALES, NULL, DOSSIER_ACT_WRITE, &o,
			 T0 + 1).allow);
	/* only the grantee, only that record */
	assert_false(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o,
			 T0 + 1).allow);
	o.record = 43;
	assert_false(ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o,
			 T0 + 1).allow);
	o.record = 42;
	assert_int_equal(dossier_rules_next_expiry(f->r, T0 + 1), T0 + 4 * H);
	assert_true(ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o,
			T0 + 4 * H - 1).allow);
	/* expired by the clock: grantable again */
	v = ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o, T0 + 4 * H);
	assert_false(v.allow);
	assert_true(v.grantable);
	assert_int_equal(v.grant, 0);
	assert_int_equal(dossier_rules_next_expiry(f->r, T0 + 4 * H), 0);
	/* reopening the rules keeps grants (they are rows) */
	assert_int_equal(dossier_rules_reload(f->r), 0);
	assert_true(ask(f, U_SALES, NULL, DOSSIER_ACT_READ, &o, T0 + 2).allow);
}

static void test_rules__confidential_grant_refusals(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(42, 1, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);
	int64_t id = -1;

	/* a department manager may not lend confidential records */
	assert_int_equal(dossier_rules_grant(f->r, U_MGR, NULL, &o, U_SALES,
					     0, H, "review", T0, &id),
			 DOSSIER_EDENIED);
	assert_int_equal(id, 0);
	assert_non_null(strstr(dossier_error_last(), "gm or deputy_gm"));
	dossier_error_clear();
	/* 5 h is over the 4 h maximum */
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_SALES, 0,
					     5 * H, "review", T0, &id),
			 DOSSIER_EDENIED);
	assert_non_null(strstr(dossier_error_last(), "at most 4 h"));
	dossier_error_clear();
	assert_int_equal(dossier_rules_grant(f->r, U_DEPUTY, NULL, &o,
					     U_SALES, 0, 4 * H, "review", T0,
					     &id), 0);
	/* bad arguments */
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_STAFF, 0,
					     H, "", T0, NULL), DOSSIER_EINVAL);
	dossier_error_clear();
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_STAFF, 0,
					     0, "r", T0, NULL), DOSSIER_EINVAL);
	dossier_error_clear();
	o.is_folder = 1;
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_STAFF, 0,
					     H, "r", T0, NULL), DOSSIER_EINVAL);
	dossier_error_clear();
	o.is_folder = 0;
	/* nobody approves their own grant */
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_GM, 0,
					     H, "r", T0, NULL),
			 DOSSIER_EDENIED);
	dossier_error_clear();
	/* gm already reads it */
	assert_int_equal(dossier_rules_grant(f->r, U_DEPUTY, NULL, &o, U_GM,
					     0, H, "r", T0, NULL),
			 DOSSIER_EEXISTS);
	dossier_error_clear();
}

static void test_rules__secret_and_topsecret_never_lent(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(50, 2, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);

	assert_int_equal(dossier_rules_grant(f->r, U_GM, "reading-room", &o,
					     U_SALES, 0, H, "audit", T0, NULL),
			 DOSSIER_EDENIED);
	assert_non_null(strstr(dossier_error_last(), "never lent"));
	dossier_error_clear();
	o.level = 3;
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_DEPUTY,
					     0, H, "audit", T0, NULL),
			 DOSSIER_EDENIED);
	assert_non_null(strstr(dossier_error_last(), "never lent"));
	dossier_error_clear();
	/* and a grant row written behind the engine's back opens nothing */
	assert_int_equal(sqlite3_exec(f->db, "INSERT INTO grant(record, uid, "
					     "can_write, approved_by, reason, "
					     "start_s, end_s) VALUES (50, 2, "
					     "1, 1, 'forged', 0, 9999999999)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dossier_rules_reload(f->r), 0);
	assert_false(ask(f, U_DEPUTY, "reading-room", DOSSIER_ACT_READ, &o,
			 T0).allow);
	o.level = 2;
	o.scope = DOSSIER_SCOPE_PERSONAL;
	o.owner = U_ENG;
	/* deputy reads secret in the reading room anyway; not elsewhere */
	assert_true(ask(f, U_DEPUTY, "reading-room", DOSSIER_ACT_READ, &o,
			T0).allow);
	assert_false(ask(f, U_DEPUTY, NULL, DOSSIER_ACT_READ, &o, T0).allow);
}

static void test_rules__revoke_ends_grant(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(60, 1, DOSSIER_SCOPE_DEPARTMENT,
				      "sales", U_SALES2);
	int64_t id;

	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_STAFF, 0,
					     2 * H, "inventory", T0, &id), 0);
	assert_true(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o, T0 + 5).allow);
	/* a third party may not end it, nor learn that it exists */
	assert_int_equal(dossier_rules_revoke(f->r, U_SALES, id, T0 + 10),
			 DOSSIER_ENOTFOUND);
	{
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", dossier_error_last());
		dossier_error_clear();
		assert_int_equal(dossier_rules_revoke(f->r, U_SALES, id + 100,
						      T0 + 10),
				 DOSSIER_ENOTFOUND);
		/* the same sentence but for the id */
		assert_int_equal(strncmp(msg, "no grant ", 9), 0);
		assert_int_equal(strncmp(dossier_error_last(), "no grant ", 9),
				 0);
	}
	dossier_error_clear();
	assert_int_equal(dossier_rules_revoke(f->r, U_GM, id, T0 + 10), 0);
	assert_false(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o,
			 T0 + 11).allow);
	assert_int_equal(dossier_rules_next_expiry(f->r, T0 + 11), 0);
	assert_int_equal(dossier_rules_revoke(f->r, U_GM, id, T0 + 12),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	/* the holder may give a grant back; an archivist may end any */
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_STAFF, 0,
					     H, "again", T0 + 20, &id), 0);
	assert_int_equal(dossier_rules_revoke(f->r, U_STAFF, id, T0 + 21), 0);
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_STAFF, 0,
					     H, "again", T0 + 30, &id), 0);
	assert_int_equal(dossier_rules_revoke(f->r, U_ARCHIVIST, id, T0 + 31),
			 0);
	assert_false(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o,
			 T0 + 32).allow);
}

static void test_rules__internal_grant_by_department_manager(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(70, 0, DOSSIER_SCOPE_DEPARTMENT,
				      "sales", U_SALES2);
	int64_t id;

	/* the manager of another department may not */
	assert_int_equal(dossier_rules_grant(f->r, U_MGR_FIN, NULL, &o,
					     U_STAFF, 0, H, "help", T0, &id),
			 DOSSIER_EDENIED);
	dossier_error_clear();
	/* 8 h is the internal maximum (policy choice) */
	assert_int_equal(dossier_rules_grant(f->r, U_MGR, NULL, &o, U_STAFF,
					     0, 9 * H, "help", T0, &id),
			 DOSSIER_EDENIED);
	assert_non_null(strstr(dossier_error_last(), "at most 8 h"));
	dossier_error_clear();
	assert_int_equal(dossier_rules_grant(f->r, U_MGR, NULL, &o, U_STAFF,
					     1, 8 * H, "help", T0, &id), 0);
	assert_true(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o, T0).allow);
	/* a write grant lets the holder change it, not delete it */
	assert_true(ask(f, U_STAFF, NULL, DOSSIER_ACT_WRITE, &o, T0).allow);
	assert_false(ask(f, U_STAFF, NULL, DOSSIER_ACT_DELETE, &o, T0).allow);
	assert_true(ask(f, U_STAFF, NULL, DOSSIER_ACT_HISTORY, &o, T0).allow);
	/* the manager may not approve a grant for themselves */
	o.scope = DOSSIER_SCOPE_COMPANY;
	assert_int_equal(dossier_rules_grant(f->r, U_MGR, NULL, &o, U_MGR, 0,
					     H, "me", T0, NULL),
			 DOSSIER_EDENIED);
	dossier_error_clear();
	/*
	 * Company scope: the level wants the requester's manager, the scope
	 * a director; one approver must satisfy both, so only gm/deputy_gm.
	 */
	assert_int_equal(dossier_rules_grant(f->r, U_MGR, NULL, &o, U_SALES,
					     0, H, "x", T0, NULL),
			 DOSSIER_EDENIED);
	assert_non_null(strstr(dossier_error_last(), "director"));
	dossier_error_clear();
	assert_int_equal(dossier_rules_grant(f->r, U_SALESDIR, NULL, &o,
					     U_SALES, 0, H, "x", T0, NULL),
			 DOSSIER_EDENIED);
	dossier_error_clear();
	assert_int_equal(dossier_rules_grant(f->r, U_DEPUTY, NULL, &o,
					     U_SALES, 0, H, "x", T0, NULL), 0);
	/* the office director reads internal, so the scope alone decides */
	assert_int_equal(dossier_rules_grant(f->r, U_SALESDIR, NULL, &o,
					     U_OFFICE, 0, H, "x", T0, NULL),
			 0);
	assert_true(ask(f, U_OFFICE, NULL, DOSSIER_ACT_READ, &o, T0).allow);
}

static void test_rules__grant_makes_hidden_record_visible(void **state)
{
	struct fx *f = *state;
	/* a salesperson's personal record, seen from engineering */
	struct dossier_object o = rec(80, 0, DOSSIER_SCOPE_PERSONAL, "sales",
				      U_SALES2);

	assert_false(ask(f, U_ENG, NULL, DOSSIER_ACT_LIST, &o, T0).allow);
	assert_true(ask(f, U_ENG, NULL, DOSSIER_ACT_READ, &o, T0).grantable);
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_ENG, 0,
					     H, "handover", T0, NULL), 0);
	assert_true(ask(f, U_ENG, NULL, DOSSIER_ACT_LIST, &o, T0).allow);
	assert_true(ask(f, U_ENG, NULL, DOSSIER_ACT_READ, &o, T0).allow);
	assert_false(ask(f, U_ENG, NULL, DOSSIER_ACT_LIST, &o,
			 T0 + H).allow);
}

/* ---- other actions ---- */

static void test_rules__create_in_folder(void **state)
{
	struct fx *f = *state;
	struct dossier_object d = { 0, 1, DOSSIER_SCOPE_DEPARTMENT, "sales",
				    U_SALES2, 1 };
	static const struct {
		uid_t uid;
		int allow;
	} t[] = {
		{ U_SALES, 1 }, { U_MGR, 1 }, { U_MGR_FIN, 1 },
		{ U_SALESDIR, 1 }, { U_OFFICE, 1 }, { U_DEPUTY, 1 },
		{ U_GM, 1 }, { U_ARCHIVIST, 1 }, { U_ROOT, 1 },
		{ U_AUDITOR, 0 }, { U_STAFF, 0 }, { U_UNMAPPED, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(ask(f, t[i].uid, NULL, DOSSIER_ACT_CREATE, &d,
				     T0).allow, t[i].allow);
}

static void test_rules__classify(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(90, 1, DOSSIER_SCOPE_DEPARTMENT,
				      "sales", U_SALES);

	assert_true(ask(f, U_ARCHIVIST, NULL, DOSSIER_ACT_CLASSIFY, &o,
			T0).allow);
	assert_true(ask(f, U_GM, NULL, DOSSIER_ACT_CLASSIFY, &o, T0).allow);
	assert_true(ask(f, U_ROOT, NULL, DOSSIER_ACT_CLASSIFY, &o, T0).allow);
	assert_false(ask(f, U_DEPUTY, NULL, DOSSIER_ACT_CLASSIFY, &o,
			 T0).allow);
	assert_false(ask(f, U_MGR, NULL, DOSSIER_ACT_CLASSIFY, &o, T0).allow);
	assert_false(ask(f, U_SALES, NULL, DOSSIER_ACT_CLASSIFY, &o,
			 T0).allow);
	/* filing topsecret: archivists list it, so they may classify it */
	o.level = 3;
	assert_true(ask(f, U_ARCHIVIST, NULL, DOSSIER_ACT_CLASSIFY, &o,
			T0).allow);
	assert_true(dossier_level_is_lowering(2, 1));
	assert_false(dossier_level_is_lowering(1, 2));
	assert_false(dossier_level_is_lowering(1, 1));
}

static void test_rules__grant_right(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(95, 1, DOSSIER_SCOPE_DEPARTMENT,
				      "sales", U_SALES2);

	assert_true(ask(f, U_GM, NULL, DOSSIER_ACT_GRANT, &o, T0).allow);
	assert_true(ask(f, U_DEPUTY, NULL, DOSSIER_ACT_GRANT, &o, T0).allow);
	assert_false(ask(f, U_MGR, NULL, DOSSIER_ACT_GRANT, &o, T0).allow);
	assert_false(ask(f, U_ARCHIVIST, NULL, DOSSIER_ACT_GRANT, &o,
			 T0).allow);
	o.level = 0;
	assert_true(ask(f, U_MGR, NULL, DOSSIER_ACT_GRANT, &o, T0).allow);
	assert_false(ask(f, U_MGR_FIN, NULL, DOSSIER_ACT_GRANT, &o,
			 T0).allow);
	assert_false(ask(f, U_SALES, NULL, DOSSIER_ACT_GRANT, &o, T0).allow);
	o.level = 2;
	assert_false(ask(f, U_GM, "reading-room", DOSSIER_ACT_GRANT, &o,
			 T0).allow);
}

static void test_rules__explain(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(42, 1, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);
	char out[4096], small[16];

	assert_int_equal(dossier_rules_explain(f->r, U_SALES, NULL, &o, T0,
					       out, sizeof(out)), 0);
	assert_non_null(strstr(out, "list: allowed"));
	assert_non_null(strstr(out, "read: needs a grant (rule 11)"));
	assert_non_null(strstr(out, "gm or deputy_gm"));
	assert_non_null(strstr(out, "at most 4 h"));
	assert_non_null(strstr(out, "delete: "));
	/* secret away from the reading room: say where it opens */
	o.level = 2;
	assert_int_equal(dossier_rules_explain(f->r, U_GM, NULL, &o, T0, out,
					       sizeof(out)), 0);
	assert_non_null(strstr(out, "read: denied (rule 8)"));
	assert_non_null(strstr(out, "allowed at site 'reading-room'"));
	/* an open grant is named */
	o.level = 1;
	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_SALES, 0,
					     H, "review", T0, NULL), 0);
	assert_int_equal(dossier_rules_explain(f->r, U_SALES, NULL, &o, T0,
					       out, sizeof(out)), 0);
	assert_non_null(strstr(out, "read: allowed (rule 11): open on grant"));
	assert_int_equal(dossier_rules_explain(f->r, U_UNMAPPED, NULL, &o, T0,
					       out, sizeof(out)), 0);
	assert_non_null(strstr(out, "not mapped"));
	assert_int_equal(dossier_rules_explain(f->r, U_SALES, NULL, &o, T0,
					       small, sizeof(small)),
			 DOSSIER_ERANGE);
	dossier_error_clear();
}

/* ---- users, settings, names, policy as data ---- */

static void test_rules__users(void **state)
{
	struct fx *f = *state;
	char name[32];
	uid_t uid;

	assert_int_equal(dossier_rules_user_name(f->r, U_SALES, name,
						 sizeof(name)), 0);
	assert_string_equal(name, "sales");
	assert_int_equal(dossier_rules_user_name(f->r, 4242, name,
						 sizeof(name)), 0);
	assert_string_equal(name, "uid:4242");
	assert_int_equal(dossier_rules_user_name(f->r, 4242, name, 4),
			 DOSSIER_ERANGE);
	dossier_error_clear();
	assert_int_equal(dossier_rules_user_lookup(f->r, "mgr", &uid), 0);
	assert_int_equal(uid, U_MGR);
	assert_int_equal(dossier_rules_user_lookup(f->r, "nobody", &uid),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_rules_user_add(f->r, U_SALES, "other",
						"sales", "sales"),
			 DOSSIER_EEXISTS);
	dossier_error_clear();
	assert_int_equal(dossier_rules_user_add(f->r, 500, "gm", "sales",
						NULL), DOSSIER_EEXISTS);
	dossier_error_clear();
	assert_int_equal(dossier_rules_user_add(f->r, 500, "x", "emperor",
						NULL), DOSSIER_EINVAL);
	dossier_error_clear();
	assert_int_equal(dossier_rules_user_add(f->r, 500, "wang", "staff",
						"sales"), 0);
	assert_int_equal(dossier_rules_user_name(f->r, 500, name,
						 sizeof(name)), 0);
	assert_string_equal(name, "wang");
}

static void test_rules__settings(void **state)
{
	struct fx *f = *state;
	char v[32];

	assert_int_equal(dossier_rules_setting_get(f->r, "trash-days", v,
						   sizeof(v)), 0);
	assert_string_equal(v, "30");
	assert_int_equal(dossier_rules_setting_get(f->r, "nope", v,
						   sizeof(v)),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_rules_setting_get(f->r, "trash-days", v, 2),
			 DOSSIER_ERANGE);
	dossier_error_clear();
	assert_int_equal(dossier_rules_setting_set(f->r, U_SALES, "trash-days",
						   "0"), DOSSIER_EDENIED);
	assert_non_null(strstr(dossier_error_last(), "archivists and gm"));
	dossier_error_clear();
	assert_int_equal(dossier_rules_setting_set(f->r, U_DEPUTY,
						   "trash-days", "0"),
			 DOSSIER_EDENIED);
	dossier_error_clear();
	assert_int_equal(dossier_rules_setting_set(f->r, U_ARCHIVIST,
						   "trash-days", "7"), 0);
	assert_int_equal(dossier_rules_setting_get(f->r, "trash-days", v,
						   sizeof(v)), 0);
	assert_string_equal(v, "7");
	assert_int_equal(dossier_rules_setting_set(f->r, U_ROOT, "trash-days",
						   "14"), 0);
}

/* policy set refuses keys that are no setting and values of the wrong kind */
static void test_rules__setting_values(void **state)
{
	struct fx *f = *state;
	static const char *const bad[][2] = {
		{ "trash-dayz", "3" },
		{ "trash-days", "three" },
		{ "trash-days", "-1" },
		{ "trash-days", "" },
		{ "root-role", "king" },
		{ "root-role", "gm,archivist" },
		{ "thumbnailers", "" },
	};
	char v[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dossier_rules_setting_set(f->r, U_ARCHIVIST,
							   bad[i][0],
							   bad[i][1]),
				 DOSSIER_EINVAL);
		assert_true(dossier_error_last()[0] != '\0');
		dossier_error_clear();
	}
	assert_int_equal(dossier_rules_setting_get(f->r, "trash-days", v,
						   sizeof(v)), 0);
	assert_string_equal(v, "30");
	assert_int_equal(dossier_rules_setting_set(f->r, U_ARCHIVIST,
						   "root-role", "auditor"), 0);
	assert_int_equal(dossier_rules_setting_set(f->r, U_ARCHIVIST,
						   "trash-days", "0"), 0);
}

static void test_rules__names(void **state)
{
	(void)state;
	assert_int_equal(dossier_level_parse("secret"), 2);
	assert_int_equal(dossier_level_parse("机密"), 2);
	assert_int_equal(dossier_level_parse("非密"), 0);
	assert_int_equal(dossier_level_parse("秘密"), 1);
	assert_int_equal(dossier_level_parse("绝密"), 3);
	assert_int_equal(dossier_level_parse("TopSecret"), 3);
	assert_int_equal(dossier_level_parse("3"), 3);
	assert_int_equal(dossier_level_parse("4"), -1);
	assert_int_equal(dossier_level_parse("public"), -1);
	assert_int_equal(dossier_level_parse(NULL), -1);
	assert_string_equal(dossier_level_name(1), "confidential");
	assert_string_equal(dossier_level_name(7), "?");
	assert_string_equal(dossier_level_name_zh(3), "绝密");
	assert_int_equal(dossier_scope_parse("company"), DOSSIER_SCOPE_COMPANY);
	assert_int_equal(dossier_scope_parse("部门级"),
			 DOSSIER_SCOPE_DEPARTMENT);
	assert_int_equal(dossier_scope_parse("个人级"), DOSSIER_SCOPE_PERSONAL);
	assert_int_equal(dossier_scope_parse("team"), -1);
	assert_string_equal(dossier_scope_name(DOSSIER_SCOPE_PERSONAL),
			    "personal");
	assert_string_equal(dossier_action_name(DOSSIER_ACT_HISTORY),
			    "history");
}

/* A policy edit is a row: staff lose internal loans entirely. */
static void test_rules__policy_is_data(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(7, 0, DOSSIER_SCOPE_DEPARTMENT, "sales",
				      U_SALES2);
	struct dossier_verdict v;

	assert_true(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o, T0).grantable);
	assert_int_equal(sqlite3_exec(f->db, "INSERT INTO rule(id, family, "
					     "priority, role, effect, note) "
					     "VALUES (500, 'level', 0, 'staff',"
					     " 'deny', 'staff borrow nothing')",
				      NULL, NULL, NULL), SQLITE_OK);
	/* nothing changes until a reload */
	assert_true(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o, T0).grantable);
	assert_int_equal(dossier_rules_reload(f->r), 0);
	v = ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o, T0);
	assert_false(v.grantable);
	assert_int_equal(v.rule, 500);
	assert_string_equal(v.why, "staff borrow nothing");
	assert_false(ask(f, U_STAFF, NULL, DOSSIER_ACT_LIST, &o, T0).allow);
	/* a bad row is refused at load, the loaded policy kept */
	assert_int_equal(sqlite3_exec(f->db, "PRAGMA ignore_check_constraints"
					     "=1; INSERT INTO rule(id, family,"
					     " priority, effect, note) VALUES "
					     "(501, 'level', 0, 'maybe', 'x')",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dossier_rules_reload(f->r), DOSSIER_ECORRUPT);
	dossier_error_clear();
	assert_int_equal(ask(f, U_STAFF, NULL, DOSSIER_ACT_READ, &o, T0).rule,
			 500);
	/* seeding twice is refused, nothing half-written */
	assert_int_equal(sqlite3_exec(f->db, "DELETE FROM rule WHERE id = 501",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(dossier_rules_seed_default(f->db), DOSSIER_EEXISTS);
	dossier_error_clear();
}

static int count_stmt(unsigned type, void *ctx, void *p, void *x)
{
	(void)type;
	(void)p;
	(void)x;
	(*(int *)ctx)++;
	return 0;
}

/* list, read and write decisions run on memory: no SQL per call */
static void test_rules__decide_runs_no_sql(void **state)
{
	struct fx *f = *state;
	struct dossier_object o = rec(42, 1, DOSSIER_SCOPE_COMPANY, "sales",
				      U_SALES2);
	int n = 0, act;

	assert_int_equal(dossier_rules_grant(f->r, U_GM, NULL, &o, U_SALES, 0,
					     H, "review", T0, NULL), 0);
	sqlite3_trace_v2(f->db, SQLITE_TRACE_STMT, count_stmt, &n);
	for (act = DOSSIER_ACT_LIST; act <= DOSSIER_ACT_GRANT; act++)
		ask(f, U_SALES, NULL, (enum dossier_action)act, &o, T0);
	assert_int_equal(n, 0);
	sqlite3_trace_v2(f->db, 0, NULL, NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(test_rules__##name, setup, \
						teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(matrix),
		T(table),
		T(unmapped_denied_everything),
		T(root_role_is_a_setting),
		T(verdict_names_rule),
		T(confidential_grant_by_gm),
		T(confidential_grant_refusals),
		T(secret_and_topsecret_never_lent),
		T(revoke_ends_grant),
		T(internal_grant_by_department_manager),
		T(grant_makes_hidden_record_visible),
		T(create_in_folder),
		T(classify),
		T(grant_right),
		T(explain),
		T(users),
		T(settings),
		T(setting_values),
		T(names),
		T(policy_is_data),
		T(decide_runs_no_sql),
	};

	return cmocka_run_group_tests_name("rules", tests, NULL, NULL);
}
