/*
 * Retention: when records are due (the daily purge, the trash period of
 * a record just deleted, the live records whose category's retention
 * ended).
 */
#include "trash_private.h"

#include <pthread.h>
#include <time.h>

#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"

void trash_daily(struct dossier_archive *a, int64_t now_ns, int64_t *next_ns)
{
	int64_t last;
	size_t n = 0;

	if (*next_ns == 0) {
		/* not while a mount is starting */
		*next_ns = now_ns + 60LL * 1000000000;
		return;
	}
	if (now_ns < *next_ns)
		return;
	*next_ns = now_ns + 3600LL * 1000000000;
	pthread_mutex_lock(&a->lock);
	last = trash_query_int(a, "SELECT value FROM trash_state WHERE key = "
			       "'last-purge'", 0, 0);
	/* noted before running: a purge that fails is not retried hourly */
	if (now_ns - last >= DAY_NS &&
	    archive_exec(a, "INSERT OR REPLACE INTO trash_state(key, value) "
			 "VALUES('last-purge', ?)", "i", now_ns) < 0)
		last = now_ns;
	pthread_mutex_unlock(&a->lock);
	if (now_ns - last < DAY_NS)
		return;
	if (trash_purge(a, NULL, now_ns, NULL, &n) < 0)
		dossier_log(LOG_ERR, "daily purge: %s", dossier_error_last());
	else
		dossier_log(LOG_INFO, "daily purge: %zu records destroyed", n);
	dossier_error_clear();
}

int64_t trash_window_passed(struct dossier_archive *a)
{
	int64_t now = dossier_clock_ns(), last;
	struct timespec ts;

	pthread_mutex_lock(&a->lock);
	last = trash_days(a) == 0 ?
		       trash_query_int(a, "SELECT coalesce(max(deleted_ns), "
				       "0) FROM node WHERE kind = 5 AND "
				       "deleted_ns > ?",
				       now - HISTORY_WINDOW_NS, 0) : 0;
	pthread_mutex_unlock(&a->lock);
	if (last <= 0 || trash_expiry_ns(last, 0) <= now)
		return now;
	ts.tv_sec = (trash_expiry_ns(last, 0) - now) / 1000000000;
	ts.tv_nsec = (trash_expiry_ns(last, 0) - now) % 1000000000;
	nanosleep(&ts, NULL);
	return dossier_clock_ns();
}
