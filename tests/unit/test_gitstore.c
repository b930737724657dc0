#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * libgit2 is used directly only to check the store from outside, through
 * a handle of its own, and to pin down libgit2 behaviour gitstore.c
 * relies on.
 */
#include <git2.h>

#include "error.h"
#include "gitstore.h"
#include "sandbox.h"

#define GIT_CLI "/usr/bin/git"
#define MIB (1024 * 1024)

struct fixture {
	char dir[64];
	char repo[128];
	struct dossier_git *git;
};

static const struct dossier_git_sig sig = { "张三", "zhangsan@example.com",
					    1700000000 };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (sandbox_tmpdir(f->dir, sizeof(f->dir)) < 0)
		return -1;
	snprintf(f->repo, sizeof(f->repo), "%s/history.git", f->dir);
	if (dossier_git_open(&f->git, f->repo, 1) < 0) {
		fprintf(stderr, "open: %s\n", dossier_error_last());
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dossier_git_free(f->git);
	sandbox_rmtree(f->dir);
	free(f);
	dossier_error_clear();
	return 0;
}

/* xorshift64*: incompressible for zlib, reproducible from the seed */
static void fill_random(unsigned char *buf, size_t len, uint64_t *seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		*seed ^= *seed >> 12;
		*seed ^= *seed << 25;
		*seed ^= *seed >> 27;
		buf[i] = (unsigned char)((*seed * 0x2545F4914F6CDD1DULL) >>
					 56);
	}
}

static int tmp_fd(struct fixture *f)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/tmp.XXXXXX", f->dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void write_fd(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
}

static void store(struct fixture *f, const void *data, size_t len,
		  struct dossier_oid *out)
{
	uint64_t size = 0;
	int fd = tmp_fd(f);

	write_fd(fd, data, len);
	if (dossier_git_blob_from_fd(f->git, fd, out, &size) < 0)
		fail_msg("blob_from_fd: %s", dossier_error_last());
	assert_int_equal(size, len);
	close(fd);
}

static void assert_blob(struct fixture *f, const struct dossier_oid *blob,
			const void *data, size_t len)
{
	uint64_t size = 0;
	unsigned char *buf = malloc(len + 1);
	int fd = tmp_fd(f);
	struct stat st;

	assert_non_null(buf);
	assert_int_equal(dossier_git_blob_size(f->git, blob, &size), 0);
	assert_int_equal(size, len);
	assert_int_equal(dossier_git_blob_to_fd(f->git, blob, fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, len);
	assert_int_equal(pread(fd, buf, len + 1, 0), (ssize_t)len);
	assert_memory_equal(buf, data, len);
	free(buf);
	close(fd);
}

static void version(struct fixture *f, uint64_t id, const void *data,
		    size_t len, struct dossier_oid *rec)
{
	struct dossier_oid blob, got;

	store(f, data, len, &blob);
	assert_int_equal(dossier_git_record_version(f->git, id, &blob, &sig,
						    "edit", rec), 0);
	assert_int_equal(dossier_git_record_blob(f->git, rec, &got), 0);
	assert_true(dossier_oid_equal(&got, &blob));
}

static void set1(struct fixture *f, const char *path,
		 const struct dossier_oid *target, struct dossier_oid *out)
{
	struct dossier_git_change c = { path, target };
	int rc = dossier_git_commit(f->git, &c, 1, &sig, "change\n", out);

	if (rc < 0)
		fprintf(stderr, "commit '%s': %s\n", path,
			dossier_error_last());
	assert_int_equal(rc, 0);
}

static void assert_lookup(struct fixture *f, const struct dossier_oid *commit,
			  const char *path, const struct dossier_oid *want)
{
	struct dossier_oid got;

	assert_int_equal(dossier_git_lookup(f->git, commit, path, &got), 0);
	assert_true(dossier_oid_equal(&got, want));
}

static void assert_absent(struct fixture *f, const struct dossier_oid *commit,
			  const char *path)
{
	struct dossier_oid got;

	assert_int_equal(dossier_git_lookup(f->git, commit, path, &got),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
}

/*
 * git fsck --strict must pass and say nothing but notices (an empty
 * repository gets "HEAD points to an unborn branch"); skipped without a
 * git binary.
 */
static void assert_fsck(struct fixture *f)
{
	char cmd[512], line[512], out[4096] = "";
	FILE *p;
	int status;

	if (access(GIT_CLI, X_OK) != 0) {
		fprintf(stderr, "note: %s absent, fsck check skipped\n",
			GIT_CLI);
		return;
	}
	snprintf(cmd, sizeof(cmd),
		 "GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent " GIT_CLI
		 " --git-dir='%s' fsck --strict --no-dangling --no-progress"
		 " 2>&1", f->repo);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (strncmp(line, "notice:", 7) != 0)
			strncat(out, line, sizeof(out) - strlen(out) - 1);
	status = pclose(p);
	if (status != 0 || out[0])
		fprintf(stderr, "git fsck:\n%s\n", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "");
}

/* An independent libgit2 handle on the fixture's repository. */
static git_repository *raw_open(struct fixture *f)
{
	git_repository *repo = NULL;

	git_libgit2_init();
	assert_int_equal(git_repository_open_bare(&repo, f->repo), 0);
	return repo;
}

static void raw_close(git_repository *repo)
{
	git_repository_free(repo);
	git_libgit2_shutdown();
}

static int raw_exists(struct fixture *f, const struct dossier_oid *oid)
{
	git_repository *repo = raw_open(f);
	git_odb *odb = NULL;
	git_oid id;
	int r;

	memcpy(id.id, oid->id, sizeof(oid->id));
	assert_int_equal(git_repository_odb(&odb, repo), 0);
	r = git_odb_exists(odb, &id);
	git_odb_free(odb);
	raw_close(repo);
	return r;
}

/* The tree id at path (a folder) in commit, via libgit2. */
static void raw_tree_at(struct fixture *f, const struct dossier_oid *commit,
			const char *path, git_oid *out)
{
	git_repository *repo = raw_open(f);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid id;

	memcpy(id.id, commit->id, sizeof(commit->id));
	assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
	assert_int_equal(git_commit_tree(&tree, c), 0);
	if (!*path) {
		git_oid_cpy(out, git_tree_id(tree));
	} else {
		assert_int_equal(git_tree_entry_bypath(&e, tree, path), 0);
		assert_int_equal(git_tree_entry_filemode(e), GIT_FILEMODE_TREE);
		git_oid_cpy(out, git_tree_entry_id(e));
	}
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	raw_close(repo);
}

static size_t count_packs(struct fixture *f)
{
	char path[192];
	struct dirent *de;
	size_t n = 0, len;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/objects/pack", f->repo);
	dir = opendir(path);
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".pack") == 0)
			n++;
	}
	closedir(dir);
	return n;
}

