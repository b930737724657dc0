#include "gitstore_i.h"

#include <inttypes.h>
#include <stdio.h>

#include "error.h"
#include "log.h"

/* Tree id and every tree and blob below it, into set. */
static int add_tree(struct dossier_git *git, const git_oid *id,
		    struct oidset *set)
{
	git_tree *tree = NULL;
	size_t i;
	int gerr, rc;

	if ((rc = oidset_add(set, id)) < 0)
		return rc;
	if ((gerr = git_tree_lookup(&tree, git->repo, id)) < 0)
		return gitstore_fail(gerr, "cannot list record objects");
	for (i = 0; i < git_tree_entrycount(tree) && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = add_tree(git, git_tree_entry_id(e), set);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
			rc = oidset_add(set, git_tree_entry_id(e));
	}
	git_tree_free(tree);
	return rc;
}

/* Every object reachable from refname, into set (sorted). */
static int record_objects(struct dossier_git *git, const char *refname,
			  struct oidset *set)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	git_oid id;
	int gerr, rc = 0;

	if ((gerr = git_revwalk_new(&walk, git->repo)) < 0 ||
	    (gerr = git_revwalk_push_ref(walk, refname)) < 0) {
		rc = gitstore_fail(gerr, "cannot walk '%s'", refname);
		goto out;
	}
	while ((gerr = git_revwalk_next(&id, walk)) == 0) {
		if ((rc = oidset_add(set, &id)) < 0)
			goto out;
		if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0)
			break;
		rc = add_tree(git, git_commit_tree_id(c), set);
		git_commit_free(c);
		c = NULL;
		if (rc < 0)
			goto out;
	}
	if (gerr != GIT_ITEROVER)
		rc = gitstore_fail(gerr, "cannot walk '%s'", refname);
	else
		git_error_clear();
	oidset_sort(set);
out:
	git_revwalk_free(walk);
	return rc;
}

int dossier_git_purge_record(struct dossier_git *git, uint64_t record_id)
{
	struct oidset set = { 0 };
	char refname[64];
	git_oid tip;
	int gerr, rc;

	snprintf(refname, sizeof(refname), RECORD_REF_FMT, record_id);
	if ((gerr = git_reference_name_to_id(&tip, git->repo, refname)) < 0)
		return gitstore_fail(gerr, "cannot purge record %" PRIu64,
				     record_id);
	if ((rc = record_objects(git, refname, &set)) < 0)
		goto out;
	if ((rc = pack_repack(git, refname, &set, 0)) < 0)
		goto out;
	dossier_log(LOG_INFO, "purged record %" PRIu64 " (%zu objects)",
		    record_id, set.n);
out:
	oidset_release(&set);
	return rc;
}

int dossier_git_purge_objects(struct dossier_git *git,
			      const struct dossier_oid *ids, size_t n)
{
	struct oidset set = { 0 };
	git_object_t type = GIT_OBJECT_INVALID;
	git_commit *c = NULL;
	git_oid id;
	size_t i;
	int gerr, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		to_git(&id, &ids[i]);
		if ((rc = gitstore_object_header(git, &id, &type, NULL)) ==
		    DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = oidset_add(&set, &id);
		if (rc < 0 || type != GIT_OBJECT_COMMIT)
			continue;
		if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0) {
			rc = gitstore_fail(gerr, "cannot read a purged commit");
			break;
		}
		/* a tree already gone leaves nothing to find below it */
		if ((rc = add_tree(git, git_commit_tree_id(c), &set)) ==
		    DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			rc = 0;
		}
		git_commit_free(c);
		c = NULL;
	}
	if (rc == 0) {
		oidset_sort(&set);
		rc = pack_repack(git, NULL, &set, 0);
	}
	oidset_release(&set);
	return rc;
}
