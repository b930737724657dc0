#ifndef DOSSIER_CORE_CONTROL_I_H
#define DOSSIER_CORE_CONTROL_I_H

#include <stddef.h>

#include "archive_i.h"
#include "buf.h"
#include "reply.h"

/*
 * One request handler, named ctl_<request> (dossierctl's commands are
 * cmd_<name>); f[0] is the request's name, n the field count.
 */
struct control_cmd {
	const char *name;
	int (*fn)(struct dossier_archive *a, const struct dossier_caller *who,
		  char **f, int n, struct dossier_buf *out);
};

/* Tables of handlers by module (control.c, control_rules.c, trash.c). */
extern const struct control_cmd control_history_cmds[];
extern const struct control_cmd control_rules_cmds[];
extern const struct control_cmd control_trash_cmds[];
extern const struct control_cmd control_audit_cmds[];
extern const struct control_cmd control_session_cmds[];

/*
 * After request cmd ended with status: if it may have changed who sees
 * what, drop every session's cached names and pages and wait until done
 * (session.c). Lock not held.
 */
void session_control_done(struct dossier_archive *a, const char *cmd,
			  int status);
extern const struct control_cmd control_text_cmds[];
extern const struct control_cmd control_backup_cmds[];	/* backup.c */

/*
 * Remove snapshots (ARCHIVE/backup-*) an interrupted backup or verify
 * left, which would keep purged bytes (backup.c). No lock needed.
 */
void backup_sweep_stages(struct dossier_archive *a);


/*
 * Whether who is an account the archive does not map (root counts as
 * mapped when the policy gives it a role). If so, and request is not one
 * open to anyone (whoami), the refusal is appended to out, audited and
 * logged, and 1 returned; else 0. Takes the archive lock itself.
 */
int control_unmapped(struct dossier_archive *a,
		     const struct dossier_caller *who, const char *request,
		     struct dossier_buf *out);

/*
 * Whether who may list record id now: a listing names a record only
 * then. Leaves no error message. Lock held.
 */
int control_may_list(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t id);

/*
 * Run one control request for who and append the reply to out; returns
 * the reply's status (0 done, 1 refused, 2 usage). Takes the archive lock
 * itself.
 */
int control_run(struct dossier_archive *a, const struct dossier_caller *who,
		const char *req, size_t len, struct dossier_buf *out);

#endif
