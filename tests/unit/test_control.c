#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"
#include "sandbox.h"

/*
 * core/control/: the control requests (what dossierctl writes to
 * /.dossier/ctl) through dossier_archive_control(), for callers the
 * kernel would name. Replies: "STATUS<TAB>MESSAGE" (0 done, 1 refused,
 * 2 usage), then the body.
 */

#define REC "2024/contracts/ACME Ltd/quote.txt"
#define SEC 1000000000LL
/* 2026-12-04T12:00:00Z */
#define NOON_NS (1796385600LL * SEC)

static struct dossier_buf out = DOSSIER_BUF_INIT;

static int setup(void **state)
{
	return sandbox_setup(state, DOSSIER_ARCHIVE_OPEN_SERVE, &alice,
			     &alice, &bob, &carol, &manager, NULL);
}

static int teardown(void **state)
{
	dossier_buf_release(&out);
	return sandbox_teardown(state);
}

/* Run req as who into out; the status. */
static int ask(struct sandbox *s, const struct dossier_caller *who,
	       const char *req)
{
	return sandbox_control(s, who, req, &out);
}

/* Lines of the reply's body. */
static int body_lines(void)
{
	return sandbox_reply_lines(&out);
}

/* Field i (0-based) of body line l into f. */
static void body_field(int l, int i, char *f, size_t fsz)
{
	sandbox_reply_field(&out, l, i, f, fsz);
}

static void test_control__requests_are_parsed(void **state)
{
	struct sandbox *s = *state;

	assert_int_equal(ask(s, &alice, ""), 2);
	assert_string_equal(out.buf, "2\tempty request\n");
	assert_int_equal(ask(s, &alice, "\n"), 2);
	assert_int_equal(ask(s, &alice, "frobnicate\tx\n"), 2);
	assert_string_equal(out.buf, "2\tunknown request\n");
	/* the caller is the kernel's uid, never a field */
	assert_int_equal(ask(s, &alice, "whoami\t0\n"), 0);
	assert_string_equal(out.buf, "0\tok\n2001\n");
	/* only what comes before the first newline is the request */
	assert_int_equal(ask(s, &bob, "whoami\nusers\n"), 0);
	assert_string_equal(out.buf, "0\tok\n2002\n");
	assert_int_equal(ask(s, &mallory, "whoami\n"), 0);
	assert_string_equal(out.buf, "0\tok\n2999\n");
	assert_int_equal(ask(s, &mallory, "log\t" REC "\n"), 1);
	assert_non_null(strstr(out.buf, "not a user of this archive"));
}

static void test_control__log_lists_versions(void **state)
{
	struct sandbox *s = *state;
	char f[128];

	sandbox_clock_set(NOON_NS);
	sandbox_put(s, &alice, s->client.id, "quote.txt", "one");
	sandbox_drain(s);
	sandbox_clock_advance(3600 * SEC);
	sandbox_put(s, &alice, s->client.id, "quote.txt", "two");
	assert_int_equal(ask(s, &alice, "log\t" REC "\n"), 0);
	/* what was saved before asking is in the answer */
	assert_int_equal(body_lines(), 2);
	body_field(0, 0, f, sizeof(f));
	assert_string_equal(f, "2026-12-04T12:00:00Z");
	body_field(1, 0, f, sizeof(f));
	assert_string_equal(f, "2026-12-04T13:00:00Z");
	body_field(0, 1, f, sizeof(f));
	/* the author by account name: no account here, so the uid */
	assert_string_equal(f, "uid 2001");
	body_field(1, 6, f, sizeof(f));
	assert_string_equal(f, REC);
	/* the version's file name in .history */
	body_field(1, 7, f, sizeof(f));
	assert_int_equal(strncmp(f, "2026-12-04T13.00.00Z-", 21), 0);
	assert_string_equal(f + strlen(f) - 4, ".txt");
	/* slashes around and between the names do not matter */
	assert_int_equal(ask(s, &alice, "log\t//2024/contracts//ACME Ltd/"
				       "quote.txt/\n"), 0);
	assert_int_equal(body_lines(), 2);
	assert_int_equal(ask(s, &alice, "log\n"), 2);
	assert_int_equal(ask(s, &alice, "log\t2024/contracts/ACME Ltd\n"), 1);
	assert_int_equal(ask(s, &alice, "log\t2024/contracts/ACME Ltd/x\n"),
			 1);
	assert_int_equal(body_lines(), 0);
}

