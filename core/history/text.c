/*
 * Text of records: the recognition queue and its worker, the full-text
 * index, and the requests that read them (text_i.h; docs/design.md,
 * "Text of records").
 */
#include "text_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "audit_i.h"
#include "control_i.h"
#include "db_i.h"
#include "error.h"
#include "extract.h"
#include "history_i.h"
#include "log.h"
#include "rules_i.h"
#include "access_i.h"
#include "archive_i.h"
#include "worker.h"

/* Give up on a version after this many failures that may pass. */
#define TEXT_TRIES 3
/* Blobs larger than this are not read into memory for their text. */
#define TEXT_BLOB_MAX (512LL * 1024 * 1024)
#define SEARCH_LIMIT_MAX 200
#define SEARCH_TERMS_MAX 8
#define SEARCH_QUERY_MAX 256
/*
 * A search's answer leaves at the next multiple of this from its start:
 * the work on hits the caller may not see (one lookup and one decision
 * each, ~10 us) is far below it.
 */
#define SEARCH_QUANTUM_NS (50LL * 1000000)

/*
 * Lock rules: the worker takes the archive's lock for catalog work and the history's git lock to read a
 * blob, never both at once, and holds neither while the tools run.
 */
struct dossier_text {
	struct dossier_archive *a;
	struct dossier_worker work;
	struct dossier_extract_job job;
};

/* One queued version, as the worker takes it. */
struct qitem {
	int64_t version;
	uint64_t record;
	char blob[41];
	int64_t size;
	int tries;
};

int text_queue_version(struct dossier_archive *a, int64_t version,
		       uint64_t record)
{
	int rc = archive_exec(a, "INSERT OR IGNORE INTO text_queue(version, "
			      "record, queued_ns) VALUES(?, ?, ?)", "iii",
			      version, (int64_t)record, dossier_clock_ns());

	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM text_index WHERE rowid = ?",
				  "i", (int64_t)record);
	return rc;
}

int text_forget_record(struct dossier_archive *a, uint64_t record)
{
	int rc = archive_exec(a, "DELETE FROM version_text WHERE record = ?",
			      "i", (int64_t)record);

	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM text_queue WHERE record = ?",
				  "i", (int64_t)record);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM text_index WHERE rowid = ?",
				  "i", (int64_t)record);
	return rc;
}

void text_purged(struct dossier_archive *a)
{
	pthread_mutex_lock(&a->lock);
	/* one segment, without the tombstoned rows' terms */
	if (archive_exec(a, "INSERT INTO text_index(text_index) "
			 "VALUES('optimize')", "") < 0) {
		dossier_log(LOG_WARNING, "purge: the text index was not "
			    "rewritten: %s", dossier_error_last());
		dossier_error_clear();
	}
	pthread_mutex_unlock(&a->lock);
}

/*
 * The rank of a hit: its matches per token of its own text. FTS5's bm25
 * weighs each word by how many rows of the whole index hold it, so the
 * order of two hits a caller may see would move with the text of records
 * they may not (two records of their own, each rich in one word, would
 * tell which word hidden records use more). This rank reads one row only.
 */
static void hit_density(const Fts5ExtensionApi *api, Fts5Context *fts,
			sqlite3_context *ctx, int n, sqlite3_value **v)
{
	int hits = 0, size = 0;

	(void)n;
	(void)v;
	if (api->xInstCount(fts, &hits) != SQLITE_OK ||
	    api->xColumnSize(fts, 0, &size) != SQLITE_OK) {
		sqlite3_result_error(ctx, "hit_density: no row", -1);
		return;
	}
	sqlite3_result_double(ctx, (double)hits / ((double)size + 64.0));
}

int text_db_init(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	int src = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);

	if (src == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (!api || api->iVersion < 2) {
		dossier_error_set("catalog: this SQLite has no FTS5");
		return DOSSIER_ERROR;
	}
	src = api->xCreateFunction(api, "hit_density", NULL, hit_density,
				   NULL);
	return src == SQLITE_OK ? 0 : dossier_db_err(db, src, "fts5 rank");
}

void text_kick(struct dossier_text *t)
{
	if (!t)
		return;
	dossier_worker_kick(&t->work);
}

/* Recognition is on unless the setting text-recognition says off. */
static int enabled(struct dossier_archive *a)
{
	char v[16];

	if (dossier_rules_setting_get(a->rules, "text-recognition", v,
				      sizeof(v)) < 0) {
		dossier_error_clear();
		return 1;
	}
	return strcmp(v, "off") != 0;
}

