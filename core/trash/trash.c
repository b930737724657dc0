/*
 * Trash, purge, destruction register, retention and legal holds: the
 * /.trash view of deleted records, restoring them, destroying them when
 * the trash period ends, and the control requests of dossierctl's trash,
 * restore-deleted, purge, register, approve-destruction, hold, release
 * and due. See docs/trash.md.
 */
#include "trash_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit_i.h"
#include "control_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"
#include "name.h"
#include "rules_i.h"
#include "text_i.h"
#include "views_i.h"
#include "access_i.h"
#include "journal_i.h"

#define DAY_NS ((int64_t)86400 * 1000000000)
#define DEFAULT_TRASH_DAYS 30
/* Policy defaults; the shipped values are rows of setting (schema.c). */
#define DEFAULT_DISPOSERS "gm,deputy_gm,archivist"
#define DEFAULT_READERS "gm,deputy_gm,archivist,auditor"
#define DEFAULT_APPROVAL_LEVEL DOSSIER_LEVEL_CONFIDENTIAL

static const struct dossier_caller daemon_caller = { 0, 0, 0 };

/* ---- small helpers ---- */

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return strdup(t ? (const char *)t : "");
}

/* Local time of ns: the day ("2026-11-23"), or with seconds. */
static void fmt_time(char *out, size_t outsz, int64_t ns, int seconds)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&t, &tm);
	if (seconds)
		strftime(out, outsz, "%Y-%m-%d %H.%M.%S", &tm);
	else
		strftime(out, outsz, "%Y-%m-%d", &tm);
}

/* The user name of uid ("uid N" when unknown). */
static void user_name(struct dossier_archive *a, uid_t uid, char *out,
		      size_t outsz)
{
	if (!a->rules || dossier_rules_user_name(a->rules, uid, out,
						 outsz) < 0) {
		dossier_error_clear();
		snprintf(out, outsz, "uid %lu", (unsigned long)uid);
	}
}

/* Setting key as text into out, or def. */
static void setting(struct dossier_archive *a, const char *key,
		    const char *def, char *out, size_t outsz)
{
	if (!a->rules || dossier_rules_setting_get(a->rules, key, out,
						   outsz) < 0) {
		dossier_error_clear();
		snprintf(out, outsz, "%s", def);
	}
}

/* The trash period in days (setting trash-days). */
static int trash_days(struct dossier_archive *a)
{
	char v[32], *end;
	long d;

	setting(a, "trash-days", "30", v, sizeof(v));
	d = strtol(v, &end, 10);
	if (end == v || *end || d < 0 || d > 36500) {
		dossier_log(LOG_WARNING, "setting trash-days '%s' is not a "
			    "number of days: using %d", v, DEFAULT_TRASH_DAYS);
		return DEFAULT_TRASH_DAYS;
	}
	return (int)d;
}

/* The lowest level whose destruction needs an approval. */
static int approval_level(struct dossier_archive *a)
{
	char v[32];
	int l;

	setting(a, "destruction-approval-level", "confidential", v,
		sizeof(v));
	l = dossier_level_parse(v);
	return l < 0 ? DEFAULT_APPROVAL_LEVEL : l;
}

/*
 * When a record deleted at deleted_ns may be destroyed: never inside the
 * history window, in which an editor's delete-then-rename save may still
 * revive it (archive.c, recently_deleted).
 */
static int64_t expiry_ns(int64_t deleted_ns, int days)
{
	int64_t p = (int64_t)days * DAY_NS;

	return deleted_ns + (p < HISTORY_WINDOW_NS ? HISTORY_WINDOW_NS : p);
}

/* 1 if who's role is in the comma list of setting key (def if unset). */
static int role_in(struct dossier_archive *a, const struct dossier_caller *who,
		   const char *key, const char *def)
{
	char list[512], *tok, *save = NULL;
	const char *role = NULL;

	if (!a->rules)
		return who->uid == 0;
	if (dossier_rules_user_info(a->rules, who->uid, &role, NULL) < 0 ||
	    !role) {
		dossier_error_clear();
		return 0;
	}
	setting(a, key, def, list, sizeof(list));
	for (tok = strtok_r(list, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save))
		if (!strcmp(tok, role))
			return 1;
	return 0;
}

static int refuse_role(struct dossier_archive *a, const char *what,
		       const char *key, const char *def)
{
	char list[512];

	setting(a, key, def, list, sizeof(list));
	dossier_error_set("%s is for the roles %s (setting '%s')", what, list,
			  key);
	return DOSSIER_EDENIED;
}

