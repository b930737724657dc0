/*
 * hostile OP ARGS...: what a curious local user does to the archive, one
 * step at a time, printing what it learnt, for tests/integration/t011.
 *
 *   ctlsend MNT REQUEST PROG   open MNT/.dossier/ctl, write REQUEST (fields
 *                              separated by '|'), then run PROG ctlread
 *                              with the descriptor as its standard input
 *   ctlread                    read the answer of the control file on
 *                              standard input (a setuid copy does this)
 *   call OP PATH [ARG]         one syscall naming PATH, its errno's name:
 *                              excl (open O_CREAT|O_EXCL), mkdir, symlink
 *                              (ARG target), link (ARG existing file),
 *                              rename (ARG source), noreplace (ARG source,
 *                              renameat2 RENAME_NOREPLACE), mknod, mkfifo,
 *                              setxattr (user.x), stat
 *                              getxattr (user.x), listxattr, access (R_OK),
 *                              unlink, rmdir
 *   hold read|mmap|private|write|truncate|cfr|orphan|name|size PATH [DEST]
 *                              open PATH (mmap: a shared mapping, private:
 *                              a private one; write and truncate: O_RDWR,
 *                              truncate uses ftruncate(fd, 0); cfr:
 *                              copy_file_range into DEST, a file on the
 *                              same mount, then reads DEST; orphan: create
 *                              DEST, write to it and rename it onto PATH,
 *                              keeping it open, then as truncate; name:
 *                              the path the kernel gives the descriptor in
 *                              /proc/self/fd; size: fstat's size and
 *                              lseek(SEEK_END)'s offset), use it
 *                              once,
 *                              print "READY", then use it again for each
 *                              line read on standard input: prints OK and
 *                              the bytes, the errno's name, or SIGBUS for a
 *                              mapping that faults
 *   fdsend PATH PROG           open PATH read-only, print "READY", wait for
 *                              a line on standard input, then run PROG
 *                              ctlread with the descriptor as its standard
 *                              input (a setuid copy reading a record's
 *                              descriptor its opener lost access to)
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static sigjmp_buf fault;

static void on_bus(int sig)
{
	(void)sig;
	siglongjmp(fault, 1);
}

static int ctlsend(const char *mnt, const char *req, const char *prog)
{
	char path[4096], buf[4096];
	size_t i, len = strlen(req);
	int fd;

	snprintf(path, sizeof(path), "%s/.dossier/ctl", mnt);
	snprintf(buf, sizeof(buf), "%s", req);
	for (i = 0; i < len; i++)
		if (buf[i] == '|')
			buf[i] = '\t';
	fd = open(path, O_RDWR);
	if (fd < 0 || pwrite(fd, buf, len, 0) != (ssize_t)len) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	if (dup2(fd, 0) < 0)
		return 1;
	execl(prog, prog, "ctlread", (char *)NULL);
	printf("exec: %s\n", strerrorname_np(errno));
	return 1;
}

static int ctlread(void)
{
	char buf[65536];
	ssize_t n;
	off_t off = 0;

	while ((n = pread(0, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		off += n;
	}
	if (n < 0)
		printf("%s\n", strerrorname_np(errno));
	return 0;
}

static int call(const char *op, const char *p, const char *arg)
{
	struct stat st;
	int rc = -1, fd;

	if (!strcmp(op, "excl")) {
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		rc = fd < 0 ? -1 : close(fd);
	} else if (!strcmp(op, "mkdir")) {
		rc = mkdir(p, 0755);
	} else if (!strcmp(op, "symlink") && arg) {
		rc = symlink(arg, p);
	} else if (!strcmp(op, "link") && arg) {
		rc = link(arg, p);
	} else if (!strcmp(op, "rename") && arg) {
		rc = rename(arg, p);
	} else if (!strcmp(op, "noreplace") && arg) {
		rc = renameat2(AT_FDCWD, arg, AT_FDCWD, p, RENAME_NOREPLACE);
	} else if (!strcmp(op, "mknod")) {
		rc = mknod(p, S_IFREG | 0644, 0);
	} else if (!strcmp(op, "mkfifo")) {
		rc = mkfifo(p, 0644);
	} else if (!strcmp(op, "setxattr")) {
		rc = setxattr(p, "user.x", "1", 1, 0);
	} else if (!strcmp(op, "stat")) {
		rc = stat(p, &st);
	} else if (!strcmp(op, "getxattr")) {
		char v[64];

		rc = (int)getxattr(p, "user.x", v, sizeof(v));
	} else if (!strcmp(op, "listxattr")) {
		char v[1024];

		rc = (int)listxattr(p, v, sizeof(v));
	} else if (!strcmp(op, "access")) {
		rc = access(p, R_OK);
	} else if (!strcmp(op, "unlink")) {
		rc = unlink(p);
	} else if (!strcmp(op, "rmdir")) {
		rc = rmdir(p);
	} else {
		fprintf(stderr, "hostile: unknown call '%s'\n", op);
		return 2;
	}
	printf("%s\n", rc < 0 ? strerrorname_np(errno) : "OK");
	return 0;
}

/* Use fd (or the mapping m) once: prints what came of it. */
static const char *cfr_dest;

