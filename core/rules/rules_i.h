#ifndef DOSSIER_CORE_RULES_I_H
#define DOSSIER_CORE_RULES_I_H

/*
 * The rule store and decision engine (core-only).
 *
 * Policy is data: users, roles, levels, sites, rules, grants and settings
 * are rows in the catalog (schema below); this module hard-codes only the
 * decision model:
 *
 * - Subject: the caller's uid -> user row (name, role, dept). An unmapped
 *   uid 0 takes the role named by setting 'root-role' (shipped:
 *   archivist) with no department; any other unmapped uid is denied
 *   everything, list included.
 * - Relation of subject to object: "owner" (uid == owner), else "dept"
 *   (same non-NULL department), else "other".
 * - A rule row matches when every non-NULL condition holds. Conditions
 *   holding text are comma lists ("gm,deputy_gm"); a value matches if it is
 *   one of them. action: the action evaluated; level: the record's level
 *   rank; scope: company|department|personal; relation: owner|dept|other;
 *   role: the subject's role; dept_role: the subject's role, the subject
 *   being in the record's department ("manager" = the manager of the
 *   record's department); user_dept: the subject's department; site: the
 *   mount's site. In a family the matching row of lowest (priority, id)
 *   decides; none matching means deny.
 * - list, read and history evaluate families 'level' and 'scope' (rows
 *   whose action is NULL or the action evaluated) and take the weaker
 *   verdict (deny < grantable < allow). A grantable verdict on a level
 *   whose lendable is 0 is a deny. An active grant (can_read,
 *   start_s <= now < end_s, not revoked) for (uid, record) turns grantable
 *   into allow for read and history, never deny into allow.
 * - list is allowed when that verdict is allow or grantable, or when an
 *   active grant lets the subject read the record now.
 * - history additionally needs list. write needs read, then family
 *   'action' row for "write" (grantable: a grant with can_write opens it).
 *   delete needs write, then the "delete" row. classify and grant need
 *   list, then their "classify" / "grant" rows. create asks the "create"
 *   row about the folder's defaults. grant also needs a lendable level and
 *   the subject to be named by the approvers of a grantable row.
 * - approvers (comma list) of a grantable row: ROLE = any user of that
 *   role; dept:ROLE = of that role in the grantee's department;
 *   record:ROLE = of that role in the record's department; owner = the
 *   record's owner. An approver must satisfy every grantable family.
 *
 * Thread model: none inside. The caller serialises every call on one
 * struct dossier_rules (and its sqlite3 connection) under its own lock.
 */

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rules.h"

struct dossier_rules;

/*
 * Write the default policy of PRODUCT.md as rows: roles, levels, the
 * reading-room site, rules and settings (trash-days, root-role), into the
 * tables of schema step 3 (schema_i.h): at the creation of a catalog. Works
 * inside or outside the caller's transaction (uses a savepoint). Fails
 * with DOSSIER_EEXISTS if the rows already exist.
 */
int dossier_rules_seed_default(sqlite3 *db);

/*
 * Load users, roles, levels, sites, rules and grants from db into memory;
 * first writes the default policy if the role, level and rule tables are
 * all empty (a catalog migrated from before the rule store).
 * db is borrowed and must outlive the result. Caller frees with
 * dossier_rules_free(). DOSSIER_ECORRUPT if a row cannot be understood
 * (unknown family or effect, a level out of range).
 */
int dossier_rules_open(struct dossier_rules **out, sqlite3 *db);

/* Free r; accepts NULL. Does not close the database. */
void dossier_rules_free(struct dossier_rules *r);

/*
 * Load everything again, after the policy or the users were edited by
 * another process (dossierctl). On failure r keeps its previous contents.
 */
int dossier_rules_reload(struct dossier_rules *r);

