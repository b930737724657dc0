/*
 * Folder listings (opendir/readdir): the entries a caller may list, names
 * shared by hidden entries shown as each caller should see them, and
 * virtual folders' listings from their subtree.
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


#define LIST_NAME_COL ARCHIVE_NODE_NCOLS

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
	memset(&l, 0, sizeof(l));
	pthread_mutex_lock(&a->lock);
	rc = subtree_of(id)->list(a, who, id, &l);
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

/* Room in d for one more entry (cap: what d->e holds). */
static int dir_grow(struct dossier_dir *d, size_t *cap)
{
	struct dir_entry *ne;

	if (d->n != *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 32;
	ne = realloc(d->e, *cap * sizeof(*ne));
	if (!ne)
		return DOSSIER_ERROR;
	d->e = ne;
	return 0;
}

/* The entries of folder id who may list, into d. Lock held. */
static int dir_list(struct dossier_archive *a,
		    const struct dossier_caller *who, uint64_t id,
		    struct dossier_dir *d)
{
	sqlite3_stmt *st = a->st[ST_LIST];
	struct node n;
	size_t cap = 0;
	int rc = 0, src;

	/* one indexed query for the whole folder */
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		archive_row_to_node(st, &n);
		if (archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
			continue;
		if ((rc = dir_grow(d, &cap)) < 0)
			break;
		dir_name(d, &n, (const char *)sqlite3_column_text(st,
							LIST_NAME_COL),
			 access_twin_masked(a, who, &n));
		if (archive_node_attr(a, who, &n, &d->e[d->n].attr) < 0)
			access_fill_attr(a, &n, &d->e[d->n].attr);
		dossier_error_clear();
		d->n++;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = dossier_db_err(a->db, src, "list folder");
	sqlite3_reset(st);
	return rc;
}

int dossier_dir_open(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t id,
		     struct dossier_dir **out)
{
	struct dossier_dir *d = NULL;
	struct node dn;
	int rc;

	id = node_of(id);

	dossier_error_clear();
	*out = NULL;
	if (ino_is_virtual(id))
		return dir_open_virtual(a, who, id, out);
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_get_node(a, id, &dn)) < 0)
		goto unlock;
	if (archive_decide(a, who, &dn, NULL, DOSSIER_ACT_LIST) < 0) {
		rc = DOSSIER_EHIDDEN;
		goto unlock;
	}
	if (dn.kind == DOSSIER_KIND_FILE) {
		rc = DOSSIER_ENOTDIR;
		goto unlock;
	}
	d = calloc(1, sizeof(*d));
	rc = d ? dir_list(a, who, id, d) : DOSSIER_ERROR;
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
