#include <errno.h>
#include <fcntl.h>
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

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl show PATH REV\n\n"
		     "Write version REV (a commit id as 'log' shows it, at least "
		     "4 hex digits)\nof the record at PATH to standard "
		     "output.\n");
}

int cmd_show(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_version *v = NULL;
	const struct ctl_version *one;
	char mnt[4096], rel[4096];
	size_t n = 0;
	int ret;

	(void)ctl;
	if ((ret = ctl_only_help(argc, argv, usage, 2, 2)) >= 0)
		return ret;
	argv += optind - 1;	/* argv[1] PATH, argv[2] REV */
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
