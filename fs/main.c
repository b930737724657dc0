/*
 * dossierfs ARCHIVE MOUNTPOINT [-o opts] [-f] [-d]
 *
 * Opens the archive (refusing damaged ones before anything is mounted),
 * mounts it with allow_other (the daemon decides access per caller) and
 * serves requests on several threads until unmounted or signalled. Views
 * (view.c) are further sessions of this daemon; they end with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "archive.h"
#include "error.h"
#include "fs_i.h"
#include "log.h"
#include "session.h"

/*
 * Going to the background. fuse_daemonize() lets the parent exit 0 as
 * soon as the child exists, before the child has opened the archive (it
 * must: the committer's threads do not survive a fork), so a daemon
 * that could not start said so only to syslog and mount(8) reported
 * success. Here the parent waits for the child's word on a pipe: one NUL
 * byte once it serves, or the sentence saying why it cannot, which the
 * parent prints on its standard error before exiting 1.
 */
static int report_fd = -1;

static int background(void)
{
	char buf[1024];
	ssize_t n, len = 0;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "dossierfs: cannot go to the background: %s\n",
			strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(p[0], buf + len,
				 sizeof(buf) - 1 - (size_t)len)) > 0)
			len += n;
		if (len >= 1 && buf[0] == '\0')
			_exit(0);
		buf[len] = '\0';
		fprintf(stderr, "dossierfs: %s\n", len ? buf :
			"the daemon ended while starting (see the system log)");
		_exit(1);
	}
	close(p[0]);
	report_fd = p[1];
	setsid();
	return 0;
}

/* Tell the waiting parent how the start went (why: NULL when serving). */
static void started(const char *why)
{
	int null;

	if (report_fd < 0)
		return;
	if (write(report_fd, why ? why : "", why ? strlen(why) : 1) < 0)
		dossier_log(LOG_ERR, "cannot report the start: %s",
			    strerror(errno));
	close(report_fd);
	report_fd = -1;
	if (why)
		return;
	if (chdir("/") < 0)
		dossier_log(LOG_WARNING, "cannot chdir to /: %s",
			    strerror(errno));
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dossierfs ARCHIVE MOUNTPOINT [-o OPTIONS] [-f] [-d]\n"
		"\n"
		"Serve a dossierfs archive (made with 'dossierctl init') at "
		"MOUNTPOINT.\n"
		"  -f            stay in the foreground, log to stderr\n"
		"  -d            debug: foreground, log every request\n"
		"  -s            single-threaded (for debugging)\n"
		"  -o site=NAME  the site this mount serves (access rules)\n"
		"  -o OPT        other FUSE mount options; x-* and mount(8)-only\n"
		"                options (_netdev, nofail, noauto, ...) are "
		"ignored\n"
		"  -h, --help    this text\n"
		"\nUnmount with 'fusermount3 -u MOUNTPOINT' or 'umount "
		"MOUNTPOINT'.\n");
}

/* Options mount(8) or fstab may pass that mean nothing to FUSE. */
static int ignored_option(const char *o)
{
	static const char *const names[] = {
		"_netdev", "nofail", "noauto", "auto", "user", "users",
		"nouser", "defaults", "owner", "group", "comment", NULL,
	};
	int i;

	if (!strncmp(o, "x-", 2) || !strncmp(o, "comment=", 8))
		return 1;
	for (i = 0; names[i]; i++)
		if (!strcmp(o, names[i]))
			return 1;
	return 0;
}

struct opts {
	const char *archive;
	const char *mountpoint;
	char site[128];
	int foreground;
	int debug;
	int single;
	char fuse_opts[2048];
};

/* Split -o lists: keep FUSE options, take ours, drop mount(8)-only ones. */
static int take_options(struct opts *o, const char *list)
{
	char *copy = strdup(list), *save = NULL, *tok;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "site=", 5)) {
			snprintf(o->site, sizeof(o->site), "%s", tok + 5);
		} else if (!strcmp(tok, "default_permissions")) {
			dossier_log(LOG_WARNING, "ignoring default_permissions:"
				    " dossierfs decides access itself");
		} else if (!ignored_option(tok)) {
			size_t len = strlen(o->fuse_opts);

			snprintf(o->fuse_opts + len, sizeof(o->fuse_opts) - len,
				 ",%s", tok);
		}
	}
	free(copy);
	return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "-f")) {
			o->foreground = 1;
		} else if (!strcmp(a, "-d")) {
			o->foreground = o->debug = 1;
		} else if (!strcmp(a, "-s")) {
			o->single = 1;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			take_options(o, argv[++i]);
		} else if (!strncmp(a, "-o", 2) && a[2]) {
			take_options(o, a + 2);
		} else if (a[0] == '-') {
			fprintf(stderr, "dossierfs: unknown option '%s'\n", a);
			return -1;
		} else if (!o->archive) {
			o->archive = a;
		} else if (!o->mountpoint) {
			o->mountpoint = a;
		} else {
			fprintf(stderr, "dossierfs: too many arguments\n");
			return -1;
		}
	}
	if (!o->archive || !o->mountpoint) {
		fprintf(stderr, "dossierfs: need ARCHIVE and MOUNTPOINT\n");
		return -1;
	}
	return 0;
}

