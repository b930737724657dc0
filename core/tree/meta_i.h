#ifndef DOSSIER_CORE_META_I_H
#define DOSSIER_CORE_META_I_H

/*
 * Classification xattrs and the rule-computed POSIX ACL (core-only).
 * Called by tree/xattr.c with the archive lock held, after the caller was
 * found allowed to see n.
 */

#include <stddef.h>

#include "archive_i.h"

/* 1 if name is served here (user.dossier.*, system.posix_acl_access). */
int meta_handles(const char *name);

/* DOSSIER_ENOTSUP: not a computed attribute (look in the xattr table). */
int meta_get(struct dossier_archive *a, const struct dossier_caller *who,
	     const struct node *n, const char *name, void *buf, size_t size,
	     size_t *len);

/* Reclassify, or turn an ACL's new named users into grant requests. */
int meta_set(struct dossier_archive *a, const struct dossier_caller *who,
	     const struct node *n, const char *name, const void *value,
	     size_t size);

/*
 * removexattr of the ACL (setfacl -b): the grants on n end, for whoever
 * may revoke them (else DOSSIER_EDENIED); what the rules give stays.
 */
int meta_remove_acl(struct dossier_archive *a,
		    const struct dossier_caller *who, const struct node *n);

/* Append the computed names to a listxattr buffer at *len. */
int meta_list(struct dossier_archive *a, const struct node *n, char *buf,
	      size_t size, size_t *len);

#endif
