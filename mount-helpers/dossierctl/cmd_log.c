#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl log [-n N] [--json] PATH\n\n"
		     "The history of the record at PATH (inside a mounted "
		     "archive), oldest first:\ntime (UTC), author, "
		     "operation, commit, program, reason.\n"
		     "  -n, --max-count=N  only the last N entries\n"
		     "      --json         as JSON\n");
}

int cmd_log(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "max-count", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = {
		"TIME", "AUTHOR", "OP", "COMMIT", "PROGRAM", "REASON", "PATH",
		"FILE",
	};
	struct ctl_version *v = NULL;
	char mnt[4096], rel[4096], *end;
	size_t n = 0, i, first = 0;
	long max = -1;
	int ret, c, json = 0;

	(void)ctl;
	while ((c = ctl_getopt(argc, argv, "hn:", opts, usage, &ret)) != -1) {
		switch (c) {
		case CTL_OPT_END:
			return ret;
		case 'n':
			max = strtol(optarg, &end, 10);
			if (*end || max < 0) {
				fprintf(stderr, "dossierctl log: -n wants a "
					"number of entries, not '%s'\n", optarg);
				return CTL_USAGE;
			}
			break;
		case 'J':
			json = 1;
			break;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return CTL_USAGE;
	}
	if ((ret = ctl_versions(argv[optind], mnt, sizeof(mnt), rel,
				sizeof(rel), &v, &n)) != CTL_OK)
		return ret;
	if (max >= 0 && (size_t)max < n)
		first = n - (size_t)max;
	if (json) {
		struct ctl_table *t = ctl_table_new("log", 1, cols, 8);

		for (i = first; t && i < n; i++) {
			const char *row[8] = { v[i].when, v[i].author, v[i].op,
					       v[i].commit, v[i].program,
					       v[i].reason, v[i].path,
					       v[i].file };

			ctl_table_add(t, row);
		}
		ret = ctl_table_print(t) < 0 ? CTL_REFUSED : CTL_OK;
		free(v);
		return ret;
	}
	/* one line per entry, no header (as git log --oneline) */
	for (i = first; i < n; i++)
		printf("%s  %-12s %-9s %.12s  %-12s %s%s%s%s\n", v[i].when,
		       v[i].author, v[i].op, v[i].commit, v[i].program,
		       v[i].reason[0] ? "reason: " : "", v[i].reason,
		       strcmp(v[i].path, rel) ? "  as " : "",
		       strcmp(v[i].path, rel) ? v[i].path : "");
	free(v);
	return CTL_OK;
}
