#include "gitstore_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[len] == '\0';
}

/*
 * fn on each object file of fan-out folder sub, named xx; *deleted is set
 * when one was removed.
 */
static int each_in(DIR *sub, const char *xx, loose_fn fn, void *payload,
		   int *deleted)
{
	struct dirent *se;

	while ((se = readdir(sub)) != NULL) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid id;
		int r;

		if (!is_hex(se->d_name, GIT_OID_HEXSZ - 2))
			continue;
		memcpy(hex, xx, 2);
		memcpy(hex + 2, se->d_name, GIT_OID_HEXSZ - 2);
		hex[GIT_OID_HEXSZ] = '\0';
		if (git_oid_fromstr(&id, hex) < 0) {
			git_error_clear();
			continue;
		}
		if ((r = fn(&id, dirfd(sub), se->d_name, payload)) < 0)
			return r;
		if (r == 0)
			continue;
		if (unlinkat(dirfd(sub), se->d_name, 0) < 0 &&
		    errno != ENOENT)
			return gitstore_sys_fail(errno,
						 "cannot remove object %s",
						 hex);
		*deleted = 1;
	}
	return 0;
}

int loose_each(struct dossier_git *git, loose_fn fn, void *payload)
{
	DIR *top = NULL, *sub = NULL;
	struct dirent *de;
	int rc = 0;

	if (!(top = opendir(git->objdir)))
		return gitstore_sys_fail(errno, "cannot list '%s'",
					 git->objdir);
	while (rc >= 0 && (de = readdir(top)) != NULL) {
		int fd, deleted = 0;

		if (!is_hex(de->d_name, 2))
			continue;
		fd = openat(dirfd(top), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !(sub = fdopendir(fd))) {
			rc = gitstore_sys_fail(errno, "cannot list '%s/%s'",
					       git->objdir, de->d_name);
			if (fd >= 0)
				close(fd);
			break;
		}
		rc = each_in(sub, de->d_name, fn, payload, &deleted);
		closedir(sub);
		sub = NULL;
		if (deleted)
			unlinkat(dirfd(top), de->d_name, AT_REMOVEDIR);
	}
	closedir(top);
	return rc;
}

static int count_cb(const git_oid *id, int dirfd, const char *name,
		    void *payload)
{
	(void)id;
	(void)dirfd;
	(void)name;
	++*(size_t *)payload;
	return 0;
}

int dossier_git_loose_count(struct dossier_git *git, size_t *out)
{
	size_t n = 0;
	int rc;

	if ((rc = loose_each(git, count_cb, &n)) < 0)
		return rc;
	*out = n;
	git->loose_est = n;
	git->loose_known = 1;
	return 0;
}

int dossier_git_loose_estimate(struct dossier_git *git, size_t *out)
{
	if (!git->loose_known)
		return dossier_git_loose_count(git, out);
	*out = git->loose_est;
	return 0;
}

void loose_drop_stale_tmp(struct dossier_git *git, time_t now)
{
	DIR *dir = opendir(git->objdir);
	struct dirent *de;
	struct stat st;

	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "tmp_dossier_", 12) != 0 ||
		    fstatat(dirfd(dir), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < PRUNE_GRACE_SECONDS)
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) < 0)
			dossier_log(LOG_WARNING, "cannot remove '%s/%s': %s",
				    git->objdir, de->d_name, strerror(errno));
	}
	closedir(dir);
}
