#include <getopt.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "error.h"

int ctl_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

int ctl_fail(const char *what, int rc)
{
	const char *msg = dossier_error_last();

	fprintf(stderr, "dossierctl: %s: %s\n", what,
		msg[0] ? msg : dossier_strerror(rc));
	dossier_error_clear();
	return CTL_REFUSED;
}

const char *ctl_archive_path(struct ctl *ctl)
{
	static char found[4096];
	const char *env = getenv("DOSSIER_ARCHIVE");
	struct mntent *m;
	FILE *f;
	int n = 0;

	if (ctl->archive)
		return ctl->archive;
	if (env && env[0])
		return env;
	f = setmntent("/proc/self/mounts", "r");
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "fuse.dossierfs") && !ctl_is_view(m) &&
		    n++ == 0)
			snprintf(found, sizeof(found), "%s", m->mnt_fsname);
	if (f)
		endmntent(f);
	if (n == 1)
		return found;
	fprintf(stderr, n ? "dossierctl: several dossierfs archives are "
			    "mounted: say which with -a ARCHIVE\n" :
			    "dossierctl: no archive given and none mounted: "
			    "use -a ARCHIVE or set DOSSIER_ARCHIVE\n");
	return NULL;
}

int ctl_is_view(const struct mntent *m)
{
	return !hasmntopt(m, "allow_other");
}

int ctl_open(struct ctl *ctl, struct dossier_archive **out)
{
	const char *path = ctl_archive_path(ctl);
	int rc;

	if (!path)
		return CTL_USAGE;
	if ((rc = dossier_archive_open(out, path, 0)) < 0)
		return ctl_fail("cannot open archive", rc);
	return CTL_OK;
}

int ctl_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, void (*usage)(FILE *out),
	       int *ret)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == 'h') {
		usage(stdout);
		*ret = CTL_OK;
		return CTL_OPT_END;
	}
	if (c == '?' || c == ':') {
		usage(stderr);
		*ret = CTL_USAGE;
		return CTL_OPT_END;
	}
	return c;
}

int ctl_only_help(int argc, char **argv, void (*usage)(FILE *out), int min,
		  int max)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ret;

	if (ctl_getopt(argc, argv, "h", opts, usage, &ret) == CTL_OPT_END)
		return ret;
	if (argc - optind < min || argc - optind > max) {
		usage(stderr);
		return CTL_USAGE;
	}
	return -1;
}

int ctl_take_json(int *argc, char **argv)
{
	int i, j, found = 0;

	for (i = j = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--json"))
			found = 1;
		else
			argv[j++] = argv[i];
	}
	for (; i < *argc; i++)
		argv[j++] = argv[i];
	argv[j] = NULL;
	*argc = j;
	return found;
}

int ctl_reason_args(int argc, char **argv, const char **reason,
		    const char **ops, int nops)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'r')
			return -1;
		*reason = optarg;
	}
	for (; optind < argc; optind++) {
		if (n == nops)
			return -1;
		ops[n++] = argv[optind];
	}
	return n;
}

int ctl_is_field(const char *s)
{
	return s[0] && !strpbrk(s, "\t\n");
}

int ctl_target_args(int argc, char **argv, int optional, const char **target,
		    const char **reason)
{
	const char *ops[1];

	*target = NULL;
	*reason = NULL;
	if (ctl_reason_args(argc, argv, reason, ops, 1) != 1 ||
	    strpbrk(ops[0], "\t\n"))
		return -1;
	*target = ops[0];
	if (!*reason)
		return optional ? 0 : -1;
	return ctl_is_field(*reason) && strlen(*reason) <= CTL_REASON_MAX ?
		       0 : -1;
}

int ctl_fields(char *line, char **f, int n)
{
	char *p = line;
	int i, found = 0;

	for (i = 0; i < n; i++) {
		f[i] = p;
		if (!p)
			continue;
		found++;
		if ((p = strchr(p, '\t')))
			*p++ = '\0';
	}
	return found;
}
