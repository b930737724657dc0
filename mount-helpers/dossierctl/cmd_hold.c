#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_hold(struct ctl *ctl, int argc, char **argv)
{
	const char *target = NULL, *reason = NULL, *ops[1];
	char req[1200], tmpl[1200];
	struct ctl_reply r;
	int ret, rc;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl hold PATH|ID --reason TEXT\n\n"
		       "Put a legal hold on a record or on a folder and "
		       "everything in it: while\nheld, nothing there can be "
		       "deleted (EPERM) or destroyed by a purge.\n'dossierctl "
		       "release PATH' lifts it. For gm, deputy_gm and "
		       "archivists\n(setting disposition-roles); audited.\n");
		return CTL_OK;
	}
	target = ctl_reason_args(argc, argv, &reason, ops, 1) == 1 ? ops[0] :
								     NULL;
	if (!target || !reason || !reason[0] || strpbrk(reason, "\t\n") ||
	    strpbrk(target, "\t\n") || strlen(reason) > 1000) {
		fprintf(stderr, "usage: dossierctl hold PATH|ID --reason TEXT "
				"(one line)\n");
		return CTL_USAGE;
	}
	if (target[0] && strspn(target, "0123456789") == strlen(target)) {
		snprintf(req, sizeof(req), "hold\t#%.20s\t%s\n", target,
			 reason);
		rc = ctl_call(ctl, req, &r);
	} else {
		snprintf(tmpl, sizeof(tmpl), "hold\t%%s\t%s\n", reason);
		rc = ctl_path_call(ctl, target, tmpl, &r);
	}
	if (rc < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "hold")) == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
