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

/*
 * How long the kernel may cache names and attributes. The root, years and
 * categories look the same to every caller and change only through
 * dossierctl (which asks for invalidation). Every name below a category
 * may be visible to one caller and not another, so the kernel never
 * caches it: each path walk, by anyone, asks us again (TTL_CALLER).
 *
 * Attributes below a category are kept for a moment (TTL_CALLER_ATTR):
 * the kernel only reaches them through a name we just answered for the
 * same caller (the lookup's reply refreshes them), so this saves the
 * GETATTR that stat() would send right after every lookup. What another
 * caller could see in that second is the permission bits computed for
 * the caller before (never a name, a size or content that it was not
 * shown: it had to pass our lookup to get there); access itself is
 * decided at open and at every read of a guarded file, never from them.
 */
#define TTL_FIXED 60.0
#define TTL_CALLER 0.0
#define TTL_CALLER_ATTR 1.0

const char *const archive_node_cols =
	"id, parent, kind, scratch, category, mode, uid, gid, mtime_ns, "
	"ctime_ns, deleted_ns IS NOT NULL, hist_rec IS NOT NULL, "
	"coalesce(displaced_ns, 0), cgen, coalesce(level, 0), "
	"coalesce(scope, 1), dept, coalesce(derived, 0), coalesce(twin_of, 0)";

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

static const char *const stmt_sql[ST__COUNT] = {
	[ST_LOOKUP] = "SELECT %s FROM node WHERE parent = ?1 AND name = ?2 "
		      "AND deleted_ns IS NULL ORDER BY id",
	[ST_GET] = "SELECT %s FROM node WHERE id = ?1",
	/* names in order (node_by_name): entries sharing one are adjacent */
	[ST_LIST] = "SELECT %s, name FROM node WHERE parent = ?1 "
		    "AND deleted_ns IS NULL ORDER BY name, id",
	/* a new entry takes its folder's level, scope and department */
	[ST_INSERT] = "INSERT INTO node(parent, name, kind, category, scratch,"
		      " mode, uid, gid, mtime_ns, ctime_ns, created_ns, level,"
		      " scope, dept) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		      "?9, ?9, ?9, (SELECT level FROM node WHERE id = ?1), "
		      "(SELECT scope FROM node WHERE id = ?1), coalesce(("
		      "SELECT dept FROM node WHERE id = ?1), ?10))",
	[ST_TOUCH] = "UPDATE node SET mtime_ns = ?2, ctime_ns = ?2 "
		     "WHERE id = ?1",
	[ST_HASCHILD] = "SELECT 1 FROM node WHERE parent = ?1 "
			"AND deleted_ns IS NULL LIMIT 1",
	[ST_HASANYCHILD] = "SELECT 1 FROM node WHERE parent = ?1 LIMIT 1",
	[ST_DELETE] = "DELETE FROM node WHERE id = ?1",
	[ST_SOFTDEL] = "UPDATE node SET deleted_ns = ?2, deleted_by = ?3, "
		       "deleted_path = ?4 WHERE id = ?1",
	/* a scratch file renamed to a record's name becomes a record */
	[ST_MOVE] = "UPDATE node SET parent = ?2, name = ?3, kind = ?4, "
		    "scratch = ?5, ctime_ns = ?6, derived = CASE WHEN ?5 "
		    "THEN derived END WHERE id = ?1",
	[ST_SETOWNER] = "UPDATE node SET mode = ?2, uid = ?3, gid = ?4, "
			"ctime_ns = ?5 WHERE id = ?1",
	[ST_SETDIRTIME] = "UPDATE node SET mtime_ns = ?2, ctime_ns = ?3 "
			  "WHERE id = ?1",
	[ST_CATEGORIES] = "SELECT id, name, retention_years FROM category "
			  "ORDER BY position",
	/* a twin, or a younger namesake of a live entry, is marked */
	[ST_ANCESTORS] = "WITH RECURSIVE up(id, parent, name, twin, depth) AS ("
			 " SELECT id, parent, name, coalesce(twin_of, 0), 0"
			 " FROM node WHERE id = ?1"
			 " UNION ALL SELECT n.id, n.parent, n.name,"
			 " coalesce(n.twin_of, 0), depth + 1"
			 " FROM node n JOIN up ON n.id = up.parent"
			 " WHERE up.parent IS NOT NULL)"
			 " SELECT id, name, twin != 0 OR EXISTS(SELECT 1 FROM"
			 " node o WHERE o.parent = up.parent AND o.name ="
			 " up.name AND o.deleted_ns IS NULL AND o.id < up.id"
			 " AND coalesce(o.twin_of, 0) = 0)"
			 " FROM up ORDER BY depth DESC",
};

#define LIST_NAME_COL ARCHIVE_NODE_NCOLS

static void ns_to_ts(struct timespec *ts, int64_t ns)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

void content_relpath(char *out, size_t outsz, uint64_t id)
{
	snprintf(out, outsz, "%02x/%" PRIu64, (unsigned)(id & 0xff), id);
}

const char *dossier_archive_path(const struct dossier_archive *a)
{
	return a->path;
}

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

/* ---- catalog rows ---- */

void archive_row_to_node(sqlite3_stmt *st, struct node *n)
{
	n->id = (uint64_t)sqlite3_column_int64(st, 0);
	n->parent = (uint64_t)sqlite3_column_int64(st, 1);
	n->kind = sqlite3_column_int(st, 2);
	n->scratch = sqlite3_column_int(st, 3);
	n->category = sqlite3_column_int64(st, 4);
	n->mode = (mode_t)sqlite3_column_int(st, 5);
	n->uid = (uid_t)sqlite3_column_int64(st, 6);
	n->gid = (gid_t)sqlite3_column_int64(st, 7);
	n->mtime_ns = sqlite3_column_int64(st, 8);
	n->ctime_ns = sqlite3_column_int64(st, 9);
	n->deleted = sqlite3_column_int(st, 10);
	n->has_hist = sqlite3_column_int(st, 11);
	n->displaced_ns = sqlite3_column_int64(st, 12);
	n->cgen = sqlite3_column_int64(st, 13);
	n->level = sqlite3_column_int(st, 14);
	n->scope = sqlite3_column_int(st, 15);
	snprintf(n->dept, sizeof(n->dept), "%s",
		 sqlite3_column_type(st, 16) == SQLITE_NULL ? "" :
		 (const char *)sqlite3_column_text(st, 16));
	n->derived = sqlite3_column_int64(st, 17);
	n->twin_of = sqlite3_column_int64(st, 18);
}

/* Fetch one row from a prepared lookup; resets st. Lock held. */
static int fetch_node(struct dossier_archive *a, sqlite3_stmt *st,
		      struct node *out)
{
	int src = sqlite3_step(st);
	int rc = 0;

	if (src == SQLITE_ROW)
		archive_row_to_node(st, out);
	else if (src == SQLITE_DONE)
		rc = DOSSIER_ENOTFOUND;
	else
		rc = dossier_db_err(a->db, src, "read node");
	sqlite3_reset(st);
	return rc;
}

int archive_get_node(struct dossier_archive *a, uint64_t id, struct node *out)
{
	sqlite3_stmt *st = a->st[ST_GET];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	return fetch_node(a, st, out);
}

int archive_find_child(struct dossier_archive *a, uint64_t parent,
		       const char *nfc, struct node *out)
{
	sqlite3_stmt *st = a->st[ST_LOOKUP];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, nfc, -1, SQLITE_STATIC);
	return fetch_node(a, st, out);
}

void archive_shown_name(char *out, size_t outsz, const char *nfc,
			uint64_t id, int is_file)
{
	const char *dot = is_file ? strrchr(nfc, '.') : NULL;

	if (!dot || dot == nfc)
		dot = nfc + strlen(nfc);
	snprintf(out, outsz, "%.*s (#%" PRIu64 ")%s", (int)(dot - nfc), nfc,
		 id, dot);
}

/*
 * "STEM (#ID).EXT" names entry ID when its own name is STEM.EXT: the name
 * a caller who sees two entries of one name is shown for the younger.
 */
static int find_shown(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *nfc, struct node *out)
{
	const char *open = strstr(nfc, " (#"), *close;
	char real[DOSSIER_NAME_MAX + 1], shown[DOSSIER_NAME_MAX + 32];
	sqlite3_stmt *st = NULL;
	uint64_t id;
	int rc = DOSSIER_ENOTFOUND;

	if (!open || !(close = strchr(open, ')')))
		return DOSSIER_ENOTFOUND;
	id = strtoull(open + 3, NULL, 10);
	if (!id || archive_get_node(a, id, out) < 0 || out->deleted ||
	    out->parent != parent)
		return DOSSIER_ENOTFOUND;
	if (archive_stmt(a, "SELECT name FROM node WHERE id = ?1", &st) < 0)
		return DOSSIER_ENOTFOUND;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(real, sizeof(real), "%s", sqlite3_column_text(st, 0));
		archive_shown_name(shown, sizeof(shown), real, id,
				   out->kind == DOSSIER_KIND_FILE);
		if (!strcmp(shown, nfc) &&
		    archive_decide(a, who, out, NULL, ACT_LIST) == 0)
			rc = 0;
	}
	archive_stmt_done(st);
	return rc;
}

/*
 * Is twin n shown to who only under its disambiguated name? Yes when who
 * may list the entry it twins (wherever that is now, in the trash too):
 * a twin planted by someone who could not see that entry must never
 * stand in for it (a save of the hidden record would land in the twin).
 * Lock held.
 */
static int twin_masked(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n)
{
	struct node o;
	int masked;

	if (!n->twin_of || archive_get_node(a, (uint64_t)n->twin_of, &o) < 0) {
		dossier_error_clear();
		return 0;
	}
	masked = archive_decide(a, who, &o, NULL, ACT_LIST) == 0;
	dossier_error_clear();
	return masked;
}

int archive_find_visible(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t parent,
			 const char *nfc, struct node *out)
{
	sqlite3_stmt *st = a->st[ST_LOOKUP];
	struct node *rows = NULL;
	size_t nrows = 0, i;
	int src, found = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, nfc, -1, SQLITE_STATIC);
	while (!found && (src = sqlite3_step(st)) == SQLITE_ROW) {
		archive_row_to_node(st, out);
		if (archive_decide(a, who, out, NULL, ACT_LIST) < 0)
			continue;
		if (!out->twin_of) {
			found = 1;
		} else {
			/* decided once the statement is done (it is shared) */
			struct node *nr = realloc(rows, (nrows + 1) *
						  sizeof(*rows));

			if (!nr)
				break;
			rows = nr;
			rows[nrows++] = *out;
		}
	}
	sqlite3_reset(st);
	dossier_error_clear();
	for (i = 0; !found && i < nrows; i++)
		if (!twin_masked(a, who, &rows[i])) {
			*out = rows[i];
			found = 1;
		}
	free(rows);
	if (found)
		return 0;
	return find_shown(a, who, parent, nfc, out);
}

int archive_first_listed(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t parent,
			 const char *nfc, const char *cond, struct node *out)
{
	sqlite3_stmt *st = NULL;
	char sql[768];
	int rc;

	snprintf(sql, sizeof(sql), "SELECT %s FROM node WHERE parent = ?1 AND "
		 "name = ?2 AND %s", archive_node_cols, cond);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, nfc, -1, SQLITE_STATIC);
	rc = DOSSIER_ENOTFOUND;
	while (rc < 0 && sqlite3_step(st) == SQLITE_ROW) {
		archive_row_to_node(st, out);
		if (archive_decide(a, who, out, NULL, ACT_LIST) == 0)
			rc = 0;
	}
	dossier_error_clear();
	sqlite3_finalize(st);
	return rc;
}

/* The oldest entry hidden from who that holds parent/nfc, or left it in
 * a save dance within the window; 0 if none. Lock held. */
static uint64_t hidden_holder(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      uint64_t parent, const char *nfc, uint64_t self,
			      int64_t t)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	uint64_t holder = 0;

	if (archive_stmt(a, "SELECT id FROM node WHERE parent = ?1 AND "
			 "id != ?3 AND ((name = ?2 AND (deleted_ns IS NULL OR "
			 "(deleted_ns > ?4 AND kind = 5 AND scratch = 0))) OR "
			 "(prev_name = ?2 AND displaced_ns > ?4 AND deleted_ns "
			 "IS NULL)) ORDER BY id", &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, nfc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)self);
	sqlite3_bind_int64(st, 4, t - HISTORY_WINDOW_NS);
	while (!holder && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);

		/* the statement is kept: decide on a copy of the row */
		if (archive_get_node(a, id, &n) == 0 &&
		    archive_decide(a, who, &n, NULL, ACT_LIST) < 0)
			holder = id;
	}
	archive_stmt_done(st);
	dossier_error_clear();
	return holder;
}

int archive_take_name(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t id,
		      uint64_t parent, const char *nfc, int64_t t)
{
	uint64_t holder = hidden_holder(a, who, parent, nfc, id, t);

	return archive_exec(a, "UPDATE node SET twin_of = ? WHERE id = ?",
			    "ii", holder ? (int64_t)holder : (int64_t)0,
			    (int64_t)id);
}

static int has_child(struct dossier_archive *a, uint64_t id, int any)
{
	sqlite3_stmt *st = a->st[any ? ST_HASANYCHILD : ST_HASCHILD];
	int src;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	src = sqlite3_step(st);
	sqlite3_reset(st);
	return src == SQLITE_ROW;
}

static int insert_node(struct dossier_archive *a, uint64_t parent,
		       const char *name, int kind, int64_t category,
		       int scratch, mode_t mode, uid_t uid, gid_t gid,
		       int64_t t, uint64_t *id_out)
{
	sqlite3_stmt *st = a->st[ST_INSERT];
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, kind);
	if (category > 0)
		sqlite3_bind_int64(st, 4, category);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int(st, 5, scratch);
	sqlite3_bind_int(st, 6, (int)mode);
	sqlite3_bind_int64(st, 7, uid);
	sqlite3_bind_int64(st, 8, gid);
	sqlite3_bind_int64(st, 9, t);
	if (a->rules) {
		const char *dept = NULL;

		if (dossier_rules_user_info(a->rules, uid, NULL, &dept) == 0 &&
		    dept)
			sqlite3_bind_text(st, 10, dept, -1, SQLITE_TRANSIENT);
		dossier_error_clear();
	}
	rc = dossier_db_step_done(a->db, st, "insert node");
	sqlite3_clear_bindings(st);
	if (rc == 0 && id_out)
		*id_out = (uint64_t)sqlite3_last_insert_rowid(a->db);
	return rc;
}

static int touch_node(struct dossier_archive *a, uint64_t id, int64_t t)
{
	sqlite3_stmt *st = a->st[ST_TOUCH];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, t);
	return dossier_db_step_done(a->db, st, "touch folder");
}

static int delete_node(struct dossier_archive *a, uint64_t id)
{
	sqlite3_stmt *st = a->st[ST_DELETE];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	return dossier_db_step_done(a->db, st, "delete node");
}

/*
 * The '/'-joined path of id below the root ("2024/contracts/ACME/x.pdf").
 * Caller frees.
 */
char *archive_node_path(struct dossier_archive *a, uint64_t id)
{
	sqlite3_stmt *st = a->st[ST_ANCESTORS];
	size_t len = 0, cap = 256;
	char *buf = malloc(cap);
	int src;

	if (!buf)
		return NULL;
	buf[0] = '\0';
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		char poly[DOSSIER_NAME_MAX + 32];
		size_t n;

		if (sqlite3_column_int64(st, 0) == DOSSIER_ROOT_ID)
			continue;
		/*
		 * Two live entries share this name (one was hidden from whoever
		 * made the other): the younger one's canonical path, kept by
		 * history and the trash, says which it is with a byte no real
		 * name may hold; what callers are shown never carries it
		 * (archive_path_shown).
		 */
		if (sqlite3_column_int(st, 2)) {
			snprintf(poly, sizeof(poly), "%s\001%" PRId64, name,
				 (int64_t)sqlite3_column_int64(st, 0));
			name = poly;
		}
		n = strlen(name);
		if (len + n + 2 > cap) {
			char *nb;

			cap = (len + n + 2) * 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		if (len)
			buf[len++] = '/';
		memcpy(buf + len, name, n + 1);
		len += n;
	}
	sqlite3_reset(st);
	return buf;
}

