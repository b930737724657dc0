/*
 * seqio: timed sequential write or read of one file, for tests/bench/bench.sh.
 *
 *   seqio write FILE MIB   write MIB MiB in 1 MiB writes, fsync, close
 *   seqio read  FILE       read FILE to EOF in 1 MiB reads
 *
 * Prints "BYTES SECONDS" on stdout. The clock runs from just before open()
 * to just after close() (fsync included for write). Written data is
 * pseudo-random and every 4 KiB page carries its own block number, so a
 * file system that compresses or deduplicates gets no free ride.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLK (1024 * 1024)
#define POOL_BLKS 16

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path)
{
	fprintf(stderr, "seqio: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static int do_write(const char *path, long mib)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, *p;
	unsigned char *pool;
	double t0, t1;
	long i;
	int fd;

	if (posix_memalign((void **)&pool, 4096, (size_t)POOL_BLKS * BLK))
		return 1;
	p = (uint64_t *)pool;
	for (size_t k = 0; k < (size_t)POOL_BLKS * BLK / 8; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[k] = x;
	}

	t0 = now();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open", path);
	for (i = 0; i < mib; i++) {
		unsigned char *b = pool + (size_t)(i % POOL_BLKS) * BLK;
		size_t off = 0;

		for (size_t pg = 0; pg < BLK; pg += 4096)
			*(uint64_t *)(b + pg) = ((uint64_t)i << 8) | (pg >> 12);
		while (off < BLK) {
			ssize_t n = write(fd, b + off, BLK - off);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("write", path);
			}
			off += (size_t)n;
		}
	}
	if (fsync(fd) < 0)
		die("fsync", path);
	if (close(fd) < 0)
		die("close", path);
	t1 = now();
	printf("%lld %.6f\n", (long long)mib * BLK, t1 - t0);
	free(pool);
	return 0;
}

static int do_read(const char *path)
{
	long long total = 0;
	double t0, t1;
	void *buf;
	int fd;

	if (posix_memalign(&buf, 4096, BLK))
		return 1;
	t0 = now();
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open", path);
	for (;;) {
		ssize_t n = read(fd, buf, BLK);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read", path);
		}
		if (n == 0)
			break;
		total += n;
	}
	if (close(fd) < 0)
		die("close", path);
	t1 = now();
	printf("%lld %.6f\n", total, t1 - t0);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write"))
		return do_write(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "read"))
		return do_read(argv[2]);
	fprintf(stderr, "usage: seqio write FILE MIB | seqio read FILE\n");
	return 2;
}
