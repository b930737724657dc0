#include "rules_i.h"

/*
 * The vocabulary shared with fs/ and dossierctl: names of levels,
 * scopes and actions, and their parsing.
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

static const char *const level_en[NLEVELS] = {
	"internal", "confidential", "secret", "topsecret"
};
static const char *const level_zh[NLEVELS] = {
	"非密", "秘密", "机密", "绝密"
};
static const char *const scope_en[] = { "company", "department", "personal" };
static const char *const scope_zh[] = { "公司级", "部门级", "个人级" };
static const char *const action_names[] = {
	"list", "read", "write", "create", "delete", "history", "classify",
	"grant"
};

int dossier_level_parse(const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < NLEVELS; i++)
		if (!strcasecmp(s, level_en[i]) || !strcmp(s, level_zh[i]))
			return i;
	if (s[0] >= '0' && s[0] < '0' + NLEVELS && !s[1])
		return s[0] - '0';
	return -1;
}

const char *dossier_level_name(int level)
{
	return level >= 0 && level < NLEVELS ? level_en[level] : "?";
}

const char *dossier_level_name_zh(int level)
{
	return level >= 0 && level < NLEVELS ? level_zh[level] : "?";
}

int dossier_level_is_lowering(int from, int to)
{
	return to < from;
}

int dossier_scope_parse(const char *s)
{
	int i;

	if (!s)
		return -1;
	for (i = 0; i < 3; i++)
		if (!strcasecmp(s, scope_en[i]) || !strcmp(s, scope_zh[i]))
			return i;
	return -1;
}

const char *dossier_scope_name(enum dossier_scope s)
{
	return (unsigned)s < 3 ? scope_en[s] : "?";
}

const char *dossier_scope_name_zh(enum dossier_scope s)
{
	return (unsigned)s < 3 ? scope_zh[s] : "?";
}

const char *dossier_action_name(enum dossier_action act)
{
	return (unsigned)act < sizeof(action_names) / sizeof(action_names[0]) ?
		       action_names[act] : "?";
}