char *archive_path_shown(char *s)
{
	char *r = s, *w = s;

	if (!strchr(s, '\001'))
		return s;
	while (*r) {
		if (*r == '\001') {
			r++;
			while (*r >= '0' && *r <= '9')
				r++;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return s;
}

/* 1 if anc is id or one of its ancestors. */
static int is_ancestor(struct dossier_archive *a, uint64_t anc, uint64_t id)
{
	sqlite3_stmt *st = a->st[ST_ANCESTORS];
	int src, found = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW)
		if ((uint64_t)sqlite3_column_int64(st, 0) == anc)
			found = 1;
	sqlite3_reset(st);
	return found;
}

static int is_scratch_name(struct dossier_archive *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->npatterns; i++)
		if (fnmatch(a->patterns[i], name, FNM_PERIOD) == 0)
			return 1;
	return 0;
}

/* ---- small statements and the history journal ---- */

int archive_stmt(struct dossier_archive *a, const char *sql,
		 sqlite3_stmt **out)
{
	size_t h = ((uintptr_t)sql >> 3) % STMT_CACHE, i;
	int rc;

	for (i = 0; i < STMT_CACHE; i++, h = (h + 1) % STMT_CACHE) {
		if (a->cache[h].sql == sql) {
			*out = a->cache[h].st;
			return 0;
		}
		if (!a->cache[h].sql)
			break;
	}
	if (i == STMT_CACHE) {
		dossier_error_set("catalog: statement cache full");
		return DOSSIER_ERROR;
	}
	if ((rc = dossier_db_prepare(a->db, sql, out)) < 0)
		return rc;
	a->cache[h].sql = sql;
	a->cache[h].st = *out;
	return 0;
}

void archive_stmt_done(sqlite3_stmt *st)
{
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
}

/*
 * Run one statement with bindings described by types: 'i' int64, 't' text
 * (NULL binds NULL), 'n' NULL. Lock held.
 */
