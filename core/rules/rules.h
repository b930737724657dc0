#ifndef DOSSIER_CORE_RULES_H
#define DOSSIER_CORE_RULES_H

/*
 * Classification and access: the vocabulary of the rule store, shared by
 * core/, fs/ and dossierctl. The engine itself (struct dossier_rules,
 * decide, grants) is core-only, in rules_i.h.
 */

#include <stdint.h>
#include <sys/types.h>

/* What a caller asks to do. */
enum dossier_action {
	DOSSIER_ACT_LIST,	/* know that the name exists */
	DOSSIER_ACT_READ,
	DOSSIER_ACT_WRITE,
	DOSSIER_ACT_CREATE,	/* object: the client folder's defaults */
	DOSSIER_ACT_DELETE,
	DOSSIER_ACT_HISTORY,
	DOSSIER_ACT_CLASSIFY,	/* change level, scope, owner or dept */
	DOSSIER_ACT_GRANT,	/* approve grants on the record (for someone) */
};

/* Values are stored in the catalog (node.scope): never renumber. */
enum dossier_scope {
	DOSSIER_SCOPE_COMPANY = 0,
	DOSSIER_SCOPE_DEPARTMENT = 1,
	DOSSIER_SCOPE_PERSONAL = 2,
};

/* Levels, lowest to highest; stored as these numbers. */
#define DOSSIER_LEVEL_INTERNAL 0
#define DOSSIER_LEVEL_CONFIDENTIAL 1
#define DOSSIER_LEVEL_SECRET 2
#define DOSSIER_LEVEL_TOPSECRET 3

/* dossier_object.owner when the record has no owner. */
#define DOSSIER_NO_OWNER ((uid_t)-1)

/*
 * What a decision is about: a record with its effective (inherited)
 * classification, or a client folder's defaults (is_folder set, record 0).
 * dept may be NULL (no owning department); strings are borrowed for the
 * call only.
 */
struct dossier_object {
	uint64_t record;
	int level;
	enum dossier_scope scope;
	const char *dept;
	uid_t owner;
	int is_folder;
};

/*
 * The answer to one question. allow: the action may be done now.
 * grantable: not allowed now, but a grant could open it (only set for read,
 * history and write, and never for a level that is not lendable). rule: id
 * of the rule row that decided (0: no row, e.g. an unmapped account).
 * grant: id of the grant that opened it, else 0. why: one line of English.
 */
struct dossier_verdict {
	int allow;
	int grantable;
	int64_t rule;
	int64_t grant;
	char why[256];
};

/*
 * Level names: "internal" "confidential" "secret" "topsecret" (ASCII case
 * ignored), the Chinese 非密 秘密 机密 绝密, or the digits 0-3. Returns the
 * level, or -1 if s is none of these.
 */
int dossier_level_parse(const char *s);

/* "internal" ... "topsecret"; "?" for an unknown level. Static string. */
const char *dossier_level_name(int level);

/* Chinese name of a level (非密 ...); "?" if unknown. Static string. */
const char *dossier_level_name_zh(int level);

/*
 * Whether changing a record from level from to level to declassifies it
 * (lowers the level). A lowering needs DOSSIER_ACT_CLASSIFY and a reason,
 * which the caller checks.
 */
int dossier_level_is_lowering(int from, int to);

/*
 * Scope names: "company" "department" "personal" (ASCII case ignored), or
 * 公司级 部门级 个人级. Returns an enum dossier_scope, or -1 if unknown.
 */
int dossier_scope_parse(const char *s);

/* "company" "department" "personal"; "?" if unknown. Static string. */
const char *dossier_scope_name(enum dossier_scope s);

/* 公司级 部门级 个人级; "?" if unknown. Static string. */
const char *dossier_scope_name_zh(enum dossier_scope s);

/* "list" "read" ... "grant"; "?" if unknown. Static string. */
const char *dossier_action_name(enum dossier_action act);

#endif
