#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int cmd_restore(struct ctl *ctl, int argc, char **argv)
{
	const char *path = NULL, *rev = NULL, *reason = NULL, *ops[2];
	char mnt[4096], rel[4096], req[8400];
	struct ctl_reply r;
	int ret;

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
	if (!path || !rev || !reason || !reason[0] || strpbrk(reason, "\t\n")) {
		fprintf(stderr, "usage: dossierctl restore PATH REV --reason "
				"TEXT (one line)\n");
		return CTL_USAGE;
	}
	if (ctl_locate(path, mnt, sizeof(mnt), rel, sizeof(rel)) < 0)
		return CTL_REFUSED;
	snprintf(req, sizeof(req), "restore\t%s\t%s\t%s\n", rel, rev, reason);
	if (ctl_request(mnt, req, &r) < 0)
		return CTL_REFUSED;
	ret = ctl_reply_exit(&r, "restore");
	if (ret == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
