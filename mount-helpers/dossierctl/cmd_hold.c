#include <stdio.h>

#include "ctl.h"

int cmd_hold(struct ctl *ctl, int argc, char **argv)
{
	const char *target, *reason;
	struct ctl_reply r;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl hold PATH|ID --reason TEXT\n\n"
		       "Put a legal hold on a record or on a folder and "
		       "everything in it: while\nheld, nothing there can be "
		       "deleted (EPERM) or destroyed by a purge.\n'dossierctl "
		       "release PATH' lifts it. For gm, deputy_gm and "
		       "archivists\n(setting disposition-roles); audited.\n");
		return CTL_OK;
	}
	if (ctl_target_args(argc, argv, 0, &target, &reason) < 0) {
		fprintf(stderr, "usage: dossierctl hold PATH|ID --reason TEXT "
				"(one line)\n");
		return CTL_USAGE;
	}
	return ctl_reply_say(ctl_target_call(ctl, "hold", target, reason, &r),
			     &r, "hold");
}
