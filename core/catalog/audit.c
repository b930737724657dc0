/*
 * The audit trail: one row per read open, change, refusal, grant.
 *
 * audit_record() copies the row into one allocation, reads the caller's
 * program from /proc at once (the process may be gone by the time the row
 * is written) and appends it to an in-memory queue under qlock. A writer
 * thread takes the whole queue and writes it into the catalog through the
 * archive's connection, under the archive's lock, in transactions of at
 * most AUDIT_TXN_ROWS rows: AUDIT_INTERVAL_NS after the oldest row
 * waiting, as soon as AUDIT_BATCH rows wait, on audit_flush() and at
 * close. The user name is looked up by the writer (getpwuid_r may ask NSS
 * over the network: never on the data path, never under the archive's
 * lock).
 *
 * What a crash can lose: a kill of the daemon loses the rows still queued,
 * those of the last second at most (more only if the catalog was blocked
 * and the writer could not keep up: up to AUDIT_QUEUE_MAX rows). Rows
 * written survive a kill; a power cut may lose the last transactions, as
 * for the rest of the catalog (synchronous=NORMAL, db.c). A clean close
 * writes everything; rows that cannot be written even then are counted in
 * an error log line, never lost silently.
 *
 * A full queue never blocks the caller: the row is dropped and counted,
 * and the writer adds one row (action "dropped") saying how many were
 * dropped and when.
 *
 * Rows are append-only: triggers refuse UPDATE and DELETE. That stops
 * mistakes and SQL through the catalog's API, not root editing the file
 * (NEEDSWORK: a hash chain would make that detectable; no SHA-256 is
 * linked today).
 */
#include "audit_i.h"

#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "archive_i.h"
#include "clock.h"
#include "access_i.h"
#include "control_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"
#include "proc.h"
#include "rules_i.h"
#include "schema_i.h"
#include "when.h"

#define AUDIT_BATCH 256
/*
 * Rows per transaction: the archive's lock is held for one, so the data
 * path waits at most that long (64 rows: about 1 ms in the VM measured,
 * 256 rows: 2-7 ms; 2026-11).
 */
#define AUDIT_TXN_ROWS 64
#define AUDIT_INTERVAL_NS 1000000000LL
#define AUDIT_QUEUE_MAX 100000
/* rows the control request answers when no limit is given */
#define AUDIT_DEFAULT_LIMIT 1000
/* writer passes at close before giving up on a failing catalog */
#define AUDIT_CLOSE_TRIES 3

/* One queued row; its strings live in data[]. */
struct row {
	struct row *next;
	int64_t time_ns;
	int64_t rule;
	uid_t uid;
	pid_t pid;
	int allowed;
	char program[32];
	char user[64];		/* filled by the writer */
	const char *action;
	const char *path;
	const char *detail;	/* NULL: none */
	char data[];
};

/* uid -> name, the writer's only; names may change: entries expire. */
#define NAME_CACHE 64
#define NAME_TTL_NS (60 * 1000000000LL)
struct name_entry {
	uid_t uid;
	int64_t at_ns;		/* 0: empty */
	char name[64];
};

/*
 * Lock rules: qlock protects the queue and the writer's state below. The
 * writer takes qlock and the archive's lock, never both at once, so
 * audit_record() (qlock only) may be called with the archive's lock held.
 * ins is a statement of a->db: protected by a->lock.
 */
