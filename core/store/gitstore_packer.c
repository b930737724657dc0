#include "gitstore_i.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2/sys/refdb_backend.h>
#include <git2/sys/repository.h>

#include "log.h"

/*
 * git_packbuilder_write() as we need it (the pack's name, 40 hex, into
 * name if not NULL), without its cost:
 * libgit2 1.5 hands every piece of the pack stream (each object's
 * header and data) to its indexer, which writes each by mmap, memcpy
 * and munmap, and every munmap flushes the TLB of each CPU the daemon's
 * threads ran on. Measured 2026-12 on the 2-CPU VM: 27 % of the
 * daemon's time while the committer worked through a backlog of new
 * records. The pieces are gathered here and given to the indexer by
 * 4 MiB. The pack is not thin, so the indexer needs no object database.
 */
#define PACK_SINK_CHUNK (4 << 20)

struct pack_sink {
	git_indexer *idx;
	git_indexer_progress stats;
	unsigned char *buf;
	size_t len;
};

static int sink_flush(struct pack_sink *s)
{
	int gerr = 0;

	if (s->len)
		gerr = git_indexer_append(s->idx, s->buf, s->len, &s->stats);
	s->len = 0;
	return gerr;
}

static int sink_cb(void *data, size_t size, void *payload)
{
	struct pack_sink *s = payload;
	int gerr;

	if (s->len + size > PACK_SINK_CHUNK && (gerr = sink_flush(s)) < 0)
		return gerr;
	if (size >= PACK_SINK_CHUNK)
		return git_indexer_append(s->idx, data, size, &s->stats);
	memcpy(s->buf + s->len, data, size);
	s->len += size;
	return 0;
}

int packer_write(git_packbuilder *pb, const char *packdir, char *name,
		 size_t namesz)
{
	git_indexer_options opts;
	struct pack_sink s;
	int gerr;

	memset(&s, 0, sizeof(s));
	if ((gerr = git_indexer_options_init(&opts,
					     GIT_INDEXER_OPTIONS_VERSION)) < 0)
		return gerr;
	if (!(s.buf = malloc(PACK_SINK_CHUNK))) {
		git_error_set_oom();
		return -1;
	}
	if ((gerr = git_indexer_new(&s.idx, packdir, 0, NULL, &opts)) == 0 &&
	    (gerr = git_packbuilder_foreach(pb, sink_cb, &s)) == 0 &&
	    (gerr = sink_flush(&s)) == 0 &&
	    (gerr = git_indexer_commit(s.idx, &s.stats)) == 0 && name)
		snprintf(name, namesz, "%s", git_indexer_name(s.idx));
	git_indexer_free(s.idx);
	free(s.buf);
	return gerr;
}

int packer_new(git_packbuilder **pb, git_repository **repo, git_odb *odb)
{
	git_refdb_backend *b = NULL;
	git_refdb *db = NULL;
	int gerr;

	*pb = NULL;
	*repo = NULL;
	if ((gerr = git_repository_wrap_odb(repo, odb)) < 0 ||
	    (gerr = git_refdb_new(&db, *repo)) < 0 ||
	    (gerr = noref_backend_new(&b)) < 0 ||
	    (gerr = git_refdb_set_backend(db, b)) < 0)
		goto out;
	b = NULL;	/* db owns it */
	git_repository_set_refdb(*repo, db);
	gerr = git_packbuilder_new(pb, *repo);
out:
	free(b);
	git_refdb_free(db);
	if (gerr < 0) {
		git_repository_free(*repo);
		*repo = NULL;
	}
	return gerr;
}

void packer_free(git_packbuilder *pb, git_repository *repo)
{
	git_packbuilder_free(pb);
	git_repository_free(repo);
}

static int fsync_path(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gitstore_sys_fail(errno, "cannot open '%s'", path);
	if (fsync(fd) < 0)
		rc = gitstore_sys_fail(errno, "cannot fsync '%s'", path);
	close(fd);
	return rc;
}

int packer_sync(const char *packdir, const char *name)
{
	char *path = NULL;
	int rc;

	if (asprintf(&path, "%s/pack-%s.pack", packdir, name) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot pack");
	if ((rc = fsync_path(path)) == 0) {
		memcpy(path + strlen(path) - 5, ".idx", 5);
		if ((rc = fsync_path(path)) == 0)
			rc = fsync_path(packdir);
	}
	free(path);
	return rc;
}

int packer_unlink(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT) {
		int saverr = errno;

		dossier_log(LOG_WARNING, "cannot remove '%s': %s", path,
			    strerror(saverr));
		return gitstore_sys_fail(saverr, "cannot remove '%s'", path);
	}
	return 0;
}