/* One integer from sql with one id bound; def if no row. */
static int64_t query_int(struct dossier_archive *a, const char *sql,
			 int64_t id, int64_t def)
{
	sqlite3_stmt *st = NULL;
	int64_t v = def;

	if (dossier_db_prepare(a->db, sql, &st) < 0) {
		dossier_error_clear();
		return def;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int is_purging(struct dossier_archive *a, uint64_t id)
{
	return query_int(a, "SELECT 1 FROM trash_purging WHERE record = ?1",
			 (int64_t)id, 0) != 0;
}

/* Deletion facts of a row: what the trash shows and the register keeps. */
struct deletion {
	char *name;
	char *path;		/* where it was when deleted */
	int64_t deleted_ns;	/* 0: live */
	uid_t deleted_by;
};

static void deletion_release(struct deletion *d)
{
	free(d->name);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

static int deletion_get(struct dossier_archive *a, uint64_t id,
			struct deletion *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dossier_db_prepare(a->db, "SELECT name, coalesce("
				     "deleted_path, ''), coalesce(deleted_ns, "
				     "0), coalesce(deleted_by, -1) FROM node "
				     "WHERE id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = DOSSIER_ENOTFOUND;
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->name = col_dup(st, 0);
		out->path = col_dup(st, 1);
		out->deleted_ns = sqlite3_column_int64(st, 2);
		out->deleted_by = (uid_t)sqlite3_column_int64(st, 3);
		rc = out->name && out->path ? 0 : DOSSIER_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- legal holds ---- */

struct hold_info {
	int64_t id;
	uint64_t node;
	char path[1024];
	char reason[512];
	uid_t by;
	int64_t held_ns;
};

/* The active hold on id or a folder above it: 1 found, 0 none, < 0 error. */
static int find_hold(struct dossier_archive *a, uint64_t id,
		     struct hold_info *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(a->db, "WITH RECURSIVE up(id, depth) AS "
				     "(SELECT ?1, 0 UNION ALL SELECT n.parent, "
				     "depth + 1 FROM node n JOIN up ON n.id = "
				     "up.id WHERE n.parent IS NOT NULL) SELECT "
				     "h.id, h.node, h.path, h.reason, "
				     "h.held_by, h.held_ns FROM hold h JOIN up "
				     "ON h.node = up.id WHERE h.released_ns IS "
				     "NULL ORDER BY up.depth, h.id LIMIT 1",
				     &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->node = (uint64_t)sqlite3_column_int64(st, 1);
		snprintf(out->path, sizeof(out->path), "%s",
			 sqlite3_column_text(st, 2));
		snprintf(out->reason, sizeof(out->reason), "%s",
			 sqlite3_column_text(st, 3));
		out->by = (uid_t)sqlite3_column_int64(st, 4);
		out->held_ns = sqlite3_column_int64(st, 5);
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Say why id is held (dossier_error_set). */
static void say_held(struct dossier_archive *a, uint64_t id,
		     const struct hold_info *h)
{
	char by[64], when[32], *path = archive_node_path(a, id);

	user_name(a, h->by, by, sizeof(by));
	fmt_time(when, sizeof(when), h->held_ns, 0);
	dossier_error_set("'%s' is under legal hold %" PRId64 "%s%s%s (placed"
			  " by %s on %s: %s); 'dossierctl release' lifts it",
			  path ? path : "?", h->id, h->node != id ? " on '" :
			  "", h->node != id ? h->path : "", h->node != id ?
			  "'" : "", by, when, h->reason);
	free(path);
}

int trash_may_delete(struct dossier_archive *a, const struct node *n)
{
	struct hold_info h;
	int rc = find_hold(a, n->id, &h);

	if (rc <= 0)
		return rc;
	say_held(a, n->id, &h);
	return DOSSIER_ESTRUCTURE;
}

int trash_is_view(uint64_t ino)
{
	return ino == INO_TRASH || VIRT_KIND(ino) == 3;
}

/* ---- the /.trash view ---- */

/*
 * Every trashed record (not being purged) with each folder on its way up
 * to ?1: rows (rec, anc, child) where child is the entry of anc the
 * record shows under.
 */
#define TRASH_UP                                                            \
	"WITH RECURSIVE up(rec, anc, child) AS ("                           \
	" SELECT id, parent, id FROM node WHERE deleted_ns IS NOT NULL"     \
	" AND kind = 5 AND scratch = 0 AND id NOT IN"                       \
	" (SELECT record FROM trash_purging)"                               \
	" UNION ALL SELECT up.rec, n.parent, n.id FROM node n"              \
	" JOIN up ON n.id = up.anc WHERE up.anc <> ?1) "

void trash_entries_free(struct trash_entry *e, size_t n)
{
	size_t i;

	for (i = 0; e && i < n; i++)
		free(e[i].name);
	free(e);
}

/*
 * name with " (deleted STAMP)" (and ", ID" if id) before its extension
 * (files) or at its end (folders), shortened to fit a name.
 */
static char *suffixed(const char *name, int is_file, int64_t deleted_ns,
		      uint64_t id)
{
	char stamp[32], tag[96], *out = NULL;
	const char *dot = is_file ? strrchr(name, '.') : NULL;
	size_t stem, ext, taglen;

	fmt_time(stamp, sizeof(stamp), deleted_ns, 1);
	if (id)
		snprintf(tag, sizeof(tag), " (deleted %s, %" PRIu64 ")", stamp,
			 id);
	else
		snprintf(tag, sizeof(tag), " (deleted %s)", stamp);
	/* an extension is short and has no space: "x.pdf", not "v. 2 final" */
	if (!dot || dot == name || strlen(dot) > 10 || strchr(dot, ' '))
		dot = name + strlen(name);
	stem = (size_t)(dot - name);
	ext = strlen(dot);
	taglen = strlen(tag);
	while (stem > 0 && stem + taglen + ext > DOSSIER_NAME_MAX) {
		stem--;
		while (stem > 0 && ((unsigned char)name[stem] & 0xc0) == 0x80)
			stem--;
	}
	if (asprintf(&out, "%.*s%s%s", (int)stem, name, tag, dot) < 0)
		return NULL;
	return out;
}

static int cmp_naming(const void *x, const void *y)
{
	const struct trash_entry *p = x, *q = y;
	int c = strcmp(p->name, q->name);

	if (c)
		return c;
	if ((p->deleted_ns != 0) != (q->deleted_ns != 0))
		return p->deleted_ns ? 1 : -1;	/* a live folder first */
	if (p->deleted_ns != q->deleted_ns)
		return p->deleted_ns < q->deleted_ns ? -1 : 1;
	return p->n.id < q->n.id ? -1 : p->n.id > q->n.id;
}

static int cmp_name(const void *x, const void *y)
{
	const struct trash_entry *p = x, *q = y;

	return strcmp(p->name, q->name);
}

/*
 * Give entries sharing a name distinct, stable names: the first (a live
 * folder, else the oldest deletion) keeps it; the others carry their
 * deletion time, and their id too if that is not enough.
 */
static int name_entries(struct trash_entry *e, size_t n)
{
	size_t i, first = 0;
	int pass;

	if (n == 0)
		return 0;
	qsort(e, n, sizeof(*e), cmp_naming);
	for (pass = 0; pass < 2; pass++) {
		for (i = 1; i < n; i++) {
			char *s;

			if (pass == 0 && strcmp(e[i].name, e[first].name)) {
				first = i;
				continue;
			}
			if (pass == 1 && strcmp(e[i].name, e[i - 1].name))
				continue;
			s = suffixed(e[i].name, e[i].n.kind ==
				     DOSSIER_KIND_FILE, e[i].deleted_ns,
				     pass ? e[i].n.id : 0);
			if (!s)
				return DOSSIER_ERROR;
			free(e[i].name);
			e[i].name = s;
		}
		qsort(e, n, sizeof(*e), cmp_name);
	}
	return 0;
}

static int add_entry(struct trash_entry **e, size_t *n, size_t *cap,
		     const struct node *node, char *name, int64_t deleted_ns)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct trash_entry *ne = realloc(*e, c * sizeof(*ne));

		if (!ne) {
			free(name);
			return DOSSIER_ERROR;
		}
		*e = ne;
		*cap = c;
	}
	(*e)[*n].n = *node;
	(*e)[*n].name = name;
	(*e)[*n].deleted_ns = deleted_ns;
	(*n)++;
	return 0;
}

int trash_dir_read(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, struct trash_entry **out, size_t *n)
{
	struct trash_entry *e = NULL;
	sqlite3_stmt *st = NULL;
	size_t ne = 0, cap = 0, i;
	char sql[1024];
	uint64_t dir;
	int rc, src, base;

	*out = NULL;
	*n = 0;
	if (ino == INO_TRASH)
		dir = DOSSIER_ROOT_ID;
	else if (VIRT_KIND(ino) == 3)
		dir = TRASH_ID(ino);
	else
		return DOSSIER_ENOTFOUND;
	snprintf(sql, sizeof(sql), TRASH_UP "SELECT %s, up.child, name, "
		 "deleted_ns FROM up JOIN node ON node.id = up.rec WHERE "
		 "up.anc = ?1", archive_node_cols);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	base = sqlite3_column_count(st) - 3;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t child = (uint64_t)sqlite3_column_int64(st, base);
		struct node r;

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		if (child == r.id) {
			rc = add_entry(&e, &ne, &cap, &r, col_dup(st, base + 1),
				       sqlite3_column_int64(st, base + 2));
			if (rc == 0 && !e[ne - 1].name)
				rc = DOSSIER_ERROR;
			continue;
		}
		/* a folder on the way: listed once, filled in below */
		for (i = 0; i < ne; i++)
			if (!e[i].name && e[i].n.id == child)
				break;
		if (i == ne) {
			r.id = child;
			rc = add_entry(&e, &ne, &cap, &r, NULL, 0);
		}
	}
	sqlite3_finalize(st);
	for (i = 0; rc == 0 && i < ne; i++) {
		struct deletion d;

		if (e[i].name)
			continue;
		if ((rc = archive_get_node(a, e[i].n.id, &e[i].n)) < 0 ||
		    (rc = deletion_get(a, e[i].n.id, &d)) < 0)
			break;
		e[i].name = d.name;
		e[i].deleted_ns = d.deleted_ns;
		d.name = NULL;
		deletion_release(&d);
	}
	if (rc == 0)
		rc = name_entries(e, ne);
	if (rc == 0 && ne == 0 && ino != INO_TRASH)
		rc = DOSSIER_ENOTFOUND;
	if (rc < 0) {
		trash_entries_free(e, ne);
		return rc;
	}
	*out = e;
	*n = ne;
	return 0;
}

int trash_view_node(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, struct trash_entry *out)
{
	struct trash_entry *e = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (VIRT_KIND(ino) != 3)
		return DOSSIER_ENOTFOUND;
	if ((rc = archive_get_node(a, TRASH_ID(ino), &out->n)) < 0)
		return rc;
	if (out->n.kind == DOSSIER_KIND_FILE) {
		if (!out->n.deleted || out->n.scratch ||
		    is_purging(a, out->n.id))
			return DOSSIER_ENOTFOUND;
		out->deleted_ns = query_int(a, "SELECT deleted_ns FROM node "
					    "WHERE id = ?1", (int64_t)out->n.id,
					    0);
		/* an inode of an earlier deletion of the record */
		if (TRASH_INO(out->n.id, out->deleted_ns) != ino)
			return DOSSIER_ENOTFOUND;
		if (archive_decide(a, who, &out->n, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			return DOSSIER_EHIDDEN;
		}
		return 0;
	}
	if (ino != (TRASH_BASE | out->n.id))
		return DOSSIER_ENOTFOUND;
	/* a folder shows while it holds something who may see */
	if ((rc = trash_dir_read(a, who, ino, &e, &n)) < 0)
		return rc;
	trash_entries_free(e, n);
	out->deleted_ns = query_int(a, "SELECT deleted_ns FROM node WHERE "
				    "id = ?1", (int64_t)out->n.id, 0);
	return 0;
}

void trash_record_attr(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       int64_t deleted_ns, struct dossier_attr *out)
{
	struct stat *st = &out->st;
	struct stat cst;
	char rel[64];

	memset(out, 0, sizeof(*out));
	out->id = TRASH_INO(n->id, deleted_ns);
	out->kind = DOSSIER_KIND_FILE;
	st->st_ino = out->id;
	st->st_mode = S_IFREG;
	if (archive_decide(a, who, n, NULL, DOSSIER_ACT_READ) == 0)
		st->st_mode |= 0444;
	dossier_error_clear();
	st->st_nlink = 1;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_blksize = 4096;
	content_relpath(rel, sizeof(rel), n->id);
	if (fstatat(a->contentfd, rel, &cst, AT_SYMLINK_NOFOLLOW) == 0) {
		st->st_size = cst.st_size;
		st->st_blocks = cst.st_blocks;
		st->st_atim = cst.st_mtim;
	}
	st->st_mtim.tv_sec = deleted_ns / 1000000000;
	st->st_mtim.tv_nsec = deleted_ns % 1000000000;
	st->st_ctim = st->st_mtim;
}

int trash_view_open(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, int flags, int *fd_out)
{
	struct trash_entry t;
	char rel[64], *path = NULL;
	int rc, fd;

	*fd_out = -1;
	if ((rc = trash_view_node(a, who, ino, &t)) < 0)
		return rc;
	if (t.n.kind != DOSSIER_KIND_FILE)
		return DOSSIER_EISDIR;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
		dossier_error_set("the trash is read-only: move a record out of"
				  " it to restore it");
		return DOSSIER_EREADONLY;
	}
	path = archive_node_path(a, t.n.id);
	if ((rc = archive_decide(a, who, &t.n, NULL, DOSSIER_ACT_READ)) < 0) {
		audit_record(a->audit, who, "read", path, 0, 0,
			     "from the trash");
		free(path);
		return rc;
	}
	content_relpath(rel, sizeof(rel), t.n.id);
	fd = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dossier_error_set("cannot open content of %" PRIu64 ": %s",
				  t.n.id, strerror(errno));
		free(path);
		return DOSSIER_EIO;
	}
	audit_record(a->audit, who, "read", path, 1, 0, "from the trash");
	free(path);
	*fd_out = fd;
	return 0;
}

/* ---- restore ---- */

/* May who bring r back into folder np? (the right to delete it) */
static int may_restore(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *r,
		       const struct node *np)
{
	int rc;

	if (archive_decide(a, who, r, NULL, DOSSIER_ACT_LIST) < 0) {
		dossier_error_clear();
		return DOSSIER_EHIDDEN;
	}
	if ((rc = archive_decide(a, who, r, NULL, DOSSIER_ACT_DELETE)) < 0 ||
	    (np && (rc = archive_decide(a, who, np, NULL, DOSSIER_ACT_CREATE)) < 0))
		return rc;
	if (is_purging(a, r->id)) {
		dossier_error_set("this record is being destroyed by a purge");
		return DOSSIER_EBUSY;
	}
	return 0;
}

static int touch(struct dossier_archive *a, uint64_t id, int64_t t)
{
	return archive_exec(a, "UPDATE node SET mtime_ns = ?, ctime_ns = ? "
			    "WHERE id = ?", "iii", t, t, (int64_t)id);
}

/*
 * Bring deleted record r back as np/nfc: it keeps its id, level, content
 * and history; its gitlink comes back in one history entry. Lock held,
 * in the caller's transaction.
 */
static int undelete_record(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *r, uint64_t np, const char *nfc,
			   int64_t t)
{
	struct deletion d;
	char *path = NULL;
	int rc;

	if ((rc = deletion_get(a, r->id, &d)) < 0)
		return rc;
	rc = archive_exec(a, "UPDATE node SET parent = ?, name = ?, "
			  "deleted_ns = NULL, deleted_by = NULL, deleted_path "
			  "= NULL, prev_name = NULL, displaced_ns = NULL, "
			  "ctime_ns = ? WHERE id = ?", "itii", (int64_t)np, nfc,
			  t, (int64_t)r->id);
	if (rc == DOSSIER_EEXISTS)
		dossier_error_set("a record named '%s' is in the way", nfc);
	if (rc == 0)
		rc = archive_take_name(a, who, r->id, np, nfc, t);
	if (rc == 0)
		rc = touch(a, np, t);
	if (rc == 0 && !(path = archive_node_path(a, r->id)))
		rc = DOSSIER_ERROR;
	/*
	 * Not a content change: "rename" puts the gitlink back at path,
	 * to the record's last version, whatever the journal still holds.
	 */
	if (rc == 0)
		rc = archive_journal(a, r->id, "rename", path, d.path, NULL,
				     NULL, who, "restored from the trash", t);
	if (rc == 0)
		audit_record(a->audit, who, "restore", path, 1, 0, d.path);
	free(path);
	deletion_release(&d);
	return rc;
}

/*
 * Bring deleted folder f back as np/nfc (kind), with what of it is in
 * the trash and who may restore, wherever its name is free. Lock held,
 * in the caller's transaction.
 */
static int undelete_folder(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *f, uint64_t np, const char *nfc,
			   int kind, int64_t t)
{
	sqlite3_stmt *st = NULL;
	struct node *kids = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	char sql[512];
	int rc, src;

	rc = archive_exec(a, "UPDATE node SET parent = ?, name = ?, kind = ?,"
			  " deleted_ns = NULL, deleted_by = NULL, deleted_path"
			  " = NULL, ctime_ns = ? WHERE id = ?", "itiii",
			  (int64_t)np, nfc, (int64_t)kind, t, (int64_t)f->id);
	if (rc == 0)
		rc = archive_take_name(a, who, f->id, np, nfc, t);
	if (rc == 0)
		rc = touch(a, np, t);
	if (rc < 0)
		return rc;
	/* the latest deletion of a name wins; the rest stay in the trash */
	snprintf(sql, sizeof(sql), "SELECT %s, name FROM node WHERE parent = "
		 "?1 AND deleted_ns IS NOT NULL AND scratch = 0 ORDER BY "
		 "deleted_ns DESC", archive_node_cols);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct node *nk = realloc(kids, c * sizeof(*nk));
			char **nn = nk ? realloc(names, c * sizeof(*nn)) : NULL;

			if (nk)
				kids = nk;
			if (!nn) {
				rc = DOSSIER_ERROR;
				break;
			}
			names = nn;
			cap = c;
		}
		archive_row_to_node(st, &kids[n]);
		names[n] = col_dup(st, sqlite3_column_count(st) - 1);
		if (!names[n]) {
			rc = DOSSIER_ERROR;
			break;
		}
		n++;
	}
	sqlite3_finalize(st);
	for (i = 0; rc == 0 && i < n; i++) {
		struct node live;

		if (archive_find_child(a, f->id, names[i], &live) == 0)
			continue;
		dossier_error_clear();
		if (kids[i].kind == DOSSIER_KIND_FILE) {
			if (may_restore(a, who, &kids[i], NULL) < 0) {
				dossier_error_clear();
				continue;
			}
			rc = undelete_record(a, who, &kids[i], f->id, names[i],
					     t);
		} else {
			rc = undelete_folder(a, who, &kids[i], f->id, names[i],
					     DOSSIER_KIND_FOLDER, t);
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(kids);
	return rc;
}

/*
 * Restore trash entry t (of who's view) as newparent/nnfc: the checks and
 * the work of a move out of /.trash or out of /.Trash-UID/files. Lock
 * held; the transaction is this function's.
 */
static int restore_entry(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct trash_entry *t, uint64_t newparent,
			 const char *nnfc)
{
	struct node np, live;
	int rc, kind;
	int64_t now = dossier_clock_ns();

	if ((rc = archive_get_node(a, newparent, &np)) < 0)
		return rc;
	if (np.deleted)
		return DOSSIER_ENOTFOUND;
	if (np.kind == DOSSIER_KIND_FILE)
		return DOSSIER_ENOTDIR;
	if (t->n.kind == DOSSIER_KIND_FILE) {
		if (!dossier_kind_holds_files(np.kind)) {
			dossier_error_set("files live inside a client folder");
			return DOSSIER_ESTRUCTURE;
		}
		if ((rc = may_restore(a, who, &t->n, &np)) < 0)
			return rc;
		kind = DOSSIER_KIND_FILE;
	} else {
		if (!t->deleted_ns) {
			dossier_error_set("'%s' was not deleted: move the "
					  "records in it out of the trash",
					  t->name);
			return DOSSIER_ESTRUCTURE;
		}
		kind = np.kind == DOSSIER_KIND_CATEGORY ? DOSSIER_KIND_CLIENT :
		       dossier_kind_holds_files(np.kind) ? DOSSIER_KIND_FOLDER :
		       -1;
		if (kind < 0) {
			dossier_error_set("folders go into a category or a "
					  "client folder");
			return DOSSIER_ESTRUCTURE;
		}
		if ((rc = archive_decide(a, who, &np, NULL, DOSSIER_ACT_CREATE)) < 0)
			return rc;
	}
	/* a name held only by what who may not see is free for who */
	if (archive_find_visible(a, who, newparent, nnfc, &live) == 0) {
		dossier_error_set("'%s' exists: restore under another name",
				  nnfc);
		return DOSSIER_EEXISTS;
	}
	dossier_error_clear();
	if ((rc = archive_begin(a)) < 0)
		return rc;
	if (kind == DOSSIER_KIND_FILE)
		rc = undelete_record(a, who, &t->n, newparent, nnfc, now);
	else
		rc = undelete_folder(a, who, &t->n, newparent, nnfc, kind, now);
	return archive_end(a, rc);
}

/* The end of a restore by a move: a refusal is audited and logged. */
static int restore_done(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t parent,
			const char *nfc, int rc)
{
	if (rc < 0 && rc != DOSSIER_ENOTFOUND)
		audit_record(a->audit, who, "restore", nfc, 0, 0,
			     dossier_error_last());
	return rc < 0 ? archive_refuse(who, "restore", parent, nfc, rc) : 0;
}

int trash_rename_out(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent, const char *newname)
{
	char nfc[DOSSIER_NAME_MAX + 1], nnfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL, *t = NULL;
	size_t n = 0, i;
	int rc;

	dossier_error_clear();
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_refuse(who, "restore", parent, name, rc);
	if ((rc = dossier_name_normalize(nnfc, sizeof(nnfc), newname)) < 0)
		return archive_refuse(who, "restore", newparent, newname, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = trash_dir_read(a, who, parent, &e, &n)) == 0) {
		for (i = 0; i < n && !t; i++)
			if (!strcmp(e[i].name, nfc))
				t = &e[i];
		rc = t ? restore_entry(a, who, t, newparent, nnfc) :
			 DOSSIER_ENOTFOUND;
	}
	pthread_mutex_unlock(&a->lock);
	trash_entries_free(e, n);
	return restore_done(a, who, parent, nfc, rc);
}

/* ---- the freedesktop.org trash at the top: /.Trash-UID ---- */

/*
 * What GIO's g_file_trash() (GLib 2.74) does on a mount that is not
 * $HOME's, traced on this file system (docs/trash.md):
 *   lstat /.Trash: used only if a sticky folder, so ENOENT here;
 *   lstat /.Trash-UID: must be a folder owned by the caller (else mkdir,
 *     and a failed mkdir, EEXIST included, ends the trash);
 *   mkdir /.Trash-UID/info and /files, 0700 (EEXIST is fine);
 *   open info/NAME.trashinfo O_CREAT|O_EXCL, a placeholder (on EEXIST
 *     it tries NAME.2.ext, NAME.3.ext, ...);
 *   g_file_set_contents(): create info/NAME.trashinfo.XXXXXX, fallocate,
 *     write "[Trash Info]\nPath=...\nDeletionDate=...\n", rename it onto
 *     NAME.trashinfo (failures ignored);
 *   rename the file to files/NAME; if that fails, unlink the .trashinfo.
 */

#define XDG_TOP_NAME ".Trash"
#define INFO_SUFFIX ".trashinfo"
#define INFO_SUFFIX_LEN (sizeof(INFO_SUFFIX) - 1)
#define PENDING_MAX 256
#define PENDING_TTL_NS ((int64_t)600 * 1000000000)

static const char xdg_no_early_empty[] =
	"the trash is emptied by the retention policy ('dossierctl purge' "
	"after trash-days), never early: move a record out of files/ to "
	"restore it";

/* A .trashinfo GIO writes into info/ before it moves the record. */
struct xdg_pending {
	struct xdg_pending *next;
	const struct dossier_archive *a;
	uid_t uid;
	gid_t gid;
	uint64_t serial;
	int fd;			/* memfd: the bytes GIO wrote */
	int64_t born_ns;
	char name[DOSSIER_NAME_MAX + 1];
};

/*
 * GIO's .trashinfo files live in memory, never in the catalog or in
 * history, until the record moved into files/ (which then shows a
 * .trashinfo made up from the catalog), GIO unlinked them, or
 * PENDING_TTL_NS passed (GIO needs milliseconds).
 * NEEDSWORK: they are keyed by the archive's address, as struct
 * dossier_archive has no slot for them: an archive closed and another
 * opened at the same address within the TTL would see them.
 * Lock rules: pending_lock protects pending, npending and pending_serial.
 * It may be taken with an archive's lock held, never the other way round.
 */
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xdg_pending *pending;	/* protected by pending_lock */
static size_t npending;			/* protected by pending_lock */
static uint64_t pending_serial;		/* protected by pending_lock */

/* Unlink *pp from the list and free it. pending_lock held. */
static void pending_free(struct xdg_pending **pp)
{
	struct xdg_pending *p = *pp;

	*pp = p->next;
	close(p->fd);
	free(p);
	npending--;
}

/* Drop what GIO left behind. pending_lock held. */
static void pending_expire(void)
{
	struct xdg_pending **pp = &pending;
	int64_t now = dossier_clock_ns();

	while (*pp)
		if (now - (*pp)->born_ns > PENDING_TTL_NS)
			pending_free(pp);
		else
			pp = &(*pp)->next;
}

/*
 * who's pending file named name, or with serial when name is NULL; NULL
 * if none. pending_lock held.
 */
static struct xdg_pending **pending_find(const struct dossier_archive *a,
					 uid_t uid, const char *name,
					 uint64_t serial)
{
	struct xdg_pending **pp;

	for (pp = &pending; *pp; pp = &(*pp)->next)
		if ((*pp)->a == a && (*pp)->uid == uid &&
		    (name ? !strcmp((*pp)->name, name) :
			    (*pp)->serial == serial))
			return pp;
	return NULL;
}

static void pending_attr(const struct xdg_pending *p, struct dossier_attr *out)
{
	struct stat fst;

	memset(out, 0, sizeof(*out));
	out->id = XDG_PEND_BASE | p->serial;
	out->kind = DOSSIER_KIND_FILE;
	out->st.st_ino = out->id;
	out->st.st_mode = S_IFREG | 0600;
	out->st.st_nlink = 1;
	out->st.st_uid = p->uid;
	out->st.st_gid = p->gid;
	out->st.st_blksize = 4096;
	if (fstat(p->fd, &fst) == 0) {
		out->st.st_size = fst.st_size;
		out->st.st_blocks = fst.st_blocks;
		out->st.st_mtim = fst.st_mtim;
	}
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
}

int trash_xdg_is(uint64_t ino)
{
	return VIRT_KIND(ino) >= 5 && VIRT_KIND(ino) <= 7;
}

int trash_xdg_owns(uint64_t parent, const char *name)
{
	return trash_xdg_is(parent) ||
	       (parent == DOSSIER_ROOT_ID &&
		!strncmp(name, XDG_TOP_NAME, strlen(XDG_TOP_NAME)));
}

/* Which folder of who's trash ino is (enum xdg_dir), or -1. */
static int xdg_dir_of(uint64_t ino, const struct dossier_caller *who)
{
	if (VIRT_KIND(ino) != 5 || (ino & 3) > XDG_INFO ||
	    VIRT_ID(ino) >> 2 != (uint64_t)who->uid)
		return -1;
	return (int)(ino & 3);
}

/* 1 if nfc is who's "/.Trash-UID". */
static int is_own_top(const struct dossier_caller *who, const char *nfc)
{
	char top[32];

	snprintf(top, sizeof(top), XDG_TOP_NAME "-%lu",
		 (unsigned long)who->uid);
	return !strcmp(nfc, top);
}

static void xdg_dir_attr(const struct dossier_caller *who, int which,
			 struct dossier_attr *out)
{
	memset(out, 0, sizeof(*out));
	out->id = XDG_DIR_INO(who->uid, which);
	out->kind = DOSSIER_KIND_FOLDER;
	out->st.st_ino = out->id;
	/* the trash specification's rule: the user's own, mode 0700 */
	out->st.st_mode = S_IFDIR | 0700;
	out->st.st_nlink = which == XDG_TOP ? 4 : 2;
	out->st.st_uid = who->uid;
	out->st.st_gid = who->gid;
	out->st.st_blksize = 4096;
	clock_gettime(CLOCK_REALTIME, &out->st.st_mtim);
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
}

/*
 * files/ of who: the records who deleted that are still in the trash and
 * who may still list, named as /.trash names them (a collision gets the
 * deletion time). *out belongs to the caller: trash_entries_free().
 * Lock held.
 */
static int xdg_entries(struct dossier_archive *a,
		       const struct dossier_caller *who,
		       struct trash_entry **out, size_t *n)
{
	struct trash_entry *e = NULL;
	sqlite3_stmt *st = NULL;
	size_t ne = 0, cap = 0;
	char sql[512];
	int rc, base;

	*out = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT %s, name, deleted_ns FROM node "
		 "WHERE kind = 5 AND scratch = 0 AND deleted_ns IS NOT NULL "
		 "AND deleted_by = ?1 AND id NOT IN (SELECT record FROM "
		 "trash_purging)", archive_node_cols);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	base = sqlite3_column_count(st) - 2;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)who->uid);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct node r;

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		rc = add_entry(&e, &ne, &cap, &r, col_dup(st, base),
			       sqlite3_column_int64(st, base + 1));
		if (rc == 0 && !e[ne - 1].name)
			rc = DOSSIER_ERROR;
	}
	sqlite3_finalize(st);
	if (rc == 0)
		rc = name_entries(e, ne);
	if (rc < 0) {
		trash_entries_free(e, ne);
		return rc;
	}
	*out = e;
	*n = ne;
	return 0;
}

