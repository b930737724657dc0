/*
 * The /.trash view: a deleted record under the folders it was deleted
 * from, named so that collisions stay distinct and stable, read-only.
 */
#include "trash_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access_i.h"
#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "name.h"

int trash_is_view(uint64_t ino)
{
	return ino == INO_TRASH || VIRT_KIND(ino) == 3;
}

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

	trash_fmt_time(stamp, sizeof(stamp), deleted_ns, 1);
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

int trash_name_entries(struct trash_entry *e, size_t n)
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

int trash_add_entry(struct trash_entry **e, size_t *n, size_t *cap,
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

/*
 * The rows of trash folder dir that who may list: records deleted in it,
 * and the folders on the way to records deleted further down (name NULL,
 * filled in by fill_folders()). Lock held.
 */
static int read_rows(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t dir,
		     struct trash_entry **e, size_t *ne)
{
	const int base = ARCHIVE_NODE_NCOLS;
	sqlite3_stmt *st = NULL;
	size_t cap = 0, i;
	int rc;

	if ((rc = trash_prepare_nodes(a, TRASH_UP, "up.child, name, "
				      "deleted_ns FROM up JOIN node ON "
				      "node.id = up.rec WHERE up.anc = ?1",
				      (int64_t)dir, &st)) < 0)
		return rc;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t child = (uint64_t)sqlite3_column_int64(st, base);
		struct node r;

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		if (child == r.id) {
			rc = trash_add_entry(e, ne, &cap, &r,
					     trash_col_dup(st, base + 1),
					     sqlite3_column_int64(st,
								  base + 2));
			if (rc == 0 && !(*e)[*ne - 1].name)
				rc = DOSSIER_ERROR;
			continue;
		}
		/* a folder on the way: listed once, filled in below */
		for (i = 0; i < *ne; i++)
			if (!(*e)[i].name && (*e)[i].n.id == child)
				break;
		if (i == *ne) {
			r.id = child;
			rc = trash_add_entry(e, ne, &cap, &r, NULL, 0);
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* The rows and names of the folders read_rows() left unnamed. */
static int fill_folders(struct dossier_archive *a, struct trash_entry *e,
			size_t n)
{
	struct trash_deletion d;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		if (e[i].name)
			continue;
		if ((rc = archive_get_node(a, e[i].n.id, &e[i].n)) < 0 ||
		    (rc = trash_deletion_get(a, e[i].n.id, &d)) < 0)
			break;
		e[i].name = d.name;
		e[i].deleted_ns = d.deleted_ns;
		d.name = NULL;
		trash_deletion_release(&d);
	}
	return rc;
}

int trash_dir_read(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, struct trash_entry **out, size_t *n)
{
	struct trash_entry *e = NULL;
	size_t ne = 0;
	uint64_t dir;
	int rc;

	*out = NULL;
	*n = 0;
	if (ino == INO_TRASH)
		dir = DOSSIER_ROOT_ID;
	else if (VIRT_KIND(ino) == 3)
		dir = TRASH_ID(ino);
	else
		return DOSSIER_ENOTFOUND;
	if ((rc = read_rows(a, who, dir, &e, &ne)) < 0 ||
	    (rc = fill_folders(a, e, ne)) < 0 ||
	    (rc = trash_name_entries(e, ne)) < 0)
		goto out;
	if (ne == 0 && ino != INO_TRASH) {
		rc = DOSSIER_ENOTFOUND;
		goto out;
	}
	*out = e;
	*n = ne;
	e = NULL;
	ne = 0;
out:
	trash_entries_free(e, ne);
	return rc;
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
		    trash_is_purging(a, out->n.id))
			return DOSSIER_ENOTFOUND;
		out->deleted_ns = trash_query_int(a, "SELECT deleted_ns FROM "
						  "node WHERE id = ?1",
						  (int64_t)out->n.id, 0);
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
	out->deleted_ns = trash_query_int(a, "SELECT deleted_ns FROM node "
					  "WHERE id = ?1", (int64_t)out->n.id,
					  0);
	return 0;
}

void trash_record_attr(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       int64_t deleted_ns, struct dossier_attr *out)
{
	struct stat *st = &out->st;
	struct stat cst;
	char rel[64];
	mode_t mode = archive_decide(a, who, n, NULL, DOSSIER_ACT_READ) == 0 ? 0444 : 0;

	dossier_error_clear();
	trash_file_attr(out, TRASH_INO(n->id, deleted_ns), mode, n->uid,
			n->gid);
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
		goto out;
	}
	content_relpath(rel, sizeof(rel), t.n.id);
	fd = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		dossier_error_set("cannot open content of %" PRIu64 ": %s",
				  t.n.id, strerror(errno));
		rc = DOSSIER_EIO;
		goto out;
	}
	audit_record(a->audit, who, "read", path, 1, 0, "from the trash");
	*fd_out = fd;
out:
	free(path);
	return rc;
}

/* The entry named comp of trash folder *ino: *out, and *ino becomes it. */
static int resolve_step(struct dossier_archive *a,
			const struct dossier_caller *who, const char *comp,
			uint64_t *ino, struct node *out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), comp)) < 0 ||
	    (rc = trash_dir_read(a, who, *ino, &e, &n)) < 0)
		return rc;
	rc = DOSSIER_ENOTFOUND;
	for (i = 0; i < n; i++)
		if (!strcmp(e[i].name, nfc)) {
			*out = e[i].n;
			*ino = TRASH_BASE | e[i].n.id;
			rc = 0;
			break;
		}
	trash_entries_free(e, n);
	return rc;
}

int trash_view_resolve(struct dossier_archive *a,
		       const struct dossier_caller *who, const char *path,
		       struct node *out)
{
	char *copy = strdup(path), *comp, *save = NULL;
	uint64_t ino = INO_TRASH;
	int rc = 0;

	if (!copy)
		return DOSSIER_ERROR;
	strtok_r(copy, "/", &save);
	while (rc == 0 && (comp = strtok_r(NULL, "/", &save)))
		rc = resolve_step(a, who, comp, &ino, out);
	free(copy);
	if (rc == 0 && ino == INO_TRASH) {
		dossier_error_set("name a record or folder in the trash");
		rc = DOSSIER_EINVAL;
	}
	return rc;
}
