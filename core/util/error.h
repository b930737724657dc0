#ifndef DOSSIER_CORE_ERROR_H
#define DOSSIER_CORE_ERROR_H

#include <stdint.h>

/*
 * Error codes returned by libdossier. Fallible functions return 0 on
 * success and one of these (negative) on failure; the detail is kept in a
 * thread-local message set with dossier_error_set() where the failure
 * happened.
 */
enum dossier_err {
	DOSSIER_OK = 0,
	DOSSIER_ERROR = -1,	/* anything a caller does not branch on */
	DOSSIER_ENOTFOUND = -2,
	DOSSIER_EEXISTS = -3,
	DOSSIER_EDENIED = -4,	/* policy refuses this caller: EACCES */
	DOSSIER_EHIDDEN = -5,	/* caller may not know it exists: ENOENT */
	DOSSIER_EREADONLY = -6,
	DOSSIER_EBUSY = -7,
	DOSSIER_EINVAL = -8,
	DOSSIER_ENOSPC = -9,
	DOSSIER_ENAMETOOLONG = -10,
	DOSSIER_ESTRUCTURE = -11, /* the tree shape forbids it: EPERM */
	DOSSIER_ENOTEMPTY = -12,
	DOSSIER_ENOTDIR = -13,
	DOSSIER_EISDIR = -14,
	DOSSIER_EIO = -15,
	DOSSIER_ECORRUPT = -16,	/* catalog or history damaged */
	DOSSIER_ENODATA = -17,	/* no such attribute */
	DOSSIER_ENOTSUP = -18,
	DOSSIER_ERANGE = -19,	/* caller's buffer too small */
	DOSSIER_EFBIG = -20,	/* past the largest size a record may have */
};

/*
 * Record a message for the current thread's last error, printf-style.
 * Does nothing if a message is already set and not cleared, so the lowest
 * layer's words survive (call dossier_error_clear() after handling).
 */
void dossier_error_set(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The current thread's message, or "" if none; borrowed until the next set. */
const char *dossier_error_last(void);

/* Forget the current thread's message (and rule). */
void dossier_error_clear(void);

/*
 * A refusal of the rules records the id of the rule row that decided it
 * (0: none) with its message, for the audit row written where the refusal
 * is handled; the latest refusal's rule counts. dossier_error_rule() is
 * 0 when no refusal was recorded since the last dossier_error_clear().
 */
void dossier_error_set_rule(int64_t rule);
int64_t dossier_error_rule(void);

/* A short English name for a code ("not found", "denied", ...). */
const char *dossier_strerror(int rc);

/* Map an errno value from a failed syscall to a dossier code. */
int dossier_err_from_errno(int e);

#endif
