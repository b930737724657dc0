#ifndef DOSSIER_CORE_TRASH_I_H
#define DOSSIER_CORE_TRASH_I_H

/*
 * Trash, purge, destruction register, retention and legal holds
 * (core-only). See docs/trash.md.
 *
 * A deleted record is a node row with deleted_ns set (tree/structure.c); this
 * module shows those rows as the /.trash view, brings them back, and
 * destroys them when the trash period ends: git objects first
 * (dossier_git_purge_record), then the content file, then one catalog
 * transaction that deletes the rows and appends the register row. A
 * record being destroyed has a row in trash_purging from before the git
 * step until that transaction, so a crash anywhere is finished by the
 * next purge, and a restore in between is refused.
 *
 * The module is the folder core/trash/, one file per concern (its
 * private header trash_priv_i.h lists them); this header is what the
 * rest of core calls.
 *
 * Unless said otherwise, functions here are called with the archive lock
 * held (tree/ calls them from inside its requests).
 */

#include <stddef.h>
#include <stdint.h>

#include "archive_i.h"
#include "buf.h"

/*
 * The trash's own state of archive a (a->trash): the .trashinfo files
 * GIO writes into /.Trash-UID/info while it trashes a record. Opened
 * with the archive; caller frees with trash_close() (accepts NULL) once
 * no request runs any more.
 */
struct dossier_trash;
int trash_open(struct dossier_trash **out);
void trash_close(struct dossier_trash *t);

/*
 * May record (or folder) n be deleted now? DOSSIER_ESTRUCTURE with a
 * message when a legal hold on it or on a folder above it forbids it (the
 * caller answers EPERM).
 */
int trash_may_delete(struct dossier_archive *a, const struct node *n);

/*
 * rename(2) out of the /.trash view (parent is INO_TRASH or a trash-view
 * folder): restore the entry name of parent (a deleted record, or a
 * deleted folder with what of it is in the trash) as newparent/newname.
 * DOSSIER_EEXISTS if the name is taken, DOSSIER_EBUSY while a purge
 * destroys it. The lock is NOT held (the function takes it).
 */
int trash_rename_out(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent, const char *newname);

/* 1 if ino is the /.trash view or inside it. */
int trash_is_view(uint64_t ino);

/*
 * Inode numbers of the view: TRASH_BASE | folder id for folders, and for
 * a deleted record a new number for each deletion (a generation from the
 * deletion time in bits 48-59, as NODEID does for content): with the
 * writeback cache the kernel trusts the size and pages of an inode it
 * knows, and a record restored, changed and deleted again is new content.
 */
#define TRASH_INO(id, deleted_ns)                                          \
	(TRASH_BASE | NODEID((id), (uint64_t)(deleted_ns) / 1000000))
#define TRASH_ID(ino) ((ino) & ID_MASK)

/*
 * One entry of a /.trash folder as a caller sees it: a deleted record, or
 * a folder (live or deleted) holding deleted records the caller may list.
 */
struct trash_entry {
	char *name;		/* as shown: a collision suffix included */
	struct node n;
	int64_t deleted_ns;	/* 0: a live folder */
};

/*
 * The entries of trash folder ino (INO_TRASH or TRASH_BASE | folder id)
 * that who may see, sorted by name. Names that collide keep a stable
 * order: a live folder first, then by deletion time; every entry after
 * the first gets " (deleted YYYY-MM-DD HH.MM.SS)" before its extension.
 * *out belongs to the caller: trash_entries_free(). DOSSIER_ENOTFOUND if
 * ino shows nothing to who.
 */
int trash_dir_read(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, struct trash_entry **out, size_t *n);
void trash_entries_free(struct trash_entry *e, size_t n);

/*
 * What trash view inode ino (TRASH_BASE | id) shows who: a deleted record,
 * or a folder holding deleted records who may list (out->name is NULL).
 * DOSSIER_ENOTFOUND if it shows nothing to who (any more).
 */
int trash_view_node(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, struct trash_entry *out);

/*
 * Attributes of deleted record n (deleted at deleted_ns) in the view:
 * read-only, mtime and ctime are the deletion time, atime the last change
 * of its content.
 */
void trash_record_attr(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n,
		       int64_t deleted_ns, struct dossier_attr *out);

/*
 * Open a deleted record of the view read-only: *fd_out is a descriptor on
 * its content. DOSSIER_EREADONLY for any write access.
 */
int trash_view_open(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t ino, int flags, int *fd_out);

/*
 * The freedesktop.org trash at the top of the mount (docs/trash.md, "File
 * managers and gio"): /.Trash-UID, seen only by the caller whose uid is
 * UID, with files/ (the records UID deleted that are still in the trash,
 * named as in /.trash, with the /.trash view's inode numbers) and info/
 * (a .trashinfo for each, made up from the catalog, and those GIO writes
 * while it trashes, kept in memory until the record moved). A move of a
 * record into files/ is an unlink (tree/rename.c); a move out of files/ is a
 * restore; nothing in it is ever removed early.
 */