/* The entry named nfc in files/ (info: nfc is its .trashinfo), or NULL. */
static struct trash_entry *xdg_find(struct trash_entry *e, size_t n,
				    const char *nfc, int info)
{
	size_t len = strlen(nfc), i;

	if (info) {
		if (len <= INFO_SUFFIX_LEN ||
		    strcmp(nfc + len - INFO_SUFFIX_LEN, INFO_SUFFIX))
			return NULL;
		len -= INFO_SUFFIX_LEN;
	}
	for (i = 0; i < n; i++)
		if (strlen(e[i].name) == len && !memcmp(e[i].name, nfc, len))
			return &e[i];
	return NULL;
}

/*
 * The .trashinfo of entry t, as the specification has it: Path, the path
 * the record had when it was deleted, relative to the top of the mount
 * and URI-escaped as GIO escapes it (g_uri_escape_string with "/"
 * allowed); DeletionDate in local time. Both are fixed for a deletion, so
 * the text of an inode never changes.
 */
static int xdg_info_text(struct dossier_archive *a,
			 const struct trash_entry *t, struct dossier_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	time_t secs = (time_t)(t->deleted_ns / 1000000000);
	const unsigned char *s;
	struct deletion d;
	char when[32];
	struct tm tm;
	int rc;

	if ((rc = deletion_get(a, t->n.id, &d)) < 0)
		return rc;
	dossier_buf_addf(out, "[Trash Info]\nPath=");
	for (s = (const unsigned char *)d.path; *s; s++) {
		char c[3] = { '%', hex[*s >> 4], hex[*s & 15] };

		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s))
			dossier_buf_add(out, s, 1);
		else
			dossier_buf_add(out, c, 3);
	}
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	dossier_buf_addf(out, "\nDeletionDate=%s\n", when);
	deletion_release(&d);
	return 0;
}