int archive_exec(struct dossier_archive *a, const char *sql,
		 const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc, i;

	if ((rc = archive_stmt(a, sql, &st)) < 0)
		return rc;
	va_start(ap, types);
	for (i = 0; types[i]; i++) {
		if (types[i] == 'i') {
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else if (types[i] == 't') {
			const char *t = va_arg(ap, const char *);

			if (t)
				sqlite3_bind_text(st, i + 1, t, -1,
						  SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	rc = dossier_db_step_done(a->db, st, sql);
	archive_stmt_done(st);
	return rc;
}

/* One integer from a query with one int64 and one text binding; 0 if none. */
static int64_t query_id(struct dossier_archive *a, const char *sql,
			int64_t i1, const char *t2, int64_t i3, int64_t i4)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	if (archive_stmt(a, sql, &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, i1);
	sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, i3);
	sqlite3_bind_int64(st, 4, i4);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	archive_stmt_done(st);
	return v;
}

static int journal_row(struct dossier_archive *a, uint64_t record,
		       const char *op, const char *path, const char *old_path,
		       const char *spool, const struct dossier_buf *data,
		       const char *blob, const struct dossier_caller *who,
		       const char *reason, int64_t t, const struct stat *live)
{
	static const char sql[] = "INSERT INTO journal(record, op, path, "
		"old_path, spool, data, blob, author_uid, program, reason, "
		"time_ns, due_ns, live, live_size) VALUES(?1, ?2, ?3, ?4, ?5, "
		"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
	sqlite3_stmt *st = NULL;
	char program[64];
	int rc;

	history_program(who->pid, program, sizeof(program));
	if ((rc = archive_stmt(a, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
	sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, old_path, -1, SQLITE_STATIC);
	if (spool && spool[0])
		sqlite3_bind_text(st, 5, spool, -1, SQLITE_STATIC);
	else if (data)
		sqlite3_bind_blob64(st, 6, data->buf, data->len,
				    SQLITE_STATIC);
	sqlite3_bind_text(st, 7, blob, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (int32_t)who->uid);
	if (who->pid > 0)
		sqlite3_bind_text(st, 9, program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, t);
	sqlite3_bind_int64(st, 12, t + HISTORY_WINDOW_NS);
	if (live) {
		sqlite3_bind_int64(st, 13, (sqlite3_int64)live->st_ino);
		sqlite3_bind_int64(st, 14, (sqlite3_int64)live->st_size);
	}
	rc = dossier_db_step_done(a->db, st, "journal");
	archive_stmt_done(st);
	if (rc == 0)
		history_kick(a->history);
	return rc;
}

int archive_journal(struct dossier_archive *a, uint64_t record,
		    const char *op, const char *path, const char *old_path,
		    const char *spool, const char *blob,
		    const struct dossier_caller *who, const char *reason,
		    int64_t t)
{
	return journal_row(a, record, op, path, old_path, spool, NULL, blob,
			   who, reason, t, NULL);
}

int archive_journal_snap(struct dossier_archive *a, uint64_t record,
			 const char *op, const char *path, const char *spool,
			 const struct dossier_buf *data,
			 const struct dossier_caller *who, const char *reason,
			 int64_t t)
{
	return journal_row(a, record, op, path, NULL, spool, data, NULL, who,
			   reason, t, NULL);
}

/* Is content of this stat journaled as a deferred snapshot? */
static int deferrable(struct dossier_archive *a, const struct stat *cs)
{
	return cs->st_size > HISTORY_INLINE_MAX &&
	       history_live_room(a->history);
}

/*
 * Journal a content change of record id whose content is open as fd (cs:
 * its stat now): large content as a deferred snapshot (the row names the
 * inode; history_i.h), else copied now. Lock held.
 */
static int journal_deferred(struct dossier_archive *a, uint64_t id,
			    const char *op, const char *path, int fd,
			    const struct stat *cs,
			    const struct dossier_caller *who,
			    const char *reason, int64_t t)
{
	struct dossier_buf data = DOSSIER_BUF_INIT;
	char spool[64];
	int rc;

	if (deferrable(a, cs)) {
		rc = journal_row(a, id, op, path, NULL, NULL, NULL, NULL, who,
				 reason, t, cs);
		if (rc == 0)
			rc = history_live_add(a->history,
					      sqlite3_last_insert_rowid(a->db),
					      id, fd, cs);
		return rc;
	}
	rc = history_spool(a->history, fd, spool, sizeof(spool), &data);
	if (rc == 0)
		rc = archive_journal_snap(a, id, op, path, spool, &data, who,
					  reason, t);
	if (rc < 0 && spool[0])
		history_discard_spool(a->history, spool);
	dossier_buf_release(&data);
	return rc;
}

/*
 * Forget pending journal entries of record (all, or of one op), and the
 * content snapshots they held.
 */
static int journal_forget(struct dossier_archive *a, uint64_t record,
			  const char *op)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (a->history &&
	    dossier_db_prepare(a->db, "SELECT spool FROM journal WHERE record "
			       "= ?1 AND spool IS NOT NULL AND (?2 IS NULL OR "
			       "op = ?2)", &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
		sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			history_discard_spool(a->history, (const char *)
					      sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	rc = archive_exec(a, "DELETE FROM journal WHERE record = ? AND "
			 "(?2 IS NULL OR op = ?2)", "it", (int64_t)record, op);
	history_live_prune(a->history, record);
	return rc;
}

/*
 * Journal a change of record n's content: snapshot it into the spool (so
 * the entry commits exactly this content) and remember the content's
 * stat for reconciliation. Lock held. Only when serving (history open).
 */
static int journal_content(struct dossier_archive *a, uint64_t id,
			   const char *op, int fd,
			   const struct dossier_caller *who,
			   const char *reason, int64_t t)
{
	char rel[64], *path;
	struct stat cs;
	int rc, own = -1;

	if (!a->history)
		return 0;
	if (fd < 0) {
		content_relpath(rel, sizeof(rel), id);
		fd = own = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			dossier_error_set("cannot open content: %s",
					  strerror(errno));
			return DOSSIER_EIO;
		}
	}
	if (fstat(fd, &cs) < 0) {
		dossier_error_set("cannot snapshot content: %s",
				  strerror(errno));
		rc = DOSSIER_EIO;
	} else {
		rc = archive_exec(a, "UPDATE node SET snap_mtime_ns = ?, "
				  "snap_size = ? WHERE id = ?", "iii",
				  (int64_t)cs.st_mtim.tv_sec * 1000000000 +
					  cs.st_mtim.tv_nsec,
				  (int64_t)cs.st_size, (int64_t)id);
	}
	if (rc == 0) {
		path = archive_node_path(a, id);
		rc = journal_deferred(a, id, op, path, fd, &cs, who, reason,
				      t);
		free(path);
	}
	if (own >= 0)
		close(own);
	return rc;
}

/* Journal a rename or delete of a record (no content change). */
static int journal_plain(struct dossier_archive *a, uint64_t id,
			 const char *op, const char *old_path,
			 const struct dossier_caller *who, int64_t t)
{
	char *path = archive_node_path(a, id);
	int rc;

	rc = archive_journal(a, id, op, path, old_path, NULL, NULL, who,
			     NULL, t);
	free(path);
	return rc;
}

/* ---- attributes ---- */

static int is_save_source(const struct node *src);

static void fill_attr(struct dossier_archive *a, const struct node *n,
		      struct dossier_attr *out)
{
	struct stat *st = &out->st;
	(void)a;

	memset(out, 0, sizeof(*out));
	out->id = NODEID(n->id, n->cgen);
	out->kind = (enum dossier_kind)n->kind;
	st->st_ino = n->id;
	st->st_mode = n->mode;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	ns_to_ts(&st->st_mtim, n->mtime_ns);
	ns_to_ts(&st->st_ctim, n->ctime_ns);
	st->st_atim = st->st_mtim;
	out->save_source = is_save_source(n);
	if (n->kind <= DOSSIER_KIND_CATEGORY) {
		out->entry_ttl = TTL_FIXED;
		/* a category's link count counts the clients one may see */
		out->attr_ttl = n->kind == DOSSIER_KIND_CATEGORY ?
					TTL_CALLER_ATTR : TTL_FIXED;
	} else {
		out->entry_ttl = TTL_CALLER;
		out->attr_ttl = TTL_CALLER_ATTR;
	}
}

/*
 * The mode a caller sees: what they may do, the same for user, group and
 * other (so any tool's reading of the bits matches what open would do).
 */
static mode_t caller_mode(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n)
{
	mode_t m = 0;

	if (n->kind == DOSSIER_KIND_FILE) {
		if (archive_decide(a, who, n, NULL, ACT_READ) == 0)
			m |= 0444;
		if (archive_decide(a, who, n, NULL, ACT_WRITE) == 0)
			m |= 0222;
	} else {
		m = 0555;
		if (archive_decide(a, who, n, NULL, ACT_CREATE) == 0)
			m |= 0222;
	}
	dossier_error_clear();
	return m;
}

/* Attributes of n; files take size and times from their content. */
int archive_node_attr(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      struct dossier_attr *out)
{
	char rel[64];
	struct stat cst;

	fill_attr(a, n, out);
	if (who && n->kind >= DOSSIER_KIND_CLIENT)
		out->st.st_mode = (n->mode & S_IFMT) | caller_mode(a, who, n);
	/*
	 * The kernel lets only an inode's owner set its ACL, so an approver
	 * sees the records they may lend as their own: that is what makes
	 * 'setfacl -m u:NAME:r' (a grant request) reach us.
	 */
	if (who && n->kind == DOSSIER_KIND_FILE && who->uid != n->uid &&
	    archive_decide(a, who, n, NULL, ACT_GRANT) == 0)
		out->st.st_uid = who->uid;
	dossier_error_clear();
	if (n->kind != DOSSIER_KIND_FILE) {
		archive_folder_attr(a, who, n, &out->st);
		return 0;
	}
	content_relpath(rel, sizeof(rel), n->id);
	if (fstatat(a->contentfd, rel, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
		int saverr = errno;

		char *path = archive_node_path(a, n->id);

		dossier_error_set("content of record %" PRIu64 " ('%s') "
				  "unreadable: %s; restore a version with "
				  "'dossierctl restore PATH REV'", n->id,
				  path ? path : "", strerror(saverr));
		dossier_log(LOG_ERR, "%s", dossier_error_last());
		free(path);
		return DOSSIER_EIO;
	}
	out->st.st_size = cst.st_size;
	out->st.st_blocks = cst.st_blocks;
	out->st.st_blksize = cst.st_blksize;
	out->st.st_atim = cst.st_atim;
	out->st.st_mtim = cst.st_mtim;
	out->st.st_ctim = cst.st_ctim;
	return 0;
}

/* ---- decisions ---- */

static enum dossier_action rules_action(enum action act)
{
	switch (act) {
	case ACT_LIST: return DOSSIER_ACT_LIST;
	case ACT_READ: return DOSSIER_ACT_READ;
	case ACT_WRITE: return DOSSIER_ACT_WRITE;
	case ACT_CREATE: return DOSSIER_ACT_CREATE;
	case ACT_DELETE: return DOSSIER_ACT_DELETE;
	case ACT_HISTORY: return DOSSIER_ACT_HISTORY;
	case ACT_CLASSIFY: return DOSSIER_ACT_CLASSIFY;
	case ACT_GRANT: return DOSSIER_ACT_GRANT;
	}
	return DOSSIER_ACT_LIST;
}

void archive_object(const struct node *n, struct dossier_object *o)
{
	o->record = n->id;
	o->level = n->level;
	o->scope = (enum dossier_scope)n->scope;
	o->dept = n->dept[0] ? n->dept : NULL;
	o->owner = n->uid;
	o->is_folder = n->kind != DOSSIER_KIND_FILE;
}

/* 1 if the program of pid is a thumbnailer (policy data, comma list). */
static int is_thumbnailer(struct dossier_archive *a, pid_t pid)
{
	char list[1024], prog[64], *tok, *save = NULL;

	if (!a->rules || dossier_rules_setting_get(a->rules, "thumbnailers",
						   list, sizeof(list)) < 0) {
		dossier_error_clear();
		return 0;
	}
	history_program(pid, prog, sizeof(prog));
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, prog))
			return 1;
	return 0;
}

static int verdict(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, enum action act,
		   struct dossier_verdict *v);
static int verdict_scratch(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *n, enum action act,
			   struct dossier_verdict *v);
static int folder_visible_now(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      const struct node *n, int depth);

/* A folder is listed to whoever may create there or list anything in it. */
static int folder_visible(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n, int depth);

static _Thread_local int64_t last_rule;

int64_t archive_last_rule(void)
{
	return last_rule;
}

int archive_verdict(struct dossier_archive *a, const struct dossier_caller *who,
		    const struct node *n, enum action act,
		    struct dossier_verdict *v)
{
	int rc = verdict(a, who, n, act, v);

	last_rule = v->rule;
	return rc;
}

/*
 * A scratch file is decided as what it came from (docs/design.md, "What
 * editors derive"): a swap, backup or lock file as its record, so that
 * exactly those who may list the record list it, and those who may read
 * it read it (grants included); removing it takes the right to write the
 * record (an editor cleans up after itself). A private one (a save's
 * temp, derived from nothing the creator could see) is its creator's
 * alone. Lock held.
 */
static int verdict_scratch(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *n, enum action act,
			   struct dossier_verdict *v)
{
	struct node r;

	if (n->derived == SCRATCH_PRIVATE) {
		v->allow = who->uid == n->uid && act != ACT_GRANT &&
			   act != ACT_HISTORY;
		snprintf(v->why, sizeof(v->why), "%s", v->allow ?
			 "a temporary file of yours" :
			 "another user's temporary file");
		return 0;
	}
	if (archive_get_node(a, (uint64_t)n->derived, &r) < 0 || r.derived) {
		/* its record is gone for good: its own classification */
		struct node own = *n;

		dossier_error_clear();
		own.derived = 0;
		return verdict(a, who, &own, act, v);
	}
	if (act == ACT_DELETE)
		act = ACT_WRITE;
	return verdict(a, who, &r, act, v);
}

static int verdict(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, enum action act,
		   struct dossier_verdict *v)
{
	struct dossier_object o;

	memset(v, 0, sizeof(*v));
	/* the fixed top of the tree is the same for everyone */
	if (n->kind <= DOSSIER_KIND_CATEGORY && act != ACT_CREATE &&
	    act != ACT_DELETE && act != ACT_WRITE && act != ACT_CLASSIFY) {
		v->allow = 1;
		return 0;
	}
	if (!a->rules) {
		v->allow = who->uid == 0;
		return 0;
	}
	if (n->kind == DOSSIER_KIND_FILE && n->derived)
		return verdict_scratch(a, who, n, act, v);
	if (n->kind != DOSSIER_KIND_FILE && act == ACT_LIST) {
		v->allow = folder_visible(a, who, n, 0);
		snprintf(v->why, sizeof(v->why), "%s",
			 v->allow ? "folder holds something you may see" :
				    "nothing in this folder is yours to see");
		return 0;
	}
	archive_object(n, &o);
	if (n->kind != DOSSIER_KIND_FILE && act == ACT_READ)
		act = ACT_LIST;
	dossier_rules_decide(a->rules, who->uid, a->site[0] ? a->site : NULL,
			     rules_action(act), &o, dossier_clock_ns() /
			     1000000000, v);
	if (v->allow && act == ACT_READ && n->kind == DOSSIER_KIND_FILE &&
	    n->level > DOSSIER_LEVEL_INTERNAL && is_thumbnailer(a, who->pid)) {
		v->allow = 0;
		v->rule = 0;
		snprintf(v->why, sizeof(v->why), "thumbnailers may not read "
			 "records above internal (policy setting "
			 "'thumbnailers')");
	}
	return 0;
}

/*
 * The one place an operation is decided for a caller: the rule store
 * (core/rules.c) answers from memory. parent is the folder an entry is
 * deleted from (unused by the rules: the record decides).
 */
int archive_decide(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, const struct node *parent,
		   enum action act)
{
	struct dossier_verdict v;

	(void)parent;
	archive_verdict(a, who, n, act, &v);
	if (v.allow)
		return 0;
	if (act != ACT_LIST)
		dossier_error_set("%s", v.why[0] ? v.why : "not allowed");
	return DOSSIER_EDENIED;
}

/*
 * Whether a folder shows depends on everything in it, so the answer is
 * remembered per (folder, caller) until the catalog changes or the clock
 * moves to the next second (grants end on their own). Lock held.
 */
static int folder_visible(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n, int depth)
{
	int64_t sec = dossier_clock_ns() / 1000000000;
	size_t slot = (n->id * 31 + who->uid) % VIS_SLOTS;
	int vis;

	if (depth == 0 && a->vis[slot].id == n->id &&
	    a->vis[slot].uid == who->uid &&
	    a->vis[slot].generation == a->generation &&
	    a->vis[slot].sec == sec)
		return a->vis[slot].visible;
	vis = folder_visible_now(a, who, n, depth);
	if (depth == 0) {
		a->vis[slot].id = n->id;
		a->vis[slot].uid = who->uid;
		a->vis[slot].generation = a->generation;
		a->vis[slot].sec = sec;
		a->vis[slot].visible = vis;
	}
	return vis;
}

static int folder_visible_now(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      const struct node *n, int depth)
{
	struct dossier_verdict v;
	struct dossier_object o;
	sqlite3_stmt *st = NULL;
	char sql[512];
	int seen = 0;
	int64_t now = dossier_clock_ns() / 1000000000;

	archive_object(n, &o);
	dossier_rules_decide(a->rules, who->uid, a->site[0] ? a->site : NULL,
			     DOSSIER_ACT_CREATE, &o, now, &v);
	if (v.allow)
		return 1;
	if (depth > 4)
		return 0;
	/* one query for the folder's entries, decided in memory */
	snprintf(sql, sizeof(sql), "SELECT %s FROM node WHERE parent = ?1 "
		 "AND deleted_ns IS NULL ORDER BY kind DESC",
		 archive_node_cols);
	if (dossier_db_prepare(a->db, sql, &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	while (!seen && sqlite3_step(st) == SQLITE_ROW) {
		struct node c;

		archive_row_to_node(st, &c);
		if (c.kind == DOSSIER_KIND_FILE) {
			verdict(a, who, &c, ACT_LIST, &v);
			seen = v.allow;
		} else {
			seen = folder_visible(a, who, &c, depth + 1);
		}
	}
	sqlite3_finalize(st);
	return seen;
}

int archive_deny(struct dossier_archive *a, const struct dossier_caller *who,
		 const char *op, uint64_t id, const char *name, int rc)
{
	char *path = NULL, *full = NULL;

	archive_refuse(who, op, id, name, rc);
	/* a name that does not exist is no refusal; every other one is */
	if (!a->audit || rc == DOSSIER_ENOTFOUND)
		return rc;
	pthread_mutex_lock(&a->lock);
	if (!views_is_virtual(id))
		path = archive_node_path(a, node_of(id));
	pthread_mutex_unlock(&a->lock);
	if (path && name && asprintf(&full, "%s%s%s", path, path[0] ? "/" : "",
				     name) < 0)
		full = NULL;
	audit_record(a->audit, who, op, full ? full : path, 0,
		     archive_last_rule(), dossier_error_last()[0] ?
		     dossier_error_last() : dossier_strerror(rc));
	free(full);
	free(path);
	return rc;
}

int archive_refuse(const struct dossier_caller *who, const char *op,
		   uint64_t id, const char *name, int rc)
{
	dossier_log(LOG_NOTICE, "refused %s by uid %u on node %" PRIu64
		    " '%s': %s", op, (unsigned)who->uid, id,
		    name ? name : "", dossier_error_last()[0] ?
		    dossier_error_last() : dossier_strerror(rc));
	return rc;
}

/* ---- transactions ---- */

int archive_begin(struct dossier_archive *a)
{
	return dossier_db_exec(a->db, "BEGIN IMMEDIATE");
}

int archive_end(struct dossier_archive *a, int rc)
{
	if (rc < 0) {
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	a->generation++;	/* cached answers and open files: ask again */
	return dossier_db_exec(a->db, "COMMIT");
}

/* May f's opener still do what f was opened for? Lock held. */
static int file_allowed(struct dossier_archive *a, struct dossier_file *f,
			int writing)
{
	int acc = f->flags & O_ACCMODE, rc;
	struct node n;

	if ((rc = archive_get_node(a, f->id, &n)) < 0)
		return rc;
	if (writing >= 0) {
		rc = archive_decide(a, &f->who, &n, NULL,
				    writing ? ACT_WRITE : ACT_READ);
	} else {	/* all it was opened for */
		if (acc != O_WRONLY)
			rc = archive_decide(a, &f->who, &n, NULL, ACT_READ);
		if (rc == 0 && (acc != O_RDONLY || (f->flags & O_TRUNC)))
			rc = archive_decide(a, &f->who, &n, NULL, ACT_WRITE);
	}
	dossier_error_clear();
	return rc;
}

void archive_notify_wait(struct dossier_archive *a)
{
	int refused;

	pthread_mutex_lock(&a->lock);
	refused = a->refused_open;
	a->refused_open = 0;
	pthread_mutex_unlock(&a->lock);
	/* only pages of refused files are worth waiting for here */
	if (refused && a->notify && a->notify->sync)
		a->notify->sync(a->notify_ctx);
}

/*
 * Refuse from now on every open record (only those opened on a grant,
 * with grants_only) whose opener lost the right it was opened with, and
 * have the kernel drop its pages: a mapping faults, a read asks us. Lock
 * held.
 */
static void refuse_lost(struct dossier_archive *a, int grants_only)
{
	struct dossier_file *f;

	for (f = a->files; f; f = f->next) {
		if (f->revoked || (grants_only && !f->on_grant) ||
		    file_allowed(a, f, -1) == 0)
			continue;
		/*
		 * Refused from now on; no page of it stays cached, and the
		 * record moves to a new kernel inode, so that the attributes
		 * others' lookups refresh never reach f's (a size read with
		 * fstat through the old descriptor).
		 */
		f->revoked = 1;
		if (archive_bump_cgen(a, f->id) < 0)
			dossier_error_clear();
		dossier_log(LOG_NOTICE, "access of uid %u to open record %"
			    PRIu64 " taken away", (unsigned)f->who.uid, f->id);
		if (a->notify)
			a->notify->inval_inode(a->notify_ctx, f->nodeid);
		a->refused_open = 1;
	}
}

/*
 * A grant ends by the clock, with no event: the pages of a record opened
 * on it (a private mapping of a direct-I/O file still uses the page
 * cache) must go within a second of its end.
 */
static void *sweep(void *arg)
{
	struct dossier_archive *a = arg;
	struct timespec ts;

	pthread_mutex_lock(&a->lock);
	while (!a->sweep_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&a->sweep_cond, &a->lock, &ts);
		if (!a->sweep_stop)
			refuse_lost(a, 1);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static int sweeper_start(struct dossier_archive *a)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->sweep_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&a->sweeper, NULL, sweep, a) != 0) {
		pthread_cond_destroy(&a->sweep_cond);
		dossier_error_set("cannot start the grant sweeper");
		return DOSSIER_ERROR;
	}
	a->sweeping = 1;
	return 0;
}

static void sweeper_stop(struct dossier_archive *a)
{
	if (!a->sweeping)
		return;
	pthread_mutex_lock(&a->lock);
	a->sweep_stop = 1;
	pthread_cond_signal(&a->sweep_cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->sweeper, NULL);
	pthread_cond_destroy(&a->sweep_cond);
	a->sweeping = 0;
}

void archive_changed(struct dossier_archive *a)
{
	refuse_lost(a, 0);
	a->generation++;
}

/* ---- open / create ---- */

/* Prepare every statement, with "%s" in its text standing for node_cols. */
static int prepare_all(struct dossier_archive *a)
{
	char sql[1024];
	const char *mark;
	int i, rc;

	for (i = 0; i < ST__COUNT; i++) {
		mark = strstr(stmt_sql[i], "%s");
		if (mark)
			snprintf(sql, sizeof(sql), "%.*s%s%s",
				 (int)(mark - stmt_sql[i]), stmt_sql[i],
				 archive_node_cols, mark + 2);
		else
			snprintf(sql, sizeof(sql), "%s", stmt_sql[i]);
		if ((rc = dossier_db_prepare(a->db, sql, &a->st[i])) < 0)
			return rc;
	}
	return 0;
}

static int load_patterns(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(a->db, "SELECT pattern FROM "
				     "scratch_pattern ORDER BY pattern",
				     &st)) < 0)
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **np = realloc(a->patterns,
				    (a->npatterns + 1) * sizeof(*np));

		if (!np)
			break;
		a->patterns = np;
		a->patterns[a->npatterns++] =
			strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return 0;
}

static int check_catalog(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	const char *res;

	if ((rc = dossier_db_prepare(a->db, "PRAGMA quick_check(1)", &st)) < 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = dossier_db_err(a->db, SQLITE_CORRUPT, "quick_check");
	} else {
		res = (const char *)sqlite3_column_text(st, 0);
		if (!res || strcmp(res, "ok")) {
			dossier_error_set("catalog is damaged (%s): restore "
					  "catalog.db from a backup or run "
					  "'dossierctl verify'",
					  res ? res : "?");
			rc = DOSSIER_ECORRUPT;
		}
	}
	sqlite3_finalize(st);
	if (rc == 0) {
		struct node root;

		sqlite3_bind_int64(a->st[ST_GET], 1, DOSSIER_ROOT_ID);
		if (fetch_node(a, a->st[ST_GET], &root) < 0 ||
		    root.kind != DOSSIER_KIND_ROOT) {
			dossier_error_set("catalog has no root folder: it is "
					  "not a dossierfs archive or is "
					  "damaged");
			rc = DOSSIER_ECORRUPT;
		}
	}
	return rc;
}

int dossier_archive_open(struct dossier_archive **out, const char *path,
			 unsigned flags)
{
	struct dossier_archive *a = NULL;
	char buf[4096];
	int rc = DOSSIER_ERROR;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return DOSSIER_ERROR;
	a->rootfd = a->contentfd = a->lockfd = -1;
	a->flags = flags;
	pthread_mutex_init(&a->lock, NULL);
	a->path = realpath(path, NULL);
	if (!a->path) {
		dossier_error_set("cannot open archive '%s': %s", path,
				  strerror(errno));
		rc = DOSSIER_ENOTFOUND;
		goto fail;
	}
	a->rootfd = open(a->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->rootfd >= 0)
		a->contentfd = openat(a->rootfd, CONTENT_DIR,
				      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->contentfd < 0) {
		dossier_error_set("'%s' is not a dossierfs archive (no %s/ "
				  "folder): create one with 'dossierctl init'",
				  a->path, CONTENT_DIR);
		rc = DOSSIER_ENOTFOUND;
		goto fail;
	}
	snprintf(buf, sizeof(buf), "%s/%s", a->path, CATALOG_FILE);
	if (access(buf, F_OK) < 0) {
		dossier_error_set("catalog '%s' is missing: restore it from a "
				  "backup (the content store is intact)", buf);
		rc = DOSSIER_ECORRUPT;
		goto fail;
	}
	if ((rc = dossier_db_open(&a->db, buf, 0)) < 0)
		goto fail;
	if ((rc = prepare_all(a)) < 0 || (rc = check_catalog(a)) < 0 ||
	    (rc = load_patterns(a)) < 0 ||
	    (rc = dossier_rules_open(&a->rules, a->db)) < 0)
		goto fail;
	if (flags & DOSSIER_ARCHIVE_OPEN_PROBE) {
		int fd = openat(a->rootfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC,
				0600);

		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			dossier_error_set("archive '%s' is already mounted by "
					  "another dossierfs", a->path);
			rc = DOSSIER_EBUSY;
			goto fail;
		}
		if (fd >= 0)
			close(fd);
	}
	/* writable opens are audited, the daemon's and dossierctl's alike */
	if (!(flags & DOSSIER_ARCHIVE_OPEN_READONLY) &&
	    (rc = audit_open(&a->audit, a)) < 0)
		goto fail;
	if (flags & DOSSIER_ARCHIVE_OPEN_SERVE) {
		/* one serving daemon per archive: two would race on history */
		a->lockfd = openat(a->rootfd, "lock", O_RDWR | O_CREAT |
				   O_CLOEXEC, 0600);
		if (a->lockfd < 0 || flock(a->lockfd, LOCK_EX | LOCK_NB) < 0) {
			dossier_error_set("archive '%s' is already mounted by "
					  "another dossierfs", a->path);
			rc = DOSSIER_EBUSY;
			goto fail;
		}
		if ((rc = history_open(&a->history, a, 0)) < 0 ||
		    (rc = history_start(a->history)) < 0 ||
		    (rc = sweeper_start(a)) < 0 ||
		    (rc = text_open(&a->text, a)) < 0)
			goto fail;
	}
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
	sweeper_stop(a);
	text_close(a->text);
	a->text = NULL;
	/* commits everything journaled before the catalog closes */
	history_close(a->history);
	a->history = NULL;
	audit_close(a->audit);
	a->audit = NULL;
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

int dossier_archive_create(const char *path, enum dossier_lang lang)
{
	char buf[4096];
	sqlite3 *db = NULL;
	DIR *d;
	struct dirent *de;
	int i, rc;

	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		dossier_error_set("cannot create '%s': %s", path,
				  strerror(errno));
		return dossier_err_from_errno(errno);
	}
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
	snprintf(buf, sizeof(buf), "%s/%s", path, CONTENT_DIR);
	if (mkdir(buf, 0700) < 0) {
		dossier_error_set("cannot create '%s': %s", buf,
				  strerror(errno));
		return dossier_err_from_errno(errno);
	}
	for (i = 0; i < 256; i++) {
		snprintf(buf, sizeof(buf), "%s/%s/%02x", path, CONTENT_DIR, i);
		if (mkdir(buf, 0700) < 0) {
			dossier_error_set("cannot create '%s': %s", buf,
					  strerror(errno));
			return dossier_err_from_errno(errno);
		}
	}
	snprintf(buf, sizeof(buf), "%s/%s", path, CATALOG_FILE);
	if ((rc = dossier_db_open(&db, buf, 1)) < 0)
		return rc;
	rc = dossier_db_exec(db, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = seed_catalog(db, lang);
	if (rc == 0)
		rc = dossier_db_exec(db, "COMMIT");
	dossier_db_close(db);
	if (rc == 0)
		chmod(buf, 0600);
	if (rc == 0) {
		struct dossier_git *git = NULL;

		snprintf(buf, sizeof(buf), "%s/history.git", path);
		rc = dossier_git_open(&git, buf, 1);
		dossier_git_free(git);
	}
	return rc;
}

/* ---- lookups ---- */

static int virtual_readonly(struct dossier_archive *a,
			    const struct dossier_caller *who, const char *op,
			    uint64_t id)
{
	dossier_error_set("the .history, .trash and .dossier folders are read-only");
	return archive_deny(a, who, op, id, NULL, DOSSIER_EREADONLY);
}

int dossier_archive_lookup(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name, struct dossier_attr *out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
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
	if (views_claims(parent, nfc)) {
		rc = views_lookup(a, who, parent, nfc, out);
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
	struct node n;
	int rc;

	id = node_of(id);

	dossier_error_clear();
	pthread_mutex_lock(&a->lock);
	if (views_is_virtual(id))
		rc = views_getattr(a, who, id, out);
	else if ((rc = archive_get_node(a, id, &n)) == 0 &&
		 archive_decide(a, who, &n, NULL, ACT_LIST) < 0)
		rc = DOSSIER_EHIDDEN;
	else if (rc == 0)
		rc = archive_node_attr(a, who, &n, out);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* ---- structure ---- */

/* The kind a new folder gets under a parent of kind pk, or -1. */
static int child_dir_kind(int pk)
{
	switch (pk) {
	case DOSSIER_KIND_ROOT: return DOSSIER_KIND_YEAR;
	case DOSSIER_KIND_YEAR: return DOSSIER_KIND_CATEGORY;
	case DOSSIER_KIND_CATEGORY: return DOSSIER_KIND_CLIENT;
	default: return DOSSIER_KIND_FOLDER;
	}
}

static int may_hold_files(int pk)
{
	return pk == DOSSIER_KIND_CLIENT || pk == DOSSIER_KIND_FOLDER;
}

static int insert_categories(struct dossier_archive *a, uint64_t year,
			     int64_t t)
{
	sqlite3_stmt *st = a->st[ST_CATEGORIES];
	int src, rc = 0;
	struct {
		int64_t id;
		char name[DOSSIER_NAME_MAX + 1];
	} cats[64];
	int ncat = 0, i;

	while ((src = sqlite3_step(st)) == SQLITE_ROW && ncat < 64) {
		cats[ncat].id = sqlite3_column_int64(st, 0);
		snprintf(cats[ncat].name, sizeof(cats[ncat].name), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		ncat++;
	}
	sqlite3_reset(st);
	for (i = 0; i < ncat && rc == 0; i++)
		rc = insert_node(a, year, cats[i].name, DOSSIER_KIND_CATEGORY,
				 cats[i].id, 0, S_IFDIR | 01777, 0, 0, t, NULL);
	return rc;
}

int dossier_archive_mkdir(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *name, mode_t mode,
			  struct dossier_attr *out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct node p, n;
	uint64_t id;
	int rc, kind;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);

	dossier_error_clear();
	if (trash_xdg_owns(parent, name))	/* /.Trash-UID: trash.c */
		return trash_xdg_mkdir(a, who, parent, name, out);
	if (views_is_virtual(parent))
		return virtual_readonly(a, who, "mkdir", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "mkdir", parent, name, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 || p.deleted)
		goto unlock;
	if (p.kind == DOSSIER_KIND_FILE) {
		rc = DOSSIER_ENOTDIR;
		goto unlock;
	}
	kind = child_dir_kind(p.kind);
	if (kind == DOSSIER_KIND_YEAR && nfc[0] == '.') {
		/* file managers' .Trash-UID: deletes here are soft anyway */
		dossier_error_set("only year folders live at the top; deleted "
				  "records are in /.trash");
		rc = DOSSIER_ESTRUCTURE;
		goto unlock;
	}
	if (kind == DOSSIER_KIND_YEAR && !dossier_name_is_year(nfc)) {
		dossier_error_set("a year folder is named with four digits");
		rc = DOSSIER_EINVAL;
		goto unlock;
	}
	if (kind == DOSSIER_KIND_CATEGORY) {
		dossier_error_set("categories are fixed: add one with "
				  "'dossierctl category add'");
		rc = archive_find_child(a, parent, nfc, &n) == 0 ? DOSSIER_EEXISTS :
							   DOSSIER_ESTRUCTURE;
		goto unlock;
	}
	if ((rc = archive_decide(a, who, &p, NULL, ACT_CREATE)) < 0)
		goto unlock;
	if (archive_find_visible(a, who, parent, nfc, &n) == 0) {
		rc = DOSSIER_EEXISTS;
		goto unlock;
	}
	if ((rc = archive_begin(a)) < 0)
		goto unlock;
	rc = insert_node(a, parent, nfc, kind, 0, is_scratch_name(a, nfc),
			 S_IFDIR | (mode & 07777), who->uid, who->gid, t, &id);
	if (rc == 0)
		rc = archive_take_name(a, who, id, parent, nfc, t);
	if (rc == 0 && kind == DOSSIER_KIND_YEAR)
		rc = insert_categories(a, id, t);
	if (rc == 0)
		rc = touch_node(a, parent, t);
	if ((rc = archive_end(a, rc)) == 0 && (rc = archive_get_node(a, id, &n)) == 0)
		rc = archive_node_attr(a, who, &n, out);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "mkdir", parent, nfc, rc) : 0;
}

/* Hard-remove file n: its row and content (scratch files). Lock held. */
static int destroy_file(struct dossier_archive *a, const struct node *n)
{
	char rel[64];
	int rc = delete_node(a, n->id);

	if (rc == 0) {
		content_relpath(rel, sizeof(rel), n->id);
		if (unlinkat(a->contentfd, rel, 0) < 0 && errno != ENOENT)
			dossier_log(LOG_WARNING, "cannot remove content of "
				    "%" PRIu64 ": %s", n->id, strerror(errno));
	}
	return rc;
}

/*
 * Soft-delete n: it leaves its folder; its id, content and (later) history
 * are kept in the trash state until purged. Lock held, in transaction.
 */
static int trash_node(struct dossier_archive *a, const struct node *n,
		      const struct dossier_caller *who, int64_t t)
{
	sqlite3_stmt *st = a->st[ST_SOFTDEL];
	char *path = archive_node_path(a, n->id);
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	sqlite3_bind_int64(st, 2, t);
	sqlite3_bind_int64(st, 3, who->uid);
	sqlite3_bind_text(st, 4, path ? path : "", -1, SQLITE_TRANSIENT);
	rc = dossier_db_step_done(a->db, st, "move to trash");
	free(path);
	return rc;
}

/* Remove folder n (no live children): soft if trashed entries remain. */
static int remove_dir(struct dossier_archive *a, const struct node *n,
		      const struct dossier_caller *who, int64_t t)
{
	if (!has_child(a, n->id, 1))
		return delete_node(a, n->id);
	return trash_node(a, n, who, t);
}

int dossier_archive_rmdir(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *name)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct node p, n;
	int rc;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);

	dossier_error_clear();
	if (trash_xdg_owns(parent, name))	/* /.Trash-UID: trash.c */
		return trash_xdg_unlink(a, who, parent, name, 1);
	if (views_is_virtual(parent))
		return virtual_readonly(a, who, "rmdir", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "rmdir", parent, name, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 ||
	    (rc = archive_find_visible(a, who, parent, nfc, &n)) < 0)
		goto unlock;
	if (n.kind == DOSSIER_KIND_FILE) {
		rc = DOSSIER_ENOTDIR;
		goto unlock;
	}
	if (n.kind == DOSSIER_KIND_CATEGORY) {
		dossier_error_set("categories are fixed: remove the year or "
				  "use 'dossierctl category'");
		rc = DOSSIER_ESTRUCTURE;
		goto unlock;
	}
	if ((rc = archive_decide(a, who, &n, &p, ACT_DELETE)) < 0)
		goto unlock;
	if ((rc = trash_may_delete(a, &n)) < 0)
		goto unlock;
	if ((rc = archive_begin(a)) < 0)
		goto unlock;
	if (n.kind == DOSSIER_KIND_YEAR) {
		/* a year goes with its categories, if they hold nothing */
		sqlite3_stmt *st = a->st[ST_LIST];
		uint64_t cats[64];
		int ncat = 0, i;

		sqlite3_bind_int64(st, 1, (sqlite3_int64)n.id);
		while (sqlite3_step(st) == SQLITE_ROW && ncat < 64)
			cats[ncat++] = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		for (i = 0; i < ncat && rc == 0; i++)
			if (has_child(a, cats[i], 0))
				rc = DOSSIER_ENOTEMPTY;
		for (i = 0; i < ncat && rc == 0; i++) {
			struct node c;

			if ((rc = archive_get_node(a, cats[i], &c)) == 0)
				rc = remove_dir(a, &c, who, t);
		}
	} else if (has_child(a, n.id, 0)) {
		rc = DOSSIER_ENOTEMPTY;
	}
	if (rc == 0)
		rc = remove_dir(a, &n, who, t);
	if (rc == 0)
		rc = touch_node(a, parent, t);
	rc = archive_end(a, rc);
unlock:
	pthread_mutex_unlock(&a->lock);
	if (rc == DOSSIER_ENOTEMPTY)
		dossier_error_set("folder is not empty");
	return rc < 0 ? archive_deny(a, who, "rmdir", parent, nfc, rc) : 0;
}

/*
 * Delete file parent/nfc for who: a record goes to the trash (soft), a
 * scratch file is removed. unlink(2) and gio trash (a move into the
 * caller's /.Trash-UID/files) both come here; detail goes into the audit
 * row. The caller logs and audits a refusal.
 */
static int remove_file(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, const char *detail)
{
	struct node p, n;
	int rc;
	int64_t t = dossier_clock_ns();

	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 ||
	    (rc = archive_find_visible(a, who, parent, nfc, &n)) < 0)
		goto unlock;
	if (n.kind != DOSSIER_KIND_FILE) {
		rc = DOSSIER_EISDIR;
		goto unlock;
	}
	if ((rc = archive_decide(a, who, &n, &p, ACT_DELETE)) < 0)
		goto unlock;
	if (!n.scratch && (rc = trash_may_delete(a, &n)) < 0)
		goto unlock;
	if ((rc = archive_begin(a)) < 0)
		goto unlock;
	/*
	 * Records go to the trash state (soft delete: id, content kept);
	 * scratch files are removed outright.
	 */
	if (n.scratch) {
		rc = destroy_file(a, &n);
	} else {
		char *path = archive_node_path(a, n.id);

		rc = trash_node(a, &n, who, t);
		if (rc == 0)
			rc = archive_journal(a, n.id, "delete", path, NULL,
					     NULL, NULL, who, NULL, t);
		if (rc == 0)
			audit_record(a->audit, who, "delete", path, 1,
				     archive_last_rule(), detail);
		free(path);
	}
	if (rc == 0)
		rc = touch_node(a, parent, t);
	rc = archive_end(a, rc);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_unlink(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	parent = node_of(parent);

	dossier_error_clear();
	if (trash_xdg_owns(parent, name))	/* /.Trash-UID: trash.c */
		return trash_xdg_unlink(a, who, parent, name, 0);
	if (views_is_virtual(parent))
		return virtual_readonly(a, who, "unlink", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "unlink", parent, name, rc);
	rc = remove_file(a, who, parent, nfc, NULL);
	return rc < 0 ? archive_deny(a, who, "unlink", parent, nfc, rc) : 0;
}

/*
 * ---- gio trash: the caller's /.Trash-UID (trash.c) ----
 * GIO trashes a file by renaming it into /.Trash-UID/files: for a record
 * that is exactly an unlink. Moves out of files/ (restores) and GIO's
 * .trashinfo files are trash.c's.
 */
static int rename_xdg(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *name, uint64_t newparent,
		      const char *newname, unsigned flags)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	if (views_is_virtual(parent))
		return trash_xdg_rename(a, who, parent, name, newparent,
					newname, flags);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "unlink", parent, name, rc);
	if ((rc = trash_xdg_may_take(who, newparent, 0)) == 0)
		rc = remove_file(a, who, parent, nfc,
				 "moved to .Trash-UID/files");
	if (rc == DOSSIER_EISDIR)	/* a folder: trash.c says why not */
		rc = trash_xdg_may_take(who, newparent, 1);
	if (rc < 0)
		return archive_deny(a, who, "unlink", parent, nfc, rc);
	trash_xdg_taken(a, who, newname);
	return 0;
}

static int move_node(struct dossier_archive *a, uint64_t id,
		     uint64_t newparent, const char *newname, int kind,
		     int scratch, int64_t t)
{
	sqlite3_stmt *st = a->st[ST_MOVE];

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)newparent);
	sqlite3_bind_text(st, 3, newname, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, kind);
	sqlite3_bind_int(st, 5, scratch);
	sqlite3_bind_int64(st, 6, t);
	return dossier_db_step_done(a->db, st, "move node");
}

