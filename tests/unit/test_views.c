#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "archive_i.h"
#include "error.h"
#include "sandbox.h"

/*
 * The virtual trees of core/tree/views.c, through the tree's front door:
 * /.history, /.dossier/ctl and the root's hidden names.
 */

/* 2026-12-04T12:00:00Z */
#define NOON_NS (1796385600LL * 1000000000)

static int setup(void **state)
{
	return sandbox_setup(state, DOSSIER_ARCHIVE_OPEN_SERVE, &alice,
			     &alice, &bob, NULL);
}

/* The history folder of the client ACME Ltd as who sees it. */
static int history_client(struct sandbox *s, const struct dossier_caller *who,
			  struct dossier_attr *out)
{
	return sandbox_walk(s, who, DOSSIER_ROOT_ID,
			    ".history/2024/contracts/ACME Ltd", out);
}

/* The names in the history of ACME Ltd as alice lists them; its inode. */
static uint64_t client_history(struct sandbox *s, char *out, size_t outsz)
{
	struct dossier_attr cl;

	assert_int_equal(history_client(s, &alice, &cl), 0);
	assert_int_equal(sandbox_list(s, &alice, cl.id, out, outsz), 0);
	return cl.id;
}

static void test_views__root_hidden_names(void **state)
{
	static const char *const dirs[] = { ".history", ".dossier", ".trash" };
	struct sandbox *s = *state;
	struct dossier_attr at;
	char names[256];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		assert_int_equal(dossier_archive_lookup(s->a, &alice,
							DOSSIER_ROOT_ID,
							dirs[i], &at), 0);
		assert_true(at.st.st_mode == (S_IFDIR | 0555));
		assert_int_equal(at.st.st_ino, at.id);
	}
	/* .Trash and any other dot name at the top: absent, cheaply */
	assert_int_equal(dossier_archive_lookup(s->a, &alice, DOSSIER_ROOT_ID,
						".Trash", &at),
			 DOSSIER_ENOTFOUND);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, DOSSIER_ROOT_ID,
						".directory", &at),
			 DOSSIER_ENOTFOUND);
	/* the root's listing does not show them */
	assert_int_equal(sandbox_list(s, &alice, DOSSIER_ROOT_ID, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "2024");
}

/*
 * The control file takes a request by pwrite, up to 64 KiB: beyond that
 * the write is refused with DOSSIER_EFBIG (EFBIG for the caller) and a
 * sentence, and what was taken stays; the reply comes by pread.
 */
static void test_views__control_request_is_bounded(void **state)
{
	static char big[65536];
	struct sandbox *s = *state;
	struct dossier_attr dir, ctl;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	const char *req = "whoami\n";
	char reply[512], uid[32];
	ssize_t n;

	assert_int_equal(dossier_archive_lookup(s->a, &alice, DOSSIER_ROOT_ID,
						".dossier", &dir), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, dir.id, "ctl",
						&ctl), 0);
	assert_int_equal(dossier_archive_open_file(s->a, &alice, ctl.id,
						   O_RDWR, &f, &info), 0);
	assert_int_equal(dossier_file_pwrite(s->a, f, req, strlen(req), 0),
			 (ssize_t)strlen(req));
	memset(big, 'x', sizeof(big));
	assert_int_equal(dossier_file_pwrite(s->a, f, big, sizeof(big),
					     (off_t)strlen(req)),
			 DOSSIER_EFBIG);
	assert_non_null(strstr(dossier_error_last(), "at most 65536 bytes"));
	dossier_error_clear();
	n = dossier_file_pread(s->a, f, reply, sizeof(reply) - 1, 0);
	assert_true(n > 0);
	reply[n] = '\0';
	snprintf(uid, sizeof(uid), "0\tok\n%u\n", (unsigned)alice.uid);
	assert_string_equal(reply, uid);
	dossier_file_release(s->a, f);
}