static uint64_t xdg_info_ino(const struct trash_entry *t)
{
	return XDG_INFO_BASE | NODEID(t->n.id, (uint64_t)t->deleted_ns /
					       1000000);
}

/* Attributes of t's .trashinfo: read-only, dated at the deletion. */
static int xdg_info_attr(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct trash_entry *t, struct dossier_attr *out)
{
	struct dossier_buf text = DOSSIER_BUF_INIT;
	int rc = xdg_info_text(a, t, &text);

	memset(out, 0, sizeof(*out));
	out->id = xdg_info_ino(t);
	out->kind = DOSSIER_KIND_FILE;
	out->st.st_ino = out->id;
	out->st.st_mode = S_IFREG | 0400;
	out->st.st_nlink = 1;
	out->st.st_uid = who->uid;
	out->st.st_gid = who->gid;
	out->st.st_size = (off_t)text.len;
	out->st.st_blocks = 1;
	out->st.st_blksize = 4096;
	out->st.st_mtim.tv_sec = t->deleted_ns / 1000000000;
	out->st.st_mtim.tv_nsec = t->deleted_ns % 1000000000;
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
	dossier_buf_release(&text);
	return rc;
}

int trash_xdg_lookup(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *nfc, struct dossier_attr *out)
{
	struct trash_entry *e = NULL, *t;
	struct xdg_pending **pp;
	size_t n = 0;
	int rc, which;

	if (parent == DOSSIER_ROOT_ID) {
		/* /.Trash (GIO wants it sticky) and others' stay absent */
		if (!is_own_top(who, nfc))
			return DOSSIER_ENOTFOUND;
		xdg_dir_attr(who, XDG_TOP, out);
		return 0;
	}
	if ((which = xdg_dir_of(parent, who)) < 0)
		return DOSSIER_ENOTFOUND;
	if (which == XDG_TOP) {
		if (!strcmp(nfc, "files"))
			xdg_dir_attr(who, XDG_FILES, out);
		else if (!strcmp(nfc, "info"))
			xdg_dir_attr(who, XDG_INFO, out);
		else
			return DOSSIER_ENOTFOUND;
		return 0;
	}
	if ((rc = xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	rc = DOSSIER_ENOTFOUND;
	if ((t = xdg_find(e, n, nfc, which == XDG_INFO))) {
		rc = 0;
		if (which == XDG_FILES)
			trash_record_attr(a, who, &t->n, t->deleted_ns, out);
		else
			rc = xdg_info_attr(a, who, t, out);
	} else if (which == XDG_INFO) {
		pthread_mutex_lock(&pending_lock);
		if ((pp = pending_find(a, who->uid, nfc, 0))) {
			pending_attr(*pp, out);
			rc = 0;
		}
		pthread_mutex_unlock(&pending_lock);
	}
	trash_entries_free(e, n);
	return rc;
}

/* who's entry whose .trashinfo has inode ino, in e (lock held), or NULL. */
static struct trash_entry *xdg_by_info_ino(struct trash_entry *e, size_t n,
					   uint64_t ino)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xdg_info_ino(&e[i]) == ino)
			return &e[i];
	return NULL;
}

int trash_xdg_getattr(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      struct dossier_attr *out)
{
	struct trash_entry *e = NULL, *t;
	struct xdg_pending **pp;
	size_t n = 0;
	int rc, which;

	if (VIRT_KIND(ino) == 5) {
		if ((which = xdg_dir_of(ino, who)) < 0)
			return DOSSIER_ENOTFOUND;
		xdg_dir_attr(who, which, out);
		return 0;
	}
	if (VIRT_KIND(ino) == 7) {
		rc = DOSSIER_ENOTFOUND;
		pthread_mutex_lock(&pending_lock);
		if ((pp = pending_find(a, who->uid, NULL, VIRT_ID(ino)))) {
			pending_attr(*pp, out);
			rc = 0;
		}
		pthread_mutex_unlock(&pending_lock);
		return rc;
	}
	if ((rc = xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	t = xdg_by_info_ino(e, n, ino);
	rc = t ? xdg_info_attr(a, who, t, out) : DOSSIER_ENOTFOUND;
	trash_entries_free(e, n);
	return rc;
}

int trash_xdg_list(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, struct view_list *out)
{
	struct trash_entry *e = NULL;
	struct dossier_attr at;
	struct xdg_pending *p;
	size_t n = 0, i;
	int rc, which = xdg_dir_of(ino, who);

	if (which < 0)
		return VIRT_KIND(ino) == 5 ? DOSSIER_ENOTFOUND :
					     DOSSIER_ENOTDIR;
	if (which == XDG_TOP) {
		xdg_dir_attr(who, XDG_FILES, &at);
		if ((rc = view_list_add(out, "files", &at)) < 0)
			return rc;
		xdg_dir_attr(who, XDG_INFO, &at);
		return view_list_add(out, "info", &at);
	}
	if ((rc = xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		char info[DOSSIER_NAME_MAX + 1];

		if (which == XDG_FILES) {
			trash_record_attr(a, who, &e[i].n, e[i].deleted_ns,
					  &at);
			rc = view_list_add(out, e[i].name, &at);
			continue;
		}
		/* a name too long for its .trashinfo shows without one */
		if (strlen(e[i].name) + INFO_SUFFIX_LEN > DOSSIER_NAME_MAX)
			continue;
		snprintf(info, sizeof(info), "%s" INFO_SUFFIX, e[i].name);
		if ((rc = xdg_info_attr(a, who, &e[i], &at)) == 0)
			rc = view_list_add(out, info, &at);
	}
	if (rc == 0 && which == XDG_INFO) {
		pthread_mutex_lock(&pending_lock);
		pending_expire();
		for (p = pending; p && rc == 0; p = p->next) {
			if (p->a != a || p->uid != who->uid ||
			    xdg_find(e, n, p->name, 1))
				continue;
			pending_attr(p, &at);
			rc = view_list_add(out, p->name, &at);
		}
		pthread_mutex_unlock(&pending_lock);
	}
	trash_entries_free(e, n);
	return rc;
}

int trash_xdg_open(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, int flags, int *fd_out)
{
	struct dossier_buf text = DOSSIER_BUF_INIT;
	struct trash_entry *e = NULL, *t;
	struct xdg_pending **pp;
	size_t n = 0;
	int rc, fd = -1;

	*fd_out = -1;
	if (VIRT_KIND(ino) == 5)
		return xdg_dir_of(ino, who) < 0 ? DOSSIER_ENOTFOUND :
						  DOSSIER_EISDIR;
	if (VIRT_KIND(ino) == 7) {
		rc = DOSSIER_ENOTFOUND;
		pthread_mutex_lock(&pending_lock);
		if ((pp = pending_find(a, who->uid, NULL, VIRT_ID(ino)))) {
			fd = fcntl((*pp)->fd, F_DUPFD_CLOEXEC, 0);
			if (fd >= 0 && (flags & O_TRUNC) &&
			    ftruncate(fd, 0) < 0) {
				close(fd);
				fd = -1;
			}
			rc = fd < 0 ? dossier_err_from_errno(errno) : 0;
		}
		pthread_mutex_unlock(&pending_lock);
		*fd_out = fd;
		return rc;
	}
	if ((rc = xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	rc = DOSSIER_ENOTFOUND;
	if (!(t = xdg_by_info_ino(e, n, ino)))
		goto out;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
		dossier_error_set("the .trashinfo of a record in the trash is "
				  "read-only");
		rc = DOSSIER_EREADONLY;
		goto out;
	}
	if ((rc = xdg_info_text(a, t, &text)) < 0)
		goto out;
	fd = memfd_create("trashinfo", MFD_CLOEXEC);
	if (fd < 0 || pwrite(fd, text.buf, text.len, 0) != (ssize_t)text.len) {
		dossier_error_set("cannot make a .trashinfo: %s",
				  strerror(errno));
		rc = dossier_err_from_errno(errno);
		goto out;
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	dossier_buf_release(&text);
	trash_entries_free(e, n);
	return rc;
}

int trash_xdg_mkdir(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t parent, const char *name, struct dossier_attr *out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc, which = -1;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "mkdir", parent, name, rc);
	if (parent == DOSSIER_ROOT_ID) {
		if (is_own_top(who, nfc))
			which = XDG_TOP;
	} else if (xdg_dir_of(parent, who) < 0) {
		rc = DOSSIER_ENOTFOUND;
	} else if (xdg_dir_of(parent, who) == XDG_TOP) {
		which = !strcmp(nfc, "files") ? XDG_FILES :
			!strcmp(nfc, "info") ? XDG_INFO : -1;
	}
	/* they always exist: "made" is the answer GIO can go on with */
	if (rc == 0 && which >= 0) {
		xdg_dir_attr(who, which, out);
		return 0;
	}
	if (rc == 0) {
		dossier_error_set(parent == DOSSIER_ROOT_ID ?
				  "only year folders live at the top; deleted "
				  "records are in /.trash" :
				  "the trash at the top has files/ and info/ "
				  "and nothing else");
		rc = DOSSIER_ESTRUCTURE;
	}
	return archive_deny(a, who, "mkdir", parent, nfc, rc);
}

int trash_xdg_create(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, int flags, struct dossier_attr *out,
		     int *fd_out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL;
	struct xdg_pending *p = NULL;
	size_t n = 0;
	int rc, which = xdg_dir_of(parent, who), fd = -1;

	(void)flags;	/* a new name: O_EXCL or not, nothing to open */
	*fd_out = -1;
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "create", parent, name, rc);
	if (parent != DOSSIER_ROOT_ID && which < 0) {
		rc = DOSSIER_ENOTFOUND;
	} else if (which != XDG_INFO || !strstr(nfc, INFO_SUFFIX)) {
		dossier_error_set(parent == DOSSIER_ROOT_ID ?
				  "files live inside a client folder "
				  "(YEAR/CATEGORY/CLIENT/...)" :
				  "the trash at the top takes records by a "
				  "move into files/, and .trashinfo files in "
				  "info/");
		rc = DOSSIER_ESTRUCTURE;
	}
	if (rc < 0)
		return archive_deny(a, who, "create", parent, nfc, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = xdg_entries(a, who, &e, &n)) == 0 && xdg_find(e, n, nfc, 1))
		rc = DOSSIER_EEXISTS;
	pthread_mutex_lock(&pending_lock);
	pending_expire();
	if (rc == 0 && pending_find(a, who->uid, nfc, 0))
		rc = DOSSIER_EEXISTS;
	if (rc == 0 && npending >= PENDING_MAX) {
		dossier_error_set("too many .trashinfo files being written");
		rc = DOSSIER_ENOSPC;
	}
	if (rc == 0 && (!(p = calloc(1, sizeof(*p))) ||
			(p->fd = memfd_create("trashinfo", MFD_CLOEXEC)) < 0 ||
			(fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0)) < 0)) {
		dossier_error_set("cannot keep a .trashinfo: %s",
				  strerror(errno));
		rc = dossier_err_from_errno(errno);
		if (p && p->fd >= 0)
			close(p->fd);
		free(p);
	}
	if (rc == 0) {
		p->a = a;
		p->uid = who->uid;
		p->gid = who->gid;
		p->serial = ++pending_serial;
		p->born_ns = dossier_clock_ns();
		snprintf(p->name, sizeof(p->name), "%s", nfc);
		p->next = pending;
		pending = p;
		npending++;
		pending_attr(p, out);
		*fd_out = fd;
	}
	pthread_mutex_unlock(&pending_lock);
	pthread_mutex_unlock(&a->lock);
	trash_entries_free(e, n);
	return rc < 0 ? archive_deny(a, who, "create", parent, nfc, rc) : 0;
}

int trash_xdg_unlink(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, int dir)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL;
	struct xdg_pending **pp;
	size_t n = 0;
	int rc, which = xdg_dir_of(parent, who);
	const char *op = dir ? "rmdir" : "unlink";

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, op, parent, name, rc);
	rc = DOSSIER_ENOTFOUND;
	if (parent == DOSSIER_ROOT_ID ? is_own_top(who, nfc) :
	    which == XDG_TOP ? !strcmp(nfc, "files") || !strcmp(nfc, "info") :
	    0) {
		dossier_error_set("the trash at the top is the archive's own "
				  "view: it cannot be removed");
		return archive_deny(a, who, op, parent, nfc,
				    DOSSIER_ESTRUCTURE);
	}
	if (which != XDG_FILES && which != XDG_INFO)
		return archive_deny(a, who, op, parent, nfc, rc);
	if (which == XDG_INFO && !dir) {
		/* GIO takes its .trashinfo back when the move failed */
		pthread_mutex_lock(&pending_lock);
		if ((pp = pending_find(a, who->uid, nfc, 0))) {
			pending_free(pp);
			rc = 0;
		}
		pthread_mutex_unlock(&pending_lock);
		if (rc == 0)
			return 0;
	}
	pthread_mutex_lock(&a->lock);
	if ((rc = xdg_entries(a, who, &e, &n)) == 0) {
		rc = DOSSIER_ENOTFOUND;
		if (xdg_find(e, n, nfc, which == XDG_INFO)) {
			/* "Empty Trash", rm: the purge alone destroys */
			dossier_error_set("%s", xdg_no_early_empty);
			rc = DOSSIER_ESTRUCTURE;
		}
	}
	pthread_mutex_unlock(&a->lock);
	trash_entries_free(e, n);
	return archive_deny(a, who, op, parent, nfc, rc);
}

