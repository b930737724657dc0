#include "rules_i.h"

/*
 * The default policy (PRODUCT.md) as rows, written at the creation of
 * a catalog or into one migrated from before the rule store.
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

/*
 * The policy shipped by `dossierctl init` (PRODUCT.md, "Classification and
 * access"). Choices where the product is silent say so in their note.
 */
static const char seed_sql[] =
	"INSERT INTO role(name, zh) VALUES"
	" ('gm', '总经理'), ('deputy_gm', '副总经理'), ('director', '总监'),"
	" ('office_director', '总经理办公室主任'), ('manager', '部门经理'),"
	" ('sales', '销售人员'), ('archivist', '档案管理员'),"
	" ('auditor', '审计'), ('staff', '员工');"
	"INSERT INTO level(rank, name, zh, max_grant_seconds, lendable, note)"
	" VALUES"
	" (0, 'internal', '非密', 28800, 1,"
	"  'internal grants last at most 8 h (policy choice: a working day)'),"
	" (1, 'confidential', '秘密', 14400, 1,"
	"  'confidential grants last at most 4 h'),"
	" (2, 'secret', '机密', NULL, 0, 'secret records are never lent'),"
	" (3, 'topsecret', '绝密', NULL, 0,"
	"  'topsecret records are never lent');"
	"INSERT INTO site(name, note) VALUES ('reading-room',"
	" 'the reading room: a mount started with -o site=reading-room');"
	"INSERT INTO setting(key, value) VALUES ('trash-days', '30'),"
	" ('root-role', 'archivist');"
	"INSERT INTO rule(id, family, priority, action, level, scope, relation,"
	" role, dept_role, user_dept, site, effect, approvers, note) VALUES"
	/* level family: list, read and history */
	" (1, 'level', 10, 'history', NULL, NULL, NULL, 'auditor', NULL, NULL,"
	"  NULL, 'allow', NULL,"
	"  'auditors read the history of every record they may list'),"
	" (2, 'level', 20, 'list', 3, NULL, NULL, 'gm,deputy_gm,archivist',"
	"  NULL, NULL, NULL, 'allow', NULL,"
	"  'topsecret records are listed to gm, deputy_gm and archivists, who"
	" file them'),"
	" (3, 'level', 21, 'list', 3, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'topsecret records are listed only to gm, deputy_gm"
	" and archivists'),"
	" (4, 'level', 22, 'list', 2, NULL, NULL,"
	"  'gm,deputy_gm,director,office_director,archivist', NULL, NULL, NULL,"
	"  'allow', NULL, 'secret records are listed to those who may read"
	" them in the reading room'),"
	" (5, 'level', 23, 'list', 2, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'secret records are listed only to those who may read"
	" them in the reading room'),"
	" (6, 'level', 30, NULL, 3, NULL, NULL, NULL, NULL, NULL, NULL, 'deny',"
	"  NULL, 'no one retrieves topsecret content through the filesystem'),"
	" (7, 'level', 40, NULL, 2, NULL, NULL,"
	"  'gm,deputy_gm,director,office_director,archivist', NULL, NULL,"
	"  'reading-room', 'allow', NULL, 'secret records are read at the"
	" reading-room site by gm, deputy_gm, directors, office_director and"
	" archivists'),"
	" (8, 'level', 41, NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, 'deny',"
	"  NULL, 'secret records are read only at the reading-room site and"
	" are never lent'),"
	" (9, 'level', 50, NULL, 1, NULL, NULL, 'gm,deputy_gm', NULL, NULL,"
	"  NULL, 'allow', NULL, 'gm and deputy_gm read confidential records'),"
	" (10, 'level', 51, NULL, 1, NULL, NULL, 'archivist', NULL, NULL, NULL,"
	"  'allow', NULL, 'archivists read confidential records directly to"
	" file them (policy choice)'),"
	" (11, 'level', 52, NULL, 1, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'gm,deputy_gm', 'confidential records are lent only on"
	" a grant approved by gm or deputy_gm'),"
	" (12, 'level', 60, NULL, 0, NULL, NULL,"
	"  'gm,deputy_gm,director,office_director', NULL, NULL, NULL, 'allow',"
	"  NULL, 'gm, deputy_gm, directors and office_director read internal"
	" records'),"
	" (13, 'level', 61, NULL, 0, NULL, NULL, 'archivist', NULL, NULL, NULL,"
	"  'allow', NULL, 'archivists read internal records directly to file"
	" them (policy choice)'),"
	" (14, 'level', 62, NULL, 0, NULL, 'owner', NULL, NULL, NULL, NULL,"
	"  'allow', NULL, 'owners read their own internal records as far as"
	" the scope rules allow (policy choice)'),"
	" (15, 'level', 63, NULL, 0, NULL, NULL, NULL, 'manager', NULL, NULL,"
	"  'allow', NULL, 'department managers read their department''s"
	" internal records as far as the scope rules allow (policy choice)'),"
	" (16, 'level', 64, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'dept:manager,gm,deputy_gm', 'internal records are lent"
	" on a grant approved by the requester''s department manager'),"
	/* scope family: list, read and history */
	" (20, 'scope', 10, 'history', NULL, NULL, NULL, 'auditor', NULL, NULL,"
	"  NULL, 'allow', NULL,"
	"  'auditors read the history of every record they may list'),"
	" (21, 'scope', 15, NULL, NULL, NULL, NULL, 'archivist', NULL, NULL,"
	"  NULL, 'allow', NULL, 'archivists file records of every scope"
	" (policy choice)'),"
	" (22, 'scope', 16, NULL, NULL, NULL, NULL, 'gm,deputy_gm', NULL, NULL,"
	"  NULL, 'allow', NULL, 'gm and deputy_gm read records of every scope"
	" (personal: policy choice)'),"
	" (19, 'scope', 17, NULL, NULL, NULL, 'owner', NULL, NULL, NULL, NULL,"
	"  'allow', NULL, 'owners (the account salesperson) read their own"
	" records of every scope (policy choice)'),"
	" (23, 'scope', 20, NULL, NULL, 'company', NULL, 'director', NULL,"
	"  'marketing', NULL, 'allow', NULL, 'company-level records are read"
	" by the marketing director, deputy_gm and gm'),"
	" (24, 'scope', 21, NULL, NULL, 'company', NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'director,gm,deputy_gm', 'company-level records are"
	" lent on a director''s grant'),"
	" (25, 'scope', 30, NULL, NULL, 'department', NULL, NULL, 'manager',"
	"  NULL, NULL, 'allow', NULL, 'department-level records are read by"
	" their department''s manager'),"
	" (26, 'scope', 31, NULL, NULL, 'department', NULL, NULL, NULL, NULL,"
	"  NULL, 'grantable', 'record:manager,gm,deputy_gm', 'department-level"
	" records are lent on a grant by their department''s manager'),"
	" (27, 'scope', 40, NULL, NULL, 'personal', 'owner', NULL, NULL, NULL,"
	"  NULL, 'allow', NULL, 'personal records are read by their owner'),"
	" (28, 'scope', 41, 'list', NULL, 'personal', 'other', NULL, NULL,"
	"  NULL, NULL, 'deny', NULL, 'another person''s personal records are"
	" listed only inside the owner''s department'),"
	" (29, 'scope', 42, NULL, NULL, 'personal', NULL, NULL, NULL, NULL,"
	"  NULL, 'grantable', 'record:manager,gm,deputy_gm', 'personal records"
	" are lent on a grant by the owner''s department manager'),"
	/* action family */
	" (40, 'action', 10, 'write', NULL, NULL, NULL, 'auditor', NULL, NULL,"
	"  NULL, 'deny', NULL, 'auditors do not change records'),"
	" (41, 'action', 11, 'write', NULL, NULL, 'owner', NULL, NULL, NULL,"
	"  NULL, 'allow', NULL, 'owners change the records they may read'),"
	" (42, 'action', 12, 'write', NULL, NULL, NULL,"
	"  'archivist,gm,deputy_gm', NULL, NULL, NULL, 'allow', NULL,"
	"  'archivists, gm and deputy_gm change the records they may read'),"
	" (43, 'action', 13, 'write', NULL, NULL, NULL, NULL, 'manager', NULL,"
	"  NULL, 'allow', NULL, 'department managers change their"
	" department''s records they may read'),"
	" (44, 'action', 14, 'write', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'grantable', 'record:manager,gm,deputy_gm', 'others change a record"
	" only on a write grant by its department''s manager, gm or"
	" deputy_gm'),"
	" (50, 'action', 20, 'delete', NULL, NULL, 'owner', NULL, NULL, NULL,"
	"  NULL, 'allow', NULL, 'owners delete the records they may change'),"
	" (51, 'action', 21, 'delete', NULL, NULL, NULL, 'archivist,gm', NULL,"
	"  NULL, NULL, 'allow', NULL, 'archivists and gm delete the records"
	" they may change'),"
	" (52, 'action', 22, 'delete', NULL, NULL, NULL, NULL, 'manager', NULL,"
	"  NULL, 'allow', NULL, 'department managers delete their"
	" department''s records'),"
	" (53, 'action', 23, 'delete', NULL, NULL, NULL, NULL, NULL, NULL,"
	"  NULL, 'deny', NULL, 'records are deleted only by their owner, their"
	" department''s manager, an archivist or gm'),"
	" (60, 'action', 30, 'create', NULL, NULL, NULL,"
	"  'sales,manager,director,office_director,deputy_gm,gm,archivist',"
	"  NULL, NULL, NULL, 'allow', NULL, 'sales, managers, directors,"
	" office_director, deputy_gm, gm and archivists file new records'),"
	" (61, 'action', 31, 'create', NULL, NULL, NULL, NULL, NULL, NULL,"
	"  NULL, 'deny', NULL, 'auditors and staff do not file new records'),"
	" (70, 'action', 40, 'classify', NULL, NULL, NULL, 'archivist,gm',"
	"  NULL, NULL, NULL, 'allow', NULL,"
	"  'archivists and gm classify records'),"
	" (71, 'action', 41, 'classify', NULL, NULL, NULL, NULL, NULL, NULL,"
	"  NULL, 'deny', NULL, 'only archivists and gm change a record''s"
	" level, scope, owner or department'),"
	" (80, 'action', 50, 'grant', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'allow', NULL, 'who approves a grant is named by the rule that makes"
	" the record grantable'),"
	" (90, 'action', 60, 'revoke', NULL, NULL, NULL,"
	"  'archivist,gm,deputy_gm', NULL, NULL, NULL, 'allow', NULL,"
	"  'archivists, gm and deputy_gm end grants'),"
	" (91, 'action', 61, 'revoke', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'a grant is ended by its approver, its holder, an"
	" archivist, gm or deputy_gm'),"
	" (95, 'action', 70, 'policy', NULL, NULL, NULL, 'archivist,gm', NULL,"
	"  NULL, NULL, 'allow', NULL, 'archivists and gm edit the policy'),"
	" (96, 'action', 71, 'policy', NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
	"  'deny', NULL, 'the policy is edited only by archivists and gm');";

int dossier_rules_seed_default(sqlite3 *db)
{
	int rc;

	if ((rc = dossier_db_exec(db, "SAVEPOINT rules_seed")) < 0)
		return rc;
	if ((rc = dossier_db_exec(db, seed_sql)) < 0) {
		sqlite3_exec(db, "ROLLBACK TO rules_seed; RELEASE rules_seed",
			     NULL, NULL, NULL);
		return rc;
	}
	return dossier_db_exec(db, "RELEASE rules_seed");
}

/*
 * A catalog that went through schema step 3 after the step stopped
 * seeding (it was made before the rule store, and migrated by this
 * version) has empty policy tables: it gets the default policy, as the
 * step gave it before.
 */
int rules_seed_if_empty(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc, empty;

	if ((rc = dossier_db_prepare(db, "SELECT NOT EXISTS (SELECT 1 FROM "
					 "role) AND NOT EXISTS (SELECT 1 FROM "
					 "level) AND NOT EXISTS (SELECT 1 FROM "
					 "rule)", &st)) < 0)
		return rc;
	empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!empty)
		return 0;
	dossier_log(LOG_NOTICE, "catalog: writing the default policy");
	return dossier_rules_seed_default(db);
}
