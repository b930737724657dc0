#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "archive.h"
#include "error.h"
#include "sandbox.h"

static int setup(void **state)
{
	return sandbox_setup(state, 0, &alice, &alice, &bob, NULL);
}

/* Create name in parent as who with content text; returns the attr. */
static int put(struct sandbox *s, const struct dossier_caller *who,
	       uint64_t parent, const char *name, const char *text,
	       struct dossier_attr *at)
{
	struct dossier_file *f = NULL;
	int rc = dossier_archive_create_file(s->a, who, parent, name, 0644,
					     O_WRONLY, at, &f);

	if (rc < 0)
		return rc;
	if (write(dossier_file_fd(f), text, strlen(text)) < 0)
		rc = DOSSIER_EIO;
	dossier_file_mark_written(f);
	dossier_file_release(s->a, f);
	return rc;
}

static size_t count_entries(struct sandbox *s, uint64_t id)
{
	struct dossier_dir *d = NULL;
	size_t n;

	assert_int_equal(dossier_dir_open(s->a, &root, id, &d), 0);
	n = dossier_dir_count(d);
	dossier_dir_free(d);
	return n;
}

static void test_archive__open_refuses_missing(void **state)
{
	struct sandbox *s = *state;
	struct dossier_archive *a = NULL;
	char p[160];

	snprintf(p, sizeof(p), "%s/nothing", s->dir);
	assert_int_equal(dossier_archive_open(&a, p, 0), DOSSIER_ENOTFOUND);
	assert_null(a);
	dossier_error_clear();
	/* an existing folder that is not empty is not turned into one */
	assert_int_equal(dossier_archive_create(s->path, DOSSIER_LANG_EN),
			 DOSSIER_EEXISTS);
	dossier_error_clear();
}

static void test_archive__open_refuses_damaged_catalog(void **state)
{
	struct sandbox *s = *state;
	struct dossier_archive *a = NULL;
	char p[160];
	FILE *f;

	snprintf(p, sizeof(p), "%s/bad", s->dir);
	assert_int_equal(dossier_archive_create(p, DOSSIER_LANG_ZH), 0);
	snprintf(p, sizeof(p), "%s/bad/catalog.db", s->dir);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("this is not a database, just some words to fill a page\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/bad", s->dir);
	assert_int_equal(dossier_archive_open(&a, p, 0), DOSSIER_ECORRUPT);
	assert_non_null(strstr(dossier_error_last(), "catalog"));
	dossier_error_clear();
	snprintf(p, sizeof(p), "%s/bad/catalog.db", s->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/bad", s->dir);
	assert_int_equal(dossier_archive_open(&a, p, 0), DOSSIER_ECORRUPT);
	assert_non_null(strstr(dossier_error_last(), "missing"));
	dossier_error_clear();
}

static int stat_rows(const char *catalog)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	assert_int_equal(sqlite3_open(catalog, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_stat1", -1,
			       &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		n = 0;	/* no statistics table at all */
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * Planner statistics never outlive an open: taken on a young archive they
 * made every ancestor walk scan the node table.
 */
static void test_archive__no_planner_statistics(void **state)
{
	struct sandbox *s = *state;
	char p[160];
	sqlite3 *db = NULL;

	dossier_archive_close(s->a);
	s->a = NULL;
	snprintf(p, sizeof(p), "%s/catalog.db", s->path);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ANALYZE", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_true(stat_rows(p) > 0);
	assert_int_equal(dossier_archive_open(&s->a, s->path, 0), 0);
	assert_int_equal(stat_rows(p), 0);
	dossier_archive_close(s->a);
	s->a = NULL;
	assert_int_equal(stat_rows(p), 0);	/* and none taken at close */
	assert_int_equal(dossier_archive_open(&s->a, s->path, 0), 0);
}

static void test_archive__year_brings_categories(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;

	assert_int_equal(count_entries(s, s->year.id), 7);
	assert_int_equal(s->year.kind, DOSSIER_KIND_YEAR);
	assert_int_equal(s->contracts.kind, DOSSIER_KIND_CATEGORY);
	assert_int_equal(s->client.kind, DOSSIER_KIND_CLIENT);
	assert_true(S_ISDIR(s->client.st.st_mode));
	assert_int_equal(dossier_archive_mkdir(s->a, &root, DOSSIER_ROOT_ID,
					       "24", 0755, &at),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, DOSSIER_ROOT_ID,
					       "misc", 0755, &at),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, s->year.id,
					       "unknown", 0755, &at),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, s->year.id,
					       "contracts", 0755, &at),
			 DOSSIER_EEXISTS);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, DOSSIER_ROOT_ID,
					       "2024", 0755, &at),
			 DOSSIER_EEXISTS);
}

