/*
 * Backups: the stage (a consistent snapshot made by whoever serves the
 * archive), generations built from it, and restore. See backup.h.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "audit_i.h"
#include "control_i.h"
#include "db_i.h"
#include "error.h"
#include "gitstore.h"
#include "history_i.h"
#include "log.h"

#define COPY_CHUNK (256 * 1024)
/* staging tries this often to settle large saves arriving meanwhile */
#define STAGE_TRIES 50

static int sys_err(const char *what, const char *path)
{
	int saverr = errno;

	dossier_error_set("%s '%s': %s", what, path, strerror(saverr));
	return dossier_err_from_errno(saverr);
}

/* snprintf of a path; a path too long for PATH_MAX is cut (and fails
 * at its use) */
static void pathf(char *out, size_t outsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t outsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
}

/* ---- the stage ---- */

struct stage {
	struct dossier_archive *a;
	struct dossier_git *git;	/* under the history's git lock */
	char *dir;			/* ARCHIVE/backup-XXXXXX */
	int refs;			/* dump the refs too (verify) */
	sqlite3 *snap;			/* read transaction: the snapshot */
};

/* Hard-link every object file of src (objects/) into dst. */
static int link_objects(const char *src, const char *dst)
{
	char s[PATH_MAX], d[PATH_MAX];
	struct dirent *de, *fe;
	DIR *dir = NULL, *sub = NULL;
	int rc = 0;

	if (!(dir = opendir(src)))
		return sys_err("cannot list", src);
	while (rc == 0 && (de = readdir(dir))) {
		int pack = !strcmp(de->d_name, "pack");

		if (!pack && (strlen(de->d_name) != 2 ||
			      strspn(de->d_name, "0123456789abcdef") != 2))
			continue;
		pathf(s, sizeof(s), "%s/%s", src, de->d_name);
		pathf(d, sizeof(d), "%s/%s", dst, de->d_name);
		if (mkdir(d, 0700) < 0 && errno != EEXIST) {
			rc = sys_err("cannot create", d);
			break;
		}
		if (!(sub = opendir(s))) {
			rc = sys_err("cannot list", s);
			break;
		}
		while (rc == 0 && (fe = readdir(sub))) {
			size_t len = strlen(fe->d_name);

			if (fe->d_name[0] == '.' ||
			    (pack ? strncmp(fe->d_name, "pack-", 5) ||
				    (len < 5 ||
				     (strcmp(fe->d_name + len - 5, ".pack") &&
				      strcmp(fe->d_name + len - 4, ".idx"))) :
				    len != 38))
				continue;
			pathf(s, sizeof(s), "%s/%s/%s", src, de->d_name,
				 fe->d_name);
			pathf(d, sizeof(d), "%s/%s/%s", dst, de->d_name,
				 fe->d_name);
			if (link(s, d) < 0)
				rc = sys_err("cannot link", s);
		}
		closedir(sub);
		sub = NULL;
	}
	closedir(dir);
	return rc;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	int rc = 0;

	if (fd < 0)
		return sys_err("cannot create", path);
	if (write(fd, text, len) != (ssize_t)len)
		rc = sys_err("cannot write", path);
	close(fd);
	return rc;
}

static int dump_ref(void *arg, uint64_t record, const struct dossier_oid *t)
{
	char hex[41];

	dossier_oid_fmt(hex, t);
	return fprintf(arg, "%" PRIu64 " %s\n", record, hex) < 0 ?
		DOSSIER_EIO : 0;
}

/* Hard-link every spool file (journaled snapshots) into the stage. */
static int link_spool(struct stage *s)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	pathf(src, sizeof(src), "%s/spool", s->a->path);
	if (!(d = opendir(src)))
		return errno == ENOENT ? 0 : sys_err("cannot list", src);
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		pathf(src, sizeof(src), "%s/spool/%s", s->a->path, de->d_name);
		pathf(dst, sizeof(dst), "%s/spool/%s", s->dir, de->d_name);
		if (link(src, dst) < 0 && errno != ENOENT)
			rc = sys_err("cannot link", src);
	}
	closedir(d);
	return rc;
}

