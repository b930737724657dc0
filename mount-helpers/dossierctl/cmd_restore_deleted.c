#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl restore-deleted PATH|ID\n\n"
		     "Bring a deleted record back where it was, with its "
		     "id, level and whole\nhistory. PATH is where it was "
		     "(the latest record deleted there) or its\nplace under "
		     "MOUNT/.trash; ID is its number in 'dossierctl trash'. "
		     "Deleted\nfolders on the way come back too. To restore "
		     "elsewhere or under another\nname, mv it out of "
		     "MOUNT/.trash.\n");
}

int cmd_restore_deleted(struct ctl *ctl, int argc, char **argv)
{
	const char *t;
	struct ctl_reply r;
	int ret, rc;

	if ((ret = ctl_only_help(argc, argv, usage, 1, 1)) >= 0)
		return ret;
	argv += optind - 1;	/* argv[1]: the operand */
	t = argv[1];
	if (strpbrk(t, "\t\n"))
		return CTL_USAGE;
	/*
	 * NEEDSWORK: 20 digits or more are a path here but an ID to hold,
	 * release and approve-destruction; no id is that long (48 bits).
	 */
	if (strlen(t) >= 20)
		rc = ctl_path_call(ctl, t, "restore-deleted\t%s\n", &r);
	else
		rc = ctl_target_call(ctl, "restore-deleted", t, NULL, &r);
	return ctl_reply_say(rc, &r, "restore-deleted");
}
