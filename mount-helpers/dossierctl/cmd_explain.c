#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int cmd_explain(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *user = NULL;
	struct ctl_reply r;
	char tmpl[512];
	int i, ret;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl explain PATH [--user NAME]\n\n"
		       "Say, for each action (list, read, write, create, "
		       "delete, history,\nclassify, grant), which rule "
		       "decides it for you (or NAME: archivists,\ngm and "
		       "auditors only) and what grant or site would allow "
		       "it.\n");
		return CTL_OK;
	}
	/* GNU order: options anywhere ("explain PATH --user=NAME"), "--" ends */
	while ((i = getopt_long(argc, argv, "u:", opts, NULL)) != -1) {
		if (i != 'u') {
			fprintf(stderr, "usage: dossierctl explain PATH "
				"[--user NAME]\n");
			return CTL_USAGE;
		}
		user = optarg;
	}
	if (optind + 1 == argc)
		path = argv[optind];
	if (!path || (user && strpbrk(user, "\t\n"))) {
		fprintf(stderr, "usage: dossierctl explain PATH [--user NAME]\n");
		return CTL_USAGE;
	}
	snprintf(tmpl, sizeof(tmpl), "explain\t%%s%s%s\n", user ? "\t" : "",
		 user ? user : "");
	if (ctl_path_call(ctl, path, tmpl, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "explain")) == CTL_OK)
		fputs(r.body, stdout);
	ctl_reply_release(&r);
	return ret;
}