int trash_xdg_setattr(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      const struct stat *st, unsigned set,
		      struct dossier_attr *out)
{
	struct xdg_pending **pp;
	int rc = DOSSIER_ENOTFOUND;

	if (VIRT_KIND(ino) == 7) {
		/*
		 * The kernel writes back the times of a file GIO replaced
		 * or removed after the fact: nothing to keep, no refusal.
		 */
		memset(out, 0, sizeof(*out));
		out->id = out->st.st_ino = ino;
		out->st.st_mode = S_IFREG | 0600;
		out->st.st_uid = who->uid;
		out->st.st_gid = who->gid;
		rc = 0;
		pthread_mutex_lock(&pending_lock);
		if ((pp = pending_find(a, who->uid, NULL, VIRT_ID(ino)))) {
			if ((set & DOSSIER_SET_SIZE) &&
			    ftruncate((*pp)->fd, st->st_size) < 0) {
				dossier_error_set("cannot truncate a "
						  ".trashinfo: %s",
						  strerror(errno));
				rc = dossier_err_from_errno(errno);
			}
			/* modes, owners and times: accepted and ignored */
			pending_attr(*pp, out);
		}
		pthread_mutex_unlock(&pending_lock);
	} else {
		pthread_mutex_lock(&a->lock);
		rc = trash_xdg_getattr(a, who, ino, out);
		pthread_mutex_unlock(&a->lock);
		if (rc == 0 && (set & DOSSIER_SET_SIZE)) {
			dossier_error_set("the trash at the top is read-only "
					  "but for GIO's .trashinfo files");
			rc = DOSSIER_EREADONLY;
		}
	}
	return rc < 0 ? archive_deny(a, who, "setattr", ino, NULL, rc) : 0;
}

int trash_xdg_writable(const struct dossier_caller *who, uint64_t ino)
{
	return xdg_dir_of(ino, who) >= 0 || VIRT_KIND(ino) == 7;
}