static void test_views__control_folder_holds_only_ctl(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr dir, ctl, at;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	char names[256];

	assert_int_equal(dossier_archive_lookup(s->a, &alice, DOSSIER_ROOT_ID,
						".dossier", &dir), 0);
	assert_int_equal(sandbox_list(s, &alice, dir.id, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "ctl");
	assert_int_equal(dossier_archive_lookup(s->a, &alice, dir.id, "ctl",
						&ctl), 0);
	assert_int_equal(ctl.kind, DOSSIER_KIND_FILE);
	assert_true(ctl.st.st_mode == (S_IFREG | 0666));
	assert_int_equal(dossier_archive_getattr(s->a, &alice, ctl.id, &at),
			 0);
	assert_true(at.st.st_mode == (S_IFREG | 0666));
	assert_int_equal(dossier_archive_lookup(s->a, &alice, dir.id, "ctl2",
						&at), DOSSIER_ENOTFOUND);
	/* opened without a descriptor: requests go through pread/pwrite */
	assert_int_equal(dossier_archive_open_file(s->a, &alice, ctl.id,
						   O_RDWR, &f, &info), 0);
	assert_int_equal(dossier_file_fd(f), -1);
	assert_int_equal(info.direct_io, 1);
	dossier_file_release(s->a, f);
	/* a folder of the view is no file */
	assert_int_equal(dossier_archive_open_file(s->a, &alice, dir.id,
						   O_RDONLY, &f, &info),
			 DOSSIER_EISDIR);
	dossier_error_clear();
}

static void test_views__history_lists_each_saved_version(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr rec;
	uint64_t cl;
	struct dossier_dir *d = NULL;
	const struct dossier_attr *va;
	char names[512];

	sandbox_put(s, &alice, s->client.id, "offer.txt", "one");
	sandbox_drain(s);
	sandbox_put(s, &alice, s->client.id, "offer.txt", "three");
	sandbox_drain(s);
	cl = client_history(s, names, sizeof(names));
	assert_string_equal(names, "offer.txt");
	assert_int_equal(dossier_archive_lookup(s->a, &alice, cl, "offer.txt",
						&rec), 0);
	assert_true(S_ISDIR(rec.st.st_mode));
	/* oldest first, each with its size, read-only */
	assert_int_equal(dossier_dir_open(s->a, &alice, rec.id, &d), 0);
	assert_int_equal(dossier_dir_count(d), 2);
	dossier_dir_entry(d, 0, &va);
	assert_int_equal(va->st.st_size, 3);
	assert_true(va->st.st_mode == (S_IFREG | 0444));
	assert_int_equal(va->st.st_uid, alice.uid);
	dossier_dir_entry(d, 1, &va);
	assert_int_equal(va->st.st_size, 5);
	assert_non_null(strstr(dossier_dir_entry(d, 1, NULL), ".txt"));
	dossier_dir_free(d);
}

/* A version's name is its save's time (the archive's clock) and commit. */
static void test_views__version_named_by_time_and_commit(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr cl, rec, v;
	char names[512], *dash;

	sandbox_clock_set(NOON_NS);
	sandbox_put(s, &alice, s->client.id, "offer.txt", "one");
	sandbox_put(s, &alice, s->client.id, "README", "r");
	sandbox_drain(s);
	assert_int_equal(history_client(s, &alice, &cl), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, cl.id,
						"offer.txt", &rec), 0);
	assert_int_equal(sandbox_list(s, &alice, rec.id, names,
				      sizeof(names)), 0);
	/* YYYY-MM-DDTHH.MM.SSZ-<7 hex>.ext */
	assert_int_equal(strncmp(names, "2026-12-04T12.00.00Z-", 21), 0);
	assert_int_equal(strlen(names), 21 + 7 + 4);
	assert_int_equal(strspn(names + 21, "0123456789abcdef"), 7);
	assert_string_equal(names + 28, ".txt");
	assert_int_equal(dossier_archive_lookup(s->a, &alice, rec.id, names,
						&v), 0);
	assert_int_equal(v.st.st_mtim.tv_sec, NOON_NS / 1000000000);
	/* no extension, none added */
	assert_int_equal(dossier_archive_lookup(s->a, &alice, cl.id, "README",
						&rec), 0);
	assert_int_equal(sandbox_list(s, &alice, rec.id, names,
				      sizeof(names)), 0);
	dash = strrchr(names, '-');
	assert_non_null(dash);
	assert_int_equal(strlen(dash + 1), 7);
	assert_null(strchr(dash, '.'));
}

static void test_views__version_reads_its_bytes_only(void **state)
{
	struct sandbox *s = *state;
	static const char *const texts[] = { "first", "second text" };
	struct dossier_attr v, at;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	char names[512], path[600], buf[32];
	size_t i;

	for (i = 0; i < 2; i++) {
		sandbox_put(s, &alice, s->client.id, "deal.txt", texts[i]);
		sandbox_drain(s);
	}
	assert_int_equal(sandbox_walk(s, &alice, DOSSIER_ROOT_ID, ".history/"
				      "2024/contracts/ACME Ltd/deal.txt", &at),
			 0);
	assert_int_equal(sandbox_list(s, &alice, at.id, names, sizeof(names)),
			 0);
	*strchr(names, '|') = '\0';
	snprintf(path, sizeof(path), "%s", names);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, at.id, path, &v),
			 0);
	assert_int_equal(dossier_archive_getattr(s->a, &alice, v.id, &at), 0);
	assert_int_equal(at.st.st_size, 5);
	assert_int_equal(sandbox_slurp(s, &alice, v.id, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "first");
	assert_int_equal(dossier_archive_open_file(s->a, &alice, v.id, O_RDWR,
						   &f, &info),
			 DOSSIER_EREADONLY);
	assert_int_equal(dossier_archive_open_file(s->a, &alice, v.id,
						   O_RDONLY | O_TRUNC, &f,
						   &info), DOSSIER_EREADONLY);
	assert_null(f);
	dossier_error_clear();
}

