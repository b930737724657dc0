#ifndef DOSSIER_FS_FS_I_H
#define DOSSIER_FS_FS_I_H

#include <fuse_lowlevel.h>

#include "archive.h"

/* The mounted filesystem: one per daemon. */
struct fs {
	struct dossier_archive *archive;
	struct fuse_session *se;
	struct notifier *notifier;
	int writeback;		/* kernel writeback cache negotiated */
};

/* The low-level operations table (ops.c). */
extern const struct fuse_lowlevel_ops fs_ops;

/*
 * A thread that sends cache invalidations to the kernel. Requests are
 * queued from any thread (even inside a request handler, where a direct
 * notify could deadlock on the directory lock the kernel holds).
 */
struct notifier *notifier_start(struct fuse_session *se);
void notifier_stop(struct notifier *n);
extern const struct dossier_notify_ops notifier_ops;

#endif
