#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_approve_destruction(struct ctl *ctl, int argc, char **argv)
{
	const char *target = NULL, *reason = NULL, *ops[1];
	char req[1200], tmpl[1200];
	struct ctl_reply r;
	int ret, rc;

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
	target = ctl_reason_args(argc, argv, &reason, ops, 1) == 1 ? ops[0] :
								     NULL;
	if (!target || !reason || !reason[0] || strpbrk(reason, "\t\n") ||
	    strpbrk(target, "\t\n") || strlen(reason) > 1000) {
		fprintf(stderr, "usage: dossierctl approve-destruction ID|PATH "
				"--reason TEXT (one line)\n");
		return CTL_USAGE;
	}
	if (target[0] && strspn(target, "0123456789") == strlen(target)) {
		snprintf(req, sizeof(req), "approve-destruction\t#%.20s\t%s\n",
			 target, reason);
		rc = ctl_call(ctl, req, &r);
	} else {
		snprintf(tmpl, sizeof(tmpl), "approve-destruction\t%%s\t%s\n",
			 reason);
		rc = ctl_path_call(ctl, target, tmpl, &r);
	}
	if (rc < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "approve-destruction")) == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
