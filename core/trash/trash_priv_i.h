#ifndef DOSSIER_CORE_TRASH_PRIV_I_H
#define DOSSIER_CORE_TRASH_PRIV_I_H

/*
 * Shared by the files of core/trash/ only; the rest of core uses
 * trash_i.h. The files, each calling only those above it in this list:
 *
 *   base.c         settings, roles, deletion facts, empty deleted folders
 *   holds.c        legal holds and destruction approvals
 *   view.c         the /.trash view: its entries, their names and attributes
 *   restore.c      restoring: a move out of the trash, or where it was
 *   xdg_pending.c  GIO's .trashinfo files waiting for their record
 *   xdg_view.c     /.Trash-UID as it shows (lookup, getattr, list, open)
 *   xdg_ops.c      what changes /.Trash-UID (mkdir, create, unlink, ...)
 *   purge.c        destroying records, the destruction register
 *   retention.c    what is due: the daily purge, 'due', the trash list
 *   ctl.c          the control requests of dossierctl
 *
 * Unless said otherwise, the functions here are called with the archive
 * lock held.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "archive_i.h"
#include "buf.h"
#include "trash_i.h"

#define DAY_NS ((int64_t)86400 * 1000000000)
#define DEFAULT_TRASH_DAYS 30
/* Policy defaults; the shipped values are rows of setting (core/store/schema.c). */
#define DEFAULT_DISPOSERS "gm,deputy_gm,archivist"
#define DEFAULT_READERS "gm,deputy_gm,archivist,auditor"
#define DEFAULT_APPROVAL_LEVEL DOSSIER_LEVEL_CONFIDENTIAL

/* ---- base.c ---- */

/* Column i of st as a new string ("" for NULL); caller frees. */
char *trash_col_dup(sqlite3_stmt *st, int i);

/* Local time of ns: the day ("2026-11-23"), or with seconds. */
void trash_fmt_time(char *out, size_t outsz, int64_t ns, int seconds);

/* The user name of uid ("uid N" when unknown). */
void trash_user_name(struct dossier_archive *a, uid_t uid, char *out,
		     size_t outsz);

/* Setting key as text into out, or def. */
void trash_setting(struct dossier_archive *a, const char *key,
		   const char *def, char *out, size_t outsz);

/* The trash period in days (setting trash-days). */
int trash_days(struct dossier_archive *a);

/* The lowest level whose destruction needs an approval. */
int trash_approval_level(struct dossier_archive *a);

/*
 * When a record deleted at deleted_ns may be destroyed: never inside the
 * history window, in which an editor's delete-then-rename save may still
 * revive it (tree/, recently_deleted).
 */
int64_t trash_expiry_ns(int64_t deleted_ns, int days);

/*
 * 0 if who's role is in the comma list of setting key (def if unset),
 * else DOSSIER_EDENIED saying that what is for those roles.
 */
int trash_need_role(struct dossier_archive *a,
		    const struct dossier_caller *who, const char *what,
		    const char *key, const char *def);

/* One integer from sql with one id bound; def if no row. */
int64_t trash_query_int(struct dossier_archive *a, const char *sql,
			int64_t id, int64_t def);

/*
 * The attributes every file of the trash's views starts with: regular
 * file ino of mode (permission bits), one link, owned by uid and gid.
 */
void trash_file_attr(struct dossier_attr *out, uint64_t ino, mode_t mode,
		     uid_t uid, gid_t gid);

/*
 * Prepare "HEAD SELECT <archive_node_cols>, TAIL" with ?1 bound to arg:
 * archive_row_to_node() reads a row's node, TAIL's columns start at
 * ARCHIVE_NODE_NCOLS. The caller finalizes *out.
 */
int trash_prepare_nodes(struct dossier_archive *a, const char *head,
			const char *tail, int64_t arg, sqlite3_stmt **out);

/* 1 if a purge has started to destroy record id (trash_purging). */
int trash_is_purging(struct dossier_archive *a, uint64_t id);