/* Is needle anywhere in any file under dir (raw bytes)? */
static const unsigned char *grep_needle;
static size_t grep_len;
static int grep_hits;

static int grep_cb(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	unsigned char *buf;
	size_t i;
	int fd;

	(void)ftw;
	if (flag != FTW_F || (size_t)st->st_size < grep_len)
		return 0;
	buf = malloc((size_t)st->st_size);
	assert_non_null(buf);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, (size_t)st->st_size, 0), st->st_size);
	close(fd);
	for (i = 0; i + grep_len <= (size_t)st->st_size; i++)
		if (buf[i] == grep_needle[0] &&
		    memcmp(buf + i, grep_needle, grep_len) == 0)
			grep_hits++;
	free(buf);
	return 0;
}

static int grep_repo(struct fixture *f, const unsigned char *needle,
		     size_t len)
{
	grep_needle = needle;
	grep_len = len;
	grep_hits = 0;
	assert_int_equal(nftw(f->repo, grep_cb, 16, FTW_PHYS), 0);
	return grep_hits;
}

static void test_gitstore__oid_fmt_parse(void **state)
{
	struct dossier_oid a, b;
	char hex[41];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(a.id); i++)
		a.id[i] = (unsigned char)(i * 13 + 7);
	dossier_oid_fmt(hex, &a);
	assert_int_equal(strlen(hex), 40);
	assert_string_equal(hex, "0714212e3b4855626f7c8996a3b0bdcad7e4f1fe");
	assert_int_equal(dossier_oid_parse(&b, hex), 0);
	assert_true(dossier_oid_equal(&a, &b));
	assert_int_equal(dossier_oid_parse(&b, "0714212E3B4855626F7C8996A3B0BD"
					       "CAD7E4F1FE"), 0);
	assert_true(dossier_oid_equal(&a, &b));
	assert_int_equal(dossier_oid_parse(&b, "0714"), DOSSIER_EINVAL);
	assert_int_equal(dossier_oid_parse(&b, "07142128353c4956637d8a97a4b1"
					       "becbd8e5f2ff0"),
			 DOSSIER_EINVAL);
	assert_int_equal(dossier_oid_parse(&b, "g7142128353c4956637d8a97a4b1"
					       "becbd8e5f2ff"),
			 DOSSIER_EINVAL);
	dossier_error_clear();
}

static void test_gitstore__open_create(void **state)
{
	struct fixture *f = *state;
	struct dossier_git *other = NULL;
	struct dossier_oid head;
	char path[192], buf[64] = "";
	size_t loose = 1;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/missing.git", f->dir);
	assert_int_equal(dossier_git_open(&other, path, 0), DOSSIER_ENOTFOUND);
	assert_null(other);
	dossier_error_clear();

	snprintf(path, sizeof(path), "%s/HEAD", f->repo);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "ref: refs/heads/main\n");
	assert_int_equal(dossier_git_head(f->git, &head), DOSSIER_ENOTFOUND);
	dossier_error_clear();

	/* opening again, with or without create, finds the same repo */
	assert_int_equal(dossier_git_open(&other, f->repo, 0), 0);
	dossier_git_free(other);
	assert_int_equal(dossier_git_open(&other, f->repo, 1), 0);
	dossier_git_free(other);
	dossier_git_free(NULL);

	/* packing an empty repository writes no pack and breaks nothing */
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_int_equal(loose, 0);
	assert_int_equal(count_packs(f), 0);
	assert_fsck(f);
}

static void test_gitstore__blob_small(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid oid, want;
	char hex[41];

	store(f, "hello\n", 6, &oid);
	dossier_oid_fmt(hex, &oid);
	/* git hash-object of "hello\n" */
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	assert_blob(f, &oid, "hello\n", 6);

	store(f, "", 0, &oid);
	assert_int_equal(dossier_oid_parse(&want, "e69de29bb2d1d6434b8b29ae77"
					   "5ad8c2e48c5391"), 0);
	assert_true(dossier_oid_equal(&oid, &want));
	assert_blob(f, &oid, "", 0);
	assert_fsck(f);
}

/* The head of a blob: at most max bytes, loose (streamed) or packed. */
static void assert_head(struct fixture *f, const struct dossier_oid *oid,
			const unsigned char *data, size_t len, size_t max)
{
	size_t want = len < max ? len : max;
	unsigned char *buf = malloc(want + 1);
	int fd = tmp_fd(f);
	struct stat st;

	assert_non_null(buf);
	assert_int_equal(dossier_git_blob_head_to_fd(f->git, oid, fd, max), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, want);
	assert_int_equal(pread(fd, buf, want + 1, 0), (ssize_t)want);
	assert_memory_equal(buf, data, want);
	free(buf);
	close(fd);
}