struct dossier_audit {
	struct dossier_archive *a;
	sqlite3_stmt *ins;		/* protected by a->lock */
	pthread_t thread;
	int running;			/* the writer was started */
	pthread_mutex_t qlock;
	pthread_cond_t wake;		/* to the writer */
	pthread_cond_t done;		/* from the writer: a pass ended */
	struct row *head, *tail;	/* protected by qlock */
	size_t count;			/* protected by qlock */
	size_t max;			/* protected by qlock */
	uint64_t dropped;		/* protected by qlock */
	int64_t drop_first_ns;		/* protected by qlock */
	int64_t drop_last_ns;		/* protected by qlock */
	int64_t oldest_ns;		/* protected by qlock (monotonic) */
	uint64_t flush_gen;		/* protected by qlock */
	uint64_t done_gen;		/* protected by qlock */
	int stop;			/* protected by qlock */
	int writer_live;		/* protected by qlock */
	struct name_entry names[NAME_CACHE];	/* writer only */
	int failing;			/* writer only: logged a failure */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the writer ---- */

static void user_name(struct dossier_audit *au, uid_t uid, char *out,
		      size_t outsz)
{
	struct name_entry *e = &au->names[uid % NAME_CACHE];
	int64_t now = mono_ns();

	if (e->at_ns && e->uid == uid && now - e->at_ns < NAME_TTL_NS) {
		snprintf(out, outsz, "%s", e->name);
		return;
	}
	dossier_account_name(e->name, sizeof(e->name), uid);
	e->uid = uid;
	e->at_ns = now;
	snprintf(out, outsz, "%s", e->name);
}

static int insert(struct dossier_audit *au, const struct row *r)
{
	sqlite3_stmt *st = au->ins;

	dossier_db_bind(st, "iititttiit", r->time_ns, (int64_t)r->uid,
			r->user, (int64_t)r->pid, r->program, r->action,
			r->path, (int64_t)(r->allowed ? 1 : 0), r->rule,
			r->detail);
	if (!r->rule)	/* rule 0 is stored as NULL */
		sqlite3_bind_null(st, 9);
	return dossier_db_step_done(au->a->db, st, "write audit row");
}

/*
 * Write rows in transactions of at most AUDIT_TXN_ROWS, releasing the
 * archive's lock between them so the data path interleaves. Frees what
 * was written; returns the rows left (NULL: all written).
 */
static struct row *write_rows(struct dossier_audit *au, struct row *r)
{
	struct dossier_archive *a = au->a;
	struct row *p, *next;
	int rc, i;

	while (r) {
		for (i = 0, p = r; p && i < AUDIT_TXN_ROWS; i++, p = p->next)
			user_name(au, p->uid, p->user, sizeof(p->user));
		pthread_mutex_lock(&a->lock);
		rc = archive_begin(a);
		for (i = 0, p = r; rc == 0 && p && i < AUDIT_TXN_ROWS;
		     i++, p = p->next)
			rc = insert(au, p);
		rc = archive_end(a, rc);
		pthread_mutex_unlock(&a->lock);
		if (rc < 0) {
			if (!au->failing)
				dossier_log(LOG_ERR, "audit: cannot write the "
					    "audit trail (will retry): %s",
					    dossier_error_last());
			au->failing = 1;
			dossier_error_clear();
			return r;
		}
		if (au->failing)
			dossier_log(LOG_NOTICE, "audit: writing again");
		au->failing = 0;
		for (; r != p; r = next) {
			next = r->next;
			free(r);
		}
	}
	return NULL;
}

/* The row telling how many rows were dropped. */
static struct row *drop_row(uint64_t n, int64_t first_ns, int64_t last_ns)
{
	char detail[160];
	struct row *r;
	size_t len;

