#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int cmd_unmount(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	char req[PATH_MAX + 64], *dir;
	int ret;

	if (ctl_wants_help(argc, argv) || argc != 2) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl unmount DIR\n\nEnd the view at DIR "
			"(see 'dossierctl mount'): by its user or root.\n"
			"'fusermount3 -u DIR' does the same.\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	dir = ctl_view_dir(argv[1]);
	if (!dir) {
		fprintf(stderr, "dossierctl unmount: cannot resolve '%s'\n",
			argv[1]);
		return CTL_REFUSED;
	}
	snprintf(req, sizeof(req), "view-unmount\t%s\n", dir);
	free(dir);
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	ret = ctl_reply_exit(&r, "unmount");
	ctl_reply_release(&r);
	return ret;
}