static void use(const char *how, int fd, volatile const char *m)
{
	char buf[256];
	ssize_t n;

	if (m) {
		if (sigsetjmp(fault, 1)) {
			printf("SIGBUS\n");
			return;
		}
		buf[0] = m[0];
		printf("OK %c\n", buf[0]);
		return;
	}
	if (!strcmp(how, "write")) {
		n = pwrite(fd, "w", 1, 0);
	} else if (!strcmp(how, "truncate") || !strcmp(how, "orphan")) {
		n = ftruncate(fd, 0) < 0 ? -1 : 0;
	} else if (!strcmp(how, "cfr")) {
		int out = open(cfr_dest, O_RDWR | O_CREAT | O_TRUNC, 0600);
		loff_t in_off = 0;

		n = out < 0 ? -1 : copy_file_range(fd, &in_off, out, NULL,
						    sizeof(buf) - 1, 0);
		if (n > 0)
			n = pread(out, buf, (size_t)n, 0);
		if (out >= 0)
			close(out);
	} else if (!strcmp(how, "size")) {
		struct stat st;
		off_t end;

		if (fstat(fd, &st) < 0 || (end = lseek(fd, 0, SEEK_END)) < 0)
			n = -1;
		else
			n = snprintf(buf, sizeof(buf), "%lld %lld",
				     (long long)st.st_size, (long long)end);
	} else if (!strcmp(how, "name")) {
		char link[64];

		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, buf, sizeof(buf) - 1);
	} else {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
	}
	if (n < 0) {
		printf("%s\n", strerrorname_np(errno));
		return;
	}
	if (n > 0)
		buf[n] = '\0';
	if (!strcmp(how, "write") || !strcmp(how, "truncate") ||
	    !strcmp(how, "orphan") || n <= 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("OK %s\n", buf);
}

static int hold(const char *how, const char *p)
{
	char line[64];
	char *m = NULL;
	int fd;

	if (!strcmp(how, "orphan")) {
		/* a save by rename whose temp stays open (gio closes late) */
		fd = open(cfr_dest, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0 && (write(fd, "temp\n", 5) != 5 ||
				rename(cfr_dest, p) < 0)) {
			close(fd);
			fd = -1;
		}
	} else {
		fd = open(p, !strcmp(how, "write") || !strcmp(how, "truncate") ?
			  O_RDWR : O_RDONLY);
	}
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	if (!strcmp(how, "mmap") || !strcmp(how, "private")) {
		signal(SIGBUS, on_bus);
		m = mmap(NULL, 4096, PROT_READ, !strcmp(how, "mmap") ?
			 MAP_SHARED : MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			printf("%s\n", strerrorname_np(errno));
			return 1;
		}
	}
	use(how, fd, m);
	printf("READY\n");
	while (fgets(line, sizeof(line), stdin))
		use(how, fd, m);
	return 0;
}

static int fdsend(const char *p, const char *prog)
{
	char line[64];
	int fd = open(p, O_RDONLY);

	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 1;
	}
	printf("READY\n");
	if (!fgets(line, sizeof(line), stdin) || dup2(fd, 0) < 0)
		return 1;
	execl(prog, prog, "ctlread", (char *)NULL);
	printf("exec: %s\n", strerrorname_np(errno));
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "ctlsend"))
		return ctlsend(argv[2], argv[3], argv[4]);
	if (argc >= 2 && !strcmp(argv[1], "ctlread"))
		return ctlread();
	if (argc >= 4 && !strcmp(argv[1], "call"))
		return call(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
	if (argc >= 4 && !strcmp(argv[1], "hold")) {
		cfr_dest = argc > 4 ? argv[4] : "/dev/null";
		return hold(argv[2], argv[3]);
	}
	if (argc >= 4 && !strcmp(argv[1], "fdsend"))
		return fdsend(argv[2], argv[3]);
	fprintf(stderr, "usage: hostile ctlsend|ctlread|call|hold|fdsend ...\n");
	return 2;
}