	snprintf(detail, sizeof(detail), "%" PRIu64 " audit rows were "
		 "dropped: the queue was full for %.3f s", n,
		 (double)(last_ns - first_ns) / 1e9);
	len = strlen(detail) + 1;
	r = calloc(1, sizeof(*r) + sizeof("dropped") + 1 + len);
	if (!r)
		return NULL;
	r->time_ns = first_ns;
	r->uid = geteuid();
	r->pid = getpid();
	r->allowed = 1;
	dossier_program_of(r->pid, r->program, sizeof(r->program));
	memcpy(r->data, "dropped", sizeof("dropped"));
	r->action = r->data;
	r->path = r->data + sizeof("dropped");	/* "" */
	memcpy(r->data + sizeof("dropped") + 1, detail, len);
	r->detail = r->data + sizeof("dropped") + 1;
	return r;
}

/* Whether the writer has something to do now (qlock held). */
static int due(struct dossier_audit *au, int64_t now)
{
	return au->stop || au->flush_gen != au->done_gen ||
	       au->count >= AUDIT_BATCH ||
	       ((au->count || au->dropped) &&
		now - au->oldest_ns >= AUDIT_INTERVAL_NS);
}

/*
 * The writer's passes: what one took from the queue, and when a failed
 * write may be retried.
 */
struct pass {
	uint64_t gen;			/* the flush generation taken */
	struct row *batch, *tail;	/* the rows taken */
	uint64_t dropped;		/* rows dropped, not yet marked */
	int64_t first, last;		/* when they were dropped */
	int64_t retry_at;		/* after a failed write: not before */
	int tries;			/* failed passes since the last good */
};

/* Wait until there is something to do and no retry is pending. */
static void wait_due(struct dossier_audit *au, struct pass *w)
{
	int64_t now = mono_ns();

	while (!due(au, now) || now < w->retry_at) {
		if (au->count || au->dropped || w->retry_at) {
			int64_t until = w->retry_at > now ? w->retry_at :
					au->oldest_ns + AUDIT_INTERVAL_NS;
			struct timespec ts = {
				(time_t)(until / 1000000000LL),
				(long)(until % 1000000000LL)
			};

			pthread_cond_timedwait(&au->wake, &au->qlock, &ts);
		} else {
			pthread_cond_wait(&au->wake, &au->qlock);
		}
		now = mono_ns();
		if (w->retry_at && now >= w->retry_at)
			w->retry_at = 0;
	}
}

/* Take the whole queue and the count of dropped rows (qlock held). */
static void take_queue(struct dossier_audit *au, struct pass *w)
{
	w->gen = au->flush_gen;
	w->batch = au->head;
	w->tail = au->tail;
	au->head = au->tail = NULL;
	au->count = 0;
	w->dropped = au->dropped;
	w->first = au->drop_first_ns;
	w->last = au->drop_last_ns;
	au->dropped = 0;
}

/* The dropped rows' marker after every row of the batch, memory allowing. */
static void mark_dropped(struct pass *w)
{
	struct row *d;

	if (w->dropped && (d = drop_row(w->dropped, w->first, w->last))) {
		if (w->tail)
			w->tail->next = d;
		else
			w->batch = d;
		w->tail = d;
		w->dropped = 0;
	}
}

/*
 * Rows left unwritten go back to the head of the queue, to be retried;
 * dropped rows not marked are counted again (qlock held).
 */
static void requeue(struct dossier_audit *au, struct pass *w,
		    struct row *left)
{
	struct row *d;
	size_t n = 0;

	if (left) {
		for (d = left; d; d = d->next)
			n++;
		w->tail->next = au->head;
		if (!au->head)
			au->tail = w->tail;
		au->head = left;
		au->count += n;
		au->oldest_ns = mono_ns();
		w->retry_at = au->oldest_ns + AUDIT_INTERVAL_NS;
	} else {
		w->retry_at = 0;
		w->tries = 0;
	}
	if (w->dropped) {
		/* no memory for the marker: count them again */
		if (!au->dropped || w->first < au->drop_first_ns)
			au->drop_first_ns = w->first;
		if (w->last > au->drop_last_ns)
			au->drop_last_ns = w->last;
		au->dropped += w->dropped;
	}
}

/*
 * At close: whether the writer is done, everything written or the catalog
 * failing AUDIT_CLOSE_TRIES times (qlock held).
 */
static int writer_done(struct dossier_audit *au, struct pass *w,
		       const struct row *left)
{
	if (!au->stop)
		return 0;
	if (left && ++w->tries >= AUDIT_CLOSE_TRIES)
		return 1;
	if (!left && !au->count && !au->dropped)
		return 1;
	if (left)
		w->retry_at = mono_ns() + AUDIT_INTERVAL_NS / 4;
	return 0;
}

static void *writer(void *arg)
{
	struct dossier_audit *au = arg;
	struct pass w = { 0 };
	struct row *left;

	pthread_mutex_lock(&au->qlock);
	for (;;) {
		wait_due(au, &w);
		take_queue(au, &w);
		pthread_mutex_unlock(&au->qlock);
		mark_dropped(&w);
		left = write_rows(au, w.batch);
		pthread_mutex_lock(&au->qlock);
		requeue(au, &w, left);
		au->done_gen = w.gen;
		pthread_cond_broadcast(&au->done);
		if (writer_done(au, &w, left))
			break;
	}
	au->writer_live = 0;
	pthread_cond_broadcast(&au->done);
	pthread_mutex_unlock(&au->qlock);
	return NULL;
}

/* ---- the interface ---- */

/* Create the tables if migration 5 was the placeholder. Lock held. */
static int heal_schema(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int rc, have;

	if ((rc = dossier_db_prepare(a->db, "SELECT 1 FROM sqlite_master "
				     "WHERE type = 'table' AND name = "
				     "'audit'", &st)) < 0)
		return rc;
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (have)
		return 0;
	dossier_log(LOG_NOTICE, "audit: creating the audit tables");
	if ((rc = archive_begin(a)) == 0)
		rc = dossier_db_exec(a->db, dossier_schema_audit);
	return archive_end(a, rc);
}

int audit_open(struct dossier_audit **out, struct dossier_archive *a)
{
	struct dossier_audit *au = calloc(1, sizeof(*au));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!au) {
		dossier_error_set("audit: out of memory");
		return DOSSIER_ERROR;
	}
	au->a = a;
	au->max = AUDIT_QUEUE_MAX;
	pthread_mutex_init(&au->qlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&au->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&au->done, NULL);
	pthread_mutex_lock(&a->lock);
	if ((rc = heal_schema(a)) == 0)
		rc = dossier_db_prepare(a->db, "INSERT INTO audit(time_ns, uid,"
					" user, pid, program, action, path, "
					"allowed, rule, detail) VALUES (?1, "
					"?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
					&au->ins);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0)
		goto fail;
	au->writer_live = 1;
	if (pthread_create(&au->thread, NULL, writer, au) != 0) {
		dossier_error_set("cannot start the audit writer");
		rc = DOSSIER_ERROR;
		goto fail;
	}
	au->running = 1;
	*out = au;
	return 0;
