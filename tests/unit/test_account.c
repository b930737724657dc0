#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pwd.h>
#include <string.h>
#include <cmocka.h>

#include "account.h"
#include "error.h"

static void test_account__known(void **state)
{
	char name[64];

	(void)state;
	assert_int_equal(dossier_account_name(name, sizeof(name), 0), 0);
	assert_string_equal(name, "root");
	assert_string_equal(dossier_error_last(), "");
}

static void test_account__unknown(void **state)
{
	uid_t uid = 3999999999u;
	char name[64];

	(void)state;
	if (getpwuid(uid))
		skip();
	assert_int_equal(dossier_account_name(name, sizeof(name), uid),
			 DOSSIER_ENOTFOUND);
	assert_string_equal(name, "uid 3999999999");
	/* a stand-in is an answer, not an error */
	assert_string_equal(dossier_error_last(), "");
}

static void test_account__nobody(void **state)
{
	char name[64];

	(void)state;
	assert_int_equal(dossier_account_name(name, sizeof(name), (uid_t)-1),
			 DOSSIER_ENOTFOUND);
	assert_string_equal(name, "unknown");
}

static void test_account__short_buffer(void **state)
{
	char name[3];

	(void)state;
	assert_int_equal(dossier_account_name(name, sizeof(name), 0), 0);
	assert_string_equal(name, "ro");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_account__known),
		cmocka_unit_test(test_account__unknown),
		cmocka_unit_test(test_account__nobody),
		cmocka_unit_test(test_account__short_buffer),
	};

	return cmocka_run_group_tests_name("account", tests, NULL, NULL);
}
