/* The audit trail: one row per read open, change, refusal, grant. */
#include "audit_i.h"

#include "control_i.h"
#include "error.h"

const char audit_schema[] = "SELECT 1;";

int audit_open(struct dossier_audit **out, struct dossier_archive *a)
{
	(void)a;
	*out = NULL;
	return 0;
}

void audit_close(struct dossier_audit *au)
{
	(void)au;
}

void audit_record(struct dossier_audit *au, const struct dossier_caller *who,
		  const char *action, const char *path, int allowed,
		  int64_t rule, const char *detail)
{
	(void)au;
	(void)who;
	(void)action;
	(void)path;
	(void)allowed;
	(void)rule;
	(void)detail;
}

void audit_flush(struct dossier_audit *au)
{
	(void)au;
}

const struct control_cmd control_audit_cmds[] = {
	{ NULL, NULL },
};
