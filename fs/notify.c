/*
 * Cache invalidation across the daemon's sessions. Every session has a
 * notifier thread with a queue; a change made through one session (or by
 * a control request) is queued to the others, and whoever must not
 * return before the kernels forgot (access taken away) waits on a
 * barrier queued behind it. A view also remembers what its kernel may
 * cache, so that one request can take it all back (NOTE_ALL).
 */
#include "fs_i.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "log.h"
#include "session.h"

enum note_kind { NOTE_ENTRY, NOTE_INODE, NOTE_ALL, NOTE_BARRIER };

/*
 * A waiter's mark in the queues. refs counts the waiter and each queued
 * mark; the last one frees it, so that a waiter may give up (a notifier
 * stuck on a lock: two sessions each waiting, inside a request, for the
 * other's notifier) without leaving a notifier a dangling pointer.
 */
struct barrier {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int pending;		/* protected by lock */
	int refs;		/* protected by lock */
};

static void barrier_put(struct barrier *b)
{
	int last;

	pthread_mutex_lock(&b->lock);
	last = --b->refs == 0;
	pthread_mutex_unlock(&b->lock);
	if (last) {
		pthread_mutex_destroy(&b->lock);
		pthread_cond_destroy(&b->cond);
		free(b);
	}
}

struct note {
	struct note *next;
	enum note_kind kind;
	uint64_t parent;	/* NOTE_ENTRY */
	uint64_t id;		/* NOTE_INODE */
	struct barrier *b;	/* NOTE_BARRIER */
	char name[];
};

/* A name (parent != 0) or an inode (parent 0) a kernel may hold. */
struct tracked {
	struct tracked *next;
	uint64_t parent;
	uint64_t ino;
	char name[];
};

#define TRACK_BUCKETS 65536

/*
 * Lock rules: lock protects head, tail, stop; tlock protects tab and
 * ntracked. Neither is held while talking to the kernel. epoch is
 * atomic.
 */
struct notifier {
	struct fs *fs;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct note *head, *tail;	/* protected by lock */
	int stop;			/* protected by lock */
	uint64_t epoch;
	pthread_mutex_t tlock;
	struct tracked **tab;		/* protected by tlock */
	size_t ntracked;		/* protected by tlock */
};

static void barrier_done(struct barrier *b)
{
	pthread_mutex_lock(&b->lock);
	b->pending--;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	barrier_put(b);
}

/* Send the kernel everything tracked, and forget it (it is re-tracked
 * as the kernel asks again). */
static void inval_tracked(struct notifier *n)
{
	struct tracked **tab, *t, *next;
	size_t i;

	pthread_mutex_lock(&n->tlock);
	tab = n->tab;
	n->tab = tab ? calloc(TRACK_BUCKETS, sizeof(*tab)) : NULL;
	if (tab && !n->tab) {
		n->tab = tab;	/* out of memory: keep, send, keep tracking */
		tab = NULL;
	}
	n->ntracked = 0;
	pthread_mutex_unlock(&n->tlock);
	if (!tab) {
		dossier_log(LOG_WARNING, "view: cannot drop its caches: out "
			    "of memory");
		return;
	}
	for (i = 0; i < TRACK_BUCKETS; i++)
		for (t = tab[i]; t; t = next) {
			next = t->next;
			if (t->parent)
				fuse_lowlevel_notify_inval_entry(
					n->fs->se, t->parent, t->name,
					strlen(t->name));
			else
				fuse_lowlevel_notify_inval_inode(n->fs->se,
								 t->ino, 0, 0);
			free(t);
		}
	free(tab);
}

static void send_note(struct notifier *n, struct note *e)
{
	switch (e->kind) {
	case NOTE_ENTRY:
		fuse_lowlevel_notify_inval_entry(n->fs->se, e->parent, e->name,
						 strlen(e->name));
		break;
	case NOTE_INODE:
		fuse_lowlevel_notify_inval_inode(n->fs->se, e->id, 0, 0);
		break;
	case NOTE_ALL:
		inval_tracked(n);
		break;
	case NOTE_BARRIER:
		barrier_done(e->b);
		break;
	}
}

static void *run(void *arg)
{
	struct notifier *n = arg;
	struct note *e;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (!n->head && !n->stop)
			pthread_cond_wait(&n->cond, &n->lock);
		if (!n->head)
			break;
		e = n->head;
		n->head = e->next;
		if (!n->head)
			n->tail = NULL;
		pthread_mutex_unlock(&n->lock);
		send_note(n, e);
		free(e);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

static void push(struct notifier *n, enum note_kind kind, uint64_t parent,
		 uint64_t id, const char *name, struct barrier *b)
{
	size_t len = name ? strlen(name) : 0;
	struct note *e = malloc(sizeof(*e) + len + 1);

	if (!e) {
		if (b)
			barrier_done(b);
		return;
	}
	e->next = NULL;
	e->kind = kind;
	e->parent = parent;
	e->id = id;
	e->b = b;
	memcpy(e->name, name ? name : "", len + 1);
	__atomic_add_fetch(&n->epoch, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&n->lock);
	if (n->stop) {
		pthread_mutex_unlock(&n->lock);
		if (b)
			barrier_done(b);
		free(e);
		return;
	}
	if (n->tail)
		n->tail->next = e;
	else
		n->head = e;
	n->tail = e;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

uint64_t notify_epoch(struct fs *fs)
{
	return fs->notifier ? __atomic_load_n(&fs->notifier->epoch,
					      __ATOMIC_SEQ_CST) : 0;
}

static size_t track_hash(uint64_t parent, uint64_t ino, const char *name)
{
	uint64_t h = parent * 0x9e3779b97f4a7c15ULL ^ ino;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 29)) % TRACK_BUCKETS;
}

