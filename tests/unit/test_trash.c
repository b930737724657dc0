#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "archive_i.h"
#include "access_i.h"
#include "buf.h"
#include "error.h"
#include "history_i.h"
#include "sandbox.h"
#include "trash_i.h"

#define DAY_NS ((int64_t)86400 * 1000000000)

/* A fresh archive served as the daemon does (history on). */
static int setup(void **state)
{
	return sandbox_setup(state, DOSSIER_ARCHIVE_OPEN_SERVE, &root, &alice,
			     &carol, NULL);
}

/* The trash view inode of the ACME Ltd folder, looked up by name. */
static uint64_t trash_client(struct sandbox *s,
			     const struct dossier_caller *who)
{
	struct dossier_attr t, y, c, cl;

	assert_int_equal(dossier_archive_lookup(s->a, who, DOSSIER_ROOT_ID,
						".trash", &t), 0);
	assert_int_equal(dossier_archive_lookup(s->a, who, t.id, "2024", &y),
			 0);
	assert_int_equal(dossier_archive_lookup(s->a, who, y.id, "contracts",
						&c), 0);
	assert_int_equal(dossier_archive_lookup(s->a, who, c.id, "ACME Ltd",
						&cl), 0);
	return cl.id;
}

/* Move a record's deletion back by secs (the trash period is days). */
static void age_deletion(struct sandbox *s, uint64_t id, int64_t ns)
{
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE node SET deleted_ns = "
				      "deleted_ns - ? WHERE id = ?", "ii", ns,
				      (int64_t)id), 0);
	pthread_mutex_unlock(&s->a->lock);
}

/* The blobs of record id's versions, as the index holds them. */
static size_t blobs_of(struct sandbox *s, uint64_t id,
		       struct dossier_oid *out, size_t max)
{
	sqlite3_stmt *st = NULL;
	size_t n = 0;

	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(sqlite3_prepare_v2(s->a->db, "SELECT blob FROM "
					    "version WHERE record = ? AND blob "
					    "IS NOT NULL", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while (n < max && sqlite3_step(st) == SQLITE_ROW)
		assert_int_equal(dossier_oid_parse(&out[n++], (const char *)
						   sqlite3_column_text(st, 0)),
				 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->a->lock);
	return n;
}

static int blob_present(struct sandbox *s, const struct dossier_oid *b)
{
	uint64_t size;
	int rc;

	history_git_lock(s->a->history);
	rc = dossier_git_blob_size(history_git(s->a->history), b, &size);
	history_git_unlock(s->a->history);
	dossier_error_clear();
	return rc == 0;
}

static int content_exists(struct sandbox *s, uint64_t id)
{
	char rel[64];
	struct stat st;

	content_relpath(rel, sizeof(rel), id);
	return fstatat(s->a->contentfd, rel, &st, 0) == 0;
}

static int purge(struct sandbox *s, int64_t now, size_t *n)
{
	int rc = trash_purge(s->a, &root, now, NULL, n);

	dossier_error_clear();
	return rc;
}

static void test_trash__delete_shows_under_original_path(void **state)
{
	struct sandbox *s = *state;
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	struct dossier_attr at;
	char names[512], buf[64];
	uint64_t id, cl;

	id = sandbox_put(s, &root, s->client.id, "offer.pdf", "the offer");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"offer.pdf"), 0);
	assert_int_equal(sandbox_list(s, &root, INO_TRASH, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "2024");
	cl = trash_client(s, &root);
	assert_int_equal(sandbox_list(s, &root, cl, names, sizeof(names)), 0);
	assert_string_equal(names, "offer.pdf");
	/* readable, read-only, its deletion time as mtime */
	assert_int_equal(dossier_archive_lookup(s->a, &root, cl, "offer.pdf",
						&at), 0);
	assert_int_equal(VIRT_KIND(at.id), 3);
	assert_int_equal(TRASH_ID(at.id), id);
	assert_int_equal(at.st.st_size, 9);
	assert_true(at.st.st_mode == (S_IFREG | 0444));
	assert_true(at.st.st_mtim.tv_sec > 0);
	assert_int_equal(dossier_archive_open_file(s->a, &root, at.id,
						   O_RDWR, &f, &info),
			 DOSSIER_EREADONLY);
	dossier_error_clear();
	assert_int_equal(sandbox_slurp(s, &root, at.id, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "the offer");
	/* the live tree no longer shows it; the trash is not writable */
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"offer.pdf", &at),
			 DOSSIER_ENOTFOUND);
	assert_int_equal(dossier_archive_unlink(s->a, &root, cl, "offer.pdf"),
			 DOSSIER_EREADONLY);
	dossier_error_clear();
}