fail:
	au->writer_live = 0;
	audit_close(au);
	return rc;
}

void audit_close(struct dossier_audit *au)
{
	struct row *r, *next;
	size_t lost = 0;

	if (!au)
		return;
	if (au->running) {
		pthread_mutex_lock(&au->qlock);
		au->stop = 1;
		pthread_cond_signal(&au->wake);
		pthread_mutex_unlock(&au->qlock);
		pthread_join(au->thread, NULL);
	}
	for (r = au->head; r; r = next) {
		next = r->next;
		free(r);
		lost++;
	}
	if (lost || au->dropped)
		dossier_log(LOG_ERR, "audit: %zu audit rows could not be "
			    "written and %" PRIu64 " were dropped", lost,
			    au->dropped);
	if (au->ins) {
		pthread_mutex_lock(&au->a->lock);
		sqlite3_finalize(au->ins);
		pthread_mutex_unlock(&au->a->lock);
	}
	pthread_cond_destroy(&au->wake);
	pthread_cond_destroy(&au->done);
	pthread_mutex_destroy(&au->qlock);
	free(au);
}

void audit_record(struct dossier_audit *au, const struct dossier_caller *who,
		  const char *action, const char *path, int allowed,
		  int64_t rule, const char *detail)
{
	audit_record_program(au, who, NULL, action, path, allowed, rule,
			     detail);
}

/*
 * A row of who (NULL: this process) with its strings copied and its
 * program read at once; NULL if out of memory. Its time is set when
 * queued.
 */
static struct row *new_row(const struct dossier_caller *who,
			   const char *program, const char *action,
			   const char *path, int allowed, int64_t rule,
			   const char *detail)
{
	size_t la = strlen(action) + 1, lp = strlen(path) + 1;
	size_t ld = detail ? strlen(detail) + 1 : 0;
	struct row *r = malloc(sizeof(*r) + la + lp + ld);
	char *p;

	if (!r)
		return NULL;
	r->next = NULL;
	r->rule = rule;
	r->uid = who ? who->uid : geteuid();
	r->pid = who ? who->pid : getpid();
	r->allowed = allowed;
	r->user[0] = '\0';
	if (program)
		snprintf(r->program, sizeof(r->program), "%s", program);
	else
		dossier_program_of(r->pid, r->program, sizeof(r->program));
	p = r->data;
	r->action = memcpy(p, action, la);
	p += la;
	r->path = memcpy(p, path, lp);
	p += lp;
	r->detail = detail ? memcpy(p, detail, ld) : NULL;
	return r;
}

/* Count a row that found the queue full, or no memory (qlock held). */
static void count_dropped(struct dossier_audit *au)
{
	int64_t now = dossier_clock_ns();

	if (!au->dropped)
		au->drop_first_ns = now;
	au->drop_last_ns = now;
	if (!au->dropped++ && !au->count) {
		au->oldest_ns = mono_ns();
		pthread_cond_signal(&au->wake);
	}
}

