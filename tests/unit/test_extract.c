#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "extract.h"
#include "sandbox.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return sandbox_tmpdir(dir, sizeof(dir));
}

static int teardown(void **state)
{
	(void)state;
	return sandbox_rmtree(dir);
}

/* A file of dir holding data; its descriptor. */
static int put(const char *name, const void *data, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

static void tidy(const char *in, const char *want)
{
	struct dossier_buf b = DOSSIER_BUF_INIT;

	dossier_buf_add(&b, in, strlen(in));
	dossier_extract_tidy(&b);
	assert_string_equal(b.buf, want);
	dossier_buf_release(&b);
}

static void test_extract__tidy(void **state)
{
	(void)state;
	/* tesseract's spaces between Chinese characters go, page breaks
	 * become one empty line, blank runs shrink */
	tidy("合 同 金 额 为\f\fPage  two \n\n\n\nend  \n",
	     "合同金额为\n\nPage two\n\nend\n");
	tidy("  甲方 : ACME  Ltd", "甲方 : ACME Ltd\n");
	tidy("bad \xff byte", "bad ? byte\n");
	tidy("\n\n\f", "");
}

static void test_extract__plain_text_is_itself(void **state)
{
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_extract_info info;
	const char *t = "合同金额 100\nsecond line\n";
	int fd = put("a.txt", t, strlen(t));

	(void)state;
	assert_int_equal(dossier_extract_text(&b, &info, fd, 0, NULL), 0);
	assert_string_equal(info.method, "plain");
	assert_string_equal(b.buf, t);
	close(fd);
	dossier_buf_release(&b);
}

static void test_extract__binary_has_no_text(void **state)
{
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_extract_info info;
	const char bin[] = "\x7f" "ELF\0\0\0\1\2\3";
	int fd = put("a.bin", bin, sizeof(bin));

	(void)state;
	assert_int_equal(dossier_extract_text(&b, &info, fd,
					      DOSSIER_EXTRACT_OCR, NULL), 0);
	assert_string_equal(info.method, "none");
	assert_int_equal(b.len, 0);
	close(fd);
	dossier_buf_release(&b);
}

/* An image is not recognised unless asked: no tool runs. */
static void test_extract__image_needs_ocr_flag(void **state)
{
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_extract_info info;
	const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	int fd = put("a.png", png, sizeof(png));

	(void)state;
	assert_int_equal(dossier_extract_text(&b, &info, fd, 0, NULL), 0);
	assert_string_equal(info.method, "none");
	assert_int_equal(b.len, 0);
	close(fd);
	dossier_buf_release(&b);
}

/* zip PATH DIR: make a zip of DIR's tree. */
static int zip_of(const char *zip, const char *tree)
{
	char cmd[512];

	if (system("command -v zip >/dev/null 2>&1") != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "cd '%s/%s' && zip -qr '%s/%s' .", dir,
		 tree, dir, zip);
	return system(cmd) == 0 ? 0 : -1;
}

static void mk(const char *rel, const char *data)
{
	char cmd[512];
	int fd;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s/%s')\"", dir,
		 rel);
	assert_int_equal(system(cmd), 0);
	fd = put(rel, data, strlen(data));
	close(fd);
}

static int open_in(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, O_RDONLY);
}

/* A real office file of kind holding text (tests/tools/mkoffice.py). */
static int office_of(const char *kind, const char *name, const char *text)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "python3 tests/tools/mkoffice.py %s "
		 "'%s/%s' '%s'", kind, dir, name, text);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_extract__office_files(void **state)
{
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_extract_info info;
	int fd;

	(void)state;
	mk("d/word/document.xml", "<w:document><w:body><w:p><w:r><w:t>"
	   "合同条款 clause seven</w:t></w:r></w:p></w:body></w:document>");
	mk("d/word/_rels/document.xml.rels", "<Relationships/>");
	if (zip_of("t.docx", "d") < 0)
		fail_msg("cannot make zip files: is zip installed "
			 "(tests/tools/install-deps.sh)?");
	if (office_of("xlsx", "t.xlsx", "金额 amount RD") < 0)
		fail_msg("cannot make an .xlsx: tests/tools/mkoffice.py");
	fd = open_in("t.xlsx");
	assert_int_equal(dossier_extract_text(&b, &info, fd, 0, NULL), 0);
	assert_string_equal(info.method, "xlsx2csv");
	assert_non_null(strstr(b.buf, "金额 amount RD"));
	close(fd);
	dossier_buf_release(&b);
	fd = open_in("t.docx");
	assert_int_equal(dossier_extract_text(&b, &info, fd, 0, NULL), 0);
	assert_string_equal(info.method, "docx2txt");
	assert_non_null(strstr(b.buf, "合同条款 clause seven"));
	close(fd);
	dossier_buf_release(&b);
}

/* What is worth reading whole, from its first bytes. */
static void test_extract__wants(void **state)
{
	(void)state;
	assert_true(dossier_extract_wants("%PDF-1.7\n", 9, 0));
	assert_true(dossier_extract_wants("PK\3\4abc", 7, 0));
	assert_true(dossier_extract_wants("plain 文字", 12, 0));
	/* a sequence cut by the end of the head is still text */
	assert_true(dossier_extract_wants("ab\xe5\x90", 4, 0));
	assert_true(dossier_extract_wants("\xff\xd8\xff\xe0", 4,
					  DOSSIER_EXTRACT_OCR));
	assert_false(dossier_extract_wants("\xff\xd8\xff\xe0", 4, 0));
	assert_false(dossier_extract_wants("\x7f" "ELF\0\1", 6,
					   DOSSIER_EXTRACT_OCR));
	assert_false(dossier_extract_wants("bad \xff\xfe text", 11, 0));
}

static void test_extract__cancelled_job_fails_busy(void **state)
{
	struct dossier_extract_job job = DOSSIER_EXTRACT_JOB_INIT;
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_extract_info info;
	const char pdf[] = "%PDF-1.4\n";
	int fd = put("c.pdf", pdf, strlen(pdf));

	(void)state;
	dossier_extract_cancel(&job);
	assert_int_equal(dossier_extract_text(&b, &info, fd, 0, &job),
			 DOSSIER_EBUSY);
	assert_int_equal(b.len, 0);
	dossier_error_clear();
	close(fd);
	dossier_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract__tidy),
		cmocka_unit_test(test_extract__plain_text_is_itself),
		cmocka_unit_test(test_extract__binary_has_no_text),
		cmocka_unit_test(test_extract__image_needs_ocr_flag),
		cmocka_unit_test(test_extract__office_files),
		cmocka_unit_test(test_extract__wants),
		cmocka_unit_test(test_extract__cancelled_job_fails_busy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
