#include <stdio.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl grants [--json]\n\nThe grants running "
		     "now: yours (given or received), or all of them\nfor "
		     "archivists, gm and auditors; only those on records you "
		     "may list\nnow. Columns: id, record, user, access, "
		     "approver, until (UTC).\n");
}

int cmd_grants(struct ctl *ctl, int argc, char **argv)
{
	static const char *const cols[] = {
		"ID:n", "PATH", "USER", "ACCESS", "APPROVER", "UNTIL",
	};
	int json = ctl_take_json(&argc, argv);
	struct ctl_reply r;
	int ret;

	if ((ret = ctl_only_help(argc, argv, usage, 0, 0)) >= 0)
		return ret;
	if (ctl_call(ctl, "grants\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "grants")) == CTL_OK)
		ret = ctl_print_rows("grants", json, cols, 6, r.body);
	ctl_reply_release(&r);
	return ret;
}
