#include "errmap.h"

#include <errno.h>
#include <stddef.h>

#include "error.h"
#include "log.h"

static const struct {
	int rc;
	int err;
} map[] = {
	{ DOSSIER_ENOTFOUND, ENOENT },
	/* a caller who may not see an entry must not learn it exists */
	{ DOSSIER_EHIDDEN, ENOENT },
	{ DOSSIER_EEXISTS, EEXIST },
	{ DOSSIER_EDENIED, EACCES },
	{ DOSSIER_EREADONLY, EROFS },
	{ DOSSIER_EBUSY, EBUSY },
	{ DOSSIER_EINVAL, EINVAL },
	{ DOSSIER_ENOSPC, ENOSPC },
	{ DOSSIER_ENAMETOOLONG, ENAMETOOLONG },
	{ DOSSIER_ESTRUCTURE, EPERM },
	{ DOSSIER_ENOTEMPTY, ENOTEMPTY },
	{ DOSSIER_ENOTDIR, ENOTDIR },
	{ DOSSIER_EISDIR, EISDIR },
	{ DOSSIER_EIO, EIO },
	{ DOSSIER_ECORRUPT, EIO },
	{ DOSSIER_ENODATA, ENODATA },
	{ DOSSIER_ENOTSUP, ENOTSUP },
	{ DOSSIER_ERANGE, ERANGE },
	{ DOSSIER_EFBIG, EFBIG },
};

int fs_errno(int rc)
{
	static int logged;
	size_t i;

	if (rc >= 0)
		return 0;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].rc == rc)
			return map[i].err;
	if (!logged) {
		logged = 1;
		dossier_log(LOG_WARNING, "unmapped error %d (%s), answered EIO",
			    rc, dossier_error_last());
	}
	return EIO;
}