/* Journal rows whose snapshot is still a content inode (lock held). */
static int live_rows(struct dossier_archive *a, uint64_t *out, size_t max,
		     size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*n = 0;
	rc = dossier_db_prepare(a->db, "SELECT DISTINCT record FROM journal "
				"WHERE live IS NOT NULL", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		if (*n < max)
			out[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
		else
			(*n)++;
	sqlite3_finalize(st);
	return rc;
}

/*
 * With the repository quiet (git lock held, no batch): under the
 * archive's lock, copy deferred snapshots into their journal rows (a
 * restored archive has other inodes), then open the catalog snapshot and
 * link the spool; then link the objects. Saves journaled meanwhile are
 * in the snapshot's journal with their snapshots, and the restored
 * archive's daemon commits them at its first start. DOSSIER_EBUSY when a
 * large save arrived while settling (the caller tries again).
 */
/*
 * Large saves' deferred snapshots copied into their journal rows, so that
 * the snapshot of the catalog holds them. Lock held; may wait (the lock
 * let go meanwhile): looks again after.
 */
static int settle_large_saves(struct dossier_archive *a)
{
	uint64_t live[64];
	size_t n = 0, i;
	int rc = live_rows(a, live, 64, &n);

	if (rc < 0 || !n || !a->history)
		return rc;
	for (i = 0; rc == 0 && i < n && i < 64; i++)
		rc = history_live_settle_record(a->history, live[i], 1);
	if (rc == 0)
		rc = live_rows(a, live, 64, &n);
	if (rc == 0 && n) {
		dossier_error_set("large saves keep arriving");
		rc = DOSSIER_EBUSY;
	}
	return rc;
}

/*
 * The catalog's snapshot (a read transaction, s->snap) and the spool
 * files its rows name (spool files go when their rows are committed: not
 * while quiet). Lock held.
 */
static int snapshot_catalog(struct stage *s)
{
	char path[PATH_MAX];
	int rc, src;

	if ((rc = settle_large_saves(s->a)) < 0)
		return rc;
	pathf(path, sizeof(path), "%s/catalog.db", s->a->path);
	src = sqlite3_open_v2(path, &s->snap, SQLITE_OPEN_READONLY |
			      SQLITE_OPEN_NOMUTEX, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_exec(s->snap, "BEGIN; SELECT count(*) FROM node;",
				   NULL, NULL, NULL);
	if (src != SQLITE_OK)
		return dossier_db_err(s->snap, src, "catalog snapshot");
	return link_spool(s);
}

/* main's head, and with s->refs every record's ref, into the stage. */
static int stage_refs(struct stage *s)
{
	struct dossier_oid head;
	char path[PATH_MAX], hex[48];
	FILE *f;
	int rc;

	if ((rc = dossier_git_head(s->git, &head)) == 0) {
		dossier_oid_fmt(hex, &head);
		strcat(hex, "\n");
		snprintf(path, sizeof(path), "%s/history.git/refs/heads/main",
			 s->dir);
		rc = write_file(path, hex);
	} else if (rc == DOSSIER_ENOTFOUND) {
		dossier_error_clear();
		rc = 0;
	}
	if (rc < 0 || !s->refs)
		return rc;
	snprintf(path, sizeof(path), "%s/refs.txt", s->dir);
	if (!(f = fopen(path, "we")))
		return sys_err("cannot create", path);
	rc = dossier_git_refs_each(s->git, dump_ref, f);
	if (fclose(f) != 0 && rc == 0)
		rc = sys_err("cannot write", path);
	return rc;
}

static int stage_quiet(void *arg)
{
	struct stage *s = arg;
	struct dossier_archive *a = s->a;
	char path[PATH_MAX], dst[PATH_MAX];
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = snapshot_catalog(s);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc;
	/* the catalog is fixed; now the objects it names, and the refs */
	pathf(path, sizeof(path), "%s/history.git/objects", a->path);
	pathf(dst, sizeof(dst), "%s/history.git/objects", s->dir);
	if ((rc = link_objects(path, dst)) == 0)
		rc = stage_refs(s);
	return rc;
}

static int stage_dirs(const char *dir)
{
	static const char *const sub[] = {
		"history.git", "history.git/objects", "history.git/refs",
		"history.git/refs/heads", "spool",
	};
	char p[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return sys_err("cannot create", p);
	}
	/* dossierctl holds it (shared) while it uses the stage */
	snprintf(p, sizeof(p), "%s/lock", dir);
	if ((rc = write_file(p, "")) < 0)
		return rc;
	snprintf(p, sizeof(p), "%s/history.git/HEAD", dir);
	if ((rc = write_file(p, "ref: refs/heads/main\n")) < 0)
		return rc;
	snprintf(p, sizeof(p), "%s/history.git/config", dir);
	return write_file(p, "[core]\n\trepositoryformatversion = 0\n"
			     "\tbare = true\n");
}

/* The snapshot's pages into dir/catalog.db (no lock of the archive). */
static int stage_catalog(struct stage *s)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	char path[PATH_MAX];
	int src, rc = 0;

	snprintf(path, sizeof(path), "%s/catalog.db", s->dir);
	src = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE |
			      SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK) {
		rc = dossier_db_err(dst, src, path);
		goto out;
	}
	if (!(b = sqlite3_backup_init(dst, "main", s->snap, "main"))) {
		rc = dossier_db_err(dst, sqlite3_errcode(dst), "backup");
		goto out;
	}
	src = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (src != SQLITE_DONE)
		rc = dossier_db_err(dst, src, "backup of the catalog");
out:
	sqlite3_close(dst);
	return rc;
}

/* stage_quiet with the serving daemon's repository (git lock held). */
static int stage_quiet_served(void *arg)
{
	struct stage *s = arg;

	s->git = history_git(s->a->history);
	return stage_quiet(s);
}

/*
 * A stage nobody holds is what an interrupted backup or verify left: it
 * would keep the bytes of records purged since (hard links), so it goes.
 * A fresh one (STAGE_GRACE) may be one whose dossierctl has not locked it
 * yet.
 */
#define STAGE_GRACE 600
void backup_sweep_stages(struct dossier_archive *a)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(a->path);
	int fd;

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "backup-", 7))
			continue;
		pathf(path, sizeof(path), "%s/%s", a->path, de->d_name);
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_mtime > time(NULL) - STAGE_GRACE)
			continue;
		pathf(path, sizeof(path), "%s/%s/lock", a->path, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			continue;	/* in use */
		}
		pathf(path, sizeof(path), "%s/%s", a->path, de->d_name);
		dossier_log(LOG_NOTICE, "removing '%s', a snapshot an "
			    "interrupted backup or verify left", path);
		dossier_stage_remove(path);
		if (fd >= 0)
			close(fd);
	}
	if (d)
		closedir(d);
}