/* Who may not list a record gets the answer for one that is not there. */
static void test_control__hidden_records_answer_as_absent(void **state)
{
	struct sandbox *s = *state;
	char hidden[512], absent[512], *p;

	sandbox_put(s, &alice, s->client.id, "quote.txt", "q");
	sandbox_drain(s);
	/* bob lists it but may not read its history */
	assert_int_equal(ask(s, &bob, "log\t" REC "\n"), 1);
	assert_non_null(strstr(out.buf, "lent on a grant"));
	/* a secret record bob may not even list */
	assert_int_equal(dossier_archive_setxattr(s->a, &root,
						  sandbox_put(s, &alice,
							      s->client.id,
							      "secret.txt",
							      "s"),
						  "user.dossier.level",
						  "secret", 6, 0), 0);
	sandbox_drain(s);
	assert_int_equal(ask(s, &bob, "log\t2024/contracts/ACME Ltd/"
				      "secret.txt\n"), 1);
	snprintf(hidden, sizeof(hidden), "%s", out.buf);
	assert_int_equal(ask(s, &bob, "log\t2024/contracts/ACME Ltd/"
				      "absent.txt\n"), 1);
	snprintf(absent, sizeof(absent), "%s", out.buf);
	p = strstr(absent, "absent.txt");
	assert_non_null(p);
	memcpy(p, "secret", 6);
	assert_string_equal(hidden, absent);
	assert_int_equal(ask(s, &alice, "log\t2024/contracts/ACME Ltd/"
					"secret.txt\n"), 1);
	dossier_error_clear();
}

static void test_control__restore_brings_a_version_back(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	char commit[64], req[256], buf[16];

	sandbox_put(s, &alice, s->client.id, "quote.txt", "first");
	sandbox_drain(s);
	sandbox_put(s, &alice, s->client.id, "quote.txt", "second");
	sandbox_drain(s);
	assert_int_equal(ask(s, &alice, "log\t" REC "\n"), 0);
	body_field(0, 4, commit, sizeof(commit));
	commit[7] = '\0';
	/* a reason is required; REV is hex, 4 digits at least */
	snprintf(req, sizeof(req), "restore\t" REC "\t%s\n", commit);
	assert_int_equal(ask(s, &alice, req), 2);
	assert_int_equal(ask(s, &alice, "restore\t" REC "\tzzzz\twhy\n"), 2);
	assert_int_equal(ask(s, &alice, "restore\t" REC "\tabc\twhy\n"), 2);
	assert_int_equal(ask(s, &alice, "restore\t" REC "\t0000000\twhy\n"),
			 1);
	assert_non_null(strstr(out.buf, "no version"));
	/* bob may not write it */
	snprintf(req, sizeof(req), "restore\t" REC "\t%s\tmistake\n", commit);
	assert_int_equal(ask(s, &bob, req), 1);
	assert_int_equal(ask(s, &alice, req), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, s->client.id,
						"quote.txt", &at), 0);
	assert_int_equal(at.st.st_size, 5);
	assert_int_equal(sandbox_slurp(s, &alice, at.id, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "first");
	/* a history entry of its own (op, reason), the last */
	assert_int_equal(ask(s, &alice, "log\t" REC "\n"), 0);
	assert_int_equal(body_lines(), 3);
	assert_non_null(strstr(out.buf, "\trestore\tmistake\t"));
	assert_null(strstr(strstr(out.buf, "\trestore\t"), "\tsave\t"));
}

static void test_control__users_and_policy_for_editors_only(void **state)
{
	struct sandbox *s = *state;

	assert_int_equal(ask(s, &alice, "users\n"), 0);
	assert_non_null(strstr(out.buf, "\nalice\t2001\tsales\tsales\n"));
	assert_non_null(strstr(out.buf, "\nbob\t2002\tsales\tservice\n"));
	assert_int_equal(ask(s, &alice, "user-set\tbob\tmanager\t-\n"), 1);
	assert_int_equal(ask(s, &root, "user-set\tbob\tmanager\t-\n"), 0);
	assert_int_equal(ask(s, &alice, "users\n"), 0);
	assert_non_null(strstr(out.buf, "\nbob\t2002\tmanager\tservice\n"));
	assert_int_equal(ask(s, &root, "user-set\tbob\n"), 2);
	assert_int_equal(ask(s, &root, "user-add\tno-such-account\tsales\n"),
			 1);
	assert_non_null(strstr(out.buf, "not a Unix account"));
	/* unmapped: bob gets nothing from now on */
	assert_int_equal(ask(s, &root, "user-remove\tbob\n"), 0);
	assert_int_equal(ask(s, &bob, "users\n"), 1);
	/* settings: policy editors change them, everyone mapped reads */
	assert_int_equal(ask(s, &alice, "policy-set\ttrash-days\t20\n"), 1);
	assert_int_equal(ask(s, &root, "policy-set\ttrash-days\t20\n"), 0);
	assert_int_equal(ask(s, &alice, "policy\n"), 0);
	assert_non_null(strstr(out.buf, "\nsetting\ttrash-days\t20\n"));
	assert_non_null(strstr(out.buf, "\nrule\t"));
}