static void test_archive__files_only_in_clients(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;

	assert_int_equal(put(s, &root, DOSSIER_ROOT_ID, "a.txt", "x", &at),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(put(s, &root, s->year.id, "a.txt", "x", &at),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(put(s, &root, s->contracts.id, "a.txt", "x", &at),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at), 0);
	assert_int_equal(at.kind, DOSSIER_KIND_FILE);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, s->client.id,
						"a.txt", &at), 0);
	assert_int_equal(at.st.st_size, 1);
	assert_int_equal(at.st.st_uid, alice.uid);
	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at),
			 DOSSIER_EEXISTS);
}

static void test_archive__nfd_and_nfc_are_one_name(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr a1, a2;

	assert_int_equal(put(s, &root, s->client.id, "caf\xc3\xa9.txt", "v1",
			     &a1), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"cafe\xcc\x81.txt", &a2), 0);
	assert_int_equal(a1.id, a2.id);
	assert_int_equal(put(s, &root, s->client.id, "cafe\xcc\x81.txt", "v2",
			     &a2), DOSSIER_EEXISTS);
	assert_int_equal(count_entries(s, s->client.id), 1);
}

static void test_archive__chinese_path(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr cat, cl, f, got;
	char buf[64];

	assert_int_equal(dossier_category_add(s->a, "合同协议"), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->year.id,
						"合同协议", &cat), 0);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, cat.id,
					       "北京某某科技有限公司", 0755,
					       &cl), 0);
	assert_int_equal(put(s, &root, cl.id, "合同.pdf", "%PDF", &f), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, cl.id,
						"合同.pdf", &got), 0);
	assert_int_equal(got.id, f.id);
	sandbox_slurp(s, &root, f.id, buf, sizeof(buf));
	assert_string_equal(buf, "%PDF");
}

static void test_archive__rmdir_refusals(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;

	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at), 0);
	assert_int_equal(dossier_archive_rmdir(s->a, &alice, s->contracts.id,
					       "ACME Ltd"), DOSSIER_ENOTEMPTY);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, s->year.id,
					       "contracts"),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, DOSSIER_ROOT_ID,
					       "2024"), DOSSIER_ENOTEMPTY);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, s->contracts.id,
					       "nobody"), DOSSIER_ENOTFOUND);
	assert_int_equal(dossier_archive_rmdir(s->a, &alice, s->client.id,
					       "a.txt"), DOSSIER_ENOTDIR);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"a.txt"), 0);
	assert_int_equal(dossier_archive_rmdir(s->a, &alice, s->contracts.id,
					       "ACME Ltd"), 0);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, DOSSIER_ROOT_ID,
					       "2024"), 0);
	assert_int_equal(count_entries(s, DOSSIER_ROOT_ID), 0);
	/* the year can come back, with fresh categories */
	assert_int_equal(dossier_archive_mkdir(s->a, &root, DOSSIER_ROOT_ID,
					       "2024", 0755, &at), 0);
	assert_int_equal(count_entries(s, at.id), 7);
}

static void test_archive__unlink(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;

	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->contracts.id,
						"ACME Ltd"), DOSSIER_EISDIR);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"b.txt"), DOSSIER_ENOTFOUND);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"a.txt"), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, s->client.id,
						"a.txt", &at),
			 DOSSIER_ENOTFOUND);
	assert_int_equal(count_entries(s, s->client.id), 0);
	/* the name is free again, for a new record with a new id */
	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "y", &at), 0);
}