/*
 * Descriptors still open on src's content reach dst's now (a temp
 * renamed onto a record, closed after the rename as gio does): they are
 * decided as dst for their opener from now on. The rename was the save:
 * only writes after it make another. Lock held.
 */
static void retarget_files(struct dossier_archive *a, uint64_t src,
			   uint64_t dst)
{
	struct dossier_file *f;

	for (f = a->files; f; f = f->next)
		if (f->id == src) {
			f->id = dst;
			f->written = 0;
			f->created = 0;
			__atomic_store_n(&f->checked, 0, __ATOMIC_RELAXED);
		}
}

/*
 * src's content becomes dst's: dst keeps its identity (id, level,
 * history) and src's row goes. This is how write-temp-then-rename saves
 * stay one record. Lock held, in a transaction.
 */
static int replace_content(struct dossier_archive *a, const struct node *src,
			   const struct node *dst)
{
	char from[64], to[64];
	int rc;

	content_relpath(from, sizeof(from), src->id);
	content_relpath(to, sizeof(to), dst->id);
	/* a save of dst still waiting on its old content keeps a copy */
	if ((rc = history_live_settle_record(a->history, dst->id, 0)) < 0 ||
	    (rc = journal_forget(a, src->id, NULL)) < 0 ||
	    (rc = delete_node(a, src->id)) < 0)
		return rc;
	if (renameat(a->contentfd, from, a->contentfd, to) < 0) {
		dossier_error_set("cannot move content: %s", strerror(errno));
		return dossier_err_from_errno(errno);
	}
	retarget_files(a, src->id, dst->id);
	return archive_bump_cgen(a, dst->id);
}

/* May src's content become another record's version (a save)? Scratch
 * files and records nothing was committed of yet (a temp that is not
 * recognisable by name, as Excel's) may; established records may not. */
static int is_save_source(const struct node *src)
{
	return src->kind == DOSSIER_KIND_FILE && (src->scratch ||
						  !src->has_hist);
}

/*
 * An editor's save dance may be finished only by the user who began it
 * and who may write the record: anyone else's create or rename onto the
 * freed name is a record of its own (never a save of the hidden one,
 * never a way to its old content). Lock held.
 */
static uint64_t dance_of(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t id)
{
	struct node r;

	if (!id || archive_get_node(a, id, &r) < 0 ||
	    archive_decide(a, who, &r, NULL, ACT_WRITE) < 0) {
		dossier_error_clear();
		return 0;
	}
	return id;
}

