/*
 * rename(2): moves inside the tree, a save by rename (the replaced record
 * keeps its id, the new content becomes its next version), an editor's swap
 * back, and GIO's trash by a move into /.Trash-UID/files.
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
#include "journal_i.h"
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


/*
 * ---- gio trash: the caller's /.Trash-UID (core/trash/xdg_ops.c) ----
 * GIO trashes a file by renaming it into /.Trash-UID/files: for a record
 * that is exactly an unlink. Moves out of files/ (restores) and GIO's
 * .trashinfo files are core/trash/'s.
 */
static int rename_xdg(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *name, uint64_t newparent,
		      const char *newname, unsigned flags)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	if (ino_is_virtual(parent))
		return trash_xdg_rename(a, who, parent, name, newparent,
					newname, flags);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "unlink", parent, name, rc);
	if ((rc = trash_xdg_may_take(who, newparent, 0)) == 0)
		rc = tree_remove_file(a, who, parent, nfc,
				 "moved to .Trash-UID/files");
	if (rc == DOSSIER_EISDIR)	/* a folder: the trash says why not */
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
	    (rc = archive_delete_node(a, src->id)) < 0)
		return rc;
	if (renameat(a->contentfd, from, a->contentfd, to) < 0) {
		dossier_error_set("cannot move content: %s", strerror(errno));
		return dossier_err_from_errno(errno);
	}
	retarget_files(a, src->id, dst->id);
	return archive_bump_cgen(a, dst->id);
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
	char *rname = NULL;
	int rc;

	if ((rc = archive_get_node(a, rid, &r)) < 0)
		return rc;
	rname = archive_node_name(a, rid);
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
		rc = tree_derive_from(a, src->id, rid);
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

/* One record replaces another: the replaced one is deleted. */
static int delete_replaced(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *dst, int64_t t)
{
	char *old_path = archive_node_path(a, dst->id);
	int rc = tree_trash_node(a, dst, who, t);

	if (rc == 0)
		rc = archive_journal(a, dst->id, "delete", old_path, NULL, NULL,
				     NULL, who, NULL, t);
	free(old_path);
	return rc;
}

/* Excel: the original rid was deleted, the temp n takes its name. */
static int save_over_deleted(struct dossier_archive *a,
			     const struct dossier_caller *who,
			     const struct node *n, uint64_t rid, int64_t t)
{
	struct node r;
	int rc;

	if ((rc = archive_get_node(a, rid, &r)) == 0 &&
	    (rc = tree_undelete(a, rid)) == 0 &&
	    (rc = replace_content(a, n, &r)) == 0)
		rc = journal_content(a, rid, "save", -1, who, NULL, t);
	return rc;
}

/* A scratch file moves; a temp renamed to a real name becomes a record. */
static int move_scratch(struct dossier_archive *a,
			const struct dossier_caller *who, const struct node *n,
			uint64_t newparent, const char *nnfc, int to_scratch,
			int64_t t)
{
	int rc = move_node(a, n->id, newparent, nnfc, DOSSIER_KIND_FILE,
			   to_scratch, t);

	if (rc == 0)
		rc = archive_take_name(a, who, n->id, newparent, nnfc, t);
	/* a temp renamed to a real name becomes a record (rsync) */
	if (rc == 0 && !to_scratch)
		rc = journal_content(a, n->id, "create", -1, who, NULL, t);
	return rc;
}

/*
 * Records stay records; a record renamed to a scratch name (vim's NAME~,
 * Word's ~WRL*.tmp) may come back.
 */
static int move_record(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       uint64_t newparent, const char *nnfc, int to_scratch,
		       int64_t t)
{
	char *old_path = archive_node_path(a, n->id);
	int rc = move_node(a, n->id, newparent, nnfc, DOSSIER_KIND_FILE, 0, t);

	if (rc == 0)
		rc = archive_take_name(a, who, n->id, newparent, nnfc, t);
	if (rc == 0)
		rc = archive_exec(a, "UPDATE node SET prev_name = ?, "
			       "displaced_ns = ?, displaced_by = ? "
			       "WHERE id = ?", "tiii",
			       to_scratch ? strrchr(old_path, '/') + 1 : NULL,
			       to_scratch ? t : (int64_t)0,
			       (int64_t)who->uid, (int64_t)n->id);
	if (rc == 0)
		rc = journal_plain(a, n->id, "rename", old_path, who, t);
	free(old_path);
	return rc;
}

