#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char dossier_buf_empty[1];

void dossier_buf_init(struct dossier_buf *b)
{
	b->buf = dossier_buf_empty;
	b->len = b->alloc = 0;
}

void dossier_buf_release(struct dossier_buf *b)
{
	if (b->alloc)
		free(b->buf);
	dossier_buf_init(b);
}

/* 0, or -1 when memory ran out (the buffer is left as it was). */
static int grow(struct dossier_buf *b, size_t extra)
{
	size_t want = b->len + extra + 1;
	char *nb;

	if (want <= b->alloc)
		return 0;
	want = want < 64 ? 64 : want * 2;
	nb = b->alloc ? realloc(b->buf, want) : malloc(want);
	if (!nb)
		return -1;
	if (!b->alloc)
		nb[0] = '\0';
	b->buf = nb;
	b->alloc = want;
	return 0;
}

void dossier_buf_add(struct dossier_buf *b, const void *data, size_t len)
{
	if (grow(b, len) < 0)
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void dossier_buf_addf(struct dossier_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *dossier_buf_detach(struct dossier_buf *b, size_t *len)
{
	char *r = b->alloc ? b->buf : strdup("");

	if (len)
		*len = b->len;
	dossier_buf_init(b);
	return r;
}