/* Deletion facts of a row: what the trash shows and the register keeps. */
struct trash_deletion {
	char *name;
	char *path;		/* where it was when deleted */
	int64_t deleted_ns;	/* 0: live */
	uid_t deleted_by;
};

/* The deletion facts of row id; release with trash_deletion_release(). */
int trash_deletion_get(struct dossier_archive *a, uint64_t id,
		       struct trash_deletion *out);
void trash_deletion_release(struct trash_deletion *d);

/* Delete folders left empty in the trash, from id up. In a transaction. */
int trash_prune_folders(struct dossier_archive *a, uint64_t id);

/* ---- holds.c ---- */

/* An active legal hold. */
struct trash_hold {
	int64_t id;
	uint64_t node;
	char path[1024];
	char reason[512];
	uid_t by;
	int64_t held_ns;
};

/* The active hold on id or a folder above it: 1 found, 0 none, < 0 error. */
int trash_find_hold(struct dossier_archive *a, uint64_t id,
		    struct trash_hold *out);

/*
 * The latest approval of record id: 1 found (approver; *reason, if
 * reason is not NULL, the caller's to free), 0 none.
 */
int trash_find_approval(struct dossier_archive *a, uint64_t id,
			char *approver, size_t approversz, char **reason);

/* ---- view.c ---- */

/*
 * Add an entry (node, name: consumed, also on failure) to the growing
 * array *e of *n entries, room for *cap.
 */
int trash_add_entry(struct trash_entry **e, size_t *n, size_t *cap,
		    const struct node *node, char *name, int64_t deleted_ns);

/*
 * Give entries sharing a name distinct, stable names (see trash_dir_read)
 * and sort them by name.
 */
int trash_name_entries(struct trash_entry *e, size_t n);

/*
 * The node of path ".trash/..." (as 'dossierctl' names one) in who's
 * view: DOSSIER_ENOTFOUND if who sees nothing there, DOSSIER_EINVAL for
 * the view itself.
 */
int trash_view_resolve(struct dossier_archive *a,
		       const struct dossier_caller *who, const char *path,
		       struct node *out);

/* ---- restore.c ---- */

/*
 * May who bring r back into folder np (NULL: where it was)? The right
 * to delete r and to create in np; DOSSIER_EBUSY while a purge destroys r.
 */
int trash_may_restore(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *r,
		      const struct node *np);

/*
 * Restore trash entry t (of who's view) as newparent/nnfc: the checks and
 * the work of a move out of /.trash or out of /.Trash-UID/files. The
 * transaction is this function's.
 */
int trash_restore_entry(struct dossier_archive *a,
			const struct dossier_caller *who,
			const struct trash_entry *t, uint64_t newparent,
			const char *nnfc);

/* The end of a restore by a move: a refusal is audited and logged. */
int trash_restore_done(struct dossier_archive *a,
		       const struct dossier_caller *who, uint64_t parent,
		       const char *nfc, int rc);

/*
 * Bring r (a deleted record or folder) back where it was, reviving
 * deleted folders on the way (or joining live ones of the same name). In
 * the caller's transaction.
 */
int trash_restore_in_place(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *r, int64_t t);

/* ---- purge.c ---- */

/*
 * The destruction register, one line a row, tab-separated (the control
 * reply of 'dossierctl register'), appended to out.
 */
int trash_register_rows(struct dossier_archive *a, struct dossier_buf *out);

/* ---- xdg_pending.c: GIO's .trashinfo files (no lock needed) ---- */

/*
 * Attributes of uid's pending file named name, or with serial when name
 * is NULL. DOSSIER_ENOTFOUND if none.
 */
int trash_pending_attr(struct dossier_trash *t, uid_t uid, const char *name,
		       uint64_t serial, struct dossier_attr *out);

/*
 * *fd_out: a new descriptor on the bytes of uid's pending file serial
 * (emptied first if trunc), the caller's to close.
 */
int trash_pending_open(struct dossier_trash *t, uid_t uid, uint64_t serial,
		       int trunc, int *fd_out);