/* A record who deleted from parent/name within the window, or 0. */
static uint64_t recently_deleted(struct dossier_archive *a,
				 const struct dossier_caller *who,
				 uint64_t parent, const char *name, int64_t t)
{
	return dance_of(a, who, (uint64_t)query_id(a, "SELECT id FROM node "
				"WHERE parent = ?1 AND name = ?2 AND kind = 5 "
				"AND scratch = 0 AND deleted_ns > ?3 AND "
				"deleted_by = ?4 ORDER BY deleted_ns DESC "
				"LIMIT 1", (int64_t)parent, name,
				t - HISTORY_WINDOW_NS, (int64_t)who->uid));
}

/* A live record who renamed away from parent/name within the window, or 0. */
static uint64_t recently_displaced(struct dossier_archive *a,
				   const struct dossier_caller *who,
				   uint64_t parent, const char *name,
				   int64_t t)
{
	return dance_of(a, who, (uint64_t)query_id(a, "SELECT id FROM node "
				"WHERE parent = ?1 AND prev_name = ?2 AND "
				"displaced_ns > ?3 AND displaced_by = ?4 AND "
				"deleted_ns IS NULL AND kind = 5 LIMIT 1",
				(int64_t)parent, name, t - HISTORY_WINDOW_NS,
				(int64_t)who->uid));
}

/*
 * Scratch file id takes record rid's classification and is decided as
 * rid from now on (it holds, or will hold, what rid holds). Lock held.
 */
static int derive_from(struct dossier_archive *a, uint64_t id, uint64_t rid)
{
	return archive_exec(a, "UPDATE node SET derived = ?1, level = (SELECT "
			    "level FROM node WHERE id = ?1), scope = (SELECT "
			    "scope FROM node WHERE id = ?1), dept = (SELECT "
			    "dept FROM node WHERE id = ?1) WHERE id = ?2", "ii",
			    (int64_t)rid, (int64_t)id);
}

/*
 * The record a scratch name is derived from, by the editors' naming
 * (ecosystem.md): vim's .NAME.swp and NAME~, LibreOffice's .~lock.NAME#,
 * rsync's .NAME.XXXXXX, KIO's NAME.part, AppleDouble's ._NAME, Office's
 * ~$NAME (which drops the name's first one or two characters). Only a
 * record who may list counts. 0 if none.
 */
static uint64_t scratch_origin(struct dossier_archive *a,
			       const struct dossier_caller *who,
			       uint64_t parent, const char *nfc)
{
	char base[DOSSIER_NAME_MAX + 1];
	size_t len = strlen(nfc);
	struct node r;
	sqlite3_stmt *st = NULL;
	uint64_t id = 0;

	base[0] = '\0';
	if (len > 5 && nfc[0] == '.' && !strncmp(nfc + len - 4, ".sw", 3))
		snprintf(base, sizeof(base), "%.*s", (int)(len - 5), nfc + 1);
	else if (len > 1 && nfc[len - 1] == '~')
		snprintf(base, sizeof(base), "%.*s", (int)(len - 1), nfc);
	else if (len > 8 && !strncmp(nfc, ".~lock.", 7) && nfc[len - 1] == '#')
		snprintf(base, sizeof(base), "%.*s", (int)(len - 8), nfc + 7);
	else if (len > 5 && !strcmp(nfc + len - 5, ".part"))
		snprintf(base, sizeof(base), "%.*s", (int)(len - 5), nfc);
	else if (len > 2 && !strncmp(nfc, "._", 2))
		snprintf(base, sizeof(base), "%s", nfc + 2);
	else if (len > 8 && nfc[0] == '.' && nfc[len - 7] == '.')
		snprintf(base, sizeof(base), "%.*s", (int)(len - 8), nfc + 1);
	if (base[0] && archive_find_visible(a, who, parent, base, &r) == 0 &&
	    r.kind == DOSSIER_KIND_FILE && !r.scratch)
		return r.id;
	if (len < 3 || strncmp(nfc, "~$", 2))
		return 0;
	/* Office: ~$ replaces the first characters of a long name */
	if (archive_stmt(a, "SELECT id FROM node WHERE parent = ?1 AND "
			 "deleted_ns IS NULL AND kind = 5 AND scratch = 0 AND "
			 "(name = ?2 OR substr(name, 2) = ?2 OR "
			 "substr(name, 3) = ?2) ORDER BY id", &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, nfc + 2, -1, SQLITE_STATIC);
	while (!id && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t c = (uint64_t)sqlite3_column_int64(st, 0);

		if (archive_get_node(a, c, &r) == 0 &&
		    archive_decide(a, who, &r, NULL, ACT_LIST) == 0)
			id = c;
	}
	archive_stmt_done(st);
	dossier_error_clear();
	return id;
}

/*
 * A new scratch file: decided as the record its name derives from, or
 * its creator's alone (a save's temp holds what its creator writes, of
 * any classification). Lock held, in a transaction.
 */
static int classify_scratch(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    uint64_t parent, const char *nfc)
{
	uint64_t rid = scratch_origin(a, who, parent, nfc);

	if (rid)
		return derive_from(a, id, rid);
	return archive_exec(a, "UPDATE node SET derived = -1 WHERE id = ?",
			    "i", (int64_t)id);
}

/* Bring a recently deleted record back under its name. */
static int undelete(struct dossier_archive *a, uint64_t id)
{
	int rc = archive_exec(a, "UPDATE node SET deleted_ns = NULL, deleted_by "
			   "= NULL, deleted_path = NULL WHERE id = ?", "i",
			   (int64_t)id);

	if (rc == 0)
		rc = journal_forget(a, id, "delete");
	return rc;
}

/*
 * Word's save through Samba: the record R was renamed away (to ~WRL*.tmp)
 * and now src (~WRD*.tmp) is renamed onto R's old name. R goes back to
 * its name with src's content; src takes R's temporary name and R's old
 * content, as a scratch file. Lock held, in a transaction.
 */
static int swap_back(struct dossier_archive *a, const struct node *src,
		     uint64_t rid, uint64_t newparent, const char *newname,
		     int64_t t)
{
	struct node r;
	char from[64], to[64];
	sqlite3_stmt *st = NULL;
	char *rname = NULL;
	int rc;

	if ((rc = archive_get_node(a, rid, &r)) < 0)
		return rc;
	if ((rc = dossier_db_prepare(a->db, "SELECT name FROM node WHERE "
				     "id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rid);
	if (sqlite3_step(st) == SQLITE_ROW)
		rname = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!rname)
		return DOSSIER_ERROR;
	content_relpath(from, sizeof(from), src->id);
	content_relpath(to, sizeof(to), rid);
	if ((rc = history_live_settle_record(a->history, rid, 0)) < 0)
		goto out;
	if (renameat2(a->contentfd, from, a->contentfd, to,
		      RENAME_EXCHANGE) < 0) {
		dossier_error_set("cannot exchange content: %s",
				  strerror(errno));
		rc = dossier_err_from_errno(errno);
		goto out;
	}
	rc = archive_exec(a, "UPDATE node SET name = ?, parent = ?, "
		       "prev_name = NULL, displaced_ns = NULL, ctime_ns = ? "
		       "WHERE id = ?", "tiii", "\001swap", (int64_t)newparent,
		       t, (int64_t)rid);
	if (rc == 0)
		rc = archive_exec(a, "UPDATE node SET name = ?, parent = ?, "
			       "scratch = 1, ctime_ns = ? WHERE id = ?", "tiii",
			       rname, (int64_t)r.parent, t, (int64_t)src->id);
	if (rc == 0)
		rc = archive_exec(a, "UPDATE node SET name = ? WHERE id = ?", "ti",
			       newname, (int64_t)rid);
	/* src now holds R's old content: it is classified as R */
	if (rc == 0)
		rc = derive_from(a, src->id, rid);
	if (rc == 0)
		rc = journal_forget(a, src->id, NULL);
	if (rc == 0)
		rc = journal_forget(a, rid, "rename");
	if (rc == 0)
		rc = archive_bump_cgen(a, rid);
	if (rc == 0)
		rc = archive_bump_cgen(a, src->id);
out:
	free(rname);
	return rc;
}

static int rename_file(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       uint64_t newparent, const char *nnfc, int have_dst,
		       const struct node *dst, int64_t t)
{
	uint64_t rid;
	char *old_path;
	int rc, to_scratch = is_scratch_name(a, nnfc);

	if (have_dst && is_save_source(n)) {
		/* gio, LibreOffice, rsync: temp renamed onto the record */
		if ((rc = replace_content(a, n, dst)) == 0)
			rc = journal_content(a, dst->id, "save", -1, who, NULL,
					     t);
		return rc;
	}
	if (have_dst) {
		/* one record replaces another: the replaced one is deleted */
		old_path = archive_node_path(a, dst->id);
		rc = trash_node(a, dst, who, t);
		if (rc == 0)
			rc = archive_journal(a, dst->id, "delete", old_path,
					     NULL, NULL, NULL, who, NULL, t);
		free(old_path);
		if (rc < 0)
			return rc;
	} else if (is_save_source(n) &&
		   (rid = recently_deleted(a, who, newparent, nnfc, t))) {
		/* Excel: the original was deleted, the temp takes its name */
		struct node r;

		if ((rc = archive_get_node(a, rid, &r)) == 0 &&
		    (rc = undelete(a, rid)) == 0 &&
		    (rc = replace_content(a, n, &r)) == 0)
			rc = journal_content(a, rid, "save", -1, who, NULL, t);
		return rc;
	} else if (is_save_source(n) &&
		   (rid = recently_displaced(a, who, newparent, nnfc, t)) &&
		   rid != n->id) {
		/* Word: the original was renamed away, the temp takes its name */
		if ((rc = swap_back(a, n, rid, newparent, nnfc, t)) == 0)
			rc = journal_content(a, rid, "save", -1, who, NULL, t);
		return rc;
	}
	old_path = archive_node_path(a, n->id);
	if (n->scratch) {
		rc = move_node(a, n->id, newparent, nnfc, DOSSIER_KIND_FILE,
			       to_scratch, t);
		if (rc == 0)
			rc = archive_take_name(a, who, n->id, newparent, nnfc,
					       t);
		/* a temp renamed to a real name becomes a record (rsync) */
		if (rc == 0 && !to_scratch)
			rc = journal_content(a, n->id, "create", -1, who, NULL,
					     t);
	} else {
		/* records stay records; a record renamed to a scratch name
		 * (vim's NAME~, Word's ~WRL*.tmp) may come back */
		rc = move_node(a, n->id, newparent, nnfc, DOSSIER_KIND_FILE, 0,
			       t);
		if (rc == 0)
			rc = archive_take_name(a, who, n->id, newparent, nnfc,
					       t);
		if (rc == 0)
			rc = archive_exec(a, "UPDATE node SET prev_name = ?, "
				       "displaced_ns = ?, displaced_by = ? "
				       "WHERE id = ?", "tiii",
				       to_scratch ? strrchr(old_path, '/') + 1 :
						    NULL,
				       to_scratch ? t : (int64_t)0,
				       (int64_t)who->uid, (int64_t)n->id);
		if (rc == 0)
			rc = journal_plain(a, n->id, "rename", old_path, who, t);
	}
	free(old_path);
	return rc;
}

int dossier_archive_rename(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name, uint64_t newparent,
			   const char *newname, unsigned flags)
{
	char nfc[DOSSIER_NAME_MAX + 1], nnfc[DOSSIER_NAME_MAX + 1];
	struct node p, np, n, dst;
	int rc, have_dst, kind;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);
	newparent = node_of(newparent);

	dossier_error_clear();
	if (trash_xdg_is(parent) || trash_xdg_is(newparent))
		return rename_xdg(a, who, parent, name, newparent, newname,
				  flags);
	if (trash_is_view(parent) && !views_is_virtual(newparent))
		return trash_rename_out(a, who, parent, name, newparent,
					newname);
	if (views_is_virtual(parent) || views_is_virtual(newparent))
		return virtual_readonly(a, who, "rename", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "rename", parent, name, rc);
	if ((rc = dossier_name_normalize(nnfc, sizeof(nnfc), newname)) < 0)
		return archive_deny(a, who, "rename", newparent, newname, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 ||
	    (rc = archive_get_node(a, newparent, &np)) < 0 ||
	    (rc = archive_find_visible(a, who, parent, nfc, &n)) < 0)
		goto unlock;
	if (np.deleted) {
		rc = DOSSIER_ENOTFOUND;
		goto unlock;
	}
	if (np.kind == DOSSIER_KIND_FILE) {
		rc = DOSSIER_ENOTDIR;
		goto unlock;
	}
	if (n.kind <= DOSSIER_KIND_CATEGORY) {
		dossier_error_set("years and categories cannot be renamed or "
				  "moved");
		rc = DOSSIER_ESTRUCTURE;
		goto unlock;
	}
	if (n.kind == DOSSIER_KIND_FILE) {
		kind = DOSSIER_KIND_FILE;
		if (!may_hold_files(np.kind)) {
			dossier_error_set("files live inside a client folder");
			rc = DOSSIER_ESTRUCTURE;
			goto unlock;
		}
	} else {
		kind = child_dir_kind(np.kind);
		if (kind != DOSSIER_KIND_CLIENT && kind != DOSSIER_KIND_FOLDER) {
			dossier_error_set("only years may sit at the top and "
					  "only categories in a year");
			rc = DOSSIER_ESTRUCTURE;
			goto unlock;
		}
		if (is_ancestor(a, n.id, newparent)) {
			dossier_error_set("cannot move a folder into itself");
			rc = DOSSIER_EINVAL;
			goto unlock;
		}
	}
	if ((rc = archive_decide(a, who, &n, &p, ACT_DELETE)) < 0 ||
	    (rc = archive_decide(a, who, &np, NULL, ACT_CREATE)) < 0)
		goto unlock;
	/* a name taken only by what who may not see is free for who */
	have_dst = archive_find_visible(a, who, newparent, nnfc, &dst) == 0;
	if (have_dst && dst.id == n.id) {
		rc = 0;		/* same entry (or another spelling of it) */
		if (strcmp(nfc, nnfc) == 0 || parent != newparent)
			goto unlock;
		have_dst = 0;
	}
	if (have_dst) {
		if (flags & DOSSIER_RENAME_NOREPLACE) {
			rc = DOSSIER_EEXISTS;
			goto unlock;
		}
		if (dst.kind == DOSSIER_KIND_FILE && n.kind != DOSSIER_KIND_FILE) {
			rc = DOSSIER_ENOTDIR;
			goto unlock;
		}
		if (dst.kind != DOSSIER_KIND_FILE && n.kind == DOSSIER_KIND_FILE) {
			rc = DOSSIER_EISDIR;
			goto unlock;
		}
		if (dst.kind != DOSSIER_KIND_FILE && has_child(a, dst.id, 0)) {
			rc = DOSSIER_ENOTEMPTY;
			goto unlock;
		}
		/* a save by rename writes the record; any other replacing
		 * rename deletes it */
		if (dst.kind == DOSSIER_KIND_FILE && is_save_source(&n))
			rc = archive_decide(a, who, &dst, NULL, ACT_WRITE);
		else
			rc = archive_decide(a, who, &dst, &np, ACT_DELETE);
		if (rc < 0)
			goto unlock;
		/* replacing a record that is not a save deletes it */
		if (dst.kind == DOSSIER_KIND_FILE && !is_save_source(&n) &&
		    (rc = trash_may_delete(a, &dst)) < 0)
			goto unlock;
	}
	if ((rc = archive_begin(a)) < 0)
		goto unlock;
	if (n.kind == DOSSIER_KIND_FILE) {
		rc = rename_file(a, who, &n, newparent, nnfc, have_dst, &dst, t);
	} else {
		char *old_path = archive_node_path(a, n.id);

		if (have_dst)
			rc = remove_dir(a, &dst, who, t);
		if (rc == 0)
			rc = move_node(a, n.id, newparent, nnfc, kind,
				       is_scratch_name(a, nnfc), t);
		if (rc == 0)
			rc = archive_take_name(a, who, n.id, newparent, nnfc,
					       t);
		if (rc == 0) {
			char *path = archive_node_path(a, n.id);

			rc = archive_journal(a, n.id, "move", path, old_path,
					     NULL, NULL, who, NULL, t);
			free(path);
		}
		free(old_path);
	}
	if (rc == 0)
		rc = touch_node(a, parent, t);
	if (rc == 0 && newparent != parent)
		rc = touch_node(a, newparent, t);
	rc = archive_end(a, rc);
	if (rc == 0 && a->audit && !n.scratch) {
		char *to = archive_node_path(a, have_dst && is_save_source(&n) ?
						     dst.id : n.id);

		audit_record(a->audit, who, "rename", nfc, 1, 0, to);
		free(to);
	}
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "rename", parent, nfc, rc) : 0;
}

int dossier_archive_access(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t id,
			   int mask)
{
	struct node n;
	int rc;

	id = node_of(id);

	dossier_error_clear();
	if (views_is_virtual(id)) {
		struct dossier_attr at;

		rc = dossier_archive_getattr(a, who, id, &at);
		if (rc == 0 && (mask & W_OK) && id != INO_CTL &&
		    !trash_xdg_writable(who, id))
			rc = DOSSIER_EREADONLY;
		return rc;
	}
	pthread_mutex_lock(&a->lock);
	rc = archive_get_node(a, id, &n);
	if (rc == 0 && archive_decide(a, who, &n, NULL, ACT_LIST) < 0)
		rc = DOSSIER_EHIDDEN;
	if (rc == 0 && (mask & R_OK))
		rc = archive_decide(a, who, &n, NULL, ACT_READ);
	if (rc == 0 && (mask & W_OK))
		rc = archive_decide(a, who, &n, NULL, n.kind == DOSSIER_KIND_FILE ?
					   ACT_WRITE : ACT_CREATE);
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

/*
 * The content inode open as fd is about to change (to size, if >= 0; lock
 * held, not in a transaction): a save still waiting on it gets its own
 * copy first. May release the lock while it waits or copies.
 */
static int content_changing(struct dossier_archive *a, int fd, off_t size)
{
	struct stat cs;
	int rc;

	if (!history_live_any(a->history))
		return 0;
	if (fstat(fd, &cs) < 0) {
		dossier_error_set("cannot stat content: %s", strerror(errno));
		return dossier_err_from_errno(errno);
	}
	if (size >= 0 && cs.st_size == size)
		return 0;	/* a truncate to its size changes nothing */
	rc = history_live_settle(a->history, &cs, 1);
	if (rc < 0)
		dossier_log(LOG_ERR, "cannot keep the last saved version "
			    "before a change: %s", dossier_error_last());
	return rc;
}

/* Truncate a record's content (through fd, else by rel). Lock held. */
static int truncate_content(struct dossier_archive *a, int fd,
			    const char *rel, off_t size)
{
	int rc, own = -1;

	/* the inode first: the settle may wait, and rel may change meanwhile */
	if ((fd < 0 && (fd = own = openat(a->contentfd, rel,
					  O_WRONLY | O_CLOEXEC)) < 0) ||
	    ((rc = content_changing(a, fd, size)) == 0 &&
	     ftruncate(fd, size) < 0)) {
		rc = dossier_err_from_errno(errno);
		dossier_error_set("truncate: %s", strerror(errno));
	}
	if (own >= 0)
		close(own);
	return rc;
}

/*
 * setattr through an open file whose entry is gone: a temp file renamed
 * onto a record and still open (gio closes it after the rename, and the
 * kernel's writeback sets its times then). Its descriptor still reaches
 * the content, now the record's. Modes and owners are the record's own
 * business and are left alone.
 */
static int setattr_orphan(struct dossier_file *f, const struct stat *st,
			  unsigned set, struct dossier_attr *out)
{
	struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	struct stat cs;

	/*
	 * f's row is gone: its content became another record's (a save by
	 * rename) or was destroyed. Its opener has no right to that record
	 * through f: writes are refused (dossier_file_check), and so is a
	 * truncate; times only, which the kernel sends as a writer closes.
	 */
	if (set & DOSSIER_SET_SIZE) {
		dossier_error_set("the file was renamed over a record or "
				  "removed: its descriptor changes nothing");
		return DOSSIER_EDENIED;
	}
	if (set & DOSSIER_SET_ATIME)
		ts[0] = st->st_atim;
	if (set & DOSSIER_SET_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	if (set & DOSSIER_SET_MTIME)
		ts[1] = st->st_mtim;
	if (set & DOSSIER_SET_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	if ((ts[0].tv_nsec != UTIME_OMIT || ts[1].tv_nsec != UTIME_OMIT) &&
	    futimens(f->fd, ts) < 0)
		return dossier_err_from_errno(errno);
	if (fstat(f->fd, &cs) < 0)
		return dossier_err_from_errno(errno);
	memset(out, 0, sizeof(*out));
	out->id = f->id;
	out->kind = DOSSIER_KIND_FILE;
	out->st = cs;
	out->st.st_ino = f->id;
	out->st.st_mode = S_IFREG | 0600;
	out->st.st_uid = f->who.uid;
	out->st.st_gid = f->who.gid;
	out->st.st_nlink = 0;
	return 0;
}

int dossier_archive_setattr(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    struct dossier_file *f, const struct stat *st,
			    unsigned set, struct dossier_attr *out)
{
	struct node n;
	char rel[64];
	int rc, fd = -1;
	int64_t t = dossier_clock_ns();
	uint64_t ino = id;

	id = node_of(id);
	/* a temp renamed onto a record: its descriptor is the record's now */
	if (f && !f->virt && f->fd >= 0)
		id = f->id;

	dossier_error_clear();
	if (id == INO_CTL)	/* "> ctl" truncates: nothing to do */
		return dossier_archive_getattr(a, who, id, out);
	if (trash_xdg_is(id))	/* /.Trash-UID: trash.c */
		return trash_xdg_setattr(a, who, id, st, set, out);
	if (views_is_virtual(id))
		return virtual_readonly(a, who, "setattr", id);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, id, &n)) < 0) {
		if (rc == DOSSIER_ENOTFOUND && f)
			rc = setattr_orphan(f, st, set, out);
		goto unlock;
	}
	if (archive_decide(a, who, &n, NULL, ACT_LIST) < 0) {
		rc = DOSSIER_EHIDDEN;
		goto unlock;
	}
	/*
	 * Times sent for an inode of replaced content (the kernel writes
	 * back the cached times of the record's old inode after a save by
	 * rename) are the old content's: the new content keeps its own.
	 */
	if (n.kind == DOSSIER_KIND_FILE && ino != NODEID(n.id, n.cgen))
		set &= ~(unsigned)(DOSSIER_SET_ATIME | DOSSIER_SET_MTIME |
				   DOSSIER_SET_ATIME_NOW |
				   DOSSIER_SET_MTIME_NOW);
	if (set & (DOSSIER_SET_MODE | DOSSIER_SET_UID | DOSSIER_SET_GID)) {
		mode_t mode = n.mode;
		uid_t uid = n.uid;
		gid_t gid = n.gid;

		if (set & DOSSIER_SET_MODE)
			mode = (n.mode & S_IFMT) | (st->st_mode & 07777);
		if (set & DOSSIER_SET_UID)
			uid = st->st_uid;
		if (set & DOSSIER_SET_GID)
			gid = st->st_gid;
		/*
		 * Only root gives a node away; anyone may "change" to what
		 * is already there (vim and LibreOffice chown to themselves).
		 */
		if (who->uid != 0 && ((uid != n.uid) ||
				      (who->uid != n.uid && mode != n.mode) ||
				      (gid != n.gid && gid != who->gid))) {
			dossier_error_set("only the owner changes modes, only "
					  "root changes owners");
			rc = DOSSIER_ESTRUCTURE;
			goto unlock;
		}
		if (n.kind <= DOSSIER_KIND_CATEGORY && who->uid != 0) {
			rc = DOSSIER_ESTRUCTURE;
			goto unlock;
		}
		sqlite3_bind_int64(a->st[ST_SETOWNER], 1, (sqlite3_int64)id);
		sqlite3_bind_int(a->st[ST_SETOWNER], 2, (int)mode);
		sqlite3_bind_int64(a->st[ST_SETOWNER], 3, uid);
		sqlite3_bind_int64(a->st[ST_SETOWNER], 4, gid);
		sqlite3_bind_int64(a->st[ST_SETOWNER], 5, t);
		if ((rc = dossier_db_step_done(a->db, a->st[ST_SETOWNER],
					       "set owner")) < 0)
			goto unlock;
		n.mode = mode;
		n.uid = uid;
		n.gid = gid;
	}
	if (set & (DOSSIER_SET_SIZE | DOSSIER_SET_ATIME | DOSSIER_SET_MTIME |
		   DOSSIER_SET_ATIME_NOW | DOSSIER_SET_MTIME_NOW)) {
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };

		/* through a descriptor: its opener's right, as it is now */
		if (f && !f->virt && f->fd >= 0 &&
		    (rc = file_allowed(a, f, 1)) < 0) {
			dossier_error_set("access was taken away while the "
					  "file was open");
			goto unlock;
		}
		if ((set & DOSSIER_SET_SIZE) && n.kind != DOSSIER_KIND_FILE) {
			rc = DOSSIER_EISDIR;
			goto unlock;
		}
		if ((set & DOSSIER_SET_SIZE) && !f &&
		    (rc = archive_decide(a, who, &n, NULL, ACT_WRITE)) < 0)
			goto unlock;
		if ((set & DOSSIER_SET_SIZE) &&
		    (rc = archive_size_allowed(a, id, st->st_size, 1)) < 0)
			goto unlock;
		if (set & DOSSIER_SET_ATIME)
			ts[0] = st->st_atim;
		if (set & DOSSIER_SET_ATIME_NOW)
			ts[0].tv_nsec = UTIME_NOW;
		if (set & DOSSIER_SET_MTIME)
			ts[1] = st->st_mtim;
		if (set & DOSSIER_SET_MTIME_NOW)
			ts[1].tv_nsec = UTIME_NOW;
		/*
		 * Times: whoever may write the record may set them. With the
		 * writeback cache the kernel itself sends explicit times on
		 * every truncate, fsync and close of a writer, so the POSIX
		 * owner-only rule for explicit times cannot apply here.
		 */
		if (who->uid != 0 && who->uid != n.uid &&
		    (set & (DOSSIER_SET_ATIME | DOSSIER_SET_MTIME)) && !f &&
		    (rc = archive_decide(a, who, &n, NULL,
					 n.kind == DOSSIER_KIND_FILE ?
						 ACT_WRITE : ACT_CREATE)) < 0)
			goto unlock;
		if (n.kind != DOSSIER_KIND_FILE) {
			int64_t m = n.mtime_ns;

			if (set & DOSSIER_SET_MTIME)
				m = (int64_t)ts[1].tv_sec * 1000000000 +
				    ts[1].tv_nsec;
			else if (set & DOSSIER_SET_MTIME_NOW)
				m = t;
			sqlite3_bind_int64(a->st[ST_SETDIRTIME], 1,
					   (sqlite3_int64)id);
			sqlite3_bind_int64(a->st[ST_SETDIRTIME], 2, m);
			sqlite3_bind_int64(a->st[ST_SETDIRTIME], 3, t);
			if ((rc = dossier_db_step_done(a->db,
						       a->st[ST_SETDIRTIME],
						       "set times")) < 0)
				goto unlock;
			n.mtime_ns = m;
			if ((set & (DOSSIER_SET_ATIME |
				    DOSSIER_SET_ATIME_NOW)) &&
			    (rc = archive_folder_set_atime(
				     a, id, set & DOSSIER_SET_ATIME ?
				     (int64_t)ts[0].tv_sec * 1000000000 +
				     ts[0].tv_nsec : t)) < 0)
				goto unlock;
		} else {
			fd = f ? f->fd : -1;
			content_relpath(rel, sizeof(rel), id);
			if ((set & DOSSIER_SET_SIZE) &&
			    (rc = truncate_content(a, fd, rel,
						   st->st_size)) < 0)
				goto unlock;
			if (set & DOSSIER_SET_SIZE)
				dossier_file_mark_written(f);
			if ((ts[0].tv_nsec != UTIME_OMIT ||
			     ts[1].tv_nsec != UTIME_OMIT) &&
			    utimensat(a->contentfd, rel, ts, 0) < 0) {
				rc = dossier_err_from_errno(errno);
				dossier_error_set("utimens: %s",
						  strerror(errno));
				goto unlock;
			}
		}
	}
	rc = archive_node_attr(a, who, &n, out);
unlock:
	pthread_mutex_unlock(&a->lock);
	/* a vanished inode (the kernel flushing times late) is no refusal */
	if (rc == DOSSIER_ENOTFOUND)
		return rc;
	return rc < 0 ? archive_deny(a, who, "setattr", id, NULL, rc) : 0;
}

