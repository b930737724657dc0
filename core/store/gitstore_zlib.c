#include "gitstore_i.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Stored blocks, not deflated ones: the measurement behind it is at the
 * head of gitstore_writer.c.
 */
#define STORED_MAX 65535	/* longest stored deflate block */

/*
 * Adler-32 (RFC 1950) by chunks of 5552 bytes, the most before the sums
 * can overflow 32 bits (zlib's NMAX). Within a chunk of n bytes, a grows
 * by the sum of the bytes and b by n * a + sum((n - i) * p[i]); written
 * as two independent sums, the loop vectorizes (the byte-at-a-time form
 * was a fifth of blob_from_fd's time).
 */
static void adler32(struct zstream *s, const unsigned char *p, size_t len)
{
	uint32_t a = s->adler_a, b = s->adler_b;

	while (len > 0) {
		size_t n = len < 5552 ? len : 5552, i;
		uint32_t s1 = 0, s2 = 0;

		for (i = 0; i < n; i++) {
			s1 += p[i];
			s2 += (uint32_t)(n - i) * p[i];
		}
		b = (b + (uint32_t)n * a + s2 % 65521) % 65521;
		a = (a + s1) % 65521;
		p += n;
		len -= n;
	}
	s->adler_a = a;
	s->adler_b = b;
}

static int z_flush(struct zstream *s)
{
	size_t done = 0;

	while (done < s->fill) {
		ssize_t n = write(s->fd, s->out + done, s->fill - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			git_error_set(GIT_ERROR_OS, "cannot write '%s'",
				      s->path);
			return -1;
		}
		done += (size_t)n;
	}
	s->fill = 0;
	return 0;
}

static int z_emit(struct zstream *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		size_t n = sizeof(s->out) - s->fill;

		if (n > len)
			n = len;
		memcpy(s->out + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == sizeof(s->out) && z_flush(s) < 0)
			return -1;
	}
	return 0;
}

/*
 * Runs of one byte value (the holes of a sparse file, padding) are not
 * stored but deflated, by hand: one block with fixed Huffman codes (RFC
 * 1951 3.2.6) holding the byte once and then matches of 258 bytes at
 * distance 1, 13 bits each, so a run shrinks 159-fold (`truncate -s 1G`
 * made a 1 GiB loose object; now 6.5 MiB, and writing it costs no zlib).
 * An empty stored block after it brings the stream back to a byte
 * boundary for the stored blocks that follow.
 */
#define RUN_MIN 4096		/* shorter runs of one byte stay stored */

static int bits_put(struct zstream *s, uint32_t v, int n)
{
	s->bits |= v << s->nbits;
	s->nbits += n;
	while (s->nbits >= 8) {
		unsigned char b = (unsigned char)(s->bits & 0xff);

		if (z_emit(s, &b, 1) < 0)
			return -1;
		s->bits >>= 8;
		s->nbits -= 8;
	}
	return 0;
}

/* A Huffman code: sent from its most significant bit. */
static int code_put(struct zstream *s, uint32_t code, int len)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < len; i++)
		r |= ((code >> i) & 1) << (len - 1 - i);
	return bits_put(s, r, len);
}

/* Literal/length symbol sym in the fixed code. */
static int fixed_put(struct zstream *s, int sym)
{
	if (sym < 144)
		return code_put(s, 0x30 + (uint32_t)sym, 8);
	if (sym < 256)
		return code_put(s, 0x190 + (uint32_t)(sym - 144), 9);
	if (sym < 280)
		return code_put(s, (uint32_t)(sym - 256), 7);
	return code_put(s, 0xc0 + (uint32_t)(sym - 280), 8);
}

