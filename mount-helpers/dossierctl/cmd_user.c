#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl user add NAME --role ROLE [--dept DEPT]\n"
		     "       dossierctl user set NAME [--role ROLE] [--dept DEPT]\n"
		     "       dossierctl user remove NAME\n"
		     "       dossierctl user list [--json]\n\n"
		     "Map a Unix account to a role and a department, change "
		     "or end the mapping.\nRoles: gm deputy_gm director "
		     "office_director manager sales archivist\nauditor staff. "
		     "An unmapped account gets nothing; removing a user ends "
		     "their\ngrants. Changes take effect at once, for files "
		     "already open too, and are\naudited. Archivists and gm "
		     "map users.\n");
}

/* One request, its message printed on success. */
static int run(struct ctl *ctl, const char *req, const char *what)
{
	struct ctl_reply r;

	return ctl_reply_say(ctl_call(ctl, req, &r), &r, what);
}

static int list(struct ctl *ctl, int json)
{
	static const char *const cols[] = { "NAME", "DEPT", "ROLE", "UID:n" };
	struct ctl_table *t;
	struct ctl_reply r;
	char *line, *save = NULL;
	int ret;

	if (ctl_call(ctl, "users\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "user list")) != CTL_OK) {
		ctl_reply_release(&r);
		return ret;
	}
	t = ctl_table_new("users", json, cols, 4);
	/* the reply: name, uid, role, dept */
	for (line = strtok_r((char *)r.body, "\n", &save); t && line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { line, NULL, NULL, NULL };
		const char *v[4];
		int i;

		for (i = 1; i < 4 && f[i - 1]; i++)
			if ((f[i] = strchr(f[i - 1], '\t')))
				*f[i]++ = '\0';
		v[0] = f[0];
		v[1] = f[3];
		v[2] = f[2];
		v[3] = f[1];
		ctl_table_add(t, v);
	}
	ret = ctl_table_print(t) < 0 ? CTL_REFUSED : CTL_OK;
	ctl_reply_release(&r);
	return ret;
}

int cmd_user(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "role", required_argument, NULL, 'r' },
		{ "dept", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *dept = NULL, *verb, *name = NULL;
	char req[1024];
	int c, ret, json = 0;

	/* options may come anywhere ("user add --role=gm NAME" too) */
	while ((c = ctl_getopt(argc, argv, "hr:d:J", opts, usage, &ret)) !=
	       -1) {
		switch (c) {
		case CTL_OPT_END:
			return ret;
		case 'r':
			role = optarg;
			break;
		case 'd':
			dept = optarg;
			break;
		case 'J':
			json = 1;
			break;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	verb = argv[optind];
	if (optind + 1 < argc)
		name = argv[optind + 1];
	if (!strcmp(verb, "list") && !name && !role && !dept)
		return list(ctl, json);
	if (!name || optind + 2 != argc || json || strpbrk(name, "\t\n") ||
	    (role && !ctl_is_field(role)) || (dept && !ctl_is_field(dept))) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (!strcmp(verb, "add") && role) {
		snprintf(req, sizeof(req), "user-add\t%s\t%s%s%s\n", name, role,
			 dept ? "\t" : "", dept ? dept : "");
		return run(ctl, req, "user add");
	}
	if (!strcmp(verb, "set") && (role || dept)) {
		snprintf(req, sizeof(req), "user-set\t%s\t%s\t%s\n", name,
			 role ? role : "-", dept ? dept : "-");
		return run(ctl, req, "user set");
	}
	if (!strcmp(verb, "remove") && !role && !dept) {
		snprintf(req, sizeof(req), "user-remove\t%s\n", name);
		return run(ctl, req, "user remove");
	}
	usage(stderr);
	return CTL_USAGE;
}
