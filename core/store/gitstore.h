#ifndef DOSSIER_CORE_GITSTORE_H
#define DOSSIER_CORE_GITSTORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The git object store under the history feature: a bare repository
 * (ARCHIVE/history.git) holding record contents and the archive's history.
 *
 * Layout:
 *  - each record (stable integer id) has a ref refs/records/<id> pointing
 *    at a chain of per-record commits; each one's tree holds exactly one
 *    entry, "content" (blob, 100644), the record's bytes at that version;
 *  - refs/heads/main (HEAD points at it) has a nested tree
 *    YEAR/CATEGORY/CLIENT/.../NAME mirroring the archive, in which each
 *    record is a gitlink (mode 160000) to its per-record commit.
 * Reachability does not follow gitlinks, so deleting refs/records/<id> and
 * repacking destroys a record's content while the main history stays
 * valid (git fsck --strict clean).
 *
 * Threading: a struct dossier_git and everything it returns is used by one
 * thread at a time; the caller holds its lock for each call. Calls that
 * write (blob, record version, commit, pack, purge) must not overlap with
 * another process writing the same repository.
 *
 * Durability: nothing is fsynced except a new pack before older copies of
 * its objects are deleted. Refs are only moved after the objects they
 * point at were written, so a crash leaves at worst unreferenced objects
 * and a ref one step behind, which the caller reconciles.
 *
 * All fallible functions return 0 or a negative enum dossier_err, with a
 * message set through dossier_error_set().
 */

struct dossier_git;

/* An object id (SHA-1); a plain struct, no libgit2 type. */
struct dossier_oid {
	unsigned char id[20];
};

/* Write oid as 40 lowercase hex digits and a NUL into out. */
void dossier_oid_fmt(char out[41], const struct dossier_oid *oid);

/*
 * Parse exactly 40 hex digits (either case) into out. DOSSIER_EINVAL for
 * anything else.
 */
int dossier_oid_parse(struct dossier_oid *out, const char *hex);

/* Nonzero when a and b are the same id. */
int dossier_oid_equal(const struct dossier_oid *a, const struct dossier_oid *b);

/*
 * Open the bare repository at path. With create != 0, create it first if
 * missing (bare, HEAD -> refs/heads/main, parent directories made).
 * *out belongs to the caller, who frees it with dossier_git_free().
 * DOSSIER_ENOTFOUND when there is no repository and create is 0.
 */
int dossier_git_open(struct dossier_git **out, const char *path, int create);

/* Close the repository. Accepts NULL. */
void dossier_git_free(struct dossier_git *git);

/*
 * Store fd's whole content, read from offset 0 in fixed-size chunks, as a
 * blob; *out gets its id and *size_out (may be NULL) its byte count. The
 * blob is written loose and uncompressed (dossier_git_pack() compresses).
 * fd's file offset is left alone for regular files; other fds (pipes) are
 * read to EOF from where they are. DOSSIER_EBUSY when a regular file
 * changed size while being read.
 *
 * A blob is unreferenced until dossier_git_record_version() names it;
 * dossier_git_pack() keeps unreferenced loose objects for an hour, so do
 * not leave one unreferenced longer than that.
 */
int dossier_git_blob_from_fd(struct dossier_git *git, int fd,
			     struct dossier_oid *out, uint64_t *size_out);

/* The same for len bytes in memory (small content). */
int dossier_git_blob_from_buffer(struct dossier_git *git, const void *data,
				 size_t len, struct dossier_oid *out);

/*
 * Write the blob's bytes to fd at its current offset. Loose blobs are
 * streamed; packed ones are inflated into memory once. DOSSIER_ENOTFOUND
 * when the blob is absent (purged), DOSSIER_EINVAL when the id names
 * another kind of object.
 */
int dossier_git_blob_to_fd(struct dossier_git *git,
			   const struct dossier_oid *blob, int fd);

/*
 * The first max bytes of the blob (all of it if shorter) to fd; a large
 * blob is streamed no further. Errors as dossier_git_blob_to_fd().
 */
int dossier_git_blob_head_to_fd(struct dossier_git *git,
				const struct dossier_oid *blob, int fd,
				size_t max);

/* The blob's byte count into *out. Errors as dossier_git_blob_to_fd(). */
int dossier_git_blob_size(struct dossier_git *git,
			  const struct dossier_oid *blob, uint64_t *out);

/* The committer of every commit, and the author of one of several users. */
#define DOSSIER_GIT_SERVICE_NAME "dossierfs"
#define DOSSIER_GIT_SERVICE_EMAIL "dossierfs@localhost"

/*
 * Who did something and when. email may be NULL (stored empty). '<', '>'
 * and control characters are dropped from both, as git(1) does; a name
 * left empty is DOSSIER_EINVAL.
 */
