/*
 * The history view: /.history mirrors the tree, a record's folder there
 * lists its versions as read-only files, each a private copy of the bytes
 * git holds. One of subtree.c's subtrees.
 */
#include "views_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"
#include "name.h"
#include "snapshots_i.h"
#include "trash_i.h"
#include "access_i.h"
#include "version_name.h"

#define TTL_VIRT 0.0

/* Versions of a record with content, oldest first: one indexed query. */
struct vrow {
	int64_t id;
	char name[128];
	int64_t size;
	int64_t time_ns;
};

static int list_versions(struct dossier_archive *a, const struct node *rec,
			 const char *rec_name, struct vrow **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = dossier_db_prepare(a->db, "SELECT id, commit_oid, size, "
				     "time_ns FROM version WHERE record = ?1 "
				     "AND blob IS NOT NULL ORDER BY id",
				     &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rec->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct vrow *v;

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(*out, cap * sizeof(**out));
			if (!v) {
				rc = DOSSIER_ERROR;
				break;
			}
			*out = v;
		}
		v = &(*out)[(*n)++];
		v->id = sqlite3_column_int64(st, 0);
		dossier_version_name(v->name, sizeof(v->name),
				     sqlite3_column_int64(st, 3),
				     (const char *)sqlite3_column_text(st, 1),
				     rec_name);
		v->size = sqlite3_column_int64(st, 2);
		v->time_ns = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	return rc;
}

static void version_attr(const struct node *rec, const struct vrow *v,
			 struct dossier_attr *out)
{
	views_version_attr(rec, v->id, v->size, v->time_ns, out);
}

/*
 * The history view of a child of folder parent as who sees it: the live
 * entry of that name, else the most recently deleted record of that name,
 * the first of them who may list (names are shared by records hidden from
 * each other). Scratch files and records never committed have no history.
 */
static int history_child(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t parent,
			 const char *nfc, struct node *out)
{
	return archive_first_listed(a, who, parent, nfc, "scratch = 0 AND "
				    "(kind < 5 OR hist_rec IS NOT NULL) ORDER "
				    "BY deleted_ns IS NOT NULL, deleted_ns "
				    "DESC, id", out);
}

/* The folder whose history view ino is, *dir; -1 if ino is no folder. */
static int hist_dir(uint64_t ino, uint64_t *dir)
{
	if (ino == INO_HISTORY)
		*dir = DOSSIER_ROOT_ID;
	else if (VIRT_KIND(ino) == 1)
		*dir = VIRT_ID(ino);
	else
		return -1;
	return 0;
}

