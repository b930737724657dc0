/*
 * Node rows: reading them, making, touching and removing them, their
 * canonical paths, and the scratch-name patterns a new name is checked
 * against. Lock held for all.
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
int archive_fetch_node(struct dossier_archive *a, sqlite3_stmt *st,
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
	return archive_fetch_node(a, st, out);
}

int archive_find_child(struct dossier_archive *a, uint64_t parent,
		       const char *nfc, struct node *out)
{
	sqlite3_stmt *st = a->st[ST_LOOKUP];

	dossier_db_bind(st, "it", (int64_t)parent, nfc);
	return archive_fetch_node(a, st, out);
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

int archive_has_child(struct dossier_archive *a, uint64_t id, int any)
{
	sqlite3_stmt *st = a->st[any ? ST_HASANYCHILD : ST_HASCHILD];
	int src;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	src = sqlite3_step(st);
	sqlite3_reset(st);
	return src == SQLITE_ROW;
}

int archive_insert_node(struct dossier_archive *a, uint64_t parent,
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

int archive_touch_node(struct dossier_archive *a, uint64_t id, int64_t t)
{
	sqlite3_stmt *st = a->st[ST_TOUCH];

	dossier_db_bind(st, "ii", (int64_t)id, t);
	return dossier_db_step_done(a->db, st, "touch folder");
}

int archive_delete_node(struct dossier_archive *a, uint64_t id)
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
int archive_is_ancestor(struct dossier_archive *a, uint64_t anc, uint64_t id)
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

int archive_is_scratch_name(struct dossier_archive *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->npatterns; i++)
		if (fnmatch(a->patterns[i], name, FNM_PERIOD) == 0)
			return 1;
	return 0;
}

int archive_load_patterns(struct dossier_archive *a)
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

int archive_bump_cgen(struct dossier_archive *a, uint64_t id)
{
	return archive_exec(a, "UPDATE node SET cgen = cgen + 1 WHERE id = ?",
			    "i", (int64_t)id);
}

int archive_get_folder(struct dossier_archive *a, uint64_t id,
		       struct node *out)
{
	int rc;

	if ((rc = archive_get_node(a, id, out)) < 0)
		return rc;
	if (out->deleted)
		return DOSSIER_ENOTFOUND;
	return out->kind == DOSSIER_KIND_FILE ? DOSSIER_ENOTDIR : 0;
}

char *archive_node_name(struct dossier_archive *a, uint64_t id)
{
	sqlite3_stmt *st = NULL;
	char *name = NULL;

	if (archive_stmt(a, "SELECT name FROM node WHERE id = ?1", &st) < 0)
		return NULL;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW)
		name = strdup((const char *)sqlite3_column_text(st, 0));
	archive_stmt_done(st);
	return name;
}