/* Rename GIO's info/nfc to info/nnfc. Lock held. */
static int xdg_rename_info(struct dossier_archive *a,
			   const struct dossier_caller *who, const char *nfc,
			   const char *nnfc, unsigned flags)
{
	struct trash_entry *e = NULL;
	struct xdg_pending **src, **dst;
	size_t n = 0;
	int rc;

	if ((rc = xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	if (xdg_find(e, n, nfc, 1) || xdg_find(e, n, nnfc, 1)) {
		dossier_error_set("the .trashinfo of a record in the trash "
				  "comes and goes with the record");
		trash_entries_free(e, n);
		return DOSSIER_ESTRUCTURE;
	}
	trash_entries_free(e, n);
	pthread_mutex_lock(&pending_lock);
	rc = DOSSIER_ENOTFOUND;
	if (!(src = pending_find(a, who->uid, nfc, 0)))
		goto out;
	rc = 0;
	if ((dst = pending_find(a, who->uid, nnfc, 0)) && *dst != *src) {
		if (flags & DOSSIER_RENAME_NOREPLACE) {
			rc = DOSSIER_EEXISTS;
			goto out;
		}
		/* replace it: GIO's temporary file onto its placeholder */
		pending_free(dst);
		src = pending_find(a, who->uid, nfc, 0);
	}
	if (src)
		snprintf((*src)->name, sizeof((*src)->name), "%s", nnfc);
out:
	pthread_mutex_unlock(&pending_lock);
	return rc;
}

int trash_xdg_rename(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent,
		     const char *newname, unsigned flags)
{
	char nfc[DOSSIER_NAME_MAX + 1], nnfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL, *t;
	size_t n = 0;
	int rc, from = xdg_dir_of(parent, who);
	int to = trash_xdg_is(newparent) ? xdg_dir_of(newparent, who) : -2;

	dossier_error_clear();
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "rename", parent, name, rc);
	if ((rc = dossier_name_normalize(nnfc, sizeof(nnfc), newname)) < 0)
		return archive_deny(a, who, "rename", newparent, newname, rc);
	if (from == XDG_FILES && !ino_is_virtual(newparent)) {
		/* Restore: out of files/ as out of /.trash */
		pthread_mutex_lock(&a->lock);
		if ((rc = xdg_entries(a, who, &e, &n)) == 0) {
			t = xdg_find(e, n, nfc, 0);
			rc = t ? restore_entry(a, who, t, newparent, nnfc) :
				 DOSSIER_ENOTFOUND;
		}
		pthread_mutex_unlock(&a->lock);
		trash_entries_free(e, n);
		return restore_done(a, who, parent, nfc, rc);
	}
	if ((trash_xdg_is(parent) && from < 0) || to == -1) {
		rc = DOSSIER_ENOTFOUND;	/* another user's */
	} else if (from == XDG_INFO && to == XDG_INFO) {
		pthread_mutex_lock(&a->lock);
		rc = xdg_rename_info(a, who, nfc, nnfc, flags);
		pthread_mutex_unlock(&a->lock);
	} else {
		dossier_error_set("records come into the trash at the top by a "
				  "move into files/ and go back by a move out "
				  "of it");
		rc = DOSSIER_ESTRUCTURE;
	}
	return rc < 0 ? archive_deny(a, who, "rename", parent, nfc, rc) : 0;
}

int trash_xdg_may_take(const struct dossier_caller *who, uint64_t newparent,
		       int dir)
{
	int which = xdg_dir_of(newparent, who);

	if (which < 0)
		return VIRT_KIND(newparent) == 5 ? DOSSIER_ENOTFOUND :
						   DOSSIER_ENOTDIR;
	if (which != XDG_FILES) {
		dossier_error_set("the trash at the top takes records moved "
				  "into its files/ folder");
		return DOSSIER_ESTRUCTURE;
	}
	if (dir) {
		/*
		 * NEEDSWORK: a folder could go record by record, as rm -r
		 * does; file managers fall back to Delete, which does that.
		 */
		dossier_error_set("a folder goes to the trash by Delete "
				  "(rm -r), which moves its records one by "
				  "one; Move to Trash takes records");
		return DOSSIER_ESTRUCTURE;
	}
	return 0;
}

void trash_xdg_taken(struct dossier_archive *a,
		     const struct dossier_caller *who, const char *newname)
{
	char nfc[DOSSIER_NAME_MAX + 1], info[DOSSIER_NAME_MAX + 1];
	struct xdg_pending **pp;

	if (dossier_name_normalize(nfc, sizeof(nfc), newname) < 0) {
		dossier_error_clear();
		return;
	}
	if ((size_t)snprintf(info, sizeof(info), "%s" INFO_SUFFIX, nfc) >=
	    sizeof(info))
		return;
	pthread_mutex_lock(&pending_lock);
	if ((pp = pending_find(a, who->uid, info, 0)))
		pending_free(pp);
	pthread_mutex_unlock(&pending_lock);
}

static int prune_folders(struct dossier_archive *a, uint64_t id);

/*
 * A revived year brings every category with it, as mkdir of a year does
 * (archive.c): its deleted category rows come back, missing ones are
 * made. Lock held, in the caller's transaction.
 */
static int revive_categories(struct dossier_archive *a, uint64_t year,
			     int64_t t)
{
	int rc;

	rc = archive_exec(a, "UPDATE node SET deleted_ns = NULL, deleted_by = "
			  "NULL, deleted_path = NULL WHERE parent = ? AND kind "
			  "= 2 AND deleted_ns IS NOT NULL AND name NOT IN "
			  "(SELECT name FROM node WHERE parent = ?1 AND "
			  "deleted_ns IS NULL)", "i", (int64_t)year);
	if (rc == 0)
		rc = archive_exec(a, "INSERT INTO node(parent, name, kind, "
				  "category, mode, uid, gid, mtime_ns, ctime_ns,"
				  " created_ns) SELECT ?1, c.name, 2, c.id, ?2, "
				  "0, 0, ?3, ?3, ?3 FROM category c WHERE NOT "
				  "EXISTS (SELECT 1 FROM node n WHERE n.parent "
				  "= ?1 AND n.name = c.name AND n.deleted_ns IS "
				  "NULL)", "iii", (int64_t)year,
				  (int64_t)(S_IFDIR | 01777), t);
	return rc;
}

/*
 * Bring r (a deleted record or folder) back where it was, reviving
 * deleted folders on the way (or joining live ones of the same name).
 * Lock held, in the caller's transaction.
 */
static int restore_in_place(struct dossier_archive *a,
			    const struct dossier_caller *who,
			    const struct node *r, int64_t t)
{
	uint64_t chain[64], at;
	struct deletion d;
	struct node f, live;
	int depth = 0, rc = 0, i;

	/* deleted folders above r, nearest first */
	for (at = r->parent; depth < 64; at = f.parent) {
		if ((rc = archive_get_node(a, at, &f)) < 0)
			return rc;
		if (!f.deleted)
			break;
		chain[depth++] = at;
	}
	if (depth == 64)
		return DOSSIER_ERROR;
	/* from the top: revive each folder or join the live one */
	for (i = depth - 1; i >= 0 && rc == 0; i--) {
		if ((rc = archive_get_node(a, chain[i], &f)) < 0 ||
		    (rc = deletion_get(a, chain[i], &d)) < 0)
			break;
		if (archive_find_visible(a, who, at, d.name, &live) == 0) {
			/* a live folder of that name took its place: join it */
			at = live.id;
		} else {
			dossier_error_clear();
			rc = archive_exec(a, "UPDATE node SET parent = ?, "
					  "deleted_ns = NULL, deleted_by = "
					  "NULL, deleted_path = NULL, "
					  "ctime_ns = ? WHERE id = ?", "iii",
					  (int64_t)at, t, (int64_t)chain[i]);
			if (rc == 0)
				rc = archive_take_name(a, who, chain[i], at,
						       d.name, t);
			at = chain[i];
			if (rc == 0 && f.kind == DOSSIER_KIND_YEAR)
				rc = revive_categories(a, at, t);
		}
		deletion_release(&d);
	}
	if (rc < 0)
		return rc;
	if ((rc = deletion_get(a, r->id, &d)) < 0)
		return rc;
	if (archive_find_visible(a, who, at, d.name, &live) == 0) {
		char *p = archive_node_path(a, live.id);

		dossier_error_set("'%s' exists: restore it under another name "
				  "with mv from /.trash", p ? p : d.name);
		free(p);
		rc = DOSSIER_EEXISTS;
	} else if (r->kind == DOSSIER_KIND_FILE) {
		dossier_error_clear();
		rc = undelete_record(a, who, r, at, d.name, t);
	} else {
		dossier_error_clear();
		rc = undelete_folder(a, who, r, at, d.name, r->kind, t);
	}
	deletion_release(&d);
	/* deleted folders the record left behind, if now empty */
	if (rc == 0 && depth > 0)
		rc = prune_folders(a, r->parent);
	return rc;
}

/* ---- purge ---- */

/* A record the purge destroys. */
struct doomed {
	uint64_t id;
	uint64_t parent;
	int level;
	int pending;		/* a purge had started on it */
	struct deletion d;
	char approver[64];
	char *reason;		/* approval's, or NULL */
	struct dossier_oid *oids;	/* its commits and blobs, as indexed */
	size_t noids;
};

static void doomed_release(struct doomed *x)
{
	deletion_release(&x->d);
	free(x->reason);
	free(x->oids);
	memset(x, 0, sizeof(*x));
}

/* The latest approval of record id: 1 found (approver, reason), 0 none. */
static int find_approval(struct dossier_archive *a, uint64_t id,
			 char *approver, size_t approversz, char **reason)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (dossier_db_prepare(a->db, "SELECT approver, reason FROM "
			       "destruction_approval WHERE record = ?1 ORDER "
			       "BY id DESC LIMIT 1", &st) < 0) {
		dossier_error_clear();
		return 0;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(approver, approversz, "%s",
			 sqlite3_column_text(st, 0));
		if (reason)
			*reason = col_dup(st, 1);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* Its commits and blobs as the version index knows them. Lock held. */
static int load_oids(struct dossier_archive *a, struct doomed *x)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, i;

	if ((rc = dossier_db_prepare(a->db, "SELECT rec_commit, blob FROM "
				     "version WHERE record = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)x->id);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 2 && rc == 0; i++) {
			const char *hex = (const char *)sqlite3_column_text(st,
									   i);

			if (!hex)
				continue;
			if (x->noids == cap) {
				size_t c = cap ? cap * 2 : 16;
				struct dossier_oid *v = realloc(x->oids, c *
								sizeof(*v));

				if (!v) {
					rc = DOSSIER_ERROR;
					break;
				}
				x->oids = v;
				cap = c;
			}
			if (dossier_oid_parse(&x->oids[x->noids], hex) == 0)
				x->noids++;
			dossier_error_clear();
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static void report_line(struct dossier_buf *report, const char *what,
			const struct doomed *x, const char *detail)
{
	if (report)
		dossier_buf_addf(report, "%s\t%" PRIu64 "\t%s\t%s\n", what,
				 x->id, x->d.path, detail ? detail : "");
}

/*
 * The records to destroy now (and to finish), decided under the lock:
 * held ones and unapproved classified ones are reported and left.
 */
static int select_doomed(struct dossier_archive *a, int64_t now_ns,
			 struct dossier_buf *report, struct doomed **out,
			 size_t *n)
{
	struct doomed *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t cap = 0, i, keep = 0;
	char sql[1024];
	int rc, days = trash_days(a), need = approval_level(a), base;

	*out = NULL;
	*n = 0;
	snprintf(sql, sizeof(sql), "SELECT %s, id IN (SELECT record FROM "
		 "trash_purging) FROM node WHERE kind = 5 AND deleted_ns IS "
		 "NOT NULL AND (deleted_ns <= ?1 OR id IN (SELECT record FROM "
		 "trash_purging)) ORDER BY deleted_ns, id", archive_node_cols);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	base = sqlite3_column_count(st) - 1;
	sqlite3_bind_int64(st, 1, now_ns - expiry_ns(0, days));
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct node r;

		if (*n == cap) {
			size_t c = cap ? cap * 2 : 16;
			struct doomed *nv = realloc(v, c * sizeof(*nv));

			if (!nv) {
				rc = DOSSIER_ERROR;
				break;
			}
			v = nv;
			cap = c;
		}
		archive_row_to_node(st, &r);
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].id = r.id;
		v[*n].parent = r.parent;
		v[*n].level = r.level;
		v[*n].pending = sqlite3_column_int(st, base);
		(*n)++;
	}
	sqlite3_finalize(st);
	for (i = 0; rc == 0 && i < *n; i++) {
		struct doomed *x = &v[i];
		struct hold_info h;

		if ((rc = deletion_get(a, x->id, &x->d)) < 0)
			break;
		if (!x->pending && find_hold(a, x->id, &h) > 0) {
			char why[2048];

			snprintf(why, sizeof(why), "legal hold %" PRId64
				 "%s%s: %s", h.id,
				 h.node != x->id ? " on " : "",
				 h.node != x->id ? h.path : "", h.reason);
			report_line(report, "held", x, why);
			doomed_release(x);
			continue;
		}
		if (find_approval(a, x->id, x->approver, sizeof(x->approver),
				  &x->reason) == 0) {
			x->approver[0] = '\0';
			if (!x->pending && x->level >= need) {
				char why[128];

				snprintf(why, sizeof(why), "%s: needs "
					 "'dossierctl approve-destruction %"
					 PRIu64 "'",
					 dossier_level_name(x->level), x->id);
				report_line(report, "unapproved", x, why);
				doomed_release(x);
				continue;
			}
		}
		if ((rc = load_oids(a, x)) < 0)
			break;
		if (&v[keep] != x) {
			v[keep] = *x;
			memset(x, 0, sizeof(*x));
		}
		keep++;
	}
	if (rc < 0) {
		for (i = 0; i < *n; i++)
			doomed_release(&v[i]);
		free(v);
		*n = 0;
		return rc;
	}
	*n = keep;
	*out = v;
	/* from here a restore is refused and a crash is finished later */
	if (keep == 0 || (rc = archive_begin(a)) < 0)
		return rc;
	for (i = 0; rc == 0 && i < keep; i++)
		rc = archive_exec(a, "INSERT OR IGNORE INTO trash_purging("
				  "record, since_ns) VALUES(?, ?)", "ii",
				  (int64_t)v[i].id, now_ns);
	return archive_end(a, rc);
}

/* Delete folders left empty in the trash, from id up. Lock held. */
static int prune_folders(struct dossier_archive *a, uint64_t id)
{
	struct node f;
	int rc = 0;

	while (rc == 0 && id != DOSSIER_ROOT_ID &&
	       archive_get_node(a, id, &f) == 0 && f.deleted &&
	       f.kind != DOSSIER_KIND_FILE &&
	       !query_int(a, "SELECT 1 FROM node WHERE parent = ?1 LIMIT 1",
			  (int64_t)id, 0)) {
		rc = archive_exec(a, "DELETE FROM node WHERE id = ?", "i",
				  (int64_t)id);
		id = f.parent;
	}
	dossier_error_clear();
	return rc;
}

/* The second component of a path ("2024/contracts/ACME/x" -> contracts). */
static void category_of(const char *path, char *out, size_t outsz)
{
	const char *s = strchr(path, '/'), *e;

	out[0] = '\0';
	if (!s)
		return;
	e = strchr(s + 1, '/');
	snprintf(out, outsz, "%.*s", (int)(e ? (size_t)(e - s - 1) :
					    strlen(s + 1)), s + 1);
}

/*
 * The catalog half of destroying x: the register row and the end of every
 * row of the record, in one transaction. Lock held.
 */
static int forget_record(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct doomed *x, int64_t now_ns,
			 char ***spools, size_t *nspools)
{
	char by[64], delby[64], cat[256], reason[600];
	const char *slash = strrchr(x->d.path, '/');
	sqlite3_stmt *st = NULL;
	int64_t versions;
	int rc;

	*spools = NULL;
	*nspools = 0;
	if (who)
		user_name(a, who->uid, by, sizeof(by));
	else
		snprintf(by, sizeof(by), "dossierfs (daily purge)");
	user_name(a, x->d.deleted_by, delby, sizeof(delby));
	category_of(x->d.path, cat, sizeof(cat));
	if (x->reason)
		snprintf(reason, sizeof(reason), "%s", x->reason);
	else
		snprintf(reason, sizeof(reason), "trash period of %d days "
			 "ended", trash_days(a));
	versions = query_int(a, "SELECT count(*) FROM version WHERE record = "
			     "?1 AND blob IS NOT NULL", (int64_t)x->id, 0);
	if ((rc = archive_begin(a)) < 0)
		return rc;
	if (!is_purging(a, x->id)) {
		dossier_error_set("record %" PRIu64 " is no longer being "
				  "purged", x->id);
		rc = DOSSIER_EBUSY;
	}
	if (rc == 0)
		rc = archive_exec(a, "INSERT INTO destruction_register(record, "
				  "name, path, level, category, versions, "
				  "deleted_ns, deleted_by, destroyed_ns, "
				  "destroyed_by, approved_by, reason) "
				  "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				  "ittitiitittt", (int64_t)x->id,
				  slash ? slash + 1 : x->d.path, x->d.path,
				  (int64_t)x->level, cat[0] ? cat : NULL,
				  versions, x->d.deleted_ns, delby, now_ns, by,
				  x->approver[0] ? x->approver : NULL, reason);
	/* snapshots still waiting in the journal go too (after COMMIT) */
	if (rc == 0)
		rc = dossier_db_prepare(a->db, "SELECT spool FROM journal "
					"WHERE record = ?1 AND spool IS NOT "
					"NULL", &st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)x->id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			char **ns = realloc(*spools, (*nspools + 1) *
					    sizeof(*ns));

			if (!ns)
				break;
			*spools = ns;
			(*spools)[(*nspools)++] = col_dup(st, 0);
		}
		sqlite3_finalize(st);
	}
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM journal WHERE record = ?",
				  "i", (int64_t)x->id);
	if (rc == 0)
		history_live_prune(a->history, x->id);
	if (rc == 0)
		rc = text_forget_record(a, x->id);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM version WHERE record = ?",
				  "i", (int64_t)x->id);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM xattr WHERE node = ?", "i",
				  (int64_t)x->id);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM destruction_approval WHERE "
				  "record = ?", "i", (int64_t)x->id);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM node WHERE id = ?", "i",
				  (int64_t)x->id);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM trash_purging WHERE record = "
				  "?", "i", (int64_t)x->id);
	if (rc == 0)
		rc = prune_folders(a, x->parent);
	return archive_end(a, rc);
}

/*
 * Destroy x: its git objects (everything of refs/records/<id>, or what a
 * crash left of them), its content file, then its rows. Each step can be
 * done again: a failure leaves x in trash_purging for the next purge.
 */
