#ifndef DOSSIER_CORE_AUDIT_I_H
#define DOSSIER_CORE_AUDIT_I_H

/* The audit trail (core-only). */

/* The tables of this module: catalog migration 5 (db.c). */
extern const char audit_schema[];

#endif
