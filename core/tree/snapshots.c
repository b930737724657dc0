/*
 * Previous Versions: every folder's hidden .snapshots, as Samba's
 * vfs_shadow_copy2 (shadow:snapdirseverywhere) reads it, built from the
 * version index for each caller. Nothing here is stored: a snapshot is
 * "this folder as of that second", answered from the version rows.
 */
#include "snapshots_i.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_i.h"
#include "error.h"
#include "views_i.h"
#include "access_i.h"

#define AT_INO(folder, t)                                                  \
	(SNAP_AT_BASE | ((uint64_t)(folder) << 32) |                       \
	 (uint64_t)((t) - SNAP_EPOCH))
#define AT_FOLDER(ino) (VIRT_ID(ino) >> 32)
#define AT_TIME(ino) ((int64_t)((ino) & 0xffffffffULL) + SNAP_EPOCH)
#define NAME_COL ARCHIVE_NODE_NCOLS	/* after archive_node_cols */

int snap_owns(uint64_t ino)
{
	return VIRT_KIND(ino) == SNAP_DIR_BASE >> 60 ||
	       VIRT_KIND(ino) == SNAP_AT_BASE >> 60;
}

void snap_token(char *out, size_t outsz, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "@GMT-%Y.%m.%d-%H.%M.%S", &tm);
}

int snap_token_parse(const char *name, int64_t *t)
{
	struct tm tm;
	char back[32];
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (strlen(name) != 24 ||
	    sscanf(name, "@GMT-%4d.%2d.%2d-%2d.%2d.%2d%n", &tm.tm_year,
		   &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 || n != 24)
		return DOSSIER_EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*t = (int64_t)timegm(&tm);
	/* the one spelling of that second: no 2024.02.30, no +05 */
	snap_token(back, sizeof(back), *t);
	return strcmp(back, name) ? DOSSIER_EINVAL : 0;
}

/* Day number for the recent days, minus (month number + 1) before. */
static int64_t bucket(int64_t t, int64_t now_s)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > now_s - (int64_t)SNAP_DAYS * 86400)
		return t / 86400;
	gmtime_r(&tt, &tm);
	return -((int64_t)tm.tm_year * 12 + tm.tm_mon) - 1;
}

size_t snap_coalesce(int64_t *t, size_t n, int64_t now_s)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (i + SNAP_RECENT >= n || bucket(t[i], now_s) !=
						    bucket(t[i + 1], now_s))
			t[k++] = t[i];
	return k;
}

/*
 * The live folder id if who may list it; a record, a deleted folder or
 * one above client level has no Previous Versions.
 */
static int snap_folder(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t id,
		       struct node *out)
{
	int rc;

