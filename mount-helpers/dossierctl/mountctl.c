/*
 * Talking to a mounted archive: find the mount that holds a path, and run
 * a request through its control file (/.dossier/ctl). The daemon takes
 * the caller's identity from the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

/* realpath of path, or of its deepest existing ancestor plus the rest. */
static char *real_or_parent(const char *path)
{
	char *copy = strdup(path), *slash, *r = NULL, *out;
	size_t len;

	if (!copy)
		return NULL;
	r = realpath(copy, NULL);
	if (r) {
		free(copy);
		return r;
	}
	slash = strrchr(copy, '/');
	if (!slash) {
		r = realpath(".", NULL);
		slash = copy - 1;
	} else if (slash == copy) {
		r = strdup("/");
	} else {
		*slash = '\0';
		r = real_or_parent(copy);
	}
	if (!r) {
		free(copy);
		return NULL;
	}
	len = strlen(r) + strlen(slash + 1) + 2;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%s%s%s", r, strcmp(r, "/") ? "/" : "",
			 slash + 1);
	free(r);
	free(copy);
	return out;
}

int ctl_locate(const char *path, char *mnt, size_t mntsz, char *rel,
	       size_t relsz)
{
	char *abs = real_or_parent(path);
	struct mntent *m;
	size_t best = 0;
	FILE *f;

	if (!abs) {
		fprintf(stderr, "dossierctl: cannot resolve '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	f = setmntent("/proc/self/mounts", "r");
	while (f && (m = getmntent(f))) {
		size_t len = strlen(m->mnt_dir);

		if (strcmp(m->mnt_type, "fuse.dossierfs") ||
		    strncmp(abs, m->mnt_dir, len) ||
		    (abs[len] != '/' && abs[len] != '\0') || len < best)
			continue;
		best = len;
		snprintf(mnt, mntsz, "%s", m->mnt_dir);
		snprintf(rel, relsz, "%s", abs[len] == '/' ? abs + len + 1 : "");
	}
	if (f)
		endmntent(f);
	free(abs);
	if (!best) {
		fprintf(stderr, "dossierctl: '%s' is not inside a mounted "
				"dossierfs archive\n", path);
		return -1;
	}
	return 0;
}

int ctl_request(const char *mnt, const char *req, struct ctl_reply *out)
{
	char path[PATH_MAX], *buf = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/.dossier/ctl", mnt);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "dossierctl: cannot reach the archive at '%s': "
				"%s\n", mnt, strerror(errno));
		return -1;
	}
	if (pwrite(fd, req, strlen(req), 0) != (ssize_t)strlen(req)) {
		fprintf(stderr, "dossierctl: cannot send the request: %s\n",
			strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		if (len + 65536 + 1 > cap) {
			char *nb;

			cap = (len + 65536 + 1) * 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		n = pread(fd, buf + len, 65536, (off_t)len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf || !len) {
		free(buf);
		fprintf(stderr, "dossierctl: no answer from the archive\n");
		return -1;
	}
	buf[len] = '\0';
	ctl_reply_parse(out, buf);
	return 0;
}

void ctl_reply_parse(struct ctl_reply *out, char *raw)
{
	char *nl = strchr(raw, '\n');

	memset(out, 0, sizeof(*out));
	out->raw = raw;
	out->status = atoi(raw);
	out->message = strchr(raw, '\t');
	out->message = out->message ? out->message + 1 : raw;
	if (nl)
		*nl = '\0';
	out->body = nl ? nl + 1 : raw + strlen(raw);
}

void ctl_reply_release(struct ctl_reply *r)
{
	free(r->raw);
	memset(r, 0, sizeof(*r));
}

int ctl_reply_exit(struct ctl_reply *r, const char *cmd)
{
	if (r->status == 0)
		return CTL_OK;
	fprintf(stderr, "dossierctl %s: %s\n", cmd, r->message);
	return r->status == 2 ? CTL_USAGE : CTL_REFUSED;
}

int ctl_reply_say(int rc, struct ctl_reply *r, const char *cmd)
{
	int ret;

	if (rc < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(r, cmd)) == CTL_OK)
		printf("%s\n", r->message);
	ctl_reply_release(r);
	return ret;
}
