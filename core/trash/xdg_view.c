/*
 * The freedesktop.org trash at the top, /.Trash-UID, as it shows: its
 * folders, files/ (the caller's records in the trash) and info/ (a
 * .trashinfo for each, and GIO's own while it trashes). What changes it
 * is in xdg_ops.c, GIO's files in xdg_pending.c.
 */
#include "trash_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "access_i.h"
#include "db_i.h"
#include "clock.h"
#include "error.h"
#include "listing.h"
#include "name.h"

/*
 * What GIO's g_file_trash() (GLib 2.74) does on a mount that is not
 * $HOME's, traced on this file system (docs/trash.md):
 *   lstat /.Trash: used only if a sticky folder, so ENOENT here;
 *   lstat /.Trash-UID: must be a folder owned by the caller (else mkdir,
 *     and a failed mkdir, EEXIST included, ends the trash);
 *   mkdir /.Trash-UID/info and /files, 0700 (EEXIST is fine);
 *   open info/NAME.trashinfo O_CREAT|O_EXCL, a placeholder (on EEXIST
 *     it tries NAME.2.ext, NAME.3.ext, ...);
 *   g_file_set_contents(): create info/NAME.trashinfo.XXXXXX, fallocate,
 *     write "[Trash Info]\nPath=...\nDeletionDate=...\n", rename it onto
 *     NAME.trashinfo (failures ignored);
 *   rename the file to files/NAME; if that fails, unlink the .trashinfo.
 */

int trash_xdg_is(uint64_t ino)
{
	return VIRT_KIND(ino) >= 5 && VIRT_KIND(ino) <= 7;
}

int trash_xdg_owns(uint64_t parent, const char *name)
{
	return trash_xdg_is(parent) ||
	       (parent == DOSSIER_ROOT_ID &&
		!strncmp(name, XDG_TOP_NAME, strlen(XDG_TOP_NAME)));
}

int trash_xdg_dir_of(uint64_t ino, const struct dossier_caller *who)
{
	if (VIRT_KIND(ino) != 5 || (ino & 3) > XDG_INFO ||
	    VIRT_ID(ino) >> 2 != (uint64_t)who->uid)
		return -1;
	return (int)(ino & 3);
}

int trash_xdg_own_top(const struct dossier_caller *who, const char *nfc)
{
	char top[32];

	snprintf(top, sizeof(top), XDG_TOP_NAME "-%lu",
		 (unsigned long)who->uid);
	return !strcmp(nfc, top);
}

void trash_xdg_dir_attr(const struct dossier_caller *who, int which,
			struct dossier_attr *out)
{
	int64_t now;

	memset(out, 0, sizeof(*out));
	out->id = XDG_DIR_INO(who->uid, which);
	out->kind = DOSSIER_KIND_FOLDER;
	out->st.st_ino = out->id;
	/* the trash specification's rule: the user's own, mode 0700 */
	out->st.st_mode = S_IFDIR | 0700;
	out->st.st_nlink = which == XDG_TOP ? 4 : 2;
	out->st.st_uid = who->uid;
	out->st.st_gid = who->gid;
	out->st.st_blksize = 4096;
	now = dossier_clock_ns();
	out->st.st_mtim.tv_sec = now / 1000000000;
	out->st.st_mtim.tv_nsec = now % 1000000000;
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
}

int trash_xdg_entries(struct dossier_archive *a,
		      const struct dossier_caller *who,
		      struct trash_entry **out, size_t *n)
{
	const int base = ARCHIVE_NODE_NCOLS;
	struct trash_entry *e = NULL;
	sqlite3_stmt *st = NULL;
	size_t ne = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = trash_prepare_nodes(a, "", "name, deleted_ns FROM node "
				      "WHERE kind = 5 AND scratch = 0 AND "
				      "deleted_ns IS NOT NULL AND deleted_by "
				      "= ?1 AND id NOT IN (SELECT record FROM "
				      "trash_purging)", (int64_t)who->uid,
				      &st)) < 0)
		goto out;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		struct node r;

		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		rc = trash_add_entry(&e, &ne, &cap, &r, trash_col_dup(st, base),
				     sqlite3_column_int64(st, base + 1));
		if (rc == 0 && !e[ne - 1].name)
			rc = DOSSIER_ERROR;
	}
	if (rc == 0)
		rc = trash_name_entries(e, ne);
	if (rc == 0) {
		*out = e;
		*n = ne;
		e = NULL;
		ne = 0;
	}
