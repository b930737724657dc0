#ifndef DOSSIER_CORE_VIEWS_I_H
#define DOSSIER_CORE_VIEWS_I_H

/*
 * The history view (core/tree/views.c): /.history mirrors the tree, a
 * record's folder there lists its versions as read-only files. One of the
 * subtrees of subtree_i.h; called with the archive lock held.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive_i.h"
#include "listing.h"
#include "vattr_i.h"

/* nfc in history folder parent, as who may see it. */
int hist_lookup(struct dossier_archive *a, const struct dossier_caller *who,
		uint64_t parent, const char *nfc, struct dossier_attr *out);

/* /.history itself, a history folder or a version. */
int hist_getattr(struct dossier_archive *a, const struct dossier_caller *who,
		 uint64_t ino, struct dossier_attr *out);

/* Listing of a history folder; entries' names belong to out. */
int hist_list(struct dossier_archive *a, const struct dossier_caller *who,
	      uint64_t ino, struct view_list *out);

/*
 * Open a version read-only: *fd_out is a private copy of its bytes (an
 * anonymous file), the read audited. A folder is DOSSIER_EISDIR.
 */
int hist_open(struct dossier_archive *a, const struct dossier_caller *who,
	      uint64_t ino, int flags, int *fd_out, int *is_ctl);

#endif
