/*
 * A path inside the archive as a caller sees it: dossierctl names records
 * by path, and a path hides what its caller may not list.
 */
#include "access_i.h"

#include <string.h>

#include "error.h"
#include "name.h"

/*
 * The newest deleted record named nfc in folder parent that who may list
 * (a hidden one does not stand in front of it). Lock held.
 */
static int find_deleted(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t parent,
			const char *nfc, struct node *out)
{
	return archive_first_listed(a, who, parent, nfc, "kind = 5 AND "
				    "deleted_ns IS NOT NULL ORDER BY "
				    "deleted_ns DESC", out);
}

int access_resolve(struct dossier_archive *a,
		    const struct dossier_caller *who, const char *path,
		    int deleted, struct node *out)
{
	char comp[DOSSIER_NAME_MAX + 1], nfc[DOSSIER_NAME_MAX + 1];
	const char *p = path, *slash;
	uint64_t cur = DOSSIER_ROOT_ID;
	int rc;

	while (*p == '/')
		p++;
	if (!*p)
		return archive_get_node(a, DOSSIER_ROOT_ID, out);
	while (*p) {
		size_t len;

		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len > DOSSIER_NAME_MAX)
			return DOSSIER_ENOTFOUND;
		memcpy(comp, p, len);
		comp[len] = '\0';
		if ((rc = dossier_name_normalize(nfc, sizeof(nfc), comp)) < 0) {
			dossier_error_clear();
			return DOSSIER_ENOTFOUND;
		}
		rc = archive_find_visible(a, who, cur, nfc, out);
		if (rc == DOSSIER_ENOTFOUND && deleted && !slash)
			rc = find_deleted(a, who, cur, nfc, out);
		if (rc < 0) {
			dossier_error_clear();
			return rc;
		}
		cur = out->id;
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}
