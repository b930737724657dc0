#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void field(char *out, size_t outsz, char **p)
{
	char *tab = strchr(*p, '\t');
	size_t len = tab ? (size_t)(tab - *p) : strlen(*p);

	snprintf(out, outsz, "%.*s", (int)len, *p);
	*p += len + (tab ? 1 : 0);
}

int ctl_versions(const char *path, char *mnt, size_t mntsz, char *rel,
		 size_t relsz, struct ctl_version **out, size_t *n)
{
	struct ctl_reply r;
	char req[4200], *line, *save = NULL, *body;
	size_t cap = 0;
	int ret;

	*out = NULL;
	*n = 0;
	if (ctl_locate(path, mnt, mntsz, rel, relsz) < 0)
		return CTL_REFUSED;
	snprintf(req, sizeof(req), "log\t%s\n", rel);
	if (ctl_request(mnt, req, &r) < 0)
		return CTL_REFUSED;
	if ((ret = ctl_reply_exit(&r, "log")) != CTL_OK) {
		ctl_reply_release(&r);
		return ret;
	}
	body = strdup(r.body);
	ctl_reply_release(&r);
	for (line = strtok_r(body, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct ctl_version *v;
		char *p = line;

		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(*out, cap * sizeof(**out));
			if (!v)
				break;
			*out = v;
		}
		v = &(*out)[(*n)++];
		field(v->when, sizeof(v->when), &p);
		field(v->author, sizeof(v->author), &p);
		field(v->op, sizeof(v->op), &p);
		field(v->reason, sizeof(v->reason), &p);
		field(v->commit, sizeof(v->commit), &p);
		field(v->program, sizeof(v->program), &p);
		field(v->path, sizeof(v->path), &p);
		field(v->file, sizeof(v->file), &p);
	}
	free(body);
	return CTL_OK;
}

const struct ctl_version *ctl_find_version(const struct ctl_version *v,
					   size_t n, const char *rev)
{
	const struct ctl_version *found = NULL;
	size_t i, len = strlen(rev);

	if (len < 4)
		return NULL;
	for (i = 0; i < n; i++)
		if (!strncmp(v[i].commit, rev, len) && strcmp(v[i].file, "-")) {
			if (found)
				return NULL;	/* ambiguous */
			found = &v[i];
		}
	return found;
}
