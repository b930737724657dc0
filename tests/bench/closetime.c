/*
 * closetime SRC DST...: write SRC's bytes to each DST (created), timing
 * close() alone: what an application waits for when it saves. Prints
 * one line per DST, the close time in milliseconds. For the text
 * section of tests/bench/bench.sh (extra.d/text.sh).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct stat st;
	char *buf;
	int fd, i;

	if (argc < 3) {
		fprintf(stderr, "usage: closetime SRC DST...\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 || !(buf = malloc(st.st_size + 1)) ||
	    read(fd, buf, st.st_size) != st.st_size) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	for (i = 2; i < argc; i++) {
		double t0;

		fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, st.st_size) != st.st_size) {
			perror(argv[i]);
			return 1;
		}
		t0 = now_ms();
		if (close(fd) < 0) {
			perror(argv[i]);
			return 1;
		}
		printf("%.3f\n", now_ms() - t0);
		fflush(stdout);
	}
	return 0;
}