static int rename_file(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       uint64_t newparent, const char *nnfc, int have_dst,
		       const struct node *dst, int64_t t)
{
	uint64_t rid;
	int rc, to_scratch = archive_is_scratch_name(a, nnfc);

	if (have_dst && access_is_save_source(n)) {
		/* gio, LibreOffice, rsync: temp renamed onto the record */
		if ((rc = replace_content(a, n, dst)) == 0)
			rc = journal_content(a, dst->id, "save", -1, who, NULL,
					     t);
		return rc;
	}
	if (have_dst) {
		if ((rc = delete_replaced(a, who, dst, t)) < 0)
			return rc;
	} else if (access_is_save_source(n) &&
		   (rid = tree_recently_deleted(a, who, newparent, nnfc, t))) {
		return save_over_deleted(a, who, n, rid, t);
	} else if (access_is_save_source(n) &&
		   (rid = tree_recently_displaced(a, who, newparent, nnfc, t)) &&
		   rid != n->id) {
		/* Word: the original was renamed away, the temp takes its name */
		if ((rc = swap_back(a, n, rid, newparent, nnfc, t)) == 0)
			rc = journal_content(a, rid, "save", -1, who, NULL, t);
		return rc;
	}
	if (n->scratch)
		return move_scratch(a, who, n, newparent, nnfc, to_scratch, t);
	return move_record(a, who, n, newparent, nnfc, to_scratch, t);
}

/* A folder moves to newparent/nnfc as kind, replacing dst if not NULL. */
static int rename_dir(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      uint64_t newparent, const char *nnfc, int kind,
		      const struct node *dst, int64_t t)
{
	char *path, *old_path = archive_node_path(a, n->id);
	int rc = 0;

	if (dst)
		rc = tree_remove_dir(a, dst, who, t);
	if (rc == 0)
		rc = move_node(a, n->id, newparent, nnfc, kind,
			       archive_is_scratch_name(a, nnfc), t);
	if (rc == 0)
		rc = archive_take_name(a, who, n->id, newparent, nnfc, t);
	if (rc == 0) {
		path = archive_node_path(a, n->id);
		rc = archive_journal(a, n->id, "move", path, old_path, NULL,
				     NULL, who, NULL, t);
		free(path);
	}
	free(old_path);
	return rc;
}

/*
 * Whether n may move under np, and as what kind (*kind): the shape of the
 * tree decides, before anyone's rights.
 */
static int check_move(struct dossier_archive *a, const struct node *n,
		      const struct node *np, int *kind)
{
	if (np->deleted)
		return DOSSIER_ENOTFOUND;
	if (np->kind == DOSSIER_KIND_FILE)
		return DOSSIER_ENOTDIR;
	if (n->kind <= DOSSIER_KIND_CATEGORY) {
		dossier_error_set("years and categories cannot be renamed or "
				  "moved");
		return DOSSIER_ESTRUCTURE;
	}
	if (n->kind == DOSSIER_KIND_FILE) {
		*kind = DOSSIER_KIND_FILE;
		if (dossier_kind_holds_files(np->kind))
			return 0;
		dossier_error_set("files live inside a client folder");
		return DOSSIER_ESTRUCTURE;
	}
	*kind = tree_child_dir_kind(np->kind);
	if (*kind != DOSSIER_KIND_CLIENT && *kind != DOSSIER_KIND_FOLDER) {
		dossier_error_set("only years may sit at the top and "
				  "only categories in a year");
		return DOSSIER_ESTRUCTURE;
	}
	if (archive_is_ancestor(a, n->id, np->id)) {
		dossier_error_set("cannot move a folder into itself");
		return DOSSIER_EINVAL;
	}
	return 0;
}