static void test_trash__only_listable_records_show(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr t;
	char names[512];

	sandbox_put(s, &root, s->client.id, "a.txt", "a");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"a.txt"), 0);
	/* an unmapped account may list nothing: an empty trash */
	assert_int_equal(dossier_archive_lookup(s->a, &mallory,
						DOSSIER_ROOT_ID, ".trash", &t),
			 0);
	assert_int_equal(sandbox_list(s, &mallory, t.id, names, sizeof(names)),
			 0);
	assert_string_equal(names, "");
	assert_int_equal(dossier_archive_lookup(s->a, &mallory, t.id, "2024",
						&t), DOSSIER_ENOTFOUND);
	assert_int_equal(sandbox_list(s, &root, t.id, names, sizeof(names)), 0);
	assert_string_equal(names, "2024");
	dossier_error_clear();
}

static void test_trash__colliding_names_get_stable_suffixes(void **state)
{
	struct sandbox *s = *state;
	char names[512];
	uint64_t first, second, cl;

	first = sandbox_put(s, &root, s->client.id, "report.pdf", "one");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"report.pdf"), 0);
	/* older than the editor window, so the next create is a new record */
	age_deletion(s, first, 10 * 1000000000LL);
	second = sandbox_put(s, &root, s->client.id, "report.pdf", "two");
	assert_true(second != first);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"report.pdf"), 0);
	cl = trash_client(s, &root);
	assert_int_equal(sandbox_list(s, &root, cl, names, sizeof(names)), 0);
	/* the oldest keeps the name; the later one carries its time */
	assert_non_null(strstr(names, "report.pdf"));
	assert_non_null(strstr(names, "report (deleted "));
	assert_int_equal(strlen(names) - strlen(strstr(names, "|")) > 0, 1);
	assert_string_equal(strrchr(names, '.'), ".pdf");
	{
		struct dossier_attr at;

		assert_int_equal(dossier_archive_lookup(s->a, &root, cl,
							"report.pdf", &at), 0);
		assert_int_equal(TRASH_ID(at.id), first);
	}
}

static void test_trash__rename_out_restores_record(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at, other;
	char names[512];
	uint64_t id, cl;
	int64_t entries;

	id = sandbox_put(s, &root, s->client.id, "deal.txt", "v1");
	sandbox_drain(s);
	sandbox_put(s, &root, s->client.id, "deal.txt", "v2");
	sandbox_drain(s);
	entries = sandbox_count(s, "SELECT count(*) FROM version WHERE "
				"record = ?", id);
	assert_int_equal(entries, 2);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"deal.txt"), 0);
	sandbox_drain(s);
	/* past the editor window: a new deal.txt is another record */
	age_deletion(s, id, 10 * 1000000000LL);
	cl = trash_client(s, &root);
	/* a name in the way: EEXIST, nothing changes */
	sandbox_put(s, &root, s->client.id, "deal.txt", "someone else's");
	assert_int_equal(dossier_archive_rename(s->a, &root, cl, "deal.txt",
						s->client.id, "deal.txt", 0),
			 DOSSIER_EEXISTS);
	dossier_error_clear();
	/* files only go into client folders */
	assert_int_equal(dossier_archive_rename(s->a, &root, cl, "deal.txt",
						s->contracts.id, "deal.txt", 0),
			 DOSSIER_ESTRUCTURE);
	dossier_error_clear();
	assert_int_equal(dossier_archive_rename(s->a, &root, cl, "deal.txt",
						s->client.id, "deal (old).txt",
						0), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"deal (old).txt", &at), 0);
	assert_int_equal(at.id & ID_MASK, id);
	assert_int_equal(at.st.st_size, 2);
	sandbox_drain(s);
	/* the whole history, plus the delete and the restore */
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version "
				       "WHERE record = ?", id), entries + 2);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version "
				       "WHERE record = ? AND blob IS NOT "
				       "NULL", id), 2);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM node WHERE "
				       "id = ? AND hist_path = '2024/"
				       "contracts/ACME Ltd/deal (old).txt'",
				       id), 1);
	/* the trash is empty again */
	assert_int_equal(sandbox_list(s, &root, INO_TRASH, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "");
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"deal.txt", &other), 0);
	assert_true((other.id & ID_MASK) != id);
}

