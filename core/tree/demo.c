#include "archive.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/*
 * The demo archive: a few years, every category, clients with Chinese and
 * English names, a few hundred small records. Built through the same
 * operations a user's tools use, as root.
 */

static const char *const clients[] = {
	"北京某某科技有限公司", "上海华信贸易有限公司", "ACME Ltd",
	"Globex Corporation", "深圳前海物流有限公司", "Initech GmbH",
};

static const char *const years[] = { "2022", "2023", "2024", "2025" };

static const char *const docs[][2] = {
	{ "合同.pdf", "%PDF-1.4\n% demo contract" },
	{ "notes.txt", "Meeting notes; next call in two weeks." },
	{ "报价单.txt", "报价单 金额: 120000 元" },
};

static int put_file(struct dossier_archive *a, const struct dossier_caller *w,
		    uint64_t parent, const char *name, const char *text)
{
	struct dossier_file *f = NULL;
	struct dossier_attr at;
	int rc;
	size_t len = strlen(text);

	rc = dossier_archive_create_file(a, w, parent, name, 0644,
					 O_WRONLY, &at, &f);
	if (rc < 0)
		return rc;
	if (write(dossier_file_fd(f), text, len) != (ssize_t)len) {
		dossier_file_release(a, f);
		dossier_error_set("demo: short write");
		return DOSSIER_EIO;
	}
	dossier_file_mark_written(f);
	return dossier_file_release(a, f);
}

struct cat_ctx {
	char names[32][256];
	int n;
};

static int collect(void *ctx, const char *name, int retention)
{
	struct cat_ctx *c = ctx;

	(void)retention;
	if (c->n < 32)
		snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", name);
	return 0;
}

int dossier_archive_fill_demo(struct dossier_archive *a)
{
	const struct dossier_caller root = { 0, 0, 0 };
	struct dossier_attr y, c, cl;
	struct cat_ctx cats = { .n = 0 };
	char text[512];
	size_t yi, ci, di;
	int k, rc;

	if ((rc = dossier_category_list(a, collect, &cats)) < 0)
		return rc;
	for (yi = 0; yi < sizeof(years) / sizeof(years[0]); yi++) {
		if ((rc = dossier_archive_mkdir(a, &root, DOSSIER_ROOT_ID,
						years[yi], 0755, &y)) < 0)
			return rc;
		for (k = 0; k < cats.n; k++) {
			if ((rc = dossier_archive_lookup(a, &root, y.id,
							 cats.names[k], &c)) < 0)
				return rc;
			for (ci = 0; ci < sizeof(clients) / sizeof(clients[0]);
			     ci++) {
				/* not every client in every category */
				if ((ci + yi + (size_t)k) % 3 == 2)
					continue;
				if ((rc = dossier_archive_mkdir(
					     a, &root, c.id, clients[ci], 0755,
					     &cl)) < 0)
					return rc;
				for (di = 0; di < sizeof(docs) / sizeof(docs[0]);
				     di++) {
					snprintf(text, sizeof(text),
						 "%s\n%s, %s\n", docs[di][1],
						 clients[ci], years[yi]);
					if ((rc = put_file(a, &root, cl.id,
							   docs[di][0],
							   text)) < 0)
						return rc;
				}
			}
		}
	}
	return 0;
}
