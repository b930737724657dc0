#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "when.h"

int cmd_grant(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'R' },
		{ "read", no_argument, NULL, 'r' },
		{ "write", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *user = NULL, *reason = NULL, *dur = NULL;
	int read = 0, write = 0, i;
	struct ctl_reply r;
	char tmpl[2048];
	int64_t secs;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: dossierctl grant PATH --user NAME --read [--write] "
		       "--for DURATION --reason TEXT\n\n"
		       "Lend the record at PATH to NAME for DURATION (30s, "
		       "15m, 4h, 1h30m, 2d). Only an\napprover the policy names may "
		       "do this, and not beyond the level's maximum\n"
		       "(confidential: 4h, approved by gm or deputy_gm; "
		       "secret and topsecret are\nnever lent). The grant "
		       "ends by itself, open files included.\n");
		return CTL_OK;
	}
	/* GNU order: options anywhere, "--opt=value" too, "--" ends them */
	while ((i = getopt_long(argc, argv, "u:", opts, NULL)) != -1) {
		switch (i) {
		case 'u': user = optarg; break;
		case 'f': dur = optarg; break;
		case 'R': reason = optarg; break;
		case 'r': read = 1; break;
		case 'w': write = 1; break;
		default:
			fprintf(stderr, "usage: dossierctl grant PATH --user "
				"NAME --read [--write] --for DURATION "
				"--reason TEXT\n");
			return CTL_USAGE;
		}
	}
	if (optind + 1 == argc)
		path = argv[optind];
	if (!path || !user || !reason || !dur || !(read || write) ||
	    !ctl_is_field(reason) || strpbrk(user, "\t\n")) {
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
	return ctl_reply_say(ctl_path_call(ctl, path, tmpl, &r), &r, "grant");
}