/*
 * With the writeback cache the kernel trusts an inode's size and pages:
 * a record deleted again after a restore and a change is a new inode.
 */
static void test_trash__each_deletion_is_a_new_inode(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr first, second, at;
	uint64_t id, cl;

	id = sandbox_put(s, &root, s->client.id, "note.txt", "short");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"note.txt"), 0);
	cl = trash_client(s, &root);
	assert_int_equal(dossier_archive_lookup(s->a, &root, cl, "note.txt",
						&first), 0);
	assert_int_equal(dossier_archive_rename(s->a, &root, cl, "note.txt",
						s->client.id, "note.txt", 0),
			 0);
	sandbox_put(s, &root, s->client.id, "note.txt", "a much longer text");
	usleep(2000);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"note.txt"), 0);
	cl = trash_client(s, &root);
	assert_int_equal(dossier_archive_lookup(s->a, &root, cl, "note.txt",
						&second), 0);
	assert_int_equal(TRASH_ID(second.id), id);
	assert_true(second.id != first.id);
	assert_int_equal(second.st.st_size, 18);
	/* the old inode answers no more */
	assert_int_equal(dossier_archive_getattr(s->a, &root, first.id, &at),
			 DOSSIER_ENOTFOUND);
	assert_int_equal(dossier_archive_getattr(s->a, &root, second.id, &at),
			 0);
	dossier_error_clear();
}

static void test_trash__restore_deleted_brings_folders_back(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	struct dossier_attr sub, at;
	char req[64];
	uint64_t id;

	assert_int_equal(dossier_archive_mkdir(s->a, &root, s->client.id,
					       "2024 tender", 0755, &sub), 0);
	id = sandbox_put(s, &root, sub.id & ID_MASK, "bid.txt", "bid");
	sandbox_drain(s);
	/* rm -r: the record, then the folder (soft: it holds the trash) */
	assert_int_equal(dossier_archive_unlink(s->a, &root, sub.id & ID_MASK,
						"bid.txt"), 0);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, s->client.id,
					       "2024 tender"), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"2024 tender", &at),
			 DOSSIER_ENOTFOUND);
	snprintf(req, sizeof(req), "restore-deleted\t#%" PRIu64 "\n", id);
	assert_int_equal(sandbox_control(s, &root, req, &out), 0);
	assert_non_null(strstr(out.buf, "2024 tender/bid.txt"));
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"2024 tender", &at), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, at.id, "bid.txt",
						&at), 0);
	assert_int_equal(at.id & ID_MASK, id);
	/* not in the trash any more: a second restore is refused */
	assert_int_equal(sandbox_control(s, &root, req, &out), 1);
	dossier_buf_release(&out);
}

static void test_trash__restore_revives_a_removed_year(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	struct dossier_attr at;
	char req[64];
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "x.txt", "x");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"x.txt"), 0);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, s->contracts.id,
					       "ACME Ltd"), 0);
	assert_int_equal(dossier_archive_rmdir(s->a, &root, DOSSIER_ROOT_ID,
					       "2024"), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, DOSSIER_ROOT_ID,
						"2024", &at), DOSSIER_ENOTFOUND);
	snprintf(req, sizeof(req), "restore-deleted\t#%" PRIu64 "\n", id);
	assert_int_equal(sandbox_control(s, &root, req, &out), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, DOSSIER_ROOT_ID,
						"2024", &at), 0);
	/* the year has every category again, once */
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM node WHERE "
				       "parent = ? AND kind = 2 AND "
				       "deleted_ns IS NULL",
				       (int64_t)(at.id & ID_MASK)),
			 sandbox_count(s, "SELECT count(*) FROM category "
				       "WHERE ? > 0", 1));
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->contracts.id,
						"ACME Ltd", &at), 0);
	dossier_buf_release(&out);
}

