#include <stdio.h>
#include <unistd.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl sync\n\n"
		     "Commit every change the archive has journaled but not "
		     "yet committed to its\nhistory (changes are committed "
		     "about a second after they happen), and\nreturn when "
		     "they are: before a backup of history.git, or to "
		     "measure.\n");
}

int cmd_sync(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	int ret;

	if ((ret = ctl_only_help(argc, argv, usage, 0, 0)) >= 0)
		return ret;
	if (ctl_call(ctl, "sync\n", &r) < 0)
		return CTL_REFUSED;
	ret = ctl_reply_exit(&r, "sync");
	ctl_reply_release(&r);
	return ret;
}
