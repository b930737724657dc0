/*
 * The version index (table version, docs/design.md "The version
 * index"): each commit is indexed in the catalog transaction that forgets
 * its journal row and notes the refs it moves (ref_pending); the refs move
 * after, so they never point past the index. Also what the repository
 * holds per record (node.hist_path, hist_rec, hist_blob).
 */
#include "history_priv_i.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_i.h"
#include "archive_i.h"
#include "db_i.h"
#include "error.h"

void held_release(struct held *x)
{
	free(x->hist_path);
	free(x->hist_rec);
	free(x->hist_blob);
	memset(x, 0, sizeof(*x));
}

int index_held(struct dossier_archive *a, uint64_t record, struct held *out)
{
	sqlite3_stmt *st = NULL;
	int rc = DOSSIER_ENOTFOUND;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "SELECT hist_path, hist_rec, hist_blob "
			       "FROM node WHERE id = ?1", &st) == 0) {
		int src;

		sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
		src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			out->hist_path = history_col_dup(st, 0);
			out->hist_rec = history_col_dup(st, 1);
			out->hist_blob = history_col_dup(st, 2);
			rc = 0;
		} else if (src != SQLITE_DONE) {
			/* not "gone": a busy or failing catalog; try later */
			rc = dossier_db_err(a->db, src, "read record history");
		}
	} else {
		rc = DOSSIER_ERROR;
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void moved_release(struct moved *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->paths[i]);
	free(m->paths);
	free(m->ids);
	free(m->targets);
	memset(m, 0, sizeof(*m));
}

/* Room in m for one more record. */
static int moved_grow(struct moved *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	void *p;

	if (m->n < m->cap)
		return 0;
	if ((p = realloc(m->ids, cap * sizeof(*m->ids))))
		m->ids = p;
	if (p && (p = realloc(m->paths, cap * sizeof(*m->paths))))
		m->paths = p;
	if (p && (p = realloc(m->targets, cap * sizeof(*m->targets))))
		m->targets = p;
	if (!p) {
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	m->cap = cap;
	return 0;
}

/* Add the record of row st (id, hist_path, hist_rec) to m. */
static int moved_add(struct moved *m, sqlite3_stmt *st, size_t plen,
		     const char *new_path)
{
	const char *hp = (const char *)sqlite3_column_text(st, 1);
	size_t len = strlen(new_path) + strlen(hp + plen) + 1;
	char *path;
	int rc;

	if ((rc = moved_grow(m)) < 0)
		return rc;
	if (!(path = malloc(len))) {
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	snprintf(path, len, "%s%s", new_path, hp + plen);
	m->ids[m->n] = (uint64_t)sqlite3_column_int64(st, 0);
	m->paths[m->n] = path;
	dossier_oid_parse(&m->targets[m->n],
			  (const char *)sqlite3_column_text(st, 2));
	m->n++;
	return 0;
}

int index_moved_below(struct dossier_archive *a, const char *old_path,
		      const char *new_path, struct moved *out)
{
	sqlite3_stmt *st = NULL;
	size_t plen = strlen(old_path);
	int rc;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&a->lock);
	rc = dossier_db_prepare(a->db, "SELECT id, hist_path, hist_rec FROM "
				"node WHERE hist_rec IS NOT NULL AND "
				"substr(hist_path, 1, ?2) = ?1 || '/'", &st);
	if (rc == 0) {
		sqlite3_bind_text(st, 1, old_path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)plen + 1);
	}
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = moved_add(out, st, plen, new_path);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/*
 * The refs a commit moves, noted in the transaction that indexes it
 * (lock held); index_apply_refs moves them.
 */
static int note_refs(struct dossier_archive *a, uint64_t record,
		     const char *commit, const char *rec)
{
	int rc = archive_exec(a, "INSERT OR REPLACE INTO ref_pending(record, "
			      "oid) VALUES(0, ?)", "t", commit);

	if (rc == 0 && rec)
		rc = archive_exec(a, "INSERT OR REPLACE INTO ref_pending("
				  "record, oid) VALUES(?, ?)", "it",
				  (int64_t)record, rec);
	return rc;
}

/* A ref to move: record's (0: main's) to id. */
struct ref_note {
	uint64_t record;
	struct dossier_oid id;
};

/* The refs noted, into *out (caller frees). Lock taken. */
static int read_ref_notes(struct dossier_archive *a, struct ref_note **out,
			  size_t *n)
{
	sqlite3_stmt *st = NULL;
	struct ref_note *v = NULL;
	size_t cap = 0;
	int rc;

	*n = 0;
	pthread_mutex_lock(&a->lock);
	rc = archive_stmt(a, "SELECT record, oid FROM ref_pending", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			void *nv;

			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = DOSSIER_ERROR;
				dossier_error_set("out of memory");
				break;
			}
			v = nv;
		}
		v[*n].record = (uint64_t)sqlite3_column_int64(st, 0);
		if (dossier_oid_parse(&v[*n].id, (const char *)
				      sqlite3_column_text(st, 1)) == 0)
			(*n)++;
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	*out = v;
	return rc;
}

