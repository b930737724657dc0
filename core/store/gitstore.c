#include "gitstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "error.h"
#include "gitstore_i.h"
#include "log.h"

/*
 * The batch's object database: the writer above an in-memory store,
 * above libgit2's loose backend and our pack reader (*packs_out).
 */
static int open_batch_odb(git_odb **out, struct memstore **mem_out,
			  git_odb_backend **packs_out, const char *objdir)
{
	git_odb *bodb = NULL;
	git_odb_backend *loose = NULL;
	struct memstore *mem = NULL;
	int gerr, rc = 0;

	if ((gerr = git_odb_new(&bodb)) < 0 ||
	    (gerr = git_odb_backend_loose(&loose, objdir, -1, 0, 0, 0)) < 0 ||
	    (gerr = git_odb_add_backend(bodb, loose, LOOSE_PRIORITY)) < 0) {
		if (loose)
			loose->free(loose);
		rc = gitstore_fail(gerr, "cannot open object database");
		goto out;
	}
	if ((rc = packread_add(bodb, objdir, packs_out)) < 0 ||
	    (rc = memstore_new(&mem)) < 0)
		goto out;
	if ((gerr = git_odb_add_backend(bodb, &mem->parent,
					MEM_PRIORITY)) < 0) {
		mem->parent.free(&mem->parent);
		rc = gitstore_fail(gerr, "cannot open object database");
		goto out;
	}
	if ((rc = writer_add(bodb, objdir)) < 0)
		goto out;
	*out = bodb;
	*mem_out = mem;
	bodb = NULL;
out:
	git_odb_free(bodb);
	return rc;
}

/*
 * The repository's object database gets the writer; a second one, used
 * during batches, the writer too and, below it, an in-memory store that
 * takes every other write: a batch's trees, commits and small blobs
 * reach the disk as one pack (dossier_git_flush), not as a file each.
 * The ones git had before are freed.
 */
static int setup_odb(struct dossier_git *git, git_repository *repo)
{
	git_odb *odb = NULL, *bodb = NULL, *old;
	git_odb_backend *loose = NULL, *old_loose, *packs = NULL;
	struct memstore *mem = NULL;
	int gerr, rc;

	if ((gerr = git_repository_odb(&odb, repo)) < 0)
		return gitstore_fail(gerr, "cannot open object database");
	if ((rc = writer_add(odb, git->objdir)) < 0 ||
	    (rc = open_batch_odb(&bodb, &mem, &packs, git->objdir)) < 0)
		goto out;
	if ((gerr = git_odb_backend_loose(&loose, git->objdir, 1, 0, 0,
					  0)) < 0) {
		rc = gitstore_fail(gerr, "cannot open object database");
		goto out;
	}
	/* swap: the old ones are freed on the way out */
	old = git->odb;
	git->odb = odb;
	odb = old;
	old = git->bodb;
	git->bodb = bodb;
	bodb = old;
	old_loose = git->loose;
	git->loose = loose;
	loose = old_loose;
	git->mem = mem;
	git->packs = packs;
out:
	if (loose)
		loose->free(loose);
	git_odb_free(odb);
	git_odb_free(bodb);
	return rc;
}

static int open_repo(git_repository **out, const char *path)
{
	git_repository *repo = NULL;
	int gerr;

	gerr = git_repository_open_ext(&repo, path,
				       GIT_REPOSITORY_OPEN_NO_SEARCH |
				       GIT_REPOSITORY_OPEN_BARE, NULL);
	if (gerr < 0)
		return gitstore_fail(gerr, "cannot open repository '%s'", path);
	/*
	 * Who moves a ref: without it libgit2 reads the configuration
	 * (user.name) again for every ref it moves.
	 */
	if ((gerr = git_repository_set_ident(repo,
					     DOSSIER_GIT_SERVICE_NAME,
					     DOSSIER_GIT_SERVICE_EMAIL)) < 0) {
		git_repository_free(repo);
		return gitstore_fail(gerr, "cannot open repository '%s'", path);
	}
	*out = repo;
	return 0;
}

static int init_repo(const char *path)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	int gerr;

	/* the _INIT macro trips -Wmissing-field-initializers */
	if ((gerr = git_repository_init_options_init(
		     &opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION)) < 0)
		return gitstore_fail(gerr, "cannot create repository '%s'",
				     path);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	gerr = git_repository_init_ext(&repo, path, &opts);
	git_repository_free(repo);
	if (gerr < 0)
		return gitstore_fail(gerr, "cannot create repository '%s'",
				     path);
	dossier_log(LOG_INFO, "created history repository '%s'", path);
	return 0;
}

