#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmap.h"
#include "error.h"

/*
 * fs/errmap.c: the whole errno policy of the driver (STYLE.md 4), one
 * table from libdossier's codes to what the kernel is answered.
 */

/* Every code of enum dossier_err but DOSSIER_ERROR, and its errno. */
static const struct {
	int rc, err;
} codes[] = {
	{ DOSSIER_ENOTFOUND, ENOENT }, { DOSSIER_EEXISTS, EEXIST },
	{ DOSSIER_EDENIED, EACCES }, { DOSSIER_EHIDDEN, ENOENT },
	{ DOSSIER_EREADONLY, EROFS }, { DOSSIER_EBUSY, EBUSY },
	{ DOSSIER_EINVAL, EINVAL }, { DOSSIER_ENOSPC, ENOSPC },
	{ DOSSIER_ENAMETOOLONG, ENAMETOOLONG }, { DOSSIER_ESTRUCTURE, EPERM },
	{ DOSSIER_ENOTEMPTY, ENOTEMPTY }, { DOSSIER_ENOTDIR, ENOTDIR },
	{ DOSSIER_EISDIR, EISDIR }, { DOSSIER_EIO, EIO },
	{ DOSSIER_ECORRUPT, EIO }, { DOSSIER_ENODATA, ENODATA },
	{ DOSSIER_ENOTSUP, ENOTSUP }, { DOSSIER_ERANGE, ERANGE },
	{ DOSSIER_EFBIG, EFBIG },
};

#define NCODES (sizeof(codes) / sizeof(codes[0]))

static void test_errmap__success_is_zero(void **state)
{
	(void)state;
	assert_int_equal(fs_errno(DOSSIER_OK), 0);
	/* byte counts and other results are no errors */
	assert_int_equal(fs_errno(1), 0);
	assert_int_equal(fs_errno(4096), 0);
	assert_int_equal(fs_errno(INT_MAX), 0);
}

/* The pairs STYLE.md 4 names. */
static void test_errmap__named_failures(void **state)
{
	(void)state;
	assert_int_equal(fs_errno(DOSSIER_ENOTFOUND), ENOENT);
	assert_int_equal(fs_errno(DOSSIER_EEXISTS), EEXIST);
	assert_int_equal(fs_errno(DOSSIER_EDENIED), EACCES);
	assert_int_equal(fs_errno(DOSSIER_EREADONLY), EROFS);
	assert_int_equal(fs_errno(DOSSIER_EBUSY), EBUSY);
	assert_int_equal(fs_errno(DOSSIER_EINVAL), EINVAL);
	assert_int_equal(fs_errno(DOSSIER_ENOSPC), ENOSPC);
}

/* A caller who may not see an entry must not learn it exists. */
static void test_errmap__hidden_answers_as_absent(void **state)
{
	(void)state;
	assert_int_equal(fs_errno(DOSSIER_EHIDDEN), ENOENT);
	assert_int_equal(fs_errno(DOSSIER_EHIDDEN),
			 fs_errno(DOSSIER_ENOTFOUND));
	/* and a refusal is not an absence */
	assert_int_not_equal(fs_errno(DOSSIER_EDENIED), ENOENT);
}

/* Every code of enum dossier_err has its errno. */
static void test_errmap__every_code(void **state)
{
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NCODES; i++)
		assert_int_equal(fs_errno(codes[i].rc), codes[i].err);
	/* the list above has every code from ENOTFOUND to the last */
	for (rc = DOSSIER_ENOTFOUND; rc >= DOSSIER_EFBIG; rc--) {
		for (i = 0; i < NCODES && codes[i].rc != rc; i++)
			;
		assert_true(i < NCODES);
	}
	/* the tree's shape forbids, whatever the mode bits: EPERM */
	assert_int_equal(fs_errno(DOSSIER_ESTRUCTURE), EPERM);
}

/* What the driver maps from a syscall's errno comes back as it was. */
static void test_errmap__errno_round_trip(void **state)
{
	static const int errs[] = {
		ENOENT, EEXIST, EACCES, EROFS, EBUSY, EINVAL, ENOSPC,
		ENAMETOOLONG, ENOTEMPTY, ENOTDIR, EISDIR, EFBIG,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		assert_int_equal(fs_errno(dossier_err_from_errno(errs[i])),
				 errs[i]);
	/* one core does not know is an I/O error both ways */
	assert_int_equal(fs_errno(dossier_err_from_errno(EXDEV)), EIO);
}

/*
 * A read through dossier_file_pread or refused by dossier_file_check
 * reaches the reader with the errno it had when dossier_file_pread
 * returned -errno: EIO, EINVAL (an offset pread(2) refuses), and EACCES
 * for a file whose right was taken away while it was open.
 */
static void test_errmap__read_failures(void **state)
{
	static const int errs[] = { EIO, EINVAL, EISDIR, EACCES };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		assert_int_equal(fs_errno(dossier_err_from_errno(errs[i])),
				 errs[i]);
	assert_int_equal(fs_errno(DOSSIER_EDENIED), EACCES);
	assert_int_equal(fs_errno(DOSSIER_EIO), EIO);
}

/* Read what fn wrote to stderr into out. */
static void capture_stderr(void (*fn)(void), char *out, size_t outsz)
{
	char path[] = "/tmp/test_errmap.log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	fn();
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	n = pread(fd, out, outsz - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
}

static void unknown_codes(void)
{
	assert_int_equal(fs_errno(DOSSIER_ERROR), EIO);
	assert_int_equal(fs_errno(DOSSIER_EFBIG - 1), EIO);
	assert_int_equal(fs_errno(-1000), EIO);
	assert_int_equal(fs_errno(INT_MIN), EIO);
}

/*
 * An unknown code (a bug: a code added without its errno) answers EIO,
 * logged the first time only: a loop of failing requests must not fill
 * the log. The only test that passes unknown codes.
 */
static void test_errmap__unknown_is_eio_logged_once(void **state)
{
	char log[4096];
	const char *first;

	(void)state;
	capture_stderr(unknown_codes, log, sizeof(log));
	first = strstr(log, "unmapped error -1 ");
	assert_non_null(first);
	assert_null(strstr(first + 1, "unmapped error"));
	capture_stderr(unknown_codes, log, sizeof(log));
	assert_string_equal(log, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errmap__success_is_zero),
		cmocka_unit_test(test_errmap__named_failures),
		cmocka_unit_test(test_errmap__hidden_answers_as_absent),
		cmocka_unit_test(test_errmap__every_code),
		cmocka_unit_test(test_errmap__errno_round_trip),
		cmocka_unit_test(test_errmap__read_failures),
		cmocka_unit_test(test_errmap__unknown_is_eio_logged_once),
	};

	return cmocka_run_group_tests_name("errmap", tests, NULL, NULL);
}
