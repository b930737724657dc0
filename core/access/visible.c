/*
 * Names as a caller sees them: a name shared by entries hidden from each
 * other (polyinstantiation, docs/design.md) resolves to the one the caller
 * may list, a name held only by hidden entries is free, and a second entry
 * of a name is shown as "STEM (#ID).EXT".
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
		    archive_decide(a, who, out, NULL, DOSSIER_ACT_LIST) == 0)
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
int access_twin_masked(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n)
{
	struct node o;
	int masked;

	if (!n->twin_of || archive_get_node(a, (uint64_t)n->twin_of, &o) < 0) {
		dossier_error_clear();
		return 0;
	}
	masked = archive_decide(a, who, &o, NULL, DOSSIER_ACT_LIST) == 0;
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
		if (archive_decide(a, who, out, NULL, DOSSIER_ACT_LIST) < 0)
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
		if (!access_twin_masked(a, who, &rows[i])) {
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
		if (archive_decide(a, who, out, NULL, DOSSIER_ACT_LIST) == 0)
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
		    archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
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

int access_may_create(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *p,
		      const char *nfc)
{
	struct node n;
	int rc;

	if ((rc = archive_decide(a, who, p, NULL, DOSSIER_ACT_CREATE)) < 0)
		return rc;
	return archive_find_visible(a, who, p->id, nfc, &n) == 0 ?
		       DOSSIER_EEXISTS : 0;
}