struct dossier_git_sig {
	const char *name;
	const char *email;
	int64_t when;	/* unix seconds, stored as UTC */
};

/*
 * Append a version to record record_id whose content is blob: write a
 * per-record commit (tree {content: blob}, parent = the current
 * refs/records/<id> if any, author = author, committer = the "dossierfs"
 * service at the same time), then move the ref. *rec_commit_out gets the
 * new commit's id.
 *
 * With blob NULL (the record was deleted) nothing is written and the ref
 * is left as it is: *rec_commit_out gets the record's current version, or
 * all zeros if it has none. (A deletion is recorded by
 * dossier_git_record_note.)
 *
 * The commit message is message (NULL: empty) with a trailer
 * "Dossier-Record: <id>" appended, so that no two records ever share a
 * commit. DOSSIER_ENOTFOUND when blob is not in the store, DOSSIER_EINVAL
 * for a non-blob id or a bad signature, DOSSIER_EBUSY when the ref moved
 * underneath (another writer).
 */
int dossier_git_record_version(struct dossier_git *git, uint64_t record_id,
			       const struct dossier_oid *blob,
			       const struct dossier_git_sig *author,
			       const char *message,
			       struct dossier_oid *rec_commit_out);

/*
 * A change of record_id that leaves its content as it is (a rename, a
 * delete, a reclassification): a per-record commit with its last
 * version's tree on top of it, author = author, message as
 * dossier_git_record_version's. Returns 1 and the commit in *out; 0
 * (*out all zeros) when the record has no version yet, so nothing to
 * build on.
 */
int dossier_git_record_note(struct dossier_git *git, uint64_t record_id,
			    const struct dossier_git_sig *author,
			    const char *message, struct dossier_oid *out);

/*
 * A batch of commits: between begin and end, dossier_git_record_version
 * and dossier_git_commit write their objects but move no ref; each
 * commit's parent is the batch's own last commit of that ref, if any
 * (dossier_git_head too). The caller moves the refs it wants with
 * dossier_git_set_ref once it has recorded what they point to: a ref
 * written per commit replaces a file per commit, and on ext4 without a
 * journal each freed inode slows file creation for minutes.
 */
void dossier_git_batch_begin(struct dossier_git *git);
/* Forget the batch's tips (refs not set stay where they were) and any
 * object not flushed. */
void dossier_git_batch_end(struct dossier_git *git);
/*
 * Write the objects the batch made so far to the disk, as one pack
 * (large blobs are already there, written loose as they streamed in).
 * Only then may anything outside the repository name them.
 */
int dossier_git_flush(struct dossier_git *git);
/* Point refs/records/<record> (record 0: refs/heads/main) at id. */
int dossier_git_set_ref(struct dossier_git *git, uint64_t record,
			const struct dossier_oid *id);
/*
 * In a batch: record's tip (0: main's) is id, though its ref may still
 * point to an older commit (the caller moves refs every few batches and
 * keeps the tips it has not moved yet; a batch's commits build on them).
 */
int dossier_git_batch_tip(struct dossier_git *git, uint64_t record,
			  const struct dossier_oid *id);

/*
 * One change of a main-history commit: set path to a gitlink to target
 * (a per-record commit), or remove path when target is NULL. Removing a
 * folder's path removes the whole subtree.
 */
struct dossier_git_change {
	const char *path;	/* '/'-separated, relative, UTF-8 */
	const struct dossier_oid *target;
};

/*
 * Write one commit on refs/heads/main applying the n changes to the
 * parent's tree (only the trees along changed paths are rewritten) and
 * move refs/heads/main to it. A rename is a remove and a set in the same
 * commit. Parent = the current head (none for the first commit); author =
 * author, committer = the "dossierfs" service with the same time. n may
 * be 0 (a commit with the parent's tree). *commit_out gets the new
 * commit's id.
 *
 * Errors, with nothing written to refs:
 *  DOSSIER_EINVAL    a malformed path (empty, leading/trailing or double
 *                    '/', "." or ".." or ".git" component), a path given
 *                    twice, or one path inside another in the same call;
 *                    a target that is not a commit; a bad signature
 *  DOSSIER_ENOTFOUND a set whose target commit is not in the store, or a
 *                    remove of a path that is not there
 *  DOSSIER_EISDIR    a set of a path that is a folder
 *  DOSSIER_ENOTDIR   a path running through a record
 *  DOSSIER_EBUSY     refs/heads/main moved underneath (another writer)
 */
int dossier_git_commit(struct dossier_git *git,
		       const struct dossier_git_change *changes, size_t n,
		       const struct dossier_git_sig *author,
		       const char *message, struct dossier_oid *commit_out);

/* The head of refs/heads/main into *out. DOSSIER_ENOTFOUND before the
 * first commit. */
