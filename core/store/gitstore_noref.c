#include "gitstore_i.h"

#include <stdlib.h>

#include <git2/sys/refdb_backend.h>

/*
 * A repository for libgit2's packbuilder: our object database and no
 * refs. The packbuilder orders a pack's objects around tags, and to find
 * them it lists every ref of its repository (git_tag_foreach filters
 * after listing): here one ref file per record, so every pack written
 * read 100,000 files at 100k records. Packs are written with no ref in
 * sight and their objects keep the order they were inserted in.
 */

static int noref_next(git_reference **ref, git_reference_iterator *it)
{
	(void)ref;
	(void)it;
	return GIT_ITEROVER;
}

static int noref_next_name(const char **name, git_reference_iterator *it)
{
	(void)name;
	(void)it;
	return GIT_ITEROVER;
}

static void noref_iter_free(git_reference_iterator *it)
{
	free(it);
}

static int noref_iterator(git_reference_iterator **out,
			  git_refdb_backend *backend, const char *glob)
{
	git_reference_iterator *it = calloc(1, sizeof(*it));

	(void)backend;
	(void)glob;
	if (!it)
		return -1;
	it->next = noref_next;
	it->next_name = noref_next_name;
	it->free = noref_iter_free;
	*out = it;
	return 0;
}

static int noref_exists(int *exists, git_refdb_backend *backend,
			const char *name)
{
	(void)backend;
	(void)name;
	*exists = 0;
	return 0;
}

static int noref_lookup(git_reference **out, git_refdb_backend *backend,
			const char *name)
{
	(void)out;
	(void)backend;
	(void)name;
	return GIT_ENOTFOUND;
}

static void noref_free(git_refdb_backend *backend)
{
	free(backend);
}

/* Nothing is ever written through it: every change is refused. */
static int noref_refuse(void)
{
	git_error_set_str(GIT_ERROR_REFERENCE, "the packing repository has "
			  "no refs");
	return -1;
}

static int noref_write(git_refdb_backend *backend, const git_reference *ref,
		       int force, const git_signature *who, const char *msg,
		       const git_oid *old, const char *old_target)
{
	(void)backend;
	(void)ref;
	(void)force;
	(void)who;
	(void)msg;
	(void)old;
	(void)old_target;
	return noref_refuse();
}

static int noref_rename(git_reference **out, git_refdb_backend *backend,
			const char *old_name, const char *new_name, int force,
			const git_signature *who, const char *msg)
{
	(void)out;
	(void)backend;
	(void)old_name;
	(void)new_name;
	(void)force;
	(void)who;
	(void)msg;
	return noref_refuse();
}

static int noref_del(git_refdb_backend *backend, const char *name,
		     const git_oid *old_id, const char *old_target)
{
	(void)backend;
	(void)name;
	(void)old_id;
	(void)old_target;
	return noref_refuse();
}

static int noref_has_log(git_refdb_backend *backend, const char *name)
{
	(void)backend;
	(void)name;
	return 0;
}

static int noref_ensure_log(git_refdb_backend *backend, const char *name)
{
	(void)backend;
	(void)name;
	return noref_refuse();
}

static int noref_reflog_read(git_reflog **out, git_refdb_backend *backend,
			     const char *name)
{
	(void)out;
	(void)backend;
	(void)name;
	return noref_refuse();
}

static int noref_reflog_write(git_refdb_backend *backend, git_reflog *log)
{
	(void)backend;
	(void)log;
	return noref_refuse();
}

static int noref_reflog_rename(git_refdb_backend *backend,
			       const char *old_name, const char *new_name)
{
	(void)backend;
	(void)old_name;
	(void)new_name;
	return noref_refuse();
}

static int noref_reflog_delete(git_refdb_backend *backend, const char *name)
{
	(void)backend;
	(void)name;
	return noref_refuse();
}

int noref_backend_new(git_refdb_backend **out)
{
	git_refdb_backend *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return -1;
	git_refdb_init_backend(b, GIT_REFDB_BACKEND_VERSION);
	b->exists = noref_exists;
	b->lookup = noref_lookup;
	b->iterator = noref_iterator;
	b->write = noref_write;
	b->rename = noref_rename;
	b->del = noref_del;
	b->has_log = noref_has_log;
	b->ensure_log = noref_ensure_log;
	b->reflog_read = noref_reflog_read;
	b->reflog_write = noref_reflog_write;
	b->reflog_rename = noref_reflog_rename;
	b->reflog_delete = noref_reflog_delete;
	b->free = noref_free;
	*out = b;
	return 0;
}