/*
 * Answer q from the text of the same record's identical bytes (a
 * restore, a save of unchanged content): 1 done, 0 none. Lock held.
 */
static int reuse(struct dossier_archive *a, const struct qitem *q)
{
	sqlite3_stmt *st = NULL;
	int64_t from = 0;
	int rc;

	if (archive_stmt(a, "SELECT t.version FROM version_text t JOIN "
			 "version v ON v.id = t.version WHERE t.record = ?1 "
			 "AND t.status = 0 AND v.blob = ?2 LIMIT 1", &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->record);
	sqlite3_bind_text(st, 2, q->blob, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		from = sqlite3_column_int64(st, 0);
	archive_stmt_done(st);
	if (!from)
		return 0;
	rc = archive_begin(a);
	if (rc == 0)
		rc = archive_exec(a, "INSERT OR REPLACE INTO version_text("
				  "version, record, status, method, pages, ms,"
				  " body, error, done_ns) SELECT ?, record, "
				  "status, method, 0, 0, body, error, ? FROM "
				  "version_text WHERE version = ?", "iii",
				  q->version, dossier_clock_ns(), from);
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM text_queue WHERE version = ?",
				  "i", q->version);
	if (rc == 0)
		rc = archive_exec(a, "INSERT INTO text_index(rowid, body, "
				  "version) SELECT record, body, version FROM "
				  "version_text WHERE version = ?1 AND body "
				  "<> '' AND version = (SELECT max(id) FROM "
				  "version WHERE record = ?2 AND blob IS NOT "
				  "NULL)", "ii", q->version,
				  (int64_t)q->record);
	if ((rc = archive_end(a, rc)) < 0) {
		dossier_log(LOG_WARNING, "text: %s", dossier_error_last());
		dossier_error_clear();
		return 0;
	}
	return 1;
}

/* The next queued version into q: 1 found, 0 none. Lock held. */
static int next_item(struct dossier_archive *a, struct qitem *q)
{
	sqlite3_stmt *st = NULL;
	int found;

	do {
		found = 0;
		if (archive_stmt(a, "SELECT q.version, q.record, v.blob, "
				 "v.size, q.tries FROM text_queue q LEFT JOIN "
				 "version v ON v.id = q.version ORDER BY "
				 "q.version LIMIT 1", &st) < 0)
			return 0;
		if (sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *b = sqlite3_column_text(st, 2);

			memset(q, 0, sizeof(*q));
			q->version = sqlite3_column_int64(st, 0);
			q->record = (uint64_t)sqlite3_column_int64(st, 1);
			snprintf(q->blob, sizeof(q->blob), "%s",
				 b ? (const char *)b : "");
			q->size = sqlite3_column_int64(st, 3);
			q->tries = sqlite3_column_int(st, 4);
			found = 1;
		}
		archive_stmt_done(st);
		if (!found)
			return 0;
		/* its version went (a purge in between): nothing to read */
		if (!q->blob[0]) {
			if (archive_exec(a, "DELETE FROM text_queue WHERE "
					 "version = ?", "i", q->version) < 0)
				return 0;
			continue;
		}
	} while (!q->blob[0] || reuse(a, q));
	return 1;
}

/*
 * Keep the outcome for q (a failure: error set, body NULL) and, when q
 * is its record's current version, put its text in the index. Nothing
 * is kept if q left the queue meanwhile (its record was purged).
 */
static int store(struct dossier_archive *a, const struct qitem *q,
		 int status, const struct dossier_extract_info *info,
		 const char *body, const char *error, int64_t ms)
{
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = archive_begin(a);
	if (rc == 0) {
		sqlite3_stmt *st = NULL;
		int queued = 0;

		if ((rc = archive_stmt(a, "SELECT 1 FROM text_queue WHERE "
				       "version = ?1", &st)) == 0) {
			sqlite3_bind_int64(st, 1, q->version);
			queued = sqlite3_step(st) == SQLITE_ROW;
			archive_stmt_done(st);
		}
		if (rc == 0 && !queued)
			rc = DOSSIER_ENOTFOUND;
	}
	if (rc == 0)
		rc = archive_exec(a, "INSERT OR REPLACE INTO version_text("
				  "version, record, status, method, pages, ms,"
				  " body, error, done_ns) VALUES(?, ?, ?, ?, "
				  "?, ?, ?, ?, ?)", "iiitiitti", q->version,
				  (int64_t)q->record, (int64_t)status,
				  info->method, (int64_t)info->pages, ms,
				  body, error, dossier_clock_ns());
	if (rc == 0)
		rc = archive_exec(a, "DELETE FROM text_queue WHERE version = ?",
				  "i", q->version);
	if (rc == 0 && status == 0 && body && body[0])
		rc = archive_exec(a, "INSERT INTO text_index(rowid, body, "
				  "version) SELECT ?1, ?2, ?3 WHERE ?3 = "
				  "(SELECT max(id) FROM version WHERE record = "
				  "?1 AND blob IS NOT NULL)", "iti",
				  (int64_t)q->record, body, q->version);
	rc = archive_end(a, rc);
	pthread_mutex_unlock(&a->lock);
	if (rc == DOSSIER_ENOTFOUND)
		rc = 0;
	return rc;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Get the text of q: its blob into an anonymous memory file (the tools
 * read it through /proc, nothing reaches a disk), the tools at low
 * priority, then store.
 */
/*
 * The blob of q into fd, a memory file: its head first, and the rest only
 * if its kind may have text (a large file of no kind with text is not
 * read whole). 1: fd holds the blob; 0: no text to get from it.
 */
static int load_blob(struct dossier_archive *a, const struct qitem *q,
		     int fd)
{
	unsigned char head[8192];
	struct dossier_oid oid;
	ssize_t n;
	int rc;

	history_git_lock(a->history);
	rc = dossier_oid_parse(&oid, q->blob);
	if (rc == 0)
		rc = dossier_git_blob_head_to_fd(history_git(a->history), &oid,
						 fd, sizeof(head));
	history_git_unlock(a->history);
	if (rc == 0 && (n = pread(fd, head, sizeof(head), 0)) >= 0 &&
	    !dossier_extract_wants(head, (size_t)n, DOSSIER_EXTRACT_OCR))
		return 0;
	if (rc == 0 && (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0))
		rc = dossier_err_from_errno(errno);
	history_git_lock(a->history);
	if (rc == 0)
		rc = dossier_git_blob_to_fd(history_git(a->history), &oid, fd);
	history_git_unlock(a->history);
	return rc < 0 ? rc : 1;
}

/*
 * Getting q's text failed with rc (rejected: rc is a tool's verdict on
 * it) after ms: q is tried again later, or stored as failed once tried
 * TEXT_TRIES times or rejected (a tool rejecting this document will
 * reject it again).
 */
static int extract_failed(struct dossier_archive *a, const struct qitem *q,
			  int rc, int rejected,
			  const struct dossier_extract_info *info, int64_t ms)
{
	char err[256];

	snprintf(err, sizeof(err), "%s", dossier_error_last());
	dossier_error_clear();
	dossier_log(LOG_WARNING, "text: version %" PRId64 " of record "
		    "%" PRIu64 ": %s", q->version, q->record, err);
	if (q->tries + 1 >= TEXT_TRIES || rc == DOSSIER_ENOTSUP ||
	    (rejected && rc == DOSSIER_ERROR))
		return store(a, q, 1, info, NULL, err, ms);
	pthread_mutex_lock(&a->lock);
	rc = archive_exec(a, "UPDATE text_queue SET tries = tries + 1 WHERE "
			  "version = ?", "i", q->version);
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? rc : 1;
}

static int work(struct dossier_text *t, const struct qitem *q)
{
	struct dossier_archive *a = t->a;
	struct dossier_extract_info info;
	struct dossier_buf body = DOSSIER_BUF_INIT;
	int64_t start;
	int fd = -1, rc, rejected = 0;

	memset(&info, 0, sizeof(info));
	snprintf(info.method, sizeof(info.method), "none");
	if (q->size > TEXT_BLOB_MAX) {
		rc = store(a, q, 1, &info, NULL, "too large to read for text",
			   0);
		goto out;
	}
	if ((fd = memfd_create("dossier-text", MFD_CLOEXEC)) < 0) {
		dossier_error_set("cannot make a memory file: %s",
				  strerror(errno));
		rc = DOSSIER_ERROR;
		goto out;
	}
	if ((rc = load_blob(a, q, fd)) == 0) {
		rc = store(a, q, 0, &info, "", NULL, 0);
		goto out;
	}
	start = mono_ms();
	if (rc > 0) {
		/* from here DOSSIER_ERROR is a tool's verdict on it */
		rejected = 1;
		rc = dossier_extract_text(&body, &info, fd,
					  DOSSIER_EXTRACT_OCR |
						  DOSSIER_EXTRACT_BACKGROUND,
					  &t->job);
	}
	close(fd);
	fd = -1;
	if (rc == DOSSIER_EBUSY)
		goto out;	/* stopping: it stays queued */
	if (rc == 0 && info.pages)
		dossier_extract_tidy(&body);
	if (rc < 0)
		rc = extract_failed(a, q, rc, rejected, &info,
				    mono_ms() - start);
	else
		rc = store(a, q, 0, &info, body.buf, NULL, mono_ms() - start);
out:
	if (fd >= 0)
		close(fd);
	dossier_buf_release(&body);
	return rc;
}

static void *worker(void *arg)
{
	struct dossier_text *t = arg;
	struct dossier_archive *a = t->a;

	/* recognition waits for everything else the machine does */
	dossier_worker_nice(&t->work, 19, "text worker");
	while (!dossier_worker_stopping(&t->work)) {
		struct qitem q;
		int have, rc = 0;

		pthread_mutex_lock(&a->lock);
		have = enabled(a) && next_item(a, &q);
		pthread_mutex_unlock(&a->lock);
		if (have && (rc = work(t, &q)) < 0 && rc != DOSSIER_EBUSY) {
			dossier_log(LOG_ERR, "text: %s", dossier_error_last());
			dossier_error_clear();
		}
		if (have && rc >= 0)
			continue;
		dossier_worker_wait(&t->work, (have ? 5 : 30) * 1000000000LL);
	}
	return NULL;
}

int text_open(struct dossier_text **out, struct dossier_archive *a)
{
	struct dossier_text *t = calloc(1, sizeof(*t));
	struct dossier_extract_job init = DOSSIER_EXTRACT_JOB_INIT;

	*out = NULL;
	if (!t)
		return DOSSIER_ERROR;
	t->a = a;
	t->job = init;
	dossier_worker_init(&t->work);
	if (dossier_worker_start(&t->work, worker, t, "text worker") < 0) {
		text_close(t);
		return DOSSIER_ERROR;
	}
	*out = t;
	return 0;
}

void text_close(struct dossier_text *t)
{
	if (!t)
		return;
	if (t->work.running) {
		dossier_worker_ask_stop(&t->work);
		dossier_extract_cancel(&t->job);
		dossier_worker_join(&t->work);
	}
	dossier_worker_destroy(&t->work);
	free(t);
}

/* ---- requests ---- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/*
 * A search query: terms of three characters or more make an FTS5 query
 * of quoted phrases (all must match; quoting keeps FTS5's syntax out of
 * users' hands); shorter terms, which the trigram index cannot look up,
 * become LIKE patterns over the same rows.
 */
struct query {
	struct dossier_buf match;	/* "" when no long term */
	char *like[SEARCH_TERMS_MAX];	/* %term%, escaped */
	char *first_short;		/* the first short term, raw */
	size_t nlike;
};

static void query_release(struct query *q)
{
	size_t i;

	dossier_buf_release(&q->match);
	for (i = 0; i < q->nlike; i++)
		free(q->like[i]);
	free(q->first_short);
	memset(q, 0, sizeof(*q));
}

static int query_parse(struct query *q, const char *text)
{
	char *copy = strdup(text), *tok, *save = NULL, *p;
	size_t nterms = 0;

	memset(q, 0, sizeof(*q));
	dossier_buf_init(&q->match);
	if (!copy)
		return DOSSIER_ERROR;
	for (p = copy; (tok = strtok_r(p, " ", &save)); p = NULL) {
		if (++nterms > SEARCH_TERMS_MAX)
			break;
		if (utf8_chars(tok) >= 3) {
			const char *c;

			dossier_buf_addf(&q->match, "%s\"", q->match.len ?
					 " " : "");
			for (c = tok; *c; c++)
				dossier_buf_add(&q->match, *c == '"' ?
						"\"\"" : c, *c == '"' ? 2 : 1);
			dossier_buf_add(&q->match, "\"", 1);
		} else {
			struct dossier_buf l = DOSSIER_BUF_INIT;
			const char *c;

			dossier_buf_add(&l, "%", 1);
			for (c = tok; *c; c++) {
				if (*c == '%' || *c == '_' || *c == '\\')
					dossier_buf_add(&l, "\\", 1);
				dossier_buf_add(&l, c, 1);
			}
			dossier_buf_add(&l, "%", 1);
			q->like[q->nlike++] = dossier_buf_detach(&l, NULL);
			if (!q->first_short)
				q->first_short = strdup(tok);
		}
	}
	free(copy);
	if (nterms > SEARCH_TERMS_MAX) {
		query_release(q);
		dossier_error_set("at most %d words in a search",
				  SEARCH_TERMS_MAX);
		return DOSSIER_EINVAL;
	}
	if (nterms == 0) {
		query_release(q);
		dossier_error_set("nothing to search for");
		return DOSSIER_EINVAL;
	}
	return 0;
}

/* A candidate, and what the caller gets of it. */
struct hit {
	uint64_t record;
	int64_t version;
	char *path;
	int shown;
};

/*
 * Every match of q, best first, into v. No cap: which of a caller's hits
 * make the cut must not depend on how many hidden records rank above.
 */
static int candidates(struct dossier_archive *a, const struct query *q,
		      struct hit **out, size_t *n)
{
	struct dossier_buf sql = DOSSIER_BUF_INIT;
	sqlite3_stmt *st = NULL;
	struct hit *v = NULL;
	size_t i, cap = 0;
	int rc, b = 1, src;

	*out = NULL;
	*n = 0;
	dossier_buf_addf(&sql, "SELECT rowid, version FROM text_index WHERE ");
	if (q->match.len)
		dossier_buf_addf(&sql, "text_index MATCH ?%d", b++);
	for (i = 0; i < q->nlike; i++, b++)
		dossier_buf_addf(&sql, "%sbody LIKE ?%d ESCAPE '\\'",
				 b > 1 ? " AND " : "", b);
	if (q->match.len)
		dossier_buf_addf(&sql, " ORDER BY hit_density(text_index) "
				 "DESC, rowid");
	else	/* most occurrences of the first word first */
		dossier_buf_addf(&sql, " ORDER BY length(body) - "
				 "length(replace(body, ?%d, '')) DESC, rowid",
				 b);
	if ((rc = dossier_db_prepare(a->db, sql.buf, &st)) < 0)
		goto out;
	b = 1;
	if (q->match.len)
		sqlite3_bind_text(st, b++, q->match.buf, -1, SQLITE_STATIC);
	for (i = 0; i < q->nlike; i++)
		sqlite3_bind_text(st, b++, q->like[i], -1, SQLITE_STATIC);
	if (!q->match.len)
		sqlite3_bind_text(st, b, q->first_short, -1, SQLITE_STATIC);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			struct hit *nv;

			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = DOSSIER_ERROR;
				break;
			}
			v = nv;
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].record = (uint64_t)sqlite3_column_int64(st, 0);
		v[*n].version = sqlite3_column_int64(st, 1);
		(*n)++;
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = dossier_db_err(a->db, src, "search");
out:
	sqlite3_finalize(st);
	dossier_buf_release(&sql);
	*out = v;
	return rc;
}

