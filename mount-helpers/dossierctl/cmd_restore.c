#include <stdio.h>

#include "ctl.h"

int cmd_restore(struct ctl *ctl, int argc, char **argv)
{
	const char *path = NULL, *rev = NULL, *reason = NULL, *ops[2];
	char mnt[4096], rel[4096], req[8400];
	struct ctl_reply r;

	(void)ctl;
	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl restore PATH REV --reason TEXT\n\n"
		       "Make version REV the current content of the record at "
		       "PATH. This is a new\nhistory entry; history is never "
		       "rewritten.\n");
		return CTL_OK;
	}
	if (ctl_reason_args(argc, argv, &reason, ops, 2) == 2) {
		path = ops[0];
		rev = ops[1];
	}
	if (!path || !rev || !reason || !ctl_is_field(reason)) {
		fprintf(stderr, "usage: dossierctl restore PATH REV --reason "
				"TEXT (one line)\n");
		return CTL_USAGE;
	}
	if (ctl_locate(path, mnt, sizeof(mnt), rel, sizeof(rel)) < 0)
		return CTL_REFUSED;
	snprintf(req, sizeof(req), "restore\t%s\t%s\t%s\n", rel, rev, reason);
	return ctl_reply_say(ctl_request(mnt, req, &r), &r, "restore");
}
