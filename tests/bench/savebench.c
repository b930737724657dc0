/*
 * savebench: saves and their history commits, for the history section of
 * tests/bench/bench.sh (tests/bench/extra.d/history.sh).
 *
 * Commits are watched in the archive's catalog (CATALOG: the archive's
 * catalog.db, opened read-only; a new row in its version table is a new
 * history entry, and /.history lists exactly those rows), not through
 * /.history: each /.history lookup costs the daemon a scan of the whole
 * node table, so polling it would slow down what is being measured. The
 * daemon commits journaled saves in order, one version row each, so "save
 * k of this run is in history" is "k rows were added since the start".
 *
 *   savebench populate DIRLIST FROM COUNT PREFIX [CATALOG BACKLOG DEADLINE]
 *	Create files FROM .. FROM+COUNT-1 of 4 KiB each (file i is
 *	DIR[i % ndirs]/PREFIX<i as 7 digits>). With CATALOG, keep at most
 *	about BACKLOG saves waiting for their commit, and stop early once
 *	the wall clock passes DEADLINE (Unix seconds; 0: none). Fails if no
 *	commit lands for 1800 s (a repack may hold commits for minutes).
 *	Prints "CREATED SECONDS".
 *
 *   savebench saves LIST GAP_MS [CATALOG MNT]
 *	LIST has one save per line, "EXPECT PATH": open(O_WRONLY|O_CREAT|
 *	O_TRUNC) + write 4 KiB + close, one every GAP_MS milliseconds. With
 *	CATALOG, a second thread times when each save's commit lands; then,
 *	every 20th save is checked to be listed in MNT/.history/<PATH
 *	relative to MNT>/ with at least EXPECT versions. Prints one line per
 *	save: "LATENCY VISIBLE" in seconds, VISIBLE measured from the return
 *	of close() (-1: not watched, or not seen within
 *	$SAVEBENCH_VIS_TIMEOUT seconds [600]).
 *
 *   savebench burst LIST MNT
 *	The saves of LIST back to back, then "sync" through MNT/.dossier/ctl
 *	(commits everything journaled, whether due or not). Prints
 *	"SAVES WRITE_SECONDS SYNC_SECONDS".
 *
 *   savebench sync MNT
 *	"sync" through the control file. Prints "SECONDS".
 *
 *   savebench big PATH MIB [CATALOG MNT]
 *	Create PATH and write MIB MiB of incompressible data in 1 MiB
 *	writes (no fsync), then time close() alone. With CATALOG, wait for
 *	its commit (then check MNT/.history lists it). Prints "WRITE_SECONDS
 *	CLOSE_SECONDS VISIBLE_SECONDS" (VISIBLE from the return of close();
 *	-1: not watched or not seen).
 *
 * Full paths are used, as a user's program would.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SMALL 4096
#define BLK (1024 * 1024)

static double vis_timeout = 600;	/* a save not in history by then: -1 */
static double stall_timeout = 1800;	/* populate: no commit for this long */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now();

	if (d > 0) {
		struct timespec ts = { (time_t)d, (long)((d - (time_t)d) * 1e9) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "savebench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

/* The history folder of path (inside mnt): mnt/.history/<rel>. */
static void hist_path(char *out, const char *mnt, const char *path)
{
	size_t n = strlen(mnt);

	if (strncmp(path, mnt, n) || path[n] != '/') {
		fprintf(stderr, "savebench: %s is not under %s\n", path, mnt);
		exit(1);
	}
	snprintf(out, PATH_MAX, "%s/.history%s", mnt, path + n);
}

/* Versions listed in a history folder (0 if it does not exist). */
static long count_versions(const char *hdir)
{
	DIR *d = opendir(hdir);
	struct dirent *de;
	long n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The catalog, read-only: rows in the version table. */
struct catalog {
	sqlite3 *db;
	sqlite3_stmt *st;
};

static void catalog_open(struct catalog *c, const char *path)
{
	char uri[PATH_MAX + 32];

	snprintf(uri, sizeof(uri), "file:%s?mode=ro", path);
	if (sqlite3_open_v2(uri, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI,
			    NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(c->db, 5000) != SQLITE_OK ||
	    sqlite3_prepare_v2(c->db, "SELECT coalesce(max(id), 0) FROM version",
			       -1, &c->st, NULL) != SQLITE_OK) {
		fprintf(stderr, "savebench: cannot read %s: %s\n", path,
			c->db ? sqlite3_errmsg(c->db) : "?");
		exit(1);
	}
}

static long long catalog_versions(struct catalog *c)
{
	long long v = -1;

	if (sqlite3_step(c->st) == SQLITE_ROW)
		v = sqlite3_column_int64(c->st, 0);
	sqlite3_reset(c->st);
	if (v < 0) {
		fprintf(stderr, "savebench: cannot read the catalog: %s\n",
			sqlite3_errmsg(c->db));
		exit(1);
	}
	return v;
}

/* Write one small file: open(O_TRUNC) + 4 KiB + close. */
static void save_small(const char *path, long tag)
{
	char data[SMALL];
	int fd, n;

	memset(data, 's', sizeof(data));
	n = snprintf(data, 200, "%s save %ld at %.9f\n", path, tag, now());
	data[n < 199 ? n : 199] = 's';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", path);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		die("write", path);
	if (close(fd) < 0)
		die("close", path);
}

static char **dirs;
static long ndirs;

static void load_dirs(const char *list)
{
	FILE *f = fopen(list, "r");
	char line[PATH_MAX];
	long cap = 0;

	if (!f)
		die("open", list);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		if (ndirs == cap) {
			cap = cap ? cap * 2 : 256;
			dirs = realloc(dirs, cap * sizeof(*dirs));
			if (!dirs)
				exit(1);
		}
		dirs[ndirs++] = strdup(line);
	}
	fclose(f);
	if (ndirs == 0) {
		fprintf(stderr, "savebench: no directories in %s\n", list);
		exit(1);
	}
}

static void file_of(char *out, long i, const char *prefix)
{
	snprintf(out, PATH_MAX, "%s/%s%07ld", dirs[i % ndirs], prefix, i);
}

static int do_populate(int argc, char **argv)
{
	const char *catpath = argc > 6 ? argv[6] : NULL;
	long from = atol(argv[3]), count = atol(argv[4]), i, backlog = 0;
	long long base = 0;
	double deadline = 0, t0;
	struct catalog c = { NULL, NULL };
	char path[PATH_MAX];

	load_dirs(argv[2]);
	if (catpath) {
		backlog = argc > 7 ? atol(argv[7]) : 1000;
		deadline = argc > 8 ? atof(argv[8]) : 0;
		catalog_open(&c, catpath);
		base = catalog_versions(&c);
	}
	t0 = now();
	for (i = from; i < from + count; i++) {
		if (catpath && (i - from) % 100 == 0) {
			long long seen = -1, v;
			double give_up = 0;

			if (deadline > 0 && time(NULL) >= deadline)
				break;
			while ((v = catalog_versions(&c)) - base < i - from - backlog) {
				if (v != seen) {	/* progress: restart the clock */
					seen = v;
					give_up = now() + stall_timeout;
				}
				if (now() > give_up) {
					fprintf(stderr, "savebench: no commit for %.0f s\n",
						stall_timeout);
					return 1;
				}
				usleep(5000);
			}
		}
		file_of(path, i, argv[5]);
		save_small(path, i);
	}
	printf("%ld %.6f\n", i - from, now() - t0);
	return 0;
}

struct save {
	long expect;
	char *path;
	double lat, closed, seen;
};

static struct save *saves;
static long nsaves;
static long ndone;		/* saves whose close returned */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void load_saves(const char *list)
{
	FILE *f = fopen(list, "r");
	char line[PATH_MAX + 64];
	long cap = 0;

	if (!f)
		die("open", list);
	while (fgets(line, sizeof(line), f)) {
		char *sp;

		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || !(sp = strchr(line, ' ')))
			continue;
		if (nsaves == cap) {
			cap = cap ? cap * 2 : 256;
			saves = realloc(saves, cap * sizeof(*saves));
			if (!saves)
				exit(1);
		}
		saves[nsaves].expect = atol(line);
		saves[nsaves].path = strdup(sp + 1);
		saves[nsaves].seen = -1;
		nsaves++;
	}
	fclose(f);
}

/* Time when each save's commit lands, in order, as their closes return. */
static struct catalog watch_cat;
static long long watch_base;

static void *watcher(void *arg)
{
	long i;

	(void)arg;
	for (i = 0; i < nsaves; i++) {
		double closed, give_up;

		for (;;) {
			pthread_mutex_lock(&mu);
			closed = i < ndone ? saves[i].closed : 0;
			pthread_mutex_unlock(&mu);
			if (closed > 0)
				break;
			usleep(1000);
		}
		give_up = closed + vis_timeout;
		while (catalog_versions(&watch_cat) - watch_base < i + 1) {
			if (now() > give_up)
				break;
			usleep(1000);
		}
		if (now() <= give_up)
			saves[i].seen = now();
	}
	return NULL;
}

/* Every 20th save listed in /.history with its versions? */
static int check_listed(const char *mnt)
{
	char h[PATH_MAX];
	long i, n, bad = 0;

	for (i = 0; i < nsaves; i += 20) {
		if (saves[i].expect <= 0)
			continue;
		hist_path(h, mnt, saves[i].path);
		if ((n = count_versions(h)) < saves[i].expect) {
			fprintf(stderr, "savebench: %s lists %ld versions, expected %ld\n",
				h, n, saves[i].expect);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

static int do_saves(int argc, char **argv)
{
	double gap = atof(argv[3]) / 1000, next;
	const char *catpath = argc > 4 ? argv[4] : NULL;
	const char *mnt = argc > 5 ? argv[5] : NULL;
	pthread_t th;
	long i;
	int rc = 0;

	load_saves(argv[2]);
	if (catpath) {
		catalog_open(&watch_cat, catpath);
		watch_base = catalog_versions(&watch_cat);
		if (pthread_create(&th, NULL, watcher, NULL) != 0)
			die("start", "watcher");
	}
	next = now();
	for (i = 0; i < nsaves; i++) {
		double t0, t1;

		sleep_until(next);
		t0 = now();
		save_small(saves[i].path, i);
		t1 = now();
		pthread_mutex_lock(&mu);
		saves[i].lat = t1 - t0;
		saves[i].closed = t1;
		ndone = i + 1;
		pthread_mutex_unlock(&mu);
		next = t0 + gap;
	}
	if (catpath) {
		pthread_join(th, NULL);
		if (mnt)
			rc = check_listed(mnt);
	}
	for (i = 0; i < nsaves; i++)
		printf("%.6f %.6f\n", saves[i].lat,
		       saves[i].seen > 0 ? saves[i].seen - saves[i].closed : -1.0);
	return rc;
}

static double ctl_sync(const char *mnt)
{
	char path[PATH_MAX], reply[4096];
	const char req[] = "sync\n";
	double t0 = now();
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/.dossier/ctl", mnt);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open", path);
	if (pwrite(fd, req, sizeof(req) - 1, 0) != (ssize_t)sizeof(req) - 1)
		die("write", path);
	n = pread(fd, reply, sizeof(reply) - 1, 0);
	if (n <= 0)
		die("read", path);
	reply[n] = '\0';
	close(fd);
	if (reply[0] != '0') {
		fprintf(stderr, "savebench: sync refused: %s", reply);
		exit(1);
	}
	return now() - t0;
}

static int do_burst(char **argv)
{
	double t0, t1, s;
	long i;

	load_saves(argv[2]);
	t0 = now();
	for (i = 0; i < nsaves; i++)
		save_small(saves[i].path, i);
	t1 = now();
	s = ctl_sync(argv[3]);
	printf("%ld %.6f %.6f\n", nsaves, t1 - t0, s);
	return 0;
}

static int do_big(int argc, char **argv)
{
	const char *path = argv[2], *catpath = argc > 4 ? argv[4] : NULL;
	const char *mnt = argc > 5 ? argv[5] : NULL;
	long mib = atol(argv[3]), i;
	uint64_t x = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid(), *p;
	double t0, t1, t2, seen = -1;
	struct catalog c = { NULL, NULL };
	long long base = 0;
	char *buf, h[PATH_MAX];
	int fd;

	if (posix_memalign((void **)&buf, 4096, BLK))
		return 1;
	p = (uint64_t *)buf;
	if (catpath) {
		catalog_open(&c, catpath);
		base = catalog_versions(&c);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		die("create", path);
	t0 = now();
	for (i = 0; i < mib; i++) {
		size_t off = 0;

		for (size_t k = 0; k < BLK / 8; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			p[k] = x;
		}
		while (off < BLK) {
			ssize_t n = write(fd, buf + off, BLK - off);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("write", path);
			}
			off += (size_t)n;
		}
	}
	t1 = now();
	if (close(fd) < 0)
		die("close", path);
	t2 = now();
	if (catpath) {
		while (now() < t2 + vis_timeout) {
			if (catalog_versions(&c) > base) {
				seen = now() - t2;
				break;
			}
			usleep(1000);
		}
		if (mnt && seen >= 0) {
			hist_path(h, mnt, path);
			if (count_versions(h) < 1) {
				fprintf(stderr, "savebench: %s not listed\n", h);
				return 1;
			}
		}
	}
	printf("%.6f %.6f %.6f\n", t1 - t0, t2 - t1, seen);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *v = getenv("SAVEBENCH_VIS_TIMEOUT");

	if (v && atof(v) > 0)
		vis_timeout = atof(v);
	if (argc >= 6 && !strcmp(argv[1], "populate"))
		return do_populate(argc, argv);
	if (argc >= 4 && !strcmp(argv[1], "saves"))
		return do_saves(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "burst"))
		return do_burst(argv);
	if (argc == 3 && !strcmp(argv[1], "sync")) {
		printf("%.6f\n", ctl_sync(argv[2]));
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "big"))
		return do_big(argc, argv);
	fprintf(stderr, "usage: savebench populate DIRLIST FROM COUNT PREFIX [MNT BACKLOG DEADLINE]\n"
			"       savebench saves LIST GAP_MS [MNT]\n"
			"       savebench burst LIST MNT\n"
			"       savebench sync MNT\n"
			"       savebench big PATH MIB [MNT]\n");
	return 2;
}