/* A line's worth of text around the first occurrence of word in body. */
static void like_snippet(struct dossier_buf *out, const char *body,
			 const char *word)
{
	const char *hit = strcasestr(body, word), *s, *e;
	size_t chars;

	if (!hit) {
		dossier_buf_addf(out, "%.60s", body);
		return;
	}
	for (s = hit, chars = 0; s > body && chars < 24; chars++)
		do
			s--;
		while (s > body && ((unsigned char)*s & 0xc0) == 0x80);
	for (e = hit + strlen(word), chars = 0; *e && chars < 24; chars++)
		do
			e++;
		while (*e && ((unsigned char)*e & 0xc0) == 0x80);
	dossier_buf_addf(out, "%s%.*s[%.*s]%.*s%s", s > body ? "…" : "",
			 (int)(hit - s), s, (int)strlen(word), hit,
			 (int)(e - hit - strlen(word)), hit + strlen(word),
			 *e ? "…" : "");
}

/* The snippet of a hit the caller may read. Lock held. */
static void snippet(struct dossier_archive *a, const struct query *q,
		    const struct hit *h, struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	size_t i;

	if (q->match.len) {
		if (archive_stmt(a, "SELECT snippet(text_index, 0, '[', ']', "
				 "'…', 40) FROM text_index WHERE text_index "
				 "MATCH ?1 AND rowid = ?2", &st) < 0)
			return;
		sqlite3_bind_text(st, 1, q->match.buf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)h->record);
	} else {
		if (archive_stmt(a, "SELECT body FROM text_index WHERE "
				 "rowid = ?1", &st) < 0)
			return;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)h->record);
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		size_t from = out->len;

		if (q->match.len)
			dossier_buf_addf(out, "%s", t ? t : "");
		else
			like_snippet(out, t ? t : "", q->first_short);
		for (i = from; i < out->len; i++)
			if (out->buf[i] == '\n' || out->buf[i] == '\t' ||
			    out->buf[i] == '\r')
				out->buf[i] = ' ';
	}
	archive_stmt_done(st);
}

