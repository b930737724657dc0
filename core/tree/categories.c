/*
 * Categories: the fixed second level of the tree, listed, added, renamed
 * and given a retention by dossierctl.
 */
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


int dossier_category_list(struct dossier_archive *a,
			  int (*fn)(void *ctx, const char *name,
				    int retention_years),
			  void *ctx)
{
	sqlite3_stmt *st = a->st[ST_CATEGORIES];
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = fn(ctx, (const char *)sqlite3_column_text(st, 1),
			sqlite3_column_type(st, 2) == SQLITE_NULL ?
				-1 : sqlite3_column_int(st, 2));
	sqlite3_reset(st);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_category_add(struct dossier_archive *a, const char *name)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return rc;
	if (nfc[0] == '.') {
		dossier_error_set("a category name cannot start with '.'");
		return DOSSIER_EINVAL;
	}
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_begin(a)) == 0) {
		rc = archive_exec(a, "INSERT INTO category(name, position) "
				  "SELECT ?1, coalesce(max(position), 0) + 1 "
				  "FROM category", "t", nfc);
		if (rc == DOSSIER_EEXISTS)
			dossier_error_set("category '%s' already exists", nfc);
		/* every existing year gets the new category folder */
		if (rc == 0)
			rc = archive_exec(a, "INSERT INTO node(parent, name, "
					  "kind, category, mode, uid, gid, "
					  "mtime_ns, ctime_ns, created_ns) "
					  "SELECT y.id, ?1, 2, c.id, 17407, 0, "
					  "0, ?2, ?2, ?2 FROM node y, category c"
					  " WHERE y.kind = 1 AND y.deleted_ns IS"
					  " NULL AND c.name = ?1", "ti", nfc,
					  dossier_clock_ns());
		rc = archive_end(a, rc);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_category_set_retention(struct dossier_archive *a,
				   const char *name, int years)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return rc;
	pthread_mutex_lock(&a->lock);
	if (years < 0)
		rc = archive_exec(a, "UPDATE category SET retention_years = NULL"
				  " WHERE name = ?", "t", nfc);
	else
		rc = archive_exec(a, "UPDATE category SET retention_years = ? "
				  "WHERE name = ?", "it", (int64_t)years, nfc);
	if (rc == 0 && sqlite3_changes(a->db) == 0) {
		dossier_error_set("no category named '%s'", nfc);
		rc = DOSSIER_ENOTFOUND;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_category_rename(struct dossier_archive *a, const char *from,
			    const char *to)
{
	char f[DOSSIER_NAME_MAX + 1], t[DOSSIER_NAME_MAX + 1];
	int rc;

	if ((rc = dossier_name_normalize(f, sizeof(f), from)) < 0 ||
	    (rc = dossier_name_normalize(t, sizeof(t), to)) < 0)
		return rc;
	if (t[0] == '.') {
		dossier_error_set("a category name cannot start with '.'");
		return DOSSIER_EINVAL;
	}
	pthread_mutex_lock(&a->lock);
	if ((rc = archive_begin(a)) == 0) {
		rc = archive_exec(a, "UPDATE node SET name = ?2 WHERE kind = 2 "
				  "AND category = (SELECT id FROM category "
				  "WHERE name = ?1)", "tt", f, t);
		if (rc == 0)
			rc = archive_exec(a, "UPDATE category SET name = ?2 "
					  "WHERE name = ?1", "tt", f, t);
		if (rc == 0 && sqlite3_changes(a->db) == 0) {
			dossier_error_set("no category named '%s'", f);
			rc = DOSSIER_ENOTFOUND;
		} else if (rc == DOSSIER_EEXISTS) {
			dossier_error_set("category '%s' already exists", t);
		}
		rc = archive_end(a, rc);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}
