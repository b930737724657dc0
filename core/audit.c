/* The audit trail: one row per read open, change, refusal, grant. */
#include "audit_i.h"

const char audit_schema[] = "SELECT 1;";