/* NULL if the arguments of search are right (limit: LIMIT), else why not. */
static const char *search_usage(char **f, int n, long *limit)
{
	char *end;

	if (n < 2 || n > 4)
		return "usage: search QUERY [LIMIT [PATH]]";
	if (n > 2) {
		*limit = strtol(f[2], &end, 10);
		if (*end || *limit < 1 || *limit > SEARCH_LIMIT_MAX)
			return "LIMIT is a number from 1 to 200";
	}
	if (strlen(f[1]) > SEARCH_QUERY_MAX)
		return "a search is at most 256 bytes";
	return NULL;
}

static int under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n && prefix[n - 1] == '/')
		n--;
	return n == 0 || (!strncmp(path, prefix, n) &&
			  (path[n] == '/' || path[n] == '\0'));
}

/*
 * Which hits who may see: a live record they may read now, below
 * prefix, the first limit of them (each hit's path is set). Lock held.
 * Returns how many are shown.
 */
static size_t mark_shown(struct dossier_archive *a,
			 const struct dossier_caller *who, struct hit *v,
			 size_t nv, const char *prefix, size_t limit)
{
	size_t i, shown = 0;

	for (i = 0; i < nv; i++) {
		struct node node;
		int ok;

		ok = archive_get_node(a, v[i].record, &node) == 0 &&
		     !node.deleted &&
		     archive_decide(a, who, &node, NULL, DOSSIER_ACT_READ) == 0;
		dossier_error_clear();
		v[i].path = archive_node_path(a, v[i].record);
		v[i].shown = ok && v[i].path && under(v[i].path, prefix) &&
			     shown < limit;
		shown += v[i].shown;
	}
	return shown;
}

