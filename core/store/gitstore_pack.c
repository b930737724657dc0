#include "gitstore_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

/* Queue everything reachable from the refs, except skip_ref, into pb. */
static int insert_reachable(struct dossier_git *git, git_packbuilder *pb,
			    const char *skip_ref)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_revwalk *walk = NULL;
	git_object_t type;
	git_oid head;
	int gerr, rc = 0;

	if ((gerr = git_revwalk_new(&walk, git->repo)) < 0 ||
	    (gerr = git_reference_iterator_new(&it, git->repo)) < 0)
		goto fail;
	while ((gerr = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);

		if (id && (!skip_ref ||
			   strcmp(git_reference_name(ref), skip_ref) != 0)) {
			if ((rc = gitstore_object_header(git, id, &type,
							 NULL)) < 0)
				goto out;
			if (type == GIT_OBJECT_COMMIT)
				gerr = git_revwalk_push(walk, id);
			else
				gerr = git_packbuilder_insert_recur(pb, id,
								    NULL);
			if (gerr < 0)
				goto fail;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (gerr != GIT_ITEROVER)
		goto fail;
	/* HEAD is symbolic (to main) unless someone detached it */
	gerr = git_reference_name_to_id(&head, git->repo, "HEAD");
	if (gerr == 0)
		gerr = git_revwalk_push(walk, &head);
	else if (gerr == GIT_ENOTFOUND)
		gerr = 0;
	if (gerr < 0 || (gerr = git_packbuilder_insert_walk(pb, walk)) < 0)
		goto fail;
	git_error_clear();
	goto out;
fail:
	rc = gitstore_fail(gerr, "cannot list reachable objects");
out:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	git_revwalk_free(walk);
	return rc;
}

/*
 * Remove the file fmt names (packer_unlink); a failure is kept in *rc
 * unless one is already. -1 when out of memory (nothing done).
 */
static int remove_file(int *rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int remove_file(int *rc, const char *fmt, ...)
{
	char *path = NULL;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&path, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((r = packer_unlink(path)) < 0 && *rc == 0)
		*rc = r;
	free(path);
	return 0;
}

/* The files of pack name ("pack-<hash>" is its first len bytes). */
static int remove_pack(const char *packdir, const char *name, size_t len)
{
	static const char *const exts[] = { ".idx", ".pack", ".rev",
					    ".bitmap", ".keep" };
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (remove_file(&rc, "%s/%.*s%s", packdir, (int)len, name,
				exts[i]) < 0)
			return gitstore_sys_fail(ENOMEM, "cannot remove pack");
	return rc;
}

/*
 * Delete every pack but keep ("pack-<hash>", or NULL for none); the .idx
 * goes first so no reader finds a pack without its data. Also drop the
 * caches git(1) may have left that would describe deleted objects.
 */
static int drop_old_packs(struct dossier_git *git, const char *keep)
{
	char *packdir = NULL;
	DIR *dir = NULL;
	struct dirent *de;
	int rc = 0, r;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot list packs");
	if (!(dir = opendir(packdir))) {
		if (errno != ENOENT)
			rc = gitstore_sys_fail(errno, "cannot list '%s'",
					       packdir);
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 10 || strncmp(de->d_name, "pack-", 5) != 0 ||
		    strcmp(de->d_name + len - 5, ".pack") != 0)
			continue;
		len -= 5;
		if (keep && strlen(keep) == len &&
		    strncmp(de->d_name, keep, len) == 0)
			continue;
		if ((r = remove_pack(packdir, de->d_name, len)) < 0 && rc == 0)
			rc = r;
	}
	remove_file(&rc, "%s/multi-pack-index", packdir);
	remove_file(&rc, "%s/info/commit-graph", git->objdir);
out:
	if (dir)
		closedir(dir);
	free(packdir);
	return rc;
}

struct prune {
	git_odb *packed;		/* the new pack alone, or NULL */
	const struct oidset *drop;	/* delete even if young */
	time_t now;
	size_t kept, dropped;
};

static int prune_cb(const git_oid *id, int dirfd, const char *name,
		    void *payload)
{
	struct prune *p = payload;
	struct stat st;

	if ((p->packed && git_odb_exists(p->packed, id)) ||
	    oidset_has(p->drop, id))
		goto drop;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* gone already, or let the next pack try */
	if (p->now - st.st_mtime >= PRUNE_GRACE_SECONDS)
		goto drop;
	p->kept++;
	return 0;
drop:
	p->dropped++;
	return 1;
}

static int insert_loose_cb(const git_oid *id, int dirfd, const char *name,
			   void *payload)
{
	int gerr = git_packbuilder_insert(payload, id, NULL);

	(void)dirfd;
	(void)name;
	return gerr < 0 ? gitstore_fail(gerr, "cannot pack") : 0;
}

/*
 * Write pb's pack into packdir, fsynced, and open it alone as *packed (to
 * tell which loose objects it holds); keep gets "pack-<hash>".
 */
static int write_pack(git_packbuilder *pb, const char *packdir, char *keep,
		      size_t keepsz, git_odb **packed)
{
	char pname[GIT_OID_HEXSZ + 1] = "", *idxpath = NULL;
	git_odb_backend *one = NULL;
	int gerr, rc;

	if ((gerr = packer_write(pb, packdir, pname, sizeof(pname))) < 0)
		return gitstore_fail(gerr, "cannot write pack");
	snprintf(keep, keepsz, "pack-%s", pname);
	if ((rc = packer_sync(packdir, pname)) < 0)
		return rc;
	if (asprintf(&idxpath, "%s/%s.idx", packdir, keep) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot pack");
	if ((gerr = git_odb_new(packed)) < 0 ||
	    (gerr = git_odb_backend_one_pack(&one, idxpath)) < 0 ||
	    (gerr = git_odb_add_backend(*packed, one, 1)) < 0) {
		rc = gitstore_fail(gerr, "cannot open new pack '%s'", idxpath);
		goto out;
	}
	one = NULL;
out:
	if (one)
		one->free(one);
	free(idxpath);
	return rc;
}

/*
 * Once the new pack (keep, or NULL for none) is on disk: delete the old
 * packs (unless loose_only) and the loose objects prune says, then open
 * the repository afresh. Failures here leave redundant files behind, no
 * damage.
 */
static int tidy(struct dossier_git *git, const char *keep, int loose_only,
		struct prune *prune)
{
	int rc, r;

	rc = loose_only ? 0 : drop_old_packs(git, keep);
	prune->now = time(NULL);
	if ((r = loose_each(git, prune_cb, prune)) < 0 && rc == 0)
		rc = r;
	loose_drop_stale_tmp(git, prune->now);
	git->loose_known = 0;
	if ((r = gitstore_reopen(git)) < 0 && rc == 0)
		rc = r;
	return rc;
}

/*
 * Every step leaves a valid repository: nothing is deleted before the new
 * pack is on disk, and the only things deleted are copies or unreachable.
 */
int pack_repack(struct dossier_git *git, const char *skip_ref,
		const struct oidset *drop, int loose_only)
{
	git_packbuilder *pb = NULL;
	git_repository *prepo = NULL;
	struct prune prune = { 0 };
	char *packdir = NULL, keep[GIT_OID_HEXSZ + 16] = "";
	size_t count;
	int gerr, rc;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot pack");
	if ((gerr = packer_new(&pb, &prepo, git->odb)) < 0) {
		rc = gitstore_fail(gerr, "cannot pack");
		goto out;
	}
	/* the committer packs loose objects: leave a CPU to the users */
	git_packbuilder_set_threads(pb, loose_only ? 1 : 0);
	if ((rc = loose_only ? loose_each(git, insert_loose_cb, pb) :
			       insert_reachable(git, pb, skip_ref)) < 0)
		goto out;
	count = git_packbuilder_object_count(pb);
	if (count > 0 && (rc = write_pack(pb, packdir, keep, sizeof(keep),
					  &prune.packed)) < 0)
		goto out;
	if (skip_ref &&
	    (gerr = git_reference_remove(git->repo, skip_ref)) < 0) {
		rc = gitstore_fail(gerr, "cannot delete '%s'", skip_ref);
		goto out;
	}
	prune.drop = drop;
	rc = tidy(git, count > 0 ? keep : NULL, loose_only, &prune);
	dossier_log(LOG_INFO,
		    "packed %zu objects into '%s', removed %zu loose, kept %zu",
		    count, count > 0 ? keep : "(none)", prune.dropped,
		    prune.kept);
out:
	git_odb_free(prune.packed);
	packer_free(pb, prepo);
	free(packdir);
	return rc;
}

int dossier_git_pack(struct dossier_git *git)
{
	return pack_repack(git, NULL, NULL, 0);
}

int dossier_git_pack_loose(struct dossier_git *git)
{
	return pack_repack(git, NULL, NULL, 1);
}
