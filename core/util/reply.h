#ifndef DOSSIER_CORE_REPLY_H
#define DOSSIER_CORE_REPLY_H

#include "buf.h"

/* Append the status line "STATUS<TAB>msg" to out; returns status. */
int control_status(struct dossier_buf *out, int status, const char *msg);

/*
 * Append a refusal "what: REASON" (status 1) to out, the reason being the
 * thread's last error message or, if none, rc's text; clears the error.
 * Returns 1.
 */
int control_refused(struct dossier_buf *out, int rc, const char *what);

#endif
