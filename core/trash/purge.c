/*
 * The purge: destroying the records whose trash period ended (git
 * objects, content, rows) and writing the destruction register, with a
 * crash finished by the next purge (trash_purging).
 */
#include "trash_priv_i.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access_i.h"
#include "audit_i.h"
#include "control_i.h"
#include "db_i.h"
#include "error.h"
#include "gitstore.h"
#include "history_i.h"
#include "log.h"
#include "rules_i.h"
#include "text_i.h"

static const struct dossier_caller daemon_caller = { 0, 0, 0 };

/* A record the purge destroys. */
struct doomed {
	uint64_t id;
	uint64_t parent;
	int level;
	int pending;		/* a purge had started on it */
	struct trash_deletion d;
	char approver[64];
	char *reason;		/* approval's, or NULL */
	struct dossier_oid *oids;	/* its commits and blobs, as indexed */
	size_t noids;
};

static void doomed_release(struct doomed *x)
{
	trash_deletion_release(&x->d);
	free(x->reason);
	free(x->oids);
	memset(x, 0, sizeof(*x));
}

/* Its commits and blobs as the version index knows them. Lock held. */
static int load_oids(struct dossier_archive *a, struct doomed *x)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc, i;

	if ((rc = dossier_db_prepare(a->db, "SELECT rec_commit, blob FROM "
				     "version WHERE record = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)x->id);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 2 && rc == 0; i++) {
			const char *hex = (const char *)sqlite3_column_text(st,
									   i);

			if (!hex)
				continue;
			if (x->noids == cap) {
				size_t c = cap ? cap * 2 : 16;
				struct dossier_oid *v = realloc(x->oids, c *
								sizeof(*v));

				if (!v) {
					rc = DOSSIER_ERROR;
					break;
				}
				x->oids = v;
				cap = c;
			}
			if (dossier_oid_parse(&x->oids[x->noids], hex) == 0)
				x->noids++;
			dossier_error_clear();
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static void report_line(struct dossier_buf *report, const char *what,
			const struct doomed *x, const char *detail)
{
	if (report)
		dossier_buf_addf(report, "%s\t%" PRIu64 "\t%s\t%s\n", what,
				 x->id, x->d.path, detail ? detail : "");
}

static void doomed_free(struct doomed *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		doomed_release(&v[i]);
	free(v);
}

/* A new slot at the end of *v (n used, *cap room). */
static struct doomed *doomed_add(struct doomed **v, size_t n, size_t *cap)
{
	if (n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct doomed *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[n], 0, sizeof((*v)[n]));
	return &(*v)[n];
}

/*
 * The deleted records whose trash period ended by ?1, and those a purge
 * had started on, oldest deletion first: node columns, then whether a
 * purge had started.
 */
#define DUE_TAIL                                                            \
	"id IN (SELECT record FROM trash_purging) FROM node WHERE kind = 5" \
	" AND deleted_ns IS NOT NULL AND (deleted_ns <= ?1 OR id IN"        \
	" (SELECT record FROM trash_purging)) ORDER BY deleted_ns, id"

/* The records of st (DUE_TAIL's rows) added to *out, *n. */
static int read_due(sqlite3_stmt *st, struct doomed **out, size_t *n)
{
	size_t cap = 0;
	struct node r;
	struct doomed *x;

	while (sqlite3_step(st) == SQLITE_ROW) {
		if (!(x = doomed_add(out, *n, &cap)))
			return DOSSIER_ERROR;
		archive_row_to_node(st, &r);
		x->id = r.id;
		x->parent = r.parent;
		x->level = r.level;
		x->pending = sqlite3_column_int(st, ARCHIVE_NODE_NCOLS);
		(*n)++;
	}
	return 0;
}

/*
 * Does x go? 1 yes, with its deletion facts, approval and objects loaded;
 * 0 no, reported: held, or at level need or above without an approval
 * (a record a purge had started on goes whatever). Lock held.
 */
static int judge(struct dossier_archive *a, struct doomed *x, int need,
		 struct dossier_buf *report)
{
	struct trash_hold h;
	char why[2048];
	int rc;

	if ((rc = trash_deletion_get(a, x->id, &x->d)) < 0)
		return rc;
	if (!x->pending && trash_find_hold(a, x->id, &h) > 0) {
		snprintf(why, sizeof(why), "legal hold %" PRId64 "%s%s: %s",
			 h.id, h.node != x->id ? " on " : "",
			 h.node != x->id ? h.path : "", h.reason);
		report_line(report, "held", x, why);
		return 0;
	}
	if (trash_find_approval(a, x->id, x->approver, sizeof(x->approver),
				&x->reason) == 0) {
		x->approver[0] = '\0';
		if (!x->pending && x->level >= need) {
			snprintf(why, sizeof(why), "%s: needs 'dossierctl "
				 "approve-destruction %" PRIu64 "'",
				 dossier_level_name(x->level), x->id);
			report_line(report, "unapproved", x, why);
			return 0;
		}
	}
	if ((rc = load_oids(a, x)) < 0)
		return rc;
	return 1;
}

/*
 * Note v's n records in trash_purging: from here a restore is refused and
 * a crash is finished by the next purge. Lock held.
 */
static int mark_purging(struct dossier_archive *a, const struct doomed *v,
			size_t n, int64_t now_ns)
{
	size_t i;
	int rc;

	if (n == 0 || (rc = archive_begin(a)) < 0)
		return n == 0 ? 0 : rc;
	for (i = 0; rc == 0 && i < n; i++)
		rc = archive_exec(a, "INSERT OR IGNORE INTO trash_purging("
				  "record, since_ns) VALUES(?, ?)", "ii",
				  (int64_t)v[i].id, now_ns);
	return archive_end(a, rc);
}

/*
 * The records to destroy now (and to finish), decided under the lock:
 * held ones and unapproved classified ones are reported and left. *out
 * belongs to the caller: doomed_free().
 */
static int select_doomed(struct dossier_archive *a, int64_t now_ns,
			 struct dossier_buf *report, struct doomed **out,
			 size_t *nout)
{
	struct doomed *v = NULL;
	sqlite3_stmt *st = NULL;
	size_t n = 0, i, keep = 0;
	int rc, need = trash_approval_level(a);

	*out = NULL;
	*nout = 0;
	if ((rc = trash_prepare_nodes(a, "", DUE_TAIL, now_ns -
				      trash_expiry_ns(0, trash_days(a)),
				      &st)) == 0)
		rc = read_due(st, &v, &n);
	sqlite3_finalize(st);
	if (rc < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = judge(a, &v[i], need, report)) < 0)
			goto out;
		if (rc == 0) {
			doomed_release(&v[i]);
			continue;
		}
		if (keep != i) {
			v[keep] = v[i];
			memset(&v[i], 0, sizeof(v[i]));
		}
		keep++;
	}
	if ((rc = mark_purging(a, v, keep, now_ns)) < 0)
		goto out;
	*out = v;
	*nout = keep;
	v = NULL;
	n = 0;
out:
	doomed_free(v, n);
	return rc;
}

/* The second component of a path ("2024/contracts/ACME/x" -> contracts). */
static void category_of(const char *path, char *out, size_t outsz)
{
	const char *s = strchr(path, '/'), *e;

	out[0] = '\0';
	if (!s)
		return;
	e = strchr(s + 1, '/');
	snprintf(out, outsz, "%.*s", (int)(e ? (size_t)(e - s - 1) :
					    strlen(s + 1)), s + 1);
}

/* The register row of x, destroyed at now_ns by who (NULL: the daemon). */
static int write_register(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct doomed *x, int64_t now_ns)
{
	char by[64], delby[64], cat[256], reason[600];
	const char *slash = strrchr(x->d.path, '/');
	int64_t versions;

	if (who)
		trash_user_name(a, who->uid, by, sizeof(by));
	else
		snprintf(by, sizeof(by), "dossierfs (daily purge)");
	trash_user_name(a, x->d.deleted_by, delby, sizeof(delby));
	category_of(x->d.path, cat, sizeof(cat));
	if (x->reason)
		snprintf(reason, sizeof(reason), "%s", x->reason);
	else
		snprintf(reason, sizeof(reason), "trash period of %d days "
			 "ended", trash_days(a));
	versions = trash_query_int(a, "SELECT count(*) FROM version WHERE "
				   "record = ?1 AND blob IS NOT NULL",
				   (int64_t)x->id, 0);
	return archive_exec(a, "INSERT INTO destruction_register(record, "
			    "name, path, level, category, versions, "
			    "deleted_ns, deleted_by, destroyed_ns, "
			    "destroyed_by, approved_by, reason) "
			    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			    "ittitiitittt", (int64_t)x->id,
			    slash ? slash + 1 : x->d.path, x->d.path,
			    (int64_t)x->level, cat[0] ? cat : NULL, versions,
			    x->d.deleted_ns, delby, now_ns, by,
			    x->approver[0] ? x->approver : NULL, reason);
}

/*
 * The spool files of record id's snapshots still waiting in the journal
 * (removed after COMMIT): *spools, *n belong to the caller.
 */
static int journal_spools(struct dossier_archive *a, uint64_t id,
			  char ***spools, size_t *n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dossier_db_prepare(a->db, "SELECT spool FROM journal WHERE "
				     "record = ?1 AND spool IS NOT NULL",
				     &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char **ns = realloc(*spools, (*n + 1) * sizeof(*ns));

		if (!ns)
			break;
		*spools = ns;
		(*spools)[(*n)++] = trash_col_dup(st, 0);
	}
	sqlite3_finalize(st);
	return 0;
}

/* The rows of record id that go after its journal's, in this order. */
static const char *const forget_sql[] = {
	"DELETE FROM version WHERE record = ?",
	"DELETE FROM xattr WHERE node = ?",
	"DELETE FROM destruction_approval WHERE record = ?",
	"DELETE FROM node WHERE id = ?",
	"DELETE FROM trash_purging WHERE record = ?",
};

/* Every row of record id. Lock held, in a transaction. */
static int delete_rows(struct dossier_archive *a, uint64_t id)
{
	size_t i;
	int rc;

	if ((rc = archive_exec(a, "DELETE FROM journal WHERE record = ?", "i",
			       (int64_t)id)) < 0)
		return rc;
	history_live_prune(a->history, id);
	if ((rc = text_forget_record(a, id)) < 0)
		return rc;
	for (i = 0; rc == 0 && i < sizeof(forget_sql) / sizeof(*forget_sql);
	     i++)
		rc = archive_exec(a, forget_sql[i], "i", (int64_t)id);
	return rc;
}

/*
 * The catalog half of destroying x: the register row and the end of every
 * row of the record, in one transaction. *spools, *nspools: the spool
 * files to remove once committed, the caller's. Lock held.
 */
static int forget_record(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct doomed *x, int64_t now_ns,
			 char ***spools, size_t *nspools)
{
	int rc;

	*spools = NULL;
	*nspools = 0;
	if ((rc = archive_begin(a)) < 0)
		return rc;
	if (!trash_is_purging(a, x->id)) {
		dossier_error_set("record %" PRIu64 " is no longer being "
				  "purged", x->id);
		rc = DOSSIER_EBUSY;
	}
	if (rc == 0)
		rc = write_register(a, who, x, now_ns);
	if (rc == 0)
		rc = journal_spools(a, x->id, spools, nspools);
	if (rc == 0)
		rc = delete_rows(a, x->id);
	if (rc == 0)
		rc = trash_prune_folders(a, x->parent);
	return archive_end(a, rc);
}

/* What destroy hands to history_quiesce. */
struct purge_git {
	struct dossier_history *h;
	const struct doomed *x;
};

/*
 * x's git objects: everything of refs/records/<id>, or what a crash left
 * of them. Run with the history quiet: the repack keeps what the refs
 * reach and deletes every other pack, so a batch the committer had
 * written but not yet given refs would go with them.
 */
static int purge_git(void *arg)
{
	struct purge_git *p = arg;
	struct dossier_git *git = history_git(p->h);
	int rc = dossier_git_purge_record(git, p->x->id);

	if (rc == DOSSIER_ENOTFOUND) {
		/* no ref: never committed, or a purge died after deleting it */
		dossier_error_clear();
		rc = p->x->noids ? dossier_git_purge_objects(git, p->x->oids,
							     p->x->noids) : 0;
	}
	return rc;
}

/*
 * Destroy x: its git objects, its content file, then its rows. Each step
 * can be done again: a failure leaves x in trash_purging for the next
 * purge.
 */
static int destroy(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct doomed *x, int64_t now_ns)
{
	struct purge_git pg = { a->history, x };
	char rel[64], tmp[96], **spools = NULL;
	size_t nspools = 0, i;
	int rc;

	/* a ref move still noted would bring the purged ref back */
	pthread_mutex_lock(&a->lock);
	rc = archive_exec(a, "DELETE FROM ref_pending WHERE record = ?", "i",
			  (int64_t)x->id);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc;
	if ((rc = history_quiesce(a->history, purge_git, &pg)) < 0)
		return rc;
	content_relpath(rel, sizeof(rel), x->id);
	snprintf(tmp, sizeof(tmp), "%s.restore", rel);
	unlinkat(a->contentfd, tmp, 0);
	if (unlinkat(a->contentfd, rel, 0) < 0 && errno != ENOENT) {
		int saverr = errno;

		dossier_error_set("cannot remove content of %" PRIu64 ": %s",
				  x->id, strerror(saverr));
		return dossier_err_from_errno(saverr);
	}
	pthread_mutex_lock(&a->lock);
	rc = forget_record(a, who, x, now_ns, &spools, &nspools);
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < nspools; i++) {
		if (rc == 0)
			history_discard_spool(a->history, spools[i]);
		free(spools[i]);
	}
	free(spools);
	return rc;
}