static void test_trash__hold_blocks_delete_and_purge(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	size_t n = 0;
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "evidence.txt", "keep me");
	sandbox_put(s, &root, s->client.id, "other.txt", "x");
	/* a hold on the folder covers what is in it */
	assert_int_equal(sandbox_control(s, &root, "hold\t2024/contracts/"
					 "ACME Ltd\tcase 17\n", &out), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"evidence.txt"),
			 DOSSIER_ESTRUCTURE);
	assert_non_null(strstr(dossier_error_last(), "legal hold"));
	dossier_error_clear();
	/* only disposition roles place holds */
	assert_int_equal(sandbox_control(s, &alice, "hold\t2024/contracts/"
					 "ACME Ltd/other.txt\tmine\n", &out),
			 1);
	assert_int_equal(sandbox_control(s, &root, "release\t2024/contracts/"
					 "ACME Ltd\n", &out), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"evidence.txt"), 0);
	/* a hold on the deleted record keeps it from the purge */
	assert_int_equal(sandbox_control(s, &root, "hold\t2024/contracts/"
					 "ACME Ltd/evidence.txt\tcase 18\n",
					 &out), 0);
	assert_int_equal(purge(s, dossier_clock_ns() + 31 * DAY_NS, &n), 0);
	assert_int_equal(n, 0);
	assert_true(content_exists(s, id));
	assert_int_equal(sandbox_control(s, &root, "release\t#1\n", &out), 1);
	{
		char req[64];

		snprintf(req, sizeof(req), "release\t#%" PRIu64 "\tsettled\n",
			 id);
		assert_int_equal(sandbox_control(s, &root, req, &out), 0);
	}
	assert_int_equal(purge(s, dossier_clock_ns() + 31 * DAY_NS, &n), 0);
	assert_int_equal(n, 1);
	assert_false(content_exists(s, id));
	dossier_buf_release(&out);
}

static void test_trash__purge_destroys_every_version(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	struct dossier_oid b[8], kept[8];
	size_t nb, nk, n = 0, i;
	uint64_t id, other;

	id = sandbox_put(s, &root, s->client.id, "old.txt", "version one");
	sandbox_drain(s);
	sandbox_put(s, &root, s->client.id, "old.txt", "version two");
	sandbox_drain(s);
	other = sandbox_put(s, &root, s->client.id, "keep.txt", "kept bytes");
	sandbox_drain(s);
	nb = blobs_of(s, id, b, 8);
	nk = blobs_of(s, other, kept, 8);
	assert_int_equal(nb, 2);
	assert_int_equal(nk, 1);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"old.txt"), 0);
	/* inside the trash period (a fake clock: 29 days on): nothing */
	assert_int_equal(purge(s, dossier_clock_ns() + 29 * DAY_NS, &n), 0);
	assert_int_equal(n, 0);
	assert_true(blob_present(s, &b[0]));
	/* after it */
	assert_int_equal(purge(s, dossier_clock_ns() + 31 * DAY_NS, &n), 0);
	assert_int_equal(n, 1);
	for (i = 0; i < nb; i++)
		assert_false(blob_present(s, &b[i]));
	assert_true(blob_present(s, &kept[0]));
	assert_false(content_exists(s, id));
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM node WHERE "
				       "id = ?", id), 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version "
				       "WHERE record = ?", id), 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version "
				       "WHERE record = ?", other), 1);
	assert_int_equal(sandbox_count(s, "SELECT versions FROM "
				       "destruction_register WHERE record = ?",
				       id), 2);
	/* the register is append-only */
	pthread_mutex_lock(&s->a->lock);
	assert_int_not_equal(archive_exec(s->a, "DELETE FROM "
					  "destruction_register", ""), 0);
	assert_int_not_equal(archive_exec(s->a, "UPDATE destruction_register "
					  "SET reason = 'x'", ""), 0);
	pthread_mutex_unlock(&s->a->lock);
	dossier_error_clear();
	assert_int_equal(sandbox_control(s, &root, "register\n", &out), 0);
	assert_non_null(strstr(out.buf, "2024/contracts/ACME Ltd/old.txt"));
	/* idempotent: nothing left to do */
	assert_int_equal(purge(s, dossier_clock_ns() + 31 * DAY_NS, &n), 0);
	assert_int_equal(n, 0);
	dossier_buf_release(&out);
}

/*
 * A purge that died after the record's ref was deleted but before its
 * objects went: the next purge finds no ref and still removes them.
 */
