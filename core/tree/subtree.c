/*
 * The virtual subtrees and the table the front door sends their
 * operations through (subtree_i.h). The history view is views.c's, the
 * freedesktop.org trash core/trash/'s, .snapshots snapshots.c's; the
 * /.trash view's attributes, the control folder and the root's hidden
 * names are here.
 */
#include "subtree_i.h"

#include <string.h>

#include "access_i.h"
#include "error.h"
#include "snapshots_i.h"
#include "trash_i.h"
#include "tree_i.h"
#include "views_i.h"

int tree_virtual_readonly(struct dossier_archive *a,
			    const struct dossier_caller *who, const char *op,
			    uint64_t id)
{
	dossier_error_set("the .history, .trash and .dossier folders are read-only");
	return archive_deny(a, who, op, id, NULL, DOSSIER_EREADONLY);
}

/* ---- /.trash: deleted records where they were, read-only ---- */

/* Attributes of one /.trash entry. */
static void tview_attr(struct dossier_archive *a,
		       const struct dossier_caller *who,
		       const struct trash_entry *t, struct dossier_attr *out)
{
	if (t->n.kind == DOSSIER_KIND_FILE) {
		trash_record_attr(a, who, &t->n, t->deleted_ns, out);
		return;
	}
	views_dir_attr(TRASH_BASE | t->n.id, out);
	out->st.st_uid = t->n.uid;
	out->st.st_gid = t->n.gid;
}

static int tview_lookup(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t parent,
			const char *nfc, struct dossier_attr *out)
{
	struct trash_entry *e = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = trash_dir_read(a, who, parent, &e, &n)) < 0)
		return rc;
	rc = DOSSIER_ENOTFOUND;
	for (i = 0; i < n; i++)
		if (!strcmp(e[i].name, nfc)) {
			tview_attr(a, who, &e[i], out);
			rc = 0;
			break;
		}
	trash_entries_free(e, n);
	return rc;
}

static int tview_list(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      struct view_list *out)
{
	struct dossier_attr at;
	struct trash_entry *e = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = trash_dir_read(a, who, ino, &e, &n)) < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		tview_attr(a, who, &e[i], &at);
		rc = view_list_add(out, e[i].name, &at);
	}
	trash_entries_free(e, n);
	return rc;
}

static int tview_getattr(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t ino,
			 struct dossier_attr *out)
{
	struct trash_entry t;
	int rc;

	if (ino == INO_TRASH) {
		views_dir_attr(ino, out);
		return 0;
	}
	if ((rc = trash_view_node(a, who, ino, &t)) < 0)
		return rc;
	tview_attr(a, who, &t, out);
	return 0;
}

static int tview_open(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      int flags, int *fd_out, int *is_ctl)
{
	*fd_out = -1;
	*is_ctl = 0;
	if (ino == INO_TRASH)
		return DOSSIER_EISDIR;
	return trash_view_open(a, who, ino, flags, fd_out);
}

/* ---- /.dossier: the control file dossierctl writes requests to ---- */

static void ctl_file_attr(struct dossier_attr *out)
{
	views_dir_attr(INO_CTL, out);
	out->kind = DOSSIER_KIND_FILE;
	out->st.st_mode = S_IFREG | 0666;
}

static int ctl_lookup(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *nfc, struct dossier_attr *out)
{
	(void)a;
	(void)who;
	if (parent != INO_CTLDIR || strcmp(nfc, "ctl"))
		return DOSSIER_ENOTFOUND;
	ctl_file_attr(out);
	return 0;
}

static int ctl_getattr(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t ino,
		       struct dossier_attr *out)
{
	(void)a;
	(void)who;
	if (ino == INO_CTL)
		ctl_file_attr(out);
	else
		views_dir_attr(ino, out);
	return 0;
}

static int ctl_list(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, struct view_list *out)
{
	struct dossier_attr at;

	(void)a;
	(void)who;
	memset(out, 0, sizeof(*out));
	if (ino != INO_CTLDIR)
		return DOSSIER_ENOTDIR;
	ctl_file_attr(&at);
	return view_list_add(out, "ctl", &at);
}

static int ctl_open(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, int flags, int *fd_out, int *is_ctl)
{
	(void)a;
	(void)who;
	(void)flags;
	*fd_out = -1;
	*is_ctl = ino == INO_CTL;
	return *is_ctl ? 0 : DOSSIER_EISDIR;
}

/* "> ctl" truncates the control file: nothing to do */
static int ctl_setattr(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t ino,
		       const struct stat *st, unsigned set,
		       struct dossier_attr *out)
{
	(void)st;
	(void)set;
	if (ino != INO_CTL)
		return tree_virtual_readonly(a, who, "setattr", ino);
	return ctl_getattr(a, who, ino, out);
}

static int ctl_writable(const struct dossier_caller *who, uint64_t ino)
{
	(void)who;
	return ino == INO_CTL;
}

/* ---- the root's hidden names ---- */

