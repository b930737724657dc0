#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

int ctl_copy_version(const char *mnt, const char *rel,
		     const struct ctl_version *v, int out);

/* Copy version v of the record at rel (in mnt's .history) to out. */
int ctl_copy_version(const char *mnt, const char *rel,
		     const struct ctl_version *v, int out)
{
	char path[8400], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/.history/%s/%s", mnt, rel, v->file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "dossierctl: cannot read version %.12s: %s\n",
			v->commit, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	close(fd);
	if (n < 0) {
		fprintf(stderr, "dossierctl: cannot copy version %.12s: %s\n",
			v->commit, strerror(errno));
		return -1;
	}
	return 0;
}

/* show --text PATH [REV]: the text kept for a version. */
static int show_text(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	char tmpl[256];
	int ret;

	if (argc == 4 && (strlen(argv[3]) > 40 || strpbrk(argv[3], "\t\n%"))) {
		fprintf(stderr, "dossierctl show: '%s' is not a version\n",
			argv[3]);
		return CTL_USAGE;
	}
	snprintf(tmpl, sizeof(tmpl), "text\t%%s%s%s\n", argc == 4 ? "\t" : "",
		 argc == 4 ? argv[3] : "");
	if (ctl_path_call(ctl, argv[2], tmpl, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "show --text")) == CTL_OK)
		fputs(r.body, stdout);
	ctl_reply_release(&r);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl show PATH REV\n"
		     "       dossierctl show --text PATH [REV]\n\n"
		     "Write version REV (a commit id as 'log' shows it, at "
		     "least 4 hex digits)\nof the record at PATH to standard "
		     "output. With --text, write the text\nkept for it instead "
		     "(for a scan or image: the recognised text), of the\n"
		     "current version without REV; an older version needs the "
		     "history right.\n");
}

int cmd_show(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "text", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_version *v = NULL;
	const struct ctl_version *one;
	char mnt[4096], rel[4096];
	size_t n = 0;
	int ret, c, text = 0;

	while ((c = ctl_getopt(argc, argv, "ht", opts, usage, &ret)) != -1) {
		if (c == CTL_OPT_END)
			return ret;
		text = 1;	/* 't' */
	}
	if (argc - optind < 2 - text || argc - optind > 2) {
		usage(stderr);
		return CTL_USAGE;
	}
	/* show_text wants argv[2] PATH [argv[3] REV], the rest argv[1] PATH */
	argc -= optind - 1 - text;
	argv += optind - 1 - text;
	if (text)
		return show_text(ctl, argc, argv);
	if ((ret = ctl_versions(argv[1], mnt, sizeof(mnt), rel, sizeof(rel),
				&v, &n)) != CTL_OK)
		return ret;
	one = ctl_find_version(v, n, argv[2]);
	if (!one) {
		fprintf(stderr, "dossierctl show: no single version '%s' of "
				"'%s' (see 'dossierctl log')\n", argv[2],
			argv[1]);
		free(v);
		return CTL_REFUSED;
	}
	ret = ctl_copy_version(mnt, rel, one, STDOUT_FILENO) < 0 ?
		      CTL_REFUSED : CTL_OK;
	free(v);
	return ret;
}
