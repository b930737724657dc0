#ifndef DOSSIER_CORE_CONTROL_I_H
#define DOSSIER_CORE_CONTROL_I_H

#include <stddef.h>

#include "archive_i.h"
#include "buf.h"

/*
 * Run one control request for who and append the reply to out; returns
 * the reply's status (0 done, 1 refused, 2 usage). Takes the archive lock
 * itself.
 */
int control_run(struct dossier_archive *a, const struct dossier_caller *who,
		const char *req, size_t len, struct dossier_buf *out);

#endif
