#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int cmd_revoke(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	char req[64];
	int ret;

	if (ctl_wants_help(argc, argv) || argc != 2 || atoll(argv[1]) <= 0) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl revoke ID\n\nEnd grant ID now (see "
			"'dossierctl grants'): by its approver, its holder,\n"
			"an archivist, gm or deputy_gm.\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	snprintf(req, sizeof(req), "revoke\t%lld\n", atoll(argv[1]));
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "revoke")) == CTL_OK)
		printf("grant %s %s\n", argv[1], r.message);
	ctl_reply_release(&r);
	return ret;
}
