#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "archive_i.h"
#include "audit_i.h"
#include "buf.h"
#include "error.h"
#include "history_i.h"
#include "proc.h"
#include "rules_i.h"
#include "sandbox.h"

/* The running test's audit, and the one the archive had before it. */
static struct dossier_audit *au;
static struct dossier_audit *saved;

static int setup(void **state)
{
	struct sandbox *s;

	if (sandbox_archive(&s, 0) < 0)
		return -1;
	if (audit_open(&au, s->a) < 0) {
		sandbox_free(s);
		return -1;
	}
	/* the control request flushes and records through a->audit */
	saved = s->a->audit;
	s->a->audit = au;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct sandbox *s = *state;

	s->a->audit = saved;
	audit_close(au);
	au = NULL;
	return sandbox_teardown(state);
}

/* The catalog through a connection of the test's own. */
static sqlite3 *catalog(struct sandbox *s, int writable)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(s->catalog, &db, writable ?
					 SQLITE_OPEN_READWRITE :
					 SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	return db;
}

struct writer_arg {
	struct dossier_audit *au;
	int thread;
};

#define PER_THREAD 2000

static void *record_many(void *arg)
{
	struct writer_arg *w = arg;
	struct dossier_caller who = { 2000 + (uid_t)w->thread, 0, getpid() };
	char detail[32];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(detail, sizeof(detail), "%d %d", w->thread, i);
		audit_record(w->au, &who, "read", "2024/contracts/x.pdf",
			     i % 3 != 0, i, detail);
	}
	return NULL;
}

/* Rows from two threads all land, in the order each thread queued them. */
static void test_audit__two_threads(void **state)
{
	struct sandbox *s = *state;
	struct writer_arg w[2] = { { au, 1 }, { au, 2 } };
	pthread_t t[2];
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int next[3] = { 0, 0, 0 }, i;
	int64_t last_ns = 0;
	char prog[32];

	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, record_many,
						&w[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* close writes everything queued, without a flush first */
	s->a->audit = saved;
	audit_close(au);
	au = NULL;

	db = catalog(s, 0);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit"),
			 2 * PER_THREAD);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit WHERE "
					     "allowed = 0"),
			 2 * ((PER_THREAD + 2) / 3));
	dossier_program_of(getpid(), prog, sizeof(prog));
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT time_ns, uid, user, "
					    "pid, program, action, path, "
					    "allowed, rule, detail FROM audit "
					    "ORDER BY id", -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int th, n;
		char user[32];

		assert_int_equal(sscanf((const char *)sqlite3_column_text(st,
									  9),
					"%d %d", &th, &n), 2);
		assert_true(th == 1 || th == 2);
		/* each thread's rows in the order it queued them */
		assert_int_equal(n, next[th]);
		next[th]++;
		assert_true(sqlite3_column_int64(st, 0) >= last_ns);
		last_ns = sqlite3_column_int64(st, 0);
		assert_int_equal(sqlite3_column_int64(st, 1), 2000 + th);
		snprintf(user, sizeof(user), "uid %d", 2000 + th);
		assert_string_equal(sqlite3_column_text(st, 2), user);
		assert_int_equal(sqlite3_column_int64(st, 3), getpid());
		assert_string_equal(sqlite3_column_text(st, 4), prog);
		assert_string_equal(sqlite3_column_text(st, 5), "read");
		assert_string_equal(sqlite3_column_text(st, 6),
				    "2024/contracts/x.pdf");
		assert_int_equal(sqlite3_column_int(st, 7), n % 3 != 0);
		/* rule 0 is stored as NULL */
		assert_int_equal(sqlite3_column_type(st, 8) == SQLITE_NULL,
				 n == 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(next[1], PER_THREAD);
	assert_int_equal(next[2], PER_THREAD);
}

static void some_rows(void)
{
	audit_record(au, &alice, "read", "2024/contracts/ACME/x.pdf", 1, 12,
		     NULL);
	audit_record(au, &bob, "read", "2024/contracts/ACME/y.pdf", 0, 11,
		     "confidential: needs a grant");
	audit_record(au, &bob, "write", "2024/contracts/ACME2/q.pdf", 0,
		     44, NULL);
	audit_record(au, &alice, "save", "2024/contracts/ACME Ltd/z.pdf",
		     1, 41, "tab\there");
	audit_record(au, &alice, "delete", "2024/contracts/ACME", 1, 50,
		     NULL);
}