/* The shown hits, a line each: path, version, time, snippet. Lock held. */
static void list_hits(struct dossier_archive *a, const struct query *q,
		      const struct hit *v, size_t nv, struct dossier_buf *body)
{
	size_t i;

	for (i = 0; i < nv; i++) {
		sqlite3_stmt *st = NULL;

		if (!v[i].shown)
			continue;
		dossier_buf_addf(body, "%s\t", v[i].path);
		if (archive_stmt(a, "SELECT commit_oid, time_ns FROM version "
				 "WHERE id = ?1", &st) == 0) {
			sqlite3_bind_int64(st, 1, v[i].version);
			if (sqlite3_step(st) == SQLITE_ROW)
				dossier_buf_addf(body, "%s\t%lld\t",
						 sqlite3_column_text(st, 0),
						 (long long)
						 sqlite3_column_int64(st, 1));
			else
				dossier_buf_addf(body, "-\t0\t");
			archive_stmt_done(st);
		}
		snippet(a, q, &v[i], body);
		dossier_buf_add(body, "\n", 1);
	}
}

static void wait_quantum(int64_t start_ns)
{
	int64_t el = dossier_clock_ns() - start_ns, until;
	struct timespec ts;

	if (el < 0)
		return;
	until = (el / SEARCH_QUANTUM_NS + 1) * SEARCH_QUANTUM_NS - el;
	ts.tv_sec = (time_t)(until / 1000000000);
	ts.tv_nsec = (long)(until % 1000000000);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * search QUERY [LIMIT [PATH]]: records whose current version's text has
 * every word of QUERY, best first, among those the caller may read now
 * (under PATH). Body: PATH, commit, time (ns), snippet, per line.
 *
 * Every candidate is looked up and decided,
 * whether it is shown or not, and no snippet is built before its record
 * is decided readable; the answer then waits for the next quantum.
 *
 * NEEDSWORK: it runs under the archive's lock, as every request does; a
 * LIKE scan of a large archive's text (1-2 character words) holds FUSE
 * requests that long. A second, read-only connection for searches would
 * not (the decisions need the rules, which the lock also protects).
 */
static int ctl_search(struct dossier_archive *a,
		      const struct dossier_caller *who, char **f, int n,
		      struct dossier_buf *out)
{
	int64_t start = dossier_clock_ns();
	struct dossier_buf body = DOSSIER_BUF_INIT;
	const char *prefix = n > 3 ? f[3] : "", *usage;
	struct query q;
	struct hit *v = NULL;
	size_t nv = 0, i, shown = 0;
	long limit = 20;
	int rc;

	if ((usage = search_usage(f, n, &limit)))
		return control_status(out, 2, usage);
	if (query_parse(&q, f[1]) < 0) {
		char line[160];

		snprintf(line, sizeof(line), "%s", dossier_error_last());
		dossier_error_clear();
		return control_status(out, 2, line);
	}
	pthread_mutex_lock(&a->lock);
	rc = candidates(a, &q, &v, &nv);
	if (rc == 0) {
		shown = mark_shown(a, who, v, nv, prefix, (size_t)limit);
		list_hits(a, &q, v, nv, &body);
	}
	audit_record(a->audit, who, "search", prefix, rc == 0, 0, f[1]);
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < nv; i++)
		free(v[i].path);
	free(v);
	query_release(&q);
	wait_quantum(start);
	if (rc < 0) {
		rc = control_refused(out, rc, "search");
	} else {
		dossier_buf_addf(out, "0\t%zu found\n", shown);
		dossier_buf_add(out, body.buf, body.len);
	}
	dossier_buf_release(&body);
	return rc;
}