#define XDG_DIR_BASE (5ULL << 60)	/* | uid << 2 | XDG_TOP... */
#define XDG_INFO_BASE (6ULL << 60)	/* | NODEID: a record's .trashinfo */
#define XDG_PEND_BASE (7ULL << 60)	/* | serial: a .trashinfo GIO writes */
enum xdg_dir { XDG_TOP = 0, XDG_FILES = 1, XDG_INFO = 2 };
#define XDG_DIR_INO(uid, which)                                            \
	(XDG_DIR_BASE | ((uint64_t)(uid) << 2) | (uint64_t)(which))

struct view_list;

/* 1 if ino is a /.Trash-UID folder or a file of its info/ (any UID). */
int trash_xdg_is(uint64_t ino);

/*
 * 1 if name in folder parent is the trash's to answer: a ".Trash*" name
 * at the root, or any name in a /.Trash-UID folder.
 */
int trash_xdg_owns(uint64_t parent, const char *name);

/*
 * The requests subtree.c sends for these inodes (lock held): lookup of nfc
 * in parent (the root or a /.Trash-UID folder), getattr, the listing of a
 * folder (names belong to out), and open: *fd_out is a descriptor on a
 * .trashinfo (GIO's bytes, or one made up read-only). DOSSIER_ENOTFOUND
 * for what is not who's.
 */
int trash_xdg_lookup(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *nfc, struct dossier_attr *out);
int trash_xdg_getattr(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      struct dossier_attr *out);
int trash_xdg_list(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, struct view_list *out);
int trash_xdg_open(struct dossier_archive *a, const struct dossier_caller *who,
		   uint64_t ino, int flags, int *fd_out);

/*
 * The requests the tree sends (through subtree.c) when trash_xdg_owns()
 * or trash_xdg_is() says so. The lock is NOT held: these take it, and log and audit their
 * refusals themselves. mkdir of who's own /.Trash-UID, files or info
 * answers as if it made them (they always exist); create makes one of
 * GIO's .trashinfo files in info/ (*fd_out: a descriptor on its bytes,
 * the caller's to close); unlink (and rmdir, dir set) removes only
 * those, and refuses everything else with DOSSIER_ESTRUCTURE: the trash
 * is emptied by the purge, never early. setattr changes only the size of
 * GIO's files and ignores the rest.
 */
int trash_xdg_mkdir(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t parent, const char *name, struct dossier_attr *out);
int trash_xdg_create(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, int flags, struct dossier_attr *out,
		     int *fd_out);
int trash_xdg_unlink(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, int dir);
int trash_xdg_setattr(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      const struct stat *st, unsigned set,
		      struct dossier_attr *out);

/*
 * 1 if who may write into ino (access(2) W_OK): its trash folders and
 * GIO's files, not the made-up .trashinfo files.
 */
int trash_xdg_writable(const struct dossier_caller *who, uint64_t ino);

/*
 * rename(2) from a /.Trash-UID folder: out of files/ into the tree is a
 * restore (as trash_rename_out), within info/ GIO renames its own files;
 * anything else is refused (DOSSIER_ESTRUCTURE). The lock is NOT held.
 */
int trash_xdg_rename(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent,
		     const char *newname, unsigned flags);

/*
 * A move of a record from the tree into folder newparent of the trash:
 * 0 if newparent is who's files/ (the caller then deletes the record as
 * unlink does), DOSSIER_ENOTFOUND if it is not who's, DOSSIER_ESTRUCTURE
 * with a message for the other folders, or for a folder moved (dir set:
 * folders go to the trash by rm -r or a file manager's Delete). Pure: no
 * lock needed.
 */
int trash_xdg_may_take(const struct dossier_caller *who, uint64_t newparent,
		       int dir);

/*
 * The record moved into files/ as newname: forget the .trashinfo GIO
 * wrote for it (files/ shows what the catalog holds). No lock needed.
 */
void trash_xdg_taken(struct dossier_archive *a,
		     const struct dossier_caller *who, const char *newname);

/*
 * Destroy every deleted record whose trash period ended by now_ns (and
 * finish purges a crash interrupted), unless held or, at confidential and
 * above, not approved. One line per record goes to report (may be NULL):
 * "purged|held|unapproved|failed<TAB>ID<TAB>PATH<TAB>detail". *purged
 * (may be NULL) gets the count destroyed. Needs history (a serving
 * archive). The lock is NOT held (the function takes it and the history
 * lock in turn, never both).
 */
int trash_purge(struct dossier_archive *a, const struct dossier_caller *who,
		int64_t now_ns, struct dossier_buf *report, size_t *purged);

/*
 * Called by the history committer on each round: runs trash_purge() as
 * the daemon once a day (the time of the last run is kept in the
 * catalog, so restarts do not skip or repeat a day). *next_ns is the
 * caller's memory of when to look again (0 at start). Lock NOT held.
 */
void trash_daily(struct dossier_archive *a, int64_t now_ns, int64_t *next_ns);

#endif
