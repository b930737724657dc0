#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "version_name.h"

#define COMMIT "1a2b3c4d5e6f708192a3b4c5d6e7f80918a2b3c4"
#define MAY_1 1714557600000000000LL	/* 2024-05-01T10:00:00Z */

static void test_version_name__extension(void **state)
{
	char out[160];

	(void)state;
	dossier_version_name(out, sizeof(out), MAY_1, COMMIT, "offer.pdf");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4.pdf");
	dossier_version_name(out, sizeof(out), MAY_1 + 999999999, COMMIT,
			     "a.tar.gz");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4.gz");
}

static void test_version_name__no_extension(void **state)
{
	char out[160];

	(void)state;
	dossier_version_name(out, sizeof(out), MAY_1, COMMIT, "README");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4");
	/* a dot-file's only dot starts its name */
	dossier_version_name(out, sizeof(out), MAY_1, COMMIT, ".notes");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4");
}

static void test_version_name__path(void **state)
{
	char out[160];

	(void)state;
	/* the record's name counts, not a dot in a folder above it */
	dossier_version_name(out, sizeof(out), MAY_1, COMMIT,
			     "2024/contracts/ACME.Ltd/offer.pdf");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4.pdf");
	dossier_version_name(out, sizeof(out), MAY_1, COMMIT,
			     "2024/contracts/ACME.Ltd/offer");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4");
	dossier_version_name(out, sizeof(out), MAY_1, COMMIT,
			     "2024/x/.notes");
	assert_string_equal(out, "2024-05-01T10.00.00Z-1a2b3c4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_name__extension),
		cmocka_unit_test(test_version_name__no_extension),
		cmocka_unit_test(test_version_name__path),
	};

	return cmocka_run_group_tests_name("version_name", tests, NULL,
					   NULL);
}
