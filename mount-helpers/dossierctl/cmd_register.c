#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define NCOLS 13

static const char *const heads[NCOLS] = {
	"entry", "destroyed", "record", "name", "path", "level", "category",
	"versions", "deleted", "deleted_by", "destroyed_by", "approved_by",
	"reason",
};

/* RFC 4180: quote fields with a comma, quote or line break. */
static void csv_field(const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static void when(char *out, size_t outsz, const char *secs, int iso)
{
	time_t t = (time_t)atoll(secs);
	struct tm tm;

	if (t == 0) {
		snprintf(out, outsz, "-");
		return;
	}
	if (iso) {
		gmtime_r(&t, &tm);
		strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
	} else {
		localtime_r(&t, &tm);
		strftime(out, outsz, "%Y-%m-%d %H:%M", &tm);
	}
}

int cmd_register(struct ctl *ctl, int argc, char **argv)
{
	static const char *const json_cols[] = {
		"ENTRY:n", "DESTROYED:n", "RECORD:n", "NAME", "PATH", "LEVEL",
		"CATEGORY", "VERSIONS:n", "DELETED:n", "DELETED_BY",
		"DESTROYED_BY", "APPROVED_BY", "REASON",
	};
	char *body, *line, *save = NULL;
	struct ctl_reply r;
	int csv = 0, ret, rows = 0, i;
	int json = ctl_take_json(&argc, argv);

	if (ctl_wants_help(argc, argv) || argc > 2 ||
	    (argc == 2 && strcmp(argv[1], "--csv"))) {
		fprintf(ctl_wants_help(argc, argv) ? stdout : stderr,
			"usage: dossierctl register [--csv | --json]\n\n"
			"The destruction register: one row per record "
			"destroyed by a purge, kept\nforever: what (record id, "
			"name, path, level, category, versions destroyed),\n"
			"when it was deleted and by whom, when it was "
			"destroyed, approved by whom\nand why. --csv prints "
			"every column as RFC 4180 CSV with UTC times.\nFor gm, "
			"deputy_gm, archivists and auditors (setting "
			"register-roles).\n");
		return ctl_wants_help(argc, argv) ? CTL_OK : CTL_USAGE;
	}
	csv = argc == 2;
	if (ctl_call(ctl, "register\n", &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "register")) != CTL_OK) {
		ctl_reply_release(&r);
		return ret;
	}
	if (json) {
		ret = ctl_print_rows("register", 1, json_cols, 13, r.body);
		ctl_reply_release(&r);
		return ret;
	}
	if (csv)
		for (i = 0; i < NCOLS; i++)
			csv_field(heads[i], i == NCOLS - 1);
	body = strdup(r.body);
	for (line = body ? strtok_r(body, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[NCOLS], t1[32], t2[32];

		for (i = ctl_fields(line, f, NCOLS); i < NCOLS; i++)
			f[i] = (char *)"";
		when(t1, sizeof(t1), f[1], csv);
		when(t2, sizeof(t2), f[8], csv);
		if (csv) {
			f[1] = t1;
			f[8] = t2;
			for (i = 0; i < NCOLS; i++)
				csv_field(f[i], i == NCOLS - 1);
			continue;
		}
		if (rows++ == 0)
			printf("%-5s %-16s %-7s %-12s %-8s %-14s %s\n", "ENTRY",
			       "DESTROYED", "RECORD", "LEVEL", "VERSIONS",
			       "APPROVED BY", "PATH / REASON");
		printf("%-5s %-16s %-7s %-12s %-8s %-14s %s\n%52s%s\n", f[0],
		       t1, f[2], f[5], f[7], f[11][0] ? f[11] : "-", f[4], "",
		       f[12]);
	}
	free(body);
	if (!csv && rows == 0)
		printf("the destruction register is empty\n");
	ctl_reply_release(&r);
	return CTL_OK;
}
