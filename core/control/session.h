#ifndef DOSSIER_CORE_SESSION_H
#define DOSSIER_CORE_SESSION_H

/*
 * Per-user views: the serving daemon runs one FUSE session for the shared
 * mount and one more per view (`dossierctl mount --user NAME DIR`), each
 * mounted for one uid alone. libdossier keeps no libfuse: the control
 * requests below ask the driver (fs/) through these callbacks, and the
 * driver asks libdossier where a node sits when it invalidates the
 * kernel's caches of the other sessions.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "archive.h"

struct dossier_buf;

/*
 * A view for Samba (`dossierctl mount --user NAME --samba DIR`, root
 * only): smbd acts for NAME with its effective uid alone (its real uid
 * stays 0), which the kernel never lets into an ordinary view. This one
 * is mounted with allow_other; the folder above DIR, NAME's alone, keeps
 * other users out, and the driver refuses any request from a uid other
 * than NAME's or root's.
 */
#define DOSSIER_VIEW_SAMBA 1u

/*
 * What the driver does for the control requests "view-mount NAME DIR
 * [samba]", "view-unmount DIR" and "views". who asked (checked already:
 * root, or the view's own user for start; root alone for a Samba view,
 * flags DOSSIER_VIEW_SAMBA); dir is absolute. start and stop return
 * 0, or a negative code with the reason set with dossier_error_set().
 * start returns DOSSIER_EEXISTS when uid's view is served at dir already.
 * list appends one line "UID<TAB>DIR" per view who may see (root: all).
 * They run on a request thread without the archive lock.
 */
struct dossier_session_ops {
	int (*start)(void *ctx, const struct dossier_caller *who, uid_t uid,
		     gid_t gid, const char *dir, unsigned flags);
	int (*stop)(void *ctx, const struct dossier_caller *who,
		    const char *dir);
	void (*list)(void *ctx, const struct dossier_caller *who,
		     struct dossier_buf *out);
};
void dossier_archive_set_sessions(struct dossier_archive *a,
				  const struct dossier_session_ops *ops,
				  void *ctx);

/*
 * Where the node of FUSE inode ino sits: the inode number of its folder
 * into *parent, its name into name (namesz bytes), its kind into *kind.
 * DOSSIER_ENOTFOUND for a deleted or purged node, a virtual inode or the
 * root.
 */
int dossier_archive_where(struct dossier_archive *a, uint64_t ino,
			  uint64_t *parent, char *name, size_t namesz,
			  enum dossier_kind *kind);

/*
 * 1 if ino is a catalog node (the tree of years, categories, folders and
 * records, whose every change is notified), 0 for the virtual trees
 * (/.history, /.trash, /.dossier), which change without notice.
 */
int dossier_ino_is_node(uint64_t ino);

/* 1 if f was opened for writing (its closes may change the content). */
int dossier_file_writable(const struct dossier_file *f);

/*
 * The earliest end of a grant running now (seconds since the epoch), 0 if
 * none: the driver drops the views' caches when it passes.
 */
int64_t dossier_archive_next_grant_end(struct dossier_archive *a);

#endif