out:
	sqlite3_finalize(st);
	trash_entries_free(e, ne);
	return rc;
}

struct trash_entry *trash_xdg_find(struct trash_entry *e, size_t n,
				   const char *nfc, int info)
{
	size_t len = strlen(nfc), i;

	if (info) {
		if (len <= INFO_SUFFIX_LEN ||
		    strcmp(nfc + len - INFO_SUFFIX_LEN, INFO_SUFFIX))
			return NULL;
		len -= INFO_SUFFIX_LEN;
	}
	for (i = 0; i < n; i++)
		if (strlen(e[i].name) == len && !memcmp(e[i].name, nfc, len))
			return &e[i];
	return NULL;
}

/*
 * The .trashinfo of entry t, as the specification has it: Path, the path
 * the record had when it was deleted, relative to the top of the mount
 * and URI-escaped as GIO escapes it (g_uri_escape_string with "/"
 * allowed); DeletionDate in local time. Both are fixed for a deletion, so
 * the text of an inode never changes.
 */
static int xdg_info_text(struct dossier_archive *a,
			 const struct trash_entry *t, struct dossier_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	time_t secs = (time_t)(t->deleted_ns / 1000000000);
	const unsigned char *s;
	struct trash_deletion d;
	char when[32];
	struct tm tm;
	int rc;

	if ((rc = trash_deletion_get(a, t->n.id, &d)) < 0)
		return rc;
	dossier_buf_addf(out, "[Trash Info]\nPath=");
	for (s = (const unsigned char *)d.path; *s; s++) {
		char c[3] = { '%', hex[*s >> 4], hex[*s & 15] };

		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s))
			dossier_buf_add(out, s, 1);
		else
			dossier_buf_add(out, c, 3);
	}
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	dossier_buf_addf(out, "\nDeletionDate=%s\n", when);
	trash_deletion_release(&d);
	return 0;
}

static uint64_t xdg_info_ino(const struct trash_entry *t)
{
	return XDG_INFO_BASE | NODEID(t->n.id, (uint64_t)t->deleted_ns /
					       1000000);
}

/* Attributes of t's .trashinfo: read-only, dated at the deletion. */
static int xdg_info_attr(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct trash_entry *t, struct dossier_attr *out)
{
	struct dossier_buf text = DOSSIER_BUF_INIT;
	int rc = xdg_info_text(a, t, &text);

	trash_file_attr(out, xdg_info_ino(t), 0400, who->uid, who->gid);
	out->st.st_size = (off_t)text.len;
	out->st.st_blocks = 1;
	out->st.st_mtim.tv_sec = t->deleted_ns / 1000000000;
	out->st.st_mtim.tv_nsec = t->deleted_ns % 1000000000;
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
	dossier_buf_release(&text);
	return rc;
}