/* ---- files ---- */

/*
 * The open(2) flags used on the content file. Write-only opens become
 * read-write and O_APPEND is dropped: with the kernel's writeback cache
 * the kernel itself reads partial pages and places appends at explicit
 * offsets (as passthrough_ll does). O_DIRECT is dropped too: the kernel
 * already bypasses its cache for such an open and hands us each write,
 * but in its request buffer, at no alignment ext4's O_DIRECT accepts
 * (dd oflag=direct and fsx -Z failed with EINVAL). The caller's own
 * flags were decided on before this.
 */
static int content_flags(int open_flags)
{
	int acc = open_flags & O_ACCMODE;

	/* O_RDONLY|O_TRUNC truncates too (after the settle, by ftruncate) */
	if (acc == O_WRONLY || (open_flags & O_TRUNC))
		acc = O_RDWR;
	return acc | (open_flags & (O_TRUNC | O_SYNC | O_DSYNC |
				    O_NOATIME)) | O_CLOEXEC;
}

int archive_bump_cgen(struct dossier_archive *a, uint64_t id)
{
	return archive_exec(a, "UPDATE node SET cgen = cgen + 1 WHERE id = ?",
			    "i", (int64_t)id);
}

/* f is an open record of a, on kernel inode nodeid. Lock held. */
static void file_link(struct dossier_archive *a, struct dossier_file *f,
		      uint64_t nodeid)
{
	f->nodeid = nodeid;
	f->checked = a->generation;
	f->prev = NULL;
	f->next = a->files;
	if (a->files)
		a->files->prev = f;
	a->files = f;
}

static struct dossier_file *file_new(uint64_t id, int fd, int flags,
				     const struct dossier_caller *who)
{
	struct dossier_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->id = id;
	f->fd = fd;
	f->flags = flags;
	f->who = *who;
	dossier_buf_init(&f->req);
	dossier_buf_init(&f->reply);
	return f;
}

/*
 * A create of a name a record left a moment ago is a save of that record:
 * vim renames NAME to NAME~ and creates NAME; some programs delete and
 * recreate. The record comes back (id, level, history) with empty
 * content; vim's NAME~ keeps the old content as a scratch file. *id gets
 * the record, or 0. Lock held, in a transaction.
 */