static void test_archive__scratch_unlink_removes_content(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	struct stat st;
	char p[256];

	assert_int_equal(put(s, &alice, s->client.id, ".~lock.a.odt#", "l",
			     &at), 0);
	snprintf(p, sizeof(p), "%s/content/%02x/%llu", s->path,
		 (unsigned)(at.id & 0xff), (unsigned long long)at.id);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						".~lock.a.odt#"), 0);
	assert_int_equal(stat(p, &st), -1);
}

static void test_archive__ids_never_reused(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr a1, a2;

	assert_int_equal(put(s, &alice, s->client.id, "~$x.docx", "o", &a1),
			 0);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"~$x.docx"), 0);
	assert_int_equal(put(s, &alice, s->client.id, "y.docx", "o", &a2), 0);
	assert_true(a2.id > a1.id);
}

static void test_archive__rename_shapes(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at, sales, moved, sub;

	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at), 0);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->client.id,
						"a.txt", s->contracts.id,
						"a.txt", 0),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->contracts.id,
						"ACME Ltd", DOSSIER_ROOT_ID,
						"ACME Ltd", 0),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(dossier_archive_rename(s->a, &root, DOSSIER_ROOT_ID,
						"2024", DOSSIER_ROOT_ID,
						"2025", 0),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(dossier_archive_rename(s->a, &root, s->year.id,
						"contracts", s->year.id,
						"deals", 0),
			 DOSSIER_ESTRUCTURE);
	assert_int_equal(dossier_archive_mkdir(s->a, &alice, s->client.id,
					       "scans", 0755, &sub), 0);
	assert_int_equal(sub.kind, DOSSIER_KIND_FOLDER);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->contracts.id,
						"ACME Ltd", sub.id, "x", 0),
			 DOSSIER_EINVAL);
	/* a client moves to another category and keeps its records */
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->year.id,
						"sales", &sales), 0);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->contracts.id,
						"ACME Ltd", sales.id,
						"ACME Limited", 0), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, sales.id,
						"ACME Limited", &moved), 0);
	assert_int_equal(moved.id, s->client.id);
	assert_int_equal(count_entries(s, moved.id), 2);
}

static void test_archive__rename_onto_record_keeps_identity(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr rec, tmp, after;
	char buf[64];

	assert_int_equal(put(s, &alice, s->client.id, "report.odt", "old",
			     &rec), 0);
	assert_int_equal(put(s, &alice, s->client.id, "lu123.tmp", "new",
			     &tmp), 0);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->client.id,
						"lu123.tmp", s->client.id,
						"report.odt",
						DOSSIER_RENAME_NOREPLACE),
			 DOSSIER_EEXISTS);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->client.id,
						"lu123.tmp", s->client.id,
						"report.odt", 0), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, s->client.id,
						"report.odt", &after), 0);
	assert_int_equal(after.st.st_ino, rec.st.st_ino);
	sandbox_slurp(s, &root, rec.id, buf, sizeof(buf));
	assert_string_equal(buf, "new");
	assert_int_equal(count_entries(s, s->client.id), 1);
}

static void test_archive__rename_dir_onto_nonempty(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr d1, d2, f;

	assert_int_equal(dossier_archive_mkdir(s->a, &alice, s->client.id,
					       "d1", 0755, &d1), 0);
	assert_int_equal(dossier_archive_mkdir(s->a, &alice, s->client.id,
					       "d2", 0755, &d2), 0);
	assert_int_equal(put(s, &alice, d2.id, "f", "x", &f), 0);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->client.id,
						"d1", s->client.id, "d2", 0),
			 DOSSIER_ENOTEMPTY);
	assert_int_equal(dossier_archive_rename(s->a, &alice, d2.id, "f",
						s->client.id, "d1", 0),
			 DOSSIER_EISDIR);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->client.id,
						"d2", s->client.id, "d1", 0),
			 0);
	assert_int_equal(count_entries(s, s->client.id), 1);
}

static int collect(void *ctx, const char *name, int years)
{
	char *buf = ctx;

	(void)years;
	strcat(buf, name);
	strcat(buf, ",");
	return 0;
}

