/*
 * randread: timed 4 KiB random reads, for tests/bench/bench.sh.
 *
 *   randread FILE N [SEED]
 *
 * Opens FILE once and does N pread()s of 4 KiB at random 4 KiB-aligned
 * offsets within it (a fixed seed, so every target sees the same
 * sequence). Prints "N SECONDS" on stdout; the clock covers open() to
 * close().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BS 4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t x, nblocks;
	struct stat st;
	double t0, t1;
	long n, i;
	void *buf;
	int fd;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: randread FILE N [SEED]\n");
		return 2;
	}
	n = atol(argv[2]);
	x = argc == 4 ? strtoull(argv[3], NULL, 0) : 42;
	if (x == 0)
		x = 42;
	if (stat(argv[1], &st) < 0) {
		fprintf(stderr, "randread: stat %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	nblocks = (uint64_t)st.st_size / BS;
	if (nblocks == 0) {
		fprintf(stderr, "randread: %s is smaller than 4 KiB\n", argv[1]);
		return 1;
	}
	if (posix_memalign(&buf, BS, BS))
		return 1;

	t0 = now();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "randread: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		ssize_t r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = pread(fd, buf, BS, (off_t)((x % nblocks) * BS));
		if (r != BS) {
			fprintf(stderr, "randread: pread %s: %s\n", argv[1],
				r < 0 ? strerror(errno) : "short read");
			return 1;
		}
	}
	close(fd);
	t1 = now();
	printf("%ld %.6f\n", n, t1 - t0);
	free(buf);
	return 0;
}
