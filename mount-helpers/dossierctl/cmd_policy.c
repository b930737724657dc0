#include <stdio.h>
#include <string.h>

#include "ctl.h"

int cmd_policy(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	char req[1024];
	int ret;

	if (ctl_wants_help(argc, argv) ||
	    !(argc == 1 || (argc == 2 && !strcmp(argv[1], "show")) ||
	      (argc == 4 && !strcmp(argv[1], "set")))) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl policy [show]\n"
			"       dossierctl policy set KEY VALUE\n\n"
			"Show the access rules (rows of the rule store) and "
			"the settings\n(trash-days, thumbnailers, root-role, "
			"...), or change a setting\n(archivists and gm; "
			"audited).\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if (argc == 4) {
		if (strpbrk(argv[2], "\t\n") || strpbrk(argv[3], "\t\n"))
			return CTL_USAGE;
		snprintf(req, sizeof(req), "policy-set\t%s\t%s\n", argv[2],
			 argv[3]);
	} else {
		snprintf(req, sizeof(req), "policy\n");
	}
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "policy")) == CTL_OK) {
		if (argc == 4)
			printf("%s\n", r.message);
		else
			fputs(r.body, stdout);
	}
	ctl_reply_release(&r);
	return ret;
}
