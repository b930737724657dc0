#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "error.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl init ARCHIVE [--lang en|zh] [--demo]\n"
		     "\nCreate a new archive in the folder ARCHIVE (new or "
		     "empty).\n"
		     "  --lang en|zh  language of the default category names "
		     "(en)\n"
		     "  --demo        fill it with sample years, clients and "
		     "records\n");
}

int cmd_init(struct ctl *ctl, int argc, char **argv)
{
	enum dossier_lang lang = DOSSIER_LANG_EN;
	struct dossier_archive *a = NULL;
	const char *path = NULL;
	int demo = 0, i, rc;

	(void)ctl;
	if (ctl_wants_help(argc, argv)) {
		usage(stdout);
		return CTL_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--demo")) {
			demo = 1;
		} else if (!strcmp(argv[i], "--lang") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "zh")) {
				lang = DOSSIER_LANG_ZH;
			} else if (strcmp(argv[i], "en")) {
				fprintf(stderr, "dossierctl init: language "
					"'%s' is not en or zh\n", argv[i]);
				return CTL_USAGE;
			}
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			fprintf(stderr, "dossierctl init: unexpected '%s'\n",
				argv[i]);
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (!path) {
		usage(stderr);
		return CTL_USAGE;
	}
	if ((rc = dossier_archive_create(path, lang)) < 0)
		return ctl_fail("cannot create archive", rc);
	if (demo) {
		/* served, so the demo records enter history as created */
		if ((rc = dossier_archive_open(&a, path,
					       DOSSIER_ARCHIVE_OPEN_SERVE)) < 0)
			return ctl_fail("cannot open new archive", rc);
		rc = dossier_archive_fill_demo(a);
		dossier_archive_close(a);
		if (rc < 0)
			return ctl_fail("cannot fill demo archive", rc);
	}
	printf("created archive '%s'%s\n", path, demo ? " with demo data" : "");
	return CTL_OK;
}
