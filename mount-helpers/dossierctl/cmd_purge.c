#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "error.h"

/*
 * An archive that is not mounted is purged here, as its serving process:
 * destroying content needs the history repository, which only the one
 * serving process may write (ctl_call's unmounted path opens without it).
 */
static int purge_unmounted(struct ctl *ctl, struct ctl_reply *out)
{
	struct dossier_caller me = { getuid(), getgid(), getpid() };
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_archive *a = NULL;
	const char *path = ctl_archive_path(ctl);
	char *nl;
	int rc;

	if (!path)
		return -1;
	if ((rc = dossier_archive_open(&a, path,
				       DOSSIER_ARCHIVE_OPEN_SERVE)) < 0) {
		ctl_fail("cannot open archive", rc);
		return -1;
	}
	dossier_archive_control(a, &me, "purge\n", 6, &b);
	dossier_archive_close(a);
	memset(out, 0, sizeof(*out));
	out->raw = dossier_buf_detach(&b, NULL);
	out->status = atoi(out->raw);
	out->message = strchr(out->raw, '\t');
	out->message = out->message ? out->message + 1 : out->raw;
	nl = strchr(out->raw, '\n');
	if (nl)
		*nl = '\0';
	out->body = nl ? nl + 1 : out->raw + strlen(out->raw);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl purge\n\n"
		     "Destroy the deleted records whose trash period ended "
		     "(setting trash-days):\nevery version of their content "
		     "leaves the history repository, their\ncontent file "
		     "and "
		     "catalog rows go, and a row of the destruction "
		     "register\n('dossierctl register') says what, when, "
		     "approved by whom and why.\nRecords under legal hold "
		     "stay; confidential and higher ones need\n'dossierctl "
		     "approve-destruction' first. The daemon also runs this "
		     "once a\nday. For gm, deputy_gm and archivists "
		     "(setting disposition-roles).\n");
}

int cmd_purge(struct ctl *ctl, int argc, char **argv)
{
	char mnt[4096], *body, *line, *save = NULL;
	struct ctl_reply r;
	int rc, ret;

	if ((ret = ctl_only_help(argc, argv, usage, 0, 0)) >= 0)
		return ret;
	rc = ctl_mount_of_archive(ctl, mnt, sizeof(mnt));
	if (rc == -2)
		return CTL_REFUSED;
	rc = rc == 0 ? ctl_request(mnt, "purge\n", &r) :
		       purge_unmounted(ctl, &r);
	if (rc < 0)
		return CTL_REFUSED;
	if (r.status == 2 || (r.status == 1 && !r.body[0])) {
		ret = ctl_reply_exit(&r, "purge");
		ctl_reply_release(&r);
		return ret;
	}
	body = strdup(r.body);
	for (line = body ? strtok_r(body, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *p = line;
		int i;

		for (i = 0; i < 5; i++) {
			f[i] = p;
			p = p ? strchr(p, '\t') : NULL;
			if (p)
				*p++ = '\0';
		}
		if (!f[3])
			continue;
		printf("%-10s %-7s %s%s%s%s\n", f[0], f[1], f[2],
		       f[3][0] ? " (" : "", f[3], f[3][0] ? ")" : "");
	}
	free(body);
	printf("%s\n", r.message);
	ret = r.status == 0 ? CTL_OK : CTL_REFUSED;
	ctl_reply_release(&r);
	return ret;
}