/* A new stage folder in the archive's folder: its real path into dir. */
static int stage_new_dir(struct dossier_archive *a, char **dir)
{
	char tmpl[PATH_MAX];
	int rc;

	snprintf(tmpl, sizeof(tmpl), "%s/backup-XXXXXX", a->path);
	if (!mkdtemp(tmpl))
		return sys_err("cannot create", tmpl);
	if ((*dir = realpath(tmpl, NULL)))
		return 0;
	rc = sys_err("cannot resolve", tmpl);
	rmdir(tmpl);
	return rc;
}

/* Stage a served archive, with its history quiet. */
static int stage_served(struct stage *s)
{
	int rc = 0, i;

	/* a large save may arrive while others are settled */
	for (i = 0; i < STAGE_TRIES; i++) {
		rc = history_quiesce(s->a->history, stage_quiet_served, s);
		if (rc != DOSSIER_EBUSY)
			break;
		if (s->snap) {
			sqlite3_close(s->snap);
			s->snap = NULL;
		}
		dossier_error_clear();
		usleep(10000);
	}
	return rc;
}

/*
 * Stage an archive nobody serves, holding its lock (*lockfd) so that no
 * daemon starts meanwhile, with a repository of its own (*own). The
 * caller closes and frees both.
 */
static int stage_unserved(struct stage *s, int *lockfd,
			  struct dossier_git **own)
{
	struct dossier_archive *a = s->a;
	char path[PATH_MAX];
	int rc;

	*lockfd = openat(a->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
			 0600);
	if (*lockfd < 0 || flock(*lockfd, LOCK_EX | LOCK_NB) < 0) {
		dossier_error_set("the archive is being mounted: try again "
				  "through the mount");
		return DOSSIER_EBUSY;
	}
	pathf(path, sizeof(path), "%s/history.git", a->path);
	if ((rc = dossier_git_open(own, path, 0)) < 0)
		return rc;
	s->git = *own;
	return stage_quiet(s);
}

static int stage_make(struct dossier_archive *a, int refs, char *out,
		      size_t outsz)
{
	struct stage s = { a, NULL, NULL, refs, NULL };
	struct dossier_git *own = NULL;
	int rc, lockfd = -1;

	backup_sweep_stages(a);
	if ((rc = stage_new_dir(a, &s.dir)) < 0)
		return rc;
	rc = stage_dirs(s.dir);
	if (rc == 0)
		rc = a->history ? stage_served(&s) :
			stage_unserved(&s, &lockfd, &own);
	if (rc == 0)
		rc = stage_catalog(&s);
	if (s.snap) {
		sqlite3_exec(s.snap, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(s.snap);
	}
	dossier_git_free(own);
	if (lockfd >= 0)
		close(lockfd);
	if (rc == 0)
		snprintf(out, outsz, "%s", s.dir);
	else
		dossier_stage_remove(s.dir);
	free(s.dir);
	return rc;
}

/* backup-stage [refs]: root only (the stage is inside the archive folder) */
static int ctl_backup_stage(struct dossier_archive *a,
			    const struct dossier_caller *who, char **f, int n,
			    struct dossier_buf *out)
{
	char dir[PATH_MAX], line[PATH_MAX + 8];
	int rc;

	if (n > 2 || (n == 2 && strcmp(f[1], "refs")))
		return control_status(out, 2, "usage: backup-stage [refs]");
	if (who->uid != 0) {
		audit_record(a->audit, who, "backup", "", 0, 0, NULL);
		return control_status(out, 1, "backups and checks are made by "
					      "root, who owns the archive "
					      "folder");
	}
	rc = stage_make(a, n == 2, dir, sizeof(dir));
	audit_record(a->audit, who, n == 2 ? "verify" : "backup", "", rc == 0,
		     0, rc == 0 ? dir : dossier_error_last());
	if (rc < 0)
		return control_refused(out, rc, "snapshot");
	snprintf(line, sizeof(line), "%s", dir);
	return control_status(out, 0, line);
}

const struct control_cmd control_backup_cmds[] = {
	{ "backup-stage", ctl_backup_stage },
	{ NULL, NULL },
};

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return errno == ENOENT ? 0 : -1;
	return 0;
}

int dossier_stage_remove(const char *stage)
{
	if (nftw(stage, rm_one, 32, FTW_DEPTH | FTW_PHYS) < 0 &&
	    errno != ENOENT)
		return sys_err("cannot remove", stage);
	return 0;
}

/* ---- checksums and copies ---- */

/* Finish md into 64 hex digits and a NUL. */
static void digest_hex(EVP_MD_CTX *md, char hex[65])
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0, i;

	EVP_DigestFinal_ex(md, dig, &dlen);
	for (i = 0; i < dlen && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", dig[i]);
	hex[2 * i] = '\0';
}

/*
 * Copy in to out (out -1: only read), hashing with SHA-256 into hex and
 * counting bytes into *size.
 */
static int copy_hash(int in, int out, char hex[65], uint64_t *size,
		     const char *name)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *buf = malloc(COPY_CHUNK);
	uint64_t total = 0;
	ssize_t n;
	int rc = 0;

	if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		dossier_error_set("cannot hash '%s': out of memory", name);
		rc = DOSSIER_ERROR;
		goto out;
	}
	while ((n = read(in, buf, COPY_CHUNK)) > 0) {
		ssize_t w = 0;

		EVP_DigestUpdate(md, buf, (size_t)n);
		total += (uint64_t)n;
		while (out >= 0 && w < n) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0) {
				rc = sys_err("cannot write", name);
				goto out;
			}
			w += k;
		}
	}
	if (n < 0) {
		rc = sys_err("cannot read", name);
		goto out;
	}
	digest_hex(md, hex);
	*size = total;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