static void test_trash__purge_finishes_after_a_crash(void **state)
{
	struct sandbox *s = *state;
	struct dossier_oid b[4];
	char cmd[512];
	size_t nb, n = 0;
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "crash.txt", "crash bytes");
	sandbox_drain(s);
	nb = blobs_of(s, id, b, 4);
	assert_int_equal(nb, 1);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"crash.txt"), 0);
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "INSERT INTO trash_purging VALUES("
				      "?, 1)", "i", (int64_t)id), 0);
	pthread_mutex_unlock(&s->a->lock);
	history_git_lock(s->a->history);
	snprintf(cmd, sizeof(cmd), "git --git-dir='%s/history.git' update-ref "
		 "-d refs/records/%" PRIu64, s->path, id);
	assert_int_equal(system(cmd), 0);
	history_git_unlock(s->a->history);
	/* still loose and young: a plain pack would keep it an hour */
	assert_true(blob_present(s, &b[0]));
	/* pending records are finished whatever the clock says */
	assert_int_equal(purge(s, dossier_clock_ns(), &n), 0);
	assert_int_equal(n, 1);
	assert_false(blob_present(s, &b[0]));
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM "
				       "destruction_register WHERE record = ?",
				       id), 1);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM trash_purging",
				       0), 0);
	/* a restore of a record being purged is refused meanwhile */
}

static void test_trash__classified_needs_approval(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	char req[128];
	size_t n = 0;
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "secret-ish.txt", "conf");
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE node SET level = 1 WHERE "
				      "id = ?", "i", (int64_t)id), 0);
	pthread_mutex_unlock(&s->a->lock);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"secret-ish.txt"), 0);
	assert_int_equal(purge(s, dossier_clock_ns() + 31 * DAY_NS, &n), 0);
	assert_int_equal(n, 0);
	assert_true(content_exists(s, id));
	/* alice (sales) is no approver; an archivist (root) is */
	snprintf(req, sizeof(req), "approve-destruction\t#%" PRIu64
		 "\tretention over\n", id);
	assert_int_equal(sandbox_control(s, &alice, req, &out), 1);
	assert_int_equal(sandbox_control(s, &root, req, &out), 0);
	assert_int_equal(purge(s, dossier_clock_ns() + 31 * DAY_NS, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM "
				       "destruction_register WHERE record = ? "
				       "AND approved_by = 'root' AND reason = "
				       "'retention over' AND level = 1", id),
			 1);
	dossier_buf_release(&out);
}

/* Excel: write a temp, delete the original, rename the temp onto it. */
static void test_trash__editor_saves_leave_no_trash(void **state)
{
	struct sandbox *s = *state;
	struct dossier_attr at;
	char names[512];
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "book.xlsx", "v1");
	sandbox_drain(s);
	sandbox_put(s, &root, s->client.id, "Cedd4100", "v2");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"book.xlsx"), 0);
	assert_int_equal(dossier_archive_rename(s->a, &root, s->client.id,
						"Cedd4100", s->client.id,
						"book.xlsx", 0), 0);
	assert_int_equal(sandbox_list(s, &root, INO_TRASH, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "");
	assert_int_equal(dossier_archive_lookup(s->a, &root, s->client.id,
						"book.xlsx", &at), 0);
	assert_int_equal(at.id & ID_MASK, id);
	/* vim: rename to NAME~, create NAME, delete NAME~ */
	assert_int_equal(dossier_archive_rename(s->a, &root, s->client.id,
						"book.xlsx", s->client.id,
						"book.xlsx~", 0), 0);
	sandbox_put(s, &root, s->client.id, "book.xlsx", "v3");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"book.xlsx~"), 0);
	assert_int_equal(sandbox_list(s, &root, INO_TRASH, names,
				      sizeof(names)), 0);
	assert_string_equal(names, "");
}

