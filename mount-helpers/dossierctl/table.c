/*
 * Listings of dossierctl: util-linux's libsmartcols, as findmnt and lsblk
 * use it, so columns line up by display width (a Chinese character takes
 * two cells) and --json gives the same rows as JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libsmartcols.h>

#include "ctl.h"

struct ctl_table {
	struct libscols_table *tb;
	size_t ncols;
};

struct ctl_table *ctl_table_new(const char *name, int json,
				const char *const *cols, size_t n)
{
	struct ctl_table *t = calloc(1, sizeof(*t));
	size_t i;

	if (!t || !(t->tb = scols_new_table())) {
		free(t);
		return NULL;
	}
	t->ncols = n;
	scols_table_enable_json(t->tb, json);
	scols_table_set_name(t->tb, name);
	for (i = 0; i < n; i++) {
		/* "NAME:n": a number (right-aligned, a JSON number) */
		const char *colon = strchr(cols[i], ':');
		char head[64];
		struct libscols_column *c;

		snprintf(head, sizeof(head), "%.*s", colon ?
			 (int)(colon - cols[i]) : (int)strlen(cols[i]), cols[i]);
		c = scols_table_new_column(t->tb, head, 0, colon ?
					   SCOLS_FL_RIGHT : 0);
		if (c && colon)
			scols_column_set_json_type(c, SCOLS_JSON_NUMBER);
		/* the last column takes what is left, not truncated */
		if (c && i + 1 == n)
			scols_column_set_flags(c, scols_column_get_flags(c) |
					       SCOLS_FL_NOEXTREMES);
	}
	return t;
}

int ctl_table_add(struct ctl_table *t, const char *const *vals)
{
	struct libscols_line *ln = t ? scols_table_new_line(t->tb, NULL) : NULL;
	size_t i;

	if (!ln)
		return -1;
	for (i = 0; i < t->ncols; i++)
		if (scols_line_set_data(ln, i, vals[i] ? vals[i] : "") < 0)
			return -1;
	return 0;
}

int ctl_table_print(struct ctl_table *t)
{
	int rc = 0;

	if (!t)
		return -1;
	if (!scols_table_is_empty(t->tb) || scols_table_is_json(t->tb))
		rc = scols_print_table(t->tb);
	scols_unref_table(t->tb);
	free(t);
	return rc;
}

int ctl_print_rows(const char *name, int json, const char *const *cols,
		   size_t n, const char *body)
{
	struct ctl_table *t = ctl_table_new(name, json, cols, n);
	char *copy = strdup(body), *line, *save = NULL;
	char *v[32];

	if (!t || !copy || n > 32) {
		free(copy);
		ctl_table_print(t);
		fprintf(stderr, "dossierctl: out of memory\n");
		return CTL_REFUSED;
	}
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t i;

		for (i = (size_t)ctl_fields(line, v, (int)n); i < n; i++)
			v[i] = (char *)"";
		ctl_table_add(t, (const char *const *)v);
	}
	free(copy);
	return ctl_table_print(t) < 0 ? CTL_REFUSED : CTL_OK;
}
