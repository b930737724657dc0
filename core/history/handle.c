/*
 * The history handle's shared state: the repository and its lock, the
 * committer's wake-up, and whether it still commits what the last daemon
 * left. Calls nothing else of history: the journal writer wakes the
 * committer through here.
 */
#include "history_priv_i.h"

#include <pthread.h>

struct dossier_git *history_git(struct dossier_history *h)
{
	return h->git;
}

void history_git_lock(struct dossier_history *h)
{
	pthread_mutex_lock(&h->git_lock);
}

void history_git_unlock(struct dossier_history *h)
{
	pthread_mutex_unlock(&h->git_lock);
}

void history_kick(struct dossier_history *h)
{
	if (!h)
		return;
	dossier_worker_kick(&h->work);
}

int history_recovering(struct dossier_history *h)
{
	int r;

	pthread_mutex_lock(&h->work.lock);
	r = h->recovering;
	pthread_mutex_unlock(&h->work.lock);
	return r;
}

void history_wait_recovered(struct dossier_history *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->work.lock);
	while (h->recovering)
		pthread_cond_wait(&h->recovered, &h->work.lock);
	pthread_mutex_unlock(&h->work.lock);
}
