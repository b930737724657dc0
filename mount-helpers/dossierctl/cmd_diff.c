/*
 * dossierctl diff PATH [REV [REV]]: a unified diff of two versions for
 * text; for PDFs the text pdftotext extracts (when poppler-utils is
 * installed); otherwise sizes and SHA-256 checksums.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"

int ctl_copy_version(const char *mnt, const char *rel,
		     const struct ctl_version *v, int out);

/* Run argv; its stdout to out_fd (-1: inherit). Returns exit status. */
static int run(const char *const argv[], int out_fd)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out_fd >= 0)
			dup2(out_fd, STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int is_text(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n >= 0 && !memchr(buf, '\0', (size_t)n);
}

static int is_pdf(const char *path)
{
	char buf[5] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = read(fd, buf, 5) == 5 && !memcmp(buf, "%PDF-", 5);
	close(fd);
	return ok;
}

static int have(const char *prog)
{
	char cmd[256];
	const char *const argv[] = { "sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return run(argv, -1) == 0;
}

int cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_version *v = NULL;
	const struct ctl_version *a = NULL, *b = NULL;
	char mnt[4096], rel[4096], dir[] = "/tmp/dossierctl-diff.XXXXXX";
	char fa[64], fb[64], ta[80], tb[80], la[4200], lb[4200];
	size_t n = 0, i, ncontent = 0;
	int ret = CTL_REFUSED, fd;

	(void)ctl;
	if (ctl_wants_help(argc, argv) || argc < 2 || argc > 4) {
		fprintf(argc >= 2 && argc <= 4 ? stdout : stderr,
			"usage: dossierctl diff PATH [REV [REV]]\n\n"
			"Compare two versions of the record at PATH: with no "
			"REV the last two,\nwith one REV that version and the "
			"latest. Text gives a unified diff;\nPDFs the diff of "
			"their text (pdftotext, from poppler-utils); other\n"
			"files a size and SHA-256 comparison.\n");
		return argc >= 2 && argc <= 4 ? CTL_OK : CTL_USAGE;
	}
	if ((ret = ctl_versions(argv[1], mnt, sizeof(mnt), rel, sizeof(rel),
				&v, &n)) != CTL_OK)
		return ret;
	ret = CTL_REFUSED;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].file, "-"))
			ncontent++;
	for (i = n; i-- > 0;)
		if (strcmp(v[i].file, "-")) {
			if (!b)
				b = &v[i];
			else if (!a) {
				a = &v[i];
				break;
			}
		}
	if (argc >= 3) {
		a = ctl_find_version(v, n, argv[2]);
		if (argc == 4)
			b = ctl_find_version(v, n, argv[3]);
		if (!a || !b) {
			fprintf(stderr, "dossierctl diff: no single version "
					"'%s' of '%s' (see 'dossierctl log')\n",
				!a ? argv[2] : argv[3], argv[1]);
			goto out;
		}
	} else if (ncontent < 2) {
		fprintf(stderr, "dossierctl diff: '%s' has only %zu "
				"version(s)\n", argv[1], ncontent);
		goto out;
	}
	if (!mkdtemp(dir)) {
		perror("dossierctl diff: mkdtemp");
		goto out;
	}
	snprintf(fa, sizeof(fa), "%s/a", dir);
	snprintf(fb, sizeof(fb), "%s/b", dir);
	fd = open(fa, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ctl_copy_version(mnt, rel, a, fd) < 0)
		goto clean;
	close(fd);
	fd = open(fb, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ctl_copy_version(mnt, rel, b, fd) < 0)
		goto clean;
	close(fd);
	fd = -1;
	snprintf(la, sizeof(la), "%s@%.12s", rel, a->commit);
	snprintf(lb, sizeof(lb), "%s@%.12s", rel, b->commit);
	fflush(stdout);
	if (is_pdf(fa) && is_pdf(fb) && have("pdftotext")) {
		const char *const p1[] = { "pdftotext", "-q", fa, ta, NULL };
		const char *const p2[] = { "pdftotext", "-q", fb, tb, NULL };

		snprintf(ta, sizeof(ta), "%s/a.txt", dir);
		snprintf(tb, sizeof(tb), "%s/b.txt", dir);
		if (run(p1, -1) == 0 && run(p2, -1) == 0) {
			const char *const d[] = { "diff", "-u", "--label", la,
					    "--label", lb, ta, tb, NULL };

			ret = run(d, -1) <= 1 ? CTL_OK : CTL_REFUSED;
			goto clean;
		}
	}
	if (is_text(fa) && is_text(fb)) {
		const char *const d[] = { "diff", "-u", "--label", la, "--label", lb,
				    fa, fb, NULL };

		ret = run(d, -1) <= 1 ? CTL_OK : CTL_REFUSED;
	} else {
		const char *const s1[] = { "sha256sum", fa, fb, NULL };
		struct stat sa, sb;

		stat(fa, &sa);
		stat(fb, &sb);
		printf("binary versions differ in content only by checksum:\n"
		       "  %s  %lld bytes\n  %s  %lld bytes\n", la,
		       (long long)sa.st_size, lb, (long long)sb.st_size);
		ret = run(s1, -1) == 0 ? CTL_OK : CTL_REFUSED;
	}
clean:
	if (fd >= 0)
		close(fd);
	unlink(fa);
	unlink(fb);
	snprintf(ta, sizeof(ta), "%s/a.txt", dir);
	snprintf(tb, sizeof(tb), "%s/b.txt", dir);
	unlink(ta);
	unlink(tb);
	rmdir(dir);
out:
	free(v);
	return ret;
}
