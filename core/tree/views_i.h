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

struct view_entry {
	char *name;
	struct dossier_attr attr;
};

struct view_list {
	struct view_entry *e;
	size_t n;
	size_t cap;
};

/* Add an entry to a listing (name copied). */
int views_list_add(struct view_list *l, const char *name,
		   const struct dossier_attr *at);

/* 1 if ino belongs to a virtual tree. */
int views_is_virtual(uint64_t ino);

/*
 * 1 if a lookup of nfc in parent is answered here rather than from the
 * catalog: a virtual parent, the root's hidden names, and the hidden
 * .snapshots of every folder (snapshots_i.h).
 */
int views_claims(uint64_t parent, const char *nfc);

/* Attributes of a read-only virtual folder (0555, now). */
void views_dir_attr(uint64_t ino, struct dossier_attr *out);

/* Attributes of version vid of record rec (read-only, its own inode). */
void views_version_attr(const struct node *rec, int64_t vid, int64_t size,
			int64_t time_ns, struct dossier_attr *out);

/*
 * May who read the history of n? 0; DOSSIER_EHIDDEN if who may not list
 * n; DOSSIER_EDENIED if who may list a record but not its history.
 */
int views_may_see_history(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n);

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