static void test_gitstore__blob_head(void **state)
{
	struct fixture *f = *state;
	size_t len = 3 * MIB;
	unsigned char *data = malloc(len);
	uint64_t seed = 7;
	struct dossier_oid oid, rec;

	assert_non_null(data);
	fill_random(data, len, &seed);
	store(f, data, len, &oid);
	assert_head(f, &oid, data, len, 8192);
	assert_head(f, &oid, data, len, 0);
	assert_head(f, &oid, data, len, len + 1);
	assert_int_equal(dossier_git_record_version(f->git, 1, &oid, &sig,
						    "head", &rec), 0);
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_head(f, &oid, data, len, 8192);
	store(f, "hello\n", 6, &oid);
	assert_head(f, &oid, (const unsigned char *)"hello\n", 6, 8192);
	free(data);
}

static void test_gitstore__blob_large(void **state)
{
	struct fixture *f = *state;
	size_t len = 20 * MIB;
	unsigned char *data = malloc(len);
	uint64_t seed = 42;
	struct dossier_oid oid;
	git_oid want;
	char path[192];
	int fd;

	assert_non_null(data);
	fill_random(data, len, &seed);
	memcpy(data + len / 2, "middle", 6);
	/* the store's id must be git's id for the same bytes */
	snprintf(path, sizeof(path), "%s/big", f->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	write_fd(fd, data, len);
	assert_int_equal(lseek(fd, 123, SEEK_SET), 123);
	assert_int_equal(dossier_git_blob_from_fd(f->git, fd, &oid, NULL), 0);
	/* read from offset 0 whatever the fd's offset, and left alone */
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 123);
	close(fd);
	git_libgit2_init();
	assert_int_equal(git_odb_hashfile(&want, path, GIT_OBJECT_BLOB), 0);
	git_libgit2_shutdown();
	assert_memory_equal(oid.id, want.id, 20);

	assert_blob(f, &oid, data, len);	/* loose: streamed */
	assert_int_equal(dossier_git_record_version(f->git, 1, &oid, &sig,
						    "big", &oid), 0);
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_int_equal(dossier_git_record_blob(f->git, &oid, &oid), 0);
	assert_blob(f, &oid, data, len);	/* packed: read whole */
	free(data);
	assert_fsck(f);
}

/* Runs of one byte (a sparse file's holes) are stored compactly. */
static void test_gitstore__blob_runs_compact(void **state)
{
	struct fixture *f = *state;
	size_t len = 64 * MIB + 12345, i;
	unsigned char *data = calloc(1, len);
	uint64_t seed = 7;
	struct dossier_oid oid;
	git_oid want;
	char path[192], hex[41];
	struct stat st;
	int fd;

	assert_non_null(data);
	/* zeros, random islands, a run of 'x', runs at odd offsets */
	fill_random(data + 5 * MIB + 17, 100000, &seed);
	memset(data + 9 * MIB + 3, 'x', 3 * MIB);
	fill_random(data + 20 * MIB, 4096, &seed);
	memset(data + 20 * MIB + 4096, 0xff, 8192 + 5);
	for (i = 30 * MIB; i < 31 * MIB; i += 4096)
		data[i] = 1;
	fill_random(data + len - 3000, 3000, &seed);
	snprintf(path, sizeof(path), "%s/sparse", f->dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	write_fd(fd, data, len);
	assert_int_equal(dossier_git_blob_from_fd(f->git, fd, &oid, NULL), 0);
	close(fd);
	git_libgit2_init();
	assert_int_equal(git_odb_hashfile(&want, path, GIT_OBJECT_BLOB), 0);
	git_libgit2_shutdown();
	assert_memory_equal(oid.id, want.id, 20);
	dossier_oid_fmt(hex, &oid);
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s", f->repo, hex,
		 hex + 2);
	assert_int_equal(stat(path, &st), 0);
	/*
	 * 64 MiB, of which about 1.1 MiB is not in runs (the islands and
	 * the 1 MiB of pieces with a byte set): 1.5 MiB on disk, not 64
	 */
	assert_true(st.st_size < 2 * MIB);
	assert_blob(f, &oid, data, len);
	free(data);
	assert_fsck(f);
}

static void test_gitstore__blob_from_pipe(void **state)
{
	struct fixture *f = *state;
	unsigned char data[20000];
	uint64_t seed = 7, size = 0;
	struct dossier_oid a, b;
	int p[2];

	fill_random(data, sizeof(data), &seed);
	assert_int_equal(pipe(p), 0);
	write_fd(p[1], data, sizeof(data));	/* fits the pipe buffer */
	close(p[1]);
	assert_int_equal(dossier_git_blob_from_fd(f->git, p[0], &a, &size), 0);
	close(p[0]);
	assert_int_equal(size, sizeof(data));
	store(f, data, sizeof(data), &b);
	assert_true(dossier_oid_equal(&a, &b));
	assert_blob(f, &a, data, sizeof(data));
}

