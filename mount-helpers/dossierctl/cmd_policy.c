#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* settings and rule rows as one listing (rule fields empty for settings) */
static int print_json(const char *body)
{
	static const char *const cols[] = {
		"KIND", "KEY", "VALUE", "ID:n", "FAMILY", "PRIORITY:n",
		"ACTION", "LEVEL", "SCOPE", "RELATION", "ROLE", "SITE",
		"EFFECT", "APPROVERS", "NOTE",
	};
	struct ctl_table *t = ctl_table_new("policy", 1, cols, 15);
	char *copy = strdup(body), *line, *save = NULL;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; t && line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *v[15] = { NULL };
		char *p = line;
		int i = 0, rule = !strncmp(line, "rule\t", 5);

		while (p && i < 15) {
			v[i] = p;
			/* a rule's fields start at ID */
			i = i == 0 && rule ? 3 : i + 1;
			if ((p = strchr(p, '\t')))
				*p++ = '\0';
		}
		ctl_table_add(t, v);
	}
	free(copy);
	return ctl_table_print(t) < 0 ? CTL_REFUSED : CTL_OK;
}

int cmd_policy(struct ctl *ctl, int argc, char **argv)
{
	int json = ctl_take_json(&argc, argv);
	struct ctl_reply r;
	char req[1024];
	int ret;

	if (ctl_wants_help(argc, argv) ||
	    !(argc == 1 || (argc == 2 && !strcmp(argv[1], "show")) ||
	      (argc == 4 && !strcmp(argv[1], "set")))) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl policy [show] [--json]\n"
			"       dossierctl policy set KEY VALUE\n\n"
			"Show the access rules (rows of the rule store) and "
			"the settings\n(trash-days, thumbnailers, root-role, "
			"...), or change a setting\n(archivists and gm; "
			"audited).\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if (argc == 4) {
		if (strpbrk(argv[2], "\t\n") || strpbrk(argv[3], "\t\n"))
			return CTL_USAGE;
		snprintf(req, sizeof(req), "policy-set\t%s\t%s\n", argv[2],
			 argv[3]);
	} else {
		snprintf(req, sizeof(req), "policy\n");
	}
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "policy")) == CTL_OK) {
		if (argc == 4)
			printf("%s\n", r.message);
		else if (json)
			ret = print_json(r.body);
		else
			fputs(r.body, stdout);
	}
	ctl_reply_release(&r);
	return ret;
}