static void test_archive__categories(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	char list[512] = "";

	assert_int_equal(dossier_category_add(s->a, "audits"), 0);
	assert_int_equal(dossier_category_add(s->a, "audits"),
			 DOSSIER_EEXISTS);
	dossier_error_clear();
	assert_int_equal(dossier_category_add(s->a, ".hidden"),
			 DOSSIER_EINVAL);
	dossier_error_clear();
	/* existing years get the new category at once */
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->year.id,
						"audits", &at), 0);
	assert_int_equal(dossier_category_rename(s->a, "audits", "reviews"),
			 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->year.id,
						"reviews", &at), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->year.id,
						"audits", &at),
			 DOSSIER_ENOTFOUND);
	assert_int_equal(dossier_category_rename(s->a, "nope", "x"),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_category_rename(s->a, "reviews", "sales"),
			 DOSSIER_EEXISTS);
	dossier_error_clear();
	assert_int_equal(dossier_category_list(s->a, collect, list), 0);
	assert_string_equal(list, "basic,contracts,credit,complaints,market,"
				  "sales,service,reviews,");
}

static void test_archive__decided_per_caller(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;

	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at), 0);
	assert_int_equal(dossier_archive_open_file(s->a, &bob, at.id,
						   O_WRONLY, &f, &info),
			 DOSSIER_EDENIED);
	assert_null(f);
	/* another department's salesperson needs a grant to read it */
	assert_int_equal(dossier_archive_open_file(s->a, &bob, at.id,
						   O_RDONLY, &f, &info),
			 DOSSIER_EDENIED);
	assert_int_equal(dossier_archive_access(s->a, &bob, at.id, W_OK),
			 DOSSIER_EDENIED);
	assert_int_equal(dossier_archive_access(s->a, &alice, at.id, R_OK), 0);
	assert_int_equal(dossier_archive_access(s->a, &alice, at.id, W_OK), 0);
	dossier_error_clear();
}

static void test_archive__content_swap_gives_new_nodeid(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr rec, tmp, after;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;

	assert_int_equal(put(s, &alice, s->client.id, "r.txt", "1", &rec), 0);
	assert_int_equal(dossier_archive_open_file(s->a, &alice, rec.id,
						   O_RDONLY, &f, &info), 0);
	dossier_file_release(s->a, f);
	assert_int_equal(info.keep_cache, 1);
	assert_int_equal(put(s, &alice, s->client.id, ".goutputstream-AB12CD",
			     "2", &tmp), 0);
	assert_int_equal(dossier_archive_rename(s->a, &alice, s->client.id,
						".goutputstream-AB12CD",
						s->client.id, "r.txt", 0), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, s->client.id,
						"r.txt", &after), 0);
	/* same record, new kernel inode: its cached size and pages are old */
	assert_int_equal(after.st.st_ino, rec.st.st_ino);
	assert_true(after.id != rec.id);
	/* the old nodeid still reaches the record */
	assert_int_equal(dossier_archive_getattr(s->a, &alice, rec.id, &tmp),
			 0);
	assert_int_equal(tmp.st.st_ino, rec.st.st_ino);
}

/* dossier_file_pread answers as the rest of the API: a dossier_err. */
static void test_archive__pread_failure_is_a_dossier_err(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	char buf[8];

	assert_int_equal(put(s, &alice, s->client.id, "p.txt", "text", &at),
			 0);
	assert_int_equal(dossier_archive_open_file(s->a, &alice, at.id,
						   O_RDONLY, &f, &info), 0);
	assert_int_equal(dossier_file_pread(s->a, f, buf, sizeof(buf), 0), 4);
	dossier_error_clear();
	/* an offset pread(2) refuses: EINVAL, with the reason said */
	assert_int_equal(dossier_file_pread(s->a, f, buf, sizeof(buf), -1),
			 DOSSIER_EINVAL);
	assert_non_null(strstr(dossier_error_last(), "cannot read content"));
	dossier_error_clear();
	dossier_file_release(s->a, f);
}

