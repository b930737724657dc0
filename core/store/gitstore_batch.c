#include "gitstore_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <git2/sys/repository.h>

#define FLUSH_PACK_MIN 256	/* a batch this big is flushed as a pack */

static struct pending_ref *find_pending(struct dossier_git *git,
					uint64_t record)
{
	size_t i;

	for (i = 0; i < git->npending; i++)
		if (git->pending[i].record == record)
			return &git->pending[i];
	return NULL;
}

int batch_tip(struct dossier_git *git, uint64_t record, const char *refname,
	      git_oid *out)
{
	struct pending_ref *p = git->batch ? find_pending(git, record) : NULL;

	if (p) {
		git_oid_cpy(out, &p->id);
		return 0;
	}
	return git_reference_name_to_id(out, git->repo, refname);
}

int batch_note_tip(struct dossier_git *git, uint64_t record,
		   const git_oid *id)
{
	struct pending_ref *p = find_pending(git, record);

	if (!p) {
		if (git->npending == git->cpending) {
			size_t c = git->cpending ? git->cpending * 2 : 64;
			struct pending_ref *v = realloc(git->pending,
							c * sizeof(*v));

			if (!v)
				return gitstore_sys_fail(ENOMEM,
							 "cannot commit");
			git->pending = v;
			git->cpending = c;
		}
		p = &git->pending[git->npending++];
		p->record = record;
	}
	git_oid_cpy(&p->id, id);
	return 0;
}

void dossier_git_batch_begin(struct dossier_git *git)
{
	git->batch = 1;
	git->npending = 0;
	memstore_reset(git->mem);
	git_repository_set_odb(git->repo, git->bodb);
}

void dossier_git_batch_end(struct dossier_git *git)
{
	git->batch = 0;
	git->npending = 0;
	memstore_reset(git->mem);
	git_repository_set_odb(git->repo, git->odb);
}

/* A few objects: loose, until the next pack of loose ones. */
static int flush_loose(struct dossier_git *git)
{
	struct memstore *m = git->mem;
	size_t i;
	int gerr;

	for (i = 0; i < m->n; i++) {
		struct memobj *o = m->all[i];

		if ((gerr = git->loose->write(git->loose, &o->id, o->data,
					      o->len, o->type)) < 0)
			return gitstore_fail(gerr, "cannot write object");
	}
	git->loose_est += m->n;
	memstore_reset(m);
	return 0;
}

static int flush_pack(struct dossier_git *git)
{
	struct memstore *m = git->mem;
	git_packbuilder *pb = NULL;
	git_repository *prepo = NULL;
	char *packdir = NULL;
	size_t i;
	int gerr, rc = 0;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0)
		return gitstore_sys_fail(ENOMEM, "cannot pack the batch");
	if ((gerr = packer_new(&pb, &prepo, git->bodb)) < 0) {
		rc = gitstore_fail(gerr, "cannot pack the batch");
		goto out;
	}
	for (i = 0; i < m->n; i++)
		if ((gerr = git_packbuilder_insert(pb, &m->all[i]->id,
						   NULL)) < 0) {
			rc = gitstore_fail(gerr, "cannot pack the batch");
			goto out;
		}
	if ((gerr = packer_write(pb, packdir, NULL, 0)) < 0) {
		rc = gitstore_fail(gerr, "cannot write the batch's pack");
		goto out;
	}
	/* the batch reads its objects from there now */
	if ((rc = packread_refresh(git->packs)) < 0)
		goto out;
	memstore_reset(m);
out:
	packer_free(pb, prepo);
	free(packdir);
	return rc;
}

int dossier_git_flush(struct dossier_git *git)
{
	if (!git->batch || git->mem->n == 0)
		return 0;
	return git->mem->n < FLUSH_PACK_MIN ? flush_loose(git)
					    : flush_pack(git);
}

int dossier_git_batch_tip(struct dossier_git *git, uint64_t record,
			  const struct dossier_oid *id)
{
	git_oid oid;

	to_git(&oid, id);
	return batch_note_tip(git, record, &oid);
}

int dossier_git_set_ref(struct dossier_git *git, uint64_t record,
			const struct dossier_oid *id)
{
	char refname[64];
	git_reference *ref = NULL;
	git_oid oid;
	int gerr;

	if (record)
		snprintf(refname, sizeof(refname), RECORD_REF_FMT, record);
	else
		snprintf(refname, sizeof(refname), "%s", MAIN_REF);
	to_git(&oid, id);
	gerr = git_reference_create(&ref, git->repo, refname, &oid, 1, NULL);
	git_reference_free(ref);
	if (gerr < 0)
		return gitstore_fail(gerr, "cannot move '%s'", refname);
	return 0;
}
