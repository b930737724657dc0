#ifndef DOSSIER_CORE_SCHEMA_I_H
#define DOSSIER_CORE_SCHEMA_I_H

/*
 * The catalog's schema (core-only): every table of every module, as the
 * steps that build it, in version order (core/store/schema.c). The store
 * applies them (dossier_db_open); a module writes the rows it needs in
 * its own tables itself (the default policy: dossier_rules_seed_default).
 */

/* SQL of schema step v, 1 .. dossier_schema_latest(); NULL otherwise. */
const char *dossier_schema_step(int v);

/* The number of steps: the latest schema version this build knows. */
int dossier_schema_latest(void);

/*
 * The tables of the rule store (step 3): role, user, level, site, rule,
 * grant and setting. No transaction statements.
 */
extern const char dossier_schema_rules[];

/*
 * The audit trail (step 5), idempotent (IF NOT EXISTS): audit_open() runs
 * it again on catalogs whose step 5 was a placeholder.
 */
extern const char dossier_schema_audit[];

#endif
