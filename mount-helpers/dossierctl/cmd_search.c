/*
 * dossierctl search QUERY [--path P] [--limit N] [--json]: records whose
 * current version's text (recognised for scans) holds every word of
 * QUERY, among those the caller may read now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static const char usage_text[] =
	"usage: dossierctl search QUERY [--path P] [--limit N] [--json]\n\n"
	"Find records whose current version holds every word of QUERY (words\n"
	"are separated by spaces; any part of a word or of a Chinese phrase\n"
	"matches; case is ignored for Latin letters). Scans and images are\n"
	"searched by their recognised text once it is ready ('dossierctl ocr\n"
	"status'). Only records you may read now are answered, best first,\n"
	"with the version the text is of and the words around the match.\n"
	"--path limits the search to a folder; --limit to N results (1-200,\n"
	"20 by default); --json prints a JSON array. Each search is audited.\n";

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void iso(char *out, size_t outsz, long long ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Print the reply's lines: PATH, commit, time (ns), snippet. */
static void print(const char *mnt, char *body, int json)
{
	char *line, *save = NULL;
	int first = 1;

	if (json)
		printf("[");
	for (line = strtok_r(body, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = { line, NULL, NULL, NULL }, when[32], path[8400];
		int i;

		for (i = 1; i < 4 && f[i - 1]; i++) {
			f[i] = strchr(f[i - 1], '\t');
			if (f[i])
				*f[i]++ = '\0';
		}
		if (!f[3])
			continue;
		iso(when, sizeof(when), atoll(f[2]));
		snprintf(path, sizeof(path), "%s%s%s", mnt, mnt[0] ? "/" : "",
			 f[0]);
		if (json) {
			printf("%s\n {\"path\": ", first ? "" : ",");
			json_str(path);
			printf(", \"version\": ");
			json_str(f[1]);
			printf(", \"time\": ");
			json_str(when);
			printf(", \"snippet\": ");
			json_str(f[3]);
			printf("}");
		} else {
			printf("%s\n  version %.7s of %s\n  %s\n", path, f[1],
			       when, f[3]);
		}
		first = 0;
	}
	if (json)
		printf("%s]\n", first ? "" : "\n");
	else if (first)
		printf("no record found\n");
}

int cmd_search(struct ctl *ctl, int argc, char **argv)
{
	const char *query = NULL, *where = NULL;
	char mnt[4096] = "", rel[4096] = "", req[9000];
	struct ctl_reply r;
	long limit = 20;
	int i, json = 0, ret, rc;

	if (ctl_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return CTL_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--path") && i + 1 < argc) {
			where = argv[++i];
		} else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
			char *end;

			limit = strtol(argv[++i], &end, 10);
			if (*end || limit < 1 || limit > 200)
				query = NULL, i = argc + 1;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!query && argv[i][0] != '-') {
			query = argv[i];
		} else {
			query = NULL;
			i = argc + 1;
		}
	}
	if (i > argc || !query || !query[0] || strpbrk(query, "\t\n") ||
	    (where && strpbrk(where, "\t\n"))) {
		fputs(usage_text, stderr);
		return CTL_USAGE;
	}
	if (where && ctl_locate(where, mnt, sizeof(mnt), rel,
				sizeof(rel)) == 0) {
		snprintf(req, sizeof(req), "search\t%s\t%ld\t%s\n", query,
			 limit, rel);
		rc = ctl_request(mnt, req, &r);
	} else if (where && !ctl->archive) {
		return CTL_REFUSED;	/* ctl_locate said why */
	} else {
		while (where && *where == '/')
			where++;
		snprintf(req, sizeof(req), "search\t%s\t%ld%s%s\n", query,
			 limit, where ? "\t" : "", where ? where : "");
		if (ctl_mount_of_archive(ctl, mnt, sizeof(mnt)) != 0)
			mnt[0] = '\0';
		rc = ctl_call(ctl, req, &r);
	}
	if (rc < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "search")) == CTL_OK)
		print(mnt, (char *)r.body, json);
	ctl_reply_release(&r);
	return ret;
}