static void test_archive__xattrs(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	char buf[64], list[256];
	size_t len;

	assert_int_equal(put(s, &alice, s->client.id, "a.txt", "x", &at), 0);
	assert_int_equal(dossier_archive_setxattr(s->a, &alice, at.id,
						  "user.note", "hello", 5, 0),
			 0);
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, at.id,
						  "user.note", NULL, 0, &len),
			 0);
	assert_int_equal(len, 5);
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, at.id,
						  "user.note", buf, 2, &len),
			 DOSSIER_ERANGE);
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, at.id,
						  "user.note", buf,
						  sizeof(buf), &len), 0);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(dossier_archive_setxattr(s->a, &alice, at.id,
						  "user.note", "x", 1, 1),
			 DOSSIER_EEXISTS);
	assert_int_equal(dossier_archive_listxattr(s->a, &alice, at.id, list,
						   sizeof(list), &len), 0);
	/* the classification comes first, then the stored names */
	assert_string_equal(list, "user.dossier.level");
	assert_memory_equal(list + len - 10, "user.note", 10);
	assert_int_equal(dossier_archive_setxattr(s->a, &alice, at.id,
						  "trusted.x", "x", 1, 0),
			 DOSSIER_ENOTSUP);
	assert_int_equal(dossier_archive_setxattr(s->a, &bob, at.id,
						  "user.x", "x", 1, 0),
			 DOSSIER_EDENIED);
	assert_int_equal(dossier_archive_removexattr(s->a, &alice, at.id,
						     "user.note"), 0);
	assert_int_equal(dossier_archive_getxattr(s->a, &alice, at.id,
						  "user.note", buf,
						  sizeof(buf), &len),
			 DOSSIER_ENODATA);
	/* folders carry them too (Samba's user.DOSATTRIB) */
	assert_int_equal(dossier_archive_setxattr(s->a, &alice, s->client.id,
						  "user.DOSATTRIB", "a", 1, 0),
			 0);
	dossier_error_clear();
}

/* A folder deleted under a caller's feet takes no new names. */
static void test_archive__no_new_names_in_a_deleted_folder(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr gone, at;
	struct dossier_file *f = NULL;

	assert_int_equal(dossier_archive_mkdir(s->a, &root, s->contracts.id,
					       "Gone Ltd", 0755, &gone), 0);
	sandbox_put(s, &root, gone.id, "memo.txt", "memo");
	assert_int_equal(dossier_archive_unlink(s->a, &root, gone.id,
						"memo.txt"), 0);
	/* its record is in the trash: the folder is kept, deleted */
	assert_int_equal(dossier_archive_rmdir(s->a, &root, s->contracts.id,
					       "Gone Ltd"), 0);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, gone.id, "sub",
					       0755, &at),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_archive_create_file(s->a, &root, gone.id,
						     "new.txt", 0644,
						     O_CREAT | O_WRONLY, &at,
						     &f),
			 DOSSIER_ENOTFOUND);
	assert_null(f);
	dossier_error_clear();
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, \
						  sandbox_teardown)
	const struct CMUnitTest tests[] = {
		T(test_archive__no_planner_statistics),
		T(test_archive__open_refuses_missing),
		T(test_archive__open_refuses_damaged_catalog),
		T(test_archive__year_brings_categories),
		T(test_archive__files_only_in_clients),
		T(test_archive__nfd_and_nfc_are_one_name),
		T(test_archive__chinese_path),
		T(test_archive__rmdir_refusals),
		T(test_archive__unlink),
		T(test_archive__scratch_unlink_removes_content),
		T(test_archive__ids_never_reused),
		T(test_archive__rename_shapes),
		T(test_archive__rename_onto_record_keeps_identity),
		T(test_archive__rename_dir_onto_nonempty),
		T(test_archive__categories),
		T(test_archive__decided_per_caller),
		T(test_archive__content_swap_gives_new_nodeid),
		T(test_archive__pread_failure_is_a_dossier_err),
		T(test_archive__xattrs),
		T(test_archive__no_new_names_in_a_deleted_folder),
	};

	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
