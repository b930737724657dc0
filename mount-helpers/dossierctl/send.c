/*
 * Where a command's request goes: through the control file of the
 * mounted archive (the daemon learns the caller from the kernel), or,
 * for an archive that is not mounted, straight into libdossier (only root
 * can open the root-only catalog, so the caller is root).
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "ctl.h"
#include "error.h"

int ctl_mount_of_archive(struct ctl *ctl, char *mnt, size_t mntsz)
{
	const char *want = ctl->archive ? ctl->archive :
					  getenv("DOSSIER_ARCHIVE");
	char *real = want && want[0] ? realpath(want, NULL) : NULL;
	struct mntent *m;
	int n = 0;
	FILE *f;

	if (want && want[0] && !real)
		return -1;
	mnt[0] = '\0';
	f = setmntent("/proc/self/mounts", "r");
	while (f && (m = getmntent(f))) {
		if (strcmp(m->mnt_type, "fuse.dossierfs") || ctl_is_view(m))
			continue;
		if (real && strcmp(real, m->mnt_fsname))
			continue;
		if (n++ == 0)
			snprintf(mnt, mntsz, "%s", m->mnt_dir);
	}
	if (f)
		endmntent(f);
	free(real);
	if (n > 1 && !want) {
		fprintf(stderr, "dossierctl: several dossierfs archives are "
				"mounted: say which with -a ARCHIVE\n");
		return -2;
	}
	return n ? 0 : -1;
}

/* The request to an archive that is not mounted, opened with flags. */
static int offline(struct ctl *ctl, const char *req, unsigned flags,
		   struct ctl_reply *out)
{
	struct dossier_caller me = { getuid(), getgid(), getpid() };
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_archive *a = NULL;
	const char *path = ctl_archive_path(ctl);
	int rc;

	if (!path)
		return -1;
	if ((rc = dossier_archive_open(&a, path, flags)) < 0) {
		ctl_fail("cannot open archive", rc);
		return -1;
	}
	dossier_archive_control(a, &me, req, strlen(req), &b);
	dossier_archive_close(a);
	ctl_reply_parse(out, dossier_buf_detach(&b, NULL));
	return 0;
}

/*
 * ctl_call, opening an unmounted archive with flags; *mounted (if not
 * NULL) says which way the request went.
 */
static int call(struct ctl *ctl, const char *req, unsigned flags,
		struct ctl_reply *out, int *mounted)
{
	char mnt[4096];
	int rc = ctl_mount_of_archive(ctl, mnt, sizeof(mnt));

	if (rc == -2)
		return -1;
	if (mounted)
		*mounted = rc == 0;
	if (rc == 0)
		return ctl_request(mnt, req, out);
	return offline(ctl, req, flags, out);
}

int ctl_call(struct ctl *ctl, const char *req, struct ctl_reply *out)
{
	return call(ctl, req, 0, out, NULL);
}

int ctl_call_serving(struct ctl *ctl, const char *req, struct ctl_reply *out)
{
	return call(ctl, req, DOSSIER_ARCHIVE_OPEN_SERVE, out, NULL);
}

/* req = tmpl with its first "%s" replaced by path */
static void fill(char *req, size_t reqsz, const char *tmpl, const char *path)
{
	const char *mark = strstr(tmpl, "%s");

	if (!mark)
		snprintf(req, reqsz, "%s", tmpl);
	else
		snprintf(req, reqsz, "%.*s%s%s", (int)(mark - tmpl), tmpl,
			 path, mark + 2);
}

int ctl_path_call(struct ctl *ctl, const char *path, const char *fmt_rest,
		  struct ctl_reply *out)
{
	char mnt[4096], rel[4096], req[9000];

	if (ctl_locate(path, mnt, sizeof(mnt), rel, sizeof(rel)) == 0) {
		fill(req, sizeof(req), fmt_rest, rel);
		return ctl_request(mnt, req, out);
	}
	if (!ctl->archive) {
		fprintf(stderr, "dossierctl: or give -a ARCHIVE and a path "
				"inside the archive (YEAR/CATEGORY/...)\n");
		return -1;
	}
	/* an unmounted archive: PATH is relative to its root */
	while (*path == '/')
		path++;
	fill(req, sizeof(req), fmt_rest, path);
	return offline(ctl, req, 0, out);
}

int ctl_target_call(struct ctl *ctl, const char *verb, const char *target,
		    const char *arg, struct ctl_reply *out)
{
	char req[9000];

	if (target[0] && strspn(target, "0123456789") == strlen(target)) {
		snprintf(req, sizeof(req), "%s\t#%.20s%s%s\n", verb, target,
			 arg ? "\t" : "", arg ? arg : "");
		return ctl_call(ctl, req, out);
	}
	snprintf(req, sizeof(req), "%s\t%%s%s%s\n", verb, arg ? "\t" : "",
		 arg ? arg : "");
	return ctl_path_call(ctl, target, req, out);
}

int ctl_stage(struct ctl *ctl, int refs, char *out, size_t outsz,
	      int *mounted)
{
	const char *req = refs ? "backup-stage\trefs\n" : "backup-stage\n";
	struct ctl_reply r;
	char lock[4200];
	int fd;

	if (call(ctl, req, 0, &r, mounted) < 0)
		return -1;
	if (ctl_reply_exit(&r, refs ? "verify" : "backup") != CTL_OK) {
		ctl_reply_release(&r);
		return -1;
	}
	snprintf(out, outsz, "%s", r.message);
	ctl_reply_release(&r);
	/* held (shared) until we exit: a purge's sweep leaves it alone */
	snprintf(lock, sizeof(lock), "%s/lock", out);
	if ((fd = open(lock, O_RDONLY | O_CLOEXEC)) < 0 ||
	    flock(fd, LOCK_SH) < 0) {
		fprintf(stderr, "dossierctl: cannot lock the snapshot '%s': "
			"%s\n", out, strerror(errno));
		return -1;
	}
	return 0;
}