/* The control request answers with the rows queued before it. */
static void test_audit__control_denied_filter(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf b = DOSSIER_BUF_INIT;
	char f[128];
	int i;

	some_rows();
	assert_int_equal(sandbox_control(s, &root, "audit\tdenied=1", &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 2);
	for (i = 0; i < 2; i++) {
		sandbox_reply_field(&b, i, 7, f, sizeof(f));
		assert_string_equal(f, "denied");
		sandbox_reply_field(&b, i, 2, f, sizeof(f));
		assert_string_equal(f, "2002");
	}
	sandbox_reply_field(&b, 0, 6, f, sizeof(f));
	assert_string_equal(f, "2024/contracts/ACME/y.pdf");
	sandbox_reply_field(&b, 0, 8, f, sizeof(f));
	assert_string_equal(f, "11");
	sandbox_reply_field(&b, 0, 9, f, sizeof(f));
	assert_string_equal(f, "confidential: needs a grant");
	sandbox_reply_field(&b, 1, 5, f, sizeof(f));
	assert_string_equal(f, "write");
	dossier_buf_release(&b);
}

static void test_audit__control_filters(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf b = DOSSIER_BUF_INIT;
	char f[128];

	some_rows();
	/* a path and what is below it, not its look-alike siblings */
	assert_int_equal(sandbox_control(s, &root, "audit\tpath=/2024/"
					 "contracts/ACME/", &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 3);
	sandbox_reply_field(&b, 2, 6, f, sizeof(f));
	assert_string_equal(f, "2024/contracts/ACME");
	dossier_buf_release(&b);

	/* by uid, and the latest N only, oldest first */
	assert_int_equal(sandbox_control(s, &root, "audit\tuser=2001\t"
					 "limit=2", &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 2);
	sandbox_reply_field(&b, 0, 5, f, sizeof(f));
	assert_string_equal(f, "save");
	/* fields with tabs stay on their line, escaped */
	sandbox_reply_field(&b, 0, 9, f, sizeof(f));
	assert_string_equal(f, "tab\\there");
	sandbox_reply_field(&b, 1, 5, f, sizeof(f));
	assert_string_equal(f, "delete");
	assert_non_null(strstr(b.buf, "raise the limit"));
	dossier_buf_release(&b);

	/* by name as the writer resolved it */
	assert_int_equal(sandbox_control(s, &root, "audit\tuser=uid 2002",
					 &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 2);
	dossier_buf_release(&b);

	/* since: ISO 8601 or seconds */
	assert_int_equal(sandbox_control(s, &root, "audit\tsince=2999-01-01",
					 &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 0);
	dossier_buf_release(&b);
	assert_int_equal(sandbox_control(s, &root, "audit\tsince="
					 "2000-01-01T00:00Z\tdenied=1", &b),
			 0);
	assert_int_equal(sandbox_reply_lines(&b), 2);
	dossier_buf_release(&b);
	assert_int_equal(sandbox_control(s, &root, "audit\tsince=0\t"
					 "user=2001", &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 3);
	dossier_buf_release(&b);

	assert_int_equal(sandbox_control(s, &root, "audit\tsince=yesterday",
					 &b), 2);
	dossier_buf_release(&b);
	assert_int_equal(sandbox_control(s, &root, "audit\tcolour=red", &b),
			 2);
	dossier_buf_release(&b);
	assert_int_equal(sandbox_control(s, &root, "audit\tlimit=-1", &b), 2);
	dossier_buf_release(&b);
}

/* Only auditors read the trail; a refusal is itself audited. */
static void test_audit__only_auditors(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf b = DOSSIER_BUF_INIT;
	char f[128];

	some_rows();
	/* a user of the archive who is no auditor (an unmapped account gets
	 * no answer at all: test_trash) */
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(dossier_rules_user_add(s->a->rules, alice.uid, "alice",
						"sales", "sales"), 0);
	pthread_mutex_unlock(&s->a->lock);
	assert_int_equal(sandbox_control(s, &alice, "audit", &b), 1);
	assert_non_null(strstr(b.buf, "only auditors read the audit trail"));
	assert_int_equal(strchr(b.buf, '\n')[1], '\0');
	dossier_buf_release(&b);

	assert_int_equal(sandbox_control(s, &root, "audit\tdenied=1", &b), 0);
	assert_int_equal(sandbox_reply_lines(&b), 3);
	sandbox_reply_field(&b, 2, 5, f, sizeof(f));
	assert_string_equal(f, "audit");
	sandbox_reply_field(&b, 2, 2, f, sizeof(f));
	assert_string_equal(f, "2001");
	dossier_buf_release(&b);

	/* a user whose role is auditor may */
	if (s->a->rules) {
		pthread_mutex_lock(&s->a->lock);
		assert_int_equal(dossier_rules_user_add(s->a->rules, 2003,
							"carol", "auditor",
							NULL), 0);
		pthread_mutex_unlock(&s->a->lock);
		assert_int_equal(sandbox_control(s, &carol, "audit\tdenied=1",
						 &b), 0);
		assert_int_equal(sandbox_reply_lines(&b), 3);
		dossier_buf_release(&b);
		/* a name of the rule store stands for its uid */
		audit_record(au, &carol, "read", "2024/a.pdf", 1, 0, NULL);
		assert_int_equal(sandbox_control(s, &root, "audit\tuser=carol",
						 &b), 0);
		assert_int_equal(sandbox_reply_lines(&b), 2);
		sandbox_reply_field(&b, 1, 5, f, sizeof(f));
		assert_string_equal(f, "read");
		dossier_buf_release(&b);
	}
}

/* UPDATE and DELETE of audit rows are refused by the catalog itself. */
static void test_audit__append_only(void **state)
{
	struct sandbox *s = *state;
	sqlite3 *db;
	int64_t n;

	some_rows();
	audit_flush(au);
	db = catalog(s, 1);
	n = sandbox_sql_int(db, "SELECT count(*) FROM audit");
	assert_int_equal(n, 5);
	assert_int_equal(sqlite3_exec(db, "UPDATE audit SET allowed = 1",
				      NULL, NULL, NULL), SQLITE_CONSTRAINT);
	assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
	assert_int_equal(sqlite3_exec(db, "DELETE FROM audit WHERE id = 1",
				      NULL, NULL, NULL), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL,
				      NULL), SQLITE_CONSTRAINT);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit"), n);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit WHERE "
					     "allowed = 0"), 2);
	/* appending still works */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO audit(time_ns, uid, "
				      "user, pid, program, action, path, "
				      "allowed) VALUES (1, 0, 'root', 1, 'x', "
				      "'read', '', 1)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}

#define FLOOD 50
#define QMAX 10

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * With the catalog blocked (the archive lock held, as a long transaction
 * would) and the queue full, audit_record neither blocks nor loses rows
 * silently: one row counts the dropped ones.
 */
static void test_audit__full_queue_drops_and_counts(void **state)
{
	struct sandbox *s = *state;
	int64_t t0, written, dropped = 0;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	int i;

	audit_set_queue_max(au, QMAX);
	alarm(30);	/* a blocked audit_record fails the test, not hangs */
	pthread_mutex_lock(&s->a->lock);
	t0 = now_ns();
	for (i = 0; i < FLOOD; i++)
		audit_record(au, &alice, "read", "2024/a.pdf", 1, 0, NULL);
	/* far from the writer's second: nothing waited for the catalog */
	assert_true(now_ns() - t0 < 500000000LL);
	pthread_mutex_unlock(&s->a->lock);
	audit_flush(au);
	alarm(0);

	db = catalog(s, 0);
	written = sandbox_sql_int(db, "SELECT count(*) FROM audit WHERE "
				      "action = 'read'");
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit WHERE "
					     "action = 'dropped'"), 1);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT detail, id > (SELECT "
					    "max(id) FROM audit WHERE action "
					    "= 'read') FROM audit WHERE "
					    "action = 'dropped'", -1, &st,
					    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sscanf((const char *)sqlite3_column_text(st, 0),
				"%" SCNd64 " audit rows were dropped",
				&dropped), 1);
	/* the count comes after the rows queued before the drops */
	assert_int_equal(sqlite3_column_int(st, 1), 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(written <= 2 * QMAX);
	assert_int_equal(written + dropped, FLOOD);
}

/* No audit (not serving) and a caller-less row are harmless. */
static void test_audit__null(void **state)
{
	struct sandbox *s = *state;
	sqlite3 *db;

	audit_record(NULL, &alice, "read", "x", 1, 0, NULL);
	audit_flush(NULL);
	audit_close(NULL);
	audit_record(au, NULL, "expire", NULL, 1, 0, NULL);
	audit_flush(au);
	db = catalog(s, 0);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit WHERE "
					     "action = 'expire' AND path = '' "
					     "AND detail IS NULL"), 1);
	sqlite3_close(db);
}

/* A row is stamped by the archive's clock (a test may set the hour). */
static void test_audit__rows_use_the_archive_clock(void **state)
{
	struct sandbox *s = *state;
	const int64_t then = 1700000000LL * 1000000000LL;
	sqlite3 *db;

	sandbox_clock_set(then);
	audit_record(au, &alice, "read", "2024/contracts/x.pdf", 1, 0, NULL);
	sandbox_clock_real();
	audit_flush(au);
	db = catalog(s, 0);
	assert_int_equal(sandbox_sql_int(db, "SELECT time_ns FROM audit WHERE "
					     "action = 'read' AND path = "
					     "'2024/contracts/x.pdf'"), then);
	sqlite3_close(db);
}

/* A catalog whose migration 5 was the placeholder gets its tables. */
static void test_audit__heals_placeholder_schema(void **state)
{
	struct sandbox *s = *state;
	sqlite3 *db;

	s->a->audit = saved;
	audit_close(au);
	au = NULL;
	db = catalog(s, 1);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE audit", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(audit_open(&au, s->a), 0);
	audit_record(au, &alice, "read", "2024/a.pdf", 1, 0, NULL);
	audit_flush(au);
	db = catalog(s, 1);
	assert_int_equal(sandbox_sql_int(db, "SELECT count(*) FROM audit"), 1);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL,
				      NULL), SQLITE_CONSTRAINT);
	sqlite3_close(db);
}

#define T(name) cmocka_unit_test_setup_teardown(test_audit__##name, setup, \
						  teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(two_threads),
		T(control_denied_filter),
		T(control_filters),
		T(only_auditors),
		T(append_only),
		T(full_queue_drops_and_counts),
		T(null),
		T(rows_use_the_archive_clock),
		T(heals_placeholder_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
