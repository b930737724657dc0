/*
 * What stat(2) says of a folder beyond its row: the link count (2 + the
 * sub-folders the caller sees, as on ext4) and the access time that
 * utimensat(2) set. Kept apart from the tree's operations (core/tree/).
 */
#include "archive_i.h"
#include "access_i.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

#include "rules_i.h"

/*
 * Sub-folders are counted through the partial index node_subdirs, so a
 * client folder of thousands of records costs only its sub-folders. Below
 * the categories a sub-folder counts only if the caller may list it: a
 * count of everything would tell of folders hidden from them.
 */
static char subdirs_sql[512];	/* its address keys archive_stmt() */
static pthread_once_t subdirs_once = PTHREAD_ONCE_INIT;

static void subdirs_build(void)
{
	snprintf(subdirs_sql, sizeof(subdirs_sql), "SELECT %s FROM node INDEXED BY "
		 "node_subdirs WHERE parent = ?1 AND kind <> 5 AND deleted_ns IS NULL",
		 archive_node_cols);
}

static nlink_t folder_links(struct dossier_archive *a,
			    const struct dossier_caller *who,
			    const struct node *n)
{
	sqlite3_stmt *st = NULL;
	nlink_t links = 2;

	pthread_once(&subdirs_once, subdirs_build);
	if (archive_stmt(a, subdirs_sql, &st) < 0)
		return 1;	/* "unknown": find(1) then looks everywhere */
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct dossier_verdict v;
		struct node c;

		archive_row_to_node(st, &c);
		if (!who || c.kind <= DOSSIER_KIND_CATEGORY ||
		    (archive_verdict(a, who, &c, DOSSIER_ACT_LIST, &v) == 0 &&
		     v.allow))
			links++;
	}
	archive_stmt_done(st);
	return links;
}

/* The access time set on a folder, or its mtime if none was. */
static int64_t folder_atime(struct dossier_archive *a, const struct node *n)
{
	static const char sql[] = "SELECT atime_ns FROM node WHERE id = ?1 "
		"AND atime_ns IS NOT NULL";
	sqlite3_stmt *st = NULL;
	int64_t t = n->mtime_ns;

	if (archive_stmt(a, sql, &st) < 0)
		return t;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	archive_stmt_done(st);
	return t;
}

void archive_folder_attr(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct node *n, struct stat *st)
{
	int64_t t = folder_atime(a, n);

	st->st_nlink = folder_links(a, who, n);
	st->st_atim.tv_sec = t / 1000000000;
	st->st_atim.tv_nsec = t % 1000000000;
}

int archive_folder_set_atime(struct dossier_archive *a, uint64_t id,
			     int64_t t)
{
	return archive_exec(a, "UPDATE node SET atime_ns = ? WHERE id = ?",
			    "ii", t, (int64_t)id);
}
