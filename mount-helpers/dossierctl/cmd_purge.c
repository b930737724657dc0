#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl purge\n\n"
		     "Destroy the deleted records whose trash period ended "
		     "(setting trash-days):\nevery version of their content "
		     "leaves the history repository, their\ncontent file "
		     "and "
		     "catalog rows go, and a row of the destruction "
		     "register\n('dossierctl register') says what, when, "
		     "approved by whom and why.\nRecords under legal hold "
		     "stay; confidential and higher ones need\n'dossierctl "
		     "approve-destruction' first. The daemon also runs this "
		     "once a\nday. For gm, deputy_gm and archivists "
		     "(setting disposition-roles).\n");
}

int cmd_purge(struct ctl *ctl, int argc, char **argv)
{
	char *body, *line, *save = NULL;
	struct ctl_reply r;
	int ret;

	if ((ret = ctl_only_help(argc, argv, usage, 0, 0)) >= 0)
		return ret;
	/* destroying content writes history: ctl_call_serving */
	if (ctl_call_serving(ctl, "purge\n", &r) < 0)
		return CTL_REFUSED;
	if (r.status == 2 || (r.status == 1 && !r.body[0])) {
		ret = ctl_reply_exit(&r, "purge");
		ctl_reply_release(&r);
		return ret;
	}
	body = strdup(r.body);
	for (line = body ? strtok_r(body, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[5];

		if (ctl_fields(line, f, 5) < 4)
			continue;
		printf("%-10s %-7s %s%s%s%s\n", f[0], f[1], f[2],
		       f[3][0] ? " (" : "", f[3], f[3][0] ? ")" : "");
	}
	free(body);
	printf("%s\n", r.message);
	ret = r.status == 0 ? CTL_OK : CTL_REFUSED;
	ctl_reply_release(&r);
	return ret;
}