static void test_trash__list_and_due(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	struct dossier_attr y, c, cl;
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "gone.txt", "g");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"gone.txt"), 0);
	assert_int_equal(sandbox_control(s, &root, "trash\n", &out), 0);
	assert_non_null(strstr(out.buf, "days\t30\n"));
	assert_non_null(strstr(out.buf, "\t30\t\troot\tinternal\t2024/"
				       "contracts/ACME Ltd/gone.txt"));
	assert_int_equal(sandbox_control(s, &root, "trash\tnobody\n", &out), 1);
	assert_int_equal(sandbox_control(s, &root, "trash\talice\n", &out), 0);
	assert_null(strstr(out.buf, "gone.txt"));
	(void)id;
	/* retention: contracts kept 5 years; a 2015 record is due */
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE category SET "
				      "retention_years = 5 WHERE name = "
				      "'contracts'", ""), 0);
	pthread_mutex_unlock(&s->a->lock);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, DOSSIER_ROOT_ID,
					       "2015", 0755, &y), 0);
	assert_int_equal(dossier_archive_lookup(s->a, &root, y.id, "contracts",
						&c), 0);
	assert_int_equal(dossier_archive_mkdir(s->a, &root, c.id, "Old Co",
					       0755, &cl), 0);
	sandbox_put(s, &root, cl.id & ID_MASK, "ancient.txt", "a");
	sandbox_put(s, &root, s->client.id, "recent.txt", "r");
	assert_int_equal(sandbox_control(s, &root, "due\n", &out), 0);
	assert_non_null(strstr(out.buf, "2015/contracts/Old Co/ancient.txt"));
	assert_null(strstr(out.buf, "recent.txt"));
	assert_int_equal(sandbox_control(s, &carol, "due\n", &out), 1);
	dossier_buf_release(&out);
}

static void test_trash__daily_purge_runs_once_a_day(void **state)
{
	struct sandbox *s = *state;
	int64_t next = 0, t = dossier_clock_ns();
	uint64_t id;

	id = sandbox_put(s, &root, s->client.id, "daily.txt", "d");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"daily.txt"), 0);
	age_deletion(s, id, 40 * DAY_NS);
	/* not at start, then once; an hour later nothing more is tried */
	trash_daily(s->a, t, &next);
	assert_true(content_exists(s, id));
	trash_daily(s->a, next, &next);
	assert_false(content_exists(s, id));
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM "
				       "destruction_register WHERE record = ? "
				       "AND destroyed_by = 'dossierfs (daily "
				       "purge)'", id), 1);
	id = sandbox_put(s, &root, s->client.id, "daily2.txt", "d");
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"daily2.txt"), 0);
	age_deletion(s, id, 40 * DAY_NS);
	trash_daily(s->a, next, &next);
	assert_true(content_exists(s, id));
	trash_daily(s->a, t + DAY_NS + 2 * 3600LL * 1000000000, &next);
	assert_false(content_exists(s, id));
}

/*
 * Run "req<name>tail" as who, then with other for name: the same status
 * and reply, the name itself aside.
 */
static void same_answer(struct sandbox *s, const struct dossier_caller *who,
			const char *req, const char *tail, const char *name,
			const char *other)
{
	struct dossier_buf a = DOSSIER_BUF_INIT, b = DOSSIER_BUF_INIT;
	char line[512], *p;
	int sa, sb;

	assert_int_equal(strlen(name), strlen(other));
	snprintf(line, sizeof(line), "%s%s%s", req, name, tail);
	sa = sandbox_control(s, who, line, &a);
	snprintf(line, sizeof(line), "%s%s%s", req, other, tail);
	sb = sandbox_control(s, who, line, &b);
	/* the reply may echo the path: compare with the names swapped */
	while ((p = strstr(b.buf, other)))
		memcpy(p, name, strlen(name));
	assert_int_equal(sa, sb);
	assert_string_equal(a.buf, b.buf);
	dossier_buf_release(&a);
	dossier_buf_release(&b);
}

static void test_trash__control_refuses_unmapped_accounts(void **state)
{
	static const char *const reqs[] = {
		"users\n", "policy\n", "grants\n", "trash\n", "due\n",
		"register\n", "sync\n", "revoke\t1\n",
		"log\t2024/contracts/ACME Ltd/a.txt\n",
		"explain\t2024/contracts/ACME Ltd/a.txt\n",
		"trash\talice\n", "audit\n",
	};
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	size_t i;

	sandbox_put(s, &alice, s->client.id, "a.txt", "a");
	sandbox_drain(s);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		dossier_buf_release(&out);
		assert_int_equal(sandbox_control(s, &mallory, reqs[i], &out),
				 1);
		assert_string_equal(out.buf, "1\tyou are not a user of this "
					     "archive: an unmapped account "
					     "gets nothing\n");
	}
	/* its own uid it knows anyway */
	dossier_buf_release(&out);
	assert_int_equal(sandbox_control(s, &mallory, "whoami\n", &out), 0);
	/* mapped accounts still get their answers */
	dossier_buf_release(&out);
	assert_int_equal(sandbox_control(s, &carol, "users\n", &out), 0);
	assert_non_null(strstr(out.buf, "alice"));
	dossier_buf_release(&out);
}

