#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int cmd_log(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_version *v = NULL;
	char mnt[4096], rel[4096];
	size_t n = 0, i;
	int ret;

	(void)ctl;
	if (ctl_wants_help(argc, argv) || argc != 2) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl log PATH\n\n"
			"The history of the record at PATH (inside a mounted "
			"archive), oldest first:\ntime (UTC), author, "
			"operation, commit, program, reason.\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if ((ret = ctl_versions(argv[1], mnt, sizeof(mnt), rel, sizeof(rel),
				&v, &n)) != CTL_OK)
		return ret;
	for (i = 0; i < n; i++)
		printf("%s  %-12s %-9s %.12s  %-12s %s%s%s%s\n", v[i].when,
		       v[i].author, v[i].op, v[i].commit, v[i].program,
		       v[i].reason[0] ? "reason: " : "", v[i].reason,
		       strcmp(v[i].path, rel) ? "  as " : "",
		       strcmp(v[i].path, rel) ? v[i].path : "");
	free(v);
	return CTL_OK;
}
