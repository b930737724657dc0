/*
 * The batch's packs: libgit2's pack backend behind one without a
 * refresh. When an object libgit2 is asked to write is found nowhere (a
 * new tree, a new commit: every one), it refreshes every backend and
 * asks again; for packs that is a listing of the pack folder, an eighth
 * of the committer's time. Packs appear only when we write them: a batch
 * flushed as a pack refreshes this backend itself (packread_refresh);
 * upkeep and purge reopen the object databases.
 */
#include "gitstore_i.h"

#include <errno.h>
#include <stdlib.h>

struct packread {
	git_odb_backend parent;
	git_odb_backend *inner;	/* libgit2's pack backend (ours to free) */
};

static git_odb_backend *inner(git_odb_backend *b)
{
	return ((struct packread *)b)->inner;
}

static int pr_read(void **data, size_t *len, git_object_t *type,
		   git_odb_backend *b, const git_oid *id)
{
	return inner(b)->read(data, len, type, inner(b), id);
}

static int pr_read_prefix(git_oid *out, void **data, size_t *len,
			  git_object_t *type, git_odb_backend *b,
			  const git_oid *id, size_t n)
{
	return inner(b)->read_prefix(out, data, len, type, inner(b), id, n);
}

static int pr_read_header(size_t *len, git_object_t *type, git_odb_backend *b,
			  const git_oid *id)
{
	return inner(b)->read_header(len, type, inner(b), id);
}

static int pr_exists(git_odb_backend *b, const git_oid *id)
{
	return inner(b)->exists(inner(b), id);
}

static int pr_exists_prefix(git_oid *out, git_odb_backend *b,
			    const git_oid *id, size_t n)
{
	return inner(b)->exists_prefix(out, inner(b), id, n);
}

static int pr_freshen(git_odb_backend *b, const git_oid *id)
{
	return inner(b)->freshen(inner(b), id);
}

static int pr_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *arg)
{
	return inner(b)->foreach(inner(b), cb, arg);
}

static void pr_free(git_odb_backend *b)
{
	inner(b)->free(inner(b));
	free(b);
}

int packread_add(git_odb *odb, const char *objdir, git_odb_backend **out)
{
	struct packread *p = calloc(1, sizeof(*p));
	int gerr, rc;

	if (!p)
		return gitstore_sys_fail(ENOMEM, "cannot open object database");
	if ((rc = gitstore_backend_init(&p->parent)) < 0)
		goto fail;
	if ((gerr = git_odb_backend_pack(&p->inner, objdir)) < 0) {
		rc = gitstore_fail(gerr, "cannot open object database");
		goto fail;
	}
	p->parent.read = pr_read;
	p->parent.read_prefix = pr_read_prefix;
	p->parent.read_header = pr_read_header;
	p->parent.exists = pr_exists;
	p->parent.exists_prefix = pr_exists_prefix;
	p->parent.freshen = inner(&p->parent)->freshen ? pr_freshen : NULL;
	p->parent.foreach = pr_foreach;
	p->parent.free = pr_free;
	if ((gerr = git_odb_add_backend(odb, &p->parent,
					PACKREAD_PRIORITY)) < 0) {
		rc = gitstore_fail(gerr, "cannot open object database");
		pr_free(&p->parent);
		return rc;
	}
	/* the pack backend reads through its odb (commit graphs, bases) */
	p->inner->odb = odb;
	*out = &p->parent;
	return 0;
fail:
	if (p->inner)
		p->inner->free(p->inner);
	free(p);
	return rc;
}

int packread_refresh(git_odb_backend *b)
{
	int gerr = inner(b)->refresh ? inner(b)->refresh(inner(b)) : 0;

	return gerr < 0 ? gitstore_fail(gerr, "cannot list the packs") : 0;
}
