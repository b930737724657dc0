#include <stdio.h>

#include "ctl.h"

int cmd_approve_destruction(struct ctl *ctl, int argc, char **argv)
{
	const char *target, *reason;
	struct ctl_reply r;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl approve-destruction ID|PATH --reason "
		       "TEXT\n\n"
		       "Approve destroying a record: a purge destroys a "
		       "confidential or higher\nrecord (setting "
		       "destruction-approval-level) only with an approval.\n"
		       "ID is its number in 'dossierctl trash' or 'dossierctl "
		       "due'. The approver\nand the reason go into the "
		       "destruction register. For gm, deputy_gm and\n"
		       "archivists (setting disposition-roles); audited.\n");
		return CTL_OK;
	}
	if (ctl_target_args(argc, argv, 0, &target, &reason) < 0) {
		fprintf(stderr, "usage: dossierctl approve-destruction ID|PATH "
				"--reason TEXT (one line)\n");
		return CTL_USAGE;
	}
	return ctl_reply_say(ctl_target_call(ctl, "approve-destruction",
					     target, reason, &r),
			     &r, "approve-destruction");
}