static int open_or_create(git_repository **out, const char *path,
			  int create)
{
	int rc = open_repo(out, path);

	if (rc == DOSSIER_ENOTFOUND && create) {
		dossier_error_clear();
		if ((rc = init_repo(path)) == 0)
			rc = open_repo(out, path);
	}
	return rc;
}

/* Everything git holds, and git; libgit2 stays initialised. */
static void release(struct dossier_git *git)
{
	git_repository_free(git->repo);
	git_odb_free(git->odb);
	git_odb_free(git->bodb);
	if (git->loose)
		git->loose->free(git->loose);
	free(git->gitdir);
	free(git->objdir);
	free(git->pending);
	free(git);
}

static int git_new(struct dossier_git **out, const char *path, int create)
{
	struct dossier_git *git = calloc(1, sizeof(*git));
	int rc;

	if (!git)
		return gitstore_sys_fail(ENOMEM, "cannot open repository '%s'",
					 path);
	if ((rc = open_or_create(&git->repo, path, create)) < 0)
		goto out;
	git->gitdir = strdup(git_repository_path(git->repo));
	if (git->gitdir &&
	    asprintf(&git->objdir, "%sobjects", git->gitdir) < 0)
		git->objdir = NULL;
	if (!git->gitdir || !git->objdir) {
		rc = gitstore_sys_fail(ENOMEM, "cannot open repository '%s'",
				       path);
		goto out;
	}
	if ((rc = setup_odb(git, git->repo)) < 0)
		goto out;
	*out = git;
	git = NULL;
out:
	if (git)
		release(git);
	return rc;
}

int dossier_git_open(struct dossier_git **out, const char *path, int create)
{
	int rc;

	*out = NULL;
	if (git_libgit2_init() < 0)
		return gitstore_fail(-1, "cannot initialise libgit2");
	/*
	 * libgit2 keeps up to 256 MiB of parsed objects and maps up to 8 GiB
	 * of pack windows per process by default: the daemon grew from 11 to
	 * 276 MB committing 20k records (566 MB over a day was seen). Our
	 * commits touch each tree once per batch, so a small cache does.
	 * But a tree of any size is kept (libgit2 keeps those of 4 KiB at
	 * most): a batch's commit of main looks up the folder of every
	 * record it changes, and a folder of 600 records is a 30 KiB tree,
	 * read and parsed again for each of them (a fifth of the
	 * committer's time under three writers in one folder).
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(32 << 20));
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE,
			 (size_t)(4 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(128 << 20));
	if ((rc = git_new(out, path, create)) < 0)
		git_libgit2_shutdown();
	return rc;
}

void dossier_git_free(struct dossier_git *git)
{
	if (!git)
		return;
	release(git);
	git_libgit2_shutdown();
}

int gitstore_reopen(struct dossier_git *git)
{
	git_repository *repo = NULL;
	int rc;

	if ((rc = open_repo(&repo, git->gitdir)) < 0)
		return rc;
	if ((rc = setup_odb(git, repo)) < 0) {
		git_repository_free(repo);
		return rc;
	}
	git_repository_free(git->repo);
	git->repo = repo;
	return 0;
}

int gitstore_odb(git_odb **out, struct dossier_git *git)
{
	int gerr = git_repository_odb(out, git->repo);

	return gerr < 0 ? gitstore_fail(gerr, "cannot open object database")
			: 0;
}

/* The type and size of an object: DOSSIER_ENOTFOUND if absent. */
int gitstore_object_header(struct dossier_git *git, const git_oid *id,
			   git_object_t *type, size_t *size)
{
	git_odb *odb = NULL;
	size_t len = 0;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr, rc;

	if ((rc = gitstore_odb(&odb, git)) < 0)
		return rc;
	if ((gerr = git_odb_read_header(&len, type, odb, id)) < 0)
		rc = gitstore_fail(gerr, "cannot read object %s",
				   git_oid_tostr(hex, sizeof(hex), id));
	else if (size)
		*size = len;
	git_odb_free(odb);
	return rc;
}

int gitstore_expect_type(struct dossier_git *git, const git_oid *id,
			 git_object_t want, size_t *size)
{
	git_object_t type = GIT_OBJECT_INVALID;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = gitstore_object_header(git, id, &type, size)) < 0)
		return rc;
	if (type != want) {
		dossier_error_set("object %s is a %s, not a %s",
				  git_oid_tostr(hex, sizeof(hex), id),
				  git_object_type2string(type),
				  git_object_type2string(want));
		return DOSSIER_EINVAL;
	}
	return 0;
}