/*
 * Decide by the rows alone whether uid, on a mount of site (NULL: none),
 * may do act on obj at time now_s (the tree asks dossier_rules_ask, which
 * calls this). Fills out and returns 0 whatever the verdict; a negative
 * code only for bad arguments (DOSSIER_EINVAL). Runs on memory only: no
 * SQL.
 */
int dossier_rules_decide(struct dossier_rules *r, uid_t uid, const char *site,
			 enum dossier_action act,
			 const struct dossier_object *obj, int64_t now_s,
			 struct dossier_verdict *out);

/*
 * A question from the tree: may uid (process pid), on a mount of site
 * (NULL: none), do act on obj at time now_s? holds_listed(ctx) answers
 * whether a folder holds anything uid may list; it is called only for a
 * list of a folder, from inside dossier_rules_ask (the caller's lock
 * held, as for the question). The facts of the tree about obj:
 * top: the root, a year or a category folder;
 * scratch_private: a scratch file derived from nothing its creator
 * (obj->owner) could see, a save's temp;
 * derived: a scratch file derived from the record obj describes (vim's
 * swap, a lock file), decided as that record.
 */
struct dossier_question {
	uid_t uid;
	pid_t pid;
	const char *site;
	enum dossier_action act;
	const struct dossier_object *obj;
	int64_t now_s;
	int (*holds_listed)(void *ctx);
	void *ctx;
	int top;
	int scratch_private;
	int derived;
};

/*
 * The one decision of the tree: dossier_rules_decide's rows, under the
 * built-in policy of the tree, in this order:
 * - the fixed top (q->top) is listed, read and shown to everyone;
 *   creating, deleting, writing or classifying there go to the rows;
 * - with no policy loaded (r NULL) only uid 0 may do anything;
 * - a private scratch file (q->scratch_private) is its creator's alone
 *   (never history or grant);
 * - a folder is listed to whoever it holds something listed to
 *   (holds_listed); reading a folder is listing it;
 * - deleting a derived scratch file (q->derived) takes the right to
 *   write its record;
 * - thumbnailers (setting 'thumbnailers': the program names of pid, as
 *   /proc/PID/comm, read only then) never read records above internal.
 * Fills out (rule: the deciding row, 0 for a built-in answer) and returns
 * 0 whatever the verdict; DOSSIER_EINVAL for bad arguments. No SQL.
 */
int dossier_rules_ask(struct dossier_rules *r,
		      const struct dossier_question *q,
		      struct dossier_verdict *out);

/*
 * Map uid to a user. role must be a row of the role table (DOSSIER_EINVAL
 * otherwise); dept may be NULL. DOSSIER_EEXISTS if the uid or name is taken.
 * The caller checks who may do this (dossierctl runs as root).
 */
int dossier_rules_user_add(struct dossier_rules *r, uid_t uid,
			   const char *name, const char *role,
			   const char *dept);

/*
 * Change a mapped user's role (NULL: keep) and department (NULL: keep,
 * "": none). DOSSIER_ENOTFOUND if name is not mapped, DOSSIER_EINVAL for
 * an unknown role. The caller checks who may do this.
 */
int dossier_rules_user_set(struct dossier_rules *r, const char *name,
			   const char *role, const char *dept);

/*
 * Unmap a user: the account gets nothing from now on, and its grants
 * still running end at now_s. DOSSIER_ENOTFOUND if name is not mapped.
 */
int dossier_rules_user_remove(struct dossier_rules *r, const char *name,
			      int64_t now_s);

/*
 * The user name of uid into out, or "uid:N" if unmapped ("root" for an
 * unmapped uid 0). DOSSIER_ERANGE if outsz is too small.
 */
int dossier_rules_user_name(struct dossier_rules *r, uid_t uid, char *out,
			    size_t outsz);

/*
 * Role and department of uid (borrowed until the next reload); an
 * unmapped root gets the root-role setting. DOSSIER_ENOTFOUND if unmapped.
 */
int dossier_rules_user_info(struct dossier_rules *r, uid_t uid,
			    const char **role, const char **dept);

