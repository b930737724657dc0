/*
 * The trash module's base: its settings and roles, the facts of a
 * deleted row, and the deleted folders a restore or a purge leaves empty.
 */
#include "trash_priv_i.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"
#include "rules_i.h"

char *trash_col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return strdup(t ? (const char *)t : "");
}

void trash_fmt_time(char *out, size_t outsz, int64_t ns, int seconds)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	localtime_r(&t, &tm);
	if (seconds)
		strftime(out, outsz, "%Y-%m-%d %H.%M.%S", &tm);
	else
		strftime(out, outsz, "%Y-%m-%d", &tm);
}

void trash_user_name(struct dossier_archive *a, uid_t uid, char *out,
		     size_t outsz)
{
	if (!a->rules || dossier_rules_user_name(a->rules, uid, out,
						 outsz) < 0) {
		dossier_error_clear();
		snprintf(out, outsz, "uid %lu", (unsigned long)uid);
	}
}

void trash_setting(struct dossier_archive *a, const char *key, const char *def,
		   char *out, size_t outsz)
{
	if (!a->rules || dossier_rules_setting_get(a->rules, key, out,
						   outsz) < 0) {
		dossier_error_clear();
		snprintf(out, outsz, "%s", def);
	}
}

int trash_days(struct dossier_archive *a)
{
	char v[32], *end;
	long d;

	trash_setting(a, "trash-days", "30", v, sizeof(v));
	d = strtol(v, &end, 10);
	if (end == v || *end || d < 0 || d > 36500) {
		dossier_log(LOG_WARNING, "setting trash-days '%s' is not a "
			    "number of days: using %d", v, DEFAULT_TRASH_DAYS);
		return DEFAULT_TRASH_DAYS;
	}
	return (int)d;
}

int trash_approval_level(struct dossier_archive *a)
{
	char v[32];
	int l;

	trash_setting(a, "destruction-approval-level", "confidential", v,
		      sizeof(v));
	l = dossier_level_parse(v);
	return l < 0 ? DEFAULT_APPROVAL_LEVEL : l;
}

int64_t trash_expiry_ns(int64_t deleted_ns, int days)
{
	int64_t p = (int64_t)days * DAY_NS;

	return deleted_ns + (p < HISTORY_WINDOW_NS ? HISTORY_WINDOW_NS : p);
}

/* 1 if who's role is in the comma list of setting key (def if unset). */
static int role_in(struct dossier_archive *a, const struct dossier_caller *who,
		   const char *key, const char *def)
{
	char list[512], *tok, *save = NULL;
	const char *role = NULL;

	if (!a->rules)
		return who->uid == 0;
	if (dossier_rules_user_info(a->rules, who->uid, &role, NULL) < 0 ||
	    !role) {
		dossier_error_clear();
		return 0;
	}
	trash_setting(a, key, def, list, sizeof(list));
	for (tok = strtok_r(list, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save))
		if (!strcmp(tok, role))
			return 1;
	return 0;
}

static int refuse_role(struct dossier_archive *a, const char *what,
		       const char *key, const char *def)
{
	char list[512];

	trash_setting(a, key, def, list, sizeof(list));
	dossier_error_set("%s is for the roles %s (setting '%s')", what, list,
			  key);
	return DOSSIER_EDENIED;
}

int trash_need_role(struct dossier_archive *a,
		    const struct dossier_caller *who, const char *what,
		    const char *key, const char *def)
{
	return role_in(a, who, key, def) ? 0 : refuse_role(a, what, key, def);
}

int64_t trash_query_int(struct dossier_archive *a, const char *sql, int64_t id,
			int64_t def)
{
	sqlite3_stmt *st = NULL;
	int64_t v = def;

	if (dossier_db_prepare(a->db, sql, &st) < 0) {
		dossier_error_clear();
		return def;
	}
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

void trash_file_attr(struct dossier_attr *out, uint64_t ino, mode_t mode,
		     uid_t uid, gid_t gid)
{
	memset(out, 0, sizeof(*out));
	out->id = ino;
	out->kind = DOSSIER_KIND_FILE;
	out->st.st_ino = ino;
	out->st.st_mode = S_IFREG | mode;
	out->st.st_nlink = 1;
	out->st.st_uid = uid;
	out->st.st_gid = gid;
	out->st.st_blksize = 4096;
}

int trash_prepare_nodes(struct dossier_archive *a, const char *head,
			const char *tail, int64_t arg, sqlite3_stmt **out)
{
	char sql[2048];
	int rc;

	*out = NULL;
	if ((size_t)snprintf(sql, sizeof(sql), "%sSELECT %s, %s", head,
			     archive_node_cols, tail) >= sizeof(sql)) {
		dossier_error_set("a statement of the trash is too long");
		return DOSSIER_ERROR;
	}
	if ((rc = dossier_db_prepare(a->db, sql, out)) == 0)
		sqlite3_bind_int64(*out, 1, arg);
	return rc;
}

int trash_is_purging(struct dossier_archive *a, uint64_t id)
{
	return trash_query_int(a,
			       "SELECT 1 FROM trash_purging WHERE record = ?1",
			       (int64_t)id, 0) != 0;
}

void trash_deletion_release(struct trash_deletion *d)
{
	free(d->name);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

int trash_deletion_get(struct dossier_archive *a, uint64_t id,
		       struct trash_deletion *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dossier_db_prepare(a->db, "SELECT name, coalesce("
				     "deleted_path, ''), coalesce(deleted_ns, "
				     "0), coalesce(deleted_by, -1) FROM node "
				     "WHERE id = ?1", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	rc = DOSSIER_ENOTFOUND;
	if (sqlite3_step(st) == SQLITE_ROW) {
		out->name = trash_col_dup(st, 0);
		out->path = trash_col_dup(st, 1);
		out->deleted_ns = sqlite3_column_int64(st, 2);
		out->deleted_by = (uid_t)sqlite3_column_int64(st, 3);
		rc = out->name && out->path ? 0 : DOSSIER_ERROR;
	}
	sqlite3_finalize(st);
	return rc;
}

int trash_prune_folders(struct dossier_archive *a, uint64_t id)
{
	struct node f;
	int rc = 0;

	while (rc == 0 && id != DOSSIER_ROOT_ID &&
	       archive_get_node(a, id, &f) == 0 && f.deleted &&
	       f.kind != DOSSIER_KIND_FILE &&
	       !trash_query_int(a,
				"SELECT 1 FROM node WHERE parent = ?1 LIMIT 1",
				(int64_t)id, 0)) {
		rc = archive_exec(a, "DELETE FROM node WHERE id = ?", "i",
				  (int64_t)id);
		id = f.parent;
	}
	dossier_error_clear();
	return rc;
}
