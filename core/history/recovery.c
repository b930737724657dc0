/*
 * What a restart finds ("Crashes" and "Content changed behind the
 * daemon's back" in docs/design.md): a head the index does not know,
 * snapshots no journal row names, content changed without a save. The
 * checks run before the mount serves; the commits in the background
 * (committer.c), through the journal like any change.
 */
#include "history_priv_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access_i.h"
#include "account.h"
#include "archive_i.h"
#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "journal_i.h"
#include "log.h"

/* Index e as head, the commit made for it before a crash. */
static int index_head(struct dossier_history *h, const struct entry *e,
		      const struct dossier_oid *head)
{
	struct dossier_oid rec, blob;
	char author[128], bhex[41];
	uint64_t size = 0;
	int rc;

	dossier_account_name(author, sizeof(author), e->uid);
	history_git_lock(h);
	rc = e->path && strcmp(e->op, "delete") ?
		     dossier_git_lookup(h->git, head, e->path, &rec) :
		     DOSSIER_ENOTFOUND;
	history_git_unlock(h);
	dossier_error_clear();
	if (rc < 0 || !entry_is_content(e->op))
		return index_commit(h, e, author, head, NULL, NULL, 0,
				    strcmp(e->op, "delete") ? e->path : NULL);
	history_git_lock(h);
	rc = dossier_git_record_blob(h->git, &rec, &blob);
	if (rc == 0)
		rc = dossier_git_blob_size(h->git, &blob, &size);
	history_git_unlock(h);
	dossier_oid_fmt(bhex, &blob);
	if (rc == 0)
		rc = index_commit(h, e, author, head, &rec, bhex,
				  (int64_t)size, e->path);
	return rc;
}

/*
 * After a crash between moving refs/heads/main and indexing the commit,
 * the head is a commit the version index does not know: it belongs to the
 * oldest journal entry. Index it instead of committing it again.
 */
static void heal_head(struct dossier_history *h)
{
	struct dossier_oid head;
	struct entry e;
	char hex[41];
	int rc;

	history_git_lock(h);
	rc = dossier_git_head(h->git, &head);
	history_git_unlock(h);
	memset(&e, 0, sizeof(e));
	if (rc < 0) {
		dossier_error_clear();
		return;
	}
	dossier_oid_fmt(hex, &head);
	if (index_knows_commit(h->a, hex) ||
	    !journal_next(h->a, 0, 1, 0, 0, &e))
		return;
	dossier_log(LOG_NOTICE, "history: indexing commit %s made before a "
		    "crash", hex);
	/* a move is committed again: the tree is the same */
	if (strcmp(e.op, "move") && index_head(h, &e, &head) == 0 && e.spool)
		unlinkat(h->spoolfd, e.spool, 0);
	entry_release(&e);
	dossier_error_clear();
}

/*
 * How the last daemon ended: "running" in the catalog's meta table while
 * one serves, "clean" once it committed everything and stopped. Returns
 * 1 if the last one stopped cleanly, and marks this
 * one as running. An archive of an older version has no such row: as
 * after a crash, its differences are "recovered".
 */
static int last_stop_clean(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int clean = 0;

	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT value FROM meta WHERE key = "
			       "'daemon'", &st) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		clean = !strcmp((const char *)sqlite3_column_text(st, 0),
				"clean");
	sqlite3_finalize(st);
	if (archive_exec(a, "INSERT OR REPLACE INTO meta(key, value) "
			 "VALUES('daemon', ?)", "t", "running") < 0)
		dossier_error_clear();
	pthread_mutex_unlock(&a->lock);
	return clean;
}

void recovery_mark_clean(struct dossier_archive *a)
{
	pthread_mutex_lock(&a->lock);
	if (archive_exec(a, "INSERT OR REPLACE INTO meta(key, value) "
			 "VALUES('daemon', ?)", "t", "clean") < 0)
		dossier_error_clear();
	pthread_mutex_unlock(&a->lock);
}