static int root_lookup(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, struct dossier_attr *out)
{
	static const struct {
		const char *name;
		uint64_t ino;
	} top[] = {
		{ ".history", INO_HISTORY },
		{ ".dossier", INO_CTLDIR },
		{ ".trash", INO_TRASH },
	};
	size_t i;

	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (!strcmp(nfc, top[i].name)) {
			views_dir_attr(top[i].ino, out);
			return 0;
		}
	/* the caller's own .Trash-UID (GIO); .Trash stays absent */
	if (trash_xdg_owns(parent, nfc))
		return trash_xdg_lookup(a, who, parent, nfc, out);
	/* KIO's and the rest: cheaply absent */
	return DOSSIER_ENOTFOUND;
}

/* ---- nothing: a virtual inode of no subtree ---- */

static int none_lookup(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, struct dossier_attr *out)
{
	(void)a;
	(void)who;
	(void)parent;
	(void)nfc;
	(void)out;
	return DOSSIER_ENOTFOUND;
}

static int none_getattr(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t ino,
			struct dossier_attr *out)
{
	return none_lookup(a, who, ino, "", out);
}

static int none_list(struct dossier_archive *a, const struct dossier_caller *who,
		     uint64_t ino, struct view_list *out)
{
	(void)a;
	(void)who;
	(void)ino;
	memset(out, 0, sizeof(*out));
	return DOSSIER_ENOTDIR;
}

static int none_open(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t ino, int flags,
		     int *fd_out, int *is_ctl)
{
	(void)flags;
	*fd_out = -1;
	*is_ctl = 0;
	return none_lookup(a, who, ino, "", NULL);
}

/* ---- adapters ---- */

static int snap_open(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t ino, int flags,
		     int *fd_out, int *is_ctl)
{
	(void)a;
	(void)who;
	(void)ino;
	(void)flags;
	*fd_out = -1;
	*is_ctl = 0;
	return DOSSIER_EISDIR;	/* every .snapshots entry is a folder */
}

static int xdg_open(struct dossier_archive *a,
		    const struct dossier_caller *who, uint64_t ino, int flags,
		    int *fd_out, int *is_ctl)
{
	*is_ctl = 0;
	return trash_xdg_open(a, who, ino, flags, fd_out);
}

/* ---- the table ---- */

static const struct subtree subtree_history = {
	.what = ".history",
	.lookup = hist_lookup,
	.getattr = hist_getattr,
	.list = hist_list,
	.open = hist_open,
};

static const struct subtree subtree_trash_view = {
	.what = ".trash",
	.lookup = tview_lookup,
	.getattr = tview_getattr,
	.list = tview_list,
	.open = tview_open,
	.move_out = trash_rename_out,	/* a restore by moving it back */
};

static const struct subtree subtree_control = {
	.what = ".dossier",
	.lookup = ctl_lookup,
	.getattr = ctl_getattr,
	.list = ctl_list,
	.open = ctl_open,
	.setattr = ctl_setattr,
	.writable = ctl_writable,
};

const struct subtree subtree_xdg = {
	.what = ".Trash-UID",
	.lookup = trash_xdg_lookup,
	.getattr = trash_xdg_getattr,
	.list = trash_xdg_list,
	.open = xdg_open,
	.mkdir = trash_xdg_mkdir,
	.create = trash_xdg_create,
	.remove = trash_xdg_unlink,
	.setattr = trash_xdg_setattr,
	.writable = trash_xdg_writable,
};

static const struct subtree subtree_snapshots = {
	.what = ".snapshots",
	.lookup = snap_lookup,
	.getattr = snap_getattr,
	.list = snap_list,
	.open = snap_open,
};

static const struct subtree subtree_root_names = {
	.what = "/",
	.lookup = root_lookup,
	.getattr = none_getattr,
	.list = none_list,
	.open = none_open,
};

static const struct subtree subtree_none = {
	.what = "?",
	.lookup = none_lookup,
	.getattr = none_getattr,
	.list = none_list,
	.open = none_open,
};

const struct subtree *subtree_of(uint64_t ino)
{
	if (!ino_is_virtual(ino))
		return NULL;
	switch (VIRT_KIND(ino)) {
	case 1:		/* HIST_DIR_BASE: a history folder */
	case 2:		/* HIST_VER_BASE: a version */
		return &subtree_history;
	case 3:		/* TRASH_BASE */
		return &subtree_trash_view;
	case 4:		/* VIRT_BASE: the fixed inodes */
		if (ino == INO_HISTORY)
			return &subtree_history;
		if (ino == INO_TRASH)
			return &subtree_trash_view;
		if (ino == INO_CTLDIR || ino == INO_CTL)
			return &subtree_control;
		return &subtree_none;
	}
	if (trash_xdg_is(ino))
		return &subtree_xdg;
	if (snap_owns(ino))
		return &subtree_snapshots;
	return &subtree_none;
}

const struct subtree *subtree_lookup_at(uint64_t parent, const char *nfc)
{
	if (!strcmp(nfc, SNAP_DIR_NAME))
		return &subtree_snapshots;
	if (ino_is_virtual(parent))
		return subtree_of(parent);
	if (parent == DOSSIER_ROOT_ID && nfc[0] == '.')
		return &subtree_root_names;
	return NULL;
}

const struct subtree *subtree_change_at(uint64_t parent, const char *name)
{
	if (ino_is_virtual(parent))
		return subtree_of(parent);
	return trash_xdg_owns(parent, name) ? &subtree_xdg : NULL;
}
