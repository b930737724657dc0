#ifndef DOSSIER_CORE_TREE_I_H
#define DOSSIER_CORE_TREE_I_H

/*
 * Shared by the front door's files (core/tree/): archive.c (open, lookup,
 * getattr), structure.c (mkdir, rmdir, unlink), scratch.c (editors' scratch
 * files and save dances), rename.c, setattr.c, files.c (create, open, read,
 * write, save), dirs.c, categories.c, xattr.c.
 */

#include "archive_i.h"

int tree_virtual_readonly(struct dossier_archive *a,
			    const struct dossier_caller *who, const char *op,
			    uint64_t id);

/* The kind a new folder gets under a parent of kind pk, or -1. */
int tree_child_dir_kind(int pk);

/*
 * Soft-delete n: it leaves its folder; its id, content and (later) history
 * are kept in the trash state until purged. Lock held, in transaction.
 */
int tree_trash_node(struct dossier_archive *a, const struct node *n,
		      const struct dossier_caller *who, int64_t t);

/* Remove folder n (no live children): soft if trashed entries remain. */
int tree_remove_dir(struct dossier_archive *a, const struct node *n,
		      const struct dossier_caller *who, int64_t t);

/*
 * Delete file parent/nfc for who: a record goes to the trash (soft), a
 * scratch file is removed. unlink(2) and gio trash (a move into the
 * caller's /.Trash-UID/files) both come here; detail goes into the audit
 * row. The caller logs and audits a refusal.
 */
int tree_remove_file(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, const char *detail);

/*
 * The content inode open as fd is about to change (to size, if >= 0; lock
 * held, not in a transaction): a save still waiting on it gets its own
 * copy first. May release the lock while it waits or copies.
 */
int tree_content_changing(struct dossier_archive *a, int fd, off_t size);

/*
 * An editor's save dance may be finished only by the user who began it
 * and who may write the record: anyone else's create or rename onto the
 * freed name is a record of its own (never a save of the hidden one,
 * never a way to its old content). Lock held.
 */
uint64_t tree_dance_of(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t id);

/* A record who deleted from parent/name within the window, or 0. */
uint64_t tree_recently_deleted(struct dossier_archive *a,
				 const struct dossier_caller *who,
				 uint64_t parent, const char *name, int64_t t);

/* A live record who renamed away from parent/name within the window, or 0. */
uint64_t tree_recently_displaced(struct dossier_archive *a,
				   const struct dossier_caller *who,
				   uint64_t parent, const char *name,
				   int64_t t);

/*
 * Scratch file id takes record rid's classification and is decided as
 * rid from now on (it holds, or will hold, what rid holds). Lock held.
 */
int tree_derive_from(struct dossier_archive *a, uint64_t id, uint64_t rid);

/*
 * The record a scratch name is derived from, by the editors' naming
 * (ecosystem.md): vim's .NAME.swp and NAME~, LibreOffice's .~lock.NAME#,
 * rsync's .NAME.XXXXXX, KIO's NAME.part, AppleDouble's ._NAME, Office's
 * ~$NAME (which drops the name's first one or two characters). Only a
 * record who may list counts. 0 if none.
 */
uint64_t tree_scratch_origin(struct dossier_archive *a,
			       const struct dossier_caller *who,
			       uint64_t parent, const char *nfc);

/*
 * A new scratch file: decided as the record its name derives from, or
 * its creator's alone (a save's temp holds what its creator writes, of
 * any classification). Lock held, in a transaction.
 */
int tree_classify_scratch(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    uint64_t parent, const char *nfc);

/* Bring a recently deleted record back under its name. */
int tree_undelete(struct dossier_archive *a, uint64_t id);

#endif