static void test_gitstore__blob_missing(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid missing, rec;
	uint64_t size;
	int fd = tmp_fd(f);

	memset(&missing, 0xab, sizeof(missing));
	assert_int_equal(dossier_git_blob_size(f->git, &missing, &size),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_git_blob_to_fd(f->git, &missing, fd),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_git_record_version(f->git, 3, &missing, &sig,
						    "x", &rec),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_int_equal(dossier_git_record_blob(f->git, &missing, &rec),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();

	/* a commit is not a blob */
	version(f, 3, "x", 1, &rec);
	assert_int_equal(dossier_git_blob_to_fd(f->git, &rec, fd),
			 DOSSIER_EINVAL);
	dossier_error_clear();
	assert_int_equal(lseek(fd, 0, SEEK_END), 0);
	close(fd);
}

static void test_gitstore__record_versions(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid rec[3], blob, same, none;
	git_repository *repo;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	const git_tree_entry *e;
	git_reference *ref = NULL;
	git_oid id;
	int i;

	version(f, 7, "v1", 2, &rec[0]);
	version(f, 7, "v2", 2, &rec[1]);
	version(f, 7, "v3", 2, &rec[2]);
	for (i = 0; i < 3; i++) {
		char want[3] = { 'v', (char)('1' + i), 0 };

		assert_int_equal(dossier_git_record_blob(f->git, &rec[i],
							 &blob), 0);
		assert_blob(f, &blob, want, 2);
	}

	/* a deletion writes nothing and reports the current version */
	assert_int_equal(dossier_git_record_version(f->git, 7, NULL, &sig,
						    "rm", &same), 0);
	assert_true(dossier_oid_equal(&same, &rec[2]));
	assert_int_equal(dossier_git_record_version(f->git, 8, NULL, &sig,
						    "rm", &none), 0);
	memset(&same, 0, sizeof(same));
	assert_true(dossier_oid_equal(&none, &same));

	repo = raw_open(f);
	assert_int_equal(git_reference_lookup(&ref, repo, "refs/records/7"), 0);
	assert_memory_equal(git_reference_target(ref)->id, rec[2].id, 20);
	git_reference_free(ref);
	assert_int_equal(git_reference_lookup(&ref, repo, "refs/records/8"),
			 GIT_ENOTFOUND);
	for (i = 0; i < 3; i++) {
		memcpy(id.id, rec[i].id, 20);
		assert_int_equal(git_commit_lookup(&c, repo, &id), 0);
		assert_int_equal(git_commit_parentcount(c), i == 0 ? 0 : 1);
		if (i > 0)
			assert_memory_equal(git_commit_parent_id(c, 0)->id,
					    rec[i - 1].id, 20);
		assert_string_equal(git_commit_author(c)->name, "张三");
		assert_string_equal(git_commit_committer(c)->name, "dossierfs");
		assert_int_equal(git_commit_committer(c)->when.time,
				 sig.when);
		assert_string_equal(git_commit_message(c),
				    "edit\n\nDossier-Record: 7\n");
		assert_int_equal(git_commit_tree(&tree, c), 0);
		assert_int_equal(git_tree_entrycount(tree), 1);
		e = git_tree_entry_byindex(tree, 0);
		assert_string_equal(git_tree_entry_name(e), "content");
		assert_int_equal(git_tree_entry_filemode(e), GIT_FILEMODE_BLOB);
		git_tree_free(tree);
		git_commit_free(c);
	}
	raw_close(repo);
	assert_fsck(f);
}

static void test_gitstore__commit_set_rename_remove(void **state)
{
	struct fixture *f = *state;
	const char *p1 = "2024/合同协议/北京某某科技有限公司/合同.pdf";
	const char *p2 = "2024/合同协议/北京某某科技有限公司/合同-签署版.pdf";
	struct dossier_oid rec[3], c[4], head, got;
	struct dossier_git_change rename[2];
	git_repository *repo;
	git_commit *commit = NULL;
	git_oid id;
	int i;

	version(f, 1, "one", 3, &rec[0]);
	version(f, 1, "two", 3, &rec[1]);
	version(f, 1, "three", 5, &rec[2]);

	set1(f, p1, &rec[0], &c[0]);
	set1(f, p1, &rec[1], &c[1]);
	rename[0] = (struct dossier_git_change){ p1, NULL };
	rename[1] = (struct dossier_git_change){ p2, &rec[2] };
	assert_int_equal(dossier_git_commit(f->git, rename, 2, &sig, "mv\n",
					    &c[2]), 0);
	set1(f, p2, NULL, &c[3]);

	assert_lookup(f, &c[0], p1, &rec[0]);
	assert_absent(f, &c[0], p2);
	assert_lookup(f, &c[1], p1, &rec[1]);
	assert_absent(f, &c[2], p1);
	assert_lookup(f, &c[2], p2, &rec[2]);
	assert_absent(f, &c[3], p1);
	assert_absent(f, &c[3], p2);
	/* emptied folders disappear with their last entry */
	assert_absent(f, &c[3], "2024");
	assert_lookup(f, &c[2], p2, &rec[2]);
	assert_int_equal(dossier_git_lookup(f->git, &c[2], "2024/合同协议",
					    &got), DOSSIER_EISDIR);
	dossier_error_clear();

	assert_int_equal(dossier_git_head(f->git, &head), 0);
	assert_true(dossier_oid_equal(&head, &c[3]));
	assert_absent(f, NULL, p2);

	/* the record's content is reachable through the gitlink */
	assert_int_equal(dossier_git_record_blob(f->git, &rec[1], &got), 0);
	assert_blob(f, &got, "two", 3);

	repo = raw_open(f);
	for (i = 0; i < 4; i++) {
		memcpy(id.id, c[i].id, 20);
		assert_int_equal(git_commit_lookup(&commit, repo, &id), 0);
		assert_int_equal(git_commit_parentcount(commit), i ? 1 : 0);
		if (i)
			assert_memory_equal(git_commit_parent_id(commit, 0)->id,
					    c[i - 1].id, 20);
		assert_string_equal(git_commit_author(commit)->email,
				    "zhangsan@example.com");
		assert_string_equal(git_commit_committer(commit)->name,
				    "dossierfs");
		assert_string_equal(git_commit_message(commit),
				    i == 2 ? "mv\n" : "change\n");
		git_commit_free(commit);
	}
	raw_close(repo);
	assert_fsck(f);
}

static void test_gitstore__nested_chinese_paths(void **state)
{
	struct fixture *f = *state;
	const char *dir = "2024/合同协议/北京某某科技有限公司";
	const char *path = "2024/合同协议/北京某某科技有限公司/合同.pdf";
	struct dossier_oid rec, c, got;
	git_repository *repo;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	const git_tree_entry *e0;
	git_oid id;

	version(f, 5, "%PDF-1.7", 8, &rec);
	set1(f, path, &rec, &c);
	assert_lookup(f, NULL, path, &rec);
	assert_int_equal(dossier_git_lookup(f->git, NULL, dir, &got),
			 DOSSIER_EISDIR);
	dossier_error_clear();
	assert_absent(f, NULL, "2024/合同协议/北京某某科技有限公司/合同");

	/* stored as real nested trees with UTF-8 names and a gitlink leaf */
	repo = raw_open(f);
	memcpy(id.id, c.id, 20);
	assert_int_equal(git_commit_lookup(&commit, repo, &id), 0);
	assert_int_equal(git_commit_tree(&tree, commit), 0);
	assert_int_equal(git_tree_entrycount(tree), 1);
	e0 = git_tree_entry_byindex(tree, 0);
	assert_string_equal(git_tree_entry_name(e0), "2024");
	assert_int_equal(git_tree_entry_bypath(&e, tree, dir), 0);
	assert_int_equal(git_tree_entry_filemode(e), GIT_FILEMODE_TREE);
	git_tree_entry_free(e);
	assert_int_equal(git_tree_entry_bypath(&e, tree, path), 0);
	assert_int_equal(git_tree_entry_filemode(e), GIT_FILEMODE_COMMIT);
	assert_int_equal(memcmp(git_tree_entry_name(e),
				"\xe5\x90\x88\xe5\x90\x8c.pdf", 10), 0);
	assert_memory_equal(git_tree_entry_id(e)->id, rec.id, 20);
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(commit);
	raw_close(repo);
	assert_fsck(f);
}

static void test_gitstore__siblings_untouched(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid rec[4], c0, c1;
	struct dossier_git_change init[3];
	git_oid before, after;

	version(f, 1, "a", 1, &rec[0]);
	version(f, 2, "b", 1, &rec[1]);
	version(f, 3, "c", 1, &rec[2]);
	init[0] = (struct dossier_git_change){ "2024/甲/a.pdf", &rec[0] };
	init[1] = (struct dossier_git_change){ "2024/乙/b.pdf", &rec[1] };
	init[2] = (struct dossier_git_change){ "2023/丙/c.pdf", &rec[2] };
	assert_int_equal(dossier_git_commit(f->git, init, 3, &sig, "init",
					    &c0), 0);
	version(f, 1, "a2", 2, &rec[3]);
	set1(f, "2024/甲/a.pdf", &rec[3], &c1);

	raw_tree_at(f, &c0, "2024/乙", &before);
	raw_tree_at(f, &c1, "2024/乙", &after);
	assert_true(git_oid_equal(&before, &after));
	raw_tree_at(f, &c0, "2023", &before);
	raw_tree_at(f, &c1, "2023", &after);
	assert_true(git_oid_equal(&before, &after));
	/* and the changed path's trees were rewritten */
	raw_tree_at(f, &c0, "2024/甲", &before);
	raw_tree_at(f, &c1, "2024/甲", &after);
	assert_false(git_oid_equal(&before, &after));
	raw_tree_at(f, &c0, "", &before);
	raw_tree_at(f, &c1, "", &after);
	assert_false(git_oid_equal(&before, &after));
	assert_lookup(f, &c1, "2024/乙/b.pdf", &rec[1]);
	assert_lookup(f, &c1, "2023/丙/c.pdf", &rec[2]);
	assert_lookup(f, &c1, "2024/甲/a.pdf", &rec[3]);
}

static void expect_commit_error(struct fixture *f,
				const struct dossier_git_change *ch, size_t n,
				int want)
{
	struct dossier_oid out, head_before, head_after;
	int had = dossier_git_head(f->git, &head_before) == 0;

	dossier_error_clear();
	assert_int_equal(dossier_git_commit(f->git, ch, n, &sig, "x", &out),
			 want);
	assert_true(dossier_error_last()[0] != '\0');
	dossier_error_clear();
	if (had) {
		assert_int_equal(dossier_git_head(f->git, &head_after), 0);
		assert_true(dossier_oid_equal(&head_before, &head_after));
	}
	dossier_error_clear();
}

static void test_gitstore__commit_errors(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = { "", "/a", "a/", "a//b", "a/./b",
					   "a/../b", ".git/x", "a/.GIT" };
	struct dossier_oid rec, blob, missing, c;
	struct dossier_git_change ch[2];
	struct dossier_git_sig badsig = { " ", "e@x", 1 };
	size_t i;

	version(f, 1, "x", 1, &rec);
	set1(f, "a/b.pdf", &rec, &c);
	assert_int_equal(dossier_git_record_blob(f->git, &rec, &blob), 0);
	memset(&missing, 0x5a, sizeof(missing));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ch[0] = (struct dossier_git_change){ bad[i], &rec };
		expect_commit_error(f, ch, 1, DOSSIER_EINVAL);
	}
	ch[0] = (struct dossier_git_change){ "z.pdf", &rec };
	ch[1] = (struct dossier_git_change){ "z.pdf", NULL };
	expect_commit_error(f, ch, 2, DOSSIER_EINVAL);	/* twice */
	ch[0] = (struct dossier_git_change){ "a", NULL };
	ch[1] = (struct dossier_git_change){ "a/c.pdf", &rec };
	expect_commit_error(f, ch, 2, DOSSIER_EINVAL);	/* nested */
	ch[0] = (struct dossier_git_change){ "y.pdf", &missing };
	expect_commit_error(f, ch, 1, DOSSIER_ENOTFOUND);
	ch[0] = (struct dossier_git_change){ "y.pdf", &blob };
	expect_commit_error(f, ch, 1, DOSSIER_EINVAL);	/* not a commit */
	ch[0] = (struct dossier_git_change){ "a/nope.pdf", NULL };
	expect_commit_error(f, ch, 1, DOSSIER_ENOTFOUND);
	ch[0] = (struct dossier_git_change){ "a", &rec };
	expect_commit_error(f, ch, 1, DOSSIER_EISDIR);
	ch[0] = (struct dossier_git_change){ "a/b.pdf/c.pdf", &rec };
	expect_commit_error(f, ch, 1, DOSSIER_ENOTDIR);
	ch[0] = (struct dossier_git_change){ "ok.pdf", &rec };
	assert_int_equal(dossier_git_commit(f->git, ch, 1, &badsig, "x", &c),
			 DOSSIER_EINVAL);	/* blank name */
	badsig.name = NULL;
	assert_int_equal(dossier_git_commit(f->git, ch, 1, &badsig, "x", &c),
			 DOSSIER_EINVAL);
	dossier_error_clear();

	/* removing a folder removes its subtree */
	ch[0] = (struct dossier_git_change){ "a", NULL };
	assert_int_equal(dossier_git_commit(f->git, ch, 1, &sig, "rmdir", &c),
			 0);
	assert_absent(f, NULL, "a/b.pdf");
	assert_fsck(f);
}

static void test_gitstore__signature_cleaned(void **state)
{
	struct fixture *f = *state;
	struct dossier_git_sig odd = { "<Eve>\nparent 0000 ", "e<v>e@x\n", 5 };
	struct dossier_oid rec, c;
	struct dossier_git_change ch;
	git_repository *repo;
	git_commit *commit = NULL;
	git_oid id;

	version(f, 1, "x", 1, &rec);
	ch = (struct dossier_git_change){ "x.pdf", &rec };
	assert_int_equal(dossier_git_commit(f->git, &ch, 1, &odd, "x", &c), 0);
	repo = raw_open(f);
	memcpy(id.id, c.id, 20);
	assert_int_equal(git_commit_lookup(&commit, repo, &id), 0);
	assert_string_equal(git_commit_author(commit)->name,
			    "Eveparent 0000");
	assert_string_equal(git_commit_author(commit)->email, "eve@x");
	assert_int_equal(git_commit_author(commit)->when.time, 5);
	assert_int_equal(git_commit_parentcount(commit), 0);
	git_commit_free(commit);
	raw_close(repo);
	assert_fsck(f);
}

/*
 * Pins down libgit2 1.5 behaviour the design relies on: gitlinks are
 * accepted by git_tree_create_updated() whether or not the commit exists
 * (check_entry() skips validation for GIT_FILEMODE_COMMIT), which is why
 * dossier_git_commit() checks targets itself.
 */
static void test_gitstore__libgit2_gitlinks(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid rec;
	git_repository *repo;
	git_tree_update up;
	git_tree *tree = NULL;
	git_oid tree_id;

	version(f, 1, "x", 1, &rec);
	repo = raw_open(f);
	memset(&up, 0, sizeof(up));
	up.action = GIT_TREE_UPDATE_UPSERT;
	up.filemode = GIT_FILEMODE_COMMIT;
	up.path = "d/link";
	memcpy(up.id.id, rec.id, 20);
	assert_int_equal(git_tree_create_updated(&tree_id, repo, NULL, 1, &up),
			 0);
	assert_int_equal(git_tree_lookup(&tree, repo, &tree_id), 0);
	git_tree_free(tree);
	memset(up.id.id, 0x77, 20);
	assert_int_equal(git_tree_create_updated(&tree_id, repo, NULL, 1, &up),
			 0);
	/* whereas a blob entry must exist (strict object creation) */
	up.filemode = GIT_FILEMODE_BLOB;
	assert_true(git_tree_create_updated(&tree_id, repo, NULL, 1, &up) < 0);
	raw_close(repo);
}

static void test_gitstore__pack(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid rec[10], blob, c;
	char data[10][32], path[64];
	size_t loose = 0;
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(data[i], sizeof(data[i]), "content %d", i);
		version(f, (uint64_t)i % 3, data[i], strlen(data[i]), &rec[i]);
		snprintf(path, sizeof(path), "2024/d%d/f%d.pdf", i % 2, i);
		set1(f, path, &rec[i], &c);
	}
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_true(loose >= 10 * 3 + 10 * 4);
	assert_fsck(f);

	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_int_equal(loose, 0);
	assert_int_equal(count_packs(f), 1);
	assert_fsck(f);
	for (i = 0; i < 10; i++) {
		assert_int_equal(dossier_git_record_blob(f->git, &rec[i],
							 &blob), 0);
		assert_blob(f, &blob, data[i], strlen(data[i]));
		snprintf(path, sizeof(path), "2024/d%d/f%d.pdf", i % 2, i);
		assert_lookup(f, &c, path, &rec[i]);
	}

	/* work goes on, and a second pack replaces the first */
	version(f, 1, "later", 5, &rec[0]);
	set1(f, "2025/late.pdf", &rec[0], &c);
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_true(loose > 0);
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_int_equal(dossier_git_pack(f->git), 0);	/* idempotent */
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_int_equal(loose, 0);
	assert_int_equal(count_packs(f), 1);
	assert_lookup(f, NULL, "2025/late.pdf", &rec[0]);
	assert_lookup(f, NULL, "2024/d1/f9.pdf", &rec[9]);
	assert_fsck(f);
}