static void test_trash__hidden_paths_answer_as_absent(void **state)
{
	static const char *const reqs[][2] = {
		{ "log\t2024/contracts/ACME Ltd/", "\n" },
		{ "explain\t2024/contracts/ACME Ltd/", "\n" },
		{ "explain\t2024/contracts/ACME Ltd/", "\tcarol\n" },
		{ "restore\t2024/contracts/ACME Ltd/", "\tabcd\tx\n" },
		{ "grant\t2024/contracts/ACME Ltd/", "\tcarol\tr\t60\tx\n" },
		{ "restore-deleted\t2024/contracts/ACME Ltd/", "\n" },
		{ "log\t2024/contracts/ACME Ltd/", "/deeper\n" },
	};
	struct sandbox *s = *state;
	uint64_t id;
	size_t i;

	id = sandbox_put(s, &root, s->client.id, "sec.txt", "s");
	sandbox_put(s, &root, s->client.id, "gone.txt", "g");
	sandbox_drain(s);
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE node SET level = 2 WHERE "
				      "id = ?", "i", (int64_t)id), 0);
	archive_changed(s->a);
	pthread_mutex_unlock(&s->a->lock);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"gone.txt"), 0);
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE node SET level = 2 WHERE "
				      "name = 'gone.txt'", ""), 0);
	archive_changed(s->a);
	pthread_mutex_unlock(&s->a->lock);
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		same_answer(s, &alice, reqs[i][0], reqs[i][1], "sec.txt",
			    "not.txt");
		same_answer(s, &alice, reqs[i][0], reqs[i][1], "gone.txt",
			    "none.txt");
	}
}

/*
 * A hidden live record does not stand in front of a deleted one of the
 * same name that the caller may list: its history still answers.
 */
static void test_trash__hidden_live_name_keeps_deleted_history(void **state)
{
	struct sandbox *s = *state;
	struct dossier_buf out = DOSSIER_BUF_INIT;
	const char *req = "log\t2024/contracts/ACME Ltd/twin.txt\n";
	uint64_t old, id;

	old = sandbox_put(s, &alice, s->client.id, "twin.txt", "alice's");
	sandbox_drain(s);
	assert_int_equal(dossier_archive_unlink(s->a, &alice, s->client.id,
						"twin.txt"), 0);
	sandbox_drain(s);
	assert_int_equal(sandbox_control(s, &alice, req, &out), 0);
	assert_non_null(strstr(out.buf, "\tdelete\t"));
	/* an hour later a secret record takes the name */
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE node SET deleted_ns = "
				      "deleted_ns - 3600000000000 WHERE id = ?",
				      "i", (int64_t)old), 0);
	pthread_mutex_unlock(&s->a->lock);
	id = sandbox_put(s, &root, s->client.id, "twin.txt", "secret");
	assert_int_not_equal(id, old);
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(archive_exec(s->a, "UPDATE node SET level = 2 WHERE "
				      "id = ?", "i", (int64_t)id), 0);
	archive_changed(s->a);
	pthread_mutex_unlock(&s->a->lock);
	sandbox_drain(s);
	dossier_buf_release(&out);
	assert_int_equal(sandbox_control(s, &alice, req, &out), 0);
	assert_non_null(strstr(out.buf, "\tdelete\t"));
	assert_null(strstr(out.buf, "\troot\t"));
	dossier_buf_release(&out);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, \
						  sandbox_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_trash__delete_shows_under_original_path),
		T(test_trash__only_listable_records_show),
		T(test_trash__colliding_names_get_stable_suffixes),
		T(test_trash__rename_out_restores_record),
		T(test_trash__each_deletion_is_a_new_inode),
		T(test_trash__restore_deleted_brings_folders_back),
		T(test_trash__restore_revives_a_removed_year),
		T(test_trash__hold_blocks_delete_and_purge),
		T(test_trash__purge_destroys_every_version),
		T(test_trash__purge_finishes_after_a_crash),
		T(test_trash__classified_needs_approval),
		T(test_trash__editor_saves_leave_no_trash),
		T(test_trash__list_and_due),
		T(test_trash__daily_purge_runs_once_a_day),
		T(test_trash__control_refuses_unmapped_accounts),
		T(test_trash__hidden_paths_answer_as_absent),
		T(test_trash__hidden_live_name_keeps_deleted_history),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
