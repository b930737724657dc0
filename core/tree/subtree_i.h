#ifndef DOSSIER_CORE_SUBTREE_I_H
#define DOSSIER_CORE_SUBTREE_I_H

/*
 * The virtual subtrees beside the catalog's records (core/tree/subtree.c):
 * /.history (views.c), /.trash, /.dossier/ctl, the caller's /.Trash-UID
 * (core/trash/) and every folder's .snapshots (snapshots.c). The front
 * door chooses a subtree once, by inode (or, for a lookup, by the name in
 * its parent), and sends the operation to its table; a NULL operation is
 * refused as a change of a read-only folder (tree_virtual_readonly).
 *
 * lookup, getattr, list and open run with the archive lock held; the
 * changes (mkdir, create, remove, setattr, move_out) without it.
 */

#include <stdint.h>
#include <sys/stat.h>

#include "archive_i.h"
#include "listing.h"

struct subtree {
	const char *what;	/* for log lines */
	int (*lookup)(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *nfc, struct dossier_attr *out);
	int (*getattr)(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t ino,
		       struct dossier_attr *out);
	/* entries' names belong to out */
	int (*list)(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, struct view_list *out);
	/* *fd_out: the bytes to serve, or *is_ctl: the control file */
	int (*open)(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, int flags, int *fd_out, int *is_ctl);
	int (*mkdir)(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, struct dossier_attr *out);
	int (*create)(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *name, int flags, struct dossier_attr *out,
		      int *fd_out);
	/* unlink (dir 0) or rmdir (dir 1) */
	int (*remove)(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t parent,
		      const char *name, int dir);
	int (*setattr)(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t ino,
		       const struct stat *st, unsigned set,
		       struct dossier_attr *out);
	/* may who write ino (access(2) W_OK)? NULL: never */
	int (*writable)(const struct dossier_caller *who, uint64_t ino);
	/* a rename out of this subtree into the catalog's tree */
	int (*move_out)(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t parent,
			const char *name, uint64_t newparent,
			const char *newname);
};

/* The freedesktop.org trash: renames in and out of it are its own. */
extern const struct subtree subtree_xdg;

/* The subtree inode ino belongs to, or NULL for a catalog node. */
const struct subtree *subtree_of(uint64_t ino);

/*
 * The subtree that answers a lookup of nfc in parent: a virtual parent's,
 * .snapshots in any folder, the root's hidden names (.history, .trash,
 * .dossier, .Trash-UID, any other dot name absent); NULL: the catalog.
 */
const struct subtree *subtree_lookup_at(uint64_t parent, const char *nfc);

/*
 * The subtree a new or removed name in parent belongs to: a virtual
 * parent's, or /.Trash-UID made at the root; NULL: the catalog.
 */
const struct subtree *subtree_change_at(uint64_t parent, const char *name);

#endif
