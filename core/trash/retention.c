/*
 * Retention: when records are due. The daily purge, the wait for the
 * history window of a record just deleted, the deleted records with the
 * days they have left ('dossierctl trash'), and the live records whose
 * category's retention ended ('dossierctl due').
 */
#include "trash_priv_i.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"
#include "rules_i.h"

void trash_daily(struct dossier_archive *a, int64_t now_ns, int64_t *next_ns)
{
	int64_t last;
	size_t n = 0;

	if (*next_ns == 0) {
		/* not while a mount is starting */
		*next_ns = now_ns + 60LL * 1000000000;
		return;
	}
	if (now_ns < *next_ns)
		return;
	*next_ns = now_ns + 3600LL * 1000000000;
	pthread_mutex_lock(&a->lock);
	last = trash_query_int(a, "SELECT value FROM trash_state WHERE key = "
			       "'last-purge'", 0, 0);
	/* noted before running: a purge that fails is not retried hourly */
	if (now_ns - last >= DAY_NS &&
	    archive_exec(a, "INSERT OR REPLACE INTO trash_state(key, value) "
			 "VALUES('last-purge', ?)", "i", now_ns) < 0)
		last = now_ns;
	pthread_mutex_unlock(&a->lock);
	if (now_ns - last < DAY_NS)
		return;
	if (trash_purge(a, NULL, now_ns, NULL, &n) < 0)
		dossier_log(LOG_ERR, "daily purge: %s", dossier_error_last());
	else
		dossier_log(LOG_INFO, "daily purge: %zu records destroyed", n);
	dossier_error_clear();
}

int64_t trash_window_passed(struct dossier_archive *a)
{
	int64_t now = dossier_clock_ns(), last;
	struct timespec ts;

	pthread_mutex_lock(&a->lock);
	last = trash_days(a) == 0 ?
		       trash_query_int(a, "SELECT coalesce(max(deleted_ns), "
				       "0) FROM node WHERE kind = 5 AND "
				       "deleted_ns > ?",
				       now - HISTORY_WINDOW_NS, 0) : 0;
	pthread_mutex_unlock(&a->lock);
	if (last <= 0 || trash_expiry_ns(last, 0) <= now)
		return now;
	ts.tv_sec = (trash_expiry_ns(last, 0) - now) / 1000000000;
	ts.tv_nsec = (trash_expiry_ns(last, 0) - now) % 1000000000;
	nanosleep(&ts, NULL);
	return dossier_clock_ns();
}

/*
 * What keeps r or lets it go: "purging", "held", "approved" (to be
 * destroyed at level need or above), "needs approval", or "".
 */
static const char *disposal_state(struct dossier_archive *a,
				  const struct node *r, int need)
{
	struct trash_hold h;
	char appr[64];

	if (trash_is_purging(a, r->id))
		return "purging";
	if (trash_find_hold(a, r->id, &h) > 0)
		return "held";
	if (trash_find_approval(a, r->id, appr, sizeof(appr), NULL))
		return "approved";
	return r->level >= need ? "needs approval" : "";
}

/* What a row of a list needs besides its statement. */
struct row_ctx {
	int days;		/* the trash period */
	int need;		/* the lowest level that needs an approval */
	int64_t now;		/* when the list is made */
	struct dossier_buf *out;
};

typedef void row_fn(struct dossier_archive *a, sqlite3_stmt *st,
		    const struct node *r, const struct row_ctx *c);

/* Call row for each row of st whose node who may list. */
static void each_listed(struct dossier_archive *a,
			const struct dossier_caller *who, sqlite3_stmt *st,
			row_fn *row, const struct row_ctx *c)
{
	struct node r;

	while (sqlite3_step(st) == SQLITE_ROW) {
		archive_row_to_node(st, &r);
		if (archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) < 0) {
			dossier_error_clear();
			continue;
		}
		row(a, st, &r, c);
	}
}