static int revive_for_create(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t parent,
			     const char *nfc, int64_t t, uint64_t *id)
{
	uint64_t rid, xid = 0;
	struct node r;
	sqlite3_stmt *st = NULL;
	char from[64], to[64], *rname = NULL;
	int rc;

	*id = 0;
	if ((rid = recently_deleted(a, who, parent, nfc, t))) {
		if ((rc = undelete(a, rid)) == 0)
			*id = rid;
		return rc;
	}
	if (!(rid = recently_displaced(a, who, parent, nfc, t)))
		return 0;
	if ((rc = archive_get_node(a, rid, &r)) < 0 ||
	    (rc = dossier_db_prepare(a->db, "SELECT name FROM node WHERE "
				     "id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rid);
	if (sqlite3_step(st) == SQLITE_ROW)
		rname = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!rname)
		return DOSSIER_ERROR;
	rc = archive_exec(a, "UPDATE node SET name = ? WHERE id = ?", "ti",
		       "\001swap", (int64_t)rid);
	if (rc == 0)
		rc = insert_node(a, r.parent, rname, DOSSIER_KIND_FILE, 0, 1,
				 r.mode, r.uid, r.gid, t, &xid);
	/* NAME~ keeps the record's old content: it is classified as it */
	if (rc == 0)
		rc = derive_from(a, xid, rid);
	/* a save of rid still waiting on the content moved away keeps a copy */
	if (rc == 0)
		rc = history_live_settle_record(a->history, rid, 0);
	if (rc == 0) {
		content_relpath(from, sizeof(from), rid);
		content_relpath(to, sizeof(to), xid);
		if (renameat(a->contentfd, from, a->contentfd, to) < 0) {
			dossier_error_set("cannot move content: %s",
					  strerror(errno));
			rc = dossier_err_from_errno(errno);
		}
	}
	if (rc == 0)
		rc = archive_exec(a, "UPDATE node SET name = ?, parent = ?, "
			       "prev_name = NULL, displaced_ns = NULL, "
			       "ctime_ns = ? WHERE id = ?", "tiii", nfc,
			       (int64_t)parent, t, (int64_t)rid);
	if (rc == 0)
		rc = journal_forget(a, rid, "rename");
	if (rc == 0)
		rc = archive_bump_cgen(a, rid);
	if (rc == 0)
		*id = rid;
	free(rname);
	return rc;
}

int dossier_archive_create_file(struct dossier_archive *a,
				const struct dossier_caller *who,
				uint64_t parent, const char *name, mode_t mode,
				int open_flags, struct dossier_attr *attr,
				struct dossier_file **out)
{
	char nfc[DOSSIER_NAME_MAX + 1], rel[64];
	struct node p, n;
	uint64_t id = 0, rid;
	int rc, fd = -1, revived = 0;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);

	dossier_error_clear();
	*out = NULL;
	if (trash_xdg_owns(parent, name)) {
		/* GIO's .trashinfo files in /.Trash-UID/info: trash.c */
		if ((rc = trash_xdg_create(a, who, parent, name, open_flags,
					   attr, &fd)) < 0)
			return rc;
		if (!(*out = file_new(attr->id, fd, open_flags, who))) {
			close(fd);
			return DOSSIER_ERROR;
		}
		(*out)->virt = 1;
		return 0;
	}
	if (views_is_virtual(parent))
		return virtual_readonly(a, who, "create", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "create", parent, name, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 || p.deleted)
		goto unlock;
	if (p.kind == DOSSIER_KIND_FILE) {
		rc = DOSSIER_ENOTDIR;
		goto unlock;
	}
	if (!may_hold_files(p.kind)) {
		dossier_error_set("files live inside a client folder "
				  "(YEAR/CATEGORY/CLIENT/...)");
		rc = DOSSIER_ESTRUCTURE;
		goto unlock;
	}
	if ((rc = archive_decide(a, who, &p, NULL, ACT_CREATE)) < 0)
		goto unlock;
	if (archive_find_visible(a, who, parent, nfc, &n) == 0) {
		rc = DOSSIER_EEXISTS;
		goto unlock;
	}
	/*
	 * A create may revive a record deleted a moment ago, truncating its
	 * content: a save of it still waiting for the committer gets its
	 * copy first, here, where waiting is allowed (a deleted record
	 * gets no new save meanwhile).
	 */
	if (!is_scratch_name(a, nfc) &&
	    (rid = recently_deleted(a, who, parent, nfc, t)) &&
	    (rc = history_live_settle_record(a->history, rid, 1)) < 0)
		goto unlock;
	if ((rc = archive_begin(a)) < 0)
		goto unlock;
	if (!is_scratch_name(a, nfc))
		rc = revive_for_create(a, who, parent, nfc, t, &id);
	revived = id != 0;
	if (rc == 0 && !revived)
		rc = insert_node(a, parent, nfc, DOSSIER_KIND_FILE, 0,
				 is_scratch_name(a, nfc),
				 S_IFREG | (mode & 07777), who->uid, who->gid,
				 t, &id);
	if (rc == 0 && !revived)
		rc = archive_take_name(a, who, id, parent, nfc, t);
	if (rc == 0 && !revived && is_scratch_name(a, nfc))
		rc = classify_scratch(a, who, id, parent, nfc);
	if (rc == 0) {
		/*
		 * O_TRUNC, not O_EXCL: a crash between this and COMMIT leaves
		 * a content file whose id the next insert may be given again.
		 */
		content_relpath(rel, sizeof(rel), id);
		fd = openat(a->contentfd, rel, O_CREAT | O_TRUNC |
			    content_flags(open_flags), 0600);
		if (fd < 0) {
			dossier_error_set("cannot create content: %s",
					  strerror(errno));
			rc = dossier_err_from_errno(errno);
		}
	}
	if (rc == 0)
		rc = touch_node(a, parent, t);
	if ((rc = archive_end(a, rc)) == 0 && (rc = archive_get_node(a, id, &n)) == 0)
		rc = archive_node_attr(a, who, &n, attr);
	if (rc == 0) {
		*out = file_new(id, fd, open_flags, who);
		if (!*out)
			rc = DOSSIER_ERROR;
		else
			(*out)->created = 1;
	}
	if (rc == 0)
		file_link(a, *out, attr->id);
	if (rc < 0 && fd >= 0) {
		close(fd);
		if (!revived)
			unlinkat(a->contentfd, rel, 0);
	}
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "create", parent, nfc, rc) : 0;
}

/* Decide an open; *on_grant is set if only a grant allows it. */
static int open_verdict(struct dossier_archive *a,
			const struct dossier_caller *who, const struct node *n,
			enum action act, int *on_grant)
{
	struct dossier_verdict v;

	archive_verdict(a, who, n, act, &v);
	if (!v.allow) {
		dossier_error_set("%s", v.why[0] ? v.why : "not allowed");
		return DOSSIER_EDENIED;
	}
	if (v.grant)
		*on_grant = 1;
	return 0;
}

static int open_virtual(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t id,
			int open_flags, struct dossier_file **out,
			struct dossier_open_info *info)
{
	int rc, fd = -1, is_ctl = 0;

	pthread_mutex_lock(&a->lock);
	rc = views_open(a, who, id, open_flags, &fd, &is_ctl);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return archive_deny(a, who, "open", id, NULL, rc);
	*out = file_new(id, fd, open_flags, who);
	if (!*out) {
		if (fd >= 0)
			close(fd);
		return DOSSIER_ERROR;
	}
	(*out)->virt = 1;
	/* a version's bytes never change; the control file has no pages */
	info->keep_cache = !is_ctl;
	info->direct_io = is_ctl;
	return 0;
}

int dossier_archive_open_file(struct dossier_archive *a,
			      const struct dossier_caller *who, uint64_t id,
			      int open_flags, struct dossier_file **out,
			      struct dossier_open_info *info)
{
	struct node n;
	char rel[64];
	int rc, fd = -1, acc = open_flags & O_ACCMODE, on_grant = 0;

	id = node_of(id);
	dossier_error_clear();
	*out = NULL;
	memset(info, 0, sizeof(*info));
	if (views_is_virtual(id))
		return open_virtual(a, who, id, open_flags, out, info);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, id, &n)) < 0)
		goto unlock;
	if (archive_decide(a, who, &n, NULL, ACT_LIST) < 0) {
		rc = DOSSIER_EHIDDEN;
		goto unlock;
	}
	if (n.kind != DOSSIER_KIND_FILE) {
		rc = DOSSIER_EISDIR;
		goto unlock;
	}
	if ((acc == O_RDONLY || acc == O_RDWR) &&
	    (rc = open_verdict(a, who, &n, ACT_READ, &on_grant)) < 0)
		goto unlock;
	if ((acc == O_WRONLY || acc == O_RDWR || (open_flags & O_TRUNC)) &&
	    (rc = open_verdict(a, who, &n, ACT_WRITE, &on_grant)) < 0)
		goto unlock;
	content_relpath(rel, sizeof(rel), id);
	/* O_TRUNC after the settle, on the inode opened (the settle may wait) */
	fd = openat(a->contentfd, rel, content_flags(open_flags) & ~O_TRUNC);
	if (fd < 0) {
		dossier_error_set("cannot open content of %" PRIu64 ": %s",
				  id, strerror(errno));
		rc = DOSSIER_EIO;
		goto unlock;
	}
	if ((open_flags & O_TRUNC) && (rc = content_changing(a, fd, 0)) == 0 &&
	    ftruncate(fd, 0) < 0) {
		dossier_error_set("cannot truncate content of %" PRIu64 ": %s",
				  id, strerror(errno));
		rc = DOSSIER_EIO;
	}
	/* the settle may have let others change the record meanwhile */
	if (rc == 0 && (open_flags & O_TRUNC))
		rc = archive_get_node(a, id, &n);
	if (rc < 0) {
		close(fd);
		goto unlock;
	}
	/*
	 * Content under one nodeid changes only through the kernel, so its
	 * pages may stay cached; but a classified record, or one opened on
	 * a grant, is read through us every time: the kernel must never
	 * serve it to someone else or after the grant ends.
	 */
	info->direct_io = on_grant || n.level > DOSSIER_LEVEL_INTERNAL;
	info->keep_cache = !info->direct_io;
	info->on_grant = on_grant;
	if (a->audit && (acc == O_RDONLY || acc == O_RDWR)) {
		char *path = archive_node_path(a, id);

		audit_record(a->audit, who, "read", path, 1,
			     archive_last_rule(), on_grant ? "on a grant" :
							     NULL);
		free(path);
	}
	*out = file_new(id, fd, open_flags, who);
	if (!*out) {
		close(fd);
		rc = DOSSIER_ERROR;
		goto unlock;
	}
	(*out)->on_grant = on_grant;
	/* truncated: a change, saved at the last close at the latest */
	if (open_flags & O_TRUNC)
		(*out)->created = 1;
	file_link(a, *out, NODEID(n.id, n.cgen));
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "open", id, NULL, rc) : 0;
}

ssize_t dossier_file_pwrite(struct dossier_archive *a, struct dossier_file *f,
			    const char *buf, size_t size, off_t off)
{
	(void)a;
	(void)off;
	if (f->fd >= 0)
		return pwrite(f->fd, buf, size, off);
	/* control file: a new request replaces an answered one */
	if (f->answered) {
		dossier_buf_release(&f->req);
		dossier_buf_release(&f->reply);
		f->answered = 0;
	}
	if (f->req.len + size > 65536)
		return -EFBIG;
	dossier_buf_add(&f->req, buf, size);
	return (ssize_t)size;
}

ssize_t dossier_file_pread(struct dossier_archive *a, struct dossier_file *f,
			   char *buf, size_t size, off_t off)
{
	if (f->fd >= 0)
		return pread(f->fd, buf, size, off);
	if (!f->answered) {
		/*
		 * The request runs for the process that opened the control
		 * file, never for whoever reads or writes the descriptor
		 * later: a descriptor handed to a setuid program (su, passwd
		 * read their standard input) must not run as that program.
		 * The kernel's rule for /proc and sysfs files: decided at
		 * open, acted on with the opener's credentials.
		 */
		dossier_archive_control(a, &f->who, f->req.buf, f->req.len,
					&f->reply);
		f->answered = 1;
	}
	if ((size_t)off >= f->reply.len)
		return 0;
	if (size > f->reply.len - (size_t)off)
		size = f->reply.len - (size_t)off;
	memcpy(buf, f->reply.buf + off, size);
	return (ssize_t)size;
}

int dossier_file_fd(const struct dossier_file *f)
{
	return f->fd;
}

uint64_t dossier_file_id(const struct dossier_file *f)
{
	return f->id;
}

int dossier_file_check(struct dossier_archive *a, struct dossier_file *f,
		       int writing)
{
	int rc;

	/* a save still waiting on this content gets its copy first */
	if (writing && f->fd >= 0 && history_live_any(a->history)) {
		pthread_mutex_lock(&a->lock);
		rc = content_changing(a, f->fd, -1);
		pthread_mutex_unlock(&a->lock);
		if (rc < 0)
			return rc;
	}
	/*
	 * The right an open file was opened with is asked again whenever
	 * the catalog changed since it was last confirmed (a reclassification,
	 * a revoke, a user's role: access taken away reaches descriptors
	 * already open), and at every use of a file opened on a grant (grants
	 * end by the clock). Otherwise nothing is asked: the data path takes
	 * no lock.
	 */
	if (f->virt || (!f->on_grant && !__atomic_load_n(&f->revoked,
							  __ATOMIC_RELAXED) &&
			__atomic_load_n(&f->checked, __ATOMIC_RELAXED) ==
			__atomic_load_n(&a->generation, __ATOMIC_RELAXED)))
		return 0;
	pthread_mutex_lock(&a->lock);
	rc = file_allowed(a, f, writing);
	/* the fast path again only once all it was opened for holds */
	if (rc == 0 && file_allowed(a, f, -1) == 0) {
		f->revoked = 0;
		__atomic_store_n(&f->checked, a->generation, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&a->lock);
	if (rc < 0) {
		dossier_log(LOG_NOTICE, "refused %s by uid %u on record %"
			    PRIu64 ": %s", writing ? "write" : "read",
			    (unsigned)f->who.uid, f->id, f->on_grant ?
			    "the grant it was opened on has ended" :
			    "access was taken away while it was open");
		audit_record(a->audit, &f->who, writing ? "write" : "read",
			     NULL, 0, 0, f->on_grant ? "grant ended while open"
			     : "access taken away while open");
		return DOSSIER_EDENIED;
	}
	return 0;
}

void dossier_file_mark_written(struct dossier_file *f)
{
	if (f)
		f->written = 1;
}

/*
 * One save: snapshot the content into the spool (outside the catalog
 * lock: large files take a moment) and journal it with the reason left in
 * user.dossier.reason, if any.
 */
static int save_file(struct dossier_archive *a, struct dossier_file *f,
		     const struct dossier_caller *who, int last)
{
	char spool[64], reason[1024], *path = NULL;
	struct dossier_buf data = DOSSIER_BUF_INIT;
	const char *op = "save";
	sqlite3_stmt *st = NULL;
	struct node n;
	struct stat cs;
	int rc, have_reason = 0, deferred;
	int64_t t = dossier_clock_ns();

	if (f->virt || !(f->written || (f->created && last)))
		return 0;
	f->written = f->created = 0;
	if (!a->history)
		return 0;
	pthread_mutex_lock(&a->lock);
	rc = archive_get_node(a, f->id, &n);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0 || n.scratch || n.deleted)
		return 0;
	/* large content is not copied now: the row names its inode */
	spool[0] = '\0';
	if (fstat(f->fd, &cs) < 0) {
		dossier_error_set("cannot snapshot content: %s",
				  strerror(errno));
		return DOSSIER_EIO;
	}
	deferred = deferrable(a, &cs);
	if (!deferred && (rc = history_spool(a->history, f->fd, spool,
					     sizeof(spool), &data)) < 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT value FROM xattr WHERE node = ?1"
			       " AND name = 'user.dossier.reason'", &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)f->id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(reason, sizeof(reason), "%.*s",
				 sqlite3_column_bytes(st, 0),
				 (const char *)sqlite3_column_blob(st, 0));
			have_reason = 1;
		}
	}
	sqlite3_finalize(st);
	rc = archive_begin(a);
	if (rc == 0 && archive_get_node(a, f->id, &n) == 0 && !n.scratch &&
	    !n.deleted) {
		if (have_reason)
			rc = archive_exec(a, "DELETE FROM xattr WHERE node = ? AND"
				       " name = 'user.dossier.reason'", "i",
				       (int64_t)f->id);
		if (rc == 0 && fstat(f->fd, &cs) == 0)
			rc = archive_exec(a, "UPDATE node SET snap_mtime_ns = ?, "
				       "snap_size = ? WHERE id = ?", "iii",
				       (int64_t)cs.st_mtim.tv_sec * 1000000000 +
					       cs.st_mtim.tv_nsec,
				       (int64_t)cs.st_size, (int64_t)f->id);
		path = archive_node_path(a, f->id);
		/* the first version of a record is its creation */
		if (!n.has_hist &&
		    !query_id(a, "SELECT 1 FROM journal WHERE record = ?1 AND "
			      "(spool IS NOT NULL OR blob IS NOT NULL OR "
			      "data IS NOT NULL OR live IS NOT NULL) AND "
			      "0 * ?3 * ?4 = 0 AND ?2 IS NULL", (int64_t)f->id,
			      NULL, 0, 0))
			op = "create";
		if (rc == 0 && deferred)
			rc = journal_deferred(a, f->id, op, path, f->fd, &cs,
					      who, have_reason ? reason : NULL,
					      t);
		else if (rc == 0)
			rc = archive_journal_snap(a, f->id, op, path, spool,
						  &data, who, have_reason ?
						  reason : NULL, t);
		if (rc == 0)
			audit_record(a->audit, who, op, path, 1, 0,
				     have_reason ? reason : NULL);
		spool[0] = rc == 0 ? '\0' : spool[0];
	}
	rc = archive_end(a, rc);
	pthread_mutex_unlock(&a->lock);
	free(path);
	dossier_buf_release(&data);
	if (spool[0])
		history_discard_spool(a->history, spool);
	return rc;
}