/*
 * Call add for each of uid's pending files that are not expired, while
 * add returns 0; returns what add returned last. add must not call back
 * into t.
 */
int trash_pending_list(struct dossier_trash *t, uid_t uid,
		       int (*add)(void *ctx, const char *name,
				  const struct dossier_attr *at),
		       void *ctx);

/*
 * A new pending file name of who: *fd_out is a descriptor on its bytes,
 * the caller's to close. DOSSIER_EEXISTS if who has one of that name,
 * DOSSIER_ENOSPC if too many are pending.
 */
int trash_pending_create(struct dossier_trash *t,
			 const struct dossier_caller *who, const char *name,
			 struct dossier_attr *out, int *fd_out);

/* Forget uid's pending file name: 0, or DOSSIER_ENOTFOUND if none. */
int trash_pending_remove(struct dossier_trash *t, uid_t uid,
			 const char *name);

/*
 * setattr of uid's pending file serial: the size changes (set has
 * DOSSIER_SET_SIZE), the rest is ignored. DOSSIER_ENOTFOUND if none.
 */
int trash_pending_setattr(struct dossier_trash *t, uid_t uid, uint64_t serial,
			  unsigned set, off_t size, struct dossier_attr *out);

/*
 * Rename uid's pending file name to newname, replacing one of that name
 * unless flags has DOSSIER_RENAME_NOREPLACE (then DOSSIER_EEXISTS).
 * DOSSIER_ENOTFOUND if there is no name.
 */
int trash_pending_rename(struct dossier_trash *t, uid_t uid, const char *name,
			 const char *newname, unsigned flags);

/* ---- xdg_view.c ---- */

#define XDG_TOP_NAME ".Trash"
#define INFO_SUFFIX ".trashinfo"
#define INFO_SUFFIX_LEN (sizeof(INFO_SUFFIX) - 1)

/* Which folder of who's trash ino is (enum xdg_dir), or -1. */
int trash_xdg_dir_of(uint64_t ino, const struct dossier_caller *who);

/* 1 if nfc is who's "/.Trash-UID". */
int trash_xdg_own_top(const struct dossier_caller *who, const char *nfc);

/* Attributes of folder which (enum xdg_dir) of who's trash. */
void trash_xdg_dir_attr(const struct dossier_caller *who, int which,
			struct dossier_attr *out);

/*
 * files/ of who: the records who deleted that are still in the trash and
 * who may still list, named as /.trash names them (a collision gets the
 * deletion time). *out belongs to the caller: trash_entries_free().
 */
int trash_xdg_entries(struct dossier_archive *a,
		      const struct dossier_caller *who,
		      struct trash_entry **out, size_t *n);

/* The entry named nfc in files/ (info: nfc is its .trashinfo), or NULL. */
struct trash_entry *trash_xdg_find(struct trash_entry *e, size_t n,
				   const char *nfc, int info);

/* ---- retention.c ---- */

/*
 * The trash list ('dossierctl trash'), appended to out: "days\tN", then
 * a line for each deleted record who may list (deleted by uid by; all
 * when by < 0): id, deletion time, days left, state, deleted by, level,
 * path it had.
 */
int trash_deleted_rows(struct dossier_archive *a,
		       const struct dossier_caller *who, int64_t by,
		       struct dossier_buf *out);

/*
 * The retention list ('dossierctl due'), appended to out: the live
 * records who may list whose year folder plus their category's
 * retention is before year: id, year, category, retention, year due,
 * level, state, path.
 */
int trash_due_rows(struct dossier_archive *a, const struct dossier_caller *who,
		   int year, struct dossier_buf *out);

/*
 * The time a purge asked for now goes by. A delete stays undoable for
 * the commit window (an editor's delete-and-write revives the record),
 * so with trash-days 0 a record deleted a moment ago is only due once
 * that window has passed: the purge waits for it (at most the window)
 * rather than answer "0 destroyed" right after an rm. Lock NOT held.
 */
int64_t trash_window_passed(struct dossier_archive *a);

#endif
