#include "gitstore_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define CONTENT_NAME "content"

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
struct sigs {
	git_signature *author;
	git_signature *committer;
};

static int make_sigs(struct sigs *out, const struct dossier_git_sig *sig)
{
	char *name = NULL, *email = NULL;
	int gerr, rc = 0;

	out->author = out->committer = NULL;
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
	if ((gerr = git_signature_new(&out->author, name, email,
				      (git_time_t)sig->when, 0)) < 0 ||
	    (gerr = git_signature_new(&out->committer,
				      DOSSIER_GIT_SERVICE_NAME,
				      DOSSIER_GIT_SERVICE_EMAIL,
				      (git_time_t)sig->when, 0)) < 0) {
		/* an empty (or all-blank) name */
		git_signature_free(out->author);
		out->author = NULL;
		gitstore_fail(gerr, "invalid signature '%s' <%s>", name, email);
		rc = DOSSIER_EINVAL;
	}
out:
	free(name);
	free(email);
	return rc;
}

static void sigs_release(struct sigs *s)
{
	git_signature_free(s->author);
	git_signature_free(s->committer);
}

/*
 * Commit tree on top of parent (NULL: none) and move refname to it, or in
 * a batch note it as record's tip instead (record 0: main).
 */
static int write_commit(struct dossier_git *git, uint64_t record,
			const char *refname, const struct sigs *sigs,
			const char *msg, git_tree *tree, git_commit *parent,
			git_oid *out)
{
	int gerr;

	gerr = git_commit_create(out, git->repo, git->batch ? NULL : refname,
				 sigs->author, sigs->committer, NULL, msg,
				 tree, parent ? 1 : 0,
				 (const git_commit **)&parent);
	if (gerr < 0 && record)
		return gitstore_fail(gerr, "cannot commit record %" PRIu64,
				     record);
	if (gerr < 0)
		return gitstore_fail(gerr, "cannot commit history");
	return git->batch ? batch_note_tip(git, record, out) : 0;
}

/*
 * The tip of record's ref refname (0: main), the batch's own first, into
 * *out; *has is 0 when there is none yet.
 */
static int read_tip(struct dossier_git *git, uint64_t record,
		    const char *refname, git_oid *out, int *has)
{
	int gerr = batch_tip(git, record, refname, out);

	if (gerr < 0 && gerr != GIT_ENOTFOUND)
		return gitstore_fail(gerr, "cannot read '%s'", refname);
	git_error_clear();
	*has = gerr == 0;
	return 0;
}

/* A tree of one entry, CONTENT_NAME: blob. */
static int content_tree(struct dossier_git *git, uint64_t record_id,
			const git_oid *blob, git_tree **out)
{
	git_treebuilder *bld = NULL;
	git_oid tree_id;
	int gerr, rc = 0;

	if ((gerr = git_treebuilder_new(&bld, git->repo, NULL)) < 0 ||
	    (gerr = git_treebuilder_insert(NULL, bld, CONTENT_NAME, blob,
					   GIT_FILEMODE_BLOB)) < 0 ||
	    (gerr = git_treebuilder_write(&tree_id, bld)) < 0 ||
	    (gerr = git_tree_lookup(out, git->repo, &tree_id)) < 0)
		rc = gitstore_fail(gerr,
				   "cannot write tree for record %" PRIu64,
				   record_id);
	git_treebuilder_free(bld);
	return rc;
}

/*
 * message (NULL: empty) and the trailer "Dossier-Record: <id>". The
 * trailer keeps two records' first versions with equal bytes, author,
 * time and message from being one commit, so a gitlink names one record
 * and purging one leaves the other's commit alone.
 */
static int record_message(char **out, const char *message,
			  uint64_t record_id)
{
	size_t len;

	if (!message)
		message = "";
	len = strlen(message);
	if (asprintf(out, "%s%s%sDossier-Record: %" PRIu64 "\n", message,
		     len && message[len - 1] != '\n' ? "\n" : "",
		     len ? "\n" : "", record_id) < 0) {
		*out = NULL;
		return gitstore_sys_fail(ENOMEM,
					 "cannot commit record %" PRIu64,
					 record_id);
	}
	return 0;
}

/*
 * A commit of record_id on its ref refname, on top of parent_id (NULL:
 * none), with tree (NULL: the parent's), author and message, into *out.
 */
static int record_commit(struct dossier_git *git, uint64_t record_id,
			 const char *refname, const git_oid *parent_id,
			 git_tree *tree, const struct dossier_git_sig *author,
			 const char *message, git_oid *out)
{
	git_commit *parent = NULL;
	git_tree *kept = NULL;
	struct sigs sigs = { NULL, NULL };
	char *msg = NULL;
	int gerr = 0, rc;

	if ((rc = make_sigs(&sigs, author)) < 0)
		return rc;
	if ((parent_id &&
	     (gerr = git_commit_lookup(&parent, git->repo, parent_id)) < 0) ||
	    (!tree && (gerr = git_commit_tree(&kept, parent)) < 0)) {
		rc = gitstore_fail(gerr, "cannot read '%s'", refname);
		goto out;
	}
	if ((rc = record_message(&msg, message, record_id)) == 0)
		rc = write_commit(git, record_id, refname, &sigs, msg,
				  tree ? tree : kept, parent, out);
out:
	free(msg);
	sigs_release(&sigs);
	git_tree_free(kept);
	git_commit_free(parent);
	return rc;
}