static void track(struct fs *fs, uint64_t parent, uint64_t ino,
		  const char *name)
{
	struct notifier *n = fs->notifier;
	size_t len = strlen(name), h = track_hash(parent, ino, name);
	struct tracked *t;

	if (!n)
		return;
	pthread_mutex_lock(&n->tlock);
	if (!n->tab)
		n->tab = calloc(TRACK_BUCKETS, sizeof(*n->tab));
	if (!n->tab)
		goto out;
	for (t = n->tab[h]; t; t = t->next)
		if (t->parent == parent && t->ino == ino &&
		    !strcmp(t->name, name))
			goto out;
	t = malloc(sizeof(*t) + len + 1);
	if (!t)
		goto out;
	t->parent = parent;
	t->ino = ino;
	memcpy(t->name, name, len + 1);
	t->next = n->tab[h];
	n->tab[h] = t;
	n->ntracked++;
out:
	pthread_mutex_unlock(&n->tlock);
}

void notify_track_entry(struct fs *fs, uint64_t parent, const char *name)
{
	track(fs, parent, 0, name);
}

void notify_track_inode(struct fs *fs, uint64_t ino)
{
	track(fs, 0, ino, "");
}

/* ---- fan-out to the sessions ---- */

struct change {
	size_t n;
	struct {
		enum note_kind kind;
		uint64_t parent;
		uint64_t id;
		char name[256];
	} note[24];
};

static void add(struct change *c, enum note_kind kind, uint64_t parent,
		uint64_t id, const char *name)
{
	if (c->n == sizeof(c->note) / sizeof(c->note[0]))
		return;
	c->note[c->n].kind = kind;
	c->note[c->n].parent = parent;
	c->note[c->n].id = id;
	snprintf(c->note[c->n].name, sizeof(c->note[0].name), "%s",
		 name ? name : "");
	c->n++;
}

/*
 * Who besides origin could hold what a change makes stale: OTHERS_VIEW
 * (a view caches names), OTHERS_SHARED (only the shared mount, which
 * caches no name below a category: only attributes and pages), or 0.
 */
enum { OTHERS_SHARED = 1, OTHERS_VIEW = 2 };
static int others(struct daemon *d, struct fs *origin)
{
	struct fs *s;
	int who = 0;

	pthread_mutex_lock(&d->lock);
	for (s = d->sessions; s; s = s->next)
		if (s != origin && s->view)
			who = OTHERS_VIEW;
		else if (s != origin && !who)
			who = OTHERS_SHARED;
	pthread_mutex_unlock(&d->lock);
	return who;
}

/*
 * Wait for b, at most 10 s, then drop the waiter's reference. A notifier
 * may be stuck on a directory lock whose holder waits, in turn, for this
 * request (two folders reclassified at once through two sessions): give
 * up, say so, and let the late notifiers finish on their own.
 */
static void barrier_wait(struct barrier *b)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&b->lock);
	while (b->pending > 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&b->cond, &b->lock, &until);
	if (b->pending > 0)
		dossier_log(LOG_WARNING, "view: %d session(s) did not drop "
			    "their caches within 10 s", b->pending);
	pthread_mutex_unlock(&b->lock);
	barrier_put(b);
}

/*
 * Queue c to every session (origin only if origin_too, and then without
 * waiting for it: its kernel may hold, for the very request that made
 * the change, a lock the notification needs); with wait, return once
 * the others are done.
 */