int index_load_tips(struct dossier_history *h)
{
	struct ref_note *v = NULL;
	size_t n, i;
	int rc;

	rc = read_ref_notes(h->a, &v, &n);
	history_git_lock(h);
	for (i = 0; rc == 0 && i < n; i++)
		rc = dossier_git_batch_tip(h->git, v[i].record, &v[i].id);
	history_git_unlock(h);
	free(v);
	return rc;
}

int index_apply_refs(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	struct ref_note *v = NULL;
	size_t n, i;
	int rc;

	rc = read_ref_notes(a, &v, &n);
	history_git_lock(h);
	for (i = 0; rc == 0 && i < n; i++)
		rc = dossier_git_set_ref(h->git, v[i].record, &v[i].id);
	history_git_unlock(h);
	free(v);
	if (rc == 0 && n) {
		pthread_mutex_lock(&a->lock);
		rc = archive_exec(a, "DELETE FROM ref_pending", "");
		pthread_mutex_unlock(&a->lock);
	}
	return rc;
}

/* COMMIT if rc is 0, else ROLLBACK. Lock held. */
static int end_transaction(struct dossier_archive *a, int rc)
{
	if (rc == 0)
		return dossier_db_exec(a->db, "COMMIT");
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* A row of the version index, for entry e. */
struct version_row {
	uint64_t record;
	const char *path;
	const char *commit;	/* hex, as the rest */
	const char *rec;	/* a content version's per-record commit */
	const char *blob;	/* a content version's blob */
	int64_t size;		/* of blob */
};

/* Add v for e (its author, op, program, reason, time); id: its id. */
static int insert_version(struct dossier_archive *a, const struct entry *e,
			  const char *author, const struct version_row *v,
			  int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = archive_stmt(a, "INSERT INTO version(record, "
			       "commit_oid, rec_commit, blob, size, "
			       "author_uid, author, op, path, program,"
			       " reason, time_ns) VALUES(?1, ?2, ?3, "
			       "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
			       &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)v->record);
	sqlite3_bind_text(st, 2, v->commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, v->rec, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, v->blob, -1, SQLITE_STATIC);
	if (v->blob)
		sqlite3_bind_int64(st, 5, v->size);
	sqlite3_bind_int64(st, 6, e->uid);
	sqlite3_bind_text(st, 7, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, e->op, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, v->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, e->program, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, e->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, e->time_ns);
	rc = dossier_db_step_done(a->db, st, "index version");
	*id = sqlite3_last_insert_rowid(a->db);
	archive_stmt_done(st);
	return rc;
}

/*
 * What the repository holds for record now: at path (NULL: nothing in
 * main's tree), and rec and blob unless NULL. Lock held.
 */
static int node_holds(struct dossier_archive *a, uint64_t record,
		      const char *path, const char *rec, const char *blob)
{
	return archive_exec(a, "UPDATE node SET hist_path = ?2,"
			    " hist_rec = coalesce(?3, hist_rec), "
			    "hist_blob = coalesce(?4, hist_blob) "
			    "WHERE id = ?1", "ittt", (int64_t)record, path, rec,
			    blob);
}