static void test_gitstore__pack_keeps_young_unreachable(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid blob, rec;
	struct timeval old[2];
	char hex[41], path[256];
	size_t loose = 0;
	uint64_t size;

	version(f, 1, "kept", 4, &rec);
	store(f, "in flight", 9, &blob);	/* not yet referenced */
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_int_equal(loose, 1);
	assert_int_equal(dossier_git_blob_size(f->git, &blob, &size), 0);

	/* an hour later it is garbage */
	dossier_oid_fmt(hex, &blob);
	snprintf(path, sizeof(path), "%s/objects/%.2s/%s", f->repo, hex,
		 hex + 2);
	old[0].tv_sec = old[1].tv_sec = time(NULL) - 2 * 3600;
	old[0].tv_usec = old[1].tv_usec = 0;
	assert_int_equal(utimes(path, old), 0);
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_int_equal(loose, 0);
	assert_int_equal(dossier_git_blob_size(f->git, &blob, &size),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	assert_false(raw_exists(f, &blob));
	assert_int_equal(dossier_git_record_blob(f->git, &rec, &blob), 0);
	assert_blob(f, &blob, "kept", 4);
	assert_fsck(f);
}

#define NVER 4
#define VSIZE (64 * 1024)
#define MARK 64

static void test_gitstore__purge(void **state)
{
	struct fixture *f = *state;
	static unsigned char a[NVER][VSIZE], b[NVER][VSIZE];
	unsigned char amark[MARK], bmark[MARK];
	struct dossier_oid arec[NVER], brec[NVER], ablob[NVER], bblob[NVER];
	struct dossier_oid head, c, got;
	struct dossier_git_change ch[2];
	uint64_t seed = 0x5eed, size;
	size_t loose;
	int i;

	fill_random(amark, MARK, &seed);
	fill_random(bmark, MARK, &seed);
	for (i = 0; i < NVER; i++) {
		fill_random(a[i], VSIZE, &seed);
		fill_random(b[i], VSIZE, &seed);
		memcpy(a[i] + 1000 * (i + 1), amark, MARK);
		memcpy(b[i] + 1000 * (i + 1), bmark, MARK);
	}
	/* three versions each, committed, packed; then a loose fourth */
	for (i = 0; i < NVER; i++) {
		if (i == NVER - 1)
			assert_int_equal(dossier_git_pack(f->git), 0);
		version(f, 100, a[i], VSIZE, &arec[i]);
		version(f, 200, b[i], VSIZE, &brec[i]);
		assert_int_equal(dossier_git_record_blob(f->git, &arec[i],
							 &ablob[i]), 0);
		assert_int_equal(dossier_git_record_blob(f->git, &brec[i],
							 &bblob[i]), 0);
		ch[0] = (struct dossier_git_change){ "2024/客户/a.pdf",
						     &arec[i] };
		ch[1] = (struct dossier_git_change){ "2024/客户/b.pdf",
						     &brec[i] };
		assert_int_equal(dossier_git_commit(f->git, ch, 2, &sig, "v",
						    &c), 0);
	}
	assert_fsck(f);
	/* the raw grep sees content, loose or packed (stored deflate) */
	assert_true(grep_repo(f, amark, MARK) >= 1);
	assert_true(grep_repo(f, bmark, MARK) >= 1);

	assert_int_equal(dossier_git_purge_record(f->git, 100), 0);

	for (i = 0; i < NVER; i++) {
		assert_int_equal(dossier_git_blob_size(f->git, &ablob[i],
						       &size),
				 DOSSIER_ENOTFOUND);
		dossier_error_clear();
		assert_int_equal(dossier_git_record_blob(f->git, &arec[i],
							 &got),
				 DOSSIER_ENOTFOUND);
		dossier_error_clear();
		assert_false(raw_exists(f, &ablob[i]));
		assert_false(raw_exists(f, &arec[i]));
		assert_true(raw_exists(f, &bblob[i]));
		assert_blob(f, &bblob[i], b[i], VSIZE);
		assert_int_equal(dossier_git_record_blob(f->git, &brec[i],
							 &got), 0);
		assert_true(dossier_oid_equal(&got, &bblob[i]));
	}
	assert_int_equal(grep_repo(f, amark, MARK), 0);
	assert_true(grep_repo(f, bmark, MARK) >= 1);
	assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
	assert_int_equal(loose, 0);
	assert_int_equal(count_packs(f), 1);

	/* history keeps its (now dangling) gitlinks and stays valid */
	assert_int_equal(dossier_git_head(f->git, &head), 0);
	assert_true(dossier_oid_equal(&head, &c));
	assert_lookup(f, NULL, "2024/客户/a.pdf", &arec[NVER - 1]);
	assert_fsck(f);

	/* and can go on: rename the purged record's path, touch b */
	ch[0] = (struct dossier_git_change){ "2024/客户/a.pdf", NULL };
	ch[1] = (struct dossier_git_change){ "2024/客户/b.pdf", &brec[0] };
	assert_int_equal(dossier_git_commit(f->git, ch, 2, &sig, "after",
					    &c), 0);
	assert_absent(f, NULL, "2024/客户/a.pdf");
	assert_int_equal(dossier_git_purge_record(f->git, 100),
			 DOSSIER_ENOTFOUND);
	dossier_error_clear();
	/* a new version of the record starts a fresh chain */
	version(f, 100, "new", 3, &got);
	assert_int_equal(dossier_git_pack(f->git), 0);
	assert_fsck(f);
}

static void test_gitstore__purge_shared_content(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid arec, brec, blob;

	version(f, 1, "same bytes", 10, &arec);
	version(f, 2, "same bytes", 10, &brec);
	/* one commit per record, though bytes, author, time are equal... */
	assert_false(dossier_oid_equal(&arec, &brec));
	assert_int_equal(dossier_git_purge_record(f->git, 1), 0);
	assert_false(raw_exists(f, &arec));
	/* ...but the blob is one, and b still holds it */
	assert_int_equal(dossier_git_record_blob(f->git, &brec, &blob), 0);
	assert_blob(f, &blob, "same bytes", 10);
	assert_fsck(f);
}

/* A ref as the repository has it on disk (0: absent). */
static int raw_ref(struct fixture *f, const char *name,
		   struct dossier_oid *out)
{
	git_repository *repo = raw_open(f);
	git_oid id;
	int found = git_reference_name_to_id(&id, repo, name) == 0;

	if (found)
		dossier_oid_parse(out, git_oid_tostr_s(&id));
	raw_close(repo);
	return found;
}

static void test_gitstore__batch(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid r1, r2, c1, c2, head, got;

	/* before: one commit on main, written the usual way */
	version(f, 7, "first", 5, &r1);
	set1(f, "2024/a/x.pdf", &r1, &c1);

	dossier_git_batch_begin(f->git);
	version(f, 7, "second", 6, &r2);
	set1(f, "2024/a/y.pdf", &r2, &c2);
	/* the batch chains on its own tips; the disk's refs have not moved */
	assert_int_equal(dossier_git_head(f->git, &head), 0);
	assert_true(dossier_oid_equal(&head, &c2));
	assert_true(raw_ref(f, "refs/heads/main", &got));
	assert_true(dossier_oid_equal(&got, &c1));
	assert_true(raw_ref(f, "refs/records/7", &got));
	assert_true(dossier_oid_equal(&got, &r1));
	/* and its objects are only in memory until flushed */
	assert_false(raw_exists(f, &c2));
	assert_int_equal(dossier_git_flush(f->git), 0);
	assert_true(raw_exists(f, &c2));
	assert_true(raw_exists(f, &r2));
	assert_int_equal(dossier_git_set_ref(f->git, 0, &c2), 0);
	assert_int_equal(dossier_git_set_ref(f->git, 7, &r2), 0);
	dossier_git_batch_end(f->git);
	assert_true(raw_ref(f, "refs/heads/main", &got));
	assert_true(dossier_oid_equal(&got, &c2));
	assert_lookup(f, NULL, "2024/a/x.pdf", &r1);
	assert_lookup(f, NULL, "2024/a/y.pdf", &r2);
	assert_fsck(f);

	/* a batch ended without a flush leaves nothing behind */
	dossier_git_batch_begin(f->git);
	version(f, 8, "lost", 4, &r1);
	set1(f, "2024/a/z.pdf", &r1, &c1);
	dossier_git_batch_end(f->git);
	assert_false(raw_exists(f, &c1));
	assert_int_equal(dossier_git_head(f->git, &head), 0);
	assert_true(dossier_oid_equal(&head, &c2));
	assert_fsck(f);

	/* a big batch reaches the disk as one pack, not as loose objects */
	{
		size_t loose = 0, packs = count_packs(f);
		char data[32], path[64];
		int i;

		assert_int_equal(dossier_git_pack_loose(f->git), 0);
		packs = count_packs(f);
		dossier_git_batch_begin(f->git);
		for (i = 0; i < 400; i++) {
			snprintf(data, sizeof(data), "big batch %d", i);
			snprintf(path, sizeof(path), "2025/c%d/f%d.pdf",
				 i % 20, i);
			version(f, 100 + (uint64_t)i, data, strlen(data), &r1);
			set1(f, path, &r1, &c1);
		}
		assert_int_equal(dossier_git_flush(f->git), 0);
		assert_int_equal(dossier_git_set_ref(f->git, 0, &c1), 0);
		dossier_git_batch_end(f->git);
		/* only the blobs, streamed from files, are loose */
		assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
		assert_int_equal(loose, 400);
		assert_int_equal(count_packs(f), packs + 1);
		assert_lookup(f, NULL, "2025/c19/f399.pdf", &r1);
	}
}

/* Loose objects packed alone, pack after pack; then merged. */
static void test_gitstore__pack_loose_rollup(void **state)
{
	struct fixture *f = *state;
	struct dossier_oid rec[16], c;
	char data[32], path[64];
	size_t loose = 0, packs;
	int i;

	for (i = 0; i < 16; i++) {
		snprintf(data, sizeof(data), "content %d", i);
		version(f, (uint64_t)i + 1, data, strlen(data), &rec[i]);
		snprintf(path, sizeof(path), "2024/c%d/f%d.pdf", i % 3, i);
		set1(f, path, &rec[i], &c);
		assert_int_equal(dossier_git_pack_loose(f->git), 0);
		assert_int_equal(dossier_git_loose_count(f->git, &loose), 0);
		assert_int_equal(loose, 0);
	}
	packs = count_packs(f);
	assert_int_equal(packs, 16);
	assert_fsck(f);
	/* at most 20 packs: nothing to do */
	assert_int_equal(dossier_git_rollup(f->git, 20), 0);
	assert_int_equal(count_packs(f), 16);
	assert_int_equal(dossier_git_rollup(f->git, 4), 0);
	assert_true(count_packs(f) <= 4);
	for (i = 0; i < 16; i++) {
		snprintf(path, sizeof(path), "2024/c%d/f%d.pdf", i % 3, i);
		assert_lookup(f, NULL, path, &rec[i]);
		snprintf(data, sizeof(data), "content %d", i);
		{
			struct dossier_oid blob;

			assert_int_equal(dossier_git_record_blob(
						 f->git, &rec[i], &blob), 0);
			assert_blob(f, &blob, data, strlen(data));
		}
	}
	assert_fsck(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gitstore__oid_fmt_parse),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_gitstore__open_create),
		T(test_gitstore__blob_small),
		T(test_gitstore__blob_head),
		T(test_gitstore__blob_large),
		T(test_gitstore__blob_runs_compact),
		T(test_gitstore__blob_from_pipe),
		T(test_gitstore__blob_missing),
		T(test_gitstore__record_versions),
		T(test_gitstore__commit_set_rename_remove),
		T(test_gitstore__nested_chinese_paths),
		T(test_gitstore__siblings_untouched),
		T(test_gitstore__commit_errors),
		T(test_gitstore__signature_cleaned),
		T(test_gitstore__libgit2_gitlinks),
		T(test_gitstore__pack),
		T(test_gitstore__pack_keeps_young_unreachable),
		T(test_gitstore__purge),
		T(test_gitstore__purge_shared_content),
		T(test_gitstore__batch),
		T(test_gitstore__pack_loose_rollup),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
