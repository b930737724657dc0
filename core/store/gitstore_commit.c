#include "gitstore_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define CONTENT_NAME "content"
#define SERVICE_NAME "dossierfs"
#define SERVICE_EMAIL "dossierfs@localhost"

/*
 * A copy of s without '<', '>' and control characters, which would break
 * the commit header's "name <email> time" line; git(1) drops them the
 * same way (ident.c, strbuf_addstr_without_crud), libgit2 refuses them.
 */
static char *clean_ident(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f && *s != '<' &&
		    *s != '>')
			*o++ = *s;
	*o = '\0';
	return out;
}

/* The user as author and the service as committer, at the same time. */
static int make_sigs(git_signature **author, git_signature **committer,
		     const struct dossier_git_sig *sig)
{
	char *name = NULL, *email = NULL;
	int gerr, rc = 0;

	*author = *committer = NULL;
	if (!sig || !sig->name) {
		dossier_error_set("signature without a name");
		return DOSSIER_EINVAL;
	}
	name = clean_ident(sig->name);
	email = clean_ident(sig->email ? sig->email : "");
	if (!name || !email) {
		rc = gitstore_sys_fail(ENOMEM, "cannot make signature");
		goto out;
	}
	if ((gerr = git_signature_new(author, name, email,
				      (git_time_t)sig->when, 0)) < 0 ||
	    (gerr = git_signature_new(committer, SERVICE_NAME, SERVICE_EMAIL,
				      (git_time_t)sig->when, 0)) < 0) {
		/* an empty (or all-blank) name */
		git_signature_free(*author);
		*author = NULL;
		gitstore_fail(gerr, "invalid signature '%s' <%s>", name, email);
		rc = DOSSIER_EINVAL;
	}
out:
	free(name);
	free(email);
	return rc;
}

int dossier_git_record_version(struct dossier_git *git, uint64_t record_id,
			       const struct dossier_oid *blob,
			       const struct dossier_git_sig *author,
			       const char *message,
			       struct dossier_oid *rec_commit_out)
{
	char refname[64];
	git_oid parent_id, blob_id, tree_id, commit_id;
	git_commit *parent = NULL;
	git_treebuilder *bld = NULL;
	git_tree *tree = NULL;
	git_signature *asig = NULL, *csig = NULL;
	char *msg = NULL;
	size_t len;
	int has_parent, gerr, rc;

	snprintf(refname, sizeof(refname), RECORD_REF_FMT, record_id);
	gerr = batch_tip(git, record_id, refname, &parent_id);
	if (gerr < 0 && gerr != GIT_ENOTFOUND)
		return gitstore_fail(gerr, "cannot read '%s'", refname);
	git_error_clear();
	has_parent = gerr == 0;

	if (!blob) {
		if (has_parent)
			from_git(rec_commit_out, &parent_id);
		else
			memset(rec_commit_out, 0, sizeof(*rec_commit_out));
		return 0;
	}

	to_git(&blob_id, blob);
	if ((rc = gitstore_expect_type(git, &blob_id, GIT_OBJECT_BLOB,
				       NULL)) < 0 ||
	    (rc = make_sigs(&asig, &csig, author)) < 0)
		goto out;
	if (has_parent &&
	    (gerr = git_commit_lookup(&parent, git->repo, &parent_id)) < 0) {
		rc = gitstore_fail(gerr, "cannot read '%s'", refname);
		goto out;
	}
	if ((gerr = git_treebuilder_new(&bld, git->repo, NULL)) < 0 ||
	    (gerr = git_treebuilder_insert(NULL, bld, CONTENT_NAME, &blob_id,
					   GIT_FILEMODE_BLOB)) < 0 ||
	    (gerr = git_treebuilder_write(&tree_id, bld)) < 0 ||
	    (gerr = git_tree_lookup(&tree, git->repo, &tree_id)) < 0) {
		rc = gitstore_fail(gerr,
				   "cannot write tree for record %" PRIu64,
				   record_id);
		goto out;
	}
	/*
	 * The trailer keeps two records' first versions with equal bytes,
	 * author, time and message from being one commit, so a gitlink
	 * names one record and purging one leaves the other's commit alone.
	 */
	if (!message)
		message = "";
	len = strlen(message);
	if (asprintf(&msg, "%s%s%sDossier-Record: %" PRIu64 "\n", message,
		     len && message[len - 1] != '\n' ? "\n" : "",
		     len ? "\n" : "", record_id) < 0) {
		msg = NULL;
		rc = gitstore_sys_fail(ENOMEM, "cannot commit record %" PRIu64,
				       record_id);
		goto out;
	}
	gerr = git_commit_create(&commit_id, git->repo,
				 git->batch ? NULL : refname, asig, csig,
				 NULL, msg, tree, has_parent ? 1 : 0,
				 (const git_commit **)&parent);
	if (gerr < 0) {
		rc = gitstore_fail(gerr, "cannot commit record %" PRIu64,
				   record_id);
		goto out;
	}
	if (git->batch && (rc = batch_note_tip(git, record_id, &commit_id)) < 0)
		goto out;
	from_git(rec_commit_out, &commit_id);
out:
	free(msg);
	git_signature_free(asig);
	git_signature_free(csig);
	git_tree_free(tree);
	git_treebuilder_free(bld);
	git_commit_free(parent);
	return rc;
}