/*
 * The version of record rec whose commit begins with rev (NULL: the
 * current one) into version, and the current one into current: content
 * versions only. DOSSIER_ENOTFOUND (reason set): none, or several. Lock
 * held.
 */
static int find_version(struct dossier_archive *a, uint64_t rec,
			const char *rev, int64_t *version, int64_t *current)
{
	sqlite3_stmt *st = NULL;
	int rc, matches = 0;

	*version = *current = 0;
	if ((rc = dossier_db_prepare(a->db, "SELECT id, ?3 = '' OR "
				     "substr(commit_oid, 1, length(?3)) = "
				     "?3 FROM version WHERE record = ?1 AND "
				     "blob IS NOT NULL ORDER BY id", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rec);
	sqlite3_bind_text(st, 3, rev ? rev : "", -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		*current = sqlite3_column_int64(st, 0);
		if (rev && sqlite3_column_int(st, 1)) {
			*version = *current;
			matches++;
		}
	}
	sqlite3_finalize(st);
	if (!rev) {
		*version = *current;
		matches = *current != 0;
	}
	if (matches != 1) {
		dossier_error_set(matches ? "'%s' names several versions: "
					    "give more digits" :
					    "no version '%s' of this record",
				  rev ? rev : "");
		rc = DOSSIER_ENOTFOUND;
	}
	return rc;
}

/* A version's text as version_text keeps it. */
struct vtext {
	char method[16];
	int pages;
	char *text;		/* caller frees */
};

/* Version has no text: queued for it, or none recorded. Lock held. */
static int text_missing(struct dossier_archive *a, int64_t version)
{
	/*
	 * Not how many wait before it: others' saves are no business of
	 * the caller.
	 */
	if (archive_query_id(a, "SELECT 1 FROM text_queue WHERE "
			     "version = ?1", "i", version) > 0)
		dossier_error_set("its text is not recognised yet: it is "
				  "queued");
	else
		dossier_error_set("no text was recorded for this version");
	return DOSSIER_ENODATA;
}

/*
 * The text of version into out. DOSSIER_ENODATA (reason set): none yet,
 * none recorded, or it could not be got. Lock held.
 */
static int read_text(struct dossier_archive *a, int64_t version,
		     struct vtext *out)
{
	sqlite3_stmt *st = NULL;
	char msg[256] = "";
	int rc, have = 0, status = 0;

	if ((rc = dossier_db_prepare(a->db, "SELECT status, method, pages, "
				     "body, error FROM version_text WHERE "
				     "version = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, version);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *b = (const char *)sqlite3_column_text(st, 3);
		const char *e = (const char *)sqlite3_column_text(st, 4);

		have = 1;
		status = sqlite3_column_int(st, 0);
		snprintf(out->method, sizeof(out->method), "%s",
			 sqlite3_column_text(st, 1));
		out->pages = sqlite3_column_int(st, 2);
		out->text = strdup(b ? b : "");
		snprintf(msg, sizeof(msg), "%s", e ? e : "");
	}
	sqlite3_finalize(st);
	if (!have)
		return text_missing(a, version);
	if (status != 0) {
		dossier_error_set("its text could not be got: %s", msg);
		rc = DOSSIER_ENODATA;
	}
	return rc;
}

/*
 * text PATH [REV]: the text of the record's current version, or of
 * version REV (commit prefix; an older version needs the history right
 * too). Message: method and pages; body: the text.
 */
static int ctl_text(struct dossier_archive *a,
		    const struct dossier_caller *who, char **f, int n,
		    struct dossier_buf *out)
{
	const char *rev = n == 3 ? f[2] : NULL;
	int64_t version = 0, current = 0;
	struct vtext vt;
	struct node rec;
	int rc;

	if (n < 2 || n > 3 || (n == 3 && strlen(f[2]) < 4))
		return control_status(out, 2, "usage: text PATH [REV] (REV: "
					    "at least 4 hex digits)");
	memset(&vt, 0, sizeof(vt));
	pthread_mutex_lock(&a->lock);
	rc = access_resolve(a, who, f[1], 0, &rec);
	if (rc == 0 && rec.kind != DOSSIER_KIND_FILE)
		rc = DOSSIER_EISDIR;
	if (rc == 0 && archive_decide(a, who, &rec, NULL, DOSSIER_ACT_READ) < 0)
		rc = DOSSIER_EDENIED;
	if (rc == 0)
		rc = find_version(a, rec.id, rev, &version, &current);
	if (rc == 0 && version != current &&
	    archive_decide(a, who, &rec, NULL, DOSSIER_ACT_HISTORY) < 0)
		rc = DOSSIER_EDENIED;
	if (rc == 0)
		rc = read_text(a, version, &vt);
	audit_record(a->audit, who, "text", f[1], rc != DOSSIER_EDENIED,
		     rc == DOSSIER_EDENIED ? dossier_error_rule() : 0,
		     rev ? rev : "current version");
	pthread_mutex_unlock(&a->lock);
	if (rc == DOSSIER_EDENIED) {
		dossier_error_clear();
		dossier_error_set("you may not read the text of '%s'", f[1]);
	}
	if (rc < 0) {
		rc = control_refused(out, rc, f[1]);
	} else {
		dossier_buf_addf(out, "0\t%s %d\n", vt.method, vt.pages);
		dossier_buf_addf(out, "%s", vt.text);
	}
	free(vt.text);
	return rc;
}

/* Archivists, auditors, the gm and root see the queue. Lock held. */
static int may_see_queue(struct dossier_archive *a,
			 const struct dossier_caller *who)
{
	const char *role = NULL;

	if (who->uid == 0)
		return 1;
	if (!a->rules || dossier_rules_user_info(a->rules, who->uid, &role,
						 NULL) < 0) {
		dossier_error_clear();
		return 0;
	}
	return !strcmp(role, "archivist") || !strcmp(role, "auditor") ||
	       !strcmp(role, "gm");
}

/* ocr status: the queue's state, as "KEY<TAB>VALUE" lines. */
static int ctl_ocr(struct dossier_archive *a, const struct dossier_caller *who,
		   char **f, int n, struct dossier_buf *out)
{
	sqlite3_stmt *st = NULL;
	int rc, may;

	if (n != 2 || strcmp(f[1], "status"))
		return control_status(out, 2, "usage: ocr status");
	pthread_mutex_lock(&a->lock);
	may = may_see_queue(a, who);
	rc = may ? dossier_db_prepare(a->db, "SELECT (SELECT count(*) FROM "
				      "text_queue), (SELECT count(*) FROM "
				      "version_text WHERE status = 0 AND "
				      "method <> 'none'), (SELECT count(*) "
				      "FROM version_text WHERE status = 0 AND "
				      "pages > 0), (SELECT count(*) FROM "
				      "version_text WHERE status = 1), "
				      "(SELECT total(pages) FROM version_text "
				      "WHERE pages > 0), (SELECT total(ms) "
				      "FROM version_text WHERE pages > 0)",
				      &st) : DOSSIER_EDENIED;
	if (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		double pages = sqlite3_column_double(st, 4);
		double ms = sqlite3_column_double(st, 5);

		control_status(out, 0, "ok");
		dossier_buf_addf(out, "queued\t%lld\ndone\t%lld\n"
				 "recognised\t%lld\nfailed\t%lld\n"
				 "pages\t%.0f\npages-per-minute\t%.1f\n"
				 "recognition\t%s\n",
				 (long long)sqlite3_column_int64(st, 0),
				 (long long)sqlite3_column_int64(st, 1),
				 (long long)sqlite3_column_int64(st, 2),
				 (long long)sqlite3_column_int64(st, 3),
				 pages, ms > 0 ? pages * 60000.0 / ms : 0.0,
				 enabled(a) ? "on" : "off");
	}
	sqlite3_finalize(st);
	if (!may)
		audit_record(a->audit, who, "ocr-status", "", 0, 0,
			     "read the recognition queue");
	pthread_mutex_unlock(&a->lock);
	if (!may)
		return control_status(out, 1, "only archivists, auditors and "
					    "the gm see the recognition "
					    "queue");
	return rc < 0 ? control_refused(out, rc, "ocr status") : 0;
}

const struct control_cmd control_text_cmds[] = {
	{ "search", ctl_search },
	{ "text", ctl_text },
	{ "ocr", ctl_ocr },
	{ NULL, NULL },
};