int trash_xdg_lookup(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *nfc, struct dossier_attr *out)
{
	struct trash_entry *e = NULL, *t;
	size_t n = 0;
	int rc, which;

	if (parent == DOSSIER_ROOT_ID) {
		/* /.Trash (GIO wants it sticky) and others' stay absent */
		if (!trash_xdg_own_top(who, nfc))
			return DOSSIER_ENOTFOUND;
		trash_xdg_dir_attr(who, XDG_TOP, out);
		return 0;
	}
	if ((which = trash_xdg_dir_of(parent, who)) < 0)
		return DOSSIER_ENOTFOUND;
	if (which == XDG_TOP) {
		if (!strcmp(nfc, "files"))
			trash_xdg_dir_attr(who, XDG_FILES, out);
		else if (!strcmp(nfc, "info"))
			trash_xdg_dir_attr(who, XDG_INFO, out);
		else
			return DOSSIER_ENOTFOUND;
		return 0;
	}
	if ((rc = trash_xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	rc = DOSSIER_ENOTFOUND;
	if ((t = trash_xdg_find(e, n, nfc, which == XDG_INFO))) {
		rc = 0;
		if (which == XDG_FILES)
			trash_record_attr(a, who, &t->n, t->deleted_ns, out);
		else
			rc = xdg_info_attr(a, who, t, out);
	} else if (which == XDG_INFO) {
		rc = trash_pending_attr(a->trash, who->uid, nfc, 0, out);
	}
	trash_entries_free(e, n);
	return rc;
}

/* who's entry whose .trashinfo has inode ino, in e (lock held), or NULL. */
static struct trash_entry *xdg_by_info_ino(struct trash_entry *e, size_t n,
					   uint64_t ino)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (xdg_info_ino(&e[i]) == ino)
			return &e[i];
	return NULL;
}

int trash_xdg_getattr(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      struct dossier_attr *out)
{
	struct trash_entry *e = NULL, *t;
	size_t n = 0;
	int rc, which;

	if (VIRT_KIND(ino) == 5) {
		if ((which = trash_xdg_dir_of(ino, who)) < 0)
			return DOSSIER_ENOTFOUND;
		trash_xdg_dir_attr(who, which, out);
		return 0;
	}
	if (VIRT_KIND(ino) == 7)
		return trash_pending_attr(a->trash, who->uid, NULL,
					  VIRT_ID(ino), out);
	if ((rc = trash_xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	t = xdg_by_info_ino(e, n, ino);
	rc = t ? xdg_info_attr(a, who, t, out) : DOSSIER_ENOTFOUND;
	trash_entries_free(e, n);
	return rc;
}

/* What trash_xdg_list() passes to list_pending(). */
struct pending_ctx {
	struct view_list *out;
	struct trash_entry *e;	/* files/: theirs is not GIO's */
	size_t n;
};

static int list_pending(void *ctx, const char *name,
			const struct dossier_attr *at)
{
	struct pending_ctx *c = ctx;

	if (trash_xdg_find(c->e, c->n, name, 1))
		return 0;
	return view_list_add(c->out, name, at);
}

int trash_xdg_list(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, struct view_list *out)
{
	struct trash_entry *e = NULL;
	struct dossier_attr at;
	struct pending_ctx pc;
	size_t n = 0, i;
	int rc, which = trash_xdg_dir_of(ino, who);

	if (which < 0)
		return VIRT_KIND(ino) == 5 ? DOSSIER_ENOTFOUND :
					     DOSSIER_ENOTDIR;
	if (which == XDG_TOP) {
		trash_xdg_dir_attr(who, XDG_FILES, &at);
		if ((rc = view_list_add(out, "files", &at)) < 0)
			return rc;
		trash_xdg_dir_attr(who, XDG_INFO, &at);
		return view_list_add(out, "info", &at);
	}
	if ((rc = trash_xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		char info[DOSSIER_NAME_MAX + 1];

		if (which == XDG_FILES) {
			trash_record_attr(a, who, &e[i].n, e[i].deleted_ns,
					  &at);
			rc = view_list_add(out, e[i].name, &at);
			continue;
		}
		/* a name too long for its .trashinfo shows without one */
		if (strlen(e[i].name) + INFO_SUFFIX_LEN > DOSSIER_NAME_MAX)
			continue;
		snprintf(info, sizeof(info), "%s" INFO_SUFFIX, e[i].name);
		if ((rc = xdg_info_attr(a, who, &e[i], &at)) == 0)
			rc = view_list_add(out, info, &at);
	}
	if (rc == 0 && which == XDG_INFO) {
		pc.out = out;
		pc.e = e;
		pc.n = n;
		rc = trash_pending_list(a->trash, who->uid, list_pending, &pc);
	}
	trash_entries_free(e, n);
	return rc;
}

int trash_xdg_open(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, int flags, int *fd_out)
{
	struct dossier_buf text = DOSSIER_BUF_INIT;
	struct trash_entry *e = NULL, *t;
	size_t n = 0;
	int rc, fd = -1;

	*fd_out = -1;
	if (VIRT_KIND(ino) == 5)
		return trash_xdg_dir_of(ino, who) < 0 ? DOSSIER_ENOTFOUND :
							DOSSIER_EISDIR;
	if (VIRT_KIND(ino) == 7)
		return trash_pending_open(a->trash, who->uid, VIRT_ID(ino),
					  (flags & O_TRUNC) != 0, fd_out);
	if ((rc = trash_xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	rc = DOSSIER_ENOTFOUND;
	if (!(t = xdg_by_info_ino(e, n, ino)))
		goto out;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
		dossier_error_set("the .trashinfo of a record in the trash is "
				  "read-only");
		rc = DOSSIER_EREADONLY;
		goto out;
	}
	if ((rc = xdg_info_text(a, t, &text)) < 0)
		goto out;
	fd = memfd_create("trashinfo", MFD_CLOEXEC);
	if (fd < 0 || pwrite(fd, text.buf, text.len, 0) != (ssize_t)text.len) {
		dossier_error_set("cannot make a .trashinfo: %s",
				  strerror(errno));
		rc = dossier_err_from_errno(errno);
		goto out;
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	dossier_buf_release(&text);
	trash_entries_free(e, n);
	return rc;
}
