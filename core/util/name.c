#include "name.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "error.h"

static int all_ascii_plain(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

int dossier_name_normalize(char *out, size_t outsz, const char *name)
{
	size_t len = strlen(name);
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)name;
	utf8proc_ssize_t n, off = 0;
	utf8proc_int32_t cp;
	utf8proc_uint8_t *nfc = NULL;
	size_t nfclen;

	if (len == 0 || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strchr(name, '/')) {
		dossier_error_set("invalid name '%s'", name);
		return DOSSIER_EINVAL;
	}
	if (len > DOSSIER_NAME_MAX) {
		dossier_error_set("name longer than %d bytes", DOSSIER_NAME_MAX);
		return DOSSIER_ENAMETOOLONG;
	}
	/* Plain ASCII without controls is already NFC: the common case. */
	if (all_ascii_plain(name, len)) {
		if (len + 1 > outsz)
			return DOSSIER_ENAMETOOLONG;
		memcpy(out, name, len + 1);
		return 0;
	}
	while (off < (utf8proc_ssize_t)len) {
		n = utf8proc_iterate(p + off, (utf8proc_ssize_t)len - off, &cp);
		if (n < 0) {
			dossier_error_set("name is not valid UTF-8");
			return DOSSIER_EINVAL;
		}
		if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CC) {
			dossier_error_set("name contains a control character");
			return DOSSIER_EINVAL;
		}
		off += n;
	}
	nfc = utf8proc_NFC(p);
	if (!nfc) {
		dossier_error_set("cannot normalise name");
		return DOSSIER_EINVAL;
	}
	nfclen = strlen((char *)nfc);
	if (nfclen > DOSSIER_NAME_MAX || nfclen + 1 > outsz) {
		free(nfc);
		dossier_error_set("name longer than %d bytes", DOSSIER_NAME_MAX);
		return DOSSIER_ENAMETOOLONG;
	}
	memcpy(out, nfc, nfclen + 1);
	free(nfc);
	return 0;
}

int dossier_name_is_year(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return name[4] == '\0';
}
