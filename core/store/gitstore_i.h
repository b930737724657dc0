#ifndef DOSSIER_STORE_GITSTORE_I_H
#define DOSSIER_STORE_GITSTORE_I_H

/*
 * The inside of the git object store (gitstore.h), core/store/ only.
 * One file per concern; calls go down this list, never up:
 *
 *   gitstore_check.c    dossierctl verify: objects, commit info, refs
 *   gitstore_rollup.c   merging small packs (geometric)
 *   gitstore_purge.c    destroying a record's objects
 *   gitstore_pack.c     repacking: one new pack, then old copies dropped
 *   gitstore_loose.c    the loose object folders: listing, counting
 *   gitstore_commit.c   per-record versions and main-history commits
 *   gitstore_changes.c  checking a main-history commit's change set
 *   gitstore_batch.c    batches: tips in memory, flush, moving refs
 *   gitstore_blob.c     blobs in and out
 *   gitstore.c          open, close, reopen; object headers
 *   gitstore_packer.c   a packbuilder without refs; writing a pack
 *   gitstore_noref.c    the empty ref store the packbuilder sees
 *   gitstore_mem.c      the batch's objects in memory (odb backend)
 *   gitstore_packread.c the batch's packs, never rescanned unasked
 *   gitstore_writer.c   the loose blob writer (odb backend)
 *   gitstore_zlib.c     a loose object's zlib stream, by hand
 *   gitstore_oid.c      object ids: text form, sorted sets, hashing
 *   gitstore_err.c      libgit2 and system failures to dossier codes;
 *                       a custom backend readied (gitstore_backend_init)
 *
 * Every function here returns 0 or a negative enum dossier_err with a
 * message set, unless it says it returns a libgit2 code (the odb and
 * refdb backends, and helpers whose callers add the message).
 */

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>

#include "gitstore.h"

#define MAIN_REF "refs/heads/main"
#define RECORD_REF_FMT "refs/records/%" PRIu64
#define IO_CHUNK (256 * 1024)

/*
 * Unreachable loose objects younger than this survive a pack: a blob from
 * dossier_git_blob_from_fd() is unreachable until the next
 * dossier_git_record_version() call names it (git gc has the same race
 * and a two-week grace; we have no other writers, an hour is plenty).
 */
#define PRUNE_GRACE_SECONDS 3600

/* Backend priorities in an object database: the highest is asked first. */
#define WRITER_PRIORITY 10	/* above libgit2's loose (1) and pack (2) */
#define MEM_PRIORITY 5		/* between: takes writes, the writer streams */
#define PACKREAD_PRIORITY 2	/* a batch's packs: where libgit2 has them */
#define LOOSE_PRIORITY 1	/* libgit2's own for loose objects */

/* A ref moved by a batch, not written yet (record 0: main). */
struct pending_ref {
	uint64_t record;
	git_oid id;
};

/*
 * Used by one thread at a time, as gitstore.h says: no lock of its own.
 */
struct dossier_git {
	git_repository *repo;
	char *gitdir;		/* ends in '/' */
	char *objdir;		/* gitdir + "objects" */
	int batch;		/* commits leave refs alone */
	git_odb *odb;		/* the repository's own object database */
	git_odb *bodb;		/* the same plus mem: in use during a batch */
	struct memstore *mem;	/* the batch's small objects (bodb owns) */
	git_odb_backend *packs;	/* the batch's pack reader (bodb owns) */
	git_odb_backend *loose;	/* writes a flushed small batch (ours) */
	size_t loose_est;	/* loose objects, counted once, then tallied */
	int loose_known;
	struct pending_ref *pending;	/* the batch's tips, as parents */
	size_t npending, cpending;
};

static inline void to_git(git_oid *out, const struct dossier_oid *oid)
{
	memcpy(out->id, oid->id, sizeof(oid->id));
}

static inline void from_git(struct dossier_oid *out, const git_oid *oid)
{
	memcpy(out->id, oid->id, sizeof(out->id));
}

/* --- gitstore_err.c ------------------------------------------------ */