/* e is done: forget its row and note the refs it moves. Lock held. */
static int entry_indexed(struct dossier_archive *a, const struct entry *e,
			 const struct version_row *v)
{
	int rc = journal_done(a, e->seq);

	if (rc == 0)
		rc = note_refs(a, e->record, v->commit, v->rec);
	return rc;
}

int index_begin(struct dossier_history *h)
{
	int rc;

	pthread_mutex_lock(&h->a->lock);
	if ((rc = dossier_db_exec(h->a->db, "BEGIN IMMEDIATE")) < 0)
		pthread_mutex_unlock(&h->a->lock);
	return rc;
}

int index_end(struct dossier_history *h, int rc, int versions)
{
	const struct history_hooks *k = &h->hooks;

	rc = end_transaction(h->a, rc);
	if (rc == 0 && versions && k->versions_committed)
		k->versions_committed(k->ctx);
	pthread_mutex_unlock(&h->a->lock);
	return rc;
}

int index_add(struct dossier_history *h, const struct entry *e,
	      const char *author, const struct dossier_oid *commit,
	      const struct dossier_oid *rec, const char *blob, int64_t size,
	      const char *new_path)
{
	const struct history_hooks *k = &h->hooks;
	struct dossier_archive *a = h->a;
	char chex[41], rhex[41];
	struct version_row v = {
		e->record, e->path ? e->path : e->old_path ? e->old_path : "",
		chex, rec ? rhex : NULL, blob, size
	};
	int64_t id = 0;
	int rc;

	dossier_oid_fmt(chex, commit);
	if (rec)
		dossier_oid_fmt(rhex, rec);
	rc = insert_version(a, e, author, &v, &id);
	/* a content version: the layers above take it up (its text) */
	if (rc == 0 && blob && k->version_indexed)
		rc = k->version_indexed(k->ctx, id, e->record);
	if (rc == 0)
		rc = node_holds(a, e->record, new_path, v.rec, blob);
	if (rc == 0)
		rc = entry_indexed(a, e, &v);
	return rc;
}

int index_commit(struct dossier_history *h, const struct entry *e,
		 const char *author, const struct dossier_oid *commit,
		 const struct dossier_oid *rec, const char *blob,
		 int64_t size, const char *new_path)
{
	int rc;

	if ((rc = index_begin(h)) < 0)
		return rc;
	rc = index_add(h, e, author, commit, rec, blob, size, new_path);
	return index_end(h, rc, blob != NULL);
}

int index_move(struct dossier_archive *a, const struct entry *e,
	       const char *author, const struct dossier_oid *commit,
	       const struct moved *m)
{
	struct version_row v = { 0, NULL, NULL, NULL, NULL, 0 };
	char chex[41];
	int64_t id;
	size_t i;
	int rc;

	dossier_oid_fmt(chex, commit);
	v.commit = chex;
	pthread_mutex_lock(&a->lock);
	rc = dossier_db_exec(a->db, "BEGIN IMMEDIATE");
	for (i = 0; rc == 0 && i < m->n; i++) {
		v.record = m->ids[i];
		v.path = m->paths[i];
		rc = node_holds(a, v.record, v.path, NULL, NULL);
		if (rc == 0)
			rc = insert_version(a, e, author, &v, &id);
	}
	if (rc == 0)
		rc = entry_indexed(a, e, &v);
	rc = end_transaction(a, rc);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int index_find_blob(struct dossier_archive *a, uint64_t record,
		    const char *blob_hex, char *commit)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "SELECT commit_oid FROM version WHERE record = ?1"
			       " AND blob = ?2 ORDER BY id DESC LIMIT 1",
			 &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
		sqlite3_bind_text(st, 2, blob_hex, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(commit, 41, "%s",
				 (const char *)sqlite3_column_text(st, 0));
			found = 1;
		}
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	return found;
}

int index_knows_commit(struct dossier_archive *a, const char *commit_hex)
{
	sqlite3_stmt *st = NULL;
	int known = 0;

	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT 1 FROM version WHERE "
			       "commit_oid = ?1 LIMIT 1", &st) == 0) {
		sqlite3_bind_text(st, 1, commit_hex, -1, SQLITE_STATIC);
		known = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	return known;
}
