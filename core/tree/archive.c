/*
 * The front door (archive.h): open, create and close an archive; lookup,
 * getattr, access and statfs. The other operations are in this folder, one
 * file each (tree_i.h); virtual subtrees go through subtree.c's table.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "access_i.h"
#include "tree_i.h"
#include "subtree_i.h"
#include "db_i.h"
#include "error.h"
#include "audit_i.h"
#include "history_i.h"
#include "meta_i.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"
#include "views_i.h"
#include "log.h"
#include "name.h"


#define CATALOG_FILE "catalog.db"
#define CONTENT_DIR "content"

static const char *const default_categories[][2] = {
	{ "basic", "基础资料" },	{ "contracts", "合同协议" },
	{ "credit", "信用往来" },	{ "complaints", "投诉折价" },
	{ "market", "行业动态" },	{ "sales", "销售记录" },
	{ "service", "售后服务" },
};

/* Editor and OS scratch names (ecosystem.md §1.9), seeded as catalog data. */
static const char *const default_patterns[][2] = {
	{ ".*.sw[a-p]", "vim swap file" },
	{ ".*.sw[x-z]", "vim swap probe" },
	{ "4913", "vim permission probe" },
	{ "*~", "vim/emacs backup" },
	{ ".goutputstream-*", "GIO/gedit save temp" },
	{ "lu*.tmp", "LibreOffice save temp" },
	{ ".~lock.*#", "LibreOffice lock file" },
	{ "~$*", "Microsoft Office owner file" },
	{ "~WR[DLF][0-9A-F][0-9A-F][0-9A-F][0-9A-F].tmp", "Word save temp" },
	{ ".*.[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]"
	  "[A-Za-z0-9]", "rsync temp" },
	{ "*.part", "KIO partial download" },
	{ ".fuse_hidden*", "FUSE unlinked-open file" },
	{ "._*", "macOS AppleDouble" },
	{ ".DS_Store", "macOS Finder" },
	{ ".TemporaryItems", "macOS" },
	{ ".Trashes", "macOS" },
	{ ".fseventsd", "macOS" },
	{ ".Spotlight-V100", "macOS" },
	{ ".apdisk", "macOS" },
	{ "Thumbs.db", "Windows Explorer" },
	{ "ehthumbs.db", "Windows Explorer" },
	{ "desktop.ini", "Windows Explorer" },
};

void dossier_archive_set_site(struct dossier_archive *a, const char *site)
{
	snprintf(a->site, sizeof(a->site), "%s", site ? site : "");
}

