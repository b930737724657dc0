/*
 * The tree's shape: mkdir (years, clients, folders; categories are fixed),
 * rmdir and unlink (a record goes to the trash, a scratch file away).
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


/* The kind a new folder gets under a parent of kind pk, or -1. */
int tree_child_dir_kind(int pk)
{
	switch (pk) {
	case DOSSIER_KIND_ROOT: return DOSSIER_KIND_YEAR;
	case DOSSIER_KIND_YEAR: return DOSSIER_KIND_CATEGORY;
	case DOSSIER_KIND_CATEGORY: return DOSSIER_KIND_CLIENT;
	default: return DOSSIER_KIND_FOLDER;
	}
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
		rc = archive_insert_node(a, year, cats[i].name, DOSSIER_KIND_CATEGORY,
				 cats[i].id, 0, S_IFDIR | 01777, 0, 0, t, NULL);
	return rc;
}

/*
 * Whether a folder nfc of kind (what parent's kind allows) may be made
 * there: the shape of the tree decides.
 */
static int check_mkdir(struct dossier_archive *a, uint64_t parent,
		       const char *nfc, int kind)
{
	struct node n;

	if (kind == DOSSIER_KIND_YEAR && nfc[0] == '.') {
		/* file managers' .Trash-UID: deletes here are soft anyway */
		dossier_error_set("only year folders live at the top; deleted "
				  "records are in /.trash");
		return DOSSIER_ESTRUCTURE;
	}
	if (kind == DOSSIER_KIND_YEAR && !dossier_name_is_year(nfc)) {
		dossier_error_set("a year folder is named with four digits");
		return DOSSIER_EINVAL;
	}
	if (kind == DOSSIER_KIND_CATEGORY) {
		dossier_error_set("categories are fixed: add one with "
				  "'dossierctl category add'");
		return archive_find_child(a, parent, nfc, &n) == 0 ?
			       DOSSIER_EEXISTS : DOSSIER_ESTRUCTURE;
	}
	return 0;
}

int dossier_archive_mkdir(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *name, mode_t mode,
			  struct dossier_attr *out)
{
	const struct subtree *s;
	char nfc[DOSSIER_NAME_MAX + 1];
	struct node p, n;
	uint64_t id;
	int rc, kind;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);

	dossier_error_clear();
	if ((s = subtree_change_at(parent, name)))
		return s->mkdir ? s->mkdir(a, who, parent, name, out) :
				  tree_virtual_readonly(a, who, "mkdir", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "mkdir", parent, name, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_folder(a, parent, &p)) < 0)
		goto unlock;
	kind = tree_child_dir_kind(p.kind);
	if ((rc = check_mkdir(a, parent, nfc, kind)) < 0 ||
	    (rc = access_may_create(a, who, &p, nfc)) < 0 ||
	    (rc = archive_begin(a)) < 0)
		goto unlock;
	rc = archive_insert_node(a, parent, nfc, kind, 0, archive_is_scratch_name(a, nfc),
			 S_IFDIR | (mode & 07777), who->uid, who->gid, t, &id);
	if (rc == 0)
		rc = archive_take_name(a, who, id, parent, nfc, t);
	if (rc == 0 && kind == DOSSIER_KIND_YEAR)
		rc = insert_categories(a, id, t);
	if (rc == 0)
		rc = archive_touch_node(a, parent, t);
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
	int rc = archive_delete_node(a, n->id);

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
int tree_trash_node(struct dossier_archive *a, const struct node *n,
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
int tree_remove_dir(struct dossier_archive *a, const struct node *n,
		      const struct dossier_caller *who, int64_t t)
{
	if (!archive_has_child(a, n->id, 1))
		return archive_delete_node(a, n->id);
	return tree_trash_node(a, n, who, t);
}

/* Whether who may remove folder n from p. */
static int may_rmdir(struct dossier_archive *a,
		     const struct dossier_caller *who, const struct node *n,
		     const struct node *p)
{
	int rc;

	if (n->kind == DOSSIER_KIND_FILE)
		return DOSSIER_ENOTDIR;
	if (n->kind == DOSSIER_KIND_CATEGORY) {
		dossier_error_set("categories are fixed: remove the year or "
				  "use 'dossierctl category'");
		return DOSSIER_ESTRUCTURE;
	}
	if ((rc = archive_decide(a, who, n, p, DOSSIER_ACT_DELETE)) < 0)
		return rc;
	if ((rc = trash_may_delete(a, n)) < 0)
		return rc;
	return 0;
}

/*
 * A year goes with its categories, if they hold nothing: those are
 * removed. Lock held, in a transaction.
 */
static int remove_year_categories(struct dossier_archive *a,
				  const struct dossier_caller *who,
				  const struct node *year, int64_t t)
{
	sqlite3_stmt *st = a->st[ST_LIST];
	uint64_t cats[64];
	int ncat = 0, i, rc = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)year->id);
	while (sqlite3_step(st) == SQLITE_ROW && ncat < 64)
		cats[ncat++] = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (i = 0; i < ncat && rc == 0; i++)
		if (archive_has_child(a, cats[i], 0))
			rc = DOSSIER_ENOTEMPTY;
	for (i = 0; i < ncat && rc == 0; i++) {
		struct node c;

		if ((rc = archive_get_node(a, cats[i], &c)) == 0)
			rc = tree_remove_dir(a, &c, who, t);
	}
	return rc;
}