static void checkpoint_wal(struct dossier_archive *a)
{
	int src, log_frames = 0, done_frames = 0;

	pthread_mutex_lock(&a->lock);
	src = sqlite3_wal_checkpoint_v2(a->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					&log_frames, &done_frames);
	if (src != SQLITE_OK)
		dossier_log(LOG_WARNING, "purge: the catalog's write-ahead log "
			    "was not emptied (%s): purged rows may linger in it "
			    "until the next checkpoint", sqlite3_errmsg(a->db));
	pthread_mutex_unlock(&a->lock);
}

/* Destroy x and say so (report, audit, log); a failure is logged. */
static int purge_one(struct dossier_archive *a,
		     const struct dossier_caller *who, const struct doomed *x,
		     int64_t now_ns, struct dossier_buf *report)
{
	const struct dossier_caller *actor = who ? who : &daemon_caller;
	char detail[160];
	int rc;

	if ((rc = destroy(a, who, x, now_ns)) < 0) {
		dossier_log(LOG_ERR, "purge of record %" PRIu64 " ('%s') "
			    "failed, retried at the next purge: %s", x->id,
			    x->d.path, dossier_error_last());
		report_line(report, "failed", x, dossier_error_last());
		dossier_error_clear();
		return rc;
	}
	snprintf(detail, sizeof(detail), "%s%s%s",
		 dossier_level_name(x->level),
		 x->approver[0] ? ", approved by " : "", x->approver);
	report_line(report, "purged", x, detail);
	audit_record(a->audit, actor, "purge", x->d.path, 1, 0, detail);
	dossier_log(LOG_NOTICE, "purged record %" PRIu64 " '%s'", x->id,
		    x->d.path);
	return 0;
}

