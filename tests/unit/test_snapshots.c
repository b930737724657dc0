#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "snapshots_i.h"

#define DAY 86400LL
/* 2026-12-04T12:00:00Z */
#define NOW 1796385600LL

static void test_snapshots__token_round_trip(void **state)
{
	char tok[32];
	int64_t t = 0;

	(void)state;
	snap_token(tok, sizeof(tok), NOW);
	assert_string_equal(tok, "@GMT-2026.12.04-12.00.00");
	assert_int_equal(snap_token_parse(tok, &t), 0);
	assert_int_equal(t, NOW);
}

static void test_snapshots__bad_tokens_refused(void **state)
{
	static const char *const bad[] = {
		"@GMT-2026.12.04-12.00",	/* short */
		"@GMT-2026.12.04-12.00.00x",	/* trailing */
		"@GMT-2026.02.30-12.00.00",	/* no such day */
		"@GMT-2026.12.04-12.00.60",	/* no such second */
		"@GMT-2026.12.04-1 .00.00",
		"@GMT-+026.12.04-12.00.00",
		"GMT-2026.12.04-12.00.00x",
		".snapshots",
		"",
	};
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(snap_token_parse(bad[i], &t), DOSSIER_EINVAL);
}

static void test_snapshots__few_saves_all_kept(void **state)
{
	int64_t t[3] = { NOW - 2, NOW - 1, NOW };

	(void)state;
	assert_int_equal(snap_coalesce(t, 3, NOW), 3);
	assert_int_equal(t[0], NOW - 2);
	assert_int_equal(t[2], NOW);
}

/*
 * Thousands of saves: the 10 newest, one per day of the last 31 days,
 * one per month before that.
 */
static void test_snapshots__thousands_coalesced(void **state)
{
	static int64_t t[4000];
	size_t n = 0, k, i;
	int64_t s;

	(void)state;
	/* a save every 3 hours for 400 days, then 20 saves in the last hour */
	for (s = NOW - 400 * DAY; s < NOW - 3600; s += 3 * 3600)
		t[n++] = s;
	for (i = 0; i < 20; i++)
		t[n++] = NOW - 3600 + (int64_t)i * 60;
	k = snap_coalesce(t, n, NOW);
	/* oldest first, no duplicates */
	for (i = 1; i < k; i++)
		assert_true(t[i - 1] < t[i]);
	/* the 10 newest are all there */
	for (i = 0; i < 10; i++)
		assert_int_equal(t[k - 1 - i], NOW - 3600 + (int64_t)(19 - i) * 60);
	/* 31-32 recent days (the boundary day may count twice), 13-14 months */
	assert_true(k >= 10 + 30 + 13 && k <= 10 + 32 + 14);
	/* within the last 31 days, one per day at most (besides the 10) */
	for (i = 0; i + 10 < k; i++)
		if (t[i] > NOW - 31 * DAY && t[i + 1] < t[k - 10])
			assert_true(t[i] / DAY != t[i + 1] / DAY);
}

static void test_snapshots__last_of_each_day_kept(void **state)
{
	/* day -3: 3 saves, day -2: 2, then 10 newer ones today */
	int64_t t[15];
	size_t i, k;

	(void)state;
	t[0] = NOW - 3 * DAY - 300;
	t[1] = NOW - 3 * DAY - 200;
	t[2] = NOW - 3 * DAY - 100;
	t[3] = NOW - 2 * DAY - 200;
	t[4] = NOW - 2 * DAY - 100;
	for (i = 0; i < 10; i++)
		t[5 + i] = NOW - 100 + (int64_t)i;
	k = snap_coalesce(t, 15, NOW);
	assert_int_equal(k, 12);
	assert_int_equal(t[0], NOW - 3 * DAY - 100);
	assert_int_equal(t[1], NOW - 2 * DAY - 100);
	assert_int_equal(t[2], NOW - 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshots__token_round_trip),
		cmocka_unit_test(test_snapshots__bad_tokens_refused),
		cmocka_unit_test(test_snapshots__few_saves_all_kept),
		cmocka_unit_test(test_snapshots__thousands_coalesced),
		cmocka_unit_test(test_snapshots__last_of_each_day_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