int dossier_file_flush(struct dossier_archive *a, struct dossier_file *f,
		       const struct dossier_caller *who)
{
	int rc;

	dossier_error_clear();
	/*
	 * A new record unwritten at a flush is not saved yet: shells open,
	 * dup and close before writing. The last close saves it anyway.
	 */
	if ((rc = save_file(a, f, who, 0)) < 0)
		dossier_log(LOG_ERR, "cannot record a save of record %" PRIu64
			    ": %s", f->id, dossier_error_last());
	return rc;
}

int dossier_file_release(struct dossier_archive *a, struct dossier_file *f)
{
	int rc = 0;

	if (!f)
		return 0;
	if (f->virt) {
		if (f->fd >= 0)
			close(f->fd);
		dossier_buf_release(&f->req);
		dossier_buf_release(&f->reply);
		free(f);
		return 0;
	}
	pthread_mutex_lock(&a->lock);
	if (f->prev)
		f->prev->next = f->next;
	else if (a->files == f)
		a->files = f->next;
	if (f->next)
		f->next->prev = f->prev;
	pthread_mutex_unlock(&a->lock);
	/* writes after the last flush (mmap) are a save too */
	if ((f->written || f->created) && save_file(a, f, &f->who, 1) < 0)
		dossier_log(LOG_ERR, "cannot record a save of record %" PRIu64
			    ": %s", f->id, dossier_error_last());
	if (close(f->fd) < 0) {
		dossier_error_set("close: %s", strerror(errno));
		rc = dossier_err_from_errno(errno);
	}
	free(f);
	return rc;
}

/* ---- folder listings ---- */

struct dir_entry {
	char *name;
	char *own;	/* its real name, when listed under another */
	struct dossier_attr attr;
};

struct dossier_dir {
	struct dir_entry *e;
	size_t n;
};

static int dir_open_virtual(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    struct dossier_dir **out)
{
	struct view_list l;
	struct dossier_dir *d;
	size_t i;
	int rc;

	history_wait_recovered(a->history);
	pthread_mutex_lock(&a->lock);
	rc = views_list(a, who, id, &l);
	pthread_mutex_unlock(&a->lock);
	d = calloc(1, sizeof(*d));
	if (rc < 0 || !d) {
		for (i = 0; i < l.n; i++)
			free(l.e[i].name);
		free(l.e);
		free(d);
		return rc < 0 ? rc : DOSSIER_ERROR;
	}
	d->e = calloc(l.n ? l.n : 1, sizeof(*d->e));
	for (i = 0; d->e && i < l.n; i++) {
		d->e[i].name = l.e[i].name;
		d->e[i].own = NULL;
		d->e[i].attr = l.e[i].attr;
	}
	d->n = d->e ? l.n : 0;
	free(l.e);
	*out = d;
	return 0;
}

/*
 * The name entry n is listed under: its own, or, when the caller sees an
 * older entry of the same name (the previous one listed), the
 * disambiguated one archive_find_visible also answers to. Caller frees.
 */
static void dir_name(struct dossier_dir *d, const struct node *n,
		     const char *name, int masked)
{
	char shown[DOSSIER_NAME_MAX + 32];
	struct dir_entry *e = &d->e[d->n];
	size_t i;

	e->own = NULL;
	/* entries of one name are adjacent: was the plain name given? */
	for (i = d->n; !masked && i > 0; i--) {
		const struct dir_entry *p = &d->e[i - 1];

		if (strcmp(p->own ? p->own : p->name, name))
			break;
		if (!p->own)
			masked = 1;
	}
	if (!masked) {
		e->name = strdup(name);
		return;
	}
	archive_shown_name(shown, sizeof(shown), name, n->id,
			   n->kind == DOSSIER_KIND_FILE);
	e->name = strdup(shown);
	e->own = strdup(name);
}

int dossier_dir_open(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t id,
		     struct dossier_dir **out)
{
	struct dossier_dir *d = NULL;
	struct node dn, n;
	sqlite3_stmt *st = a->st[ST_LIST];
	size_t cap = 0;
	int rc, src;

	id = node_of(id);

	dossier_error_clear();
	*out = NULL;
	if (views_is_virtual(id))
		return dir_open_virtual(a, who, id, out);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, id, &dn)) < 0)
		goto unlock;
	if (archive_decide(a, who, &dn, NULL, ACT_LIST) < 0) {
		rc = DOSSIER_EHIDDEN;
		goto unlock;
	}
	if (dn.kind == DOSSIER_KIND_FILE) {
		rc = DOSSIER_ENOTDIR;
		goto unlock;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		rc = DOSSIER_ERROR;
		goto unlock;
	}
	/* one indexed query for the whole folder */
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		archive_row_to_node(st, &n);
		if (archive_decide(a, who, &n, NULL, ACT_LIST) < 0)
			continue;
		if (d->n == cap) {
			struct dir_entry *ne;

			cap = cap ? cap * 2 : 32;
			ne = realloc(d->e, cap * sizeof(*ne));
			if (!ne) {
				rc = DOSSIER_ERROR;
				break;
			}
			d->e = ne;
		}
		dir_name(d, &n, (const char *)sqlite3_column_text(st,
							LIST_NAME_COL),
			 twin_masked(a, who, &n));
		if (archive_node_attr(a, who, &n, &d->e[d->n].attr) < 0)
			fill_attr(a, &n, &d->e[d->n].attr);
		dossier_error_clear();
		d->n++;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = dossier_db_err(a->db, src, "list folder");
	sqlite3_reset(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	if (rc < 0) {
		dossier_dir_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

size_t dossier_dir_count(const struct dossier_dir *d)
{
	return d->n;
}

const char *dossier_dir_entry(const struct dossier_dir *d, size_t i,
			      const struct dossier_attr **attr)
{
	if (i >= d->n)
		return NULL;
	if (attr)
		*attr = &d->e[i].attr;
	return d->e[i].name;
}

void dossier_dir_free(struct dossier_dir *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->e[i].name);
		free(d->e[i].own);
	}
	free(d->e);
	free(d);
}

/* ---- categories ---- */

int dossier_category_list(struct dossier_archive *a,
			  int (*fn)(void *ctx, const char *name,
				    int retention_years),
			  void *ctx)
{
	sqlite3_stmt *st = a->st[ST_CATEGORIES];
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(ctx, (const char *)sqlite3_column_text(st, 1),
			sqlite3_column_type(st, 2) == SQLITE_NULL ?
				-1 : sqlite3_column_int(st, 2));
	sqlite3_reset(st);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static int run_bound(struct dossier_archive *a, const char *sql,
		     const char *t1, const char *t2, int64_t i3)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	if (t1)
		sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
	if (t2)
		sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, i3);
	rc = dossier_db_step_done(a->db, st, sql);
	sqlite3_finalize(st);
	return rc;
}

int dossier_category_add(struct dossier_archive *a, const char *name)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return rc;
	if (nfc[0] == '.') {
		dossier_error_set("a category name cannot start with '.'");
		return DOSSIER_EINVAL;
	}
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_begin(a)) == 0) {
		rc = run_bound(a, "INSERT INTO category(name, position) "
			       "SELECT ?1, coalesce(max(position), 0) + 1 + "
			       "0 * ?3 FROM category", nfc, NULL, 0);
		if (rc == DOSSIER_EEXISTS)
			dossier_error_set("category '%s' already exists", nfc);
		/* every existing year gets the new category folder */
		if (rc == 0)
			rc = run_bound(a, "INSERT INTO node(parent, name, kind,"
				       " category, mode, uid, gid, mtime_ns, "
				       "ctime_ns, created_ns) SELECT y.id, ?1, "
				       "2, c.id, 17407, 0, 0, ?3, ?3, ?3 FROM "
				       "node y, category c WHERE y.kind = 1 "
				       "AND y.deleted_ns IS NULL AND "
				       "c.name = ?1", nfc, NULL, dossier_clock_ns());
		rc = archive_end(a, rc);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_category_set_retention(struct dossier_archive *a,
				   const char *name, int years)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	if (years < 0)
		rc = archive_exec(a, "UPDATE category SET retention_years = NULL"
				  " WHERE name = ?", "t", nfc);
	else
		rc = archive_exec(a, "UPDATE category SET retention_years = ? "
				  "WHERE name = ?", "it", (int64_t)years, nfc);
	if (rc == 0 && sqlite3_changes(a->db) == 0) {
		dossier_error_set("no category named '%s'", nfc);
		rc = DOSSIER_ENOTFOUND;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_category_rename(struct dossier_archive *a, const char *from,
			    const char *to)
{
	char f[DOSSIER_NAME_MAX + 1], t[DOSSIER_NAME_MAX + 1];
	int rc;

	if ((rc = dossier_name_normalize(f, sizeof(f), from)) < 0 ||
	    (rc = dossier_name_normalize(t, sizeof(t), to)) < 0)
		return rc;
	if (t[0] == '.') {
		dossier_error_set("a category name cannot start with '.'");
		return DOSSIER_EINVAL;
	}
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_begin(a)) == 0) {
		rc = run_bound(a, "UPDATE node SET name = ?2 WHERE kind = 2 "
			       "AND category = (SELECT id FROM category WHERE "
			       "name = ?1) AND 0 * ?3 = 0", f, t, 0);
		if (rc == 0)
			rc = run_bound(a, "UPDATE category SET name = ?2 WHERE "
				       "name = ?1 AND 0 * ?3 = 0", f, t, 0);
		if (rc == 0 && sqlite3_changes(a->db) == 0) {
			dossier_error_set("no category named '%s'", f);
			rc = DOSSIER_ENOTFOUND;
		} else if (rc == DOSSIER_EEXISTS) {
			dossier_error_set("category '%s' already exists", t);
		}
		rc = archive_end(a, rc);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* ---- extended attributes ---- */

#define XATTR_VALUE_MAX 65536

/* Resolve id for an xattr call by who; lock held. */
static int xattr_node(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t id,
		      const char *name, struct node *n)
{
	int rc;

	if (views_is_virtual(id))
		return name ? DOSSIER_ENODATA : DOSSIER_ENOTSUP;
	if ((rc = archive_get_node(a, id, n)) < 0)
		return rc;
	if (archive_decide(a, who, n, NULL, ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	if (name && strncmp(name, "user.", 5) != 0 && !meta_handles(name))
		return DOSSIER_ENOTSUP;
	return 0;
}

int dossier_archive_getxattr(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t id,
			     const char *name, void *buf, size_t size,
			     size_t *len)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc, src;

	id = node_of(id);

	*len = 0;
	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, name, &n)) < 0)
		goto unlock;
	if (meta_handles(name) &&
	    (rc = meta_get(a, who, &n, name, buf, size, len)) !=
		    DOSSIER_ENOTSUP)
		goto unlock;
	/*
	 * A record's own attributes may be content (Samba keeps alternate
	 * data streams and macOS resource forks there): read them only with
	 * the right to read the record. DOSATTRIB (hidden, read-only bits)
	 * is what smbd reads to list a folder.
	 */
	if (n.kind == DOSSIER_KIND_FILE && strcmp(name, "user.DOSATTRIB") &&
	    (rc = archive_decide(a, who, &n, NULL, ACT_READ)) < 0)
		goto unlock;
	rc = 0;
	if ((rc = dossier_db_prepare(a->db, "SELECT value FROM xattr WHERE "
				     "node = ?1 AND name = ?2", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		if (size && *len > size)
			rc = DOSSIER_ERANGE;
		else if (size && *len)
			memcpy(buf, sqlite3_column_blob(st, 0), *len);
	} else if (src == SQLITE_DONE) {
		rc = DOSSIER_ENODATA;
	} else {
		rc = dossier_db_err(a->db, src, "get xattr");
	}
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_setxattr(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t id,
			     const char *name, const void *value, size_t size,
			     int flags)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc, exists = 0, src;

	id = node_of(id);

	if (size > XATTR_VALUE_MAX)
		return DOSSIER_ENOSPC;
	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, name, &n)) < 0)
		goto unlock;
	if (meta_handles(name) &&
	    (rc = meta_set(a, who, &n, name, value, size)) != DOSSIER_ENOTSUP)
		goto unlock;
	rc = 0;
	if ((rc = archive_decide(a, who, &n, NULL, n.kind == DOSSIER_KIND_FILE ?
				ACT_WRITE : ACT_CREATE)) < 0)
		goto unlock;
	if ((rc = dossier_db_prepare(a->db, "SELECT 1 FROM xattr WHERE "
				     "node = ?1 AND name = ?2", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	st = NULL;
	if ((flags & 1 /* XATTR_CREATE */) && exists) {
		rc = DOSSIER_EEXISTS;
		goto unlock;
	}
	if ((flags & 2 /* XATTR_REPLACE */) && !exists) {
		rc = DOSSIER_ENODATA;
		goto unlock;
	}
	if ((rc = dossier_db_prepare(a->db, "INSERT OR REPLACE INTO xattr "
				     "VALUES(?1, ?2, ?3)", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, size ? value : "", (int)size, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = dossier_db_err(a->db, src, "set xattr");
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	/* a reclassification: open files refused before this returns */
	archive_notify_wait(a);
	return rc;
}

int dossier_archive_listxattr(struct dossier_archive *a,
			      const struct dossier_caller *who, uint64_t id,
			      char *buf, size_t size, size_t *len)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc;

	id = node_of(id);

	*len = 0;
	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, NULL, &n)) < 0)
		goto unlock;
	if ((rc = meta_list(a, &n, buf, size, len)) < 0)
		goto unlock;
	if ((rc = dossier_db_prepare(a->db, "SELECT name FROM xattr WHERE "
				     "node = ?1 ORDER BY name", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t l = (size_t)sqlite3_column_bytes(st, 0) + 1;

		if (size && *len + l > size) {
			rc = DOSSIER_ERANGE;
			break;
		}
		if (size)
			memcpy(buf + *len, sqlite3_column_text(st, 0), l);
		*len += l;
	}
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_removexattr(struct dossier_archive *a,
				const struct dossier_caller *who, uint64_t id,
				const char *name)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc;

	id = node_of(id);

	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, name, &n)) < 0)
		goto unlock;
	/* removing the computed ACL ends loans; a default ACL is none */
	if (!strncmp(name, "system.posix_acl_", 17)) {
		if (!strcmp(name, "system.posix_acl_access") &&
		    n.kind == DOSSIER_KIND_FILE)
			rc = meta_remove_acl(a, who, &n);
		goto unlock;
	}
	if ((rc = archive_decide(a, who, &n, NULL, n.kind == DOSSIER_KIND_FILE ?
				ACT_WRITE : ACT_CREATE)) < 0)
		goto unlock;
	if ((rc = dossier_db_prepare(a->db, "DELETE FROM xattr WHERE "
				     "node = ?1 AND name = ?2", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = dossier_db_err(a->db, SQLITE_ERROR, "remove xattr");
	else if (sqlite3_changes(a->db) == 0)
		rc = DOSSIER_ENODATA;
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}
