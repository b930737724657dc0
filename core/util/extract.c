#include "extract.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

extern char **environ;

/* The content as the tools see it: the child's descriptor 3. */
#define CONTENT "/proc/self/fd/3"
#define LANGS "chi_sim+eng"
/*
 * A tool that has not finished one stage (a page) by then is stuck
 * (a damaged file); measured: a dense A4 page at 300 dpi takes 5-10 s on
 * one core of this machine class.
 */
#define STAGE_TIMEOUT_MS (300 * 1000)
#define OCR_MAX_PAGES 1000
/* A PDF page with fewer visible characters than this is a scan. */
#define PAGE_TEXT_MIN 8

/*
 * A document may be built to attack the tools that parse it (poppler,
 * leptonica, perl's zip reading): in the background, as root, they run
 * as nobody, without new privileges, and with bounded memory and CPU.
 */
#define TOOL_MEM_MAX (2048LL * 1024 * 1024)
#define TOOL_CPU_MAX (STAGE_TIMEOUT_MS / 1000)

/* ioprio_set(2) has no glibc wrapper: IOPRIO_WHO_PROCESS, class idle. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_IDLE (3 << 13)

static int job_start(struct dossier_extract_job *job)
{
	int cancelled = 0;

	if (!job)
		return 0;
	pthread_mutex_lock(&job->lock);
	cancelled = job->cancelled;
	pthread_mutex_unlock(&job->lock);
	if (cancelled) {
		dossier_error_set("text extraction cancelled");
		return DOSSIER_EBUSY;
	}
	return 0;
}

static void job_set(struct dossier_extract_job *job, int i, pid_t pid)
{
	if (!job)
		return;
	pthread_mutex_lock(&job->lock);
	job->pid[i] = pid;
	if (pid > 0 && job->cancelled)
		kill(pid, SIGKILL);
	pthread_mutex_unlock(&job->lock);
}

void dossier_extract_cancel(struct dossier_extract_job *job)
{
	int i;

	pthread_mutex_lock(&job->lock);
	job->cancelled = 1;
	for (i = 0; i < 2; i++)
		if (job->pid[i] > 0)
			kill(job->pid[i], SIGKILL);
	pthread_mutex_unlock(&job->lock);
}

/*
 * The environment of the tools: UTF-8 output, and in the background one
 * thread for tesseract (its OpenMP threads would take every core).
 */
static char **tool_env(unsigned flags)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LC_ALL=", 7) &&
		    strncmp(environ[i], "OMP_THREAD_LIMIT=", 17))
			env[k++] = environ[i];
	env[k++] = (char *)"LC_ALL=C.UTF-8";
	if (flags & DOSSIER_EXTRACT_BACKGROUND)
		env[k++] = (char *)"OMP_THREAD_LIMIT=1";
	return env;
}

/* Whom the tools run as: nobody, when we are root (uid -1: as we are). */
struct tool_user {
	uid_t uid;
	gid_t gid;
};

static void tool_user(struct tool_user *u, unsigned flags)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	u->uid = (uid_t)-1;
	u->gid = (gid_t)-1;
	if (!(flags & DOSSIER_EXTRACT_BACKGROUND) || geteuid() != 0)
		return;
	if (getpwnam_r("nobody", &pw, buf, sizeof(buf), &res) == 0 && res) {
		u->uid = res->pw_uid;
		u->gid = res->pw_gid;
	} else {
		u->uid = 65534;
		u->gid = 65534;
	}
}