/* A grant ends when the archive's clock says so. */
static void test_control__grant_ends_with_the_clock(void **state)
{
	struct sandbox *s = *state;
	uint64_t id;
	char f[64];

	sandbox_clock_set(NOON_NS);
	id = sandbox_put(s, &alice, s->client.id, "quote.txt", "q");
	assert_int_equal(sandbox_may_read(s, &carol, id), DOSSIER_EDENIED);
	assert_int_equal(ask(s, &manager, "grant\t" REC "\tcarol\tr\t0\tx\n"),
			 2);
	assert_int_equal(ask(s, &manager, "grant\t" REC "\tcarol\tr\t60\t\n"),
			 2);
	assert_int_equal(ask(s, &manager, "grant\t2024/contracts/ACME Ltd\t"
					  "carol\tr\t60\tcase 7\n"), 1);
	/* the owner is no approver */
	assert_int_equal(ask(s, &alice, "grant\t" REC "\tcarol\tr\t60\t"
					"case 7\n"), 1);
	assert_int_equal(ask(s, &manager, "grant\t" REC "\tcarol\tr\t60\t"
					  "case 7\n"), 0);
	assert_int_equal(sandbox_may_read(s, &carol, id), 0);
	assert_int_equal(ask(s, &carol, "grants\n"), 0);
	assert_int_equal(body_lines(), 1);
	body_field(0, 1, f, sizeof(f));
	assert_string_equal(f, REC);
	body_field(0, 5, f, sizeof(f));
	assert_string_equal(f, "2026-12-04T12:01:00Z");
	/* not bob's: neither party */
	assert_int_equal(ask(s, &bob, "grants\n"), 0);
	assert_int_equal(body_lines(), 0);
	sandbox_clock_advance(59 * SEC);
	assert_int_equal(sandbox_may_read(s, &carol, id), 0);
	sandbox_clock_advance(2 * SEC);
	assert_int_equal(sandbox_may_read(s, &carol, id), DOSSIER_EDENIED);
	assert_int_equal(ask(s, &carol, "grants\n"), 0);
	assert_int_equal(body_lines(), 0);
}

static void test_control__revoke_by_a_party(void **state)
{
	struct sandbox *s = *state;
	uint64_t id;
	char gid[16], req[64];

	id = sandbox_put(s, &alice, s->client.id, "quote.txt", "q");
	assert_int_equal(ask(s, &manager, "grant\t" REC "\tcarol\tr\t3600\t"
					  "case 8\n"), 0);
	assert_int_equal(ask(s, &manager, "grants\n"), 0);
	body_field(0, 0, gid, sizeof(gid));
	assert_int_equal(sandbox_may_read(s, &carol, id), 0);
	assert_int_equal(ask(s, &carol, "revoke\tx\n"), 2);
	assert_int_equal(ask(s, &carol, "revoke\t999\n"), 1);
	/* someone neither party nor allowed to end it */
	snprintf(req, sizeof(req), "revoke\t%s\n", gid);
	assert_int_equal(ask(s, &bob, req), 1);
	assert_int_equal(sandbox_may_read(s, &carol, id), 0);
	/* its holder may end it */
	assert_int_equal(ask(s, &carol, req), 0);
	assert_int_equal(sandbox_may_read(s, &carol, id), DOSSIER_EDENIED);
	assert_int_equal(ask(s, &carol, req), 1);
}

static void test_control__explain_for_oneself_or_by_editors(void **state)
{
	struct sandbox *s = *state;

	sandbox_put(s, &alice, s->client.id, "quote.txt", "q");
	assert_int_equal(ask(s, &alice, "explain\t" REC "\n"), 0);
	assert_true(body_lines() > 0);
	assert_int_equal(ask(s, &alice, "explain\t" REC "\tcarol\n"), 1);
	assert_non_null(strstr(out.buf, "explain for another user"));
	assert_int_equal(ask(s, &root, "explain\t" REC "\tcarol\n"), 0);
	assert_non_null(strstr(out.buf, "grant"));
	assert_int_equal(ask(s, &root, "explain\t" REC "\tnobody-such\n"), 1);
	assert_int_equal(ask(s, &root, "explain\n"), 2);
}

#define T(name) cmocka_unit_test_setup_teardown(test_control__##name, setup, \
						  teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(requests_are_parsed),
		T(log_lists_versions),
		T(hidden_records_answer_as_absent),
		T(restore_brings_a_version_back),
		T(users_and_policy_for_editors_only),
		T(grant_ends_with_the_clock),
		T(revoke_by_a_party),
		T(explain_for_oneself_or_by_editors),
	};

	return cmocka_run_group_tests_name("control", tests, NULL, NULL);
}
