#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "ctl.h"
#include "error.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl [-a ARCHIVE] verify [-q]\n\n"
		     "Check the archive, also while it is mounted: the "
		     "catalog's integrity and\nforeign keys, every object of "
		     "the history repository, the version index\nagainst the "
		     "repository, each record's current content against its "
		     "last\ncommit, and the destruction register and audit "
		     "trail for gaps. Each problem\nis one sentence naming the "
		     "record and what to do.\n"
		     "  -q, --quiet   print problems only\n\n"
		     "Exit status: 0 clean, 1 problems found (or the check "
		     "could not run), 2 usage.\nRoot only.\n");
}

static void say_problem(void *arg, const char *s)
{
	(void)arg;
	ctl_progress_done();
	printf("problem: %s\n", s);
}

static void say_note(void *arg, const char *s)
{
	if (*(int *)arg)
		return;
	ctl_progress_done();
	printf("note: %s\n", s);
}

int cmd_verify(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	char stage[4096];
	const char *archive;
	uint64_t problems = 0;
	int c, mounted = 0, quiet = 0, rc;
	struct dossier_verify_out out = { say_problem, say_note, &quiet };

	while ((c = ctl_getopt(argc, argv, "+hq", opts, usage, &rc)) != -1) {
		if (c == CTL_OPT_END)
			return rc;
		quiet = 1;	/* 'q' */
	}
	if (argc != optind) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (!(archive = ctl_archive_path(ctl)))
		return CTL_USAGE;
	if (ctl_stage(ctl, 1, stage, sizeof(stage), &mounted) < 0) {
		printf("problem: The archive '%s' could not be opened for the "
		       "check (said above); if the catalog is damaged, restore "
		       "catalog.db from the last backup (see 'dossierctl "
		       "restore-backup').\n", archive);
		return CTL_REFUSED;
	}
	rc = dossier_verify(archive, stage, mounted, &out, ctl_progress(),
			    &problems);
	ctl_progress_done();
	dossier_stage_remove(stage);
	if (rc < 0)
		return ctl_fail("verify could not run", rc);
	if (problems) {
		printf("%" PRIu64 " problem%s found in '%s'\n", problems,
		       problems == 1 ? "" : "s", archive);
		return CTL_REFUSED;
	}
	if (!quiet)
		printf("'%s' is sound: catalog, history and content agree\n",
		       archive);
	return CTL_OK;
}
