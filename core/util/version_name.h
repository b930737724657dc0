#ifndef DOSSIER_CORE_VERSION_NAME_H
#define DOSSIER_CORE_VERSION_NAME_H

/*
 * The file name of one version of a record, the same under
 * MOUNT/.history and in 'dossierctl log': when it was saved, which
 * commit, and the record's extension, so that it opens in the same
 * program: "2024-05-01T10.00.00Z-1a2b3c4.pdf".
 */

#include <stddef.h>
#include <stdint.h>

/*
 * Write into out "YYYY-MM-DDTHH.MM.SSZ-<7 hex>[.ext]": time_ns in UTC,
 * the first seven characters of commit, and the extension of record (a
 * record's name, or a path whose last component is one; a name that
 * only starts with a dot has none). Truncated to outsz.
 */
void dossier_version_name(char *out, size_t outsz, int64_t time_ns,
			  const char *commit, const char *record);

#endif