/*
 * Every open file of every user is a descriptor here, and so is each
 * large save waiting for the committer: take the hard limit, not the
 * 1,024 a shell gives.
 */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct daemon d;
	struct fs fs;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *cfg = NULL;
	struct dossier_archive *probe = NULL;
	char optbuf[5000], path[2048];
	int rc, ret = 1;

	memset(&o, 0, sizeof(o));
	memset(&d, 0, sizeof(d));
	memset(&fs, 0, sizeof(fs));
	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.clock_cond, NULL);
	fs.d = &d;
	if (parse_args(&o, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	d.debug = o.debug;
	if (o.debug)
		dossier_log_set_level(LOG_DEBUG);
	raise_nofile();
	if (getuid() != 0)
		dossier_log(LOG_WARNING, "not running as root: allow_other "
			    "needs user_allow_other in /etc/fuse.conf");
	/*
	 * Refuse a missing, damaged or already mounted archive with a
	 * message before anything is mounted. The archive is opened for
	 * serving only after fuse_daemonize(): its committer and audit
	 * threads must live in the process that serves, not in the parent
	 * that exits.
	 */
	rc = dossier_archive_open(&probe, o.archive,
				  DOSSIER_ARCHIVE_OPEN_READONLY |
					  DOSSIER_ARCHIVE_OPEN_PROBE);
	if (rc < 0) {
		fprintf(stderr, "dossierfs: cannot mount '%s': %s\n",
			o.archive, dossier_error_last());
		return 1;
	}
	snprintf(path, sizeof(path), "%s", dossier_archive_path(probe));
	dossier_archive_close(probe);
	/* allow_other: every user goes through our per-caller decisions.
	 * fsname/subtype let dossierctl and mount(8) find the archive. */
	snprintf(optbuf, sizeof(optbuf),
		 "allow_other,fsname=%s,subtype=dossierfs%s", path,
		 o.fuse_opts);
	if (fuse_opt_add_arg(&args, argv[0]) || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, optbuf) ||
	    (o.debug && fuse_opt_add_arg(&args, "-d")))
		goto out;
	fs.se = fuse_session_new(&args, &fs_ops, sizeof(fs_ops), &fs);
	if (!fs.se)
		goto out;
	if (fuse_set_signal_handlers(fs.se) != 0)
		goto out_session;
	if (fuse_session_mount(fs.se, o.mountpoint) != 0)
		goto out_signals;
	if (!o.foreground) {
		if (background() < 0)
			goto out_unmount;
		/* the parent prints a failure; the child logs to syslog */
		dossier_log_to_syslog("dossierfs");
	}
	rc = dossier_archive_open(&fs.archive, path,
				  DOSSIER_ARCHIVE_OPEN_SERVE);
	if (rc < 0) {
		char why[3200];

		snprintf(why, sizeof(why), "cannot serve '%s': %s", path,
			 dossier_error_last());
		dossier_log(LOG_ERR, "%s", why);
		started(why);
		goto out_unmount;
	}
	started(NULL);
	d.archive = fs.archive;
	dossier_archive_set_site(fs.archive, o.site);
	fs.notifier = notifier_start(&fs);
	d.sessions = &fs;
	dossier_archive_set_notify(fs.archive, &daemon_notify_ops, &d);
	/* views need the shared mount's notifier to keep it coherent */
	if (fs.notifier && views_clock_start(&d) == 0)
		dossier_archive_set_sessions(fs.archive, &daemon_session_ops,
					     &d);
	dossier_log(LOG_NOTICE, "serving '%s' at '%s'%s%s", path,
		    o.mountpoint, o.site[0] ? " for site " : "", o.site);
	if (o.single) {
		ret = fuse_session_loop(fs.se);
	} else {
		cfg = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(cfg, 1);
		fuse_loop_cfg_set_max_threads(cfg, 16);
		ret = fuse_session_loop_mt(fs.se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	if (ret != 0)
		dossier_log(LOG_ERR, "session ended with error %d", ret);
	dossier_log(LOG_NOTICE, "unmounting '%s'", o.mountpoint);
out_unmount:
	if (fs.archive) {
		dossier_archive_set_sessions(fs.archive, NULL, NULL);
		views_stop_all(&d);
		dossier_archive_set_notify(fs.archive, NULL, NULL);
	}
	pthread_mutex_lock(&d.lock);
	d.sessions = NULL;
	pthread_mutex_unlock(&d.lock);
	notifier_stop(fs.notifier);
	fuse_session_unmount(fs.se);
out_signals:
	fuse_remove_signal_handlers(fs.se);
out_session:
	fuse_session_destroy(fs.se);
out:
	fuse_opt_free_args(&args);
	/* everything the catalog holds is committed and checkpointed here */
	dossier_archive_close(fs.archive);
	return ret ? 1 : 0;
}
