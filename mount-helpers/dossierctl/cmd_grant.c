#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "error.h"
#include "when.h"

int cmd_grant(struct ctl *ctl, int argc, char **argv)
{
	const char *path = NULL, *user = NULL, *reason = NULL, *dur = NULL;
	int read = 0, write = 0, i, ret;
	struct ctl_reply r;
	char tmpl[2048];
	int64_t secs;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl grant PATH --user NAME --read [--write] "
		       "--for DURATION --reason TEXT\n\n"
		       "Lend the record at PATH to NAME for DURATION (30s, "
		       "15m, 4h, 2d). Only an\napprover the policy names may "
		       "do this, and not beyond the level's maximum\n"
		       "(confidential: 4h, approved by gm or deputy_gm; "
		       "secret and topsecret are\nnever lent). The grant "
		       "ends by itself, open files included.\n");
		return CTL_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strcmp(argv[i], "--for") && i + 1 < argc)
			dur = argv[++i];
		else if (!strcmp(argv[i], "--reason") && i + 1 < argc)
			reason = argv[++i];
		else if (!strcmp(argv[i], "--read"))
			read = 1;
		else if (!strcmp(argv[i], "--write"))
			write = 1;
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			path = NULL, i = argc;
	}
	if (!path || !user || !reason || !dur || !(read || write) ||
	    !reason[0] || strpbrk(reason, "\t\n") || strpbrk(user, "\t\n")) {
		fprintf(stderr, "usage: dossierctl grant PATH --user NAME --read "
				"[--write] --for DURATION --reason TEXT\n");
		return CTL_USAGE;
	}
	if (dossier_duration_parse(dur, &secs) < 0) {
		fprintf(stderr, "dossierctl grant: %s\n", dossier_error_last());
		return CTL_USAGE;
	}
	snprintf(tmpl, sizeof(tmpl), "grant\t%%s\t%s\t%s\t%lld\t%s\n", user,
		 write ? "rw" : "r", (long long)secs, reason);
	if (ctl_path_call(ctl, path, tmpl, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "grant")) == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
