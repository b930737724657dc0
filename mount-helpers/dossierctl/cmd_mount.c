#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
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

/*
 * mkdir -p for root's view folders (/run/dossierfs/NAME); the last one,
 * if made, gets mode (the others 0755) and *made is set.
 */
static int make_dirs(const char *path, mode_t mode, int *made)
{
	char buf[PATH_MAX], *p;

	*made = 0;
	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == 0)
		*made = 1;
	return *made || errno == EEXIST ? 0 : -1;
}

/*
 * The folder above a view for Samba, made if missing: NAME's alone (mode
 * 700), the barrier that keeps other users out (the daemon checks it,
 * and refuses one that is not).
 */
static int make_barrier(const char *dir, const char *user)
{
	char buf[PATH_MAX], *slash;
	struct passwd *pw = getpwnam(user);
	int made;

	snprintf(buf, sizeof(buf), "%s", dir);
	slash = strrchr(buf, '/');
	if (!pw || !slash || slash == buf)
		return 0;
	*slash = '\0';
	if (make_dirs(buf, 0700, &made) < 0)
		return -1;
	return made ? chown(buf, pw->pw_uid, pw->pw_gid) : 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl mount --user NAME [--samba] DIR\n\n"
		     "Ask the archive's daemon to serve, at DIR, the archive as "
		     "user NAME sees it:\nonly NAME can enter it (the kernel "
		     "refuses everyone else, root included),\nand it is faster "
		     "than the shared mount because the kernel may cache it.\n"
		     "Root may open any user's view (DIR is made if missing); "
		     "a user, their own\nat a folder they own. End it with "
		     "'fusermount3 -u DIR' or 'dossierctl\nunmount DIR'; it "
		     "ends with the daemon.\n\n"
		     "  --samba  (root) a view smbd can serve: smbd acts for "
		     "NAME with a root real\n"
		     "           uid, which an ordinary view refuses. The "
		     "folder above DIR must be\n"
		     "           NAME's alone (made so if missing): it keeps "
		     "other users out.\n");
}

int cmd_mount(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ "samba", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_reply r;
	char req[PATH_MAX + 300], *dir;
	const char *user = NULL, *where;
	int ret, c, samba = 0, made;

	while ((c = ctl_getopt(argc, argv, "hu:", opts, usage, &ret)) != -1) {
		if (c == CTL_OPT_END)
			return ret;
		if (c == 's')
			samba = 1;
		else
			user = optarg;	/* 'u' */
	}
	if (!user || argc - optind != 1) {
		usage(stderr);
		return CTL_USAGE;
	}
	where = argv[optind];
	if (getuid() == 0 &&
	    ((samba && make_barrier(where, user) < 0) ||
	     make_dirs(where, 0755, &made) < 0)) {
		fprintf(stderr, "dossierctl mount: cannot make '%s': %s\n",
			where, strerror(errno));
		return CTL_REFUSED;
	}
	dir = ctl_view_dir(where);
	if (!dir) {
		fprintf(stderr, "dossierctl mount: cannot resolve '%s': %s\n",
			where, strerror(errno));
		return CTL_REFUSED;
	}
	snprintf(req, sizeof(req), "view-mount\t%s\t%s%s\n", user, dir,
		 samba ? "\tsamba" : "");
	free(dir);
	return ctl_reply_say(ctl_call(ctl, req, &r), &r, "mount");
}
