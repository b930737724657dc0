/*
 * Access taken away reaches what is already open: after a grant, revoke,
 * policy or user change or a reclassification, every open record whose
 * opener lost the right is refused and its pages dropped (archive_changed);
 * grants that end by the clock are swept each second.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "audit_i.h"
#include "history_i.h"
#include "meta_i.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"
#include "views_i.h"
#include "log.h"
#include "name.h"


/* May f's opener still do what f was opened for? Lock held. */
int access_file_allowed(struct dossier_archive *a, struct dossier_file *f,
			int writing)
{
	int acc = f->flags & O_ACCMODE, rc;
	struct node n;

	if ((rc = archive_get_node(a, f->id, &n)) < 0)
		return rc;
	if (writing >= 0) {
		rc = archive_decide(a, &f->who, &n, NULL,
				    writing ? DOSSIER_ACT_WRITE : DOSSIER_ACT_READ);
	} else {	/* all it was opened for */
		if (acc != O_WRONLY)
			rc = archive_decide(a, &f->who, &n, NULL, DOSSIER_ACT_READ);
		if (rc == 0 && (acc != O_RDONLY || (f->flags & O_TRUNC)))
			rc = archive_decide(a, &f->who, &n, NULL, DOSSIER_ACT_WRITE);
	}
	dossier_error_clear();
	return rc;
}

void archive_notify_wait(struct dossier_archive *a)
{
	int refused;

	pthread_mutex_lock(&a->lock);
	refused = a->refused_open;
	a->refused_open = 0;
	pthread_mutex_unlock(&a->lock);
	/* only pages of refused files are worth waiting for here */
	if (refused && a->notify && a->notify->sync)
		a->notify->sync(a->notify_ctx);
}

/*
 * Refuse from now on every open record (only those opened on a grant,
 * with grants_only) whose opener lost the right it was opened with, and
 * have the kernel drop its pages: a mapping faults, a read asks us. Lock
 * held.
 */
static void refuse_lost(struct dossier_archive *a, int grants_only)
{
	struct dossier_file *f;

	for (f = a->files; f; f = f->next) {
		if (f->revoked || (grants_only && !f->on_grant) ||
		    access_file_allowed(a, f, -1) == 0)
			continue;
		/*
		 * Refused from now on; no page of it stays cached, and the
		 * record moves to a new kernel inode, so that the attributes
		 * others' lookups refresh never reach f's (a size read with
		 * fstat through the old descriptor).
		 */
		f->revoked = 1;
		if (archive_bump_cgen(a, f->id) < 0)
			dossier_error_clear();
		dossier_log(LOG_NOTICE, "access of uid %u to open record %"
			    PRIu64 " taken away", (unsigned)f->who.uid, f->id);
		if (a->notify)
			a->notify->inval_inode(a->notify_ctx, f->nodeid);
		a->refused_open = 1;
	}
}

/*
 * A grant ends by the clock, with no event: the pages of a record opened
 * on it (a private mapping of a direct-I/O file still uses the page
 * cache) must go within a second of its end.
 */
static void *sweep(void *arg)
{
	struct dossier_archive *a = arg;
	struct timespec ts;

	pthread_mutex_lock(&a->lock);
	while (!a->sweep_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&a->sweep_cond, &a->lock, &ts);
		if (!a->sweep_stop)
			refuse_lost(a, 1);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

int access_sweeper_start(struct dossier_archive *a)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->sweep_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&a->sweeper, NULL, sweep, a) != 0) {
		pthread_cond_destroy(&a->sweep_cond);
		dossier_error_set("cannot start the grant sweeper");
		return DOSSIER_ERROR;
	}
	a->sweeping = 1;
	return 0;
}

void access_sweeper_stop(struct dossier_archive *a)
{
	if (!a->sweeping)
		return;
	pthread_mutex_lock(&a->lock);
	a->sweep_stop = 1;
	pthread_cond_signal(&a->sweep_cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->sweeper, NULL);
	pthread_cond_destroy(&a->sweep_cond);
	a->sweeping = 0;
}

void archive_changed(struct dossier_archive *a)
{
	refuse_lost(a, 0);
	a->generation++;
}