/* Append r to the queue, stamped with the time now (qlock held). */
static void append(struct dossier_audit *au, struct row *r)
{
	r->time_ns = dossier_clock_ns();
	if (au->tail)
		au->tail->next = r;
	else
		au->head = r;
	au->tail = r;
	if (++au->count == 1 && !au->dropped)
		au->oldest_ns = mono_ns();
	/* wake the writer once to arm its timer, and when a batch is full */
	if (au->count == 1 || au->count == AUDIT_BATCH)
		pthread_cond_signal(&au->wake);
}

void audit_record_program(struct dossier_audit *au,
			  const struct dossier_caller *who,
			  const char *program, const char *action,
			  const char *path, int allowed, int64_t rule,
			  const char *detail)
{
	struct row *r;

	if (!au)
		return;
	r = new_row(who, program, action ? action : "?", path ? path : "",
		    allowed, rule, detail);
	pthread_mutex_lock(&au->qlock);
	/* the time under qlock: id order is time order (bar clock steps) */
	if (!r || au->count >= au->max) {
		count_dropped(au);
	} else {
		append(au, r);
		r = NULL;
	}
	pthread_mutex_unlock(&au->qlock);
	free(r);
}

void audit_flush(struct dossier_audit *au)
{
	uint64_t want;

	if (!au)
		return;
	pthread_mutex_lock(&au->qlock);
	want = ++au->flush_gen;
	pthread_cond_signal(&au->wake);
	while (au->writer_live && au->done_gen < want)
		pthread_cond_wait(&au->done, &au->qlock);
	pthread_mutex_unlock(&au->qlock);
}

void audit_set_queue_max(struct dossier_audit *au, size_t max)
{
	pthread_mutex_lock(&au->qlock);
	au->max = max;
	pthread_mutex_unlock(&au->qlock);
}

/* ---- the control request ---- */

/* Whether val is one of the comma list (as the rule store's lists). */
static int list_has(const char *list, const char *val)
{
	size_t vn = val ? strlen(val) : 0, n;
	const char *p = list, *e;

	while (val && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		for (e = p; *e && *e != ','; e++)
			;
		for (n = (size_t)(e - p); n && p[n - 1] == ' '; n--)
			;
		if (n && n == vn && !memcmp(p, val, n))
			return 1;
		p = e;
	}
	return 0;
}

/*
 * Whether who may read the audit trail: roles named by the setting
 * 'audit-roles' (comma list; "auditor" when unset), and root, who owns the
 * catalog file and could read the table there anyway. Lock held.
 */
static int may_read_trail(struct dossier_archive *a,
			  const struct dossier_caller *who)
{
	const char *role = NULL;
	char roles[256];

	if (who->uid == 0)
		return 1;
	if (!a->rules)
		return 0;
	if (dossier_rules_user_info(a->rules, who->uid, &role, NULL) < 0) {
		dossier_error_clear();
		return 0;
	}
	if (dossier_rules_setting_get(a->rules, "audit-roles", roles,
				      sizeof(roles)) < 0) {
		dossier_error_clear();
		snprintf(roles, sizeof(roles), "auditor");
	}
	return list_has(roles, role);
}

static int all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/*
 * since=TIME into nanoseconds: dossier_time_parse(), without a zone UTC
 * (the daemon's zone means nothing to the caller: dossierctl sends
 * seconds).
 */
static int parse_since(const char *s, int64_t *out)
{
	int64_t t;

	if (dossier_time_parse(s, 0, dossier_clock_ns() / 1000000000, &t) < 0) {
		dossier_error_clear();
		return -1;
	}
	/* past 2262 the nanoseconds overflow: nothing is later */
	*out = t > INT64_MAX / 1000000000LL ? INT64_MAX :
	       t < INT64_MIN / 1000000000LL ? INT64_MIN : t * 1000000000LL;
	return 0;
}

/* Append s with tab, newline, CR and backslash escaped, then sep. */
static void add_field(struct dossier_buf *out, const char *s, char sep)
{
	const char *p;

	for (p = s ? s : ""; *p; p++) {
		switch (*p) {
		case '\t': dossier_buf_add(out, "\\t", 2); break;
		case '\n': dossier_buf_add(out, "\\n", 2); break;
		case '\r': dossier_buf_add(out, "\\r", 2); break;
		case '\\': dossier_buf_add(out, "\\\\", 2); break;
		default: dossier_buf_add(out, p, 1);
		}
	}
	dossier_buf_add(out, &sep, 1);
}

