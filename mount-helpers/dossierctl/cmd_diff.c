/*
 * dossierctl diff PATH [REV [REV]]: a unified diff of two versions for
 * text; for documents (PDFs, scans, office files) the diff of their text:
 * the text the archive keeps per version (recognised for scans), else
 * what dossier_extract_text() finds here (pdftotext, docx2txt, odt2txt,
 * catdoc, as git's textconv); otherwise sizes and SHA-256 checksums.
 * Exit status as diff(1): 0 the same, 1 different.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "error.h"
#include "extract.h"

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

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/*
 * The text the archive keeps for version v (recognised for scans) into
 * to; 1 done, 0 none (why said on stderr when it is worth knowing).
 */
static int kept_text(const char *mnt, const char *rel,
		     const struct ctl_version *v, const char *to)
{
	struct ctl_reply r;
	char req[4300];
	int ok = 0;

	snprintf(req, sizeof(req), "text\t%s\t%s\n", rel, v->commit);
	if (ctl_request(mnt, req, &r) < 0)
		return 0;
	if (r.status == 0 && strncmp(r.message, "none", 4))
		ok = write_file(to, r.body, strlen(r.body)) == 0;
	else if (r.status != 0 && strstr(r.message, "not recognised yet"))
		fprintf(stderr, "dossierctl diff: version %.7s: %s\n",
			v->commit, r.message);
	ctl_reply_release(&r);
	return ok;
}

/* The text dossier_extract_text() finds in file from (no OCR) into to. */
static int extracted_text(const char *from, const char *to)
{
	struct dossier_buf b = DOSSIER_BUF_INIT;
	struct dossier_extract_info info;
	int fd = open(from, O_RDONLY | O_CLOEXEC), ok = 0;

	if (fd < 0)
		return 0;
	if (dossier_extract_text(&b, &info, fd, 0, NULL) == 0 &&
	    strcmp(info.method, "none"))
		ok = write_file(to, b.buf, b.len) == 0;
	dossier_error_clear();
	close(fd);
	dossier_buf_release(&b);
	return ok;
}

/* diff(1)'s status: 0 the same, 1 different, 2 trouble (said) */
static int diff_exit(int rc)
{
	return rc == 0 ? CTL_OK : rc == 1 ? 1 : CTL_REFUSED;
}

/* 0 when a and b hold the same bytes, else 1 */
static int same_bytes(const char *a, const char *b)
{
	const char *const argv[] = { "cmp", "-s", a, b, NULL };

	return run(argv, -1) == 0 ? CTL_OK : 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl diff PATH [REV [REV]]\n\n"
		     "Compare two versions of the record at PATH: with no REV "
		     "the last two,\nwith one REV that version and the latest. "
		     "Text gives a unified diff;\ndocuments (PDFs, scans and "
		     "images, .docx/.odt/.xlsx/.doc/.xls) the diff\nof their "
		     "text: the text the archive recognised or extracted for "
		     "each\nversion ('dossierctl show --text'), else what "
		     "pdftotext, docx2txt,\nodt2txt, catdoc find here; other "
		     "files a size and SHA-256 comparison.\nExit status as "
		     "diff(1): 0 the same, 1 different.\n");
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
	if ((ret = ctl_only_help(argc, argv, usage, 1, 3)) >= 0)
		return ret;
	/* argv[1] PATH, then the REVs */
	argc -= optind - 1;
	argv += optind - 1;
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
	snprintf(ta, sizeof(ta), "%s/a.txt", dir);
	snprintf(tb, sizeof(tb), "%s/b.txt", dir);
	if (is_text(fa) && is_text(fb)) {
		const char *const d[] = { "diff", "-u", "--label", la, "--label", lb,
				    fa, fb, NULL };

		ret = diff_exit(run(d, -1));
	} else if ((kept_text(mnt, rel, a, ta) && kept_text(mnt, rel, b, tb)) ||
		   (extracted_text(fa, ta) && extracted_text(fb, tb))) {
		const char *const d[] = { "diff", "-u", "--label", la,
					  "--label", lb, ta, tb, NULL };

		snprintf(la + strlen(la), sizeof(la) - strlen(la), " (text)");
		snprintf(lb + strlen(lb), sizeof(lb) - strlen(lb), " (text)");
		ret = diff_exit(run(d, -1));
	} else {
		const char *const s1[] = { "sha256sum", fa, fb, NULL };
		struct stat sa, sb;

		stat(fa, &sa);
		stat(fb, &sb);
		printf("binary versions, compared by size and checksum:\n"
		       "  %s  %lld bytes\n  %s  %lld bytes\n", la,
		       (long long)sa.st_size, lb, (long long)sb.st_size);
		fflush(stdout);
		ret = run(s1, -1) == 0 ? same_bytes(fa, fb) : CTL_REFUSED;
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
