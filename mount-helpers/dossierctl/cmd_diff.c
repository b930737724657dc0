/*
 * dossierctl diff PATH [REV [REV]]: a unified diff of two versions for
 * text; for PDFs and office documents the diff of the text a Debian
 * converter extracts (as git's textconv): pdftotext (poppler-utils),
 * docx2txt, odt2txt, xlsx2csv, catdoc and xls2csv (catdoc); otherwise
 * sizes and SHA-256 checksums. Exit status as diff(1): 0 the same, 1
 * different.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/*
 * Converters to text, by the record's extension (PDFs also by their
 * magic). IN and OUT stand for the version's file and the text file; a
 * converter without OUT writes to standard output.
 */
static const struct textconv {
	const char *ext;
	const char *prog;
	const char *args[5];
} textconvs[] = {
	{ ".pdf", "pdftotext", { "-q", "IN", "OUT", NULL } },
	{ ".docx", "docx2txt", { "IN", "OUT", NULL } },
	{ ".odt", "odt2txt", { "IN", NULL } },
	{ ".ods", "odt2txt", { "IN", NULL } },
	{ ".odp", "odt2txt", { "IN", NULL } },
	{ ".xlsx", "xlsx2csv", { "-a", "IN", NULL } },
	{ ".doc", "catdoc", { "IN", NULL } },
	{ ".xls", "xls2csv", { "IN", NULL } },
};

static const struct textconv *textconv_for(const char *rel, const char *file)
{
	const char *dot = strrchr(rel, '.'), *slash = strrchr(rel, '/');
	char magic[5] = "";
	size_t i;
	int fd;

	if (dot && (!slash || dot > slash))
		for (i = 0; i < sizeof(textconvs) / sizeof(textconvs[0]); i++)
			if (!strcasecmp(dot, textconvs[i].ext))
				return &textconvs[i];
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && read(fd, magic, 5) == 5 && !memcmp(magic, "%PDF-", 5)) {
		close(fd);
		return &textconvs[0];
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Convert in to the text file out with c; 0 when that worked. */
static int convert(const struct textconv *c, const char *in, const char *out)
{
	const char *argv[8];
	int i, n = 0, to_stdout = 1, fd, rc;

	argv[n++] = c->prog;
	for (i = 0; c->args[i]; i++) {
		if (!strcmp(c->args[i], "OUT"))
			to_stdout = 0;
		argv[n++] = !strcmp(c->args[i], "IN") ? in :
			    !strcmp(c->args[i], "OUT") ? out : c->args[i];
	}
	argv[n] = NULL;
	fd = to_stdout ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0600) : -1;
	if (to_stdout && fd < 0)
		return -1;
	rc = run(argv, fd);
	if (fd >= 0)
		close(fd);
	return rc == 0 ? 0 : -1;
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

static int have(const char *prog)
{
	char cmd[256];
	const char *const argv[] = { "sh", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return run(argv, -1) == 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: dossierctl diff PATH [REV [REV]]\n\n"
		     "Compare two versions of the record at PATH: with no REV "
		     "the last two,\nwith one REV that version and the latest. "
		     "Text gives a unified diff; PDFs and\noffice documents "
		     "(.docx .odt .ods .xlsx .doc .xls) the diff of their\ntext "
		     "(pdftotext, docx2txt, odt2txt, xlsx2csv, catdoc); other "
		     "files a\nsize and SHA-256 comparison. Exit status as "
		     "diff(1): 0 the same,\n1 different.\n");
}

int cmd_diff(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_version *v = NULL;
	const struct ctl_version *a = NULL, *b = NULL;
	char mnt[4096], rel[4096], dir[] = "/tmp/dossierctl-diff.XXXXXX";
	char fa[64], fb[64], ta[80], tb[80], la[4200], lb[4200];
	size_t n = 0, i, ncontent = 0;
	const struct textconv *conv;
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
	conv = textconv_for(rel, fa);
	if (conv && have(conv->prog)) {
		snprintf(ta, sizeof(ta), "%s/a.txt", dir);
		snprintf(tb, sizeof(tb), "%s/b.txt", dir);
		if (convert(conv, fa, ta) == 0 && convert(conv, fb, tb) == 0) {
			const char *const d[] = { "diff", "-u", "--label", la,
					    "--label", lb, ta, tb, NULL };

			ret = diff_exit(run(d, -1));
			goto clean;
		}
		fprintf(stderr, "dossierctl diff: %s could not read a "
				"version: comparing the bytes\n", conv->prog);
	} else if (conv) {
		fprintf(stderr, "dossierctl diff: install %s to compare the "
				"text of these versions\n", conv->prog);
	}
	if (is_text(fa) && is_text(fb)) {
		const char *const d[] = { "diff", "-u", "--label", la, "--label", lb,
				    fa, fb, NULL };

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
