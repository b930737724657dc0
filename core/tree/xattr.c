/*
 * Extended attributes: user.* kept per record, classification and the ACL
 * answered by meta.c.
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


#define XATTR_VALUE_MAX 65536

/* Resolve id for an xattr call by who; lock held. */
static int xattr_node(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t id,
		      const char *name, struct node *n)
{
	int rc;

	if (ino_is_virtual(id))
		return name ? DOSSIER_ENODATA : DOSSIER_ENOTSUP;
	if ((rc = archive_get_node(a, id, n)) < 0)
		return rc;
	if (archive_decide(a, who, n, NULL, DOSSIER_ACT_LIST) < 0)
		return DOSSIER_EHIDDEN;
	if (name && strncmp(name, "user.", 5) != 0 && !meta_handles(name))
		return DOSSIER_ENOTSUP;
	return 0;
}

int dossier_archive_getxattr(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t id,
			     const char *name, void *buf, size_t size,
			     size_t *len)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc, src;

	id = node_of(id);

	*len = 0;
	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, name, &n)) < 0)
		goto unlock;
	if (meta_handles(name) &&
	    (rc = meta_get(a, who, &n, name, buf, size, len)) !=
		    DOSSIER_ENOTSUP)
		goto unlock;
	/*
	 * A record's own attributes may be content (Samba keeps alternate
	 * data streams and macOS resource forks there): read them only with
	 * the right to read the record. DOSATTRIB (hidden, read-only bits)
	 * is what smbd reads to list a folder.
	 */
	if (n.kind == DOSSIER_KIND_FILE && strcmp(name, "user.DOSATTRIB") &&
	    (rc = archive_decide(a, who, &n, NULL, DOSSIER_ACT_READ)) < 0)
		goto unlock;
	rc = 0;
	if ((rc = dossier_db_prepare(a->db, "SELECT value FROM xattr WHERE "
				     "node = ?1 AND name = ?2", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		if (size && *len > size)
			rc = DOSSIER_ERANGE;
		else if (size && *len)
			memcpy(buf, sqlite3_column_blob(st, 0), *len);
	} else if (src == SQLITE_DONE) {
		rc = DOSSIER_ENODATA;
	} else {
		rc = dossier_db_err(a->db, src, "get xattr");
	}
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_setxattr(struct dossier_archive *a,
			     const struct dossier_caller *who, uint64_t id,
			     const char *name, const void *value, size_t size,
			     int flags)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc, exists = 0, src;

	id = node_of(id);

	if (size > XATTR_VALUE_MAX)
		return DOSSIER_ENOSPC;
	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, name, &n)) < 0)
		goto unlock;
	if (meta_handles(name) &&
	    (rc = meta_set(a, who, &n, name, value, size)) != DOSSIER_ENOTSUP)
		goto unlock;
	rc = 0;
	if ((rc = archive_decide(a, who, &n, NULL, n.kind == DOSSIER_KIND_FILE ?
				DOSSIER_ACT_WRITE : DOSSIER_ACT_CREATE)) < 0)
		goto unlock;
	if ((rc = dossier_db_prepare(a->db, "SELECT 1 FROM xattr WHERE "
				     "node = ?1 AND name = ?2", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	st = NULL;
	if ((flags & 1 /* XATTR_CREATE */) && exists) {
		rc = DOSSIER_EEXISTS;
		goto unlock;
	}
	if ((flags & 2 /* XATTR_REPLACE */) && !exists) {
		rc = DOSSIER_ENODATA;
		goto unlock;
	}
	if ((rc = dossier_db_prepare(a->db, "INSERT OR REPLACE INTO xattr "
				     "VALUES(?1, ?2, ?3)", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, size ? value : "", (int)size, SQLITE_STATIC);
	src = sqlite3_step(st);
	if (src != SQLITE_DONE)
		rc = dossier_db_err(a->db, src, "set xattr");
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	/* a reclassification: open files refused before this returns */
	archive_notify_wait(a);
	return rc;
}

int dossier_archive_listxattr(struct dossier_archive *a,
			      const struct dossier_caller *who, uint64_t id,
			      char *buf, size_t size, size_t *len)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc;

	id = node_of(id);

	*len = 0;
	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, NULL, &n)) < 0)
		goto unlock;
	if ((rc = meta_list(a, &n, buf, size, len)) < 0)
		goto unlock;
	if ((rc = dossier_db_prepare(a->db, "SELECT name FROM xattr WHERE "
				     "node = ?1 ORDER BY name", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t l = (size_t)sqlite3_column_bytes(st, 0) + 1;

		if (size && *len + l > size) {
			rc = DOSSIER_ERANGE;
			break;
		}
		if (size)
			memcpy(buf + *len, sqlite3_column_text(st, 0), l);
		*len += l;
	}
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_archive_removexattr(struct dossier_archive *a,
				const struct dossier_caller *who, uint64_t id,
				const char *name)
{
	sqlite3_stmt *st = NULL;
	struct node n;
	int rc;

	id = node_of(id);

	pthread_mutex_lock(&a->lock);
	if ((rc = xattr_node(a, who, id, name, &n)) < 0)
		goto unlock;
	/* removing the computed ACL ends loans; a default ACL is none */
	if (!strncmp(name, "system.posix_acl_", 17)) {
		if (!strcmp(name, "system.posix_acl_access") &&
		    n.kind == DOSSIER_KIND_FILE)
			rc = meta_remove_acl(a, who, &n);
		goto unlock;
	}
	if ((rc = archive_decide(a, who, &n, NULL, n.kind == DOSSIER_KIND_FILE ?
				DOSSIER_ACT_WRITE : DOSSIER_ACT_CREATE)) < 0)
		goto unlock;
	if ((rc = dossier_db_prepare(a->db, "DELETE FROM xattr WHERE "
				     "node = ?1 AND name = ?2", &st)) < 0)
		goto unlock;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = dossier_db_err(a->db, SQLITE_ERROR, "remove xattr");
	else if (sqlite3_changes(a->db) == 0)
		rc = DOSSIER_ENODATA;
	sqlite3_finalize(st);
unlock:
	pthread_mutex_unlock(&a->lock);
	return rc;
}
