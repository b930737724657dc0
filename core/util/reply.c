/*
 * The first line of a control reply: "STATUS<TAB>MESSAGE" (0 done,
 * 1 refused, 2 usage), shared by every layer that answers a request.
 */
#include "reply.h"

#include <stdio.h>

#include "error.h"

int control_status(struct dossier_buf *out, int status, const char *msg)
{
	dossier_buf_addf(out, "%d\t%s\n", status, msg);
	return status;
}

int control_refused(struct dossier_buf *out, int rc, const char *what)
{
	const char *m = dossier_error_last();
	char line[600];

	snprintf(line, sizeof(line), "%s: %s", what,
		 m[0] ? m : dossier_strerror(rc));
	dossier_error_clear();
	return control_status(out, 1, line);
}
