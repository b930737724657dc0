#ifndef DOSSIER_FS_FS_I_H
#define DOSSIER_FS_FS_I_H

#include <fuse_lowlevel.h>
#include <pthread.h>

#include "archive.h"

struct daemon;

/*
 * One FUSE session of the daemon: the shared mount (allow_other, every
 * caller decided per request, nothing below a category cached) or a
 * per-user view (mounted for one uid, which the kernel alone lets in;
 * names, attributes, listings and pages cached, kept coherent by
 * invalidation). Fields are set before the session serves and read-only
 * after, except where a lock is named.
 */
struct fs {
	struct daemon *d;
	struct dossier_archive *archive;
	struct fuse_session *se;
	struct notifier *notifier;
	int view;		/* a per-user view */
	int samba;		/* view: for Samba (DOSSIER_VIEW_SAMBA) */
	uid_t uid;		/* view: whose */
	gid_t gid;
	char *dir;		/* view: where it is mounted */
	dev_t dev;		/* view: its device (0 unknown) */
	pthread_t thread;	/* view: the thread running its loop */
	struct fs *next;	/* protected by d->lock */
};

/*
 * The daemon: one archive, its sessions. Lock rules: lock protects
 * sessions, dead, stopping and clock_cond's wait. Lock order: the
 * archive's lock (libdossier calls the notify callbacks with it held),
 * then lock, then a notifier's lock; so lock is never held while
 * calling into libdossier.
 */
struct daemon {
	struct dossier_archive *archive;
	pthread_mutex_t lock;
	struct fs *sessions;	/* the shared mount first, then views */
	struct fs *dead;	/* views whose loop ended, to be joined */
	int stopping;		/* the daemon is exiting: no new views */
	int debug;
	pthread_t clock;	/* drops the views' caches as grants end */
	int clock_started;
	pthread_cond_t clock_cond;	/* protected by lock */
};

/* The low-level operations table (ops.c). */
extern const struct fuse_lowlevel_ops fs_ops;

/*
 * Notifications (notify.c). Each session has a notifier thread that
 * sends its kernel the invalidations queued for it: queued from any
 * thread, even inside a request handler, where a direct notify could
 * deadlock on the directory lock the kernel holds.
 */
struct notifier *notifier_start(struct fs *fs);
void notifier_stop(struct notifier *n);

/*
 * What a view's kernel was told it may cache, so that a broad
 * invalidation can take it all back: the name parent/name (positive or
 * negative) and the inode ino (attributes, pages, cached listing).
 * A no-op for the shared mount's uncached answers.
 */
void notify_track_entry(struct fs *fs, uint64_t parent, const char *name);
void notify_track_inode(struct fs *fs, uint64_t ino);
/*
 * A counter bumped whenever an invalidation is queued for fs: an answer
 * computed while it moved may be stale, and is sent without a lifetime.
 */
uint64_t notify_epoch(struct fs *fs);

/* How far a change reaches. */
enum change_flags {
	CHANGE_NAME = 1 << 0,	/* a name appeared, went or moved */
	CHANGE_WAIT = 1 << 1,	/* return only once every session is told */
};

/*
 * Tell every session but origin (NULL: all) that parent/name (name may
 * be NULL) and inode ino (0: none) changed. With CHANGE_NAME, the
 * folders above parent are told too: whether a folder shows depends on
 * what is in it.
 */
void notify_changed(struct fs *origin, uint64_t parent, const char *name,
		    uint64_t ino, unsigned flags);
/* A change of node ino's own attributes (level, scope, owner...). */
void notify_reclassified(struct fs *origin, uint64_t ino);

/* The daemon's struct dossier_notify_ops (ctx: struct daemon). */
extern const struct dossier_notify_ops daemon_notify_ops;

/*
 * Views (session.c): the callbacks of the control requests, and the end
 * of every view when the daemon exits.
 */
extern const struct dossier_session_ops daemon_session_ops;
int views_clock_start(struct daemon *d);
void views_stop_all(struct daemon *d);

/* Cache lifetimes in a view, in seconds (design.md, Sessions). */
#define VIEW_TTL 30.0

#endif
