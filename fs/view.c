/*
 * Per-user views: further FUSE sessions of the serving daemon, each
 * mounted for one uid alone. The kernel lets no other process in (root
 * included) when a FUSE mount has no allow_other: it checks that the
 * caller's real, effective and saved uid and gid are user_id and
 * group_id. We open /dev/fuse and mount(2) ourselves (we are root), then
 * give libfuse the descriptor as "/dev/fd/N" (libfuse >= 3.3), and run
 * the session's loop on threads of its own.
 *
 * A view for Samba (DOSSIER_VIEW_SAMBA) is mounted with allow_other,
 * as smbd acts for a user with a root real uid, which the kernel check
 * above refuses. Other users are kept out by the folder above the view,
 * which must be the user's alone (checked here, at mount), and by the
 * request handlers, which refuse every uid but the user's and root's.
 */
#include "fs_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "log.h"
#include "session.h"

#define FUSE_MAGIC 0x65735546

/*
 * Open dir as who would (their fsuid and fsgid, no supplementary
 * groups: the file-system capabilities go with fsuid 0), so that a user
 * cannot make the daemon reach a directory they could not. Credentials
 * are per thread in the kernel; glibc's setgroups() would change every
 * thread's, so the system call is made directly.
 */
static int open_dir_as(const struct dossier_caller *who, const char *dir)
{
	gid_t groups[256];
	int ngroups = -1, fd, saverr;

	if (who->uid != 0) {
		ngroups = getgroups(256, groups);
		if (ngroups < 0 || syscall(SYS_setgroups, 0, NULL) < 0)
			return -EPERM;
		setfsgid(who->gid);
		setfsuid(who->uid);
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	saverr = errno;
	if (who->uid != 0) {
		setfsuid(0);
		setfsgid(0);
		syscall(SYS_setgroups, (size_t)ngroups, groups);
	}
	return fd < 0 ? -saverr : fd;
}

/* "\040" and friends of /proc/self/mountinfo, decoded in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] &&
		    s[3]) {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

/*
 * Find a dossierfs mount in /proc/self/mountinfo: with path set, the
 * last one mounted at path (its device into *dev); with *dev set, the
 * one of that device (its mount point into path). 0 or -1.
 */
static int mountinfo(char *path, size_t pathsz, dev_t *dev, int by_path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mp[4096], type[64];
		const char *dash = strstr(line, " - ");

		if (!dash || sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj,
				    &min, mp) != 3 ||
		    sscanf(dash + 3, "%63s", type) != 1 ||
		    strcmp(type, "fuse.dossierfs"))
			continue;
		unescape(mp);
		if (by_path && !strcmp(mp, path)) {
			*dev = makedev(maj, min);
			found = 0;
		} else if (!by_path && makedev(maj, min) == *dev) {
			snprintf(path, pathsz, "%s", mp);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * Unmount view s wherever it is now (its user may have moved the
 * folder above it), never following a symbolic link; with abort, also
 * end its connection, so that a view still in use cannot keep the loop
 * (and the daemon) alive.
 */
static void unmount_view(struct fs *s, int abort_conn)
{
	char path[4096], ctl[128];
	int fd;

	if (s->dev && mountinfo(path, sizeof(path), &s->dev, 0) == 0 &&
	    umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
		dossier_log(LOG_WARNING, "cannot unmount view '%s': %s", path,
			    strerror(errno));
	/* device unknown (mountinfo unreadable at start): by its path */
	if (!s->dev && abort_conn)
		umount2(s->dir, MNT_DETACH | UMOUNT_NOFOLLOW);
	if (!abort_conn || !s->dev)
		return;
	snprintf(ctl, sizeof(ctl), "/sys/fs/fuse/connections/%u/abort",
		 minor(s->dev));
	/* systemd mounts fusectl at boot; a bare system may not have it */
	if (access(ctl, W_OK) < 0)
		mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL);
	fd = open(ctl, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			dossier_log(LOG_WARNING, "cannot end view '%s': %s",
				    s->dir, strerror(errno));
		close(fd);
	}
}

static void view_free(struct fs *s)
{
	notifier_stop(s->notifier);
	if (s->se)
		fuse_session_destroy(s->se);
	free(s->dir);
	free(s);
}

/* Join and free the views whose loop ended. */
static void reap(struct daemon *d)
{
	struct fs *dead, *next;

	pthread_mutex_lock(&d->lock);
	dead = d->dead;
	d->dead = NULL;
	pthread_mutex_unlock(&d->lock);
	for (; dead; dead = next) {
		next = dead->next;
		pthread_join(dead->thread, NULL);
		dossier_log(LOG_NOTICE, "view of uid %u at '%s' ended",
			    (unsigned)dead->uid, dead->dir);
		view_free(dead);
	}
}

static void *view_loop(void *arg)
{
	struct fs *s = arg;
	struct daemon *d = s->d;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	struct fs **p;

	if (cfg) {
		fuse_loop_cfg_set_clone_fd(cfg, 1);
		fuse_loop_cfg_set_max_threads(cfg, 16);
		fuse_session_loop_mt(s->se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	/* unmounted (fusermount3 -u, dossierctl unmount, daemon exit) */
	pthread_mutex_lock(&d->lock);
	for (p = &d->sessions; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	s->next = d->dead;
	d->dead = s;
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/*
 * Each view costs threads and descriptors: a user may keep a few (a
 * desktop login and a shell or two), the daemon a bounded number.
 */
#define VIEWS_PER_USER 4
#define VIEWS_MAX 512

/*
 * Is uid's view at dir already? 1 yes, -1 someone else's or too many
 * (reason set), 0 none.
 */
static int served_at(struct daemon *d, const char *dir, uid_t uid)
{
	struct fs *s;
	int found = 0, mine = 0, all = 0;

	pthread_mutex_lock(&d->lock);
	for (s = d->sessions; s; s = s->next) {
		if (!s->view)
			continue;
		all++;
		mine += s->uid == uid;
		if (!strcmp(s->dir, dir))
			found = s->uid == uid ? 1 : -1;
	}
	pthread_mutex_unlock(&d->lock);
	if (found < 0)
		dossier_error_set("another user's view is at '%s'", dir);
	else if (!found && (mine >= VIEWS_PER_USER || all >= VIEWS_MAX)) {
		dossier_error_set("too many views (%d for this user, %d in "
				  "all): end one first", mine, all);
		found = -1;
	}
	return found;
}

/*
 * A Samba view's barrier: the folder above the view (dfd) belongs to uid
 * and lets nobody else in (no group or other bits: with an ACL, those
 * are its mask, so no named entry grants anything either).
 */
static int check_barrier(int dfd, const char *dir, uid_t uid)
{
	struct stat st;

	if (fstatat(dfd, "..", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		dossier_error_set("cannot read the folder above '%s': %s", dir,
				  strerror(errno));
		return DOSSIER_EIO;
	}
	if (st.st_uid != uid || (st.st_mode & 077)) {
		dossier_error_set("the folder above '%s' must be the user's "
				  "alone (owner uid %u, mode 700): it keeps "
				  "other users out of a view for Samba", dir,
				  (unsigned)uid);
		return DOSSIER_EDENIED;
	}
	return 0;
}

/* Check dir for who and mount a FUSE file system there for uid. */
static int mount_view(struct daemon *d, const struct dossier_caller *who,
		      uid_t uid, gid_t gid, const char *dir, unsigned flags,
		      int *devfd)
{
	char target[64], opts[256];
	struct statfs sf;
	struct stat st;
	int dfd, rc = 0;

	*devfd = -1;
	dfd = open_dir_as(who, dir);
	if (dfd < 0) {
		dossier_error_set("cannot open '%s': %s", dir,
				  strerror(-dfd));
		return dfd == -ENOENT ? DOSSIER_ENOTFOUND : DOSSIER_EDENIED;
	}
	if (fstat(dfd, &st) < 0 || fstatfs(dfd, &sf) < 0) {
		dossier_error_set("cannot read '%s': %s", dir, strerror(errno));
		rc = DOSSIER_EIO;
	} else if (who->uid != 0 && st.st_uid != who->uid) {
		dossier_error_set("you do not own '%s'", dir);
		rc = DOSSIER_EDENIED;
	} else if ((unsigned long)sf.f_type == FUSE_MAGIC) {
		dossier_error_set("'%s' is on a FUSE file system", dir);
		rc = DOSSIER_EINVAL;
	} else if (flags & DOSSIER_VIEW_SAMBA) {
		rc = check_barrier(dfd, dir, uid);
	}
	if (rc == 0 && (*devfd = open("/dev/fuse", O_RDWR | O_CLOEXEC)) < 0) {
		dossier_error_set("cannot open /dev/fuse: %s", strerror(errno));
		rc = DOSSIER_EIO;
	}
	if (rc == 0) {
		snprintf(target, sizeof(target), "/proc/self/fd/%d", dfd);
		snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=%u,"
			 "group_id=%u%s", *devfd, (unsigned)uid, (unsigned)gid,
			 flags & DOSSIER_VIEW_SAMBA ? ",allow_other" : "");
		if (mount(dossier_archive_path(d->archive), target,
			  "fuse.dossierfs", MS_NOSUID | MS_NODEV, opts) < 0) {
			dossier_error_set("cannot mount at '%s': %s", dir,
					  strerror(errno));
			rc = DOSSIER_EIO;
		}
	}
	close(dfd);
	if (rc < 0 && *devfd >= 0) {
		close(*devfd);
		*devfd = -1;
	}
	return rc;
}

static int view_start(void *ctx, const struct dossier_caller *who, uid_t uid,
		      gid_t gid, const char *dir, unsigned flags)
{
	struct daemon *d = ctx;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char fdpath[64];
	struct fs *s = NULL, *o;
	int devfd = -1, rc, served, taken = 0;

	reap(d);
	if ((served = served_at(d, dir, uid)) != 0)
		return served > 0 ? DOSSIER_EEXISTS : DOSSIER_EBUSY;
	if ((rc = mount_view(d, who, uid, gid, dir, flags, &devfd)) < 0)
		return rc;
	rc = DOSSIER_ERROR;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir)))
		goto fail;
	s->d = d;
	s->archive = d->archive;
	s->view = 1;
	s->samba = !!(flags & DOSSIER_VIEW_SAMBA);
	s->uid = uid;
	s->gid = gid;
	if (mountinfo(s->dir, 0, &s->dev, 1) < 0)
		s->dev = 0;
	if (fuse_opt_add_arg(&args, "dossierfs") ||
	    (d->debug && fuse_opt_add_arg(&args, "-d")))
		goto fail;
	s->se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), s);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", devfd);
	if (!s->se || fuse_session_mount(s->se, fdpath) != 0)
		goto fail;
	devfd = -1;	/* the session's now */
	s->notifier = notifier_start(s);
	if (!s->notifier)
		goto fail;
	pthread_mutex_lock(&d->lock);
	/* another request may have mounted there meanwhile */
	for (o = d->sessions; o && !taken; o = o->next)
		taken = o->view && !strcmp(o->dir, dir);
	if (!d->stopping && !taken &&
	    pthread_create(&s->thread, NULL, view_loop, s) == 0) {
		/* behind the shared mount, which stays first */
		s->next = d->sessions ? d->sessions->next : NULL;
		if (d->sessions)
			d->sessions->next = s;
		else
			d->sessions = s;
		rc = 0;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc < 0)
		goto fail;
	fuse_opt_free_args(&args);
	dossier_log(LOG_NOTICE, "view%s of uid %u at '%s' for uid %u",
		    s->samba ? " for Samba" : "", (unsigned)uid, dir,
		    (unsigned)who->uid);
	return 0;
fail:
	dossier_error_set("cannot start the view at '%s'", dir);
	fuse_opt_free_args(&args);
	if (devfd >= 0)
		close(devfd);
	if (s) {
		unmount_view(s, 1);
		view_free(s);
	} else {
		umount2(dir, MNT_DETACH | UMOUNT_NOFOLLOW);
	}
	return rc;
}

static int view_stop(void *ctx, const struct dossier_caller *who,
		     const char *dir)
{
	struct daemon *d = ctx;
	struct fs *s, *found = NULL;
	int rc = 0;

	reap(d);
	pthread_mutex_lock(&d->lock);
	for (s = d->sessions; s; s = s->next)
		if (s->view && !strcmp(s->dir, dir))
			found = s;
	if (!found) {
		dossier_error_set("no view is mounted at '%s'", dir);
		rc = DOSSIER_ENOTFOUND;
	} else if (who->uid != 0 && who->uid != found->uid) {
		dossier_error_set("'%s' is another user's view", dir);
		rc = DOSSIER_EDENIED;
	} else {
		unmount_view(found, 0);
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static void view_list(void *ctx, const struct dossier_caller *who,
		      struct dossier_buf *out)
{
	struct daemon *d = ctx;
	struct fs *s;

	pthread_mutex_lock(&d->lock);
	for (s = d->sessions; s; s = s->next)
		if (s->view && (who->uid == 0 || who->uid == s->uid))
			dossier_buf_addf(out, "%u\t%s%s\n", (unsigned)s->uid,
					 s->dir, s->samba ? "\tsamba" : "");
	pthread_mutex_unlock(&d->lock);
}

const struct dossier_session_ops daemon_session_ops = {
	.start = view_start,
	.stop = view_stop,
	.list = view_list,
};

/*
 * A grant ends by the clock, with no request to hang an invalidation on:
 * once a second, if a grant ended, every session drops what it cached.
 * (A descriptor opened on a grant is re-checked at every read anyway.)
 */
static void *clock_run(void *arg)
{
	struct daemon *d = arg;
	struct timespec until;
	int64_t pending = 0;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		pthread_mutex_unlock(&d->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		if (pending && until.tv_sec >= pending) {
			daemon_notify_ops.inval_all(d);
			pending = 0;
		}
		pending = dossier_archive_next_grant_end(d->archive);
		until.tv_sec += 1;
		pthread_mutex_lock(&d->lock);
		if (!d->stopping)
			pthread_cond_timedwait(&d->clock_cond, &d->lock,
					       &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int views_clock_start(struct daemon *d)
{
	if (pthread_create(&d->clock, NULL, clock_run, d) != 0)
		return -1;
	d->clock_started = 1;
	return 0;
}

void views_stop_all(struct daemon *d)
{
	struct fs *s;
	int i;

	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_broadcast(&d->clock_cond);
	for (s = d->sessions; s; s = s->next)
		if (s->view)
			unmount_view(s, 1);
	pthread_mutex_unlock(&d->lock);
	if (d->clock_started)
		pthread_join(d->clock, NULL);
	/* every loop ends now: its kernel connection is gone */
	for (i = 0;; i++) {
		int left = 0;

		reap(d);
		pthread_mutex_lock(&d->lock);
		for (s = d->sessions; s; s = s->next)
			left += s->view;
		pthread_mutex_unlock(&d->lock);
		if (!left)
			break;
		if (i % 1000 == 999)
			dossier_log(LOG_WARNING, "%d view(s) still serving: "
				    "waiting for their processes to leave",
				    left);
		usleep(10000);
	}
}
