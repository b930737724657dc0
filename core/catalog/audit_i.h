#ifndef DOSSIER_CORE_AUDIT_I_H
#define DOSSIER_CORE_AUDIT_I_H

/*
 * The audit trail (core-only): one row per read open, save, delete,
 * restore, reclassification, grant, revoke and refusal. Rows are queued
 * in memory and written in batches by a thread of their own, so the data
 * path never waits for the catalog; audit_close() writes everything. A
 * crash loses the rows queued in the last second (audit.c says more).
 *
 * The control request "audit" (control_audit_cmds) reads the trail, for
 * auditors: filters user=NAME path=PREFIX since=TIME denied=1 limit=N.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive.h"

struct dossier_audit;

/*
 * Start the writer for archive a (its catalog, through a->db under
 * a->lock: call without holding it). Caller frees with audit_close(),
 * before the catalog closes.
 */
int audit_open(struct dossier_audit **out, struct dossier_archive *a);

/*
 * Write every queued row, stop the writer, free. Accepts NULL. Not with
 * a->lock held; no audit_record() may run or follow.
 */
void audit_close(struct dossier_audit *au);

/*
 * Queue one row: who (uid, pid; the program is read from /proc now, the
 * user name is looked up by the writer; who NULL: the daemon itself),
 * action ("read", "save", "delete", "restore",
 * "classify", "grant", "revoke", "create", "rename", ...), the archive
 * path, whether it was allowed, the deciding rule (0: none) and a short
 * detail (NULL ok). Never blocks on the catalog; safe with the archive
 * lock held. Accepts au NULL (no audit: does nothing). With the queue
 * full, the row is dropped and counted.
 */
void audit_record(struct dossier_audit *au, const struct dossier_caller *who,
		  const char *action, const char *path, int allowed,
		  int64_t rule, const char *detail);

/*
 * audit_record() for a caller that already read who's program name (with
 * dossier_program_of(), e.g. for the thumbnailer rule): saves reading /proc
 * again (a few microseconds). program NULL: look it up.
 */
void audit_record_program(struct dossier_audit *au,
			  const struct dossier_caller *who,
			  const char *program, const char *action,
			  const char *path, int allowed, int64_t rule,
			  const char *detail);

/*
 * Return once every row queued before the call is written (or the write
 * failed, which is logged). Accepts NULL. Never with a->lock held: the
 * writer needs it.
 */
void audit_flush(struct dossier_audit *au);

/*
 * Queue at most max rows (default 100000); beyond, rows are dropped and
 * counted, and one row says how many. For tests.
 */
void audit_set_queue_max(struct dossier_audit *au, size_t max);

#endif
