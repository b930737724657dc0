#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last[512];
static _Thread_local int have_last;
static _Thread_local int64_t last_rule;

void dossier_error_set(const char *fmt, ...)
{
	va_list ap;

	if (have_last)
		return;
	va_start(ap, fmt);
	vsnprintf(last, sizeof(last), fmt, ap);
	va_end(ap);
	have_last = 1;
}

const char *dossier_error_last(void)
{
	return have_last ? last : "";
}

void dossier_error_clear(void)
{
	have_last = 0;
	last[0] = '\0';
	last_rule = 0;
}

void dossier_error_set_rule(int64_t rule)
{
	last_rule = rule;
}

int64_t dossier_error_rule(void)
{
	return last_rule;
}

const char *dossier_strerror(int rc)
{
	switch (rc) {
	case DOSSIER_OK: return "ok";
	case DOSSIER_ENOTFOUND: return "not found";
	case DOSSIER_EEXISTS: return "already exists";
	case DOSSIER_EDENIED: return "access denied";
	case DOSSIER_EHIDDEN: return "not found";
	case DOSSIER_EREADONLY: return "read-only";
	case DOSSIER_EBUSY: return "busy";
	case DOSSIER_EINVAL: return "invalid argument";
	case DOSSIER_ENOSPC: return "no space left";
	case DOSSIER_ENAMETOOLONG: return "name too long";
	case DOSSIER_ESTRUCTURE: return "not allowed by the archive tree";
	case DOSSIER_ENOTEMPTY: return "folder not empty";
	case DOSSIER_ENOTDIR: return "not a folder";
	case DOSSIER_EISDIR: return "is a folder";
	case DOSSIER_EIO: return "input/output error";
	case DOSSIER_ECORRUPT: return "archive damaged";
	case DOSSIER_ENODATA: return "no such attribute";
	case DOSSIER_ENOTSUP: return "not supported";
	case DOSSIER_ERANGE: return "buffer too small";
	case DOSSIER_EFBIG: return "file too large";
	default: return "error";
	}
}

int dossier_err_from_errno(int e)
{
	switch (e) {
	case ENOENT: return DOSSIER_ENOTFOUND;
	case EEXIST: return DOSSIER_EEXISTS;
	case EACCES: case EPERM: return DOSSIER_EDENIED;
	case EROFS: return DOSSIER_EREADONLY;
	case EBUSY: return DOSSIER_EBUSY;
	case EINVAL: return DOSSIER_EINVAL;
	case ENOSPC: case EDQUOT: return DOSSIER_ENOSPC;
	case ENAMETOOLONG: return DOSSIER_ENAMETOOLONG;
	case ENOTEMPTY: return DOSSIER_ENOTEMPTY;
	case ENOTDIR: return DOSSIER_ENOTDIR;
	case EISDIR: return DOSSIER_EISDIR;
	case EFBIG: return DOSSIER_EFBIG;
	default: return DOSSIER_EIO;
	}
}
