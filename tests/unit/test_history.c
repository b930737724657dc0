#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "archive.h"
#include "archive_i.h"
#include "buf.h"
#include "error.h"
#include "gitstore.h"
#include "history_i.h"
#include "sandbox.h"

/*
 * Deferred snapshots: a large save is not copied at close; the committer
 * hashes the content inode, and whatever changes that inode first copies
 * it into the journal row. Every saved version must keep its exact bytes.
 */

#define BIG (HISTORY_INLINE_MAX * 3 + 17)

static int setup(void **state)
{
	return sandbox_setup(state, DOSSIER_ARCHIVE_OPEN_SERVE, &root, NULL);
}

/* len bytes of pattern seed (each differs from the others everywhere). */
static char *pattern(size_t len, unsigned seed)
{
	char *p = malloc(len);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (char)((i * 31 + seed * 7 + i / 4096) & 0xff);
	return p;
}

/* Write text at off through f as the driver does (check first). */
static void put_at(struct sandbox *s, struct dossier_file *f, const char *buf,
		   size_t len, off_t off)
{
	assert_int_equal(dossier_file_check(s->a, f, 1), 0);
	assert_int_equal(pwrite(dossier_file_fd(f), buf, len, off),
			 (ssize_t)len);
	dossier_file_mark_written(f);
}

static struct dossier_file *create(struct sandbox *s, const char *name,
				   uint64_t *id)
{
	struct dossier_file *f = NULL;
	struct dossier_attr at;

	assert_int_equal(dossier_archive_create_file(s->a, &root, s->client.id,
						     name, 0644, O_RDWR, &at,
						     &f), 0);
	*id = at.id & ID_MASK;
	return f;
}

static struct dossier_file *open_rec(struct sandbox *s, uint64_t id,
				     int flags)
{
	struct dossier_file *f = NULL;
	struct dossier_open_info info;

	assert_int_equal(dossier_archive_open_file(s->a, &root, id, flags, &f,
						   &info), 0);
	return f;
}

/* Files in the archive's spool. */
static int spooled(struct sandbox *s)
{
	char cmd[256];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s/spool' | wc -l", s->path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

/* Version k (0: oldest) of record id has exactly buf's len bytes. */
static void assert_version(struct sandbox *s, uint64_t id, int k,
			   const char *buf, size_t len)
{
	struct dossier_history *h = s->a->history;
	struct dossier_oid blob;
	sqlite3_stmt *st = NULL;
	char tmp[] = "/tmp/dossier-unit-blob.XXXXXX", *got;
	int fd, found = 0;

	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(sqlite3_prepare_v2(s->a->db, "SELECT blob FROM "
					    "version WHERE record = ?1 AND "
					    "blob IS NOT NULL ORDER BY id "
					    "LIMIT 1 OFFSET ?2", -1, &st,
					    NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int(st, 2, k);
	if (sqlite3_step(st) == SQLITE_ROW) {
		assert_int_equal(dossier_oid_parse(&blob, (const char *)
						   sqlite3_column_text(st, 0)),
				 0);
		found = 1;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->a->lock);
	assert_true(found);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	unlink(tmp);
	history_git_lock(h);
	assert_int_equal(dossier_git_blob_to_fd(history_git(h), &blob, fd), 0);
	history_git_unlock(h);
	assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)len);
	got = malloc(len ? len : 1);
	assert_non_null(got);
	assert_int_equal(pread(fd, got, len, 0), (ssize_t)len);
	assert_memory_equal(got, buf, len);
	free(got);
	close(fd);
}

/* A large save copies nothing at close; its version has its bytes. */
static void test_history__large_save_is_deferred(void **state)
{
	struct sandbox *s = *state;
	char *a = pattern(BIG, 1);
	struct dossier_file *f;
	uint64_t id;

	f = create(s, "scan.pdf", &id);
	put_at(s, f, a, BIG, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	assert_int_equal(spooled(s), 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal "
				       "WHERE record = ?1 AND live IS NOT "
				       "NULL", (int64_t)id), 1);
	assert_true(history_live_any(s->a->history));
	sandbox_drain(s);
	assert_false(history_live_any(s->a->history));
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal", 0),
			 0);
	assert_version(s, id, 0, a, BIG);
	free(a);
}

