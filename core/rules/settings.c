#include "rules_i.h"

/*
 * Policy settings: reading them, and editing them with a check of
 * each value.
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

int dossier_rules_setting_get(struct dossier_rules *r, const char *key,
			      char *out, size_t outsz)
{
	sqlite3_stmt *st = NULL;
	const char *val;
	int rc, n;

	if ((rc = dossier_db_prepare(r->db, "SELECT value FROM setting WHERE "
					 "key = ?", &st)) < 0)
		goto out;
	dossier_db_bind(st, "t", key);
	if ((rc = rules_step(r->db, st, "read setting")) < 0)
		goto out;
	if (rc == 0) {
		dossier_error_set("no setting '%s'", key);
		rc = DOSSIER_ENOTFOUND;
		goto out;
	}
	val = rules_col_text(st, 0);
	n = snprintf(out, outsz, "%s", val ? val : "");
	if (n < 0 || (size_t)n >= outsz) {
		dossier_error_set("setting '%s': buffer too small", key);
		rc = DOSSIER_ERANGE;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int64_t dossier_rules_level_max(struct dossier_rules *r, int level)
{
	if (level < 0 || level >= NLEVELS || !r->p.levels[level].present ||
	    !r->p.levels[level].lendable)
		return 0;
	return r->p.levels[level].max_grant;
}

int dossier_rules_may(struct dossier_rules *r, uid_t who, const char *action)
{
	const struct rule *ru;
	struct subject s;
	int rc;

	if ((rc = rules_subject_mapped(r, who, &s)) < 0)
		return rc;
	if (!rules_subject_may(r, &s, action, &ru)) {
		dossier_error_set("'%s' may not: %s", s.name,
				  rules_note_of(ru, action));
		return DOSSIER_EDENIED;
	}
	return 0;
}

/* Whether key is a row of the setting table. */
static int setting_known(struct dossier_rules *r, const char *key)
{
	sqlite3_stmt *st = NULL;
	int known = 0;

	if (dossier_db_prepare(r->db, "SELECT 1 FROM setting WHERE key = ?",
			       &st) == 0) {
		dossier_db_bind(st, "t", key);
		known = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return known;
}

/* The value of trash-days: a number of days. */
static int check_days(const char *value)
{
	if (!value[0] || strlen(value) > 6 ||
	    strspn(value, "0123456789") != strlen(value)) {
		dossier_error_set("trash-days is a number of days (0 purges at "
				  "the next run), not '%s'", value);
		return DOSSIER_EINVAL;
	}
	return 0;
}

/* The value of a key *-level: a level. */
static int check_level(const char *key, const char *value)
{
	if (dossier_level_parse(value) < 0) {
		dossier_error_set("%s is a level (internal, confidential, "
				  "secret, topsecret), not '%s'", key, value);
		return DOSSIER_EINVAL;
	}
	return 0;
}

/* The value of a list of roles (key *-roles), or of root-role: one role. */
static int check_roles(struct dossier_rules *r, const char *key,
		       const char *value)
{
	char role[64];
	const char *p = value, *comma;

	do {
		comma = strchr(p, ',');
		snprintf(role, sizeof(role), "%.*s", comma ?
			 (int)(comma - p) : (int)strlen(p), p);
		if (!rules_role_known(r, role)) {
			dossier_error_set("%s: '%s' is not a role (gm, "
					  "deputy_gm, director, "
					  "office_director, manager, "
					  "sales, archivist, auditor, "
					  "staff)", key, role);
			return DOSSIER_EINVAL;
		}
		p = comma ? comma + 1 : NULL;
	} while (p && strcmp(key, "root-role"));
	if (p) {
		dossier_error_set("root-role is one role");
		return DOSSIER_EINVAL;
	}
	return 0;
}

/*
 * A setting's value must make sense for its key: keys are the rows init
 * seeded (an unknown key is a typo, never a new setting), and the value
 * is read as the key's kind (days, a level, a role, a list of roles).
 */
static int setting_check(struct dossier_rules *r, const char *key,
			 const char *value)
{
	size_t len = strlen(key);

	if (!setting_known(r, key)) {
		dossier_error_set("'%s' is not a setting ('dossierctl policy' "
				  "lists them)", key);
		return DOSSIER_EINVAL;
	}
	if (!strcmp(key, "trash-days"))
		return check_days(value);
	if (len > 6 && !strcmp(key + len - 6, "-level"))
		return check_level(key, value);
	if ((!strcmp(key, "root-role") && value[0]) ||
	    (len > 6 && !strcmp(key + len - 6, "-roles")))
		return check_roles(r, key, value);
	if (!value[0] && strcmp(key, "root-role")) {
		/* root-role "": uid 0 unmapped is like any unmapped uid */
		dossier_error_set("%s needs a value", key);
		return DOSSIER_EINVAL;
	}
	return 0;
}

int dossier_rules_setting_set(struct dossier_rules *r, uid_t who,
			      const char *key, const char *value)
{
	const struct rule *ru;
	struct subject s;
	int rc;

	if (!key || !*key || !value) {
		dossier_error_set("a setting needs a key and a value");
		return DOSSIER_EINVAL;
	}
	if ((rc = rules_subject_mapped(r, who, &s)) < 0)
		return rc;
	if (!rules_subject_may(r, &s, "policy", &ru)) {
		dossier_error_set("'%s' may not set '%s': %s", s.name, key,
				  rules_note_of(ru, "policy"));
		return DOSSIER_EDENIED;
	}
	if ((rc = setting_check(r, key, value)) < 0)
		return rc;
	if ((rc = dossier_db_run(r->db, "set setting", "INSERT OR REPLACE "
				 "INTO setting(key, value) VALUES (?, ?)",
				 "tt", key, value)) < 0)
		return rc;
	dossier_log(LOG_INFO, "setting '%s' set to '%s' by '%s'", key, value,
		    s.name);
	/* the settings the engine keeps in memory */
	if (!strcmp(key, "root-role") || !strcmp(key, "thumbnailers"))
		rc = dossier_rules_reload(r);
	return rc;
}
