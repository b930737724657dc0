/*
 * Editors' scratch files and save dances: which record a scratch name is
 * derived from (and so decided as), and the record an editor's save may
 * revive or swap back, for its own user only.
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
#include "journal_i.h"
#include "tree_i.h"
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

/*
 * An editor's save dance may be finished only by the user who began it
 * and who may write the record: anyone else's create or rename onto the
 * freed name is a record of its own (never a save of the hidden one,
 * never a way to its old content). Lock held.
 */
uint64_t tree_dance_of(struct dossier_archive *a,
			 const struct dossier_caller *who, uint64_t id)
{
	struct node r;

	if (!id || archive_get_node(a, id, &r) < 0 ||
	    archive_decide(a, who, &r, NULL, DOSSIER_ACT_WRITE) < 0) {
		dossier_error_clear();
		return 0;
	}
	return id;
}

/* A record who deleted from parent/name within the window, or 0. */
uint64_t tree_recently_deleted(struct dossier_archive *a,
				 const struct dossier_caller *who,
				 uint64_t parent, const char *name, int64_t t)
{
	return tree_dance_of(a, who, (uint64_t)archive_query_id(a, "SELECT id FROM node "
				"WHERE parent = ?1 AND name = ?2 AND kind = 5 "
				"AND scratch = 0 AND deleted_ns > ?3 AND "
				"deleted_by = ?4 ORDER BY deleted_ns DESC "
				"LIMIT 1", "itii", (int64_t)parent, name,
				t - HISTORY_WINDOW_NS, (int64_t)who->uid));
}

/* A live record who renamed away from parent/name within the window, or 0. */
uint64_t tree_recently_displaced(struct dossier_archive *a,
				   const struct dossier_caller *who,
				   uint64_t parent, const char *name,
				   int64_t t)
{
	return tree_dance_of(a, who, (uint64_t)archive_query_id(a, "SELECT id FROM node "
				"WHERE parent = ?1 AND prev_name = ?2 AND "
				"displaced_ns > ?3 AND displaced_by = ?4 AND "
				"deleted_ns IS NULL AND kind = 5 LIMIT 1",
				"itii", (int64_t)parent, name, t - HISTORY_WINDOW_NS,
				(int64_t)who->uid));
}

/*
 * Scratch file id takes record rid's classification and is decided as
 * rid from now on (it holds, or will hold, what rid holds). Lock held.
 */
int tree_derive_from(struct dossier_archive *a, uint64_t id, uint64_t rid)
{
	return archive_exec(a, "UPDATE node SET derived = ?1, level = (SELECT "
			    "level FROM node WHERE id = ?1), scope = (SELECT "
			    "scope FROM node WHERE id = ?1), dept = (SELECT "
			    "dept FROM node WHERE id = ?1) WHERE id = ?2", "ii",
			    (int64_t)rid, (int64_t)id);
}

/*
 * The record a scratch name is derived from, by the editors' naming
 * (ecosystem.md): vim's .NAME.swp and NAME~, LibreOffice's .~lock.NAME#,
 * rsync's .NAME.XXXXXX, KIO's NAME.part, AppleDouble's ._NAME, Office's
 * ~$NAME (which drops the name's first one or two characters). Only a
 * record who may list counts. 0 if none.
 */
uint64_t tree_scratch_origin(struct dossier_archive *a,
			       const struct dossier_caller *who,
			       uint64_t parent, const char *nfc)
{
	char base[DOSSIER_NAME_MAX + 1];
	size_t len = strlen(nfc);
	struct node r;
	sqlite3_stmt *st = NULL;
	uint64_t id = 0;

	base[0] = '\0';
	if (len > 5 && nfc[0] == '.' && !strncmp(nfc + len - 4, ".sw", 3))
		snprintf(base, sizeof(base), "%.*s", (int)(len - 5), nfc + 1);
	else if (len > 1 && nfc[len - 1] == '~')
		snprintf(base, sizeof(base), "%.*s", (int)(len - 1), nfc);
	else if (len > 8 && !strncmp(nfc, ".~lock.", 7) && nfc[len - 1] == '#')
		snprintf(base, sizeof(base), "%.*s", (int)(len - 8), nfc + 7);
	else if (len > 5 && !strcmp(nfc + len - 5, ".part"))
		snprintf(base, sizeof(base), "%.*s", (int)(len - 5), nfc);
	else if (len > 2 && !strncmp(nfc, "._", 2))
		snprintf(base, sizeof(base), "%s", nfc + 2);
	else if (len > 8 && nfc[0] == '.' && nfc[len - 7] == '.')
		snprintf(base, sizeof(base), "%.*s", (int)(len - 8), nfc + 1);
	if (base[0] && archive_find_visible(a, who, parent, base, &r) == 0 &&
	    r.kind == DOSSIER_KIND_FILE && !r.scratch)
		return r.id;
	if (len < 3 || strncmp(nfc, "~$", 2))
		return 0;
	/* Office: ~$ replaces the first characters of a long name */
	if (archive_stmt(a, "SELECT id FROM node WHERE parent = ?1 AND "
			 "deleted_ns IS NULL AND kind = 5 AND scratch = 0 AND "
			 "(name = ?2 OR substr(name, 2) = ?2 OR "
			 "substr(name, 3) = ?2) ORDER BY id", &st) < 0)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)parent);
	sqlite3_bind_text(st, 2, nfc + 2, -1, SQLITE_STATIC);
	while (!id && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t c = (uint64_t)sqlite3_column_int64(st, 0);

		if (archive_get_node(a, c, &r) == 0 &&
		    archive_decide(a, who, &r, NULL, DOSSIER_ACT_LIST) == 0)
			id = c;
	}
	archive_stmt_done(st);
	dossier_error_clear();
	return id;
}

/*
 * A new scratch file: decided as the record its name derives from, or
 * its creator's alone (a save's temp holds what its creator writes, of
 * any classification). Lock held, in a transaction.
 */
int tree_classify_scratch(struct dossier_archive *a,
			    const struct dossier_caller *who, uint64_t id,
			    uint64_t parent, const char *nfc)
{
	uint64_t rid = tree_scratch_origin(a, who, parent, nfc);

	if (rid)
		return tree_derive_from(a, id, rid);
	return archive_exec(a, "UPDATE node SET derived = -1 WHERE id = ?",
			    "i", (int64_t)id);
}

/* Bring a recently deleted record back under its name. */
int tree_undelete(struct dossier_archive *a, uint64_t id)
{
	int rc = archive_exec(a, "UPDATE node SET deleted_ns = NULL, deleted_by "
			   "= NULL, deleted_path = NULL WHERE id = ?", "i",
			   (int64_t)id);

	if (rc == 0)
		rc = journal_forget(a, id, "delete");
	return rc;
}
