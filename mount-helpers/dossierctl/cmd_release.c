#include <stdio.h>

#include "ctl.h"

int cmd_release(struct ctl *ctl, int argc, char **argv)
{
	const char *target, *reason;
	struct ctl_reply r;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl release PATH|ID [--reason TEXT]\n\n"
		       "Lift the legal holds placed on PATH itself (a hold on "
		       "a folder above it\nis released on that folder). For "
		       "gm, deputy_gm and archivists; audited.\n");
		return CTL_OK;
	}
	if (ctl_target_args(argc, argv, 1, &target, &reason) < 0) {
		fprintf(stderr, "usage: dossierctl release PATH|ID [--reason "
				"TEXT]\n");
		return CTL_USAGE;
	}
	return ctl_reply_say(ctl_target_call(ctl, "release", target, reason,
					     &r),
			     &r, "release");
}
