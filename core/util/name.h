#ifndef DOSSIER_CORE_NAME_H
#define DOSSIER_CORE_NAME_H

#include <stddef.h>

/* Longest name we accept, in bytes of its NFC form (and of the input). */
#define DOSSIER_NAME_MAX 255

/*
 * Validate a single path component and write its NFC form to out (at
 * least DOSSIER_NAME_MAX + 1 bytes). Refuses names that are not valid
 * UTF-8, contain control characters or '/', are empty, "." or ".."
 * (DOSSIER_EINVAL), or are longer than DOSSIER_NAME_MAX bytes
 * (DOSSIER_ENAMETOOLONG). NFC and NFD spellings give the same out.
 */
int dossier_name_normalize(char *out, size_t outsz, const char *name);

/* 1 if name is a year folder name (exactly four ASCII digits). */
int dossier_name_is_year(const char *name);

#endif
