/*
 * dossierctl verify: the checks of backup.h's dossier_verify(), run on a
 * stage (catalog snapshot and the objects of that moment) plus the
 * archive's current content files.
 */
#include "backup.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive_i.h"
#include "db_i.h"
#include "error.h"
#include "gitstore.h"

/* a content file changed this recently on a mounted archive is at work */
#define BUSY_NS ((int64_t)300 * 1000000000)
/* the first lines of integrity_check worth printing */
#define INTEGRITY_MAX 20

struct bad {
	char hex[41];
	char why[200];
	int said;		/* a problem named its record */
};

struct verify;
static void say(void (*fn)(void *arg, const char *line), void *arg,
		const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

struct verify {
	const struct dossier_verify_out *out;
	const struct dossier_progress *progress;
	uint64_t problems;
	sqlite3 *db;
	struct dossier_git *git;
	struct bad *bad;	/* unreadable objects, sorted by hex */
	size_t nbad, abad;
	int64_t stage_ns;
};

static void say(void (*fn)(void *arg, const char *line), void *arg,
		const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (fn)
		fn(arg, line);
}

static void problem(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	v->problems++;
	va_start(ap, fmt);
	say(v->out->problem, v->out->arg, fmt, ap);
	va_end(ap);
}

static void notef(struct verify *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void notef(struct verify *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(v->out->note, v->out->arg, fmt, ap);
	va_end(ap);
}

static void progress(struct verify *v, const char *phase, uint64_t done,
		     uint64_t total)
{
	if (v->progress && v->progress->fn)
		v->progress->fn(v->progress->arg, phase, done, total);
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void iso(char *out, size_t outsz, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

#define RESTORE_CATALOG "stop the mount, keep a copy of catalog.db for " \
	"investigation and restore the catalog from the last backup " \
	"('dossierctl restore-backup', then copy its catalog.db)"
#define RESTORE_HISTORY "restore history.git from the last backup " \
	"('dossierctl restore-backup' into a new folder, then copy its " \
	"history.git/objects over the damaged ones, the mount stopped)"

/* ---- the catalog ---- */

static void check_catalog(struct verify *v)
{
	sqlite3_stmt *st = NULL;
	int n = 0;

	progress(v, "catalog", 0, 0);
	if (sqlite3_prepare_v2(v->db, "PRAGMA integrity_check", -1, &st,
			       NULL) != SQLITE_OK) {
		problem(v, "The catalog cannot be checked (%s): it is damaged; "
			"%s.", sqlite3_errmsg(v->db), RESTORE_CATALOG);
		sqlite3_finalize(st);
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW && n < INTEGRITY_MAX) {
		if (!strcmp(col(st, 0), "ok"))
			break;
		problem(v, "The catalog is damaged (integrity_check: %s); %s.",
			col(st, 0), RESTORE_CATALOG);
		n++;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(v->db, "PRAGMA foreign_key_check", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		problem(v, "Catalog row %" PRId64 " of table '%s' refers to a "
			"missing row of '%s' (foreign key): the catalog was "
			"changed outside dossierfs; %s.",
			(int64_t)sqlite3_column_int64(st, 1), col(st, 0),
			col(st, 2), RESTORE_CATALOG);
	sqlite3_finalize(st);
}

/* ---- objects ---- */

static int badcmp(const void *x, const void *y)
{
	return strcmp(((const struct bad *)x)->hex,
		      ((const struct bad *)y)->hex);
}

static void bad_object(void *arg, const char *hex, const char *why)
{
	struct verify *v = arg;

	if (!hex[0]) {
		problem(v, "history.git cannot be read completely (%s); %s.",
			why, RESTORE_HISTORY);
		return;
	}
	if (v->nbad == v->abad) {
		size_t a = v->abad ? 2 * v->abad : 16;
		struct bad *nv = realloc(v->bad, a * sizeof(*nv));

		if (!nv)
			return;
		v->bad = nv;
		v->abad = a;
	}
	snprintf(v->bad[v->nbad].hex, sizeof(v->bad[0].hex), "%s", hex);
	snprintf(v->bad[v->nbad].why, sizeof(v->bad[0].why), "%s", why);
	v->bad[v->nbad].said = 0;
	v->nbad++;
}

/* The damage of object hex, if it is damaged (it is then said). */
static const char *damaged(struct verify *v, const char *hex)
{
	struct bad key, *b;

	snprintf(key.hex, sizeof(key.hex), "%s", hex);
	b = v->nbad ? bsearch(&key, v->bad, v->nbad, sizeof(key), badcmp) :
		      NULL;
	if (!b)
		return NULL;
	b->said = 1;
	return b->why;
}

/* Damaged objects no version names (trees, main commits). */
static void report_unnamed(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->nbad; i++)
		if (!v->bad[i].said)
			problem(v, "History object %s is damaged (%s); %s.",
				v->bad[i].hex, v->bad[i].why, RESTORE_HISTORY);
}

/* ---- the version index against the repository ---- */

/* A version row, as check_version reads it. */
struct vrow {
	int64_t id, record, t;
	const char *commit, *rec, *blob, *author, *op, *path;
	char when[32];
};

static void vrow_read(struct vrow *r, sqlite3_stmt *st)
{
	r->id = sqlite3_column_int64(st, 0);
	r->record = sqlite3_column_int64(st, 1);
	r->commit = col(st, 2);
	r->rec = col(st, 3);
	r->blob = col(st, 4);
	r->author = col(st, 6);
	r->op = col(st, 7);
	r->path = col(st, 8);
	r->t = sqlite3_column_int64(st, 9);
	iso(r->when, sizeof(r->when), r->t);
}

/* Is an object r names damaged? 1 if so (said). */
static int version_damaged(struct verify *v, const struct vrow *r)
{
	const char *what = NULL, *hex = NULL, *why;

	if ((why = damaged(v, r->commit)))
		what = "commit", hex = r->commit;
	else if (r->rec[0] && (why = damaged(v, r->rec)))
		what = "record commit", hex = r->rec;
	else if (r->blob[0] && (why = damaged(v, r->blob)))
		what = "content (blob", hex = r->blob;
	if (!what)
		return 0;
	problem(v, "Version %" PRId64 " of record %" PRId64 " '%s' (%s %s by "
		"%s): its %s %.7s%s is damaged in history.git (%s); %s.",
		r->id, r->record, r->path, r->op, r->when, r->author, what, hex,
		strcmp(what, "content (blob") ? "" : ")", why, RESTORE_HISTORY);
	return 1;
}

/*
 * Does r's own commit say what r says (author, time, op, path)? 1 if so.
 * Its own is its record's commit when it has one: main's commit may hold
 * a whole batch of changes, by several users.
 */
static int commit_agrees(struct verify *v, const struct vrow *r)
{
	struct dossier_git_commit_info ci;
	struct dossier_oid oid;
	const char *own = r->rec[0] ? r->rec : r->commit;
	char want[1200], cwhen[32];
	int rc;

	if (dossier_oid_parse(&oid, own) < 0) {
		dossier_error_clear();
		problem(v, "Version %" PRId64 " of record %" PRId64 " '%s' "
			"(%s) names no valid commit ('%s'): the catalog row was "
			"changed outside dossierfs; %s.", r->id, r->record,
			r->path, r->when, own, RESTORE_CATALOG);
		return 0;
	}
	rc = dossier_git_commit_info(v->git, &oid, &ci);
	dossier_error_clear();
	if (rc < 0) {
		problem(v, "Version %" PRId64 " of record %" PRId64
			" '%s' (%s %s by %s): its commit %.7s is %s "
			"history.git; %s.", r->id, r->record, r->path, r->op,
			r->when, r->author, own,
			rc == DOSSIER_ENOTFOUND ? "missing from" :
			"unreadable in", RESTORE_HISTORY);
		return 0;
	}
	snprintf(want, sizeof(want), "%s %s\n", r->op, r->path);
	if (!strcmp(ci.author, r->author) && ci.when == r->t / 1000000000 &&
	    !strncmp(ci.message, want, strlen(want)))
		return 1;
	iso(cwhen, sizeof(cwhen), ci.when * 1000000000);
	problem(v, "Version %" PRId64 " of record %" PRId64 " says "
		"'%s %s' by %s at %s, but its commit %.7s says '%.*s' "
		"by %s at %s: the catalog row was changed outside "
		"dossierfs; %s.", r->id, r->record, r->op, r->path, r->author,
		r->when, own, (int)strcspn(ci.message, "\n"),
		ci.message, ci.author, cwhen, RESTORE_CATALOG);
	return 0;
}

/*
 * A content version: its record commit holds the blob r names, of the
 * size the row says (column 5 of st; NULL: not said).
 */
static void check_content(struct verify *v, const struct vrow *r,
			  sqlite3_stmt *st)
{
	struct dossier_oid oid, blob;
	uint64_t size;
	char bh[41];
	int rc;

	if (dossier_oid_parse(&oid, r->rec) < 0 ||
	    dossier_git_record_blob(v->git, &oid, &blob) < 0) {
		dossier_error_clear();
		problem(v, "Version %" PRId64 " of record %" PRId64
			" '%s' (%s by %s): its record commit %.7s "
			"cannot be read from history.git; %s.", r->id,
			r->record, r->path, r->when, r->author, r->rec,
			RESTORE_HISTORY);
		return;
	}
	dossier_oid_fmt(bh, &blob);
	if (strcmp(bh, r->blob)) {
		problem(v, "Version %" PRId64 " of record %" PRId64 " '%s' "
			"(%s by %s) says its content is blob %.7s, but its "
			"commit %.7s holds %.7s: the catalog row was changed "
			"outside dossierfs; %s.", r->id, r->record, r->path,
			r->when, r->author, r->blob, r->rec, bh,
			RESTORE_CATALOG);
		return;
	}
	rc = dossier_git_blob_size(v->git, &blob, &size);
	dossier_error_clear();
	if (rc < 0) {
		problem(v, "Version %" PRId64 " of record %" PRId64
			" '%s' (%s by %s): its content (blob %.7s) is "
			"%s history.git; %s.", r->id, r->record, r->path,
			r->when, r->author, r->blob, rc == DOSSIER_ENOTFOUND ?
			"missing from" : "unreadable in", RESTORE_HISTORY);
	} else if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
		   (uint64_t)sqlite3_column_int64(st, 5) != size) {
		problem(v, "Version %" PRId64 " of record %" PRId64 " '%s' "
			"(%s) says %" PRId64 " bytes but its blob %.7s holds "
			"%" PRIu64 ": the catalog row was changed outside "
			"dossierfs; %s.", r->id, r->record, r->path, r->when,
			(int64_t)sqlite3_column_int64(st, 5), r->blob, size,
			RESTORE_CATALOG);
	}
}

/* One version row against its commits. */
static void check_version(struct verify *v, sqlite3_stmt *st)
{
	struct vrow r;

	vrow_read(&r, st);
	if (!version_damaged(v, &r) && commit_agrees(v, &r) && r.rec[0] &&
	    r.blob[0])
		check_content(v, &r, st);
}

static void check_versions(struct verify *v)
{
	sqlite3_stmt *st = NULL;
	uint64_t total = 0, done = 0;

	if (sqlite3_prepare_v2(v->db, "SELECT count(*) FROM version", -1,
			       &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		total = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(v->db, "SELECT id, record, commit_oid, "
			       "rec_commit, blob, size, author, op, path, "
			       "time_ns FROM version ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		check_version(v, st);
		progress(v, "versions", ++done, total);
	}
	sqlite3_finalize(st);
}

/* ---- records: last version, ref, current content ---- */

struct ref {
	uint64_t record;
	char hex[41];
};

static int refcmp(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;

	return a->record < b->record ? -1 : a->record > b->record;
}

static struct ref *load_refs(const char *stage, size_t *n)
{
	char path[PATH_MAX], line[128];
	struct ref *v = NULL;
	size_t cap = 0;
	FILE *f;

	*n = 0;
	snprintf(path, sizeof(path), "%s/refs.txt", stage);
	if (!(f = fopen(path, "re")))
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (*n == cap) {
			struct ref *nv;

			cap = cap ? 2 * cap : 256;
			if (!(nv = realloc(v, cap * sizeof(*v))))
				break;
			v = nv;
		}
		if (sscanf(line, "%" SCNu64 " %40s", &v[*n].record,
			   v[*n].hex) == 2)
			(*n)++;
	}
	fclose(f);
	if (*n)
		qsort(v, *n, sizeof(*v), refcmp);
	return v;
}

/* A record row, as check_record reads it. */
struct rrow {
	uint64_t id;
	const char *hrec, *hblob;	/* what the catalog says it holds */
	const char *path;
	const char *lblob, *lrec;	/* its last content version's */
	const char *lcommit;
	int deleted;
};

/* Does the repository's ref of r name the record commit r says? */
static void check_ref(struct verify *v, const struct rrow *r,
		      struct ref *refs, size_t nrefs)
{
	struct ref key, *ref;

	key.record = r->id;
	ref = nrefs ? bsearch(&key, refs, nrefs, sizeof(key), refcmp) : NULL;
	if (refs && r->hrec[0] &&
	    strcmp(r->hrec, "0000000000000000000000000000000000000000") &&
	    (!ref || strcmp(ref->hex, r->hrec)))
		problem(v, "Record %" PRIu64 " '%s': the repository's "
			"refs/records/%" PRIu64 " %s%.7s, but the "
			"catalog's last version is %.7s: the version "
			"index and the repository disagree; %s.", r->id,
			r->path, r->id, ref ? "points at " : "is missing",
			ref ? ref->hex : "", r->hrec, RESTORE_HISTORY);
}

/* r's content file against its last commit. */
static void check_content_file(struct verify *v, const struct rrow *r,
			       const char *archive, int mounted)
{
	char rel[64], cpath[PATH_MAX + 80], hex[41];
	const char *trashed = r->deleted ? " (in the trash)" : "";
	struct dossier_oid oid;
	struct stat sb;

	content_relpath(rel, sizeof(rel), r->id);
	snprintf(cpath, sizeof(cpath), "%s/content/%s", archive, rel);
	if (stat(cpath, &sb) < 0) {
		if (errno == ENOENT)
			problem(v, "Record %" PRIu64 " '%s'%s: its content "
				"file content/%s is missing; its last version "
				"is %.7s: put it back with 'dossierctl restore "
				"PATH %.7s --reason TEXT' (through the mount), "
				"or restore the file from a backup.", r->id,
				r->path, trashed, rel, r->lcommit, r->lcommit);
		else
			problem(v, "Record %" PRIu64 " '%s': its content file "
				"content/%s cannot be read (%s): check the "
				"disk.", r->id, r->path, rel, strerror(errno));
		return;
	}
	if (dossier_git_hash_file(cpath, &oid) < 0) {
		problem(v, "Record %" PRIu64 " '%s': its content file "
			"content/%s cannot be read (%s): check the disk.",
			r->id, r->path, rel, dossier_error_last());
		dossier_error_clear();
		return;
	}
	dossier_oid_fmt(hex, &oid);
	if (!strcmp(hex, r->hblob))
		return;
	if (mounted && (int64_t)sb.st_mtim.tv_sec * 1000000000 +
			       sb.st_mtim.tv_nsec > v->stage_ns - BUSY_NS) {
		notef(v, "Record %" PRIu64 " '%s' changed in the last minutes "
		      "and is not saved yet (open in an editor?): not "
		      "compared.", r->id, r->path);
		return;
	}
	problem(v, "Record %" PRIu64 " '%s'%s: its current content "
		"differs from its last committed version %.7s: "
		"something wrote the content store behind dossierfs, "
		"or the disk damaged it; keep a copy of content/%s "
		"and bring the committed bytes back with 'dossierctl "
		"restore PATH %.7s --reason TEXT'.", r->id, r->path, trashed,
		r->lcommit, rel, r->lcommit);
}

/* One record (a row of check_records' query): versions, ref, content. */
static void check_record(struct verify *v, sqlite3_stmt *st,
			 const char *archive, int mounted, struct ref *refs,
			 size_t nrefs)
{
	struct rrow r;

	r.id = (uint64_t)sqlite3_column_int64(st, 0);
	r.hrec = col(st, 1);
	r.hblob = col(st, 2);
	r.deleted = sqlite3_column_int(st, 3);
	r.path = col(st, 4);
	r.lblob = col(st, 5);
	r.lrec = col(st, 6);
	r.lcommit = col(st, 7);
	if (sqlite3_column_int(st, 8)) {
		notef(v, "Record %" PRIu64 " '%s' is being destroyed by a "
		      "purge that has not finished: the next purge completes "
		      "it.", r.id, r.path);
	} else if (sqlite3_column_int(st, 9)) {
		notef(v, "Record %" PRIu64 " '%s' has changes waiting to be "
		      "committed to history: not compared.", r.id, r.path);
	} else if (!r.hblob[0] && !r.lblob[0]) {
		if (!mounted)
			problem(v, "Record %" PRIu64 " '%s' has no version in "
				"history: mount the archive once (it records "
				"current content as a recovered change).",
				r.id, r.path);
	} else if (strcmp(r.hblob, r.lblob) ||
		   (r.lrec[0] && strcmp(r.hrec, r.lrec))) {
		problem(v, "Record %" PRIu64 " '%s' says its last content is "
			"%.7s (record commit %.7s) but its last version holds "
			"%.7s (%.7s): the catalog row was changed outside "
			"dossierfs; %s.", r.id, r.path, r.hblob, r.hrec,
			r.lblob, r.lrec, RESTORE_CATALOG);
	} else {
		check_ref(v, &r, refs, nrefs);
		check_content_file(v, &r, archive, mounted);
	}
}

/* Refs of records the catalog does not know. */
static void check_orphan_refs(struct verify *v, const struct ref *refs,
			      size_t nrefs)
{
	size_t i;

	for (i = 0; i < nrefs; i++) {
		sqlite3_stmt *q = NULL;
		int known = 1;

		if (!refs[i].record)
			continue;
		if (sqlite3_prepare_v2(v->db, "SELECT 1 FROM node WHERE id = ?1 "
				       "UNION ALL SELECT 1 FROM trash_purging "
				       "WHERE record = ?1", -1, &q, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_int64(q, 1, (sqlite3_int64)refs[i].record);
			known = sqlite3_step(q) == SQLITE_ROW;
		}
		sqlite3_finalize(q);
		if (!known)
			problem(v, "The repository keeps refs/records/%" PRIu64
				" but the catalog has no record %" PRIu64 ": "
				"its row was deleted outside dossierfs (or the "
				"repository is from another archive); %s.",
				refs[i].record, refs[i].record,
				RESTORE_CATALOG);
	}
}

static void check_records(struct verify *v, const char *archive, int mounted,
			  struct ref *refs, size_t nrefs)
{
	sqlite3_stmt *st = NULL;
	uint64_t total = 0, done = 0;

	if (sqlite3_prepare_v2(v->db, "SELECT count(*) FROM node WHERE kind = "
			       "5 AND scratch = 0", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		total = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* the last content version and the last version of each record */
	if (sqlite3_prepare_v2(v->db,
			       "SELECT n.id, n.hist_rec, n.hist_blob, "
			       "n.deleted_ns IS NOT NULL, "
			       "coalesce(n.hist_path, n.deleted_path, n.name), "
			       "(SELECT blob FROM version WHERE record = n.id "
			       " AND blob IS NOT NULL ORDER BY id DESC LIMIT 1),"
			       "(SELECT rec_commit FROM version WHERE record = "
			       " n.id AND rec_commit IS NOT NULL ORDER BY id "
			       " DESC LIMIT 1),"
			       "(SELECT commit_oid FROM version WHERE record = "
			       " n.id AND blob IS NOT NULL ORDER BY id DESC "
			       " LIMIT 1),"
			       "EXISTS(SELECT 1 FROM trash_purging WHERE "
			       " record = n.id), "
			       "EXISTS(SELECT 1 FROM journal WHERE record = "
			       " n.id) "
			       "FROM node n WHERE kind = 5 AND scratch = 0 "
			       "ORDER BY n.id", -1, &st, NULL) != SQLITE_OK) {
		problem(v, "The catalog's records cannot be read (%s); %s.",
			sqlite3_errmsg(v->db), RESTORE_CATALOG);
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		progress(v, "records", ++done, total);
		check_record(v, st, archive, mounted, refs, nrefs);
	}
	sqlite3_finalize(st);
	check_orphan_refs(v, refs, nrefs);
}

/* ---- append-only tables ---- */

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t r = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		r = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

/* Missing id ranges of table (ids from first on) as problems. */
static void check_gaps(struct verify *v, const char *table, const char *what,
		       int64_t first)
{
	char sql[512];
	sqlite3_stmt *st = NULL;

	snprintf(sql, sizeof(sql),
		 "SELECT %" PRId64 ", min(id) - 1 FROM %s HAVING min(id) > "
		 "%" PRId64 " UNION ALL "
		 "SELECT t.id + 1, (SELECT min(u.id) FROM %s u WHERE u.id > "
		 "t.id) - 1 FROM %s t WHERE t.id < (SELECT max(id) FROM %s) "
		 "AND NOT EXISTS (SELECT 1 FROM %s u WHERE u.id = t.id + 1)",
		 first, table, first, table, table, table, table);
	if (sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(st, 0);
		int64_t b = sqlite3_column_int64(st, 1);

		if (a == b)
			problem(v, "%s row %" PRId64 " is missing: it was "
				"deleted outside dossierfs; %s.", what, a,
				RESTORE_CATALOG);
		else
			problem(v, "%s rows %" PRId64 " to %" PRId64 " are "
				"missing: they were deleted outside dossierfs; "
				"%s.", what, a, b, RESTORE_CATALOG);
	}
	sqlite3_finalize(st);
}

static void check_append_only(struct verify *v)
{
	static const char *const triggers[] = {
		"audit_no_update", "audit_no_delete",
		"destruction_register_no_update",
		"destruction_register_no_delete",
	};
	char sql[256];
	int64_t seq, max;
	size_t i;

	progress(v, "audit", 0, 0);
	for (i = 0; i < sizeof(triggers) / sizeof(triggers[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_schema "
			 "WHERE type = 'trigger' AND name = '%s'", triggers[i]);
		if (one_int(v->db, sql) != 1)
			problem(v, "The catalog's trigger '%s' that keeps the "
				"%s append-only is gone: someone removed it "
				"outside dossierfs; %s.", triggers[i],
				strncmp(triggers[i], "audit", 5) ?
				"destruction register" : "audit trail",
				RESTORE_CATALOG);
	}
	check_gaps(v, "destruction_register", "Destruction register", 1);
	/* rows deleted at the end leave no gap but the sequence knows */
	seq = one_int(v->db, "SELECT seq FROM sqlite_sequence WHERE name = "
			     "'destruction_register'");
	max = one_int(v->db, "SELECT coalesce(max(id), 0) FROM "
			     "destruction_register");
	if (seq > max)
		problem(v, "Destruction register rows %" PRId64 " to %" PRId64
			" (the last ones) are missing: they were deleted "
			"outside dossierfs; %s.", max + 1, seq,
			RESTORE_CATALOG);
	check_gaps(v, "audit", "Audit trail", 1);
}

int dossier_verify(const char *archive, const char *stage, int mounted,
		   const struct dossier_verify_out *out,
		   const struct dossier_progress *progress_to,
		   uint64_t *problems)
{
	struct verify v;
	struct ref *refs = NULL;
	char path[PATH_MAX];
	uint64_t count = 0;
	size_t nrefs = 0;
	struct timespec ts;
	int rc = 0, src;

	memset(&v, 0, sizeof(v));
	v.out = out;
	v.progress = progress_to;
	clock_gettime(CLOCK_REALTIME, &ts);
	v.stage_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	snprintf(path, sizeof(path), "%s/catalog.db", stage);
	src = sqlite3_open_v2(path, &v.db, SQLITE_OPEN_READONLY |
			      SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK) {
		rc = dossier_db_err(v.db, src, path);
		goto out;
	}
	check_catalog(&v);
	snprintf(path, sizeof(path), "%s/history.git", stage);
	if ((rc = dossier_git_open(&v.git, path, 0)) < 0) {
		problem(&v, "history.git cannot be opened (%s); %s.",
			dossier_error_last(), RESTORE_HISTORY);
		dossier_error_clear();
		rc = 0;
	} else {
		progress(&v, "objects", 0, 0);
		dossier_git_check_objects(v.git, bad_object, &v, &count);
		if (v.nbad)
			qsort(v.bad, v.nbad, sizeof(v.bad[0]), badcmp);
		notef(&v, "%" PRIu64 " history objects read.", count);
		check_versions(&v);
		report_unnamed(&v);
		refs = load_refs(stage, &nrefs);
		check_records(&v, archive, mounted, refs, nrefs);
	}
	check_append_only(&v);
	if (one_int(v.db, "SELECT count(*) FROM journal") > 0)
		notef(&v, "Changes are waiting in the journal (the daemon did "
		      "not stop cleanly): the next mount commits them.");
out:
	*problems = v.problems;
	free(v.bad);
	free(refs);
	dossier_git_free(v.git);
	sqlite3_close(v.db);
	return rc;
}