static int destroy(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct doomed *x, int64_t now_ns)
{
	struct dossier_history *h = a->history;
	char rel[64], tmp[96], **spools = NULL;
	size_t nspools = 0, i;
	int rc;

	/* a ref move still noted would bring the purged ref back */
	pthread_mutex_lock(&a->lock);
	rc = archive_exec(a, "DELETE FROM ref_pending WHERE record = ?", "i",
			  (int64_t)x->id);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc;
	history_git_lock(h);
	rc = dossier_git_purge_record(history_git(h), x->id);
	if (rc == DOSSIER_ENOTFOUND) {
		/* no ref: never committed, or a purge died after deleting it */
		dossier_error_clear();
		rc = x->noids ? dossier_git_purge_objects(history_git(h),
							  x->oids, x->noids) :
				0;
	}
	history_git_unlock(h);
	if (rc < 0)
		return rc;
	content_relpath(rel, sizeof(rel), x->id);
	snprintf(tmp, sizeof(tmp), "%s.restore", rel);
	unlinkat(a->contentfd, tmp, 0);
	if (unlinkat(a->contentfd, rel, 0) < 0 && errno != ENOENT) {
		dossier_error_set("cannot remove content of %" PRIu64 ": %s",
				  x->id, strerror(errno));
		return dossier_err_from_errno(errno);
	}
	pthread_mutex_lock(&a->lock);
	rc = forget_record(a, who, x, now_ns, &spools, &nspools);
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < nspools; i++) {
		if (rc == 0)
			history_discard_spool(h, spools[i]);
		free(spools[i]);
	}
	free(spools);
	return rc;
}

static void checkpoint_wal(struct dossier_archive *a)
{
	int src, log_frames = 0, done_frames = 0;

	pthread_mutex_lock(&a->lock);
	src = sqlite3_wal_checkpoint_v2(a->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					&log_frames, &done_frames);
	if (src != SQLITE_OK)
		dossier_log(LOG_WARNING, "purge: the catalog's write-ahead log "
			    "was not emptied (%s): purged rows may linger in it "
			    "until the next checkpoint", sqlite3_errmsg(a->db));
	pthread_mutex_unlock(&a->lock);
}

int trash_purge(struct dossier_archive *a, const struct dossier_caller *who,
		int64_t now_ns, struct dossier_buf *report, size_t *purged)
{
	const struct dossier_caller *actor = who ? who : &daemon_caller;
	struct doomed *v = NULL;
	size_t n = 0, i, done = 0;
	int rc;

	if (purged)
		*purged = 0;
	if (!a->history) {
		dossier_error_set("purging needs the archive's history: run it "
				  "through the mounted archive");
		return DOSSIER_EBUSY;
	}
	/* nothing of a doomed record may still be on its way to git */
	if ((rc = history_drain(a->history, 1)) < 0)
		return rc;
	/* nor linger in a snapshot an interrupted backup left */
	backup_sweep_stages(a);
	pthread_mutex_lock(&a->lock);
	rc = select_doomed(a, now_ns, report, &v, &n);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct doomed *x = &v[i];
		char detail[160];

		if (destroy(a, who, x, now_ns) < 0) {
			dossier_log(LOG_ERR, "purge of record %" PRIu64
				    " ('%s') failed, retried at the next "
				    "purge: %s", x->id, x->d.path,
				    dossier_error_last());
			report_line(report, "failed", x, dossier_error_last());
			dossier_error_clear();
			continue;
		}
		done++;
		snprintf(detail, sizeof(detail), "%s%s%s",
			 dossier_level_name(x->level),
			 x->approver[0] ? ", approved by " : "", x->approver);
		report_line(report, "purged", x, detail);
		audit_record(a->audit, actor, "purge", x->d.path, 1, 0, detail);
		dossier_log(LOG_NOTICE, "purged record %" PRIu64 " '%s'", x->id,
			    x->d.path);
	}
	for (i = 0; i < n; i++)
		doomed_release(&v[i]);
	free(v);
	/* older copies of the zeroed rows' pages are still in the WAL */
	if (done) {
		text_purged(a);
		checkpoint_wal(a);
	}
	if (purged)
		*purged = done;
	return done == n ? 0 : DOSSIER_ERROR;
}

void trash_daily(struct dossier_archive *a, int64_t now_ns, int64_t *next_ns)
{
	int64_t last;
	size_t n = 0;

	if (*next_ns == 0) {
		/* not while a mount is starting */
		*next_ns = now_ns + 60LL * 1000000000;
		return;
	}
	if (now_ns < *next_ns)
		return;
	*next_ns = now_ns + 3600LL * 1000000000;
	pthread_mutex_lock(&a->lock);
	last = query_int(a, "SELECT value FROM trash_state WHERE key = "
			 "'last-purge'", 0, 0);
	/* noted before running: a purge that fails is not retried hourly */
	if (now_ns - last >= DAY_NS &&
	    archive_exec(a, "INSERT OR REPLACE INTO trash_state(key, value) "
			 "VALUES('last-purge', ?)", "i", now_ns) < 0)
		last = now_ns;
	pthread_mutex_unlock(&a->lock);
	if (now_ns - last < DAY_NS)
		return;
	if (trash_purge(a, NULL, now_ns, NULL, &n) < 0)
		dossier_log(LOG_ERR, "daily purge: %s", dossier_error_last());
	else
		dossier_log(LOG_INFO, "daily purge: %zu records destroyed", n);
	dossier_error_clear();
}

/* ---- control requests ---- */

/*
 * The node a request names: "#ID", a path in the archive (deleted: the
 * last component may be a deleted record), or a path in /.trash. Lock
 * held.
 */
static int resolve(struct dossier_archive *a, const struct dossier_caller *who,
		   const char *target, int deleted, struct node *out)
{
	if (target[0] == '#') {
		char *end;
		unsigned long long id = strtoull(target + 1, &end, 10);

		if (end == target + 1 || *end || id == 0 ||
		    id >= (1ULL << ID_BITS)) {
			dossier_error_set("'%s' is not a record id", target);
			return DOSSIER_EINVAL;
		}
		if (archive_get_node(a, id, out) < 0) {
			dossier_error_clear();
			dossier_error_set("no record %llu", id);
			return DOSSIER_ENOTFOUND;
		}
		if (archive_decide(a, who, out, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			dossier_error_set("no record %llu", id);
			return DOSSIER_EHIDDEN;
		}
		return 0;
	}
	if (!strcmp(target, ".trash") || !strncmp(target, ".trash/", 7)) {
		char *copy = strdup(target), *comp, *save = NULL;
		uint64_t ino = INO_TRASH;
		int rc = 0;

		if (!copy)
			return DOSSIER_ERROR;
		strtok_r(copy, "/", &save);
		while (rc == 0 && (comp = strtok_r(NULL, "/", &save))) {
			char nfc[DOSSIER_NAME_MAX + 1];
			struct trash_entry *e = NULL;
			size_t n = 0, i;

			if ((rc = dossier_name_normalize(nfc, sizeof(nfc),
							 comp)) < 0 ||
			    (rc = trash_dir_read(a, who, ino, &e, &n)) < 0)
				break;
			rc = DOSSIER_ENOTFOUND;
			for (i = 0; i < n; i++)
				if (!strcmp(e[i].name, nfc)) {
					*out = e[i].n;
					ino = TRASH_BASE | e[i].n.id;
					rc = 0;
					break;
				}
			trash_entries_free(e, n);
		}
		free(copy);
		if (rc == 0 && ino == INO_TRASH) {
			dossier_error_set("name a record or folder in the "
					  "trash");
			rc = DOSSIER_EINVAL;
		}
		return rc;
	}
	return access_resolve(a, who, target, deleted, out);
}

/*
 * The time a purge asked for now goes by. A delete stays undoable for
 * the commit window (an editor's delete-and-write revives the record),
 * so with trash-days 0 a record deleted a moment ago is only due once
 * that window has passed: the purge waits for it (at most the window)
 * rather than answer "0 destroyed" right after an rm.
 */
static int64_t window_passed(struct dossier_archive *a)
{
	int64_t now = dossier_clock_ns(), last;
	struct timespec ts;

	pthread_mutex_lock(&a->lock);
	last = trash_days(a) == 0 ?
		       query_int(a, "SELECT coalesce(max(deleted_ns), 0) FROM "
				 "node WHERE kind = 5 AND deleted_ns > ?",
				 now - HISTORY_WINDOW_NS, 0) : 0;
	pthread_mutex_unlock(&a->lock);
	if (last <= 0 || expiry_ns(last, 0) <= now)
		return now;
	ts.tv_sec = (expiry_ns(last, 0) - now) / 1000000000;
	ts.tv_nsec = (expiry_ns(last, 0) - now) % 1000000000;
	nanosleep(&ts, NULL);
	return dossier_clock_ns();
}

static int ctl_trash(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	char sql[1024];
	sqlite3_stmt *st = NULL;
	uid_t only = 0;
	int rc, days, need, base;
	int64_t now = dossier_clock_ns();

	if (n > 2)
		return control_status(out, 2, "usage: trash [USER]");
	pthread_mutex_lock(&a->lock);
	rc = 0;
	if (n == 2 && (!a->rules ||
		       (rc = dossier_rules_user_lookup(a->rules, f[1],
						       &only)) < 0))
		rc = rc < 0 ? rc : DOSSIER_ENOTFOUND;
	days = trash_days(a);
	need = approval_level(a);
	snprintf(sql, sizeof(sql), "SELECT %s, deleted_ns, deleted_by, "
		 "coalesce(deleted_path, '') FROM node WHERE kind = 5 AND "
		 "scratch = 0 AND deleted_ns IS NOT NULL AND (?1 < 0 OR "
		 "deleted_by = ?1) ORDER BY deleted_ns", archive_node_cols);
	if (rc == 0)
		rc = dossier_db_prepare(a->db, sql, &st);
	if (rc < 0) {
		pthread_mutex_unlock(&a->lock);
		return control_refused(out, rc, "trash");
	}
	base = sqlite3_column_count(st) - 3;
	sqlite3_bind_int64(st, 1, n == 2 ? (int64_t)only : -1);
	control_status(out, 0, "ok");
	dossier_buf_addf(out, "days\t%d\n", days);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct node r;
		struct hold_info h;
		char by[64], state[64], appr[64];
		int64_t del = sqlite3_column_int64(st, base), left;

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		user_name(a, (uid_t)sqlite3_column_int64(st, base + 1), by,
			  sizeof(by));
		left = expiry_ns(del, days) - now;
		if (is_purging(a, r.id))
			snprintf(state, sizeof(state), "purging");
		else if (find_hold(a, r.id, &h) > 0)
			snprintf(state, sizeof(state), "held");
		else if (r.level >= need &&
			 !find_approval(a, r.id, appr, sizeof(appr), NULL))
			snprintf(state, sizeof(state), "needs approval");
		else
			state[0] = '\0';
		/* whole days, rounded up, never more than the period */
		left = left > 0 ? (left + DAY_NS - 1) / DAY_NS : 0;
		dossier_buf_addf(out, "%" PRIu64 "\t%" PRId64 "\t%" PRId64
				 "\t%s\t%s\t%s\t%s\n", r.id, del / 1000000000,
				 left > days ? (int64_t)days : left,
				 state, by, dossier_level_name(r.level),
				 sqlite3_column_text(st, base + 2));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int ctl_restore_deleted(struct dossier_archive *a,
			       const struct dossier_caller *who, char **f,
			       int n, struct dossier_buf *out)
{
	struct node r;
	char *path = NULL;
	int rc;

	if (n != 2)
		return control_status(out, 2, "usage: restore-deleted "
					    "PATH|#ID");
	pthread_mutex_lock(&a->lock);
	rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0 && !r.deleted) {
		dossier_error_set("'%s' is not in the trash", f[1]);
		rc = DOSSIER_EINVAL;
	}
	if (rc == 0 && r.kind != DOSSIER_KIND_FILE &&
	    (r.kind < DOSSIER_KIND_CLIENT)) {
		dossier_error_set("'%s' cannot be restored", f[1]);
		rc = DOSSIER_ESTRUCTURE;
	}
	if (rc == 0 && r.kind == DOSSIER_KIND_FILE)
		rc = may_restore(a, who, &r, NULL);
	else if (rc == 0)
		rc = archive_decide(a, who, &r, NULL, DOSSIER_ACT_CREATE);
	if (rc == 0 && (rc = archive_begin(a)) == 0) {
		rc = restore_in_place(a, who, &r, dossier_clock_ns());
		rc = archive_end(a, rc);
	}
	if (rc == 0)
		path = archive_node_path(a, r.id);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0) {
		audit_record(a->audit, who, "restore", f[1], 0, 0,
			     dossier_error_last());
		return control_refused(out, rc, f[1]);
	}
	dossier_buf_addf(out, "0\trestored '%s'\n", path ? path : f[1]);
	free(path);
	return 0;
}

