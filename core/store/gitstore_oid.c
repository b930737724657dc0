#include "gitstore_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void dossier_oid_fmt(char out[41], const struct dossier_oid *oid)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < sizeof(oid->id); i++) {
		out[2 * i] = hex[oid->id[i] >> 4];
		out[2 * i + 1] = hex[oid->id[i] & 0xf];
	}
	out[40] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dossier_oid_parse(struct dossier_oid *out, const char *hex)
{
	struct dossier_oid oid;
	size_t i;

	for (i = 0; i < 40; i++) {
		if (hexval(hex[i]) < 0) {
			dossier_error_set("invalid object id '%.40s'", hex);
			return DOSSIER_EINVAL;
		}
	}
	if (hex[40] != '\0') {
		dossier_error_set("object id '%.48s' is too long", hex);
		return DOSSIER_EINVAL;
	}
	for (i = 0; i < 20; i++)
		oid.id[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
					    hexval(hex[2 * i + 1]));
	*out = oid;
	return 0;
}

int dossier_oid_equal(const struct dossier_oid *a, const struct dossier_oid *b)
{
	return memcmp(a->id, b->id, sizeof(a->id)) == 0;
}

int dossier_git_hash_file(const char *path, struct dossier_oid *out)
{
	git_oid id;
	int gerr;

	if (git_libgit2_init() < 0)
		return gitstore_fail(-1, "cannot initialise libgit2");
	gerr = git_odb_hashfile(&id, path, GIT_OBJECT_BLOB);
	git_libgit2_shutdown();
	if (gerr < 0)
		return gitstore_fail(gerr, "cannot read '%s'", path);
	from_git(out, &id);
	return 0;
}

/* --- sorted sets of ids ------------------------------------------- */

int oidset_add(struct oidset *s, const git_oid *id)
{
	if (s->n == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 64;
		git_oid *v = realloc(s->v, alloc * sizeof(*v));

		if (!v)
			return gitstore_sys_fail(ENOMEM, "cannot list objects");
		s->v = v;
		s->alloc = alloc;
	}
	git_oid_cpy(&s->v[s->n++], id);
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

void oidset_sort(struct oidset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_oid);
}

int oidset_has(const struct oidset *s, const git_oid *id)
{
	return s && s->n && bsearch(id, s->v, s->n, sizeof(*s->v), cmp_oid);
}

void oidset_release(struct oidset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}