	if (id >= SNAP_ID_LIMIT)
		return DOSSIER_ENOTFOUND;
	if ((rc = archive_get_node(a, id, out)) < 0)
		return rc;
	if (out->deleted || out->kind < DOSSIER_KIND_CLIENT ||
	    out->kind == DOSSIER_KIND_FILE)
		return DOSSIER_ENOTFOUND;
	if (archive_decide(a, who, out, NULL, DOSSIER_ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	return 0;
}

static void at_attr(const struct node *folder, int64_t t,
		    struct dossier_attr *out)
{
	views_dir_attr(AT_INO(folder->id, t), out);
	out->st.st_uid = folder->uid;
	out->st.st_gid = folder->gid;
	out->st.st_mtim.tv_sec = (time_t)t;
	out->st.st_mtim.tv_nsec = 0;
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
}

/*
 * The content record rec had at second t: the version row where that
 * content began (a save of unchanged bytes, or a rename, is no new
 * content), so that every token showing the same bytes shows the same
 * inode and time. DOSSIER_ENOTFOUND if rec had no content yet.
 */
static int version_at(struct dossier_archive *a, uint64_t rec, int64_t t,
		      int64_t *vid, int64_t *size, int64_t *time_ns)
{
	sqlite3_stmt *st = NULL;
	char first[41] = "";
	int rc;

	if ((rc = archive_stmt(a, "SELECT id, blob, size, time_ns FROM "
			       "version WHERE record = ?1 AND blob IS NOT "
			       "NULL AND time_ns < ?2 ORDER BY id DESC "
			       "LIMIT 64", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rec);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(t + 1) * 1000000000);
	rc = DOSSIER_ENOTFOUND;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *blob = (const char *)sqlite3_column_text(st, 1);

		if (first[0] && strcmp(first, blob))
			break;
		snprintf(first, sizeof(first), "%s", blob);
		*vid = sqlite3_column_int64(st, 0);
		*size = sqlite3_column_int64(st, 2);
		*time_ns = sqlite3_column_int64(st, 3);
		rc = 0;
	}
	archive_stmt_done(st);
	return rc;
}

/*
 * Record r in a snapshot at t, for who: present only with the history
 * right (a version's size and time are history too).
 */
static int record_at(struct dossier_archive *a,
		     const struct dossier_caller *who, const struct node *r,
		     int64_t t, struct dossier_attr *out)
{
	int64_t vid, size, time_ns;
	int rc;

	if (r->scratch)
		return DOSSIER_ENOTFOUND;
	if ((rc = views_may_see_history(a, who, r)) < 0)
		return rc == DOSSIER_EDENIED ? DOSSIER_ENOTFOUND : rc;
	dossier_error_clear();
	if ((rc = version_at(a, r->id, t, &vid, &size, &time_ns)) < 0)
		return rc;
	views_version_attr(r, vid, size, time_ns, out);
	return 0;
}

/* A child of folder d in its snapshot at t. */
static int child_at(struct dossier_archive *a,
		    const struct dossier_caller *who, const struct node *c,
		    int64_t t, struct dossier_attr *out)
{
	if (c->kind == DOSSIER_KIND_FILE)
		return record_at(a, who, c, t, out);
	if (c->id >= SNAP_ID_LIMIT || c->scratch)
		return DOSSIER_ENOTFOUND;
	if (archive_decide(a, who, c, NULL, DOSSIER_ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	at_attr(c, t, out);
	return 0;
}

int snap_lookup(struct dossier_archive *a, const struct dossier_caller *who,
		uint64_t parent, const char *nfc, struct dossier_attr *out)
{
	struct node f, c;
	int64_t t, now = dossier_clock_ns() / 1000000000;
	int rc;

	if (!snap_owns(parent)) {
		/* FOLDER/.snapshots */
		if (ino_is_virtual(parent) || strcmp(nfc, SNAP_DIR_NAME))
			return DOSSIER_ENOTFOUND;
		if (parent >= SNAP_ID_LIMIT)
			return DOSSIER_ENOTFOUND;
		return snap_getattr(a, who, SNAP_DIR_BASE | parent, out);
	}
	if (VIRT_KIND(parent) == SNAP_DIR_BASE >> 60) {
		/* FOLDER/.snapshots/@GMT-... : any past second */
		if (snap_token_parse(nfc, &t) < 0 || t > now ||
		    t < SNAP_EPOCH)
			return DOSSIER_ENOTFOUND;
		if ((rc = snap_folder(a, who, VIRT_ID(parent), &f)) < 0)
			return rc;
		at_attr(&f, t, out);
		return 0;
	}
	t = AT_TIME(parent);
	if ((rc = snap_folder(a, who, AT_FOLDER(parent), &f)) < 0)
		return rc;
	if ((rc = archive_find_child(a, f.id, nfc, &c)) < 0)
		return rc;
	return child_at(a, who, &c, t, out);
}

/*
 * The folder a snapshot inode shows, if who may list it, and the second
 * it shows (0 for FOLDER/.snapshots itself).
 */
static int snap_resolve(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t ino,
			struct node *f, int64_t *t)
{
	if (VIRT_KIND(ino) == SNAP_DIR_BASE >> 60) {
		*t = 0;
		return snap_folder(a, who, VIRT_ID(ino), f);
	}
	*t = AT_TIME(ino);
	return snap_folder(a, who, AT_FOLDER(ino), f);
}

int snap_getattr(struct dossier_archive *a, const struct dossier_caller *who,
		 uint64_t ino, struct dossier_attr *out)
{
	struct node f;
	int64_t t;
	int rc;

	if ((rc = snap_resolve(a, who, ino, &f, &t)) < 0)
		return rc;
	if (t) {
		at_attr(&f, t, out);
		return 0;
	}
	views_dir_attr(ino, out);
	out->st.st_uid = f.uid;
	out->st.st_gid = f.gid;
	return 0;
}

struct times {
	int64_t *t;
	size_t n, cap;
};

static int times_add(struct times *s, int64_t t)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		int64_t *nt = realloc(s->t, cap * sizeof(*nt));

		if (!nt) {
			dossier_error_set("out of memory");
			return DOSSIER_ERROR;
		}
		s->t = nt;
		s->cap = cap;
	}
	s->t[s->n++] = t;
	return 0;
}

/* Append the coalesced content changes of record rec to all. */
static int record_tokens(struct dossier_archive *a, uint64_t rec,
			 int64_t now_s, struct times *all)
{
	struct times mine = { NULL, 0, 0 };
	sqlite3_stmt *st = NULL;
	char last[41] = "";
	size_t i, k;
	int rc;

	if ((rc = archive_stmt(a, "SELECT blob, time_ns FROM version WHERE "
			       "record = ?1 AND blob IS NOT NULL ORDER BY id",
			       &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rec);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *blob = (const char *)sqlite3_column_text(st, 0);

		if (!strcmp(blob, last))
			continue;	/* the same bytes saved again */
		snprintf(last, sizeof(last), "%s", blob);
		rc = times_add(&mine, sqlite3_column_int64(st, 1) / 1000000000);
	}
	archive_stmt_done(st);
	k = rc == 0 ? snap_coalesce(mine.t, mine.n, now_s) : 0;
	for (i = 0; rc == 0 && i < k; i++)
		rc = times_add(all, mine.t[i]);
	free(mine.t);
	return rc;
}

static int newest_first(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? 1 : a > b ? -1 : 0;
}

/* FOLDER/.snapshots: a token per kept content change of its records. */
static int list_tokens(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *f,
		       struct view_list *out)
{
	struct times all = { NULL, 0, 0 };
	struct dossier_attr at;
	sqlite3_stmt *st = NULL;
	char sql[512], name[32];
	int64_t now = dossier_clock_ns() / 1000000000;
	size_t i, shown = 0;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT %s FROM node WHERE parent = ?1 "
		 "AND deleted_ns IS NULL AND kind = %d AND scratch = 0 AND "
		 "hist_rec IS NOT NULL", archive_node_cols, DOSSIER_KIND_FILE);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->id);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct node r;

		archive_row_to_node(st, &r);
		if (views_may_see_history(a, who, &r) < 0)
			continue;
		rc = record_tokens(a, r.id, now, &all);
	}
	sqlite3_finalize(st);
	dossier_error_clear();
	if (rc == 0 && all.n)
		qsort(all.t, all.n, sizeof(*all.t), newest_first);
	for (i = 0; rc == 0 && i < all.n && shown < SNAP_MAX_TOKENS; i++) {
		if ((i && all.t[i] == all.t[i - 1]) || all.t[i] < SNAP_EPOCH)
			continue;
		snap_token(name, sizeof(name), all.t[i]);
		at_attr(f, all.t[i], &at);
		rc = view_list_add(out, name, &at);
		shown++;
	}
	free(all.t);
	return rc;
}

/* FOLDER as of t: what it held then that who may see the history of. */
static int list_at(struct dossier_archive *a,
		   const struct dossier_caller *who, const struct node *f,
		   int64_t t, struct view_list *out)
{
	struct dossier_attr at;
	sqlite3_stmt *st = NULL;
	char sql[512];
	int rc;

	snprintf(sql, sizeof(sql), "SELECT %s, name FROM node WHERE parent = "
		 "?1 AND deleted_ns IS NULL ORDER BY name", archive_node_cols);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->id);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct node c;

		archive_row_to_node(st, &c);
		if (child_at(a, who, &c, t, &at) < 0)
			continue;
		rc = view_list_add(out, (const char *)sqlite3_column_text(
						 st, NAME_COL), &at);
	}
	sqlite3_finalize(st);
	dossier_error_clear();
	return rc;
}

int snap_list(struct dossier_archive *a, const struct dossier_caller *who,
	      uint64_t ino, struct view_list *out)
{
	struct node f;
	int64_t t;
	int rc;

	if ((rc = snap_resolve(a, who, ino, &f, &t)) < 0)
		return rc;
	return t ? list_at(a, who, &f, t, out) : list_tokens(a, who, &f, out);
}