/* The mapped users, by index (borrowed strings). */
size_t dossier_rules_user_count(struct dossier_rules *r);
int dossier_rules_user_at(struct dossier_rules *r, size_t i, uid_t *uid,
			  const char **name, const char **role,
			  const char **dept);

/* The longest grant of level (seconds); 0 if the level is never lent. */
int64_t dossier_rules_level_max(struct dossier_rules *r, int level);

/*
 * May who do a record-less action of the 'action' rows ("policy",
 * "revoke")? 0, or DOSSIER_EDENIED with the rule's reason set.
 */
int dossier_rules_may(struct dossier_rules *r, uid_t who, const char *action);

/* Call fn for each grant still running at now_s; stops on fn != 0. */
int dossier_rules_grants_each(struct dossier_rules *r, int64_t now_s,
			      int (*fn)(void *ctx, int64_t id, uint64_t record,
					uid_t uid, int can_write,
					uid_t approved_by, int64_t start,
					int64_t end),
			      void *ctx);

/* The uid of user name; DOSSIER_ENOTFOUND if no such user. */
int dossier_rules_user_lookup(struct dossier_rules *r, const char *name,
			      uid_t *out);

/*
 * Record a grant by approver (on a mount of site) letting user read obj,
 * and write it if can_write, for seconds from now_s, for reason (not
 * empty). The grant id goes to *grant_id (may be NULL). Refused with
 * DOSSIER_EDENIED and a sentence via dossier_error_set() when the approver
 * may not approve it (an approver never approves their own grant), the
 * level is not lendable, seconds exceeds the level's maximum, or no grant
 * can open the record for user. DOSSIER_ENOTFOUND if user is not mapped,
 * DOSSIER_EEXISTS if user already has that access without a grant,
 * DOSSIER_EINVAL for seconds <= 0, an empty reason or a folder.
 */
int dossier_rules_grant(struct dossier_rules *r, uid_t approver,
			const char *site, const struct dossier_object *obj,
			uid_t user, int can_write, int64_t seconds,
			const char *reason, int64_t now_s, int64_t *grant_id);

/*
 * End grant grant_id at now_s. Allowed to its approver, its holder, and
 * whoever the 'revoke' rows allow (shipped: archivist, gm, deputy_gm);
 * DOSSIER_EDENIED otherwise, DOSSIER_ENOTFOUND if there is no such
 * unrevoked grant.
 */
int dossier_rules_revoke(struct dossier_rules *r, uid_t who, int64_t grant_id,
			 int64_t now_s);

/*
 * When the earliest grant active at now_s ends (for expiry timers: drop
 * cached access then); 0 if none.
 */
int64_t dossier_rules_next_expiry(struct dossier_rules *r, int64_t now_s);

/*
 * Explain to a person what uid may do with obj: one line per action
 * ("read: needs a grant (rule 52): confidential records are lent ...; a
 * grant approved by gm or deputy_gm, for at most 4 h, would allow it"),
 * naming the deciding rule and the grant or site that would allow it.
 * Written into out, NUL-terminated; DOSSIER_ERANGE if it did not fit.
 */
int dossier_rules_explain(struct dossier_rules *r, uid_t uid,
			  const char *site, const struct dossier_object *obj,
			  int64_t now_s, char *out, size_t outsz);

/*
 * Setting key into out. DOSSIER_ENOTFOUND if unset, DOSSIER_ERANGE if
 * outsz is too small.
 */
int dossier_rules_setting_get(struct dossier_rules *r, const char *key,
			      char *out, size_t outsz);

/*
 * Set key to value, if who may edit the policy (the 'policy' rows;
 * shipped: archivist and gm), else DOSSIER_EDENIED. The caller audits it.
 */
int dossier_rules_setting_set(struct dossier_rules *r, uid_t who,
			      const char *key, const char *value);

#endif