static void fan_out(struct daemon *d, struct fs *origin, int origin_too,
		    const struct change *c, int wait)
{
	struct barrier *b = NULL;
	struct fs *s;
	size_t i;

	if (wait && (b = calloc(1, sizeof(*b)))) {
		pthread_mutex_init(&b->lock, NULL);
		pthread_cond_init(&b->cond, NULL);
		b->refs = 1;
	}
	pthread_mutex_lock(&d->lock);
	for (s = d->sessions; s; s = s->next) {
		if (!s->notifier || (s == origin && !origin_too))
			continue;
		for (i = 0; i < c->n; i++)
			/* the shared mount never caches a name we change */
			if (s->view || c->note[i].kind != NOTE_ENTRY)
				push(s->notifier, c->note[i].kind,
				     c->note[i].parent, c->note[i].id,
				     c->note[i].name, NULL);
		if (b && s != origin) {
			pthread_mutex_lock(&b->lock);
			b->pending++;
			b->refs++;
			pthread_mutex_unlock(&b->lock);
			push(s->notifier, NOTE_BARRIER, 0, 0, NULL, b);
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (b)
		barrier_wait(b);
	else if (wait)
		dossier_log(LOG_WARNING, "view: out of memory: not waiting for "
			    "the other sessions to drop their caches");
}

/* The folders above parent, up to the client: whether each shows depends
 * on what is in it. */
static void add_folders(struct change *c, struct dossier_archive *a,
			uint64_t parent)
{
	enum dossier_kind kind;
	uint64_t up;
	char name[256];
	int depth;

	for (depth = 0; depth < 8; depth++) {
		if (dossier_archive_where(a, parent, &up, name, sizeof(name),
					  &kind) < 0 ||
		    kind < DOSSIER_KIND_CLIENT)
			break;
		add(c, NOTE_ENTRY, up, 0, name);
		add(c, NOTE_INODE, 0, up, NULL);
		parent = up;
	}
	dossier_error_clear();
}

void notify_changed(struct fs *origin, uint64_t parent, const char *name,
		    uint64_t ino, unsigned flags)
{
	struct change c;
	int who = others(origin->d, origin);

	/* the shared mount alone: only a content change concerns it */
	if (!who || (who == OTHERS_SHARED && !ino))
		return;
	if (who == OTHERS_SHARED) {
		name = NULL;
		parent = 0;
	}
	c.n = 0;
	if (name)
		add(&c, NOTE_ENTRY, parent, 0, name);
	if (parent)
		add(&c, NOTE_INODE, 0, parent, NULL);
	if (ino)
		add(&c, NOTE_INODE, 0, ino, NULL);
	if ((flags & CHANGE_NAME) && parent)
		add_folders(&c, origin->archive, parent);
	fan_out(origin->d, origin, 0, &c, flags & CHANGE_WAIT);
}

void notify_reclassified(struct fs *origin, uint64_t ino)
{
	struct change c;
	enum dossier_kind kind;
	uint64_t parent;
	char name[256];

	c.n = 0;
	if (dossier_archive_where(origin->archive, ino, &parent, name,
				  sizeof(name), &kind) < 0) {
		dossier_error_clear();
		add(&c, NOTE_INODE, 0, ino, NULL);
	} else if (kind != DOSSIER_KIND_FILE) {
		/* what is inside may follow the folder: everything */
		add(&c, NOTE_ALL, 0, 0, NULL);
	} else {
		add(&c, NOTE_ENTRY, parent, 0, name);
		add(&c, NOTE_INODE, 0, parent, NULL);
		add(&c, NOTE_INODE, 0, ino, NULL);
		add_folders(&c, origin->archive, parent);
	}
	fan_out(origin->d, origin, 1, &c, 1);
}

/* ---- the archive's callbacks (lock held: queue only, but for sync) ---- */

static void d_inval_entry(void *ctx, uint64_t parent, const char *name)
{
	struct change c = { 0 };

	add(&c, NOTE_ENTRY, parent, 0, name);
	add(&c, NOTE_INODE, 0, parent, NULL);
	fan_out(ctx, NULL, 0, &c, 0);
}

static void d_inval_inode(void *ctx, uint64_t id)
{
	struct change c = { 0 };

	add(&c, NOTE_INODE, 0, id, NULL);
	fan_out(ctx, NULL, 0, &c, 0);
}

static void d_inval_all(void *ctx)
{
	struct change c = { 0 };

	add(&c, NOTE_ALL, 0, 0, NULL);
	fan_out(ctx, NULL, 0, &c, 0);
}

static void d_sync(void *ctx)
{
	struct change c = { 0 };

	fan_out(ctx, NULL, 0, &c, 1);
}

const struct dossier_notify_ops daemon_notify_ops = {
	.inval_entry = d_inval_entry,
	.inval_inode = d_inval_inode,
	.inval_all = d_inval_all,
	.sync = d_sync,
};

struct notifier *notifier_start(struct fs *fs)
{
	struct notifier *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->fs = fs;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	pthread_mutex_init(&n->tlock, NULL);
	if (pthread_create(&n->thread, NULL, run, n) != 0) {
		free(n);
		return NULL;
	}
	return n;
}

void notifier_stop(struct notifier *n)
{
	struct note *e, *next;
	struct tracked *t, *tn;
	size_t i;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	/* run() drains the queue before it ends; nothing is left but
	 * what a racing push added after: release its waiters */
	for (e = n->head; e; e = next) {
		next = e->next;
		if (e->kind == NOTE_BARRIER)
			barrier_done(e->b);
		free(e);
	}
	for (i = 0; n->tab && i < TRACK_BUCKETS; i++)
		for (t = n->tab[i]; t; t = tn) {
			tn = t->next;
			free(t);
		}
	free(n->tab);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->tlock);
	free(n);
}
