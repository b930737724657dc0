#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

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

/*
 * The demo's people: one of every role, in two departments. make demo
 * (tests/tools/demo.sh) creates these accounts before 'init --demo',
 * which maps the ones that exist.
 */
static const struct {
	const char *name, *role, *dept;
} demo_users[] = {
	{ "chen_gm", "gm", "management" },
	{ "liu_deputy", "deputy_gm", "management" },
	{ "sun_director", "director", "marketing" },
	{ "zhou_office", "office_director", "office" },
	{ "wang_manager", "manager", "sales" },
	{ "zhao_manager", "manager", "service" },
	{ "zhang_sales", "sales", "sales" },
	{ "li_sales", "sales", "sales" },
	{ "he_service", "sales", "service" },
	{ "wu_archivist", "archivist", "archives" },
	{ "zheng_auditor", "auditor", "audit" },
	{ "qian_staff", "staff", "sales" },
};

/* Map the demo users whose accounts exist; say what to run for the rest. */
static void map_demo_users(struct dossier_archive *a, const char *path)
{
	struct dossier_caller root = { 0, 0, getpid() };
	size_t i, n = sizeof(demo_users) / sizeof(demo_users[0]), mapped = 0;
	char req[256];

	for (i = 0; i < n; i++) {
		struct dossier_buf out = DOSSIER_BUF_INIT;

		if (!getpwnam(demo_users[i].name))
			continue;
		snprintf(req, sizeof(req), "user-add\t%s\t%s\t%s\n",
			 demo_users[i].name, demo_users[i].role,
			 demo_users[i].dept);
		if (dossier_archive_control(a, &root, req, strlen(req),
					    &out) == 0)
			mapped++;
		dossier_buf_release(&out);
	}
	printf("mapped %zu of the %zu demo users (Unix accounts that "
	       "exist)\n", mapped, n);
	if (mapped == n)
		return;
	printf("for the demo tour, create the others and map them:\n");
	for (i = 0; i < n; i++)
		if (!getpwnam(demo_users[i].name))
			printf("  useradd -m %s && dossierctl -a %s user add %s "
			       "--role %s --dept %s\n", demo_users[i].name,
			       path, demo_users[i].name, demo_users[i].role,
			       demo_users[i].dept);
	printf("(or run 'make demo', which does all of it and prints the "
	       "tour)\n");
}

int cmd_init(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "demo", no_argument, NULL, 'd' },
		{ "lang", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	enum dossier_lang lang = DOSSIER_LANG_EN;
	struct dossier_archive *a = NULL;
	const char *path = NULL;
	int demo = 0, i, rc;

	(void)ctl;
	while ((i = ctl_getopt(argc, argv, "h", opts, usage, &rc)) != -1) {
		switch (i) {
		case CTL_OPT_END:
			return rc;
		case 'd':
			demo = 1;
			break;
		case 'l':
			if (!strcmp(optarg, "zh")) {
				lang = DOSSIER_LANG_ZH;
			} else if (strcmp(optarg, "en")) {
				fprintf(stderr, "dossierctl init: language "
					"'%s' is not en or zh\n", optarg);
				return CTL_USAGE;
			}
			break;
		}
	}
	if (optind + 1 == argc)
		path = argv[optind];
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
		if (rc < 0) {
			dossier_archive_close(a);
			return ctl_fail("cannot fill demo archive", rc);
		}
	}
	printf("created archive '%s'%s\n", path, demo ? " with demo data" : "");
	if (demo) {
		map_demo_users(a, path);
		dossier_archive_close(a);
	}
	return CTL_OK;
}
