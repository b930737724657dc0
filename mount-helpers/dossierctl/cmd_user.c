#include <stdio.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl user add NAME --role ROLE [--dept DEPT]\n"
		     "       dossierctl user list\n\n"
		     "Map a Unix account to a role and a department. Roles: "
		     "gm deputy_gm director\noffice_director manager sales "
		     "archivist auditor staff. An unmapped account\ngets "
		     "nothing. Archivists and gm map users.\n");
}

int cmd_user(struct ctl *ctl, int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *dept = NULL;
	struct ctl_reply r;
	char req[1024];
	int i, ret;

	if (ctl_wants_help(argc, argv)) {
		usage(stdout);
		return CTL_OK;
	}
	if (argc == 2 && !strcmp(argv[1], "list")) {
		if (ctl_call(ctl, "users\n", &r) < 0)
			return CTL_REFUSED;
		if ((ret = ctl_reply_exit(&r, "user list")) == CTL_OK)
			fputs(r.body, stdout);
		ctl_reply_release(&r);
		return ret;
	}
	if (argc < 3 || strcmp(argv[1], "add")) {
		usage(stderr);
		return CTL_USAGE;
	}
	name = argv[2];
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--role") && i + 1 < argc)
			role = argv[++i];
		else if (!strcmp(argv[i], "--dept") && i + 1 < argc)
			dept = argv[++i];
		else {
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (!role || strpbrk(name, "\t\n") || strpbrk(role, "\t\n") ||
	    (dept && strpbrk(dept, "\t\n"))) {
		usage(stderr);
		return CTL_USAGE;
	}
	snprintf(req, sizeof(req), "user-add\t%s\t%s%s%s\n", name, role,
		 dept ? "\t" : "", dept ? dept : "");
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "user add")) == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