int trash_purge(struct dossier_archive *a, const struct dossier_caller *who,
		int64_t now_ns, struct dossier_buf *report, size_t *purged)
{
	struct doomed *v = NULL;
	size_t n = 0, i, done = 0;
	int rc;

	if (purged)
		*purged = 0;
	if (!a->history) {
		dossier_error_set("purging needs the archive's history: run it "
				  "through the mounted archive");
		return DOSSIER_EBUSY;
	}
	/* nothing of a doomed record may still be on its way to git */
	if ((rc = history_drain(a->history, 1)) < 0)
		return rc;
	/* nor linger in a snapshot an interrupted backup left */
	backup_sweep_stages(a);
	pthread_mutex_lock(&a->lock);
	rc = select_doomed(a, now_ns, report, &v, &n);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		if (purge_one(a, who, &v[i], now_ns, report) == 0)
			done++;
	doomed_free(v, n);
	/* older copies of the zeroed rows' pages are still in the WAL */
	if (done) {
		text_purged(a);
		checkpoint_wal(a);
	}
	if (purged)
		*purged = done;
	return done == n ? 0 : DOSSIER_ERROR;
}

int trash_register_rows(struct dossier_archive *a, struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	int rc, i;

	if ((rc = dossier_db_prepare(a->db, "SELECT id, destroyed_ns / "
				     "1000000000, record, name, path, level, "
				     "coalesce(category, ''), versions, "
				     "coalesce(deleted_ns / 1000000000, 0), "
				     "coalesce(deleted_by, ''), destroyed_by, "
				     "coalesce(approved_by, ''), reason FROM "
				     "destruction_register ORDER BY id",
				     &st)) < 0)
		return rc;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 13; i++) {
			const char *v = (const char *)sqlite3_column_text(st,
									  i);

			if (i == 5)
				v = dossier_level_name(sqlite3_column_int(st,
									  i));
			dossier_buf_addf(out, "%s%s", i ? "\t" : "",
					 v ? v : "");
		}
		dossier_buf_add(out, "\n", 1);
	}
	sqlite3_finalize(st);
	return 0;
}
