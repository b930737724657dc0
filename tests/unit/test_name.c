#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "name.h"

static void test_name__ascii_unchanged(void **state)
{
	char out[DOSSIER_NAME_MAX + 1];

	(void)state;
	assert_int_equal(dossier_name_normalize(out, sizeof(out), "ACME Ltd"),
			 0);
	assert_string_equal(out, "ACME Ltd");
}

static void test_name__nfd_becomes_nfc(void **state)
{
	char a[DOSSIER_NAME_MAX + 1], b[DOSSIER_NAME_MAX + 1];

	(void)state;
	assert_int_equal(dossier_name_normalize(a, sizeof(a),
						"caf\xc3\xa9.txt"), 0);
	assert_int_equal(dossier_name_normalize(b, sizeof(b),
						"cafe\xcc\x81.txt"), 0);
	assert_string_equal(a, b);
	assert_string_equal(a, "caf\xc3\xa9.txt");
}

static void test_name__chinese_kept(void **state)
{
	char out[DOSSIER_NAME_MAX + 1];
	const char *n = "北京某某科技有限公司";

	(void)state;
	assert_int_equal(dossier_name_normalize(out, sizeof(out), n), 0);
	assert_string_equal(out, n);
}

static void test_name__invalid_utf8_refused(void **state)
{
	char out[DOSSIER_NAME_MAX + 1];

	(void)state;
	assert_int_equal(dossier_name_normalize(out, sizeof(out), "a\xff"),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_name_normalize(out, sizeof(out),
						"\xe5\x8c"), DOSSIER_EINVAL);
	/* overlong encoding of '/' */
	assert_int_equal(dossier_name_normalize(out, sizeof(out),
						"a\xc0\xaf"), DOSSIER_EINVAL);
	dossier_error_clear();
}

static void test_name__controls_refused(void **state)
{
	char out[DOSSIER_NAME_MAX + 1];

	(void)state;
	assert_int_equal(dossier_name_normalize(out, sizeof(out), "a\tb"),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_name_normalize(out, sizeof(out), "a\x7f"),
			 DOSSIER_EINVAL);
	/* C1 control U+0085 in UTF-8 */
	assert_int_equal(dossier_name_normalize(out, sizeof(out),
						"\xe4\xb8\xad\xc2\x85"),
			 DOSSIER_EINVAL);
	dossier_error_clear();
}

static void test_name__dots_and_empty_refused(void **state)
{
	char out[DOSSIER_NAME_MAX + 1];

	(void)state;
	assert_int_equal(dossier_name_normalize(out, sizeof(out), ""),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_name_normalize(out, sizeof(out), "."),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_name_normalize(out, sizeof(out), ".."),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_name_normalize(out, sizeof(out), "a/b"),
			 DOSSIER_EINVAL);
	dossier_error_clear();
}

static void test_name__length_limit(void **state)
{
	char out[DOSSIER_NAME_MAX + 1], in[400];

	(void)state;
	memset(in, 'a', 255);
	in[255] = '\0';
	assert_int_equal(dossier_name_normalize(out, sizeof(out), in), 0);
	memset(in, 'a', 256);
	in[256] = '\0';
	assert_int_equal(dossier_name_normalize(out, sizeof(out), in),
			 DOSSIER_ENAMETOOLONG);
	/* 86 CJK characters = 258 bytes */
	in[0] = '\0';
	for (int i = 0; i < 86; i++)
		strcat(in, "中");
	assert_int_equal(dossier_name_normalize(out, sizeof(out), in),
			 DOSSIER_ENAMETOOLONG);
	dossier_error_clear();
}

static void test_name__year(void **state)
{
	(void)state;
	assert_true(dossier_name_is_year("2024"));
	assert_false(dossier_name_is_year("24"));
	assert_false(dossier_name_is_year("20245"));
	assert_false(dossier_name_is_year("20a4"));
	assert_false(dossier_name_is_year("２０２４"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name__ascii_unchanged),
		cmocka_unit_test(test_name__nfd_becomes_nfc),
		cmocka_unit_test(test_name__chinese_kept),
		cmocka_unit_test(test_name__invalid_utf8_refused),
		cmocka_unit_test(test_name__controls_refused),
		cmocka_unit_test(test_name__dots_and_empty_refused),
		cmocka_unit_test(test_name__length_limit),
		cmocka_unit_test(test_name__year),
	};

	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
}
