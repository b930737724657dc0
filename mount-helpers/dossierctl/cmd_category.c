#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl category list\n"
		     "       dossierctl category add NAME\n"
		     "       dossierctl category rename OLD NEW\n"
		     "       dossierctl category retention NAME YEARS|permanent\n"
		     "\nCategories are the second level of the tree "
		     "(YEAR/CATEGORY/CLIENT); every year has all of them.\n"
		     "A mounted archive shows a change within a minute.\n");
}

static int print_one(void *ctx, const char *name, int retention)
{
	(void)ctx;
	if (retention < 0)
		printf("%s\tpermanent\n", name);
	else
		printf("%s\t%d years\n", name, retention);
	return 0;
}

int cmd_category(struct ctl *ctl, int argc, char **argv)
{
	struct dossier_archive *a = NULL;
	int rc = 0, ret;

	if ((ret = ctl_only_help(argc, argv, usage, 1, 3)) >= 0)
		return ret;
	/* argv[1] the verb, then its operands */
	argc -= optind - 1;
	argv += optind - 1;
	if (argc < 2 || (strcmp(argv[1], "list") && strcmp(argv[1], "add") &&
			 strcmp(argv[1], "rename") &&
			 strcmp(argv[1], "retention")) ||
	    (!strcmp(argv[1], "list") && argc != 2) ||
	    (!strcmp(argv[1], "add") && argc != 3) ||
	    (!strcmp(argv[1], "rename") && argc != 4) ||
	    (!strcmp(argv[1], "retention") &&
	     (argc != 4 || (strcmp(argv[3], "permanent") &&
			    atoi(argv[3]) <= 0)))) {
		usage(stderr);
		return CTL_USAGE;
	}
	if ((ret = ctl_open(ctl, &a)) != CTL_OK)
		return ret;
	if (!strcmp(argv[1], "list"))
		rc = dossier_category_list(a, print_one, NULL);
	else if (!strcmp(argv[1], "add"))
		rc = dossier_category_add(a, argv[2]);
	else if (!strcmp(argv[1], "retention"))
		rc = dossier_category_set_retention(
			a, argv[2], strcmp(argv[3], "permanent") ?
					    atoi(argv[3]) : -1);
	else
		rc = dossier_category_rename(a, argv[2], argv[3]);
	ret = rc < 0 ? ctl_fail(argv[1], rc) : CTL_OK;
	dossier_archive_close(a);
	return ret;
}