static int hash_path(int dirfd, const char *rel, char hex[65],
		     uint64_t *size)
{
	int fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return sys_err("cannot open", rel);
	rc = copy_hash(fd, -1, hex, size, rel);
	close(fd);
	return rc;
}

/* mkdir -p of rel's folder below dirfd */
static int make_parents(int dirfd, const char *rel)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", rel);
	for (s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdirat(dirfd, p, 0700) < 0 && errno != EEXIST)
			return sys_err("cannot create", p);
		*s = '/';
	}
	return 0;
}

/* ---- manifests ---- */

struct mf_entry {
	char *path;
	char hex[65];
	uint64_t blob_id;	/* content.blobs: record id, else 0 */
	char blob[41];
};

struct manifest {
	struct mf_entry *v;
	size_t n, alloc;
};

static int mf_add(struct manifest *m, const char *path, const char *hex)
{
	if (m->n == m->alloc) {
		size_t alloc = m->alloc ? 2 * m->alloc : 256;
		struct mf_entry *v = realloc(m->v, alloc * sizeof(*v));

		if (!v) {
			dossier_error_set("out of memory");
			return DOSSIER_ERROR;
		}
		m->v = v;
		m->alloc = alloc;
	}
	memset(&m->v[m->n], 0, sizeof(m->v[0]));
	if (!(m->v[m->n].path = strdup(path))) {
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	snprintf(m->v[m->n].hex, sizeof(m->v[0].hex), "%s", hex);
	m->n++;
	return 0;
}

static void mf_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int mf_cmp(const void *x, const void *y)
{
	return strcmp(((const struct mf_entry *)x)->path,
		      ((const struct mf_entry *)y)->path);
}

static struct mf_entry *mf_find(struct manifest *m, const char *path)
{
	struct mf_entry key;

	key.path = (char *)path;
	return m->n ? bsearch(&key, m->v, m->n, sizeof(key), mf_cmp) : NULL;
}

/* Read dirfd's MANIFEST (sha256sum format); missing: empty. */
static int mf_load(struct manifest *m, int dirfd)
{
	char line[PATH_MAX + 80];
	FILE *f;
	int fd = openat(dirfd, "MANIFEST", O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : sys_err("cannot open", "MANIFEST");
	if (!(f = fdopen(fd, "r"))) {
		close(fd);
		return sys_err("cannot read", "MANIFEST");
	}
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) < 67 || line[64] != ' ' || line[65] != ' ') {
			dossier_error_set("MANIFEST: malformed line '%.80s'",
					  line);
			rc = DOSSIER_ECORRUPT;
			break;
		}
		line[64] = '\0';
		rc = mf_add(m, line + 66, line);
	}
	fclose(f);
	if (rc == 0)
		qsort(m->v, m->n, sizeof(m->v[0]), mf_cmp);
	return rc;
}

/* content.blobs of a generation: record id -> blob; attached to m */
static void blobs_load(struct manifest *m, int dirfd)
{
	char line[128], rel[64], blob[41];
	uint64_t id;
	FILE *f;
	int fd = openat(dirfd, "content.blobs", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct mf_entry *e;

		if (sscanf(line, "%" SCNu64 " %40s", &id, blob) != 2)
			continue;
		snprintf(rel, sizeof(rel), "content/");
		content_relpath(rel + 8, sizeof(rel) - 8, id);
		if ((e = mf_find(m, rel))) {
			e->blob_id = id;
			memcpy(e->blob, blob, sizeof(e->blob));
		}
	}
	fclose(f);
}

/* ---- building a generation ---- */

struct build {
	int srcfd;		/* the stage */
	int genfd;		/* the new generation */
	int prevfd;		/* the previous one, or -1 */
	struct manifest prev;
	FILE *mf;		/* MANIFEST being written */
	struct dossier_backup_stats *stats;
	const struct dossier_progress *progress;
};

static void progress(const struct dossier_progress *p, const char *phase,
		     uint64_t done, uint64_t total)
{
	if (p && p->fn)
		p->fn(p->arg, phase, done, total);
}

static int note(struct build *b, const char *rel, const char *hex)
{
	b->stats->files++;
	if (fprintf(b->mf, "%s  %s\n", hex, rel) < 0) {
		dossier_error_set("cannot write MANIFEST: %s", strerror(errno));
		return DOSSIER_EIO;
	}
	return 0;
}

/* Link rel from the previous generation if it lists it with hex (NULL:
 * any hex); 1 when linked, 0 when not. */
static int try_link(struct build *b, const char *rel, const char *hex)
{
	struct mf_entry *e;

	if (b->prevfd < 0 || !(e = mf_find(&b->prev, rel)) ||
	    (hex && strcmp(e->hex, hex)))
		return 0;
	if (linkat(b->prevfd, rel, b->genfd, rel, 0) < 0)
		return 0;
	b->stats->linked++;
	return note(b, rel, e->hex) < 0 ? -1 : 1;
}

/* A new file of the generation, read-write for added(). */
static int create_new(struct build *b, const char *rel)
{
	int fd = openat(b->genfd, rel, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			0600);

	return fd < 0 ? sys_err("cannot create", rel) : fd;
}