/* Who may not list a record does not learn its history exists. */
static void test_views__history_follows_the_rules(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr cl, rec, at;
	struct dossier_dir *d = NULL;
	char names[512];

	sandbox_put(s, &alice, s->client.id, "quote.txt", "q");
	sandbox_drain(s);
	/*
	 * an unmapped account sees the fixed structure (years, categories)
	 * there as in the live tree, and no client: the same answer as for
	 * one that does not exist
	 */
	assert_int_equal(sandbox_list(s, &mallory, INO_HISTORY, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "2024");
	assert_int_equal(history_client(s, &mallory, &at), DOSSIER_ENOTFOUND);
	assert_int_equal(sandbox_walk(s, &mallory, DOSSIER_ROOT_ID, ".history/"
				      "2024/contracts/ACME Ltd/quote.txt",
				      &at), DOSSIER_ENOTFOUND);
	assert_int_equal(sandbox_walk(s, &mallory, DOSSIER_ROOT_ID, ".history/"
				      "2024/contracts/Nobody Ltd", &at),
			 DOSSIER_ENOTFOUND);
	/* another department's salesperson lists it, without its versions */
	assert_int_equal(history_client(s, &bob, &cl), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &bob, cl.id, "quote.txt",
						&rec), 0);
	assert_int_equal(dossier_dir_open(s->a, &bob, rec.id, &d),
			 DOSSIER_EDENIED);
	assert_null(d);
	assert_int_equal(dossier_dir_open(s->a, &alice, rec.id, &d), 0);
	assert_int_equal(dossier_dir_count(d), 1);
	dossier_dir_free(d);
	dossier_error_clear();
}

/*
 * A deleted record's history stays under its name while no live record
 * has the name; scratch files and records never committed have none.
 */
static void test_views__deleted_records_keep_history(void **state)
{
	char names[512];
	const struct dossier_attr *va;
	struct dossier_dir *d = NULL;
	struct dossier_attr rec;
	uint64_t cl;
	struct sandbox *s = *state;

	sandbox_clock_set(NOON_NS);
	sandbox_put(s, &alice, s->client.id, "gone.txt", "g");
	sandbox_put(s, &alice, s->client.id, "twice.txt", "old");
	sandbox_put(s, &alice, s->client.id, "~$book.xlsx", "lock");
	sandbox_drain(s);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"gone.txt"), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"twice.txt"), 0);
	sandbox_drain(s);
	/* a minute on, past the editor window: another record, same name */
	sandbox_clock_advance(60LL * 1000000000);
	sandbox_put(s, &alice, s->client.id, "twice.txt", "newer");
	sandbox_drain(s);
	sandbox_put(s, &alice, s->client.id, "fresh.txt", "f");
	cl = client_history(s, names, sizeof(names));
	assert_string_equal(names, "gone.txt|twice.txt");
	assert_int_equal(dossier_archive_lookup(s->a, &alice, cl,
						"gone.txt", &rec), 0);
	assert_int_equal(sandbox_list(s, &alice, rec.id, names,
				      sizeof(names)), 0);
	assert_non_null(strstr(names, ".txt"));
	/* the live record's history, not the deleted one's */
	assert_int_equal(dossier_archive_lookup(s->a, &alice, cl,
						"twice.txt", &rec), 0);
	assert_int_equal(dossier_dir_open(s->a, &alice, rec.id, &d), 0);
	assert_int_equal(dossier_dir_count(d), 1);
	dossier_dir_entry(d, 0, &va);
	assert_int_equal(va->st.st_size, 5);
	dossier_dir_free(d);
	assert_int_equal(dossier_dir_open(s->a, &alice, cl, &d), 0);
	assert_string_equal(dossier_dir_entry(d, 1, &va), "twice.txt");
	assert_int_equal(va->id, rec.id);
	dossier_dir_free(d);
	assert_int_equal(dossier_archive_lookup(s->a, &alice, cl,
						"~$book.xlsx", &rec),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
}

static void test_views__views_are_read_only(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	struct dossier_dir *d = NULL;

	/* the views are read-only */
	assert_int_equal(dossier_archive_mkdir(s->a, &root, INO_HISTORY, "x",
					       0755, &at), DOSSIER_EREADONLY);
	/* a file of the view is no folder, an unknown inode nothing */
	assert_int_equal(dossier_dir_open(s->a, &root, INO_CTL, &d),
			 DOSSIER_ENOTDIR);
	assert_int_equal(dossier_archive_getattr(s->a, &root,
						 HIST_VER_BASE | 999999, &at),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
}

#define T(name) cmocka_unit_test_setup_teardown(test_views__##name, setup, \
						  sandbox_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(root_hidden_names),
		T(control_folder_holds_only_ctl),
		T(control_request_is_bounded),
		T(history_lists_each_saved_version),
		T(version_named_by_time_and_commit),
		T(version_reads_its_bytes_only),
		T(history_follows_the_rules),
		T(deleted_records_keep_history),
		T(views_are_read_only),
	};

	return cmocka_run_group_tests_name("views", tests, NULL, NULL);
}
