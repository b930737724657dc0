#ifndef DOSSIER_CORE_WORKER_H
#define DOSSIER_CORE_WORKER_H

#include <pthread.h>
#include <stdint.h>

/*
 * A background thread that sleeps until it is kicked, asked to stop, or
 * a timeout passes: the history committer and the text worker. The
 * thread's function calls dossier_worker_wait between rounds and ends
 * when it returns 1. lock protects stop and kicked; an owner may guard
 * its own fields with it too (the history's recovering flag).
 */
struct dossier_worker {
	pthread_t thread;
	int running;			/* started and not yet joined */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;			/* protected by lock */
	int kicked;			/* protected by lock */
	int nice;			/* the thread's own: its level */
};

void dossier_worker_init(struct dossier_worker *w);
void dossier_worker_destroy(struct dossier_worker *w);

/* Start fn(arg) on its own thread. DOSSIER_ERROR (error set: "cannot
 * start the <what>") if the thread cannot be made. */
int dossier_worker_start(struct dossier_worker *w, void *(*fn)(void *),
			 void *arg, const char *what);

/* Wake the thread for a round now. */
void dossier_worker_kick(struct dossier_worker *w);

/* Sleep until kicked or asked to stop, at most timeout_ns; clears the
 * kick. 1: the thread is to stop. */
int dossier_worker_wait(struct dossier_worker *w, int64_t timeout_ns);

/* 1 if the thread has been asked to stop. */
int dossier_worker_stopping(struct dossier_worker *w);

/* Ask the thread to stop (first half of a stop, for an owner that must
 * also cancel what the thread waits on), then dossier_worker_join. */
void dossier_worker_ask_stop(struct dossier_worker *w);
void dossier_worker_join(struct dossier_worker *w);

/* Both halves: ask, then wait for the thread to end. */
void dossier_worker_stop(struct dossier_worker *w);

/*
 * Called on w's own thread (elsewhere it does nothing: a request thread
 * may run the worker's code too): run at nice level nice from now on,
 * if that is not already so. Raising priority needs CAP_SYS_NICE; a
 * daemon without it says so once (debug) and stays where it was.
 */
void dossier_worker_nice(struct dossier_worker *w, int nice,
			 const char *what);

#endif