int dossier_archive_rmdir(struct dossier_archive *a,
			  const struct dossier_caller *who, uint64_t parent,
			  const char *name)
{
	const struct subtree *s;
	char nfc[DOSSIER_NAME_MAX + 1];
	struct node p, n;
	int rc;
	int64_t t = dossier_clock_ns();

	parent = node_of(parent);

	dossier_error_clear();
	if ((s = subtree_change_at(parent, name)))
		return s->remove ? s->remove(a, who, parent, name, 1) :
				   tree_virtual_readonly(a, who, "rmdir", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "rmdir", parent, name, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, parent, &p)) < 0 ||
	    (rc = archive_find_visible(a, who, parent, nfc, &n)) < 0 ||
	    (rc = may_rmdir(a, who, &n, &p)) < 0 ||
	    (rc = archive_begin(a)) < 0)
		goto unlock;
	if (n.kind == DOSSIER_KIND_YEAR)
		rc = remove_year_categories(a, who, &n, t);
	else if (archive_has_child(a, n.id, 0))
		rc = DOSSIER_ENOTEMPTY;
	if (rc == 0)
		rc = tree_remove_dir(a, &n, who, t);
	if (rc == 0)
		rc = archive_touch_node(a, parent, t);
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
int tree_remove_file(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, const char *detail)
{
	struct dossier_verdict v;
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
	if ((rc = archive_check(a, who, &n, DOSSIER_ACT_DELETE, &v)) < 0)
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

		rc = tree_trash_node(a, &n, who, t);
		if (rc == 0)
			rc = archive_journal(a, n.id, "delete", path, NULL,
					     NULL, NULL, who, NULL, t);
		if (rc == 0)
			audit_record(a->audit, who, "delete", path, 1, v.rule,
				     detail);
		free(path);
	}
	if (rc == 0)
		rc = archive_touch_node(a, parent, t);
	rc = archive_end(a, rc);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_unlink(struct dossier_archive *a,
			   const struct dossier_caller *who, uint64_t parent,
			   const char *name)
{
	const struct subtree *s;
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	parent = node_of(parent);

	dossier_error_clear();
	if ((s = subtree_change_at(parent, name)))
		return s->remove ? s->remove(a, who, parent, name, 0) :
				   tree_virtual_readonly(a, who, "unlink", parent);
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "unlink", parent, name, rc);
	rc = tree_remove_file(a, who, parent, nfc, NULL);
	return rc < 0 ? archive_deny(a, who, "unlink", parent, nfc, rc) : 0;
}
