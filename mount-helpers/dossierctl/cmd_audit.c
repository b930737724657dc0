/*
 * dossierctl audit: read the audit trail. The request goes through the
 * mounted archive's control file, so the daemon knows the caller from the
 * kernel and answers auditors only.
 */
#include <getopt.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "when.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dossierctl audit [--json] [--user NAME] [--path PATH] "
		"[--since TIME] [--denied]\n"
		"                        [--limit N]\n\n"
		"The audit trail of the archive, oldest first: every read, "
		"save, delete,\nrestore, reclassification, grant and refusal. "
		"For auditors.\n\n"
		"  --user NAME   rows of this user (name or uid)\n"
		"  --path PATH   rows about PATH and everything below it: a "
		"path inside the\n"
		"                mount, or one relative to the archive root "
		"(2024/contracts)\n"
		"  --since TIME  rows from TIME on: 2024-05-01, "
		"2024-05-01T10:00 (local time,\n"
		"                or with Z or +08:00), unix seconds, or ago: "
		"30m, 12h, 7d\n"
		"  --denied      refusals only\n"
		"  --limit N     the latest N rows (default 1000; 0: all)\n\n"
		"Times are shown in UTC. The archive is the mount holding "
		"--path, else -a\nARCHIVE, $DOSSIER_ARCHIVE or the only "
		"mounted dossierfs.\n");
}

/*
 * Whether path names something inside a mounted dossierfs (then it is
 * translated with ctl_locate), rather than a path relative to the
 * archive's root. Quiet: a "no" is not an error here.
 */
static int in_a_mount(const char *path)
{
	char abs[PATH_MAX * 2], cwd[PATH_MAX], *real = realpath(path, NULL);
	struct mntent *m;
	int found = 0;
	FILE *f;

	if (real)
		snprintf(abs, sizeof(abs), "%s", real);
	else if (path[0] == '/')
		snprintf(abs, sizeof(abs), "%s", path);
	else if (getcwd(cwd, sizeof(cwd)))
		snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	else
		abs[0] = '\0';
	free(real);
	f = setmntent("/proc/self/mounts", "r");
	while (abs[0] && f && !found && (m = getmntent(f))) {
		size_t len = strlen(m->mnt_dir);

		found = !strcmp(m->mnt_type, "fuse.dossierfs") &&
			!strncmp(abs, m->mnt_dir, len) &&
			(abs[len] == '/' || abs[len] == '\0' ||
			 !strcmp(m->mnt_dir, "/"));
	}
	if (f)
		endmntent(f);
	return found;
}

static int one_line(const char *opt, const char *v)
{
	if (!ctl_is_field(v)) {
		fprintf(stderr, "dossierctl audit: %s wants one line of text "
				"without tabs\n", opt);
		return -1;
	}
	return 0;
}

/* Print the reply's rows as a table. */
static void print_rows(const char *body)
{
	static const char *const cols[] = {
		"TIME (UTC)", "USER", "UID:n", "PID:n", "PROGRAM", "ACTION",
		"DECISION", "RULE", "PATH", "DETAIL",
	};
	struct ctl_table *t = ctl_table_new("audit", 0, cols, 10);
	const char *line = body, *nl;
	char buf[16384], *f[10];

	for (; t && *line; line = nl ? nl + 1 : line + strlen(line)) {
		const char *v[10];

		nl = strchr(line, '\n');
		snprintf(buf, sizeof(buf), "%.*s",
			 (int)(nl ? nl - line : (long)strlen(line)), line);
		/* fields may be empty: split by hand, not with strtok */
		if (ctl_fields(buf, f, 10) < 10)
			continue;
		/* the reply: time user uid pid program action path decision
		 * rule detail */
		v[0] = f[0];
		v[1] = f[1];
		v[2] = f[2];
		v[3] = f[3];
		v[4] = f[4];
		v[5] = f[5];
		v[6] = f[7];
		v[7] = f[8];
		v[8] = f[6][0] ? f[6] : "/";
		v[9] = f[9];
		ctl_table_add(t, v);
	}
	ctl_table_print(t);
}

int cmd_audit(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "user", required_argument, NULL, 'u' },
		{ "path", required_argument, NULL, 'p' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "denied", no_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *user = NULL, *path = NULL, *since = NULL, *limit = NULL;
	char mnt[4096], rel[4096], req[8800];
	struct ctl_reply r;
	static const char *const json_cols[] = {
		"TIME", "USER", "UID:n", "PID:n", "PROGRAM", "ACTION", "PATH",
		"DECISION", "RULE", "DETAIL",
	};
	int64_t t = 0;
	int i, denied = 0, ret, len, via_mount = 0;
	int json = ctl_take_json(&argc, argv);

	while ((i = ctl_getopt(argc, argv, "h", opts, usage, &ret)) != -1) {
		switch (i) {
		case CTL_OPT_END: return ret;
		case 'u': user = optarg; break;
		case 'p': path = optarg; break;
		case 's': since = optarg; break;
		case 'l': limit = optarg; break;
		case 'd': denied = 1; break;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	if ((user && one_line("--user", user) < 0) ||
	    (path && one_line("--path", path) < 0))
		return CTL_USAGE;
	if (since && dossier_time_parse(since, 1, (int64_t)time(NULL),
					&t) < 0) {
		fprintf(stderr, "dossierctl audit: --since: %s (local time "
				"unless a zone is given)\n",
			dossier_error_last());
		return CTL_USAGE;
	}
	if (limit && (!limit[0] || strlen(limit) > 9 ||
		      strspn(limit, "0123456789") != strlen(limit))) {
		fprintf(stderr, "dossierctl audit: --limit wants a number "
				"(0: all rows)\n");
		return CTL_USAGE;
	}
	if (path && in_a_mount(path)) {
		if (ctl_locate(path, mnt, sizeof(mnt), rel, sizeof(rel)) < 0)
			return CTL_REFUSED;
		path = rel;
		via_mount = 1;
	}
	len = snprintf(req, sizeof(req), "audit");
	if (user)
		len += snprintf(req + len, sizeof(req) - (size_t)len,
				"\tuser=%s", user);
	if (path)
		len += snprintf(req + len, sizeof(req) - (size_t)len,
				"\tpath=%s", path);
	if (since)
		len += snprintf(req + len, sizeof(req) - (size_t)len,
				"\tsince=%lld", (long long)t);
	if (denied)
		len += snprintf(req + len, sizeof(req) - (size_t)len,
				"\tdenied=1");
	if (limit)
		len += snprintf(req + len, sizeof(req) - (size_t)len,
				"\tlimit=%s", limit);
	if ((size_t)len + 2 > sizeof(req)) {
		fprintf(stderr, "dossierctl audit: the request is too long\n");
		return CTL_USAGE;
	}
	snprintf(req + len, sizeof(req) - (size_t)len, "\n");
	if ((via_mount ? ctl_request(mnt, req, &r) : ctl_call(ctl, req, &r)) <
	    0)
		return CTL_REFUSED;
	ret = ctl_reply_exit(&r, "audit");
	if (ret == CTL_OK && json)
		ret = ctl_print_rows("audit", 1, json_cols, 10, r.body);
	else if (ret == CTL_OK) {
		if (r.body[0])
			print_rows(r.body);
		else
			printf("no audit rows match\n");
		if (strchr(r.message, '('))
			fprintf(stderr, "dossierctl audit: %s\n", r.message);
	}
	ctl_reply_release(&r);
	return ret;
}
