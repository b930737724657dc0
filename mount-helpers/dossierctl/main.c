/*
 * dossierctl COMMAND ...: the archive's administration and user CLI.
 * One file per command, cmd_<name>(), listed in the table below.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "error.h"
#include "log.h"

static const struct ctl_cmd commands[] = {
	{ "init", cmd_init, "create a new archive" },
	{ "category", cmd_category, "list, add or rename categories" },
	{ "log", cmd_log, "the history of a record" },
	{ "show", cmd_show, "one version of a record, to standard output" },
	{ "diff", cmd_diff, "compare two versions of a record" },
	{ "search", cmd_search, "find records by their text, scans included" },
	{ "ocr", cmd_ocr, "the state of background text recognition" },
	{ "restore", cmd_restore, "make an old version current again" },
	{ "sync", cmd_sync, "commit every journaled change to history now" },
	{ "trash", cmd_trash, "list deleted records with the days they have left" },
	{ "restore-deleted", cmd_restore_deleted, "bring a deleted record back" },
	{ "purge", cmd_purge, "destroy deleted records whose trash period ended" },
	{ "register", cmd_register, "print the destruction register" },
	{ "approve-destruction", cmd_approve_destruction, "approve destroying a classified record" },
	{ "hold", cmd_hold, "put a legal hold on a record or folder" },
	{ "release", cmd_release, "lift a legal hold" },
	{ "due", cmd_due, "list records past their retention period" },
	{ "audit", cmd_audit, "read the audit trail (auditors)" },
	{ "user", cmd_user, "map Unix accounts to roles and departments" },
	{ "grant", cmd_grant, "lend a record to a user for a time" },
	{ "grants", cmd_grants, "list grants" },
	{ "revoke", cmd_revoke, "end a grant" },
	{ "explain", cmd_explain, "say which rule decides each action on a record" },
	{ "policy", cmd_policy, "show or change the access policy and settings" },
	{ "mount", cmd_mount, "serve a user's own view of the archive at a folder" },
	{ "unmount", cmd_unmount, "end a user's view" },
	{ "views", cmd_views, "list the views the daemon serves" },
	{ "backup", cmd_backup, "make a consistent backup, also while mounted" },
	{ "restore-backup", cmd_restore_backup, "make a new archive from a backup" },
	{ "verify", cmd_verify, "check catalog, history and content agree" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: dossierctl [-a ARCHIVE] COMMAND [ARGS...]\n\n"
		     "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'dossierctl COMMAND --help' describes a command.\n"
		     "The archive is -a ARCHIVE, else $DOSSIER_ARCHIVE, else "
		     "the only mounted dossierfs.\n"
		     "Exit status: 0 done, 1 refused or failed, 2 usage "
		     "error.\n");
}

/*
 * "--opt=value" as "--opt value", for the commands that read their
 * options by hand (those on getopt_long take both forms anyway); "--"
 * and what follows it are left alone. The new argv lives until exit.
 */
static char **split_long_options(int *argc, char **argv)
{
	char **out = calloc((size_t)*argc * 2 + 1, sizeof(*out));
	int i, n = 0, rest = 0;

	if (!out)
		return argv;
	for (i = 0; i < *argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!strcmp(argv[i], "--"))
			rest = 1;
		if (!rest && !strncmp(argv[i], "--", 2) && eq && eq > argv[i] + 2) {
			out[n++] = strndup(argv[i], (size_t)(eq - argv[i]));
			out[n++] = eq + 1;
		} else {
			out[n++] = argv[i];
		}
	}
	*argc = n;
	return out;
}

int main(int argc, char **argv)
{
	struct ctl ctl = { NULL };
	int i = 1;
	size_t c;

	dossier_log_set_level(LOG_WARNING);
	/*
	 * Names in the archive are UTF-8: tables measure them in display
	 * cells, and under the C locale libsmartcols would print \x escapes.
	 */
	setlocale(LC_ALL, "");
	if (strcmp(nl_langinfo(CODESET), "UTF-8"))
		setlocale(LC_CTYPE, "C.UTF-8");
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return CTL_OK;
		} else if (!strcmp(argv[i], "-a") && i + 1 < argc) {
			ctl.archive = argv[i + 1];
			i += 2;
		} else {
			fprintf(stderr, "dossierctl: unknown option '%s'\n",
				argv[i]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	argc -= i;
	argv = split_long_options(&argc, argv + i);
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[0], commands[c].name)) {
			char *name = NULL;

			/* getopt's messages say "dossierctl COMMAND: ..." */
			if (asprintf(&name, "dossierctl %s", argv[0]) > 0)
				argv[0] = name;
			return commands[c].fn(&ctl, argc, argv);
		}
	fprintf(stderr, "dossierctl: '%s' is not a command; see "
			"'dossierctl --help'\n", argv[0]);
	return CTL_USAGE;
}