int dossier_git_head(struct dossier_git *git, struct dossier_oid *out);

/*
 * The gitlink target of path in the tree of commit (the head when commit
 * is NULL) into *target_out. DOSSIER_ENOTFOUND when the path (or the
 * commit, or any head) is absent, DOSSIER_EISDIR when it is a folder.
 */
int dossier_git_lookup(struct dossier_git *git,
		       const struct dossier_oid *commit, const char *path,
		       struct dossier_oid *target_out);

/*
 * The content blob of per-record commit rec_commit into *blob_out.
 * DOSSIER_ENOTFOUND when that commit is not in the store (purged).
 * The blob itself is not checked.
 */
int dossier_git_record_blob(struct dossier_git *git,
			    const struct dossier_oid *rec_commit,
			    struct dossier_oid *blob_out);

/*
 * Destroy a record's content: write a new pack of everything reachable
 * without refs/records/<id>, delete that ref, then delete the old packs
 * and every loose object that is in the new pack or was reachable from
 * the ref. Afterwards no version of the record is in the store, except
 * bytes another record also holds (identical content is one blob). Main
 * history keeps gitlinks to the purged commits; they just no longer
 * resolve. DOSSIER_ENOTFOUND when the record has no ref; on an error
 * before the ref is deleted, nothing changed and the call can be retried.
 */
int dossier_git_purge_record(struct dossier_git *git, uint64_t record_id);

/*
 * Finish destroying a record whose ref is already gone (a crash after
 * dossier_git_purge_record() deleted refs/records/<id> but before it
 * removed the old copies): ids are its per-record commits and content
 * blobs, as the caller recorded them. Repack everything reachable, then
 * delete the old packs and every loose copy of ids and of the trees and
 * blobs the commits name, however young. Ids no longer in the store are
 * skipped; an object another ref still reaches stays (in the new pack).
 * Errors as dossier_git_pack().
 */
int dossier_git_purge_objects(struct dossier_git *git,
			      const struct dossier_oid *ids, size_t n);

/*
 * Pack every object reachable from any ref into one new pack (written
 * and fsynced before anything is deleted), then delete the old packs and
 * the loose objects now in the pack. Unreachable loose objects go too
 * once they are an hour old (younger ones may be blobs a writer is about
 * to reference). The repository stays valid at every step.
 */
int dossier_git_pack(struct dossier_git *git);

/*
 * Pack every loose object (and nothing else) into one new pack, then
 * delete them: the work is the loose objects', not the repository's.
 */
int dossier_git_pack_loose(struct dossier_git *git);

/*
 * With more than limit packs, merge the smallest ones (geometrically: up
 * to the first pack holding twice what they hold together) into one new
 * pack, fsynced before the merged ones are deleted. Batches write a pack
 * each; this keeps their number logarithmic without repacking it all.
 */
int dossier_git_rollup(struct dossier_git *git, size_t limit);

/* The number of loose objects into *out (to decide when to pack). */
int dossier_git_loose_count(struct dossier_git *git, size_t *out);

/*
 * The same, counted once (or after a pack) and then tallied as objects
 * are written loose: counting lists 256 folders, too slow to do after
 * every batch.
 */
int dossier_git_loose_estimate(struct dossier_git *git, size_t *out);

/*
 * What a commit says: author name, email and time (unix seconds), and
 * its message. Strings are copied into the caller's struct.
 * DOSSIER_ENOTFOUND when the commit is absent, DOSSIER_ECORRUPT when it
 * cannot be read.
 */
struct dossier_git_commit_info {
	char author[128];
	char email[128];
	int64_t when;
	char message[2048];
};
int dossier_git_commit_info(struct dossier_git *git,
			    const struct dossier_oid *commit,
			    struct dossier_git_commit_info *out);

/*
 * Read every object of the repository (loose and packed), checking that
 * it inflates and hashes to its name. fn(arg, hex, why) is called for
 * each one that does not, and with hex "" for a pack or folder that
 * cannot be listed at all. *count gets the number of objects read.
 * Returns 0 when the listing itself worked (whatever fn was told).
 */
int dossier_git_check_objects(struct dossier_git *git,
			      void (*fn)(void *arg, const char *hex,
					 const char *why),
			      void *arg, uint64_t *count);

/*
 * Call fn(arg, record, target) for each refs/records/<id> (record 0:
 * refs/heads/main). Stops at the first nonzero return of fn, which is
 * returned.
 */
int dossier_git_refs_each(struct dossier_git *git,
			  int (*fn)(void *arg, uint64_t record,
				    const struct dossier_oid *target),
			  void *arg);

/* The blob id the file at path would have (nothing is written). */
int dossier_git_hash_file(const char *path, struct dossier_oid *out);

#endif