int dossier_git_record_version(struct dossier_git *git, uint64_t record_id,
			       const struct dossier_oid *blob,
			       const struct dossier_git_sig *author,
			       const char *message,
			       struct dossier_oid *rec_commit_out)
{
	char refname[64];
	git_oid parent_id, blob_id, commit_id;
	git_tree *tree = NULL;
	int has_parent = 0, rc;

	snprintf(refname, sizeof(refname), RECORD_REF_FMT, record_id);
	if ((rc = read_tip(git, record_id, refname, &parent_id,
			   &has_parent)) < 0)
		return rc;
	if (!blob) {
		if (has_parent)
			from_git(rec_commit_out, &parent_id);
		else
			memset(rec_commit_out, 0, sizeof(*rec_commit_out));
		return 0;
	}
	to_git(&blob_id, blob);
	if ((rc = gitstore_expect_type(git, &blob_id, GIT_OBJECT_BLOB,
				       NULL)) == 0 &&
	    (rc = content_tree(git, record_id, &blob_id, &tree)) == 0 &&
	    (rc = record_commit(git, record_id, refname,
				has_parent ? &parent_id : NULL, tree, author,
				message, &commit_id)) == 0)
		from_git(rec_commit_out, &commit_id);
	git_tree_free(tree);
	return rc;
}

int dossier_git_record_note(struct dossier_git *git, uint64_t record_id,
			    const struct dossier_git_sig *author,
			    const char *message, struct dossier_oid *out)
{
	char refname[64];
	git_oid parent_id, commit_id;
	int has_parent = 0, rc;

	memset(out, 0, sizeof(*out));
	snprintf(refname, sizeof(refname), RECORD_REF_FMT, record_id);
	if ((rc = read_tip(git, record_id, refname, &parent_id,
			   &has_parent)) < 0 || !has_parent)
		return rc;
	if ((rc = record_commit(git, record_id, refname, &parent_id, NULL,
				author, message, &commit_id)) < 0)
		return rc;
	from_git(out, &commit_id);
	return 1;
}

/*
 * The head of main (the batch's own first) and its tree: both NULL
 * before the first commit.
 */
static int main_parent(struct dossier_git *git, git_commit **parent,
		       git_tree **base)
{
	git_oid id;
	int has = 0, gerr, rc;

	if ((rc = read_tip(git, 0, MAIN_REF, &id, &has)) < 0 || !has)
		return rc;
	if ((gerr = git_commit_lookup(parent, git->repo, &id)) < 0 ||
	    (gerr = git_commit_tree(base, *parent)) < 0)
		return gitstore_fail(gerr, "cannot read '%s'", MAIN_REF);
	return 0;
}

/* changes, each checked against base, as tree updates (caller frees). */
static int make_updates(struct dossier_git *git, git_tree *base,
			const struct dossier_git_change *changes, size_t n,
			git_tree_update **out)
{
	git_tree_update *u = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (n > 0 && !(u = calloc(n, sizeof(*u))))
		return gitstore_sys_fail(ENOMEM, "cannot commit");
	for (i = 0; i < n; i++) {
		if ((rc = changes_check_one(git, base, &changes[i])) < 0)
			goto out;
		u[i].path = changes[i].path;
		if (changes[i].target) {
			u[i].action = GIT_TREE_UPDATE_UPSERT;
			u[i].filemode = GIT_FILEMODE_COMMIT;
			to_git(&u[i].id, changes[i].target);
		} else {
			u[i].action = GIT_TREE_UPDATE_REMOVE;
		}
	}
	*out = u;
	u = NULL;
out:
	free(u);
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
	struct sigs sigs = { NULL, NULL };
	git_oid tree_id, commit_id;
	int gerr, rc;

	if ((rc = make_sigs(&sigs, author)) < 0 ||
	    (rc = changes_check(changes, n, &sorted)) < 0 ||
	    (rc = main_parent(git, &parent, &base)) < 0 ||
	    (rc = make_updates(git, base, changes, n, &updates)) < 0)
		goto out;
	if ((gerr = git_tree_create_updated(&tree_id, git->repo, base, n,
					    updates)) < 0 ||
	    (gerr = git_tree_lookup(&tree, git->repo, &tree_id)) < 0) {
		rc = gitstore_fail(gerr, "cannot write history tree");
		goto out;
	}
	if ((rc = write_commit(git, 0, MAIN_REF, &sigs,
			       message ? message : "", tree, parent,
			       &commit_id)) < 0)
		goto out;
	from_git(commit_out, &commit_id);
out:
	sigs_release(&sigs);
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
