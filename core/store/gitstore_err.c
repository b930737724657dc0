#include "gitstore_i.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int gitstore_fail(int gerr, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown git error";
	size_t len = strlen(msg);
	int klass = e ? e->klass : GIT_ERROR_NONE;
	char what[256];
	int nospace = 0;
	va_list ap;

	/* libgit2 appends strerror() to OS errors and then zeroes errno */
	if (klass == GIT_ERROR_OS) {
		const char *s1 = strerror(ENOSPC), *s2 = strerror(EDQUOT);

		nospace = (len >= strlen(s1) &&
			   strcmp(msg + len - strlen(s1), s1) == 0) ||
			  (len >= strlen(s2) &&
			   strcmp(msg + len - strlen(s2), s2) == 0);
	}

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dossier_error_set("%s: %s", what, msg);
	git_error_clear();

	switch (gerr) {
	case GIT_ENOTFOUND:
		return DOSSIER_ENOTFOUND;
	case GIT_EEXISTS:
		return DOSSIER_EEXISTS;
	case GIT_ELOCKED:
	case GIT_EMODIFIED:
		return DOSSIER_EBUSY;
	case GIT_EINVALIDSPEC:
	case GIT_EINVALID:
		return DOSSIER_EINVAL;
	default:
		return nospace ? DOSSIER_ENOSPC : DOSSIER_ERROR;
	}
}

int gitstore_sys_fail(int saverr, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dossier_error_set("%s: %s", what, strerror(saverr));
	return dossier_err_from_errno(saverr);
}

int gitstore_backend_init(git_odb_backend *b)
{
	int gerr = git_odb_init_backend(b, GIT_ODB_BACKEND_VERSION);

	return gerr < 0 ? gitstore_fail(gerr, "cannot open object database")
			: 0;
}