struct filter {
	const char *user;
	char path[4096];	/* no leading or trailing '/'; "": all */
	int has_path;
	int64_t since_ns;
	int has_since;
	int denied;
	int64_t limit;		/* 0: all */
	uid_t pw_uid;		/* the account named user */
	int has_pw_uid;
};

static int parse_filters(struct filter *q, char **f, int n,
			 struct dossier_buf *out)
{
	const char *v, *s, *e;
	int i;

	memset(q, 0, sizeof(*q));
	q->limit = AUDIT_DEFAULT_LIMIT;
	for (i = 1; i < n; i++) {
		v = strchr(f[i], '=');
		if (!v)
			goto usage;
		v++;
		if (!strncmp(f[i], "user=", 5) && *v) {
			q->user = v;
		} else if (!strncmp(f[i], "path=", 5)) {
			for (s = v; *s == '/'; s++)
				;
			for (e = s + strlen(s); e > s && e[-1] == '/'; e--)
				;
			if ((size_t)(e - s) >= sizeof(q->path))
				goto usage;
			memcpy(q->path, s, (size_t)(e - s));
			q->path[e - s] = '\0';
			q->has_path = q->path[0] != '\0';
		} else if (!strncmp(f[i], "since=", 6)) {
			if (parse_since(v, &q->since_ns) < 0)
				return control_status(out, 2, "since: give "
						      "unix seconds or an ISO "
						      "8601 time "
						      "(2024-05-01T10:00Z)");
			q->has_since = 1;
		} else if (!strncmp(f[i], "denied=", 7) &&
			   (!strcmp(v, "1") || !strcmp(v, "0"))) {
			q->denied = *v == '1';
		} else if (!strncmp(f[i], "limit=", 6) && all_digits(v) &&
			   strlen(v) < 10) {
			q->limit = strtoll(v, NULL, 10);
		} else {
			goto usage;
		}
	}
	return 0;
usage:
	return control_status(out, 2, "usage: audit [user=NAME] [path=PREFIX] "
			      "[since=TIME] [denied=1] [limit=N]");
}

/*
 * The uid a user name stands for: the rule store's, else the account's
 * (q->pw_uid, looked up before taking the lock: NSS may be slow). Lock
 * held.
 */
static int name_uid(struct dossier_archive *a, const struct filter *q,
		    uid_t *out)
{
	if (a->rules && dossier_rules_user_lookup(a->rules, q->user, out) == 0)
		return 0;
	dossier_error_clear();
	if (q->has_pw_uid) {
		*out = q->pw_uid;
		return 0;
	}
	return -1;
}

/*
 * The text of q's query: a user name matches the name recorded or the
 * uid it stands for (*uid), digits the uid. Lock held.
 */
static void query_sql(struct dossier_archive *a, const struct filter *q,
		      struct dossier_buf *sql, uid_t *uid)
{
	int by_uid = 0, by_name = 0;

	if (q->user) {
		if (all_digits(q->user)) {
			*uid = (uid_t)strtoul(q->user, NULL, 10);
			by_uid = 1;
		} else {
			by_name = 1;
			by_uid = name_uid(a, q, uid) == 0;
		}
	}
	dossier_buf_addf(sql, "SELECT time_ns, user, uid, pid, program, "
			 "action, path, allowed, rule, detail FROM (SELECT * "
			 "FROM audit WHERE 1");
	if (by_name && by_uid)
		dossier_buf_addf(sql, " AND (user = ?1 OR uid = ?2)");
	else if (by_name)
		dossier_buf_addf(sql, " AND user = ?1");
	else if (by_uid)
		dossier_buf_addf(sql, " AND uid = ?2");
	/* the path itself or anything below it: '0' follows '/' */
	if (q->has_path)
		dossier_buf_addf(sql, " AND (path = ?3 OR (path > ?3 || '/' "
				 "AND path < ?3 || '0'))");
	if (q->has_since)
		dossier_buf_addf(sql, " AND time_ns >= ?4");
	if (q->denied)
		dossier_buf_addf(sql, " AND allowed = 0");
	dossier_buf_addf(sql, " ORDER BY id DESC LIMIT ?5) ORDER BY id");
}