int dossier_git_commit(struct dossier_git *git,
		       const struct dossier_git_change *changes, size_t n,
		       const struct dossier_git_sig *author,
		       const char *message, struct dossier_oid *commit_out)
{
	const struct dossier_git_change **sorted = NULL;
	git_tree_update *updates = NULL;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *asig = NULL, *csig = NULL;
	git_oid parent_id, tree_id, commit_id;
	int has_parent, gerr, rc;
	size_t i;

	if ((rc = make_sigs(&asig, &csig, author)) < 0 ||
	    (rc = changes_check(changes, n, &sorted)) < 0)
		goto out;
	gerr = batch_tip(git, 0, MAIN_REF, &parent_id);
	if (gerr < 0 && gerr != GIT_ENOTFOUND) {
		rc = gitstore_fail(gerr, "cannot read '%s'", MAIN_REF);
		goto out;
	}
	git_error_clear();
	has_parent = gerr == 0;
	if (has_parent &&
	    ((gerr = git_commit_lookup(&parent, git->repo, &parent_id)) < 0 ||
	     (gerr = git_commit_tree(&base, parent)) < 0)) {
		rc = gitstore_fail(gerr, "cannot read '%s'", MAIN_REF);
		goto out;
	}
	if (n > 0 && !(updates = calloc(n, sizeof(*updates)))) {
		rc = gitstore_sys_fail(ENOMEM, "cannot commit");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = changes_check_one(git, base, &changes[i])) < 0)
			goto out;
		updates[i].path = changes[i].path;
		if (changes[i].target) {
			updates[i].action = GIT_TREE_UPDATE_UPSERT;
			updates[i].filemode = GIT_FILEMODE_COMMIT;
			to_git(&updates[i].id, changes[i].target);
		} else {
			updates[i].action = GIT_TREE_UPDATE_REMOVE;
		}
	}
	if ((gerr = git_tree_create_updated(&tree_id, git->repo, base, n,
					    updates)) < 0 ||
	    (gerr = git_tree_lookup(&tree, git->repo, &tree_id)) < 0) {
		rc = gitstore_fail(gerr, "cannot write history tree");
		goto out;
	}
	gerr = git_commit_create(&commit_id, git->repo,
				 git->batch ? NULL : MAIN_REF, asig, csig,
				 NULL, message ? message : "", tree,
				 has_parent ? 1 : 0,
				 (const git_commit **)&parent);
	if (gerr < 0) {
		rc = gitstore_fail(gerr, "cannot commit history");
		goto out;
	}
	if (git->batch && (rc = batch_note_tip(git, 0, &commit_id)) < 0)
		goto out;
	from_git(commit_out, &commit_id);
out:
	git_signature_free(asig);
	git_signature_free(csig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	free(updates);
	free(sorted);
	return rc;
}

int dossier_git_head(struct dossier_git *git, struct dossier_oid *out)
{
	git_oid id;
	int gerr;

	if ((gerr = batch_tip(git, 0, MAIN_REF, &id)) < 0)
		return gitstore_fail(gerr, "no history yet");
	from_git(out, &id);
	return 0;
}

int dossier_git_lookup(struct dossier_git *git,
		       const struct dossier_oid *commit, const char *path,
		       struct dossier_oid *target_out)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr, rc;

	if ((rc = changes_check_path(path)) < 0)
		return rc;
	if (commit)
		to_git(&id, commit);
	else if ((gerr = git_reference_name_to_id(&id, git->repo,
						  MAIN_REF)) < 0)
		return gitstore_fail(gerr, "no history yet");
	if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0 ||
	    (gerr = git_commit_tree(&tree, c)) < 0) {
		rc = gitstore_fail(gerr, "cannot read commit %s",
				   git_oid_tostr(hex, sizeof(hex), &id));
		goto out;
	}
	if ((gerr = git_tree_entry_bypath(&e, tree, path)) < 0) {
		rc = gitstore_fail(gerr, "cannot look up '%s'", path);
		goto out;
	}
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_COMMIT:
		from_git(target_out, git_tree_entry_id(e));
		break;
	case GIT_FILEMODE_TREE:
		dossier_error_set("'%s' is a folder", path);
		rc = DOSSIER_EISDIR;
		break;
	default:
		dossier_error_set("'%s' in commit %s is not a record link",
				  path, git_oid_tostr(hex, sizeof(hex), &id));
		rc = DOSSIER_ECORRUPT;
		break;
	}
out:
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

int dossier_git_record_blob(struct dossier_git *git,
			    const struct dossier_oid *rec_commit,
			    struct dossier_oid *blob_out)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	const git_tree_entry *e;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr, rc = 0;

	to_git(&id, rec_commit);
	git_oid_tostr(hex, sizeof(hex), &id);
	if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0 ||
	    (gerr = git_commit_tree(&tree, c)) < 0) {
		rc = gitstore_fail(gerr, "cannot read record version %s", hex);
		goto out;
	}
	e = git_tree_entry_byname(tree, CONTENT_NAME);
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		dossier_error_set("record version %s has no content", hex);
		rc = DOSSIER_ECORRUPT;
		goto out;
	}
	from_git(blob_out, git_tree_entry_id(e));
out:
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}
