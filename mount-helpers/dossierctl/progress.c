/*
 * Progress of long commands (backup, restore-backup, verify) on standard
 * error, only when it is a terminal: one line rewritten in place, as
 * rsync --info=progress2 and git's "Counting objects" do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static void show(void *arg, const char *phase, uint64_t done, uint64_t total)
{
	static struct timespec last;
	struct timespec now;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* at most ten lines a second, and always the last one */
	if (done != total && (now.tv_sec - last.tv_sec) * 1000000000L +
				     (now.tv_nsec - last.tv_nsec) < 100000000L)
		return;
	last = now;
	if (total)
		fprintf(stderr, "\r%s: %" PRIu64 "/%" PRIu64 " (%" PRIu64
			"%%)\033[K", phase, done, total, done * 100 / total);
	else
		fprintf(stderr, "\r%s: %" PRIu64 "\033[K", phase, done);
}

const struct dossier_progress *ctl_progress(void)
{
	static const struct dossier_progress p = { show, NULL };

	return isatty(STDERR_FILENO) ? &p : NULL;
}

void ctl_progress_done(void)
{
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\r\033[K");
}