/* A write in place right after a save: the save keeps its bytes. */
static void test_history__write_after_save_keeps_version(void **state)
{
	struct sandbox *s = *state;
	char *a = pattern(BIG, 1), *b = pattern(4096, 2), *ab;
	struct dossier_file *f;
	uint64_t id;

	f = create(s, "scan.pdf", &id);
	put_at(s, f, a, BIG, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	f = open_rec(s, id, O_RDWR);
	put_at(s, f, b, 4096, 8192);
	/* the first write copied the saved version into its row */
	assert_false(history_live_any(s->a->history));
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal "
				       "WHERE record = ?1 AND spool IS NOT "
				       "NULL", (int64_t)id), 1);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	sandbox_drain(s);
	ab = pattern(BIG, 1);
	memcpy(ab + 8192, b, 4096);
	assert_version(s, id, 0, a, BIG);
	assert_version(s, id, 1, ab, BIG);
	assert_int_equal(spooled(s), 0);
	free(a);
	free(b);
	free(ab);
}

/* Opening with O_TRUNC and truncating by setattr copy it first too. */
static void test_history__truncate_after_save_keeps_version(void **state)
{
	struct sandbox *s = *state;
	char *a = pattern(BIG, 1), *c = pattern(BIG - 5, 3);
	struct dossier_file *f;
	struct dossier_attr at;
	struct stat st;
	uint64_t id;

	f = create(s, "scan.pdf", &id);
	put_at(s, f, a, BIG, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	f = open_rec(s, id, O_WRONLY | O_TRUNC);
	put_at(s, f, c, BIG - 5, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	/* O_RDONLY|O_TRUNC truncates as well (Linux allows it) */
	f = open_rec(s, id, O_RDONLY | O_TRUNC);
	assert_int_equal(lseek(dossier_file_fd(f), 0, SEEK_END), 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	f = open_rec(s, id, O_WRONLY);
	put_at(s, f, c, BIG - 5, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	memset(&st, 0, sizeof(st));
	st.st_size = 100;
	assert_int_equal(dossier_archive_setattr(s->a, &root, id, NULL, &st,
						 DOSSIER_SET_SIZE, &at), 0);
	sandbox_drain(s);
	assert_version(s, id, 0, a, BIG);
	assert_version(s, id, 1, c, BIG - 5);
	free(a);
	free(c);
}

/* A save by rename onto the record right after a save of it. */
static void test_history__rename_onto_after_save(void **state)
{
	struct sandbox *s = *state;
	char *a = pattern(BIG, 1), *d = pattern(BIG + 99, 4);
	struct dossier_file *f;
	uint64_t id, tmp;

	f = create(s, "scan.pdf", &id);
	put_at(s, f, a, BIG, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	sandbox_drain(s);
	f = open_rec(s, id, O_RDWR);
	put_at(s, f, d, 4096, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	f = create(s, "lu1234.tmp", &tmp);
	put_at(s, f, d, BIG + 99, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	assert_int_equal(dossier_archive_rename(s->a, &root, s->client.id,
						"lu1234.tmp", s->client.id,
						"scan.pdf", 0), 0);
	sandbox_drain(s);
	memcpy(a, d, 4096);
	assert_version(s, id, 1, a, BIG);
	assert_version(s, id, 2, d, BIG + 99);
	assert_int_equal(spooled(s), 0);
	free(a);
	free(d);
}

/*
 * Delete a record right after a large save and create it again (an
 * editor's delete-and-write): the record comes back with new content in
 * a new inode; the save waiting on the old one keeps its bytes.
 */
static void test_history__recreate_after_save_keeps_version(void **state)
{
	struct sandbox *s = *state;
	char *a = pattern(BIG, 1), *b = pattern(BIG + 3, 5);
	struct dossier_file *f;
	uint64_t id, again;

	f = create(s, "scan.pdf", &id);
	put_at(s, f, a, BIG, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"scan.pdf"), 0);
	f = create(s, "scan.pdf", &again);
	assert_int_equal(again, id);	/* revived, not a new record */
	put_at(s, f, b, BIG + 3, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	sandbox_drain(s);
	assert_version(s, id, 0, a, BIG);
	assert_version(s, id, 1, b, BIG + 3);
	assert_int_equal(spooled(s), 0);
	free(a);
	free(b);
}

/* Saves of one record in a row: each entry of it begins a new batch. */
enum { CHAIN_SAVES = 20 };
static uint64_t chain_id;

static int chain_saves(void *arg)
{
	struct sandbox *s = arg;
	struct dossier_file *f = create(s, "chain.txt", &chain_id);
	char text[32];
	int i;

	for (i = 0; i < CHAIN_SAVES; i++) {
		if (i)
			f = open_rec(s, chain_id, O_RDWR | O_TRUNC);
		snprintf(text, sizeof(text), "version %d\n", i);
		put_at(s, f, text, strlen(text), 0);
		assert_int_equal(dossier_file_release(s->a, f), 0);
	}
	return 0;
}

/*
 * Refs move every few batches, not after each: a batch builds on the
 * tips the index noted but did not move yet. Twenty saves of one record
 * committed in one drain (twenty batches, refs moved three times) are
 * one chain of twenty commits, oldest last, each a version's, and the
 * record's ref names the newest.
 */
static void test_history__batches_build_on_unmoved_refs(void **state)
{
	struct sandbox *s = *state;
	char gitdir[PATH_MAX], ref[64], rec[CHAIN_SAVES][41], hex[41];
	git_repository *repo = NULL;
	git_commit *c = NULL, *parent;
	sqlite3_stmt *st = NULL;
	git_oid id;
	int n = 0, k;

	assert_int_equal(history_quiesce(s->a->history, chain_saves, s), 0);
	sandbox_drain(s);
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(sqlite3_prepare_v2(s->a->db, "SELECT rec_commit FROM "
					    "version WHERE record = ?1 AND "
					    "blob IS NOT NULL ORDER BY id",
					    -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)chain_id);
	while (n < CHAIN_SAVES && sqlite3_step(st) == SQLITE_ROW)
		snprintf(rec[n++], 41, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->a->lock);
	assert_int_equal(n, CHAIN_SAVES);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM ref_pending",
				       0), 0);

	git_libgit2_init();
	snprintf(gitdir, sizeof(gitdir), "%s/history.git", s->path);
	snprintf(ref, sizeof(ref), "refs/records/%" PRIu64, chain_id);
	assert_int_equal(git_repository_open(&repo, gitdir), 0);
	assert_int_equal(git_reference_name_to_id(&id, repo, ref), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
	for (k = n - 1; c; k--) {
		assert_true(k >= 0);
		assert_string_equal(git_oid_tostr(hex, sizeof(hex),
						  git_commit_id(c)), rec[k]);
		parent = NULL;
		if (git_commit_parentcount(c))
			assert_int_equal(git_commit_parent(&parent, c, 0), 0);
		git_commit_free(c);
		c = parent;
	}
	assert_int_equal(k, -1);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

/* Four records saved once each, in this order, with the committer idle. */
static uint64_t four_ids[4];

static int four_saves(void *arg)
{
	static const char *names[4] = { "a.txt", "b.txt", "x.txt", "c.txt" };
	struct sandbox *s = arg;
	struct dossier_file *f;
	int i;

	for (i = 0; i < 4; i++) {
		f = create(s, names[i], &four_ids[i]);
		put_at(s, f, names[i], strlen(names[i]), 0);
		assert_int_equal(dossier_file_release(s->a, f), 0);
	}
	return 0;
}

static void catalog_exec(struct sandbox *s, const char *sql)
{
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(sqlite3_exec(s->a->db, sql, NULL, NULL, NULL),
			 SQLITE_OK);
	pthread_mutex_unlock(&s->a->lock);
}

/*
 * A batch's commits are indexed many to a transaction. When one of them
 * cannot be indexed, those before it still are, and it stays in the
 * journal with those after it, to be committed by a later drain.
 */
static void test_history__one_unindexable_commit_holds_back_only_the_rest(
	void **state)
{
	struct sandbox *s = *state;
	char sql[256];
	int i;

	assert_int_equal(history_quiesce(s->a->history, four_saves, s), 0);
	snprintf(sql, sizeof(sql), "CREATE TEMP TRIGGER refuse_x BEFORE "
		 "INSERT ON version WHEN NEW.record = %" PRIu64 " BEGIN "
		 "SELECT RAISE(ABORT, 'refused by the test'); END",
		 four_ids[2]);
	catalog_exec(s, sql);
	assert_true(history_drain(s->a->history, 1) < 0);
	dossier_error_clear();
	for (i = 0; i < 4; i++)
		assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version "
					       "WHERE record = ?1",
					       (int64_t)four_ids[i]),
				 i < 2 ? 1 : 0);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal", 0),
			 2);
	catalog_exec(s, "DROP TRIGGER refuse_x");
	sandbox_drain(s);
	for (i = 0; i < 4; i++) {
		assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version "
					       "WHERE record = ?1",
					       (int64_t)four_ids[i]), 1);
		assert_version(s, four_ids[i], 0, i == 2 ? "x.txt" :
			       i == 3 ? "c.txt" : i ? "b.txt" : "a.txt", 5);
	}
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal", 0),
			 0);
}

/* The text of column 0 of sql's first row (id bound as ?1), or "". */
static void catalog_text(struct sandbox *s, const char *sql, int64_t id,
			 char *out, size_t outsz)
{
	sqlite3_stmt *st = NULL;

	out[0] = '\0';
	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(sqlite3_prepare_v2(s->a->db, sql, -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, outsz, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->a->lock);
}

#define LAST_OF "FROM version WHERE record = ?1 ORDER BY id DESC LIMIT 1"

/*
 * What main's commit (hex) holds at the path of record's last version,
 * into out (a record commit's hex; "" if nothing).
 */
static void main_holds(struct sandbox *s, const char *commit,
		       uint64_t record, char *out)
{
	char gitdir[PATH_MAX], path[PATH_MAX];
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid id;

	catalog_text(s, "SELECT path " LAST_OF, (int64_t)record, path,
		     sizeof(path));
	out[0] = '\0';
	git_libgit2_init();
	snprintf(gitdir, sizeof(gitdir), "%s/history.git", s->path);
	assert_int_equal(git_repository_open(&repo, gitdir), 0);
	assert_int_equal(git_oid_fromstr(&id, commit), 0);
	assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
	assert_int_equal(git_commit_tree(&tree, c), 0);
	if (git_tree_entry_bypath(&e, tree, path) == 0) {
		assert_int_equal(git_tree_entry_filemode(e),
				 GIT_FILEMODE_COMMIT);
		git_oid_tostr(out, 41, git_tree_entry_id(e));
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(repo);
	git_libgit2_shutdown();
}

/* The first four records' next changes, and a new record, together. */
static uint64_t newcomer_id;

static int four_changes(void *arg)
{
	struct sandbox *s = arg;
	struct dossier_file *f;

	/* a.txt moves away and a new record takes its name */
	assert_int_equal(dossier_archive_rename(s->a, &root, s->client.id,
						"a.txt", s->client.id,
						"z.txt", 0), 0);
	f = create(s, "a.txt", &newcomer_id);
	put_at(s, f, "new\n", 4, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	assert_int_equal(dossier_archive_unlink(s->a, &root, s->client.id,
						"b.txt"), 0);
	f = open_rec(s, four_ids[2], O_RDWR | O_TRUNC);
	put_at(s, f, "x2\n", 3, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	return 0;
}

/*
 * A batch of changes of several records is one commit of main; each
 * change is a commit of its own record (renames and deletes too), with
 * its author and message. A name one record leaves and another takes in
 * the same batch is the newcomer's in main.
 */
static void test_history__a_batch_is_one_commit_of_main(void **state)
{
	struct sandbox *s = *state;
	char commit[41], rec[41], prev[41], held[41];
	char msg[64];
	int i;

	assert_int_equal(history_quiesce(s->a->history, four_saves, s), 0);
	sandbox_drain(s);
	assert_int_equal(sandbox_count(s, "SELECT count(DISTINCT commit_oid) "
				       "FROM version", 0), 1);
	assert_int_equal(sandbox_count(s, "SELECT count(DISTINCT rec_commit) "
				       "FROM version", 0), 4);

	assert_int_equal(history_quiesce(s->a->history, four_changes, s), 0);
	sandbox_drain(s);
	/* one commit of main for the four changes, none shared before */
	assert_int_equal(sandbox_count(s, "SELECT count(DISTINCT commit_oid) "
				       "FROM version", 0), 2);
	catalog_text(s, "SELECT commit_oid " LAST_OF, (int64_t)newcomer_id,
		     commit, sizeof(commit));
	for (i = 0; i < 3; i++) {
		char other[41];

		catalog_text(s, "SELECT commit_oid " LAST_OF,
			     (int64_t)four_ids[i], other, sizeof(other));
		assert_string_equal(other, commit);
	}
	/* the rename is a commit of its record, on top of its first */
	catalog_text(s, "SELECT op " LAST_OF, (int64_t)four_ids[0], msg,
		     sizeof(msg));
	assert_string_equal(msg, "rename");
	catalog_text(s, "SELECT rec_commit " LAST_OF, (int64_t)four_ids[0],
		     rec, sizeof(rec));
	catalog_text(s, "SELECT rec_commit FROM version WHERE record = ?1 "
		     "ORDER BY id LIMIT 1", (int64_t)four_ids[0], prev,
		     sizeof(prev));
	assert_int_equal(strlen(rec), 40);
	assert_string_not_equal(rec, prev);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version WHERE "
				       "record = ?1 AND blob IS NULL AND "
				       "rec_commit IS NOT NULL",
				       (int64_t)four_ids[0]), 1);
	main_holds(s, commit, four_ids[0], held);
	assert_string_equal(held, rec);
	/* its old name is the newcomer's */
	catalog_text(s, "SELECT rec_commit " LAST_OF, (int64_t)newcomer_id,
		     rec, sizeof(rec));
	main_holds(s, commit, newcomer_id, held);
	assert_string_equal(held, rec);
	/* the deleted record: a commit of its own, out of main */
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version WHERE "
				       "record = ?1 AND op = 'delete' AND "
				       "rec_commit IS NOT NULL",
				       (int64_t)four_ids[1]), 1);
	main_holds(s, commit, four_ids[1], held);
	assert_string_equal(held, "");
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal", 0),
			 0);
}

