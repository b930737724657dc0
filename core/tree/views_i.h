#ifndef DOSSIER_CORE_VIEWS_I_H
#define DOSSIER_CORE_VIEWS_I_H

/*
 * Virtual trees (core-only): /.history, /.trash, the caller's /.Trash-UID
 * and /.dossier. archive.c sends lookups, attributes, listings and opens
 * of virtual inodes here, with the archive lock held; what changes
 * /.Trash-UID goes to trash.c directly (trash_i.h).
 */

#include <stddef.h>
#include <stdint.h>

#include "archive_i.h"
#include "listing.h"
#include "vattr_i.h"

/*
 * 1 if a lookup of nfc in parent is answered here rather than from the
 * catalog: a virtual parent, the root's hidden names, and the hidden
 * .snapshots of every folder (snapshots_i.h).
 */
int views_claims(uint64_t parent, const char *nfc);

/* Lookup of nfc in parent: a virtual parent, or the root's hidden names. */
int views_lookup(struct dossier_archive *a, const struct dossier_caller *who,
		 uint64_t parent, const char *nfc, struct dossier_attr *out);
int views_getattr(struct dossier_archive *a, const struct dossier_caller *who,
		  uint64_t ino, struct dossier_attr *out);

/* Listing of a virtual folder; entries' names belong to out. */
int views_list(struct dossier_archive *a, const struct dossier_caller *who,
	       uint64_t ino, struct view_list *out);

/*
 * Open a virtual file: a version (*fd_out: a private copy of its bytes),
 * a deleted record (*fd_out: its content, read-only), a .trashinfo of
 * /.Trash-UID (*fd_out) or the control file (*is_ctl).
 */
int views_open(struct dossier_archive *a, const struct dossier_caller *who,
	       uint64_t ino, int flags, int *fd_out, int *is_ctl);

#endif
