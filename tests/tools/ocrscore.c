/*
 * ocrscore TRUTH RECOGNISED: how much of a scan's text recognition got
 * right, Chinese and English apart. Each side is reduced to its Chinese
 * characters (U+3400-U+9FFF) or to its Latin letters and digits (case
 * folded); "right" is the longest common subsequence of truth and
 * recognised text, so a missing, extra or wrong character costs one.
 * Prints "chinese R/T P% english R/T P%"; exits 1 if unreadable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t cap = 0, got;

	*n = 0;
	if (!f)
		return NULL;
	do {
		char *nb = realloc(b, cap + 65536 + 1);

		if (!nb)
			break;
		b = nb;
		got = fread(b + *n, 1, 65536, f);
		*n += got;
		cap += 65536;
	} while (got > 0);
	fclose(f);
	if (b)
		b[*n] = '\0';
	return b;
}

/* The code points of s that are Chinese (zh) or Latin letters/digits. */
static uint32_t *keep(const char *s, size_t n, int zh, size_t *out)
{
	uint32_t *v = calloc(n + 1, sizeof(*v));
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k = 0;

	while (v && i < n) {
		uint32_t c = p[i];
		size_t len = 1;

		if (c >= 0xf0 && i + 3 < n)
			c = (c & 7) << 18 | (p[i + 1] & 63) << 12 |
			    (p[i + 2] & 63) << 6 | (p[i + 3] & 63), len = 4;
		else if (c >= 0xe0 && i + 2 < n)
			c = (c & 15) << 12 | (p[i + 1] & 63) << 6 |
			    (p[i + 2] & 63), len = 3;
		else if (c >= 0xc0 && i + 1 < n)
			c = (c & 31) << 6 | (p[i + 1] & 63), len = 2;
		i += len;
		if (zh && c >= 0x3400 && c <= 0x9fff)
			v[k++] = c;
		else if (!zh && c < 128 && ((c | 32) - 'a' < 26 || c - '0' < 10))
			v[k++] = c >= 'A' && c <= 'Z' ? c | 32 : c;
	}
	*out = k;
	return v;
}

static size_t lcs(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t *row = calloc(nb + 1, sizeof(*row)), i, j, best;

	if (!row)
		return 0;
	for (i = 1; i <= na; i++) {
		size_t diag = 0;

		for (j = 1; j <= nb; j++) {
			size_t up = row[j];

			row[j] = a[i - 1] == b[j - 1] ? diag + 1 :
				 up > row[j - 1] ? up : row[j - 1];
			diag = up;
		}
	}
	best = row[nb];
	free(row);
	return best;
}

int main(int argc, char **argv)
{
	size_t nt, nr;
	char *t, *r;
	int zh;

	if (argc != 3) {
		fprintf(stderr, "usage: ocrscore TRUTH RECOGNISED\n");
		return 2;
	}
	t = slurp(argv[1], &nt);
	r = slurp(argv[2], &nr);
	if (!t || !r) {
		fprintf(stderr, "ocrscore: cannot read the texts\n");
		return 1;
	}
	for (zh = 1; zh >= 0; zh--) {
		size_t a, b, right;
		uint32_t *va = keep(t, nt, zh, &a), *vb = keep(r, nr, zh, &b);

		right = lcs(va, a, vb, b);
		printf("%s%s %zu/%zu %.1f%%", zh ? "" : " ",
		       zh ? "chinese" : "english", right, a,
		       a ? 100.0 * (double)right / (double)a : 100.0);
		free(va);
		free(vb);
	}
	printf("\n");
	free(t);
	free(r);
	return 0;
}
