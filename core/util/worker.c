#include "worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

void dossier_worker_init(struct dossier_worker *w)
{
	pthread_condattr_t ca;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	/* timeouts are durations: the wall clock may be set back */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
}

void dossier_worker_destroy(struct dossier_worker *w)
{
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}

int dossier_worker_start(struct dossier_worker *w, void *(*fn)(void *),
			 void *arg, const char *what)
{
	char name[16];

	if (pthread_create(&w->thread, NULL, fn, arg) != 0) {
		dossier_error_set("cannot start the %s", what);
		return DOSSIER_ERROR;
	}
	/* as top -H and ps -L show it (15 characters at most) */
	snprintf(name, sizeof(name), "%s", what);
	pthread_setname_np(w->thread, name);
	w->running = 1;
	return 0;
}

void dossier_worker_kick(struct dossier_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->kicked = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

int dossier_worker_wait(struct dossier_worker *w, int64_t timeout_ns)
{
	struct timespec ts;
	int stop;

	pthread_mutex_lock(&w->lock);
	if (!w->kicked && !w->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec += (long)(timeout_ns % 1000000000);
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	}
	w->kicked = 0;
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

int dossier_worker_stopping(struct dossier_worker *w)
{
	int stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

void dossier_worker_ask_stop(struct dossier_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void dossier_worker_join(struct dossier_worker *w)
{
	if (!w->running)
		return;
	pthread_join(w->thread, NULL);
	w->running = 0;
}

void dossier_worker_stop(struct dossier_worker *w)
{
	if (!w->running)
		return;
	dossier_worker_ask_stop(w);
	dossier_worker_join(w);
}

void dossier_worker_nice(struct dossier_worker *w, int nice,
			 const char *what)
{
	/* pthread_create sets w->thread before the thread runs */
	if (!pthread_equal(w->thread, pthread_self()) || w->nice == nice)
		return;
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice) < 0)
		dossier_log(LOG_DEBUG, "cannot run the %s at nice %d: %s",
			    what, nice, strerror(errno));
	w->nice = nice;
}
