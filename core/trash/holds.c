/*
 * Legal holds and destruction approvals: what keeps a record from being
 * deleted or destroyed, and what lets a classified one go.
 */
#include "trash_priv_i.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "db_i.h"
#include "error.h"

int trash_find_hold(struct dossier_archive *a, uint64_t id,
		    struct trash_hold *out)
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
		     const struct trash_hold *h)
{
	char by[64], when[32], *path = archive_node_path(a, id);

	trash_user_name(a, h->by, by, sizeof(by));
	trash_fmt_time(when, sizeof(when), h->held_ns, 0);
	dossier_error_set("'%s' is under legal hold %" PRId64 "%s%s%s (placed"
			  " by %s on %s: %s); 'dossierctl release' lifts it",
			  path ? path : "?", h->id, h->node != id ? " on '" :
			  "", h->node != id ? h->path : "", h->node != id ?
			  "'" : "", by, when, h->reason);
	free(path);
}

int trash_may_delete(struct dossier_archive *a, const struct node *n)
{
	struct trash_hold h;
	int rc = trash_find_hold(a, n->id, &h);

	if (rc <= 0)
		return rc;
	say_held(a, n->id, &h);
	return DOSSIER_ESTRUCTURE;
}

int trash_find_approval(struct dossier_archive *a, uint64_t id, char *approver,
			size_t approversz, char **reason)
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
			*reason = trash_col_dup(st, 1);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}