/*
 * The file fd (rel) is written, rc says how that went: close it, and
 * count and list it, hashing it first unless hex has its hash already.
 */
static int added(struct build *b, const char *rel, int fd, int rc,
		 const char *hex, uint64_t size)
{
	char own[65];

	if (rc == 0 && !hex && lseek(fd, 0, SEEK_SET) == 0 &&
	    (rc = copy_hash(fd, -1, own, &size, rel)) == 0)
		hex = own;
	if (close(fd) < 0 && rc == 0)
		rc = sys_err("cannot write", rel);
	if (rc < 0)
		return rc;
	b->stats->copied++;
	b->stats->bytes += size;
	return note(b, rel, hex);
}

/* Copy rel from fromfd into the generation (same name), hashing it. */
static int copy_in(struct build *b, int fromfd, const char *from,
		   const char *rel)
{
	char hex[65];
	uint64_t size = 0;
	int in, out, rc;

	if ((in = openat(fromfd, from, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_err("cannot open", from);
	if ((out = create_new(b, rel)) < 0) {
		close(in);
		return out;
	}
	rc = copy_hash(in, out, hex, &size, rel);
	close(in);
	return added(b, rel, out, rc, hex, size);
}

/* Write len bytes of data as rel in the generation (a new file). */
static int write_new(struct build *b, const char *rel, const void *data,
		     size_t len)
{
	int fd, rc = 0;

	if ((fd = create_new(b, rel)) < 0)
		return fd;
	if (len && write(fd, data, len) != (ssize_t)len)
		rc = sys_err("cannot write", rel);
	return added(b, rel, fd, rc, NULL, 0);
}

/* Objects of the stage: link those the previous generation has. */
static int build_objects(struct build *b)
{
	char rel[PATH_MAX];
	struct dirent *de, *fe;
	DIR *dir, *sub;
	uint64_t done = 0;
	int rc = 0, fd, l;

	if ((fd = openat(b->srcfd, "history.git/objects", O_RDONLY |
			 O_DIRECTORY | O_CLOEXEC)) < 0 || !(dir = fdopendir(fd)))
		return sys_err("cannot list", "history.git/objects");
	while (rc == 0 && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "history.git/objects/%s/x",
			 de->d_name);
		if ((rc = make_parents(b->genfd, rel)) < 0)
			break;
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY |
			    O_CLOEXEC);
		if (fd < 0 || !(sub = fdopendir(fd))) {
			rc = sys_err("cannot list", de->d_name);
			break;
		}
		while (rc == 0 && (fe = readdir(sub))) {
			if (fe->d_name[0] == '.')
				continue;
			snprintf(rel, sizeof(rel), "history.git/objects/%s/%s",
				 de->d_name, fe->d_name);
			/* an object's name is its content (a pack's too) */
			if ((l = try_link(b, rel, NULL)) < 0)
				rc = DOSSIER_EIO;
			else if (!l)
				rc = copy_in(b, b->srcfd, rel, rel);
			progress(b->progress, "history", ++done, 0);
		}
		closedir(sub);
	}
	closedir(dir);
	return rc;
}

/* Write text as rel in the generation (or link an identical one). */
static int put_text(struct build *b, const char *rel, const char *text,
		    size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char hex[65];
	int l, rc;

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	EVP_DigestUpdate(md, text, len);
	digest_hex(md, hex);
	EVP_MD_CTX_free(md);
	if ((l = try_link(b, rel, hex)) != 0)
		return l < 0 ? DOSSIER_EIO : 0;
	if ((rc = make_parents(b->genfd, rel)) < 0)
		return rc;
	return write_new(b, rel, text, len);
}

/*
 * Refs of the generation from its catalog: refs/records/<id> is each
 * record's last per-record commit (node.hist_rec), main what the stage
 * read from the repository. One packed-refs file instead of a file per
 * record.
 */
static int build_refs(struct build *b, sqlite3 *db)
{
	struct dossier_buf text = DOSSIER_BUF_INIT;
	sqlite3_stmt *st = NULL;
	char main[48] = "";
	int rc, fd;
	ssize_t n;

	fd = openat(b->srcfd, "history.git/refs/heads/main", O_RDONLY |
		    O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, main, 41);
		close(fd);
		main[n > 0 ? n : 0] = '\0';
		main[strcspn(main, "\n")] = '\0';
	}
	dossier_buf_addf(&text, "# pack-refs with: peeled fully-peeled \n");
	if (main[0])
		dossier_buf_addf(&text, "%s refs/heads/main\n", main);
	rc = dossier_db_prepare(db, "SELECT id, hist_rec FROM node WHERE "
				"hist_rec IS NOT NULL AND hist_rec != "
				"'0000000000000000000000000000000000000000' "
				"ORDER BY id", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		dossier_buf_addf(&text, "%s refs/records/%" PRId64 "\n",
				 sqlite3_column_text(st, 1),
				 (int64_t)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	if (rc == 0)
		rc = put_text(b, "history.git/packed-refs", text.buf, text.len);
	if (rc == 0)
		rc = put_text(b, "history.git/HEAD", "ref: refs/heads/main\n",
			      21);
	if (rc == 0) {
		static const char cfg[] = "[core]\n\trepositoryformatversion "
					  "= 0\n\tbare = true\n";

		rc = put_text(b, "history.git/config", cfg, sizeof(cfg) - 1);
	}
	if (rc == 0 && mkdirat(b->genfd, "history.git/refs", 0700) < 0)
		rc = sys_err("cannot create", "history.git/refs");
	if (rc == 0 && mkdirat(b->genfd, "history.git/refs/heads", 0700) < 0)
		rc = sys_err("cannot create", "history.git/refs/heads");
	dossier_buf_release(&text);
	return rc;
}

/* Write blob (from git) as rel, or link it from the previous backup. */
static int put_blob(struct build *b, struct dossier_git *git, const char *rel,
		    const char *blob)
{
	struct dossier_oid oid;
	struct mf_entry *e;
	int rc, fd, l;

	if (b->prevfd >= 0 && (e = mf_find(&b->prev, rel)) &&
	    !strcmp(e->blob, blob)) {
		if ((l = try_link(b, rel, e->hex)) < 0)
			return DOSSIER_EIO;
		if (l)
			return 0;
	}
	if ((rc = dossier_oid_parse(&oid, blob)) < 0)
		return rc;
	if ((fd = create_new(b, rel)) < 0)
		return fd;
	rc = dossier_git_blob_to_fd(git, &oid, fd);
	return added(b, rel, fd, rc, NULL, 0);
}

/* Spool files of the stage (snapshots of journaled saves), copied. */
static int build_spool(struct build *b)
{
	char rel[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (mkdirat(b->genfd, "spool", 0700) < 0)
		return sys_err("cannot create", "spool");
	fd = openat(b->srcfd, "spool", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return sys_err("cannot list", "spool");
	if (!(d = fdopendir(fd))) {
		rc = sys_err("cannot list", "spool");
		close(fd);
		return rc;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		pathf(rel, sizeof(rel), "spool/%s", de->d_name);
		rc = copy_in(b, b->srcfd, rel, rel);
	}
	closedir(d);
	return rc;
}

/*
 * Content files as of the snapshot: a record's last journaled content
 * (its snapshot in the row or in spool/, or a blob it names) if a save
 * waits to be committed, else its last committed blob, from history. A
 * deferred snapshot left by a daemon that died (an archive not served)
 * is the content file itself: copied as it is, as is scratch (no
 * history).
 */
static int build_content(struct build *b, sqlite3 *db, const char *archive,
			 const char *genpath, FILE *blobs)
{
	struct dossier_git *git = NULL;
	sqlite3_stmt *st = NULL;
	char path[PATH_MAX], rel[80];
	uint64_t total = 0, done = 0;
	int rc, archfd = -1;

	pathf(path, sizeof(path), "%s/history.git", genpath);
	if ((rc = dossier_git_open(&git, path, 0)) < 0)
		return rc;
	pathf(path, sizeof(path), "%s/content", archive);
	archfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dossier_db_prepare(db, "SELECT count(*) FROM node WHERE kind = 5",
				&st);
	if (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		total = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == 0)
		rc = dossier_db_prepare(db,
			"SELECT n.id, n.scratch, n.hist_blob, j.seq, j.data, "
			"j.spool, j.blob, j.live FROM node n LEFT JOIN journal j "
			"ON j.seq = (SELECT max(seq) FROM journal WHERE record = "
			"n.id AND op IN ('create', 'save', 'restore', "
			"'recovered')) WHERE n.kind = 5 ORDER BY n.id", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		const char *hblob = (const char *)sqlite3_column_text(st, 2);
		int journaled = sqlite3_column_type(st, 3) != SQLITE_NULL;
		const char *spool = (const char *)sqlite3_column_text(st, 5);
		const char *jblob = (const char *)sqlite3_column_text(st, 6);

		snprintf(rel, sizeof(rel), "content/");
		content_relpath(rel + 8, sizeof(rel) - 8, id);
		progress(b->progress, "content", ++done, total);
		b->stats->records++;
		if (journaled && sqlite3_column_type(st, 4) != SQLITE_NULL) {
			rc = write_new(b, rel, sqlite3_column_blob(st, 4),
				       (size_t)sqlite3_column_bytes(st, 4));
		} else if (journaled && spool) {
			pathf(path, sizeof(path), "spool/%s", spool);
			rc = copy_in(b, b->srcfd, path, rel);
		} else if (journaled && jblob) {
			rc = put_blob(b, git, rel, jblob);
		} else if (!sqlite3_column_int(st, 1) && hblob && !journaled) {
			fprintf(blobs, "%" PRIu64 " %s\n", id, hblob);
			rc = put_blob(b, git, rel, hblob);
		} else if (archfd >= 0 &&
			   faccessat(archfd, rel + 8, F_OK, 0) == 0) {
			rc = copy_in(b, archfd, rel + 8, rel);
		}
	}
	sqlite3_finalize(st);
	if (archfd >= 0)
		close(archfd);
	dossier_git_free(git);
	return rc;
}

/* content/ and its 256 folders in dirfd (existing ones kept with keep). */
static int make_content_dirs(int dirfd, int keep)
{
	char path[32];
	int i;

	if (mkdirat(dirfd, "content", 0700) < 0 && (!keep || errno != EEXIST))
		return sys_err("cannot create", "content");
	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "content/%02x", i);
		if (mkdirat(dirfd, path, 0700) < 0 &&
		    (!keep || errno != EEXIST))
			return sys_err("cannot create", path);
	}
	return 0;
}

/* The last generation of destfd, if any: its files are linked, not copied. */
static int open_previous(struct build *b, int destfd)
{
	char prevname[256];
	ssize_t n;
	int rc = 0;

	n = readlinkat(destfd, "latest", prevname, sizeof(prevname) - 1);
	if (n <= 0)
		return 0;
	prevname[n] = '\0';
	b->prevfd = openat(destfd, prevname, O_RDONLY | O_DIRECTORY |
			   O_CLOEXEC);
	if (b->prevfd >= 0 && (rc = mf_load(&b->prev, b->prevfd)) == 0)
		blobs_load(&b->prev, b->prevfd);
	return rc;
}

/* A generation's name no generation of destfd has: its time, -2, -3... */
static void generation_name(int destfd, char *name, size_t namesz)
{
	time_t now = time(NULL);
	char base[32];
	struct tm tm;
	int i;

	gmtime_r(&now, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H%M%SZ", &tm);
	snprintf(name, namesz, "%s", base);
	for (i = 2; faccessat(destfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	     i++)
		snprintf(name, namesz, "%s-%d", base, i);
}

/* A file of the new generation, new, open for writing into *out. */
static int create_in_gen(struct build *b, const char *rel, FILE **out)
{
	int fd = openat(b->genfd, rel, O_WRONLY | O_CREAT | O_EXCL |
			O_CLOEXEC, 0600);

	if (fd >= 0 && (*out = fdopen(fd, "w")))
		return 0;
	if (fd >= 0)
		close(fd);
	return sys_err("cannot create", rel);
}

/*
 * Fill the new generation from stage: the catalog, the repository's
 * objects and refs, content as of the snapshot (listed in blobs), spool.
 */
static int build_generation(struct build *b, const char *archive,
			    const char *stage, const char *genpath,
			    FILE *blobs)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;
	int rc;

	/* the catalog, always new */
	if ((rc = copy_in(b, b->srcfd, "catalog.db", "catalog.db")) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/catalog.db", stage);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = dossier_db_err(db, sqlite3_errcode(db), path);
		goto out;
	}
	if ((rc = build_objects(b)) == 0 && (rc = build_refs(b, db)) == 0 &&
	    (rc = make_content_dirs(b->genfd, 0)) == 0 &&
	    (rc = build_content(b, db, archive, genpath, blobs)) == 0)
		rc = build_spool(b);
out:
	sqlite3_close(db);
	return rc;
}

/*
 * Close content.blobs (*blobs) and the MANIFEST (b->mf), content.blobs
 * listed in it too: restore checks every file it reads.
 */
static int close_lists(struct build *b, FILE **blobs)
{
	char hex[65];
	uint64_t size;
	int rc, failed;

	failed = fclose(*blobs) != 0;
	*blobs = NULL;
	if (failed)
		return sys_err("cannot write", "content.blobs");
	if ((rc = hash_path(b->genfd, "content.blobs", hex, &size)) < 0 ||
	    (rc = note(b, "content.blobs", hex)) < 0)
		return rc;
	failed = fclose(b->mf) != 0;
	b->mf = NULL;
	return failed ? sys_err("cannot write", "MANIFEST") : 0;
}

static int write_info(struct build *b, const char *archive, const char *name)
{
	char text[PATH_MAX];
	int fd, rc = 0;

	snprintf(text, sizeof(text), "archive %s\ncreated %s\nrecords "
		 "%" PRIu64 "\nfiles %" PRIu64 "\nlinked %" PRIu64 "\n",
		 archive, name, b->stats->records, b->stats->files,
		 b->stats->linked);
	fd = openat(b->genfd, "backup.info", O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		rc = sys_err("cannot write", "backup.info");
	if (fd >= 0)
		close(fd);
	return rc;
}

/*
 * The generation built in partial becomes name, and 'latest' of destfd
 * points at it: on the disk before it is called a backup.
 */
static int publish(struct build *b, int destfd, const char *dest,
		   const char *partial, const char *name)
{
	if (syncfs(b->genfd) < 0)
		return sys_err("cannot sync", dest);
	if (renameat(destfd, partial, destfd, name) < 0)
		return sys_err("cannot rename", partial);
	unlinkat(destfd, ".latest.tmp", 0);
	if (symlinkat(name, destfd, ".latest.tmp") < 0 ||
	    renameat(destfd, ".latest.tmp", destfd, "latest") < 0)
		return sys_err("cannot point 'latest' at", name);
	fsync(destfd);
	return 0;
}

int dossier_backup_make(const char *archive, const char *stage,
			const char *dest,
			const struct dossier_progress *progress_to,
			struct dossier_backup_stats *stats, char *gen,
			size_t gensz)
{
	struct build b = { -1, -1, -1, { NULL, 0, 0 }, NULL, stats,
			   progress_to };
	char name[64], partial[80], genpath[PATH_MAX];
	FILE *blobs = NULL;
	int destfd = -1, rc = 0;

	memset(stats, 0, sizeof(*stats));
	if (mkdir(dest, 0700) < 0 && errno != EEXIST)
		return sys_err("cannot create", dest);
	if ((destfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sys_err("cannot open", dest);
	if ((b.srcfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = sys_err("cannot open", stage);
		goto out;
	}
	if ((rc = open_previous(&b, destfd)) < 0)
		goto out;
	generation_name(destfd, name, sizeof(name));
	snprintf(partial, sizeof(partial), ".partial-%s", name);
	if (mkdirat(destfd, partial, 0700) < 0) {
		rc = sys_err("cannot create", partial);
		goto out;
	}
	snprintf(genpath, sizeof(genpath), "%s/%s", dest, partial);
	if ((b.genfd = openat(destfd, partial, O_RDONLY | O_DIRECTORY |
			      O_CLOEXEC)) < 0) {
		rc = sys_err("cannot open", genpath);
		goto out;
	}
	if ((rc = create_in_gen(&b, "MANIFEST", &b.mf)) == 0 &&
	    (rc = create_in_gen(&b, "content.blobs", &blobs)) == 0 &&
	    (rc = build_generation(&b, archive, stage, genpath, blobs)) == 0 &&
	    (rc = close_lists(&b, &blobs)) == 0 &&
	    (rc = write_info(&b, archive, name)) == 0 &&
	    (rc = publish(&b, destfd, dest, partial, name)) == 0)
		snprintf(gen, gensz, "%s/%s", dest, name);
out:
	if (b.mf)
		fclose(b.mf);
	if (blobs)
		fclose(blobs);
	if (rc < 0 && b.genfd >= 0)
		dossier_stage_remove(genpath);
	if (b.genfd >= 0)
		close(b.genfd);
	if (b.prevfd >= 0)
		close(b.prevfd);
	if (b.srcfd >= 0)
		close(b.srcfd);
	close(destfd);
	mf_release(&b.prev);
	return rc;
}

/* ---- restore ---- */

/* The generation src names (a generation, or a backup folder's latest). */
static int open_generation(const char *src, int *out)
{
	int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && faccessat(fd, "MANIFEST", F_OK, 0) < 0) {
		/* a backup folder: its latest generation */
		int latest = openat(fd, "latest", O_RDONLY | O_DIRECTORY |
				    O_CLOEXEC);

		close(fd);
		fd = latest;
	}
	*out = fd;
	if (fd >= 0 && faccessat(fd, "MANIFEST", F_OK, 0) == 0)
		return 0;
	dossier_error_set("'%s' is neither a backup generation (no MANIFEST) "
			  "nor a backup folder (no 'latest')", src);
	return DOSSIER_ENOTFOUND;
}

/* Is folder d empty (it is closed)? */
static int dir_empty(DIR *d)
{
	struct dirent *de;
	int empty = 1;

	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

/*
 * The folder of the new archive, new or empty, with the archive's
 * folders, open as *out. *made: it is ours to remove on failure.
 */
static int make_archive_dir(const char *path, int *made, int *out)
{
	static const char *const dirs[] = {
		"spool", "history.git", "history.git/objects",
		"history.git/objects/pack", "history.git/refs",
		"history.git/refs/heads",
	};
	size_t i;
	DIR *d;

	if (mkdir(path, 0700) < 0) {
		if (errno != EEXIST || !(d = opendir(path)))
			return sys_err("cannot create", path);
		if (!dir_empty(d)) {
			dossier_error_set("'%s' is not empty: restore into a "
					  "new folder", path);
			return DOSSIER_EEXISTS;
		}
	}
	*made = 1;
	if (chmod(path, 0700) < 0 ||
	    (*out = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sys_err("cannot open", path);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdirat(*out, dirs[i], 0700) < 0 && errno != EEXIST)
			return sys_err("cannot create", dirs[i]);
	return make_content_dirs(*out, 1);
}

/* Copy file e of generation genfd into newfd, checked against its sum. */
static int restore_file(int genfd, int newfd, const struct mf_entry *e)
{
	const char *rel = e->path;
	int in = -1, out = -1, rc;
	char hex[65];
	uint64_t size;

	if (rel[0] == '/' || strstr(rel, "..")) {
		dossier_error_set("MANIFEST names '%s', outside the backup",
				  rel);
		return DOSSIER_ECORRUPT;
	}
	if ((rc = make_parents(newfd, rel)) < 0)
		return rc;
	if ((in = openat(genfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		dossier_error_set("the backup lacks '%s' (listed in its "
				  "MANIFEST): use another generation", rel);
		return DOSSIER_ECORRUPT;
	}
	out = openat(newfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     strncmp(rel, "history.git/objects/", 20) ? 0600 : 0444);
	if (out < 0)
		rc = sys_err("cannot create", rel);
	else
		rc = copy_hash(in, out, hex, &size, rel);
	close(in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = sys_err("cannot write", rel);
	if (rc == 0 && strcmp(hex, e->hex)) {
		dossier_error_set("the backup's '%s' is damaged (its checksum "
				  "is not the one its MANIFEST lists): restore "
				  "from another generation", rel);
		rc = DOSSIER_ECORRUPT;
	}
	return rc;
}

int dossier_backup_restore(const char *src, const char *newarchive,
			   const struct dossier_progress *progress_to)
{
	struct manifest m = { NULL, 0, 0 };
	int genfd = -1, newfd = -1, rc, made = 0;
	size_t i;

	if ((rc = open_generation(src, &genfd)) < 0 ||
	    (rc = mf_load(&m, genfd)) < 0 ||
	    (rc = make_archive_dir(newarchive, &made, &newfd)) < 0)
		goto out;
	for (i = 0; rc == 0 && i < m.n; i++) {
		progress(progress_to, "restore", i + 1, m.n);
		if (strcmp(m.v[i].path, "content.blobs"))
			rc = restore_file(genfd, newfd, &m.v[i]);
	}
	if (rc == 0 && syncfs(newfd) < 0)
		rc = sys_err("cannot sync", newarchive);
out:
	if (rc < 0 && made)
		dossier_stage_remove(newarchive);
	if (newfd >= 0)
		close(newfd);
	if (genfd >= 0)
		close(genfd);
	mf_release(&m);
	return rc;
}
