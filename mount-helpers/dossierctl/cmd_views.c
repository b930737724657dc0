#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "ctl.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl views\n\nList the per-user views the "
		     "daemon serves (root: all; a user: their own),\none per "
		     "line: USER<TAB>DIR, and <TAB>samba for a view for Samba.\n");
}

int cmd_views(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	const char *line;
	int ret;

	if ((ret = ctl_only_help(argc, argv, usage, 0, 0)) >= 0)
		return ret;
	if (ctl_call(ctl, "views\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "views")) == CTL_OK)
		for (line = r.body; *line;) {
			const char *nl = strchr(line, '\n'), *tab;
			char name[256];

			if (dossier_account_name(name, sizeof(name),
						 (uid_t)atol(line)) < 0)
				snprintf(name, sizeof(name), "?");
			tab = strchr(line, '\t');
			if (!nl || !tab)
				break;
			printf("%s\t%.*s\n", name, (int)(nl - tab - 1),
			       tab + 1);
			line = nl + 1;
		}
	ctl_reply_release(&r);
	return ret;
}
