#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "audit_i.h"
#include "history_i.h"
#include "meta_i.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"
#include "views_i.h"
#include "log.h"
#include "name.h"


void archive_object(const struct node *n, struct dossier_object *o)
{
	o->record = n->id;
	o->level = n->level;
	o->scope = (enum dossier_scope)n->scope;
	o->dept = n->dept[0] ? n->dept : NULL;
	o->owner = n->uid;
	o->is_folder = n->kind != DOSSIER_KIND_FILE;
}

/* The facts of the tree about n, for a question about it. */
static void tree_facts(const struct node *n, struct dossier_question *q)
{
	q->top = n->kind <= DOSSIER_KIND_CATEGORY;
	q->scratch_private = n->kind == DOSSIER_KIND_FILE &&
			     n->derived == SCRATCH_PRIVATE;
}

static int folder_visible_now(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      const struct node *n, int depth);

/* A folder is listed to whoever may create there or list anything in it. */
static int folder_visible(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n, int depth);

/* The folder a question is about, for holds_listed. */
struct asked {
	struct dossier_archive *a;
	const struct dossier_caller *who;
	const struct node *n;
};

static int holds_listed(void *ctx)
{
	const struct asked *q = ctx;

	return folder_visible(q->a, q->who, q->n, 0);
}

/*
 * Put the question of who doing act on n to the rule engine, which alone
 * decides (dossier_rules_ask): this gathers its facts. A scratch file is
 * decided as what it came from (docs/design.md, "What editors derive"):
 * a swap, backup or lock file as its record, so that exactly those who
 * may list the record list it, and those who may read it read it (grants
 * included); once its record is gone for good, by its own
 * classification. Lock held.
 */
int archive_verdict(struct dossier_archive *a, const struct dossier_caller *who,
		    const struct node *n, enum dossier_action act,
		    struct dossier_verdict *v)
{
	struct asked ctx = { a, who, n };
	struct dossier_object o;
	struct dossier_question q = {
		.uid = who->uid, .pid = who->pid,
		.site = a->site[0] ? a->site : NULL, .act = act, .obj = &o,
		.now_s = dossier_clock_ns() / 1000000000,
		.holds_listed = holds_listed, .ctx = &ctx,
	};
	struct node r;

	archive_object(n, &o);
	tree_facts(n, &q);
	if (n->kind == DOSSIER_KIND_FILE && n->derived > 0) {
		if (archive_get_node(a, (uint64_t)n->derived, &r) == 0 &&
		    !r.derived) {
			archive_object(&r, &o);
			tree_facts(&r, &q);
			q.derived = 1;
			ctx.n = &r;
		} else {
			dossier_error_clear();
		}
	}
	return dossier_rules_ask(a->rules, &q, v);
}

/*
 * The one place an operation is decided for a caller: the rule engine
 * (dossier_rules_ask) answers from memory. parent is the folder an entry
 * is deleted from (unused by the rules: the record decides).
 */
int archive_decide(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, const struct node *parent,
		   enum dossier_action act)
{
	struct dossier_verdict v;

	(void)parent;
	return archive_check(a, who, n, act, &v);
}

int archive_check(struct dossier_archive *a, const struct dossier_caller *who,
		  const struct node *n, enum dossier_action act,
		  struct dossier_verdict *v)
{
	archive_verdict(a, who, n, act, v);
	if (v->allow)
		return 0;
	if (act != DOSSIER_ACT_LIST)
		dossier_error_set("%s", v->why[0] ? v->why : "not allowed");
	dossier_error_set_rule(v->rule);
	return DOSSIER_EDENIED;
}

/*
 * Whether a folder shows depends on everything in it, so the answer is
 * remembered per (folder, caller) until the catalog changes or the clock
 * moves to the next second (grants end on their own). Lock held.
 */
static int folder_visible(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n, int depth)
{
	int64_t sec = dossier_clock_ns() / 1000000000;
	size_t slot = (n->id * 31 + who->uid) % VIS_SLOTS;
	int vis;

	if (depth == 0 && a->vis[slot].id == n->id &&
	    a->vis[slot].uid == who->uid &&
	    a->vis[slot].generation == a->generation &&
	    a->vis[slot].sec == sec)
		return a->vis[slot].visible;
	vis = folder_visible_now(a, who, n, depth);
	if (depth == 0) {
		a->vis[slot].id = n->id;
		a->vis[slot].uid = who->uid;
		a->vis[slot].generation = a->generation;
		a->vis[slot].sec = sec;
		a->vis[slot].visible = vis;
	}
	return vis;
}

static int folder_visible_now(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      const struct node *n, int depth)
{
	struct dossier_verdict v;
	sqlite3_stmt *st = NULL;
	char sql[512];
	int seen = 0;

	archive_verdict(a, who, n, DOSSIER_ACT_CREATE, &v);
	if (v.allow)
		return 1;
	if (depth > 4)
		return 0;
	/* one query for the folder's entries, decided in memory */
	snprintf(sql, sizeof(sql), "SELECT %s FROM node WHERE parent = ?1 "
		 "AND deleted_ns IS NULL ORDER BY kind DESC",
		 archive_node_cols);
	if (dossier_db_prepare(a->db, sql, &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	while (!seen && sqlite3_step(st) == SQLITE_ROW) {
		struct node c;

		archive_row_to_node(st, &c);
		if (c.kind == DOSSIER_KIND_FILE) {
			archive_verdict(a, who, &c, DOSSIER_ACT_LIST, &v);
			seen = v.allow;
		} else {
			seen = folder_visible(a, who, &c, depth + 1);
		}
	}
	sqlite3_finalize(st);
	return seen;
}

int archive_deny(struct dossier_archive *a, const struct dossier_caller *who,
		 const char *op, uint64_t id, const char *name, int rc)
{
	char *path = NULL, *full = NULL;

	archive_refuse(who, op, id, name, rc);
	/* a name that does not exist is no refusal; every other one is */
	if (!a->audit || rc == DOSSIER_ENOTFOUND)
		return rc;
	pthread_mutex_lock(&a->lock);
	if (!ino_is_virtual(id))
		path = archive_node_path(a, node_of(id));
	pthread_mutex_unlock(&a->lock);
	if (path && name && asprintf(&full, "%s%s%s", path, path[0] ? "/" : "",
				     name) < 0)
		full = NULL;
	audit_record(a->audit, who, op, full ? full : path, 0,
		     dossier_error_rule(), dossier_error_last()[0] ?
		     dossier_error_last() : dossier_strerror(rc));
	free(full);
	free(path);
	return rc;
}

int archive_refuse(const struct dossier_caller *who, const char *op,
		   uint64_t id, const char *name, int rc)
{
	dossier_log(LOG_NOTICE, "refused %s by uid %u on node %" PRIu64
		    " '%s': %s", op, (unsigned)who->uid, id,
		    name ? name : "", dossier_error_last()[0] ?
		    dossier_error_last() : dossier_strerror(rc));
	return rc;
}
