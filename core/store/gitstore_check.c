#include "gitstore_i.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* For dossierctl verify. */

int dossier_git_commit_info(struct dossier_git *git,
			    const struct dossier_oid *commit,
			    struct dossier_git_commit_info *out)
{
	const git_signature *sig;
	git_commit *c = NULL;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr;

	memset(out, 0, sizeof(*out));
	to_git(&id, commit);
	git_oid_tostr(hex, sizeof(hex), &id);
	if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0) {
		int rc = gitstore_fail(gerr, "cannot read commit %s", hex);

		return rc == DOSSIER_ENOTFOUND ? rc : DOSSIER_ECORRUPT;
	}
	sig = git_commit_author(c);
	snprintf(out->author, sizeof(out->author), "%s",
		 sig && sig->name ? sig->name : "");
	snprintf(out->email, sizeof(out->email), "%s",
		 sig && sig->email ? sig->email : "");
	out->when = sig ? (int64_t)sig->when.time : 0;
	snprintf(out->message, sizeof(out->message), "%s",
		 git_commit_message(c) ? git_commit_message(c) : "");
	git_commit_free(c);
	return 0;
}

struct check_ctx {
	git_odb *odb;
	void (*fn)(void *arg, const char *hex, const char *why);
	void *arg;
	uint64_t count;
};

static int check_one(const git_oid *id, void *payload)
{
	struct check_ctx *c = payload;
	git_odb_object *o = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr;

	c->count++;
	/* libgit2 checks the hash of what it reads (strict verification) */
	if ((gerr = git_odb_read(&o, c->odb, id)) < 0) {
		const git_error *e = git_error_last();

		git_oid_tostr(hex, sizeof(hex), id);
		c->fn(c->arg, hex, e && e->message ? e->message :
			"cannot be read");
		git_error_clear();
	}
	git_odb_object_free(o);
	return 0;
}

int dossier_git_check_objects(struct dossier_git *git,
			      void (*fn)(void *arg, const char *hex,
					 const char *why),
			      void *arg, uint64_t *count)
{
	struct check_ctx c = { NULL, fn, arg, 0 };
	int gerr;

	/*
	 * A plain odb of the folder: ours has a write-only backend that
	 * cannot list (libgit2 1.5 calls its NULL foreach).
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	if ((gerr = git_odb_open(&c.odb, git->objdir)) == 0)
		gerr = git_odb_foreach(c.odb, check_one, &c);
	git_odb_free(c.odb);
	if (count)
		*count = c.count;
	if (gerr < 0) {
		const git_error *e = git_error_last();

		fn(arg, "", e && e->message ? e->message :
		   "the object store cannot be listed");
		git_error_clear();
	}
	return 0;
}

int dossier_git_refs_each(struct dossier_git *git,
			  int (*fn)(void *arg, uint64_t record,
				    const struct dossier_oid *target),
			  void *arg)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	struct dossier_oid target;
	int gerr, rc = 0;

	if ((gerr = git_reference_iterator_glob_new(&it, git->repo,
						    "refs/*")) < 0)
		return gitstore_fail(gerr, "cannot list refs");
	while (rc == 0 && (gerr = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *t = git_reference_target(ref);
		uint64_t record = 0;

		if (t && (!strcmp(name, MAIN_REF) ||
			  sscanf(name, "refs/records/%" SCNu64, &record) == 1)) {
			from_git(&target, t);
			rc = fn(arg, record, &target);
		}
		git_reference_free(ref);
	}
	if (gerr < 0 && gerr != GIT_ITEROVER && rc == 0)
		rc = gitstore_fail(gerr, "cannot list refs");
	git_reference_iterator_free(it);
	return rc;
}
