#include "fs_i.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct note {
	struct note *next;
	uint64_t parent;	/* 0: inode invalidation of id */
	uint64_t id;
	char name[];
};

/* Lock rules: lock protects head, tail, stop, queued and done. */
struct notifier {
	struct fuse_session *se;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t drained;		/* done caught up with queued */
	struct note *head, *tail;	/* protected by lock */
	int stop;			/* protected by lock */
	uint64_t queued, done;		/* protected by lock: notes counted */
};

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
		if (e->parent)
			fuse_lowlevel_notify_inval_entry(n->se, e->parent,
							 e->name,
							 strlen(e->name));
		else
			fuse_lowlevel_notify_inval_inode(n->se, e->id, 0, 0);
		free(e);
		pthread_mutex_lock(&n->lock);
		n->done++;
		pthread_cond_broadcast(&n->drained);
	}
	n->done = n->queued;
	pthread_cond_broadcast(&n->drained);
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

static void push(struct notifier *n, uint64_t parent, uint64_t id,
		 const char *name)
{
	size_t len = name ? strlen(name) : 0;
	struct note *e = malloc(sizeof(*e) + len + 1);

	if (!e)
		return;
	e->next = NULL;
	e->parent = parent;
	e->id = id;
	memcpy(e->name, name ? name : "", len + 1);
	pthread_mutex_lock(&n->lock);
	if (n->tail)
		n->tail->next = e;
	else
		n->head = e;
	n->tail = e;
	n->queued++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

static void inval_entry(void *ctx, uint64_t parent, const char *name)
{
	push(ctx, parent, 0, name);
}

static void inval_inode(void *ctx, uint64_t id)
{
	push(ctx, 0, id, NULL);
}

/* Wait until the kernel has acted on every note queued before the call. */
static void wait_done(void *ctx)
{
	struct notifier *n = ctx;
	uint64_t upto;

	pthread_mutex_lock(&n->lock);
	upto = n->queued;
	while (n->done < upto && !n->stop)
		pthread_cond_wait(&n->drained, &n->lock);
	pthread_mutex_unlock(&n->lock);
}

const struct dossier_notify_ops notifier_ops = {
	.inval_entry = inval_entry,
	.inval_inode = inval_inode,
	.wait = wait_done,
};

struct notifier *notifier_start(struct fuse_session *se)
{
	struct notifier *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->se = se;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	pthread_cond_init(&n->drained, NULL);
	if (pthread_create(&n->thread, NULL, run, n) != 0) {
		free(n);
		return NULL;
	}
	return n;
}

void notifier_stop(struct notifier *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	pthread_mutex_destroy(&n->lock);
	pthread_cond_destroy(&n->cond);
	pthread_cond_destroy(&n->drained);
	free(n);
}
