#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl due [--json]\n\n"
		     "Live records past their category's retention period "
		     "(year folder +\nretention years is before this year), "
		     "for an approver's decision: approve\nwith 'dossierctl "
		     "approve-destruction ID --reason TEXT' and delete, or "
		     "keep\nthem with 'dossierctl hold'. Categories kept "
		     "permanently never show.\n");
}

/* The reply's rows as a table, or a sentence when there are none. */
static void print_table(const char *body)
{
	static const char *const cols[] = {
		"ID:n", "LEVEL", "KEPT", "DUE SINCE", "STATE", "PATH",
	};
	struct ctl_table *table = ctl_table_new("due", 0, cols, 6);
	char *copy = strdup(body), *line, *save = NULL;
	int rows = 0;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[8], keep[48];

		if (ctl_fields(line, f, 8) < 8)
			continue;
		rows++;
		snprintf(keep, sizeof(keep), "%s y (%s)", f[3], f[2]);
		{
			const char *v[6] = { f[0], f[5], keep, f[4],
					     f[6][0] ? f[6] : "-", f[7] };

			ctl_table_add(table, v);
		}
	}
	free(copy);
	ctl_table_print(table);	/* nothing for no rows */
	if (rows == 0)
		printf("no record is past its retention period\n");
}

int cmd_due(struct ctl *ctl, int argc, char **argv)
{
	static const char *const json_cols[] = {
		"ID:n", "YEAR:n", "CATEGORY", "KEEP_YEARS:n", "DUE_SINCE:n",
		"LEVEL", "STATE", "PATH",
	};
	struct ctl_reply r;
	int ret;
	int json = ctl_take_json(&argc, argv);

	if ((ret = ctl_only_help(argc, argv, usage, 0, 0)) >= 0)
		return ret;
	if (ctl_call(ctl, "due\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "due")) == CTL_OK) {
		if (json)
			ret = ctl_print_rows("due", 1, json_cols, 8, r.body);
		else
			print_table(r.body);
	}
	ctl_reply_release(&r);
	return ret;
}
