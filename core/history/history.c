/*
 * History (history_i.h; "History" in docs/design.md): open the
 * repository and the spool, start the committer after the checks a
 * restart needs, stop it after the last drain.
 */
#include "history_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_i.h"
#include "error.h"

#define REPO_DIR "history.git"
#define SPOOL_DIR "spool"

static struct dossier_history *history_new(struct dossier_archive *a,
					   const struct history_hooks *hooks)
{
	struct dossier_history *h = calloc(1, sizeof(*h));

	if (!h || !(h->built = calloc(BATCH_MAX, sizeof(*h->built)))) {
		free(h);
		dossier_error_set("out of memory");
		return NULL;
	}
	h->a = a;
	if (hooks)
		h->hooks = *hooks;
	h->spoolfd = -1;
	pthread_mutex_init(&h->git_lock, NULL);
	pthread_mutex_init(&h->drain_lock, NULL);
	dossier_worker_init(&h->work);
	pthread_cond_init(&h->recovered, NULL);
	pthread_cond_init(&h->live_cond, NULL);
	return h;
}

static int open_repository(struct dossier_history *h, int create)
{
	char p[4096];
	int rc;

	snprintf(p, sizeof(p), "%s/%s", dossier_archive_path(h->a), REPO_DIR);
	if ((rc = dossier_git_open(&h->git, p, create)) == DOSSIER_ENOTFOUND) {
		dossier_error_clear();
		dossier_error_set("history repository '%s' is missing: "
				  "restore it from a backup", p);
		rc = DOSSIER_ECORRUPT;
	}
	return rc;
}

static int open_spool(struct dossier_history *h)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dossier_archive_path(h->a), SPOOL_DIR);
	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		dossier_error_set("cannot create '%s': %s", p, strerror(errno));
		return DOSSIER_ERROR;
	}
	h->spoolfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->spoolfd < 0) {
		dossier_error_set("cannot open '%s': %s", p, strerror(errno));
		return DOSSIER_ERROR;
	}
	return 0;
}

int history_open(struct dossier_history **out, struct dossier_archive *a,
		 int create, const struct history_hooks *hooks)
{
	struct dossier_history *h = history_new(a, hooks);
	int rc = DOSSIER_ERROR;

	*out = NULL;
	if (h && (rc = open_repository(h, create)) == 0 &&
	    (rc = open_spool(h)) == 0) {
		*out = h;
		h = NULL;
	}
	history_close(h);
	return rc;
}

int history_start(struct dossier_history *h)
{
	int rc;

	if ((rc = recovery_prepare(h)) < 0)
		return rc;
	return committer_start(h);
}

void history_close(struct dossier_history *h)
{
	if (!h)
		return;
	if (h->work.running) {
		committer_stop(h);
		recovery_mark_clean(h->a);
	}
	dossier_git_free(h->git);
	if (h->spoolfd >= 0)
		close(h->spoolfd);
	pthread_mutex_destroy(&h->git_lock);
	pthread_mutex_destroy(&h->drain_lock);
	dossier_worker_destroy(&h->work);
	pthread_cond_destroy(&h->recovered);
	free(h->recon);
	live_free_all(h);
	pthread_cond_destroy(&h->live_cond);
	free(h->built);
	free(h);
}
