#ifndef DOSSIER_CORE_TRASH_I_H
#define DOSSIER_CORE_TRASH_I_H

/*
 * Trash, purge, destruction register, retention and legal holds
 * (core-only). archive.c calls these hooks; the archive lock is held.
 */

#include "archive_i.h"

/* The tables of this module: catalog migration 4 (db.c). */
extern const char trash_schema[];

/*
 * May record (or folder) n be deleted now? DOSSIER_ESTRUCTURE with a
 * message when a legal hold forbids it (the caller answers EPERM).
 */
int trash_may_delete(struct dossier_archive *a, const struct node *n);

/*
 * rename(2) out of the /.trash view (parent is INO_TRASH or a trash-view
 * folder): restore the deleted record name in parent to newparent /
 * newname. The lock is NOT held (the function takes it).
 */
int trash_rename_out(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent, const char *newname);

/* 1 if ino is the /.trash view or inside it. */
int trash_is_view(uint64_t ino);

#endif