/* In the child: 0 from in (or /dev/null), 1 to out, 2 nowhere, 3 content. */
static void child(const char *const argv[], char **env, int in, int out,
		  int content, unsigned flags, const struct tool_user *u)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* above every descriptor we are about to overwrite */
	content = fcntl(content, F_DUPFD, 10);
	out = fcntl(out, F_DUPFD, 10);
	in = fcntl(in >= 0 ? in : nul, F_DUPFD, 10);
	nul = fcntl(nul, F_DUPFD, 10);
	if (content < 0 || out < 0 || in < 0 || nul < 0 || dup2(in, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(nul, 2) < 0 || dup2(content, 3) < 0)
		_exit(126);
	close_range(4, ~0U, 0);
	if (flags & DOSSIER_EXTRACT_BACKGROUND) {
		struct rlimit mem = { TOOL_MEM_MAX, TOOL_MEM_MAX };
		struct rlimit cpu = { TOOL_CPU_MAX, TOOL_CPU_MAX };

		setpriority(PRIO_PROCESS, 0, 19);
		syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_IDLE);
		if (setrlimit(RLIMIT_AS, &mem) < 0 ||
		    setrlimit(RLIMIT_CPU, &cpu) < 0)
			_exit(126);
	}
	if (u->uid != (uid_t)-1 &&
	    (setgroups(0, NULL) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	     setresuid(u->uid, u->uid, u->uid) < 0))
		_exit(126);
	if ((flags & DOSSIER_EXTRACT_BACKGROUND) &&
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(126);
	execvpe(argv[0], (char *const *)argv, env);
	_exit(127);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keep at most what is left of DOSSIER_EXTRACT_MAX in out. */
static void keep(struct dossier_buf *out, const char *p, size_t n,
		 int *truncated)
{
	size_t room = out->len < DOSSIER_EXTRACT_MAX ?
			      DOSSIER_EXTRACT_MAX - out->len : 0;

	if (n > room) {
		n = room;
		*truncated = 1;
	}
	dossier_buf_add(out, p, n);
}

/* One tool, or two with the second reading the first's output (run). */
struct pipeline {
	const char *const *tool[2];	/* tool[1] NULL: one tool */
	int content;			/* at descriptor 3 of each */
	unsigned flags;
	struct dossier_extract_job *job;
	int64_t deadline;		/* now_ms() after which it is stuck */
	struct tool_user u;
	char **env;
	int po[2];			/* the last tool's output */
	int pm[2];			/* the first tool's to the second */
	pid_t pid[2];
};

/* The tools' environment and pipes. */
static int open_pipes(struct pipeline *p)
{
	if (!(p->env = tool_env(p->flags)) || pipe2(p->po, O_CLOEXEC) < 0 ||
	    (p->tool[1] && pipe2(p->pm, O_CLOEXEC) < 0)) {
		dossier_error_set("cannot start '%s': %s", p->tool[0][0],
				  strerror(errno));
		return DOSSIER_EIO;
	}
	return 0;
}

/* Start the tools; only the output's read end stays open here. */
static int spawn(struct pipeline *p)
{
	int rc = 0;

	if ((p->pid[0] = fork()) == 0)
		child(p->tool[0], p->env, -1, p->tool[1] ? p->pm[1] : p->po[1],
		      p->content, p->flags, &p->u);
	job_set(p->job, 0, p->pid[0]);
	if (p->tool[1] && p->pid[0] > 0 && (p->pid[1] = fork()) == 0)
		child(p->tool[1], p->env, p->pm[0], p->po[1], p->content,
		      p->flags, &p->u);
	job_set(p->job, 1, p->pid[1]);
	if (p->pid[0] < 0 || p->pid[1] < 0) {
		dossier_error_set("cannot start '%s': %s", p->tool[0][0],
				  strerror(errno));
		rc = DOSSIER_EIO;
	}
	close(p->po[1]);
	p->po[1] = -1;
	if (p->tool[1]) {
		close(p->pm[0]);
		close(p->pm[1]);
		p->pm[0] = p->pm[1] = -1;
	}
	return rc;
}

/* Read the output into out until its end or the deadline. */
static int collect(struct pipeline *p, struct dossier_buf *out,
		   int *truncated)
{
	char buf[65536];

	for (;;) {
		struct pollfd pf = { p->po[0], POLLIN, 0 };
		int64_t left = p->deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			dossier_error_set("'%s' did not finish in %d s",
					  p->tool[0][0],
					  STAGE_TIMEOUT_MS / 1000);
			return DOSSIER_ERROR;
		}
		if (poll(&pf, 1, (int)left) < 0 && errno != EINTR)
			return DOSSIER_ERROR;
		if (!pf.revents)
			continue;
		n = read(p->po[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		keep(out, buf, (size_t)n, truncated);
	}
}

/* How tool name ended, by its wait status st. */
static int exit_status(const char *name, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		dossier_error_set("'%s' is not installed", name);
		return DOSSIER_ENOTSUP;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		dossier_error_set("'%s' failed (%s %d)", name,
				  WIFEXITED(st) ? "status" : "signal",
				  WIFEXITED(st) ? WEXITSTATUS(st) :
						  WTERMSIG(st));
		return DOSSIER_ERROR;
	}
	return 0;
}

/* Wait for the tools, last first, killing them if rc failed already. */
static int reap(struct pipeline *p, int rc)
{
	int i, st;

	for (i = 1; i >= 0; i--) {
		if (p->pid[i] <= 0)
			continue;
		if (rc < 0)
			kill(p->pid[i], SIGKILL);
		while (waitpid(p->pid[i], &st, 0) < 0 && errno == EINTR)
			;
		job_set(p->job, i, 0);
		if (rc < 0)
			continue;
		rc = exit_status(p->tool[i][0], st);
	}
	return rc;
}

/*
 * Run a (and b reading a's output, when b is not NULL), the content at
 * descriptor 3 of each; append the last one's output to out.
 */
static int run(const char *const a[], const char *const b[], int content,
	       unsigned flags, struct dossier_extract_job *job,
	       struct dossier_buf *out, int *truncated)
{
	struct pipeline p = {
		.tool = { a, b }, .content = content, .flags = flags,
		.job = job, .deadline = now_ms() + STAGE_TIMEOUT_MS,
		.po = { -1, -1 }, .pm = { -1, -1 },
	};
	int rc, i;

	if ((rc = job_start(job)) < 0)
		return rc;
	tool_user(&p.u, flags);
	if ((rc = open_pipes(&p)) < 0)
		goto out;
	rc = spawn(&p);
	if (rc == 0)
		rc = collect(&p, out, truncated);
	rc = reap(&p, rc);
	if (rc < 0 && job_start(job) == DOSSIER_EBUSY) {
		dossier_error_clear();
		dossier_error_set("text extraction cancelled");
		rc = DOSSIER_EBUSY;
	}
out:
	for (i = 0; i < 2; i++) {
		if (p.po[i] >= 0)
			close(p.po[i]);
		if (p.pm[i] >= 0)
			close(p.pm[i]);
	}
	free(p.env);
	return rc;
}

static int tesseract(const char *input, int content, unsigned flags,
		     struct dossier_extract_job *job, struct dossier_buf *out,
		     int *truncated)
{
	const char *const t[] = { "tesseract", input, "stdout", "-l", LANGS,
				  NULL };

	return run(t, NULL, content, flags, job, out, truncated);
}

/* Recognise page p (from 1) of the PDF. */
static int ocr_pdf_page(int content, int p, unsigned flags,
			struct dossier_extract_job *job,
			struct dossier_buf *out, int *truncated)
{
	char num[16];
	const char *const r[] = { "pdftoppm", "-f", num, "-l", num, "-r",
				  "300", "-gray", CONTENT, NULL };
	const char *const t[] = { "tesseract", "stdin", "stdout", "-l", LANGS,
				  NULL };

	snprintf(num, sizeof(num), "%d", p);
	return run(r, t, content, flags, job, out, truncated);
}

static size_t visible(const char *p, size_t n)
{
	size_t i, v = 0;

	for (i = 0; i < n; i++)
		if (!strchr(" \t\r\n\f", p[i]))
			v++;
	return v;
}

/*
 * pdftotext ends every page with a form feed: pages with text keep it,
 * pages without (scans) are recognised, with DOSSIER_EXTRACT_OCR.
 */
static int pdf(struct dossier_buf *out, struct dossier_extract_info *info,
	       int content, unsigned flags, struct dossier_extract_job *job)
{
	const char *const a[] = { "pdftotext", "-q", "-enc", "UTF-8", CONTENT,
				  "-", NULL };
	struct dossier_buf all = DOSSIER_BUF_INIT;
	const char *p, *end;
	int rc, page = 0, scanned = 0, texted = 0, trunc = 0;

	if ((rc = run(a, NULL, content, flags, job, &all, &trunc)) < 0)
		goto out;
	for (p = all.buf; rc == 0 && p < all.buf + all.len; p = end + 1) {
		end = memchr(p, '\f', (size_t)(all.buf + all.len - p));
		if (!end)
			end = all.buf + all.len;
		page++;
		if (visible(p, (size_t)(end - p)) >= PAGE_TEXT_MIN) {
			texted++;
			keep(out, p, (size_t)(end - p), &info->truncated);
			keep(out, "\f", 1, &info->truncated);
		} else if ((flags & DOSSIER_EXTRACT_OCR) &&
			   scanned < OCR_MAX_PAGES && end < all.buf + all.len) {
			scanned++;
			rc = ocr_pdf_page(content, page, flags, job, out,
					  &info->truncated);
		}
	}
	info->pages = scanned;
	snprintf(info->method, sizeof(info->method), "%s",
		 scanned && texted ? "pdf+ocr" : scanned ? "ocr" :
		 texted ? "pdftotext" : "none");
	if (trunc)
		info->truncated = 1;
out:
	dossier_buf_release(&all);
	return rc;
}

/* The names in a zip archive, one per line. */
static int zip_names(int content, unsigned flags,
		     struct dossier_extract_job *job, struct dossier_buf *out)
{
	const char *const a[] = { "unzip", "-Z1", CONTENT, NULL };
	int trunc = 0;

	return run(a, NULL, content, flags, job, out, &trunc);
}

static int has_line(const struct dossier_buf *b, const char *line)
{
	size_t n = strlen(line);
	const char *p = b->buf;

	while ((p = strstr(p, line))) {
		if ((p == b->buf || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\r' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static int office_zip(struct dossier_buf *out,
		      struct dossier_extract_info *info, int content,
		      unsigned flags, struct dossier_extract_job *job)
{
	const char *const docx[] = { "docx2txt", CONTENT, "-", NULL };
	const char *const odt[] = { "odt2txt", "--encoding=UTF-8",
				    "--width=-1", CONTENT, NULL };
	const char *const xlsx[] = { "xlsx2csv", "-a", CONTENT, NULL };
	struct dossier_buf names = DOSSIER_BUF_INIT;
	int rc;

	if ((rc = zip_names(content, flags, job, &names)) < 0)
		goto out;
	if (has_line(&names, "word/document.xml")) {
		snprintf(info->method, sizeof(info->method), "docx2txt");
		rc = run(docx, NULL, content, flags, job, out,
			 &info->truncated);
	} else if (has_line(&names, "content.xml") &&
		   has_line(&names, "mimetype")) {
		snprintf(info->method, sizeof(info->method), "odt2txt");
		rc = run(odt, NULL, content, flags, job, out,
			 &info->truncated);
	} else if (has_line(&names, "xl/workbook.xml")) {
		/* every sheet, inline strings and numbers too */
		snprintf(info->method, sizeof(info->method), "xlsx2csv");
		rc = run(xlsx, NULL, content, flags, job, out,
			 &info->truncated);
	}
out:
	dossier_buf_release(&names);
	return rc;
}

/* Length of the UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, c = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, c = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Text: no NUL, and UTF-8 (a sequence cut by the end of head is fine). */
static int looks_text(const unsigned char *p, size_t n)
{
	size_t i = 0, len;
	uint32_t cp;

	if (memchr(p, '\0', n))
		return 0;
	while (i < n) {
		if (!(len = utf8_len(p + i, n - i, &cp)))
			return n - i < 4 && p[i] >= 0xc0;
		i += len;
	}
	return 1;
}

static int plain(struct dossier_buf *out, struct dossier_extract_info *info,
		 int fd)
{
	char buf[65536];
	off_t off = 0;
	ssize_t n;

	snprintf(info->method, sizeof(info->method), "plain");
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0 &&
	       out->len < DOSSIER_EXTRACT_MAX) {
		keep(out, buf, (size_t)n, &info->truncated);
		off += n;
	}
	if (n < 0) {
		dossier_error_set("cannot read the content: %s",
				  strerror(errno));
		return DOSSIER_EIO;
	}
	return 0;
}

static int is_image(const unsigned char *h, size_t n)
{
	return (n >= 8 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8)) ||
	       (n >= 3 && !memcmp(h, "\xff\xd8\xff", 3)) ||
	       (n >= 4 && (!memcmp(h, "II*\0", 4) || !memcmp(h, "MM\0*", 4))) ||
	       (n >= 2 && !memcmp(h, "BM", 2)) ||
	       (n >= 6 && (!memcmp(h, "GIF87a", 6) || !memcmp(h, "GIF89a", 6)));
}

static int is_pdf(const unsigned char *h, size_t n)
{
	return n >= 5 && !memcmp(h, "%PDF-", 5);
}

static int is_zip(const unsigned char *h, size_t n)
{
	return n >= 4 && !memcmp(h, "PK\3\4", 4);
}

/* An OLE2 compound file: a .doc or .xls. */
static int is_ole(const unsigned char *h, size_t n)
{
	return n >= 8 && !memcmp(h, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
}

static size_t count_pages(const struct dossier_buf *b, size_t from)
{
	size_t i, n = 0;

	for (i = from; i < b->len; i++)
		n += b->buf[i] == '\f';
	return n;
}

int dossier_extract_wants(const void *head, size_t n, unsigned flags)
{
	const unsigned char *h = head;

	if (is_image(h, n))
		return (flags & DOSSIER_EXTRACT_OCR) != 0;
	return is_pdf(h, n) || is_zip(h, n) || is_ole(h, n) || looks_text(h, n);
}

/* Drop what out holds past start. */
static void cut(struct dossier_buf *out, size_t start)
{
	out->len = start;
	out->buf[start] = '\0';
}

/* An image: recognised with DOSSIER_EXTRACT_OCR, else left. */
static int image(struct dossier_buf *out, struct dossier_extract_info *info,
		 int content, unsigned flags, struct dossier_extract_job *job)
{
	size_t start = out->len;
	int rc;

	if (!(flags & DOSSIER_EXTRACT_OCR))
		return 0;
	snprintf(info->method, sizeof(info->method), "ocr");
	rc = tesseract(CONTENT, content, flags, job, out, &info->truncated);
	info->pages = (int)count_pages(out, start);
	if (rc == 0 && info->pages == 0)
		info->pages = 1;
	return rc;
}

/* A .doc by catdoc, else (it failed) a .xls by xls2csv. */
static int ole(struct dossier_buf *out, struct dossier_extract_info *info,
	       int content, unsigned flags, struct dossier_extract_job *job)
{
	const char *const doc[] = { "catdoc", "-d", "utf-8", CONTENT, NULL };
	const char *const xls[] = { "xls2csv", "-d", "utf-8", CONTENT, NULL };
	size_t start = out->len;
	int rc;

	snprintf(info->method, sizeof(info->method), "catdoc");
	rc = run(doc, NULL, content, flags, job, out, &info->truncated);
	if (rc == DOSSIER_ERROR) {
		dossier_error_clear();
		cut(out, start);
		snprintf(info->method, sizeof(info->method), "xls2csv");
		rc = run(xls, NULL, content, flags, job, out,
			 &info->truncated);
	}
	return rc;
}

int dossier_extract_text(struct dossier_buf *out,
			 struct dossier_extract_info *info, int fd,
			 unsigned flags, struct dossier_extract_job *job)
{
	unsigned char head[8192];
	ssize_t n = pread(fd, head, sizeof(head), 0);
	size_t start = out->len;
	int rc = 0;

	memset(info, 0, sizeof(*info));
	snprintf(info->method, sizeof(info->method), "none");
	if (n < 0) {
		dossier_error_set("cannot read the content: %s",
				  strerror(errno));
		return DOSSIER_EIO;
	}
	if (is_pdf(head, (size_t)n))
		rc = pdf(out, info, fd, flags, job);
	else if (is_image(head, (size_t)n))
		rc = image(out, info, fd, flags, job);
	else if (is_zip(head, (size_t)n))
		rc = office_zip(out, info, fd, flags, job);
	else if (is_ole(head, (size_t)n))
		rc = ole(out, info, fd, flags, job);
	else if (looks_text(head, (size_t)n))
		rc = plain(out, info, fd);
	if (rc < 0)
		cut(out, start);
	return rc;
}

static int is_cjk(uint32_t c)
{
	return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
	       (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xffef) ||
	       (c >= 0x20000 && c <= 0x3ffff);
}

/* The tidied text being built (dossier_extract_tidy). */
struct tidy {
	struct dossier_buf o;
	uint32_t last;		/* the last character kept; '\n' at first */
	size_t nl;		/* newlines added since it */
};

/*
 * The blanks from p[i] on become one space, or none; returns where they
 * end.
 */
static size_t tidy_blanks(struct tidy *t, const unsigned char *p, size_t n,
			  size_t i)
{
	size_t j = i, l2 = 0;
	uint32_t next = 0;

	while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r'))
		j++;
	if (j < n)
		l2 = utf8_len(p + j, n - j, &next);
	/*
	 * Blanks at either end of a line, or between two Chinese
	 * characters, go.
	 */
	if (!(j == n || next == '\n' || next == '\f' || t->last == '\n' ||
	      (l2 && is_cjk(t->last) && is_cjk(next)))) {
		dossier_buf_add(&t->o, " ", 1);
		t->last = ' ';
	}
	return j;
}

/* A line break, or a page break (cp '\f'). */
static void tidy_break(struct tidy *t, uint32_t cp)
{
	/* a page break is an empty line; never two in a row */
	size_t want = cp == '\f' ? 2 : 1;

	while (t->o.len && want-- && t->nl < 2) {
		dossier_buf_add(&t->o, "\n", 1);
		t->nl++;
	}
	t->last = '\n';
}

void dossier_extract_tidy(struct dossier_buf *text)
{
	struct tidy t = { DOSSIER_BUF_INIT, '\n', 0 };
	const unsigned char *p = (const unsigned char *)text->buf;
	size_t n = text->len, i = 0, len;
	uint32_t cp;

	while (i < n) {
		if (!(len = utf8_len(p + i, n - i, &cp))) {
			cp = '?';
			len = 1;
		}
		if (cp == ' ' || cp == '\t' || cp == '\r') {
			i = tidy_blanks(&t, p, n, i);
			continue;
		}
		if (cp == '\n' || cp == '\f') {
			tidy_break(&t, cp);
			i++;
			continue;
		}
		if (cp == '?' && len == 1 && p[i] != '?')
			dossier_buf_add(&t.o, "?", 1);
		else
			dossier_buf_add(&t.o, p + i, len);
		t.last = cp;
		t.nl = 0;
		i += len;
	}
	while (t.o.len && t.o.buf[t.o.len - 1] == '\n')
		t.o.buf[--t.o.len] = '\0';
	if (t.o.len)
		dossier_buf_add(&t.o, "\n", 1);
	dossier_buf_release(text);
	*text = t.o;
}