/*
 * Translate a libgit2 failure: copy its message at once (the next libgit2
 * call overwrites it) behind a printf-style prefix, and map the code
 * (ENOSPC and EDQUOT in an OS error give DOSSIER_ENOSPC).
 */
int gitstore_fail(int gerr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same for a system call's errno saverr. */
int gitstore_sys_fail(int saverr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Ready a custom object backend b (the caller fills its functions);
 * a failure is said as one to open the object database. */
int gitstore_backend_init(git_odb_backend *b);

/* --- gitstore_oid.c ------------------------------------------------ */

/* A sorted set of object ids, for purge's objects to drop. */
struct oidset {
	git_oid *v;
	size_t n, alloc;
};

/* Add id (unsorted until oidset_sort). */
int oidset_add(struct oidset *s, const git_oid *id);
void oidset_sort(struct oidset *s);
/* Nonzero when the sorted set s (may be NULL) holds id. */
int oidset_has(const struct oidset *s, const git_oid *id);
/* Free the ids; s is empty and reusable afterwards. */
void oidset_release(struct oidset *s);

/* --- gitstore_zlib.c ----------------------------------------------- */

/*
 * A loose object written by hand into fd: a zlib stream of stored
 * (uncompressed) deflate blocks, and of fixed-code blocks for long runs
 * of one byte. The caller owns fd and the struct (large: allocate it).
 * Failures return -1 with a libgit2 error set (the writer is an odb
 * backend).
 */
struct zstream {
	int fd;
	const char *path;	/* fd's name, for messages (borrowed) */
	uint32_t adler_a, adler_b;
	uint64_t run_len;	/* bytes of run_byte not written yet */
	unsigned char run_byte;
	uint32_t bits;		/* bit writer of run blocks: pending bits */
	int nbits;
	size_t fill;
	unsigned char out[IO_CHUNK];
};

/* Start z on fd; the struct's other fields must be zero (calloc). */
void zstream_init(struct zstream *z, int fd, const char *path);
/* The zlib header and the object header "<type> <length>\0". */
int zstream_start(struct zstream *z, git_object_t type, uint64_t length);
/* The object's data, in pieces of any size. */
int zstream_write(struct zstream *z, const void *data, size_t len);
/* The last block and the Adler-32 trailer, flushed to fd. */
int zstream_finish(struct zstream *z);

/* --- gitstore_writer.c --------------------------------------------- */

/*
 * Add to odb, at WRITER_PRIORITY, the write-only backend that streams
 * blobs into loose objects of objdir through a zstream (odb owns it).
 * odb keeps libgit2's loose and pack backends, which do all reading and
 * small writes.
 */
int writer_add(git_odb *odb, const char *objdir);

/* --- gitstore_mem.c ------------------------------------------------ */

/* One object of a batch, in memory. */
struct memobj {
	struct memobj *next;	/* in its bucket */
	git_oid id;
	git_object_t type;
	size_t len;
	unsigned char data[];
};

#define MEM_BUCKETS 4096

/*
 * The batch's objects in memory, an odb backend: all[] in the order
 * written, bucket[] by id.
 */
struct memstore {
	git_odb_backend parent;
	struct memobj *bucket[MEM_BUCKETS];
	struct memobj **all;
	size_t n, cap;
};

/*
 * A new empty store; freed through its parent.free (the odb it is added
 * to does that).
 */
int memstore_new(struct memstore **out);
/* Forget every object. */
void memstore_reset(struct memstore *m);

/* --- gitstore_packread.c ------------------------------------------- */

/*
 * Add to odb a reader of objdir's packs that lists the pack folder only
 * when told to (packread_refresh), not each time an object is missing;
 * *out is it (odb owns it).
 */
int packread_add(git_odb *odb, const char *objdir, git_odb_backend **out);
/* List the pack folder again: a pack was written. */
int packread_refresh(git_odb_backend *b);

/* --- gitstore_noref.c ---------------------------------------------- */

/*
 * A ref store that holds no ref and refuses every change, for the
 * packbuilder's repository: free() it until it is set on a refdb, which
 * then owns it. Returns -1 (libgit2 style) when out of memory.
 */
int noref_backend_new(git_refdb_backend **out);

/* --- gitstore_packer.c --------------------------------------------- */

/*
 * A packbuilder on a repository wrapping odb with no refs (*repo, freed
 * with *pb by packer_free). Returns a libgit2 code.
 */
int packer_new(git_packbuilder **pb, git_repository **repo, git_odb *odb);
/* Accepts NULLs. */
void packer_free(git_packbuilder *pb, git_repository *repo);

/*
 * Write pb's objects as one pack into packdir; its name (40 hex) into
 * name when not NULL. Returns a libgit2 code.
 */
int packer_write(git_packbuilder *pb, const char *packdir, char *name,
		 size_t namesz);

/* fsync packdir's pack-<name>.pack, its .idx, then packdir itself. */
int packer_sync(const char *packdir, const char *name);

/* Remove path (gone already is fine); a failure is also logged. */
int packer_unlink(const char *path);

/* --- gitstore.c ---------------------------------------------------- */

/*
 * Drop every cache libgit2 keeps (object cache, list of open packs, their
 * mmaps) by opening the repository afresh: after a pack deleted files the
 * old handle can still find objects in unlinked, still-mapped packs.
 */
int gitstore_reopen(struct dossier_git *git);

/*
 * The repository's current object database; the caller frees it with
 * git_odb_free().
 */
int gitstore_odb(git_odb **out, struct dossier_git *git);

/*
 * The type and size (may be NULL) of an object: DOSSIER_ENOTFOUND if
 * absent.
 */
int gitstore_object_header(struct dossier_git *git, const git_oid *id,
			   git_object_t *type, size_t *size);

/* The same, DOSSIER_EINVAL unless the object is a want. */
int gitstore_expect_type(struct dossier_git *git, const git_oid *id,
			 git_object_t want, size_t *size);

/* --- gitstore_batch.c ---------------------------------------------- */

/*
 * The tip of record's ref refname (record 0: main), the batch's own
 * first. Returns a libgit2 code (GIT_ENOTFOUND: no tip yet), no message.
 */
int batch_tip(struct dossier_git *git, uint64_t record, const char *refname,
	      git_oid *out);

/* Remember id as record's tip in the batch. */
int batch_note_tip(struct dossier_git *git, uint64_t record,
		   const git_oid *id);

/* --- gitstore_changes.c -------------------------------------------- */

/*
 * A path names archive entries: non-empty components, none "." or "..",
 * and none ".git" in any case (git refuses those in trees anyway).
 * DOSSIER_EINVAL otherwise.
 */
int changes_check_path(const char *path);

/*
 * Check every path of changes and the set as a whole; *sorted_out gets
 * the changes sorted by path (caller frees; NULL when n is 0).
 */
int changes_check(const struct dossier_git_change *changes, size_t n,
		  const struct dossier_git_change ***sorted_out);

/* Check one change against the parent's tree base (NULL: none). */
int changes_check_one(struct dossier_git *git, git_tree *base,
		      const struct dossier_git_change *c);

/* --- gitstore_loose.c ---------------------------------------------- */

/*
 * Called for each loose object file objects/xx/<38 hex>; returns 1 to
 * have the file deleted, 0 to keep it, < 0 to stop.
 */
typedef int (*loose_fn)(const git_oid *id, int dirfd, const char *name,
			void *payload);

/* Call fn on each loose object; emptied fan-out folders are removed. */
int loose_each(struct dossier_git *git, loose_fn fn, void *payload);

/*
 * Remove our writer's temporary files a crash left in objects/ (older
 * than the grace, so none a writer still has open).
 */
void loose_drop_stale_tmp(struct dossier_git *git, time_t now);

/* --- gitstore_pack.c ----------------------------------------------- */

/*
 * Pack into one new pack every object reachable from a ref except
 * skip_ref (loose_only: every loose object alone, and no old pack is
 * dropped), fsync it, delete skip_ref, then delete what the new pack
 * holds, what drop names, and old unreachable loose objects.
 */
int pack_repack(struct dossier_git *git, const char *skip_ref,
		const struct oidset *drop, int loose_only);

#endif
