/*
 * fsop OP ARGS...: perform one filesystem call and print "OK" or the
 * errno's name (ENOENT, EACCES, ...), so shell tests can assert errnos.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static int run(int argc, char **argv)
{
	const char *op = argv[1], *p = argv[2];
	char buf[4096];
	struct stat st;
	int fd;

	if (!strcmp(op, "create")) {
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		return fd < 0 ? -1 : close(fd);
	}
	if (!strcmp(op, "mkdir"))
		return mkdir(p, 0755);
	if (!strcmp(op, "rmdir"))
		return rmdir(p);
	if (!strcmp(op, "unlink"))
		return unlink(p);
	if (!strcmp(op, "rename") && argc > 3)
		return rename(p, argv[3]);
	if (!strcmp(op, "stat"))
		return stat(p, &st);
	if (!strcmp(op, "read")) {
		fd = open(p, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
			return -1;
		return close(fd);
	}
	if (!strcmp(op, "write")) {
		fd = open(p, O_WRONLY);
		if (fd < 0 || write(fd, "x", 1) < 0)
			return -1;
		return close(fd);
	}
	if (!strcmp(op, "save") && argc > 3) {
		/* a whole save, every step checked, close included */
		size_t len = strlen(argv[3]);

		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, argv[3], len) != (ssize_t)len)
			return -1;
		return close(fd);
	}
	if (!strcmp(op, "hold") && argc > 3) {
		/* write and fsync, then keep the file open (never closed) */
		size_t len = strlen(argv[3]);

		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, argv[3], len) != (ssize_t)len ||
		    fsync(fd) < 0)
			return -1;
		printf("HELD\n");
		fflush(stdout);
		sleep(600);
		return 0;
	}
	if (!strcmp(op, "mmapwrite") && argc > 3) {
		/* overwrite the start of a file through a shared mapping */
		size_t len = strlen(argv[3]);
		char *m;

		fd = open(p, O_RDWR);
		if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < len)
			return -1;
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return -1;
		memcpy(m, argv[3], len);
		if (msync(m, len, MS_SYNC) < 0 || munmap(m, len) < 0)
			return -1;
		return close(fd);
	}
	if (!strcmp(op, "twowriters") && argc > 4) {
		/*
		 * B opens the file; A saves SRC's bytes over it and closes;
		 * then B writes TEXT at offset 8192 and closes: two saves.
		 */
		size_t len = strlen(argv[4]);
		int a, src = open(argv[3], O_RDONLY);
		ssize_t n;

		fd = open(p, O_RDWR);
		a = open(p, O_WRONLY | O_TRUNC);
		if (src < 0 || fd < 0 || a < 0)
			return -1;
		while ((n = read(src, buf, sizeof(buf))) > 0)
			if (write(a, buf, (size_t)n) != n)
				return -1;
		if (n < 0 || close(a) < 0 ||
		    pwrite(fd, argv[4], len, 8192) != (ssize_t)len)
			return -1;
		close(src);
		return close(fd);
	}
	if (!strcmp(op, "truncate") && argc > 3)
		return truncate(p, atoll(argv[3]));
	if (!strcmp(op, "ftruncate") && argc > 3) {
		fd = open(p, O_WRONLY);
		if (fd < 0 || ftruncate(fd, atoll(argv[3])) < 0)
			return -1;
		return close(fd);
	}
	if (!strcmp(op, "pwrite") && argc > 3) {
		/* one byte at OFFSET, then the close: the first error */
		fd = open(p, O_WRONLY);
		if (fd < 0 || pwrite(fd, "x", 1, atoll(argv[3])) < 0)
			return -1;
		return close(fd);
	}
	if (!strcmp(op, "getxattr") && argc > 3)
		return getxattr(p, argv[3], buf, sizeof(buf)) < 0 ? -1 : 0;
	if (!strcmp(op, "access") && argc > 3)
		return access(p, argv[3][0] == 'w' ? W_OK :
				 argv[3][0] == 'x' ? X_OK : R_OK);
	fprintf(stderr, "fsop: unknown op '%s'\n", op);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fsop OP PATH [ARG]\n");
		return 2;
	}
	if (run(argc, argv) < 0)
		printf("%s\n", strerrorname_np(errno));
	else
		printf("OK\n");
	return 0;
}
