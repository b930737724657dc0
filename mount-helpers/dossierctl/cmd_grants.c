#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_grants(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	int ret;

	if (ctl_wants_help(argc, argv) || argc != 1) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl grants\n\nThe grants running now: "
			"yours (given or received), or all of them\nfor "
			"archivists, gm and auditors. Columns: id, record, "
			"user, access,\napproved by, until (UTC).\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if (ctl_call(ctl, "grants\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "grants")) == CTL_OK)
		fputs(r.body, stdout);
	ctl_reply_release(&r);
	return ret;
}
