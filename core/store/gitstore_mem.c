#include "gitstore_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * The batch's objects in memory, in the order written. libgit2's mempack
 * would do, but it cannot list its objects (a small batch is flushed as
 * loose objects) and dumps through a packbuilder, which lists every ref
 * of the repository each time (one per record here).
 */

static struct memobj *mem_find(struct memstore *m, const git_oid *id)
{
	struct memobj *o = m->bucket[(id->id[0] << 8 | id->id[1]) %
				     MEM_BUCKETS];

	while (o && git_oid_cmp(&o->id, id))
		o = o->next;
	return o;
}

static int mem_read(void **buf, size_t *len, git_object_t *type,
		    git_odb_backend *b, const git_oid *id)
{
	struct memobj *o = mem_find((struct memstore *)b, id);

	if (!o)
		return GIT_ENOTFOUND;
	if (!(*buf = git_odb_backend_data_alloc(b, o->len ? o->len : 1)))
		return -1;
	memcpy(*buf, o->data, o->len);
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_read_header(size_t *len, git_object_t *type,
			   git_odb_backend *b, const git_oid *id)
{
	struct memobj *o = mem_find((struct memstore *)b, id);

	if (!o)
		return GIT_ENOTFOUND;
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_exists(git_odb_backend *b, const git_oid *id)
{
	return mem_find((struct memstore *)b, id) != NULL;
}

static int mem_write(git_odb_backend *b, const git_oid *id,
		     const void *data, size_t len, git_object_t type)
{
	struct memstore *m = (struct memstore *)b;
	struct memobj *o;
	size_t h = (id->id[0] << 8 | id->id[1]) % MEM_BUCKETS;

	if (mem_find(m, id))
		return 0;
	if (m->n == m->cap) {
		size_t c = m->cap ? m->cap * 2 : 1024;
		struct memobj **v = realloc(m->all, c * sizeof(*v));

		if (!v)
			return -1;
		m->all = v;
		m->cap = c;
	}
	if (!(o = malloc(sizeof(*o) + len)))
		return -1;
	git_oid_cpy(&o->id, id);
	o->type = type;
	o->len = len;
	memcpy(o->data, data, len);
	o->next = m->bucket[h];
	m->bucket[h] = o;
	m->all[m->n++] = o;
	return 0;
}

void memstore_reset(struct memstore *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->all[i]);
	m->n = 0;
	memset(m->bucket, 0, sizeof(m->bucket));
}

static void mem_free(git_odb_backend *b)
{
	struct memstore *m = (struct memstore *)b;

	memstore_reset(m);
	free(m->all);
	free(m);
}

int memstore_new(struct memstore **out)
{
	struct memstore *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return gitstore_sys_fail(ENOMEM, "cannot open object database");
	if ((rc = gitstore_backend_init(&m->parent)) < 0)
		goto out;
	m->parent.read = mem_read;
	m->parent.read_header = mem_read_header;
	m->parent.exists = mem_exists;
	m->parent.write = mem_write;
	m->parent.free = mem_free;
	*out = m;
	m = NULL;
out:
	free(m);
	return rc;
}