static uint64_t one_id;

static int one_save(void *arg)
{
	struct sandbox *s = arg;
	struct dossier_file *f = create(s, "one.txt", &one_id);

	put_at(s, f, "one\n", 4, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	f = open_rec(s, one_id, O_RDWR | O_TRUNC);
	put_at(s, f, "two\n", 4, 0);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	return 0;
}

/*
 * A drain of everything (sync, log, purge) commits what was journaled
 * when it began, not what is saved while it runs: under steady writers
 * it would never end. Here each version indexed journals a new entry
 * (a test trigger, standing for a writer). Two saves of one record are
 * two batches, so the first one's new entry is journaled while the
 * drain still runs; the drain commits the two saves and leaves both
 * entries made meanwhile to the next drain.
 */
static void test_history__drain_all_ends_at_what_was_there(void **state)
{
	struct sandbox *s = *state;

	assert_int_equal(history_quiesce(s->a->history, one_save, s), 0);
	catalog_exec(s, "CREATE TEMP TRIGGER more AFTER INSERT ON version "
		     "WHEN (SELECT count(*) FROM version WHERE record = "
		     "NEW.record) < 5 BEGIN "
		     "INSERT INTO journal(record, op, path, author_uid, "
		     "time_ns, due_ns, data) VALUES(NEW.record, 'save', "
		     "NEW.path, 0, NEW.time_ns + 1, 0, "
		     "CAST('v' || (SELECT count(*) FROM version WHERE record = "
		     "NEW.record) || X'0a' AS BLOB)); END");
	sandbox_drain(s);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM version WHERE "
				       "record = ?1", (int64_t)one_id), 2);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal", 0),
			 2);
	catalog_exec(s, "DROP TRIGGER more");
	sandbox_drain(s);
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal", 0),
			 0);
	assert_version(s, one_id, 0, "one\n", 4);
	assert_version(s, one_id, 1, "two\n", 4);
	assert_version(s, one_id, 2, "v1\n", 3);
	assert_version(s, one_id, 3, "v2\n", 3);
}