int dossier_archive_user_add(struct dossier_archive *a, uid_t uid,
			     const char *name, const char *role,
			     const char *dept)
{
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = dossier_rules_user_add(a->rules, uid, name, role, dept);
	archive_changed(a);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void dossier_archive_set_notify(struct dossier_archive *a,
				const struct dossier_notify_ops *ops,
				void *ctx)
{
	/* the grant sweeper may be using the old ones */
	pthread_mutex_lock(&a->lock);
	a->notify = ops;
	a->notify_ctx = ctx;
	pthread_mutex_unlock(&a->lock);
}

/* What history's committer calls above it (history_hooks). */
static void history_daily(void *ctx, int64_t now_ns, int64_t *next_ns)
{
	trash_daily(ctx, now_ns, next_ns);
}

static int history_version_indexed(void *ctx, int64_t version,
				   uint64_t record)
{
	return text_queue_version(ctx, version, record);
}

static void history_versions_committed(void *ctx)
{
	text_kick(((struct dossier_archive *)ctx)->text);
}

/* The archive's folder at path and its content folder. */
static int open_dirs(struct dossier_archive *a, const char *path)
{
	a->path = realpath(path, NULL);
	if (!a->path) {
		dossier_error_set("cannot open archive '%s': %s", path,
				  strerror(errno));
		return DOSSIER_ENOTFOUND;
	}
	a->rootfd = open(a->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->rootfd >= 0)
		a->contentfd = openat(a->rootfd, CONTENT_DIR,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->contentfd < 0) {
		dossier_error_set("'%s' is not a dossierfs archive (no %s/ "
				  "folder): create one with 'dossierctl init'",
				  a->path, CONTENT_DIR);
		return DOSSIER_ENOTFOUND;
	}
	return 0;
}

/* The catalog, checked, and what is loaded from it: patterns, rules. */
static int open_catalog(struct dossier_archive *a)
{
	char buf[4096];
	int rc;

	snprintf(buf, sizeof(buf), "%s/%s", a->path, CATALOG_FILE);
	if (access(buf, F_OK) < 0) {
		dossier_error_set("catalog '%s' is missing: restore it from a "
				  "backup (the content store is intact)", buf);
		return DOSSIER_ECORRUPT;
	}
	if ((rc = dossier_db_open(&a->db, buf, 0)) < 0 ||
	    (rc = text_db_init(a->db)) < 0 ||
	    (rc = archive_prepare_all(a)) < 0 ||
	    (rc = archive_load_patterns(a)) < 0 ||
	    (rc = dossier_rules_open(&a->rules, a->db)) < 0)
		return rc;
	return 0;
}

static int served_elsewhere(const struct dossier_archive *a)
{
	dossier_error_set("archive '%s' is already mounted by another "
			  "dossierfs", a->path);
	return DOSSIER_EBUSY;
}

/* EBUSY if a daemon holds the archive's lock (DOSSIER_ARCHIVE_OPEN_PROBE). */
static int probe_served(struct dossier_archive *a)
{
	int fd = openat(a->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int busy;

	if (fd < 0)
		return 0;
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0;
	close(fd);
	if (!busy)
		return 0;
	return served_elsewhere(a);
}

/* The serving daemon's lock, history, access sweeper and text index. */
static int serve(struct dossier_archive *a)
{
	struct history_hooks hooks = { history_daily, history_version_indexed,
				       history_versions_committed, NULL };
	int rc;

	/* one serving daemon per archive: two would race on history */
	a->lockfd = openat(a->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
			   0600);
	if (a->lockfd < 0 || flock(a->lockfd, LOCK_EX | LOCK_NB) < 0) {
		return served_elsewhere(a);
	}
	hooks.ctx = a;
	if ((rc = history_open(&a->history, a, 0, &hooks)) < 0 ||
	    (rc = history_start(a->history)) < 0 ||
	    (rc = access_sweeper_start(a)) < 0 ||
	    (rc = text_open(&a->text, a)) < 0)
		return rc;
	return 0;
}

int dossier_archive_open(struct dossier_archive **out, const char *path,
			 unsigned flags)
{
	struct dossier_archive *a = NULL;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return DOSSIER_ERROR;
	a->rootfd = a->contentfd = a->lockfd = -1;
	a->flags = flags;
	pthread_mutex_init(&a->lock, NULL);
	if ((rc = open_dirs(a, path)) < 0 || (rc = open_catalog(a)) < 0 ||
	    (rc = trash_open(&a->trash)) < 0)
		goto fail;
	if ((flags & DOSSIER_ARCHIVE_OPEN_PROBE) && (rc = probe_served(a)) < 0)
		goto fail;
	/* writable opens are audited, the daemon's and dossierctl's alike */
	if (!(flags & DOSSIER_ARCHIVE_OPEN_READONLY) &&
	    (rc = audit_open(&a->audit, a)) < 0)
		goto fail;
	if ((flags & DOSSIER_ARCHIVE_OPEN_SERVE) && (rc = serve(a)) < 0)
		goto fail;
	*out = a;
	return 0;
fail:
	dossier_archive_close(a);
	return rc;
}

void dossier_archive_close(struct dossier_archive *a)
{
	size_t i;

	if (!a)
		return;
	access_sweeper_stop(a);
	text_close(a->text);
	a->text = NULL;
	/* commits everything journaled before the catalog closes */
	history_close(a->history);
	a->history = NULL;
	audit_close(a->audit);
	a->audit = NULL;
	trash_close(a->trash);
	if (a->lockfd >= 0)
		close(a->lockfd);
	dossier_rules_free(a->rules);
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(a->st[i]);
	for (i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(a->cache[i].st);
	dossier_db_close(a->db);
	for (i = 0; i < a->npatterns; i++)
		free(a->patterns[i]);
	free(a->patterns);
	if (a->contentfd >= 0)
		close(a->contentfd);
	if (a->rootfd >= 0)
		close(a->rootfd);
	pthread_mutex_destroy(&a->lock);
	free(a->path);
	free(a);
}

static int seed_catalog(sqlite3 *db, enum dossier_lang lang)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc;
	int64_t t = dossier_clock_ns();
	char sql[512];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO node(id, parent, name, kind, mode, uid, gid, "
		 "mtime_ns, ctime_ns, created_ns) VALUES(%d, NULL, '', 0, %d, "
		 "0, 0, %" PRId64 ", %" PRId64 ", %" PRId64 ");"
		 "INSERT INTO meta VALUES('lang', '%s');",
		 DOSSIER_ROOT_ID, S_IFDIR | 0755, t, t, t,
		 lang == DOSSIER_LANG_ZH ? "zh" : "en");
	if ((rc = dossier_db_exec(db, sql)) < 0)
		return rc;
	if ((rc = dossier_db_prepare(db, "INSERT INTO category(name, position)"
				     " VALUES(?, ?)", &st)) < 0)
		return rc;
	for (i = 0; i < sizeof(default_categories) /
			sizeof(default_categories[0]) && rc == 0; i++) {
		sqlite3_bind_text(st, 1, default_categories[i][lang], -1,
				  SQLITE_STATIC);
		sqlite3_bind_int(st, 2, (int)i);
		rc = dossier_db_step_done(db, st, "seed categories");
	}
	sqlite3_finalize(st);
	if (rc < 0 || (rc = dossier_db_prepare(db, "INSERT INTO "
					       "scratch_pattern VALUES(?, ?)",
					       &st)) < 0)
		return rc;
	for (i = 0; i < sizeof(default_patterns) /
			sizeof(default_patterns[0]) && rc == 0; i++) {
		sqlite3_bind_text(st, 1, default_patterns[i][0], -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 2, default_patterns[i][1], -1,
				  SQLITE_STATIC);
		rc = dossier_db_step_done(db, st, "seed scratch patterns");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The refusal of mkdir(what) that just failed. */
static int cannot_create(const char *what)
{
	int saverr = errno;

	dossier_error_set("cannot create '%s': %s", what, strerror(saverr));
	return dossier_err_from_errno(saverr);
}

/* path, made if need be, as an empty folder only root may enter. */
static int make_root(const char *path)
{
	DIR *d;
	struct dirent *de;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return cannot_create(path);
	d = opendir(path);
	if (!d) {
		dossier_error_set("cannot open '%s': %s", path,
				  strerror(errno));
		return dossier_err_from_errno(errno);
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			break;
	closedir(d);
	if (de) {
		dossier_error_set("'%s' is not empty: an archive is created "
				  "in a new or empty folder", path);
		return DOSSIER_EEXISTS;
	}
	/* The store is root's: users reach it only through the mount. */
	if (chmod(path, 0700) < 0) {
		dossier_error_set("cannot chmod '%s': %s", path,
				  strerror(errno));
		return DOSSIER_ERROR;
	}
	return 0;
}

/* The content folder of the archive at path and its 256 folders. */
static int make_content(const char *path)
{
	char buf[4096];
	int i;

	snprintf(buf, sizeof(buf), "%s/%s", path, CONTENT_DIR);
	if (mkdir(buf, 0700) < 0)
		return cannot_create(buf);
	for (i = 0; i < 256; i++) {
		snprintf(buf, sizeof(buf), "%s/%s/%02x", path, CONTENT_DIR, i);
		if (mkdir(buf, 0700) < 0)
			return cannot_create(buf);
	}
	return 0;
}

/* The catalog of the archive at path, seeded, in one transaction. */
static int make_catalog(const char *path, enum dossier_lang lang)
{
	char buf[4096];
	sqlite3 *db = NULL;
	int rc;

	snprintf(buf, sizeof(buf), "%s/%s", path, CATALOG_FILE);
	if ((rc = dossier_db_open(&db, buf, 1)) < 0)
		return rc;
	rc = dossier_db_exec(db, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = seed_catalog(db, lang);
	if (rc == 0)
		rc = dossier_rules_seed_default(db);
	if (rc == 0)
		rc = dossier_db_exec(db, "COMMIT");
	dossier_db_close(db);
	if (rc == 0)
		chmod(buf, 0600);
	return rc;
}

int dossier_archive_create(const char *path, enum dossier_lang lang)
{
	struct dossier_git *git = NULL;
	char buf[4096];
	int rc;

	if ((rc = make_root(path)) < 0 || (rc = make_content(path)) < 0 ||
	    (rc = make_catalog(path, lang)) < 0)
		return rc;
	snprintf(buf, sizeof(buf), "%s/history.git", path);
	rc = dossier_git_open(&git, buf, 1);
	dossier_git_free(git);
	return rc;
}

int dossier_archive_lookup(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name, struct dossier_attr *out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	const struct subtree *s;
	struct node n;
	int rc;

	parent = node_of(parent);

	dossier_error_clear();
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0) {
		/* an unusable name cannot exist: plain ENOENT-like answer */
		dossier_error_clear();
		return rc == DOSSIER_ENAMETOOLONG ? rc : DOSSIER_ENOTFOUND;
	}
	pthread_mutex_lock(&a->lock);
	if ((s = subtree_lookup_at(parent, nfc))) {
		rc = s->lookup(a, who, parent, nfc, out);
		pthread_mutex_unlock(&a->lock);
		return rc;
	}
	/* a name held only by what who may not see is no name at all */
	rc = archive_find_visible(a, who, parent, nfc, &n);
	if (rc == 0)
		rc = archive_node_attr(a, who, &n, out);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_getattr(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    struct dossier_attr *out)
{
	const struct subtree *s = subtree_of(node_of(id));
	struct node n;
	int rc;

	id = node_of(id);

	dossier_error_clear();
	pthread_mutex_lock(&a->lock);
	if (s)
		rc = s->getattr(a, who, id, out);
	else if ((rc = archive_get_node(a, id, &n)) == 0 &&
		 archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
		rc = DOSSIER_EHIDDEN;
	else if (rc == 0)
		rc = archive_node_attr(a, who, &n, out);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_access(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t id,
			   int mask)
{
	const struct subtree *s = subtree_of(node_of(id));
	struct node n;
	int rc;

	id = node_of(id);

	dossier_error_clear();
	if (s) {
		struct dossier_attr at;

		rc = dossier_archive_getattr(a, who, id, &at);
		if (rc == 0 && (mask & W_OK) &&
		    !(s->writable && s->writable(who, id)))
			rc = DOSSIER_EREADONLY;
		return rc;
	}
	pthread_mutex_lock(&a->lock);
	rc = archive_get_node(a, id, &n);
	if (rc == 0 && archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
		rc = DOSSIER_EHIDDEN;
	if (rc == 0 && (mask & R_OK))
		rc = archive_decide(a, who, &n, NULL, DOSSIER_ACT_READ);
	if (rc == 0 && (mask & W_OK))
		rc = archive_decide(a, who, &n, NULL, n.kind == DOSSIER_KIND_FILE ?
					   DOSSIER_ACT_WRITE : DOSSIER_ACT_CREATE);
	if (rc == 0 && (mask & X_OK) && n.kind == DOSSIER_KIND_FILE &&
	    !(n.mode & 0111))
		rc = DOSSIER_EDENIED;
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_statfs(struct dossier_archive *a, struct statvfs *out)
{
	if (fstatvfs(a->contentfd, out) < 0) {
		dossier_error_set("statfs: %s", strerror(errno));
		return dossier_err_from_errno(errno);
	}
	out->f_namemax = DOSSIER_NAME_MAX;
	return 0;
}
