#ifndef DOSSIER_CORE_AUDIT_I_H
#define DOSSIER_CORE_AUDIT_I_H

/*
 * The audit trail (core-only): one row per read open, save, delete,
 * restore, reclassification, grant, revoke and refusal. Rows are queued
 * in memory and written in batches by a thread of their own, so the data
 * path never waits for the catalog; audit_close() writes everything.
 */

#include <stdint.h>

#include "archive.h"

struct dossier_audit;

/* The tables of this module: catalog migration 5 (db.c). */
extern const char audit_schema[];

/* Start the writer for archive a (its catalog). Caller frees with
 * audit_close(). */
int audit_open(struct dossier_audit **out, struct dossier_archive *a);

/* Write every queued row, stop the writer, free. Accepts NULL. */
void audit_close(struct dossier_audit *au);

/*
 * Queue one row: who (uid, pid; the user name and program are looked up
 * by the writer), action ("read", "save", "delete", "restore",
 * "classify", "grant", "revoke", "create", "rename", ...), the archive
 * path, whether it was allowed, the deciding rule (0: none) and a short
 * detail (NULL ok). Never blocks on the catalog; safe with the archive
 * lock held. Accepts au NULL (no audit: does nothing).
 */
void audit_record(struct dossier_audit *au, const struct dossier_caller *who,
		  const char *action, const char *path, int allowed,
		  int64_t rule, const char *detail);

/* Write what is queued now (tests, dossierctl audit). */
void audit_flush(struct dossier_audit *au);

#endif
