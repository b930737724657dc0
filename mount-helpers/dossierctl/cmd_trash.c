#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl trash [--user NAME] [--json]\n\n"
		     "The deleted records you may see, oldest deletion first, "
		     "with the days left\nbefore 'dossierctl purge' destroys "
		     "them (setting trash-days). --user lists\nonly what NAME "
		     "deleted. Restore one with mv out of MOUNT/.trash or "
		     "with\n'dossierctl restore-deleted ID'.\n");
}

/* "N days", "today" (purged at the next purge), or the state. */
static void left_words(char *out, size_t outsz, long days, const char *state)
{
	if (!strcmp(state, "held") || !strcmp(state, "purging"))
		snprintf(out, outsz, "%s", state);
	else if (days > 0)
		snprintf(out, outsz, "%ld day%s%s", days, days == 1 ? "" : "s",
			 state[0] ? ", needs approval" : "");
	else
		snprintf(out, outsz, "%s", state[0] ? "needs approval" :
						      "next purge");
}

/*
 * The reply's rows as a table and the trash period (its "days" line), or
 * a sentence when there are none; for_user: the listing was --user's.
 */
static void print_table(const char *body, int for_user)
{
	static const char *const cols[] = {
		"ID:n", "DELETED", "BY", "LEVEL", "LEFT", "WHERE IT WAS",
	};
	struct ctl_table *table = ctl_table_new("trash", 0, cols, 6);
	char *copy = strdup(body), *line, *save = NULL;
	int rows = 0, period = -1;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[7], when[32], left[64];
		time_t t;
		struct tm tm;

		if (!strncmp(line, "days\t", 5)) {
			period = atoi(line + 5);
			continue;
		}
		if (ctl_fields(line, f, 7) < 7)
			continue;
		rows++;
		t = (time_t)atoll(f[1]);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		left_words(left, sizeof(left), atol(f[2]), f[3]);
		{
			const char *v[6] = { f[0], when, f[4], f[5], left,
					     f[6] };

			ctl_table_add(table, v);
		}
	}
	free(copy);
	ctl_table_print(table);	/* nothing for no rows */
	if (rows == 0)
		printf("the trash is empty%s\n", for_user ? " for that user" :
							    "");
	else if (period >= 0)
		printf("\nDeleted records stay %d day%s in the trash (setting "
		       "trash-days); restore with\nmv out of MOUNT/.trash or "
		       "'dossierctl restore-deleted ID'.\n", period,
		       period == 1 ? "" : "s");
}

int cmd_trash(struct ctl *ctl, int argc, char **argv)
{
	static const char *const json_cols[] = {
		"ID:n", "DELETED:n", "DAYS_LEFT:n", "STATE", "BY", "LEVEL",
		"PATH",
	};
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *list;
	char req[512];
	struct ctl_reply r;
	int c, ret;
	int json = ctl_take_json(&argc, argv);

	if (ctl_wants_help(argc, argv)) {
		usage(stdout);
		return CTL_OK;
	}
	while ((c = getopt_long(argc, argv, "u:", opts, NULL)) != -1) {
		if (c != 'u') {
			usage(stderr);
			return CTL_USAGE;
		}
		user = optarg;
	}
	if (optind != argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (user && strpbrk(user, "\t\n")) {
		usage(stderr);
		return CTL_USAGE;
	}
	snprintf(req, sizeof(req), user ? "trash\t%s\n" : "trash\n",
		 user ? user : "");
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "trash")) == CTL_OK && json) {
		/* the first line is the trash period */
		list = !strncmp(r.body, "days\t", 5) && strchr(r.body, '\n') ?
			       strchr(r.body, '\n') + 1 : r.body;
		ret = ctl_print_rows("trash", 1, json_cols, 7, list);
	} else if (ret == CTL_OK) {
		print_table(r.body, user != NULL);
	}
	ctl_reply_release(&r);
	return ret;
}
