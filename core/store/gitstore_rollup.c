#include "gitstore_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

#define ROLLUP_MAX_OBJECTS 50000

struct packinfo {
	char *base;		/* ".../pack-<hex>", without extension */
	uint32_t count;		/* objects, from the index's fan-out */
};

static int cmp_packinfo(const void *a, const void *b)
{
	const struct packinfo *x = a, *y = b;

	return x->count < y->count ? -1 : x->count > y->count;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Check the start of a version 2 pack index (pack-format.txt): magic,
 * version, 256 fan-out counts (the last is the object count), then, when
 * len is the whole file, room for the sorted object ids.
 */
static int idx_header(const char *path, const unsigned char *b, size_t len,
		      uint32_t *count)
{
	if (len < 8 + 1024 || memcmp(b, "\377tOc", 4) != 0 ||
	    be32(b + 4) != 2) {
		dossier_error_set("'%s' is not a version 2 pack index", path);
		return DOSSIER_ECORRUPT;
	}
	*count = be32(b + 8 + 255 * 4);
	return 0;
}

/*
 * Read a version 2 pack index (pack-format.txt): magic, version, 256
 * fan-out counts, then the sorted object ids. *buf is the whole file.
 */
static int read_idx(const char *path, unsigned char **buf, uint32_t *count)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t off = 0;
	ssize_t r;
	int fd, rc = 0;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gitstore_sys_fail(errno, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		rc = gitstore_sys_fail(errno, "cannot read '%s'", path);
		goto out;
	}
	/* a short file is refused by idx_header */
	if (!(b = malloc(st.st_size > 0 ? (size_t)st.st_size : 1))) {
		rc = gitstore_sys_fail(ENOMEM, "cannot read '%s'", path);
		goto out;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, b + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = gitstore_sys_fail(r < 0 ? errno : EIO,
					       "cannot read '%s'", path);
			goto out;
		}
		off += (size_t)r;
	}
	if ((rc = idx_header(path, b, (size_t)st.st_size, count)) < 0)
		goto out;
	if ((size_t)st.st_size < 8 + 1024 + (size_t)*count * 20) {
		dossier_error_set("'%s' is truncated", path);
		rc = DOSSIER_ECORRUPT;
		goto out;
	}
	*buf = b;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

static int is_pack_idx(const char *name)
{
	size_t len = strlen(name);

	return len >= 10 && strncmp(name, "pack-", 5) == 0 &&
	       strcmp(name + len - 4, ".idx") == 0;
}

/* The object count of a pack index: its header and fan-out only. */
static int idx_count(const char *path, uint32_t *count)
{
	unsigned char b[8 + 1024];
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gitstore_sys_fail(errno, "cannot open '%s'", path);
	while (off < sizeof(b)) {
		r = read(fd, b + off, sizeof(b) - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	return idx_header(path, b, off, count);
}

static void packs_release(struct packinfo *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].base);
	free(v);
}

/* packdir opened into *dir, or *dir NULL when there is no such folder. */
static int open_packdir(const char *packdir, DIR **dir)
{
	if ((*dir = opendir(packdir)) != NULL || errno == ENOENT)
		return 0;
	return gitstore_sys_fail(errno, "cannot list '%s'", packdir);
}

/* The pack whose index is packdir/name: its base path and object count. */
static int pack_info(const char *packdir, const char *name,
		     struct packinfo *out)
{
	char *path = NULL;
	int rc;

	if (asprintf(&path, "%s/%s", packdir, name) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot list packs");
	rc = idx_count(path, &out->count);
	if (rc == 0 && !(out->base = strndup(path, strlen(path) - 4)))
		rc = gitstore_sys_fail(ENOMEM, "cannot list packs");
	free(path);
	return rc;
}

/* Every pack of the repository, smallest first. */
static int list_packs(const char *packdir, struct packinfo **out,
		      size_t *nout)
{
	struct packinfo *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int rc;

	*out = NULL;
	*nout = 0;
	if ((rc = open_packdir(packdir, &dir)) < 0 || !dir)
		return rc;
	while ((de = readdir(dir)) != NULL) {
		if (!is_pack_idx(de->d_name))
			continue;
		if (n == cap) {
			struct packinfo *nv;

			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = gitstore_sys_fail(ENOMEM,
						       "cannot list packs");
				break;
			}
			v = nv;
		}
		if ((rc = pack_info(packdir, de->d_name, &v[n])) < 0)
			break;
		n++;
	}
	closedir(dir);
	if (rc == 0) {
		if (n)
			qsort(v, n, sizeof(*v), cmp_packinfo);
		*out = v;
		*nout = n;
		v = NULL;
		n = 0;
	}
	packs_release(v, n);
	return rc;
}

