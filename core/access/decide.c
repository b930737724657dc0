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
#include "proc.h"
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

/* 1 if the program of pid is a thumbnailer (policy data, comma list). */
static int is_thumbnailer(struct dossier_archive *a, pid_t pid)
{
	char list[1024], prog[64], *tok, *save = NULL;

	if (!a->rules || dossier_rules_setting_get(a->rules, "thumbnailers",
						   list, sizeof(list)) < 0) {
		dossier_error_clear();
		return 0;
	}
	dossier_program_of(pid, prog, sizeof(prog));
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (!strcmp(tok, prog))
			return 1;
	return 0;
}

static int verdict(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, enum dossier_action act,
		   struct dossier_verdict *v);
static int verdict_scratch(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *n, enum dossier_action act,
			   struct dossier_verdict *v);
static int folder_visible_now(struct dossier_archive *a,
			      const struct dossier_caller *who,
			      const struct node *n, int depth);

/* A folder is listed to whoever may create there or list anything in it. */
static int folder_visible(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n, int depth);

static _Thread_local int64_t last_rule;

int64_t archive_last_rule(void)
{
	return last_rule;
}

int archive_verdict(struct dossier_archive *a, const struct dossier_caller *who,
		    const struct node *n, enum dossier_action act,
		    struct dossier_verdict *v)
{
	int rc = verdict(a, who, n, act, v);

	last_rule = v->rule;
	return rc;
}

/*
 * A scratch file is decided as what it came from (docs/design.md, "What
 * editors derive"): a swap, backup or lock file as its record, so that
 * exactly those who may list the record list it, and those who may read
 * it read it (grants included); removing it takes the right to write the
 * record (an editor cleans up after itself). A private one (a save's
 * temp, derived from nothing the creator could see) is its creator's
 * alone. Lock held.
 */
static int verdict_scratch(struct dossier_archive *a,
			   const struct dossier_caller *who,
			   const struct node *n, enum dossier_action act,
			   struct dossier_verdict *v)
{
	struct node r;

	if (n->derived == SCRATCH_PRIVATE) {
		v->allow = who->uid == n->uid && act != DOSSIER_ACT_GRANT &&
			   act != DOSSIER_ACT_HISTORY;
		snprintf(v->why, sizeof(v->why), "%s", v->allow ?
			 "a temporary file of yours" :
			 "another user's temporary file");
		return 0;
	}
	if (archive_get_node(a, (uint64_t)n->derived, &r) < 0 || r.derived) {
		/* its record is gone for good: its own classification */
		struct node own = *n;

		dossier_error_clear();
		own.derived = 0;
		return verdict(a, who, &own, act, v);
	}
	if (act == DOSSIER_ACT_DELETE)
		act = DOSSIER_ACT_WRITE;
	return verdict(a, who, &r, act, v);
}

static int verdict(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, enum dossier_action act,
		   struct dossier_verdict *v)
{
	struct dossier_object o;

	memset(v, 0, sizeof(*v));
	/* the fixed top of the tree is the same for everyone */
	if (n->kind <= DOSSIER_KIND_CATEGORY && act != DOSSIER_ACT_CREATE &&
	    act != DOSSIER_ACT_DELETE && act != DOSSIER_ACT_WRITE && act != DOSSIER_ACT_CLASSIFY) {
		v->allow = 1;
		return 0;
	}
	if (!a->rules) {
		v->allow = who->uid == 0;
		return 0;
	}
	if (n->kind == DOSSIER_KIND_FILE && n->derived)
		return verdict_scratch(a, who, n, act, v);
	if (n->kind != DOSSIER_KIND_FILE && act == DOSSIER_ACT_LIST) {
		v->allow = folder_visible(a, who, n, 0);
		snprintf(v->why, sizeof(v->why), "%s",
			 v->allow ? "folder holds something you may see" :
				    "nothing in this folder is yours to see");
		return 0;
	}
	archive_object(n, &o);
	if (n->kind != DOSSIER_KIND_FILE && act == DOSSIER_ACT_READ)
		act = DOSSIER_ACT_LIST;
	dossier_rules_decide(a->rules, who->uid, a->site[0] ? a->site : NULL,
			     act, &o, dossier_clock_ns() /
			     1000000000, v);
	if (v->allow && act == DOSSIER_ACT_READ && n->kind == DOSSIER_KIND_FILE &&
	    n->level > DOSSIER_LEVEL_INTERNAL && is_thumbnailer(a, who->pid)) {
		v->allow = 0;
		v->rule = 0;
		snprintf(v->why, sizeof(v->why), "thumbnailers may not read "
			 "records above internal (policy setting "
			 "'thumbnailers')");
	}
	return 0;
}

/*
 * The one place an operation is decided for a caller: the rule store
 * (core/rules.c) answers from memory. parent is the folder an entry is
 * deleted from (unused by the rules: the record decides).
 */
int archive_decide(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, const struct node *parent,
		   enum dossier_action act)
{
	struct dossier_verdict v;

	(void)parent;
	archive_verdict(a, who, n, act, &v);
	if (v.allow)
		return 0;
	if (act != DOSSIER_ACT_LIST)
		dossier_error_set("%s", v.why[0] ? v.why : "not allowed");
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
	struct dossier_object o;
	sqlite3_stmt *st = NULL;
	char sql[512];
	int seen = 0;
	int64_t now = dossier_clock_ns() / 1000000000;

	archive_object(n, &o);
	dossier_rules_decide(a->rules, who->uid, a->site[0] ? a->site : NULL,
			     DOSSIER_ACT_CREATE, &o, now, &v);
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
			verdict(a, who, &c, DOSSIER_ACT_LIST, &v);
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
		     archive_last_rule(), dossier_error_last()[0] ?
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
