#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl revoke ID\n\nEnd grant ID now (see "
		     "'dossierctl grants'): by its approver, its holder,\n"
		     "an archivist, gm or deputy_gm.\n");
}

int cmd_revoke(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	char req[64];
	int ret;

	if ((ret = ctl_only_help(argc, argv, usage, 1, 1)) >= 0)
		return ret;
	argv += optind - 1;	/* argv[1]: the operand */
	if (atoll(argv[1]) <= 0) {
		usage(stderr);
		return CTL_USAGE;
	}
	snprintf(req, sizeof(req), "revoke\t%lld\n", atoll(argv[1]));
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "revoke")) == CTL_OK)
		printf("grant %s %s\n", argv[1], r.message);
	ctl_reply_release(&r);
	return ret;
}