int hist_lookup(struct dossier_archive *a, const struct dossier_caller *who,
		uint64_t parent, const char *nfc, struct dossier_attr *out)
{
	struct node p, n;
	uint64_t dir;
	int rc;

	if (hist_dir(parent, &dir) < 0)
		return DOSSIER_ENOTFOUND;
	if ((rc = archive_get_node(a, dir, &p)) < 0)
		return rc;
	if (p.kind == DOSSIER_KIND_FILE) {
		struct vrow *v = NULL;
		char *rname = archive_node_name(a, p.id);
		size_t nv = 0, i;

		rc = DOSSIER_ENOTFOUND;
		if (rname && (rc = views_may_see_history(a, who, &p)) == 0 &&
		    (rc = list_versions(a, &p, rname, &v, &nv)) == 0) {
			rc = DOSSIER_ENOTFOUND;
			for (i = 0; i < nv; i++)
				if (!strcmp(v[i].name, nfc)) {
					version_attr(&p, &v[i], out);
					rc = 0;
					break;
				}
		}
		free(v);
		free(rname);
		return rc;
	}
	if ((rc = history_child(a, who, dir, nfc, &n)) < 0)
		return rc;
	if (archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	views_dir_attr(HIST_DIR_BASE | n.id, out);
	out->st.st_uid = n.uid;
	out->st.st_gid = n.gid;
	return 0;
}

int hist_getattr(struct dossier_archive *a, const struct dossier_caller *who,
		 uint64_t ino, struct dossier_attr *out)
{
	struct node n;
	sqlite3_stmt *st = NULL;
	int rc;

	if (ino == INO_HISTORY) {
		views_dir_attr(ino, out);
		return 0;
	}
	if (VIRT_KIND(ino) == 1) {
		if ((rc = archive_get_node(a, VIRT_ID(ino), &n)) < 0)
			return rc;
		if (archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
			return DOSSIER_EHIDDEN;
		views_dir_attr(ino, out);
		out->st.st_uid = n.uid;
		out->st.st_gid = n.gid;
		return 0;
	}
	if (VIRT_KIND(ino) != 2)
		return DOSSIER_ENOTFOUND;
	if ((rc = dossier_db_prepare(a->db, "SELECT record, commit_oid, size, "
				     "time_ns FROM version WHERE id = ?1",
				     &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)VIRT_ID(ino));
	rc = DOSSIER_ENOTFOUND;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    archive_get_node(a, (uint64_t)sqlite3_column_int64(st, 0), &n) == 0 &&
	    (rc = views_may_see_history(a, who, &n)) == 0) {
		struct vrow v;

		v.id = (int64_t)VIRT_ID(ino);
		v.size = sqlite3_column_int64(st, 2);
		v.time_ns = sqlite3_column_int64(st, 3);
		v.name[0] = '\0';
		version_attr(&n, &v, out);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The versions of record p, as the files of its .history folder. */
static int list_record_versions(struct dossier_archive *a,
				const struct dossier_caller *who,
				const struct node *p, struct view_list *out)
{
	struct dossier_attr at;
	struct vrow *v = NULL;
	char *rname = archive_node_name(a, p->id);
	size_t nv = 0, i;
	int rc;

	if (!rname)
		return DOSSIER_ENOTFOUND;
	if ((rc = views_may_see_history(a, who, p)) == 0 &&
	    (rc = list_versions(a, p, rname, &v, &nv)) == 0)
		for (i = 0; i < nv && rc == 0; i++) {
			version_attr(p, &v[i], &at);
			rc = view_list_add(out, v[i].name, &at);
		}
	free(v);
	free(rname);
	return rc;
}

/* The .history folders of folder dir's entries who may list. */
static int list_history_folder(struct dossier_archive *a,
			       const struct dossier_caller *who, uint64_t dir,
			       struct view_list *out)
{
	struct dossier_attr at;
	struct node n;
	sqlite3_stmt *st = NULL;
	char sql[512], last[DOSSIER_NAME_MAX + 1] = "";
	int rc;

	/* live entries first; a deleted record shows if its name is free */
	snprintf(sql, sizeof(sql), "SELECT %s, name FROM node WHERE parent = "
		 "?1 AND scratch = 0 AND (kind < 5 OR hist_rec IS NOT NULL) "
		 "ORDER BY name, deleted_ns IS NOT NULL, deleted_ns DESC",
		 archive_node_cols);
	if ((rc = dossier_db_prepare(a->db, sql, &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dir);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(
			st, ARCHIVE_NODE_NCOLS);

		archive_row_to_node(st, &n);
		if (!strcmp(name, last) ||
		    archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) < 0)
			continue;
		snprintf(last, sizeof(last), "%s", name);
		views_dir_attr(HIST_DIR_BASE | n.id, &at);
		at.st.st_uid = n.uid;
		at.st.st_gid = n.gid;
		rc = view_list_add(out, name, &at);
	}
	sqlite3_finalize(st);
	return rc;
}

int hist_list(struct dossier_archive *a, const struct dossier_caller *who,
	      uint64_t ino, struct view_list *out)
{
	struct node p;
	uint64_t dir;
	int rc;

	memset(out, 0, sizeof(*out));
	if (hist_dir(ino, &dir) < 0)
		return DOSSIER_ENOTDIR;
	if ((rc = archive_get_node(a, dir, &p)) < 0)
		return rc;
	if (p.kind == DOSSIER_KIND_FILE)
		return list_record_versions(a, who, &p, out);
	if (archive_decide(a, who, &p, NULL, DOSSIER_ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	return list_history_folder(a, who, dir, out);
}

/*
 * Version row id: its blob (hex) and commit, its record *n, and who's
 * right to read past versions of it (*rule: the rule that decided).
 */
static int version_row(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t id,
		       char hex[41], char commit[41], struct node *n,
		       int64_t *rule)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(a->db, "SELECT record, blob, commit_oid "
				     "FROM version WHERE id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = DOSSIER_ENOTFOUND;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1) &&
	    archive_get_node(a, (uint64_t)sqlite3_column_int64(st, 0),
			     n) == 0) {
		snprintf(hex, 41, "%s", sqlite3_column_text(st, 1));
		snprintf(commit, 41, "%s", sqlite3_column_text(st, 2));
		/* the history right is the right to read past versions */
		rc = views_history_right(a, who, n, rule);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Blob hex written out into a new anonymous file, open as *out. */
static int version_file(struct dossier_archive *a, const char *hex, int *out)
{
	struct dossier_oid blob;
	int rc, fd;

	if ((rc = dossier_oid_parse(&blob, hex)) < 0)
		return rc;
	/* an anonymous disk file: versions can be hundreds of MiB */
	fd = openat(a->rootfd, "spool", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		dossier_error_set("cannot make a version file: %s",
				  strerror(errno));
		return dossier_err_from_errno(errno);
	}
	history_git_lock(a->history);
	rc = dossier_git_blob_to_fd(history_git(a->history), &blob, fd);
	history_git_unlock(a->history);
	if (rc < 0) {
		close(fd);
		if (rc == DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			dossier_error_set("this version was destroyed");
		}
		return rc;
	}
	*out = fd;
	return 0;
}

int hist_open(struct dossier_archive *a, const struct dossier_caller *who,
	      uint64_t ino, int flags, int *fd_out, int *is_ctl)
{
	char hex[41] = "", commit[41] = "", detail[64], *path;
	struct node n;
	int rc, fd = -1;
	int64_t rule = 0;

	*fd_out = -1;
	*is_ctl = 0;
	if (ino == INO_HISTORY || VIRT_KIND(ino) == 1)
		return DOSSIER_EISDIR;
	if (VIRT_KIND(ino) != 2)
		return DOSSIER_ENOTFOUND;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
		dossier_error_set("versions in .history are read-only");
		return DOSSIER_EREADONLY;
	}
	if ((rc = version_row(a, who, VIRT_ID(ino), hex, commit, &n,
			      &rule)) < 0)
		return rc;
	if (!a->history) {
		dossier_error_set("history is not open");
		return DOSSIER_ERROR;
	}
	if ((rc = version_file(a, hex, &fd)) < 0)
		return rc;
	/* a past version read (/.history, Previous Versions) is a read too */
	if (a->audit) {
		path = archive_node_path(a, n.id);
		snprintf(detail, sizeof(detail), "version %.12s", commit);
		audit_record(a->audit, who, "read", path, 1, rule, detail);
		free(path);
	}
	*fd_out = fd;
	return 0;
}
