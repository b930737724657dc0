#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_release(struct ctl *ctl, int argc, char **argv)
{
	const char *target = NULL, *reason = NULL, *ops[1];
	char req[1200], tmpl[1200];
	struct ctl_reply r;
	int ret, rc;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl release PATH|ID [--reason TEXT]\n\n"
		       "Lift the legal holds placed on PATH itself (a hold on "
		       "a folder above it\nis released on that folder). For "
		       "gm, deputy_gm and archivists; audited.\n");
		return CTL_OK;
	}
	target = ctl_reason_args(argc, argv, &reason, ops, 1) == 1 ? ops[0] :
								     NULL;
	if (!target || (reason && (!reason[0] || strpbrk(reason, "\t\n") ||
				   strlen(reason) > 1000)) ||
	    strpbrk(target, "\t\n")) {
		fprintf(stderr, "usage: dossierctl release PATH|ID [--reason "
				"TEXT]\n");
		return CTL_USAGE;
	}
	if (target[0] && strspn(target, "0123456789") == strlen(target)) {
		snprintf(req, sizeof(req), "release\t#%.20s%s%s\n", target,
			 reason ? "\t" : "", reason ? reason : "");
		rc = ctl_call(ctl, req, &r);
	} else {
		snprintf(tmpl, sizeof(tmpl), "release\t%%s%s%s\n",
			 reason ? "\t" : "", reason ? reason : "");
		rc = ctl_path_call(ctl, target, tmpl, &r);
	}
	if (rc < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "release")) == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
