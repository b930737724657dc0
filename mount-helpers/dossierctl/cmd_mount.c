#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

/*
 * The absolute path of dir without entering it: its parent resolved,
 * its own name kept (a view's root refuses everyone but its user, so
 * realpath(3) of the folder itself fails for root). NULL on error.
 */
char *ctl_view_dir(const char *dir)
{
	char *copy = strdup(dir), *slash, *parent, *out = NULL;
	const char *base;
	size_t len;

	if (!copy)
		return NULL;
	len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		parent = realpath(".", NULL);
		base = copy;
	} else {
		*slash = '\0';
		parent = realpath(slash == copy ? "/" : copy, NULL);
		base = slash + 1;
	}
	if (parent && base[0] && strcmp(base, ".") && strcmp(base, "..") &&
	    (out = malloc(strlen(parent) + strlen(base) + 2)))
		sprintf(out, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "",
			base);
	free(parent);
	free(copy);
	return out;
}

/* mkdir -p for root's view folders (/run/dossierfs/NAME). */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

int cmd_mount(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply r;
	char req[PATH_MAX + 300], *dir;
	int ret;

	if (ctl_wants_help(argc, argv) || argc != 4 ||
	    strcmp(argv[1], "--user")) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl mount --user NAME DIR\n\n"
			"Ask the archive's daemon to serve, at DIR, the archive "
			"as user NAME sees it:\nonly NAME can enter it (the "
			"kernel refuses everyone else, root included),\nand it "
			"is faster than the shared mount because the kernel may "
			"cache it.\nRoot may open any user's view (DIR is made "
			"if missing); a user, their own\nat a folder they own. "
			"End it with 'fusermount3 -u DIR' or 'dossierctl\n"
			"unmount DIR'; it ends with the daemon.\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	if (getuid() == 0 && make_dirs(argv[3]) < 0) {
		fprintf(stderr, "dossierctl mount: cannot make '%s': %s\n",
			argv[3], strerror(errno));
		return CTL_REFUSED;
	}
	dir = ctl_view_dir(argv[3]);
	if (!dir) {
		fprintf(stderr, "dossierctl mount: cannot resolve '%s': %s\n",
			argv[3], strerror(errno));
		return CTL_REFUSED;
	}
	snprintf(req, sizeof(req), "view-mount\t%s\t%s\n", argv[2], dir);
	free(dir);
	if (ctl_call(ctl, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "mount")) == CTL_OK)
		printf("%s\n", r.message);
	ctl_reply_release(&r);
	return ret;
}
