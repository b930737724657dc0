#include <stdio.h>

#include "ctl.h"

int cmd_sync(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	int ret;

	if (ctl_wants_help(argc, argv) || argc != 1) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl sync\n\n"
			"Commit every change the archive has journaled but not "
			"yet committed to its\nhistory (changes are committed "
			"about a second after they happen), and\nreturn when "
			"they are: before a backup of history.git, or to "
			"measure.\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if (ctl_call(ctl, "sync\n", &r) < 0)
		return CTL_REFUSED;
	ret = ctl_reply_exit(&r, "sync");
	ctl_reply_release(&r);
	return ret;
}
