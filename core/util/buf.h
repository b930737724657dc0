#ifndef DOSSIER_CORE_BUF_H
#define DOSSIER_CORE_BUF_H

#include <stddef.h>

/*
 * A growable string with strbuf's invariants: buf is never NULL and
 * always NUL-terminated (it points at a static "" until something is
 * added); len excludes the NUL.
 */
struct dossier_buf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define DOSSIER_BUF_INIT { dossier_buf_empty, 0, 0 }
extern char dossier_buf_empty[];

void dossier_buf_init(struct dossier_buf *b);
/* Free the memory and re-initialise. */
void dossier_buf_release(struct dossier_buf *b);
/* Append len bytes. */
void dossier_buf_add(struct dossier_buf *b, const void *data, size_t len);
/* Append printf-style. */
void dossier_buf_addf(struct dossier_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hand the memory to the caller (free() it); b is re-initialised. */
char *dossier_buf_detach(struct dossier_buf *b, size_t *len);

#endif