/* A match of len (3..258) at distance 1. */
static int match_put(struct zstream *s, unsigned len)
{
	static const unsigned short base[29] = {
		3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35,
		43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
	static const unsigned char extra[29] = {
		0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
		4, 4, 4, 4, 5, 5, 5, 5, 0 };
	int i = 28;

	while (base[i] > len)
		i--;
	if (fixed_put(s, 257 + i) < 0 ||
	    bits_put(s, len - base[i], extra[i]) < 0)
		return -1;
	return code_put(s, 0, 5);	/* distance code 0: distance 1 */
}

static int run_flush(struct zstream *s)
{
	uint64_t n = s->run_len;

	if (n == 0)
		return 0;
	s->run_len = 0;
	/* BFINAL 0, BTYPE 01 (fixed codes), then the byte once */
	if (bits_put(s, 0, 1) < 0 || bits_put(s, 1, 2) < 0 ||
	    fixed_put(s, s->run_byte) < 0)
		return -1;
	for (n--; n >= 258; n -= 258)
		if (match_put(s, 258) < 0)
			return -1;
	if (n >= 3 && match_put(s, (unsigned)n) < 0)
		return -1;
	for (; n > 0 && n < 3; n--)
		if (fixed_put(s, s->run_byte) < 0)
			return -1;
	/* end of block; an empty stored block pads to a byte boundary */
	if (fixed_put(s, 256) < 0 || bits_put(s, 0, 3) < 0 ||
	    (s->nbits && bits_put(s, 0, 8 - s->nbits) < 0))
		return -1;
	return z_emit(s, "\0\0\377\377", 4);
}

static int uniform(const unsigned char *p, size_t n)
{
	return n > 0 && (n == 1 || memcmp(p, p + 1, n - 1) == 0);
}

/* Emit data as stored blocks; final adds the last (empty) one. */
static int stored_blocks(struct zstream *s, const unsigned char *p, size_t len,
		     int final)
{
	if (run_flush(s) < 0)
		return -1;
	do {
		size_t n = len < STORED_MAX ? len : STORED_MAX;
		int last = final && n == len;
		unsigned char hdr[5] = { (unsigned char)last,
					 (unsigned char)(n & 0xff),
					 (unsigned char)(n >> 8),
					 (unsigned char)(~n & 0xff),
					 (unsigned char)((~n >> 8) & 0xff) };

		if (z_emit(s, hdr, sizeof(hdr)) < 0 || z_emit(s, p, n) < 0)
			return -1;
		adler32(s, p, n);
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

void zstream_init(struct zstream *s, int fd, const char *path)
{
	s->fd = fd;
	s->path = path;
	s->adler_a = 1;
}

int zstream_start(struct zstream *s, git_object_t type, uint64_t length)
{
	/* zlib header: deflate, 32K window, "fastest" level, check bits */
	static const unsigned char zhdr[2] = { 0x78, 0x01 };
	char hdr[64];
	int hdrlen;

	/* a loose object inflates to "<type> <size>\0<data>" */
	hdrlen = snprintf(hdr, sizeof(hdr), "%s %" PRIu64,
			  git_object_type2string(type), length);
	if (z_emit(s, zhdr, sizeof(zhdr)) < 0 ||
	    stored_blocks(s, (const unsigned char *)hdr, (size_t)hdrlen + 1,
			  0) < 0)
		return -1;
	return 0;
}

int zstream_write(struct zstream *s, const void *data, size_t len)
{
	const unsigned char *p = data, *span = p;

	/* by pieces of RUN_MIN: runs are deflated, the rest stored */
	while (len > 0) {
		size_t n = len < RUN_MIN ? len : RUN_MIN;

		if (n == RUN_MIN && uniform(p, n)) {
			if ((p > span || (s->run_len && s->run_byte != p[0])) &&
			    stored_blocks(s, span, (size_t)(p - span), 0) < 0)
				return -1;
			s->run_byte = p[0];
			s->run_len += n;
			adler32(s, p, n);
			span = p + n;
		}
		p += n;
		len -= n;
	}
	return p > span ? stored_blocks(s, span, (size_t)(p - span), 0) : 0;
}

int zstream_finish(struct zstream *s)
{
	unsigned char trailer[4];

	if (stored_blocks(s, NULL, 0, 1) < 0)
		return -1;
	trailer[0] = (unsigned char)(s->adler_b >> 8);
	trailer[1] = (unsigned char)s->adler_b;
	trailer[2] = (unsigned char)(s->adler_a >> 8);
	trailer[3] = (unsigned char)s->adler_a;
	if (z_emit(s, trailer, sizeof(trailer)) < 0 || z_flush(s) < 0)
		return -1;
	return 0;
}