/*
 * A record's content file is gone from the store: nothing to commit, but
 * the archive's keepers must hear of it (reads fail with EIO meanwhile).
 */
static void content_missing(struct dossier_history *h, uint64_t id)
{
	struct dossier_archive *a = h->a;
	char *path, detail[512];

	pthread_mutex_lock(&a->lock);
	path = archive_node_path(a, id);
	pthread_mutex_unlock(&a->lock);
	snprintf(detail, sizeof(detail), "content file of record %" PRIu64
		 " missing from the content store; restore a version with "
		 "'dossierctl restore PATH REV'", id);
	dossier_log(LOG_ERR, "history: '%s': %s", path ? path : "", detail);
	audit_record(a->audit, NULL, "content-missing", path, 0, 0, detail);
	free(path);
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int same_stat(const struct stat *a, int64_t mtime, int64_t size)
{
	return a->st_size == size && mtime_ns(a) == mtime;
}

/* Note record id, whose content has mtime and size now, to reconcile. */
static int recon_add(struct dossier_history *h, size_t *cap, uint64_t id,
		     int64_t mtime, int64_t size)
{
	if (h->nrecon == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct recon *nr = realloc(h->recon, ncap * sizeof(*nr));

		if (!nr)
			return -1;
		h->recon = nr;
		*cap = ncap;
	}
	h->recon[h->nrecon].id = id;
	h->recon[h->nrecon].mtime_ns = mtime;
	h->recon[h->nrecon].size = size;
	h->nrecon++;
	return 0;
}

/*
 * The stat of record id's content into cs (size -1: missing, said later);
 * -1 if it cannot be had.
 */
static int content_stat(struct dossier_archive *a, uint64_t id,
			struct stat *cs)
{
	char rel[64];

	content_relpath(rel, sizeof(rel), id);
	if (fstatat(a->contentfd, rel, cs, 0) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	cs->st_size = -1;
	cs->st_mtim.tv_sec = 0;
	cs->st_mtim.tv_nsec = 0;
	return 0;
}

/*
 * Content written but never saved (the daemon died before the close, or
 * the last closes were lost with the catalog's last transactions): note
 * the live records without a journal row whose content differs from the
 * stat of their last snapshot. Lock not held; before the mount serves,
 * so no user has changed anything yet.
 */
static void reconcile_select(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	h->recon_clean = last_stop_clean(a);
	pthread_mutex_lock(&a->lock);
	rc = dossier_db_prepare(a->db, "SELECT id, snap_mtime_ns, snap_size "
				"FROM node WHERE kind = 5 AND scratch = 0 AND "
				"deleted_ns IS NULL AND id NOT IN (SELECT "
				"record FROM journal)", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		struct stat cs;

		if (content_stat(a, id, &cs) < 0)
			continue;
		if (cs.st_size >= 0 &&
		    sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    same_stat(&cs, sqlite3_column_int64(st, 1),
			      sqlite3_column_int64(st, 2)))
			continue;
		if (recon_add(h, &cap, id, mtime_ns(&cs), cs.st_size) < 0)
			break;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
}

/*
 * Hash r's content into blob if it still has the stat noted before the
 * mount served. DOSSIER_EBUSY: changed since, or while hashed (a user is
 * at it, and their save records it).
 */
static int hash_noted(struct dossier_history *h, const struct recon *r,
		      struct dossier_oid *blob)
{
	struct stat before, after;
	char rel[64];
	int fd, rc;

	content_relpath(rel, sizeof(rel), r->id);
	fd = openat(h->a->contentfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && r->size < 0)
			content_missing(h, r->id);
		return DOSSIER_ENOTFOUND;
	}
	history_git_lock(h);
	rc = fstat(fd, &before) < 0 ||
	     !same_stat(&before, r->mtime_ns, r->size) ? DOSSIER_EBUSY :
	     dossier_git_blob_from_fd(h->git, fd, blob, NULL);
	history_git_unlock(h);
	if (rc == 0 && (fstat(fd, &after) < 0 ||
			!same_stat(&after, r->mtime_ns, r->size)))
		rc = DOSSIER_EBUSY;
	close(fd);
	return rc;
}

/*
 * Journal r's content (blob bhex) as changed before a crash, or if the
 * last daemon stopped cleanly (clean) as altered outside the archive:
 * by someone with access to the store, committed with no author, logged
 * as an error and audited, never passed off as a save. Not if r got a
 * journal row meanwhile (its save records it).
 */
static void journal_changed(struct dossier_history *h, const struct recon *r,
			    const char *bhex, int clean)
{
	const struct dossier_caller nobody = { (uid_t)-1, (gid_t)-1, 0 };
	struct dossier_archive *a = h->a;
	char *path;
	int busy;

	pthread_mutex_lock(&a->lock);
	busy = journal_busy(a, r->id);
	path = archive_node_path(a, r->id);
	if (!busy)
		archive_journal(a, r->id, clean ? "altered" : "recovered",
				path, NULL, NULL, bhex, &nobody,
				clean ? "content changed outside dossierfs "
				"(found at mount)" :
				"content changed before a crash",
				dossier_clock_ns());
	pthread_mutex_unlock(&a->lock);
	if (!busy && clean) {
		dossier_log(LOG_ERR, "history: '%s' (record %" PRIu64 ") was "
			    "changed outside dossierfs: committed as "
			    "'altered', author unknown", path ? path : "",
			    r->id);
		audit_record(a->audit, NULL, "altered", path, 0, 0,
			     "content changed outside dossierfs");
	} else if (!busy) {
		dossier_log(LOG_NOTICE, "history: record %" PRIu64
			    " recovered after a crash", r->id);
	}
	free(path);
}

/* Compare r's content with its last version; journal a difference. */
static void reconcile_one(struct dossier_history *h, const struct recon *r)
{
	struct dossier_oid blob;
	struct held held;
	char bhex[41];
	int same;

	if (hash_noted(h, r, &blob) < 0 ||
	    index_held(h->a, r->id, &held) < 0) {
		dossier_error_clear();
		return;
	}
	dossier_oid_fmt(bhex, &blob);
	same = held.hist_blob && !strcmp(held.hist_blob, bhex);
	held_release(&held);
	if (!same)
		journal_changed(h, r, bhex, h->recon_clean);
}

void recovery_reconcile(struct dossier_history *h)
{
	size_t i;

	for (i = 0; i < h->nrecon; i++)
		reconcile_one(h, &h->recon[i]);
	free(h->recon);
	h->recon = NULL;
	h->nrecon = 0;
}

/*
 * Snapshots no journal entry names: a crash between taking the snapshot
 * and journaling it (that close never returned). Only before the
 * committer starts, when nothing else writes the spool.
 */
static void sweep_spool(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	struct dirent *de;
	DIR *d = NULL;
	int fd = dup(h->spoolfd);

	if (fd >= 0 && !(d = fdopendir(fd)))
		close(fd);
	if (!d)
		return;
	pthread_mutex_lock(&a->lock);
	dossier_db_prepare(a->db, "SELECT 1 FROM journal WHERE spool = ?1",
			   &st);
	while (st && (de = readdir(d))) {
		int used;

		if (de->d_name[0] == '.')
			continue;
		sqlite3_bind_text(st, 1, de->d_name, -1, SQLITE_STATIC);
		used = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!used && unlinkat(h->spoolfd, de->d_name, 0) == 0)
			dossier_log(LOG_INFO, "history: removed unjournaled "
				    "snapshot '%s'", de->d_name);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	closedir(d);
}

int recovery_prepare(struct dossier_history *h)
{
	int rc;

	/* refs a crash kept from moving to commits already indexed */
	if ((rc = index_apply_refs(h)) < 0)
		return rc;
	heal_head(h);
	/* before anyone may write a snapshot that no row names yet */
	sweep_spool(h);
	/* before anyone may write: what differs now is not theirs */
	reconcile_select(h);
	h->recover_upto = journal_last_seq(h->a);
	return 0;
}
