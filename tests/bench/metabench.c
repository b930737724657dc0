/*
 * metabench: timed metadata operations over many small files, for
 * tests/bench/bench.sh.
 *
 *   metabench create  DIRLIST N PREFIX          create+write 4 KiB+close
 *   metabench stat    DIRLIST N PREFIX          stat() each file
 *   metabench miss    DIRLIST N PREFIX          stat() each name, which
 *                                               must answer ENOENT
 *   metabench readdir DIRLIST                   list every directory
 *   metabench rename  DIRLIST N PREFIX NEWPREFIX  rename within its dir
 *   metabench unlink  DIRLIST N PREFIX          unlink each file
 *
 * DIRLIST is a file naming one directory per line. File i (0 <= i < N)
 * is DIR[i % ndirs]/PREFIX<i as 7 digits>, so every subcommand finds the
 * files the others made. Full paths are used, as a user's program would.
 * Prints "OPS SECONDS [ENTRIES]" on stdout; for readdir OPS is the number
 * of directories listed and ENTRIES the names seen (without . and ..).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char **dirs;
static long ndirs;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "metabench: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

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
		fprintf(stderr, "metabench: no directories in %s\n", list);
		exit(1);
	}
}

static void path_of(char *out, long i, const char *prefix)
{
	snprintf(out, PATH_MAX, "%s/%s%07ld", dirs[i % ndirs], prefix, i);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], path2[PATH_MAX];
	static char data[4096];
	const char *op;
	long n = 0, i, entries = 0;
	double t0, t1;

	if (argc < 3) {
		fprintf(stderr, "usage: metabench create|stat|miss|readdir|rename|unlink DIRLIST [N PREFIX [NEWPREFIX]]\n");
		return 2;
	}
	op = argv[1];
	load_dirs(argv[2]);
	if (strcmp(op, "readdir")) {
		if (argc < 5 || (!strcmp(op, "rename") && argc < 6)) {
			fprintf(stderr, "metabench %s: missing arguments\n", op);
			return 2;
		}
		n = atol(argv[3]);
	}
	memset(data, 'd', sizeof(data));

	t0 = now();
	if (!strcmp(op, "create")) {
		for (i = 0; i < n; i++) {
			int fd;

			path_of(path, i, argv[4]);
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (fd < 0)
				die("create", path);
			snprintf(data, 32, "file %ld\n", i);
			if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
				die("write", path);
			if (close(fd) < 0)
				die("close", path);
		}
	} else if (!strcmp(op, "stat")) {
		struct stat st;

		for (i = 0; i < n; i++) {
			path_of(path, i, argv[4]);
			if (stat(path, &st) < 0)
				die("stat", path);
		}
	} else if (!strcmp(op, "miss")) {
		struct stat st;

		for (i = 0; i < n; i++) {
			path_of(path, i, argv[4]);
			if (stat(path, &st) == 0 || errno != ENOENT) {
				errno = errno ? errno : EEXIST;
				die("stat (no such name expected)", path);
			}
		}
	} else if (!strcmp(op, "readdir")) {
		for (i = 0; i < ndirs; i++) {
			DIR *d = opendir(dirs[i]);
			struct dirent *e;

			if (!d)
				die("opendir", dirs[i]);
			errno = 0;
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					entries++;
			if (errno)
				die("readdir", dirs[i]);
			closedir(d);
		}
		n = ndirs;
	} else if (!strcmp(op, "rename")) {
		for (i = 0; i < n; i++) {
			path_of(path, i, argv[4]);
			path_of(path2, i, argv[5]);
			if (rename(path, path2) < 0)
				die("rename", path);
		}
	} else if (!strcmp(op, "unlink")) {
		for (i = 0; i < n; i++) {
			path_of(path, i, argv[4]);
			if (unlink(path) < 0)
				die("unlink", path);
		}
	} else {
		fprintf(stderr, "metabench: unknown operation %s\n", op);
		return 2;
	}
	t1 = now();
	if (!strcmp(op, "readdir"))
		printf("%ld %.6f %ld\n", n, t1 - t0, entries);
	else
		printf("%ld %.6f\n", n, t1 - t0);
	return 0;
}