/* How many pack indexes packdir holds (names only). */
static int count_packs_quick(const char *packdir, size_t *n)
{
	struct dirent *de;
	DIR *dir;
	int rc;

	*n = 0;
	if ((rc = open_packdir(packdir, &dir)) < 0 || !dir)
		return rc;
	while ((de = readdir(dir)) != NULL)
		if (is_pack_idx(de->d_name))
			++*n;
	closedir(dir);
	return 0;
}

/*
 * How many of the packs v (smallest first) to merge, their objects into
 * *sum. Geometric (as git repack --geometric=2): the largest packs that
 * each hold at least twice the next smaller one stay; the rest are
 * merged, and so is any kept pack smaller than twice the merged sum.
 * Each object is repacked about log2(packs) times in all.
 */
static size_t choose(const struct packinfo *v, size_t n, uint64_t *sum)
{
	size_t m, i;

	*sum = 0;
	for (m = n - 1; m > 0 && v[m].count >= 2 * (uint64_t)v[m - 1].count;
	     m--)
		;
	for (i = 0; i < m; i++)
		*sum += v[i].count;
	while (m < n && (uint64_t)v[m].count < 2 * *sum)
		*sum += v[m++].count;
	/*
	 * libgit2 recomputes every delta, and the committer waits for the
	 * merge: bound one merge's work (packs that big stay apart).
	 */
	while (m > 0 && *sum > ROLLUP_MAX_OBJECTS)
		*sum -= v[--m].count;
	return m;
}

/* Every object of the first m packs of v into pb. */
static int insert_packs(git_packbuilder *pb, const struct packinfo *v,
			size_t m)
{
	char *path = NULL;
	size_t i, j;
	int gerr, rc = 0;

	for (i = 0; rc == 0 && i < m; i++) {
		unsigned char *idx = NULL;
		uint32_t count = 0;

		if (asprintf(&path, "%s.idx", v[i].base) < 0)
			return gitstore_sys_fail(ENOMEM, "cannot pack");
		rc = read_idx(path, &idx, &count);
		free(path);
		for (j = 0; rc == 0 && j < count; j++) {
			git_oid id;

			git_oid_fromraw(&id, idx + 8 + 1024 + j * 20);
			if ((gerr = git_packbuilder_insert(pb, &id, NULL)) < 0)
				rc = gitstore_fail(gerr, "cannot pack");
		}
		free(idx);
	}
	return rc;
}

/* Every object of the merged packs is in the new one: drop them. */
static void drop_merged(const struct packinfo *v, size_t m, const char *pname)
{
	static const char *const exts[] = { ".pack", ".idx", ".rev" };
	size_t i, j;

	for (i = 0; i < m; i++) {
		char *p = NULL;

		if (strstr(v[i].base, pname))
			continue;	/* the same objects, the same name */
		for (j = 0; j < sizeof(exts) / sizeof(exts[0]); j++) {
			if (asprintf(&p, "%s%s", v[i].base, exts[j]) < 0)
				break;
			packer_unlink(p);
			free(p);
		}
	}
}

int dossier_git_rollup(struct dossier_git *git, size_t limit)
{
	struct packinfo *v = NULL;
	git_packbuilder *pb = NULL;
	git_repository *prepo = NULL;
	char *packdir = NULL, pname[GIT_OID_HEXSZ + 1] = "";
	uint64_t sum = 0;
	size_t n = 0, names = 0, m;
	int gerr, rc;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot pack");
	if ((rc = count_packs_quick(packdir, &names)) < 0 || names <= limit ||
	    (rc = list_packs(packdir, &v, &n)) < 0 || n <= limit)
		goto out;
	if ((m = choose(v, n, &sum)) < 2)
		goto out;
	if ((gerr = packer_new(&pb, &prepo, git->odb)) < 0) {
		rc = gitstore_fail(gerr, "cannot pack");
		goto out;
	}
	git_packbuilder_set_threads(pb, 1);	/* leave a CPU to the users */
	if ((rc = insert_packs(pb, v, m)) < 0)
		goto out;
	if ((gerr = packer_write(pb, packdir, pname, sizeof(pname))) < 0) {
		rc = gitstore_fail(gerr, "cannot write pack");
		goto out;
	}
	if ((rc = packer_sync(packdir, pname)) < 0)
		goto out;
	drop_merged(v, m, pname);
	dossier_log(LOG_DEBUG, "rolled %zu packs (%" PRIu64 " objects) into "
		    "pack-%s", m, sum, pname);
	rc = gitstore_reopen(git);
out:
	packer_free(pb, prepo);
	packs_release(v, n);
	free(packdir);
	return rc;
}