enum { BEYOND_N = HISTORY_LIVE_MAX + 8 };
static uint64_t beyond_ids[BEYOND_N];

/* The saves of the test below, with the committer kept idle: under load
 * making them takes longer than the commit window. */
static int beyond_saves(void *arg)
{
	struct sandbox *s = arg;
	char name[32], *p;
	struct dossier_file *f;
	int i;

	for (i = 0; i < BEYOND_N; i++) {
		snprintf(name, sizeof(name), "scan-%03d.pdf", i);
		p = pattern(HISTORY_INLINE_MAX + 1 + i, (unsigned)i);
		f = create(s, name, &beyond_ids[i]);
		put_at(s, f, p, HISTORY_INLINE_MAX + 1 + (size_t)i, 0);
		assert_int_equal(dossier_file_release(s->a, f), 0);
		free(p);
	}
	assert_int_equal(sandbox_count(s, "SELECT count(*) FROM journal "
				       "WHERE live IS NOT NULL", 0),
			 HISTORY_LIVE_MAX);
	assert_int_equal(spooled(s), BEYOND_N - HISTORY_LIVE_MAX);
	return 0;
}

/* More large saves than may wait at once: the rest are copied. */
static void test_history__beyond_the_limit_saves_copy(void **state)
{
	struct sandbox *s = *state;
	enum { N = BEYOND_N };
	uint64_t *ids = beyond_ids;
	char *p;
	int i;

	assert_int_equal(history_quiesce(s->a->history, beyond_saves, s), 0);
	sandbox_drain(s);
	for (i = 0; i < N; i += 37) {
		p = pattern(HISTORY_INLINE_MAX + 1 + i, (unsigned)i);
		assert_version(s, ids[i], 0, p, HISTORY_INLINE_MAX + 1 +
			       (size_t)i);
		free(p);
	}
	assert_false(history_live_any(s->a->history));
	assert_int_equal(spooled(s), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, \
						  sandbox_teardown)
	const struct CMUnitTest tests[] = {
		T(test_history__large_save_is_deferred),
		T(test_history__write_after_save_keeps_version),
		T(test_history__truncate_after_save_keeps_version),
		T(test_history__rename_onto_after_save),
		T(test_history__a_batch_is_one_commit_of_main),
		T(test_history__recreate_after_save_keeps_version),
		T(test_history__beyond_the_limit_saves_copy),
		T(test_history__batches_build_on_unmoved_refs),
		T(test_history__one_unindexable_commit_holds_back_only_the_rest),
		T(test_history__drain_all_ends_at_what_was_there),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
