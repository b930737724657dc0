#include "rules_i.h"

/*
 * Mapped users: uid to name, role and department, and their edits.
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db_i.h"
#include "engine_i.h"
#include "error.h"
#include "log.h"

int dossier_rules_user_add(struct dossier_rules *r, uid_t uid,
			   const char *name, const char *role,
			   const char *dept)
{
	int rc;

	if (!name || !*name) {
		dossier_error_set("a user needs a name");
		return DOSSIER_EINVAL;
	}
	if (!rules_role_known(r, role)) {
		dossier_error_set("unknown role '%s'", role ? role : "");
		return DOSSIER_EINVAL;
	}
	rc = dossier_db_run(r->db, "add user", "INSERT INTO user(uid, name, "
			    "role, dept) VALUES (?, ?, ?, ?)", "ittt",
			    (int64_t)uid, name, role, dept && *dept ? dept :
			    NULL);
	if (rc == DOSSIER_EEXISTS) {
		dossier_error_clear();
		dossier_error_set("uid %lu or name '%s' is already mapped",
				  (unsigned long)uid, name);
	}
	return rc < 0 ? rc : dossier_rules_reload(r);
}

/*
 * rc of a statement that changed rows of user name: DOSSIER_ENOTFOUND
 * when it changed none.
 */
static int user_changed(struct dossier_rules *r, const char *name, int rc)
{
	if (rc == 0 && sqlite3_changes(r->db) == 0) {
		dossier_error_set("'%s' is not a mapped user", name);
		rc = DOSSIER_ENOTFOUND;
	}
	return rc;
}

int dossier_rules_user_set(struct dossier_rules *r, const char *name,
			   const char *role, const char *dept)
{
	int rc;

	if (role && !rules_role_known(r, role)) {
		dossier_error_set("unknown role '%s'", role);
		return DOSSIER_EINVAL;
	}
	rc = dossier_db_run(r->db, "change user", "UPDATE user SET role = "
			    "coalesce(?2, role), dept = CASE WHEN ?4 THEN "
			    "nullif(?3, '') ELSE dept END WHERE name = ?1",
			    "ttti", name, role, dept ? dept : "",
			    (int64_t)(dept != NULL));
	rc = user_changed(r, name, rc);
	if (rc == 0)
		rc = dossier_rules_reload(r);
	return rc;
}

int dossier_rules_user_remove(struct dossier_rules *r, const char *name,
			      int64_t now_s)
{
	int rc;

	/* grants end with the mapping: a later mapping starts afresh */
	rc = dossier_db_exec(r->db, "SAVEPOINT user_remove");
	if (rc == 0)
		rc = dossier_db_run(r->db, "change user", "UPDATE grant SET "
				    "revoked_s = ?2 WHERE revoked_s IS NULL AND "
				    "uid = (SELECT uid FROM user WHERE name = "
				    "?1)", "ti", name, now_s);
	if (rc == 0)
		rc = user_changed(r, name, dossier_db_run(r->db, "change user",
				  "DELETE FROM user WHERE name = ?1", "t",
				  name));
	if (rc == 0)
		rc = dossier_db_exec(r->db, "RELEASE user_remove");
	else
		sqlite3_exec(r->db, "ROLLBACK TO user_remove; RELEASE "
			     "user_remove", NULL, NULL, NULL);
	if (rc == 0)
		rc = dossier_rules_reload(r);
	return rc;
}

int dossier_rules_user_name(struct dossier_rules *r, uid_t uid, char *out,
			    size_t outsz)
{
	if (rules_name_of(r, uid, out, outsz) < 0) {
		dossier_error_set("user name of uid %lu: buffer too small",
				  (unsigned long)uid);
		return DOSSIER_ERANGE;
	}
	return 0;
}

int dossier_rules_user_lookup(struct dossier_rules *r, const char *name,
			      uid_t *out)
{
	size_t i;

	for (i = 0; name && i < r->p.nusers; i++) {
		if (!strcmp(r->p.users[i].name, name)) {
			*out = r->p.users[i].uid;
			return 0;
		}
	}
	dossier_error_set("no user '%s'", name ? name : "");
	return DOSSIER_ENOTFOUND;
}

int dossier_rules_user_info(struct dossier_rules *r, uid_t uid,
			    const char **role, const char **dept)
{
	size_t i;

	for (i = 0; i < r->p.nusers; i++)
		if (r->p.users[i].uid == uid) {
			if (role)
				*role = r->p.users[i].role;
			if (dept)
				*dept = r->p.users[i].dept;
			return 0;
		}
	if (uid == 0 && r->p.root_role) {
		if (role)
			*role = r->p.root_role;
		if (dept)
			*dept = NULL;
		return 0;
	}
	return DOSSIER_ENOTFOUND;
}

size_t dossier_rules_user_count(struct dossier_rules *r)
{
	return r->p.nusers;
}

int dossier_rules_user_at(struct dossier_rules *r, size_t i, uid_t *uid,
			  const char **name, const char **role,
			  const char **dept)
{
	if (i >= r->p.nusers)
		return DOSSIER_ENOTFOUND;
	*uid = r->p.users[i].uid;
	*name = r->p.users[i].name;
	*role = r->p.users[i].role;
	*dept = r->p.users[i].dept;
	return 0;
}