/* Append column i of st as a number to body, "-" for NULL, then sep. */
static void add_number(struct dossier_buf *body, sqlite3_stmt *st, int i,
		       char sep)
{
	char num[32];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		snprintf(num, sizeof(num), "-");
	else
		snprintf(num, sizeof(num), "%lld", sqlite3_column_int64(st, i));
	add_field(body, num, sep);
}

/* Append the row of the query at st to body as one line. */
static void add_row(struct dossier_buf *body, sqlite3_stmt *st)
{
	time_t t = (time_t)(sqlite3_column_int64(st, 0) / 1000000000);
	char when[32];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_field(body, when, '\t');
	add_field(body, (const char *)sqlite3_column_text(st, 1), '\t');
	add_number(body, st, 2, '\t');
	add_number(body, st, 3, '\t');
	add_field(body, (const char *)sqlite3_column_text(st, 4), '\t');
	add_field(body, (const char *)sqlite3_column_text(st, 5), '\t');
	add_field(body, (const char *)sqlite3_column_text(st, 6), '\t');
	add_field(body, sqlite3_column_int(st, 7) ? "allowed" : "denied",
		  '\t');
	add_number(body, st, 8, '\t');
	add_field(body, (const char *)sqlite3_column_text(st, 9), '\n');
}

/* Run the query of q and append one line per row to body. Lock held. */
static int query(struct dossier_archive *a, const struct filter *q,
		 struct dossier_buf *body, int64_t *nrows)
{
	struct dossier_buf sql = DOSSIER_BUF_INIT;
	sqlite3_stmt *st = NULL;
	uid_t uid = 0;
	int rc;

	*nrows = 0;
	query_sql(a, q, &sql, &uid);
	rc = dossier_db_prepare(a->db, sql.buf, &st);
	dossier_buf_release(&sql);
	if (rc < 0)
		return rc;
	/* parameters the filters left out of the text are bound unused */
	dossier_db_bind(st, "titii", q->user, (int64_t)uid, q->path,
			q->since_ns, q->limit ? q->limit : (int64_t)-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		add_row(body, st);
		(*nrows)++;
	}
	rc = rc == SQLITE_DONE ? 0 : dossier_db_err(a->db, rc, "read audit");
	sqlite3_finalize(st);
	return rc;
}

/*
 * audit [user=NAME] [path=PREFIX] [since=TIME] [denied=1] [limit=N]: the
 * latest N rows (1000 unless given; 0: all) matching, oldest first. Only
 * auditors; the reading is audited too, as is a refusal.
 */
static int ctl_audit(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	struct dossier_buf body = DOSSIER_BUF_INIT;
	struct filter q;
	char msg[128];
	int64_t nrows = 0;
	int rc, may;

	if (parse_filters(&q, f, n, out) != 0)
		return 2;
	if (q.user) {
		struct passwd pw, *res = NULL;
		char buf[1024];

		if (getpwnam_r(q.user, &pw, buf, sizeof(buf), &res) == 0 &&
		    res) {
			q.pw_uid = res->pw_uid;
			q.has_pw_uid = 1;
		}
	}
	pthread_mutex_lock(&a->lock);
	may = may_read_trail(a, who);
	if (!may)
		audit_record(a->audit, who, "audit", q.path, 0, 0,
			     "read the audit trail");
	pthread_mutex_unlock(&a->lock);
	if (!may)
		return control_status(out, 1, "only auditors read the audit "
					    "trail");
	/* rows recorded before asking are in the answer */
	audit_flush(a->audit);
	pthread_mutex_lock(&a->lock);
	rc = query(a, &q, &body, &nrows);
	audit_record(a->audit, who, "audit", q.path, rc == 0, 0,
		     "read the audit trail");
	pthread_mutex_unlock(&a->lock);
	if (rc < 0) {
		dossier_buf_release(&body);
		return control_refused(out, rc, "audit");
	}
	snprintf(msg, sizeof(msg), "%" PRId64 " row%s%s", nrows,
		 nrows == 1 ? "" : "s", q.limit && nrows == q.limit ?
		 " (the latest: raise the limit for more)" : "");
	control_status(out, 0, msg);
	dossier_buf_add(out, body.buf, body.len);
	dossier_buf_release(&body);
	return 0;
}

const struct control_cmd control_audit_cmds[] = {
	{ "audit", ctl_audit },
	{ NULL, NULL },
};
