/*
 * Restoring deleted records and folders: a move out of /.trash or out of
 * /.Trash-UID/files, and 'dossierctl restore-deleted' (where it was).
 */
#include "trash_priv_i.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "access_i.h"
#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "journal_i.h"
#include "name.h"

int trash_may_restore(struct dossier_archive *a,
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
	if (trash_is_purging(a, r->id)) {
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
	struct trash_deletion d;
	char *path = NULL;
	int rc;

	if ((rc = trash_deletion_get(a, r->id, &d)) < 0)
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
	trash_deletion_release(&d);
	return rc;
}

/* The deleted entries of folder id, the latest deletion first. */
static int deleted_children(struct dossier_archive *a, uint64_t id,
			    struct trash_entry **e, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	if ((rc = trash_prepare_nodes(a, "", "name FROM node WHERE parent = "
				      "?1 AND deleted_ns IS NOT NULL AND "
				      "scratch = 0 ORDER BY deleted_ns DESC",
				      (int64_t)id, &st)) < 0)
		return rc;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct node r;

		archive_row_to_node(st, &r);
		rc = trash_add_entry(e, n, &cap, &r,
				     trash_col_dup(st, ARCHIVE_NODE_NCOLS), 0);
		if (rc == 0 && !(*e)[*n - 1].name)
			rc = DOSSIER_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

static int undelete_folder(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *f, uint64_t np, const char *nfc,
			   int kind, int64_t t);

/*
 * Bring back what of revived folder f is in the trash and who may
 * restore, wherever its name is free: the latest deletion of a name wins,
 * the rest stay in the trash. Lock held, in the caller's transaction.
 */
static int undelete_children(struct dossier_archive *a,
			     const struct dossier_caller *who,
			     const struct node *f, int64_t t)
{
	struct trash_entry *e = NULL;
	struct node live;
	size_t n = 0, i;
	int rc;

	if ((rc = deleted_children(a, f->id, &e, &n)) < 0)
		goto out;
	for (i = 0; rc == 0 && i < n; i++) {
		if (archive_find_child(a, f->id, e[i].name, &live) == 0)
			continue;
		dossier_error_clear();
		if (e[i].n.kind != DOSSIER_KIND_FILE) {
			rc = undelete_folder(a, who, &e[i].n, f->id, e[i].name,
					     DOSSIER_KIND_FOLDER, t);
		} else if (trash_may_restore(a, who, &e[i].n, NULL) < 0) {
			dossier_error_clear();
		} else {
			rc = undelete_record(a, who, &e[i].n, f->id, e[i].name,
					     t);
		}
	}
out:
	trash_entries_free(e, n);
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
	int rc;

	rc = archive_exec(a, "UPDATE node SET parent = ?, name = ?, kind = ?,"
			  " deleted_ns = NULL, deleted_by = NULL, deleted_path"
			  " = NULL, ctime_ns = ? WHERE id = ?", "itiii",
			  (int64_t)np, nfc, (int64_t)kind, t, (int64_t)f->id);
	if (rc == 0)
		rc = archive_take_name(a, who, f->id, np, nfc, t);
	if (rc == 0)
		rc = touch(a, np, t);
	if (rc == 0)
		rc = undelete_children(a, who, f, t);
	return rc;
}

int trash_restore_entry(struct dossier_archive *a,
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
		if ((rc = trash_may_restore(a, who, &t->n, &np)) < 0)
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

int trash_restore_done(struct dossier_archive *a,
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
		rc = t ? trash_restore_entry(a, who, t, newparent, nnfc) :
			 DOSSIER_ENOTFOUND;
	}
	pthread_mutex_unlock(&a->lock);
	trash_entries_free(e, n);
	return trash_restore_done(a, who, parent, nfc, rc);
}

/*
 * A revived year brings every category with it, as mkdir of a year does
 * (tree/structure.c): its deleted category rows come back, missing ones are
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
 * The deleted folders above r, nearest first: chain[0..*depth); *at is
 * the live folder above them.
 */
static int deleted_above(struct dossier_archive *a, const struct node *r,
			 uint64_t *chain, int max, int *depth, uint64_t *at)
{
	struct node f;
	int rc;

	*depth = 0;
	for (*at = r->parent; *depth < max; *at = f.parent) {
		if ((rc = archive_get_node(a, *at, &f)) < 0)
			return rc;
		if (!f.deleted)
			return 0;
		chain[(*depth)++] = *at;
	}
	return DOSSIER_ERROR;
}

/*
 * Revive deleted folder id in *at, or join the live folder of its name
 * that took its place: *at becomes the one the path goes on in.
 */
static int revive_folder(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t id,
			 uint64_t *at, int64_t t)
{
	struct trash_deletion d;
	struct node f, live;
	int rc;

	if ((rc = archive_get_node(a, id, &f)) < 0 ||
	    (rc = trash_deletion_get(a, id, &d)) < 0)
		return rc;
	if (archive_find_visible(a, who, *at, d.name, &live) == 0) {
		*at = live.id;
		goto out;
	}
	dossier_error_clear();
	rc = archive_exec(a, "UPDATE node SET parent = ?, deleted_ns = NULL, "
			  "deleted_by = NULL, deleted_path = NULL, ctime_ns = "
			  "? WHERE id = ?", "iii", (int64_t)*at, t,
			  (int64_t)id);
	if (rc == 0)
		rc = archive_take_name(a, who, id, *at, d.name, t);
	*at = id;
	if (rc == 0 && f.kind == DOSSIER_KIND_YEAR)
		rc = revive_categories(a, id, t);
out:
	trash_deletion_release(&d);
	return rc;
}

/* Bring r back into folder at under the name it had. */
static int undelete_at(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *r,
		       uint64_t at, int64_t t)
{
	struct trash_deletion d;
	struct node live;
	char *p = NULL;
	int rc;

	if ((rc = trash_deletion_get(a, r->id, &d)) < 0)
		return rc;
	if (archive_find_visible(a, who, at, d.name, &live) == 0) {
		p = archive_node_path(a, live.id);
		dossier_error_set("'%s' exists: restore it under another name "
				  "with mv from /.trash", p ? p : d.name);
		rc = DOSSIER_EEXISTS;
	} else if (r->kind == DOSSIER_KIND_FILE) {
		dossier_error_clear();
		rc = undelete_record(a, who, r, at, d.name, t);
	} else {
		dossier_error_clear();
		rc = undelete_folder(a, who, r, at, d.name, r->kind, t);
	}
	free(p);
	trash_deletion_release(&d);
	return rc;
}

int trash_restore_in_place(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *r, int64_t t)
{
	uint64_t chain[64], at;
	int depth, rc, i;

	if ((rc = deleted_above(a, r, chain, 64, &depth, &at)) < 0)
		return rc;
	/* from the top: revive each folder or join the live one */
	for (i = depth - 1; i >= 0 && rc == 0; i--)
		rc = revive_folder(a, who, chain[i], &at, t);
	if (rc == 0)
		rc = undelete_at(a, who, r, at, t);
	/* deleted folders the record left behind, if now empty */
	if (rc == 0 && depth > 0)
		rc = trash_prune_folders(a, r->parent);
	return rc;
}