static int ctl_purge(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	struct dossier_buf report = DOSSIER_BUF_INIT;
	size_t done = 0;
	int rc;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: purge");
	pthread_mutex_lock(&a->lock);
	rc = role_in(a, who, "disposition-roles", DEFAULT_DISPOSERS) ? 0 :
		refuse_role(a, "purging", "disposition-roles",
			    DEFAULT_DISPOSERS);
	pthread_mutex_unlock(&a->lock);
	if (rc == 0)
		rc = trash_purge(a, who, window_passed(a), &report, &done);
	if (rc < 0 && done == 0 && report.len == 0) {
		audit_record(a->audit, who, "purge", "", 0, 0,
			     dossier_error_last());
		dossier_buf_release(&report);
		return control_refused(out, rc, "purge");
	}
	dossier_buf_addf(out, "%d\t%zu destroyed%s\n", rc < 0 ? 1 : 0, done,
			 rc < 0 ? ", some failed (see the daemon log)" : "");
	dossier_buf_add(out, report.buf, report.len);
	dossier_buf_release(&report);
	dossier_error_clear();
	return rc < 0 ? 1 : 0;
}

static int ctl_register(struct dossier_archive *a,
			const struct dossier_caller *who, char **f, int n,
			struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	int rc, i;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: register");
	pthread_mutex_lock(&a->lock);
	rc = role_in(a, who, "register-roles", DEFAULT_READERS) ? 0 :
		refuse_role(a, "the destruction register",
			    "register-roles", DEFAULT_READERS);
	if (rc == 0)
		rc = dossier_db_prepare(a->db, "SELECT id, destroyed_ns / "
					"1000000000, record, name, path, level,"
					" coalesce(category, ''), versions, "
					"coalesce(deleted_ns / 1000000000, 0),"
					" coalesce(deleted_by, ''), "
					"destroyed_by, coalesce(approved_by, "
					"''), reason FROM destruction_register"
					" ORDER BY id", &st);
	if (rc < 0) {
		pthread_mutex_unlock(&a->lock);
		return control_refused(out, rc, "register");
	}
	control_status(out, 0, "ok");
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 13; i++) {
			const char *v = (const char *)
				sqlite3_column_text(st, i);

			if (i == 5)
				v = dossier_level_name(
					sqlite3_column_int(st, i));
			dossier_buf_addf(out, "%s%s", i ? "\t" : "",
					 v ? v : "");
		}
		dossier_buf_add(out, "\n", 1);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int ctl_approve_destruction(struct dossier_archive *a,
				   const struct dossier_caller *who, char **f,
				   int n, struct dossier_buf *out)
{
	char name[64], msg[256], *path = NULL;
	struct node r;
	int rc;

	if (n != 3 || !f[2][0])
		return control_status(out, 2, "usage: approve-destruction "
					    "PATH|#ID REASON (a reason is "
					    "required)");
	pthread_mutex_lock(&a->lock);
	rc = role_in(a, who, "disposition-roles", DEFAULT_DISPOSERS) ? 0 :
		refuse_role(a, "approving destruction",
			    "disposition-roles", DEFAULT_DISPOSERS);
	if (rc == 0)
		rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0 && r.kind != DOSSIER_KIND_FILE)
		rc = DOSSIER_EISDIR;
	if (rc == 0) {
		user_name(a, who->uid, name, sizeof(name));
		path = archive_node_path(a, r.id);
		rc = archive_exec(a, "INSERT INTO destruction_approval(record, "
				  "approved_by, approver, reason, time_ns) "
				  "VALUES(?, ?, ?, ?, ?)", "iitti",
				  (int64_t)r.id, (int64_t)who->uid, name, f[2],
				  dossier_clock_ns());
	}
	if (rc == 0)
		snprintf(msg, sizeof(msg), "destruction of record %" PRIu64
			 " (%s) approved%s", r.id, dossier_level_name(r.level),
			 r.level < approval_level(a) ?
				 " (not needed at this level)" : "");
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "approve-destruction", path ? path : f[1],
		     rc == 0, 0, rc == 0 ? f[2] : dossier_error_last());
	free(path);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	return control_status(out, 0, msg);
}

static int ctl_hold(struct dossier_archive *a, const struct dossier_caller *who,
		    char **f, int n, struct dossier_buf *out)
{
	char msg[1200], *path = NULL;
	struct node r;
	int rc;

	if (n != 3 || !f[2][0])
		return control_status(out, 2, "usage: hold PATH|#ID REASON (a "
					    "reason is required)");
	pthread_mutex_lock(&a->lock);
	rc = role_in(a, who, "disposition-roles", DEFAULT_DISPOSERS) ? 0 :
		refuse_role(a, "legal holds", "disposition-roles",
			    DEFAULT_DISPOSERS);
	if (rc == 0)
		rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0 && is_purging(a, r.id)) {
		dossier_error_set("this record is being destroyed by a purge");
		rc = DOSSIER_EBUSY;
	}
	if (rc == 0 && !(path = archive_node_path(a, r.id)))
		rc = DOSSIER_ERROR;
	if (rc == 0)
		rc = archive_exec(a, "INSERT INTO hold(node, path, reason, "
				  "held_by, held_ns) VALUES(?, ?, ?, ?, ?)",
				  "ittii", (int64_t)r.id, path, f[2],
				  (int64_t)who->uid, dossier_clock_ns());
	if (rc == 0)
		snprintf(msg, sizeof(msg), "'%s' is held%s: it cannot be "
			 "deleted or destroyed until released", path,
			 r.kind == DOSSIER_KIND_FILE ? "" :
				 " with everything in it");
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "hold", path ? path : f[1], rc == 0, 0,
		     rc == 0 ? f[2] : dossier_error_last());
	free(path);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	return control_status(out, 0, msg);
}

static int ctl_release(struct dossier_archive *a,
		       const struct dossier_caller *who, char **f, int n,
		       struct dossier_buf *out)
{
	char msg[1200], *path = NULL;
	struct hold_info h;
	struct node r;
	int rc, changed = 0;

	if (n < 2 || n > 3)
		return control_status(out, 2, "usage: release PATH|#ID "
					    "[REASON]");
	pthread_mutex_lock(&a->lock);
	rc = role_in(a, who, "disposition-roles", DEFAULT_DISPOSERS) ? 0 :
		refuse_role(a, "legal holds", "disposition-roles",
			    DEFAULT_DISPOSERS);
	if (rc == 0)
		rc = resolve(a, who, f[1], 1, &r);
	if (rc == 0) {
		path = archive_node_path(a, r.id);
		rc = archive_exec(a, "UPDATE hold SET released_by = ?, "
				  "released_ns = ?, release_reason = ? WHERE "
				  "node = ? AND released_ns IS NULL", "iiti",
				  (int64_t)who->uid, dossier_clock_ns(),
				  n == 3 ? f[2] : NULL, (int64_t)r.id);
		changed = sqlite3_changes(a->db);
	}
	if (rc == 0 && !changed) {
		if (find_hold(a, r.id, &h) > 0)
			dossier_error_set("'%s' is held through '%s' (hold %"
					  PRId64 "): release that folder",
					  path ? path : f[1], h.path, h.id);
		else
			dossier_error_set("'%s' is not held",
					  path ? path : f[1]);
		rc = DOSSIER_ENOTFOUND;
	}
	if (rc == 0)
		snprintf(msg, sizeof(msg), "released %d hold%s on '%s'",
			 changed, changed == 1 ? "" : "s", path ? path : f[1]);
	pthread_mutex_unlock(&a->lock);
	audit_record(a->audit, who, "release", path ? path : f[1], rc == 0, 0,
		     rc == 0 ? (n == 3 ? f[2] : NULL) : dossier_error_last());
	free(path);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	return control_status(out, 0, msg);
}

/*
 * due: live records whose category's retention ended: the year folder
 * plus retention_years is before this year.
 */
static int ctl_due(struct dossier_archive *a, const struct dossier_caller *who,
		   char **f, int n, struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	char sql[1536];
	struct tm tm;
	time_t now = (time_t)(dossier_clock_ns() / 1000000000);
	int rc, base, need;

	(void)f;
	if (n != 1)
		return control_status(out, 2, "usage: due");
	localtime_r(&now, &tm);
	pthread_mutex_lock(&a->lock);
	rc = role_in(a, who, "register-roles", DEFAULT_READERS) ? 0 :
		refuse_role(a, "the retention list", "register-roles",
			    DEFAULT_READERS);
	need = approval_level(a);
	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE sub(nid, year, cat, keep) AS ("
		 " SELECT c.id, CAST(y.name AS INTEGER), k.name,"
		 " k.retention_years FROM node c JOIN node y ON y.id = c.parent"
		 " JOIN category k ON k.id = c.category WHERE c.kind = 2 AND"
		 " y.kind = 1 AND c.deleted_ns IS NULL AND y.deleted_ns IS NULL"
		 " AND k.retention_years IS NOT NULL"
		 " AND CAST(y.name AS INTEGER) + k.retention_years < ?1"
		 " UNION ALL SELECT n.id, sub.year, sub.cat, sub.keep"
		 " FROM node n JOIN sub ON n.parent = sub.nid"
		 " WHERE n.deleted_ns IS NULL)"
		 " SELECT %s, sub.year, sub.cat, sub.keep FROM sub JOIN node ON"
		 " node.id = sub.nid WHERE kind = 5 AND scratch = 0"
		 " ORDER BY sub.year, sub.cat, node.id", archive_node_cols);
	if (rc == 0)
		rc = dossier_db_prepare(a->db, sql, &st);
	if (rc < 0) {
		pthread_mutex_unlock(&a->lock);
		return control_refused(out, rc, "due");
	}
	base = sqlite3_column_count(st) - 3;
	sqlite3_bind_int64(st, 1, tm.tm_year + 1900);
	control_status(out, 0, "ok");
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct node r;
		struct hold_info h;
		char appr[64], *path;
		const char *state;
		int year = sqlite3_column_int(st, base);
		int keep = sqlite3_column_int(st, base + 2);

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		path = archive_node_path(a, r.id);
		if (find_hold(a, r.id, &h) > 0)
			state = "held";
		else if (find_approval(a, r.id, appr, sizeof(appr), NULL))
			state = "approved";
		else
			state = r.level >= need ? "needs approval" : "";
		dossier_buf_addf(out, "%" PRIu64 "\t%d\t%s\t%d\t%d\t%s\t%s\t"
				 "%s\n", r.id, year,
				 sqlite3_column_text(st, base + 1), keep,
				 year + keep + 1, dossier_level_name(r.level),
				 state, path ? path : "");
		free(path);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

const struct control_cmd control_trash_cmds[] = {
	{ "trash", ctl_trash },
	{ "restore-deleted", ctl_restore_deleted },
	{ "purge", ctl_purge },
	{ "register", ctl_register },
	{ "approve-destruction", ctl_approve_destruction },
	{ "hold", ctl_hold },
	{ "release", ctl_release },
	{ "due", ctl_due },
	{ NULL, NULL },
};