/* Whether n may replace dst, visible to who in folder np. */
static int may_replace(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       const struct node *np, const struct node *dst,
		       unsigned flags)
{
	int rc;

	if (flags & DOSSIER_RENAME_NOREPLACE)
		return DOSSIER_EEXISTS;
	if (dst->kind == DOSSIER_KIND_FILE && n->kind != DOSSIER_KIND_FILE)
		return DOSSIER_ENOTDIR;
	if (dst->kind != DOSSIER_KIND_FILE && n->kind == DOSSIER_KIND_FILE)
		return DOSSIER_EISDIR;
	if (dst->kind != DOSSIER_KIND_FILE && archive_has_child(a, dst->id, 0))
		return DOSSIER_ENOTEMPTY;
	/* a save by rename writes the record; any other replacing
	 * rename deletes it */
	if (dst->kind == DOSSIER_KIND_FILE && access_is_save_source(n))
		rc = archive_decide(a, who, dst, NULL, DOSSIER_ACT_WRITE);
	else
		rc = archive_decide(a, who, dst, np, DOSSIER_ACT_DELETE);
	if (rc < 0)
		return rc;
	/* replacing a record that is not a save deletes it */
	if (dst->kind == DOSSIER_KIND_FILE && !access_is_save_source(n) &&
	    (rc = trash_may_delete(a, dst)) < 0)
		return rc;
	return 0;
}

/* The move itself, in one transaction; dst (if not NULL) is replaced. */
static int move_entry(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      uint64_t parent, uint64_t newparent, const char *nnfc,
		      int kind, const struct node *dst, int64_t t)
{
	int rc;

	if ((rc = archive_begin(a)) < 0)
		return rc;
	if (n->kind == DOSSIER_KIND_FILE)
		rc = rename_file(a, who, n, newparent, nnfc, dst != NULL, dst,
				 t);
	else
		rc = rename_dir(a, who, n, newparent, nnfc, kind, dst, t);
	if (rc == 0)
		rc = archive_touch_node(a, parent, t);
	if (rc == 0 && newparent != parent)
		rc = archive_touch_node(a, newparent, t);
	return archive_end(a, rc);
}

/* The audit row of a rename of n to what holds its content now, to. */
static void audit_rename(struct dossier_archive *a,
			 const struct dossier_caller *who, const char *nfc,
			 uint64_t to)
{
	char *path = archive_node_path(a, to);

	audit_record(a->audit, who, "rename", nfc, 1, 0, path);
	free(path);
}

int dossier_archive_rename(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name, uint64_t newparent,
			   const char *newname, unsigned flags)
{
	const struct subtree *s, *ns;
	char nfc[DOSSIER_NAME_MAX + 1], nnfc[DOSSIER_NAME_MAX + 1];
	struct node p, np, n, dst;
	int rc, have_dst, kind = 0;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);
	newparent = node_of(newparent);
	s = subtree_of(parent);
	ns = subtree_of(newparent);

	dossier_error_clear();
	if (s == &subtree_xdg || ns == &subtree_xdg)
		return rename_xdg(a, who, parent, name, newparent, newname,
				  flags);
	if (s && s->move_out && !ns)
		return s->move_out(a, who, parent, name, newparent, newname);
	if (s || ns)
		return tree_virtual_readonly(a, who, "rename", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "rename", parent, name, rc);
	if ((rc = dossier_name_normalize(nnfc, sizeof(nnfc), newname)) < 0)
		return archive_deny(a, who, "rename", newparent, newname, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 ||
	    (rc = archive_get_node(a, newparent, &np)) < 0 ||
	    (rc = archive_find_visible(a, who, parent, nfc, &n)) < 0 ||
	    (rc = check_move(a, &n, &np, &kind)) < 0 ||
	    (rc = archive_decide(a, who, &n, &p, DOSSIER_ACT_DELETE)) < 0 ||
	    (rc = archive_decide(a, who, &np, NULL, DOSSIER_ACT_CREATE)) < 0)
		goto unlock;
	/* a name taken only by what who may not see is free for who */
	have_dst = archive_find_visible(a, who, newparent, nnfc, &dst) == 0;
	if (have_dst && dst.id == n.id) {
		rc = 0;		/* same entry (or another spelling of it) */
		if (strcmp(nfc, nnfc) == 0 || parent != newparent)
			goto unlock;
		have_dst = 0;
	}
	if (have_dst && (rc = may_replace(a, who, &n, &np, &dst, flags)) < 0)
		goto unlock;
	rc = move_entry(a, who, &n, parent, newparent, nnfc, kind,
			have_dst ? &dst : NULL, t);
	if (rc == 0 && a->audit && !n.scratch)
		audit_rename(a, who, nfc,
			     have_dst && access_is_save_source(&n) ? dst.id :
								     n.id);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? archive_deny(a, who, "rename", parent, nfc, rc) : 0;
}