/* One row of the trash list: st's node r. */
static void deleted_row(struct dossier_archive *a, sqlite3_stmt *st,
			const struct node *r, const struct row_ctx *c)
{
	const int days = c->days;
	const int base = ARCHIVE_NODE_NCOLS;
	int64_t del = sqlite3_column_int64(st, base);
	int64_t left = trash_expiry_ns(del, days) - c->now;
	const char *state = disposal_state(a, r, c->need);
	char by[64];

	trash_user_name(a, (uid_t)sqlite3_column_int64(st, base + 1), by,
			sizeof(by));
	/* the trash list shows what holds a record back, not approvals */
	if (!strcmp(state, "approved"))
		state = "";
	/* whole days, rounded up, never more than the period */
	left = left > 0 ? (left + DAY_NS - 1) / DAY_NS : 0;
	dossier_buf_addf(c->out, "%" PRIu64 "\t%" PRId64 "\t%" PRId64
			 "\t%s\t%s\t%s\t%s\n", r->id, del / 1000000000,
			 left > days ? (int64_t)days : left, state, by,
			 dossier_level_name(r->level),
			 sqlite3_column_text(st, base + 2));
}

int trash_deleted_rows(struct dossier_archive *a,
		       const struct dossier_caller *who, int64_t by,
		       struct dossier_buf *out)
{
	struct row_ctx c = { trash_days(a), trash_approval_level(a),
			     dossier_clock_ns(), out };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = trash_prepare_nodes(a, "", "deleted_ns, deleted_by, "
				      "coalesce(deleted_path, '') FROM node "
				      "WHERE kind = 5 AND scratch = 0 AND "
				      "deleted_ns IS NOT NULL AND (?1 < 0 OR "
				      "deleted_by = ?1) ORDER BY deleted_ns",
				      by, &st)) < 0)
		return rc;
	dossier_buf_addf(out, "days\t%d\n", c.days);
	each_listed(a, who, st, deleted_row, &c);
	sqlite3_finalize(st);
	return 0;
}

/* One row of the retention list: st's node r. */
static void due_row(struct dossier_archive *a, sqlite3_stmt *st,
		    const struct node *r, const struct row_ctx *c)
{
	const int base = ARCHIVE_NODE_NCOLS;
	int year = sqlite3_column_int(st, base);
	int keep = sqlite3_column_int(st, base + 2);
	char *path = archive_node_path(a, r->id);

	dossier_buf_addf(c->out, "%" PRIu64 "\t%d\t%s\t%d\t%d\t%s\t%s\t%s\n",
			 r->id, year, sqlite3_column_text(st, base + 1), keep,
			 year + keep + 1, dossier_level_name(r->level),
			 disposal_state(a, r, c->need), path ? path : "");
	free(path);
}

/*
 * The live records of categories with a retention, in year folders whose
 * retention ended before ?1 (this year): node columns, year, category,
 * retention years.
 */
#define DUE_SUB                                                             \
	"WITH RECURSIVE sub(nid, year, cat, keep) AS ("                     \
	" SELECT c.id, CAST(y.name AS INTEGER), k.name,"                    \
	" k.retention_years FROM node c JOIN node y ON y.id = c.parent"     \
	" JOIN category k ON k.id = c.category WHERE c.kind = 2 AND"        \
	" y.kind = 1 AND c.deleted_ns IS NULL AND y.deleted_ns IS NULL"     \
	" AND k.retention_years IS NOT NULL"                                \
	" AND CAST(y.name AS INTEGER) + k.retention_years < ?1"             \
	" UNION ALL SELECT n.id, sub.year, sub.cat, sub.keep"               \
	" FROM node n JOIN sub ON n.parent = sub.nid"                       \
	" WHERE n.deleted_ns IS NULL) "

int trash_due_rows(struct dossier_archive *a, const struct dossier_caller *who,
		   int year, struct dossier_buf *out)
{
	struct row_ctx c = { 0, trash_approval_level(a), 0, out };
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = trash_prepare_nodes(a, DUE_SUB, "sub.year, sub.cat, "
				      "sub.keep FROM sub JOIN node ON node.id "
				      "= sub.nid WHERE kind = 5 AND scratch = "
				      "0 ORDER BY sub.year, sub.cat, node.id",
				      year, &st)) < 0)
		return rc;
	each_listed(a, who, st, due_row, &c);
	sqlite3_finalize(st);
	return 0;
}
