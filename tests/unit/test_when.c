#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "when.h"

static void test_when__durations(void **state)
{
	static const struct {
		const char *s;
		int64_t secs;
	} good[] = {
		{ "90", 90 }, { "30s", 30 }, { "15m", 900 }, { "4h", 14400 },
		{ "2d", 172800 }, { "1h30m", 5400 }, { "2d12h", 216000 },
		{ "1m30s", 90 },
	};
	static const char *const bad[] = {
		"", "h", "1x", "0", "0s", "1h30", "-5m", "1.5h", "m30", "4 h",
	};
	int64_t out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(dossier_duration_parse(good[i].s, &out), 0);
		assert_int_equal(out, good[i].secs);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dossier_duration_parse(bad[i], &out),
				 DOSSIER_EINVAL);
		assert_non_null(strstr(dossier_error_last(), "duration"));
		dossier_error_clear();
	}
}

static void test_when__times(void **state)
{
	static const struct {
		const char *s;
		int64_t t;
	} good[] = {
		{ "1714557600", 1714557600 },
		{ "2024-05-01", 1714521600 },
		{ "2024-05-01T10:00Z", 1714557600 },
		{ "2024-05-01T10:00:00Z", 1714557600 },
		{ "2024-05-01 18:00+08:00", 1714557600 },
		{ "2024-05-01T18:00:00+0800", 1714557600 },
		{ "2024-05-01T05:00-05", 1714557600 },
		{ "2024-05-01T10:00", 1714557600 },	/* UTC: local is 0 */
		{ "30m", 100000 - 1800 },
		{ "1h30m", 100000 - 5400 },
	};
	static const char *const bad[] = {
		"", "yesterday", "2024-13-01", "2024-05-01T25:00",
		"2024-05-01T10:00junk", "2024-05-01T10:00+25:00", "05/01/2024",
	};
	int64_t out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(dossier_time_parse(good[i].s, 0, 100000, &out),
				 0);
		assert_int_equal(out, good[i].t);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dossier_time_parse(bad[i], 0, 100000, &out),
				 DOSSIER_EINVAL);
		assert_non_null(strstr(dossier_error_last(), "not a time"));
		dossier_error_clear();
	}
}

static void test_when__local_time(void **state)
{
	int64_t out;

	(void)state;
	/* without a zone, local time when asked: here in a fixed zone */
	setenv("TZ", "CST-8", 1);	/* POSIX form: no tzdata needed */
	assert_int_equal(dossier_time_parse("2024-05-01T18:00", 1, 0, &out),
			 0);
	assert_int_equal(out, 1714557600);
	assert_int_equal(dossier_time_parse("2024-05-01T18:00Z", 1, 0, &out),
			 0);
	assert_int_equal(out, 1714557600 + 8 * 3600);
	unsetenv("TZ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when__durations),
		cmocka_unit_test(test_when__times),
		cmocka_unit_test(test_when__local_time),
	};

	return cmocka_run_group_tests_name("when", tests, NULL, NULL);
}
