#include "gitstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/refdb_backend.h>
#include <git2/sys/repository.h>

#include "error.h"
#include "log.h"

#define MAIN_REF "refs/heads/main"
#define RECORD_REF_FMT "refs/records/%" PRIu64
#define CONTENT_NAME "content"
#define SERVICE_NAME "dossierfs"
#define SERVICE_EMAIL "dossierfs@localhost"
#define IO_CHUNK (256 * 1024)

/*
 * Unreachable loose objects younger than this survive a pack: a blob from
 * dossier_git_blob_from_fd() is unreachable until the next
 * dossier_git_record_version() call names it (git gc has the same race
 * and a two-week grace; we have no other writers, an hour is plenty).
 */
#define PRUNE_GRACE_SECONDS 3600

/*
 * Streamed objects (blobs from dossier_git_blob_from_fd()) are written
 * loose by a write-only odb backend of our own, as zlib streams of stored
 * (uncompressed) deflate blocks. Measured 2025-11 on the 2-core build VM,
 * 50 MiB of random bytes: libgit2's loose backend at level 1 (its
 * default, Z_BEST_SPEED) took 1.9 s, zlib alone 1.5 s, and
 * git_blob_create_from_stream(), which ends in the same backend, as long;
 * SHA-1 alone is 0.19 s. Level 0 cannot be asked of libgit2 1.5: its
 * filebuf treats 0 as "no zlib at all" and writes objects nothing can
 * read ("failed to read loose object header"). Archive files are mostly
 * compressed already (PDF, Office, images), and dossier_git_pack()
 * deflates every object again into the pack, so stored blocks only cost
 * disk space until the next pack. Small objects (trees, commits) still go
 * through libgit2's loose backend, which writes them at level 1.
 */
#define WRITER_PRIORITY 10	/* above libgit2's loose (1) and pack (2) */
#define MEM_PRIORITY 5		/* between: takes writes, the writer streams */
#define FLUSH_PACK_MIN 2048	/* a batch this big is flushed as a pack */
#define STORED_MAX 65535	/* longest stored deflate block */

/* A ref moved by a batch, not written yet (record 0: main). */
struct pending_ref {
	uint64_t record;
	git_oid id;
};

struct dossier_git {
	git_repository *repo;
	char *gitdir;		/* ends in '/' */
	char *objdir;		/* gitdir + "objects" */
	int batch;		/* commits leave refs alone */
	git_odb *odb;		/* the repository's own object database */
	git_odb *bodb;		/* the same plus mem: in use during a batch */
	struct memstore *mem;	/* the batch's small objects (bodb owns) */
	git_odb_backend *loose;	/* writes a flushed small batch (ours) */
	size_t loose_est;	/* loose objects, counted once, then tallied */
	int loose_known;
	struct pending_ref *pending;	/* the batch's tips, as parents */
	size_t npending, cpending;
};

/* A sorted set of object ids, for purge's objects to drop. */
struct oidset {
	git_oid *v;
	size_t n, alloc;
};

/*
 * Translate a libgit2 failure: copy its message at once (the next libgit2
 * call overwrites it) behind a printf-style prefix, and map the code.
 */
static int git_fail(int gerr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int git_fail(int gerr, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown git error";
	size_t len = strlen(msg);
	int klass = e ? e->klass : GIT_ERROR_NONE;
	char what[256];
	int nospace = 0;
	va_list ap;

	/* libgit2 appends strerror() to OS errors and then zeroes errno */
	if (klass == GIT_ERROR_OS) {
		const char *s1 = strerror(ENOSPC), *s2 = strerror(EDQUOT);

		nospace = (len >= strlen(s1) &&
			   strcmp(msg + len - strlen(s1), s1) == 0) ||
			  (len >= strlen(s2) &&
			   strcmp(msg + len - strlen(s2), s2) == 0);
	}

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dossier_error_set("%s: %s", what, msg);
	git_error_clear();

	switch (gerr) {
	case GIT_ENOTFOUND:
		return DOSSIER_ENOTFOUND;
	case GIT_EEXISTS:
		return DOSSIER_EEXISTS;
	case GIT_ELOCKED:
	case GIT_EMODIFIED:
		return DOSSIER_EBUSY;
	case GIT_EINVALIDSPEC:
	case GIT_EINVALID:
		return DOSSIER_EINVAL;
	default:
		return nospace ? DOSSIER_ENOSPC : DOSSIER_ERROR;
	}
}

static int sys_fail(int saverr, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int sys_fail(int saverr, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	dossier_error_set("%s: %s", what, strerror(saverr));
	return dossier_err_from_errno(saverr);
}

static void to_git(git_oid *out, const struct dossier_oid *oid)
{
	memcpy(out->id, oid->id, sizeof(oid->id));
}

static void from_git(struct dossier_oid *out, const git_oid *oid)
{
	memcpy(out->id, oid->id, sizeof(out->id));
}

void dossier_oid_fmt(char out[41], const struct dossier_oid *oid)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < sizeof(oid->id); i++) {
		out[2 * i] = hex[oid->id[i] >> 4];
		out[2 * i + 1] = hex[oid->id[i] & 0xf];
	}
	out[40] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dossier_oid_parse(struct dossier_oid *out, const char *hex)
{
	struct dossier_oid oid;
	size_t i;

	for (i = 0; i < 40; i++) {
		if (hexval(hex[i]) < 0) {
			dossier_error_set("invalid object id '%.40s'", hex);
			return DOSSIER_EINVAL;
		}
	}
	if (hex[40] != '\0') {
		dossier_error_set("object id '%.48s' is too long", hex);
		return DOSSIER_EINVAL;
	}
	for (i = 0; i < 20; i++)
		oid.id[i] = (unsigned char)(hexval(hex[2 * i]) << 4 |
					    hexval(hex[2 * i + 1]));
	*out = oid;
	return 0;
}

int dossier_oid_equal(const struct dossier_oid *a, const struct dossier_oid *b)
{
	return memcmp(a->id, b->id, sizeof(a->id)) == 0;
}

/* --- the stored-block loose object writer ------------------------- */

struct swriter {
	git_odb_backend parent;
	char *objdir;
};

struct swstream {
	git_odb_stream parent;
	char *tmppath;		/* NULL once renamed into place */
	int fd;
	uint32_t adler_a, adler_b;
	uint64_t run_len;	/* bytes of run_byte not written yet */
	unsigned char run_byte;
	uint32_t bits;		/* bit writer of run blocks: pending bits */
	int nbits;
	size_t fill;
	unsigned char out[IO_CHUNK];
};

/*
 * Adler-32 (RFC 1950) by chunks of 5552 bytes, the most before the sums
 * can overflow 32 bits (zlib's NMAX). Within a chunk of n bytes, a grows
 * by the sum of the bytes and b by n * a + sum((n - i) * p[i]); written
 * as two independent sums, the loop vectorizes (the byte-at-a-time form
 * was a fifth of blob_from_fd's time).
 */
static void adler32(struct swstream *s, const unsigned char *p, size_t len)
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

static int sw_flush(struct swstream *s)
{
	size_t done = 0;

	while (done < s->fill) {
		ssize_t n = write(s->fd, s->out + done, s->fill - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			git_error_set(GIT_ERROR_OS, "cannot write '%s'",
				      s->tmppath);
			return -1;
		}
		done += (size_t)n;
	}
	s->fill = 0;
	return 0;
}

static int sw_emit(struct swstream *s, const void *data, size_t len)
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
		if (s->fill == sizeof(s->out) && sw_flush(s) < 0)
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

static int bits_put(struct swstream *s, uint32_t v, int n)
{
	s->bits |= v << s->nbits;
	s->nbits += n;
	while (s->nbits >= 8) {
		unsigned char b = (unsigned char)(s->bits & 0xff);

		if (sw_emit(s, &b, 1) < 0)
			return -1;
		s->bits >>= 8;
		s->nbits -= 8;
	}
	return 0;
}

/* A Huffman code: sent from its most significant bit. */
static int code_put(struct swstream *s, uint32_t code, int len)
{
	uint32_t r = 0;
	int i;

	for (i = 0; i < len; i++)
		r |= ((code >> i) & 1) << (len - 1 - i);
	return bits_put(s, r, len);
}

/* Literal/length symbol sym in the fixed code. */
static int fixed_put(struct swstream *s, int sym)
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
static int match_put(struct swstream *s, unsigned len)
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

static int sw_run_flush(struct swstream *s)
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
	return sw_emit(s, "\0\0\377\377", 4);
}

static int uniform(const unsigned char *p, size_t n)
{
	return n > 0 && (n == 1 || memcmp(p, p + 1, n - 1) == 0);
}

/* Emit data as stored blocks; final adds the last (empty) one. */
static int sw_blocks(struct swstream *s, const unsigned char *p, size_t len,
		     int final)
{
	if (sw_run_flush(s) < 0)
		return -1;
	do {
		size_t n = len < STORED_MAX ? len : STORED_MAX;
		int last = final && n == len;
		unsigned char hdr[5] = { (unsigned char)last,
					 (unsigned char)(n & 0xff),
					 (unsigned char)(n >> 8),
					 (unsigned char)(~n & 0xff),
					 (unsigned char)((~n >> 8) & 0xff) };

		if (sw_emit(s, hdr, sizeof(hdr)) < 0 || sw_emit(s, p, n) < 0)
			return -1;
		adler32(s, p, n);
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

static int sw_write(git_odb_stream *stream, const char *buffer, size_t len)
{
	struct swstream *s = (struct swstream *)stream;
	const unsigned char *p = (const unsigned char *)buffer, *span = p;

	/* by pieces of RUN_MIN: runs are deflated, the rest stored */
	while (len > 0) {
		size_t n = len < RUN_MIN ? len : RUN_MIN;

		if (n == RUN_MIN && uniform(p, n)) {
			if ((p > span || (s->run_len && s->run_byte != p[0])) &&
			    sw_blocks(s, span, (size_t)(p - span), 0) < 0)
				return -1;
			s->run_byte = p[0];
			s->run_len += n;
			adler32(s, p, n);
			span = p + n;
		}
		p += n;
		len -= n;
	}
	return p > span ? sw_blocks(s, span, (size_t)(p - span), 0) : 0;
}

static int sw_finalize(git_odb_stream *stream, const git_oid *oid)
{
	struct swstream *s = (struct swstream *)stream;
	struct swriter *w = (struct swriter *)stream->backend;
	unsigned char trailer[4];
	char hex[GIT_OID_HEXSZ + 1], *path = NULL;
	int rc = -1;

	if (sw_blocks(s, NULL, 0, 1) < 0)
		return -1;
	trailer[0] = (unsigned char)(s->adler_b >> 8);
	trailer[1] = (unsigned char)s->adler_b;
	trailer[2] = (unsigned char)(s->adler_a >> 8);
	trailer[3] = (unsigned char)s->adler_a;
	if (sw_emit(s, trailer, sizeof(trailer)) < 0 || sw_flush(s) < 0)
		return -1;
	if (fchmod(s->fd, 0444) < 0 || close(s->fd) < 0) {
		s->fd = -1;
		git_error_set(GIT_ERROR_OS, "cannot write '%s'", s->tmppath);
		return -1;
	}
	s->fd = -1;
	git_oid_tostr(hex, sizeof(hex), oid);
	if (asprintf(&path, "%s/%.2s", w->objdir, hex) < 0) {
		git_error_set_oom();
		return -1;
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		git_error_set(GIT_ERROR_OS, "cannot create '%s'", path);
		goto out;
	}
	free(path);
	if (asprintf(&path, "%s/%.2s/%s", w->objdir, hex, hex + 2) < 0) {
		path = NULL;
		git_error_set_oom();
		goto out;
	}
	if (rename(s->tmppath, path) < 0) {
		git_error_set(GIT_ERROR_OS, "cannot create '%s'", path);
		goto out;
	}
	free(s->tmppath);
	s->tmppath = NULL;
	rc = 0;
out:
	free(path);
	return rc;
}

static void sw_free(git_odb_stream *stream)
{
	struct swstream *s = (struct swstream *)stream;

	if (s->fd >= 0)
		close(s->fd);
	if (s->tmppath)
		unlink(s->tmppath);
	free(s->tmppath);
	free(s);
}

static int sw_writestream(git_odb_stream **out, git_odb_backend *backend,
			  git_object_size_t length, git_object_t type)
{
	struct swriter *w = (struct swriter *)backend;
	struct swstream *s = NULL;
	/* zlib header: deflate, 32K window, "fastest" level, check bits */
	static const unsigned char zhdr[2] = { 0x78, 0x01 };
	char hdr[64];
	int hdrlen;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))) ||
	    asprintf(&s->tmppath, "%s/tmp_dossier_XXXXXX", w->objdir) < 0) {
		free(s);
		git_error_set_oom();
		return -1;
	}
	s->parent.backend = backend;
	s->parent.mode = GIT_STREAM_WRONLY;
	s->parent.write = sw_write;
	s->parent.finalize_write = sw_finalize;
	s->parent.free = sw_free;
	s->adler_a = 1;
	if ((s->fd = mkostemp(s->tmppath, O_CLOEXEC)) < 0) {
		git_error_set(GIT_ERROR_OS, "cannot create '%s'", s->tmppath);
		free(s->tmppath);
		s->tmppath = NULL;
		sw_free(&s->parent);
		return -1;
	}
	/* a loose object inflates to "<type> <size>\0<data>" */
	hdrlen = snprintf(hdr, sizeof(hdr), "%s %" PRIu64,
			  git_object_type2string(type), (uint64_t)length);
	if (sw_emit(s, zhdr, sizeof(zhdr)) < 0 ||
	    sw_blocks(s, (const unsigned char *)hdr, (size_t)hdrlen + 1,
		      0) < 0) {
		sw_free(&s->parent);
		return -1;
	}
	*out = &s->parent;
	return 0;
}

static void sw_backend_free(git_odb_backend *backend)
{
	struct swriter *w = (struct swriter *)backend;

	free(w->objdir);
	free(w);
}

/*
 * Add the writer to repo's object database (libgit2's default one, with
 * its loose and pack backends, which do all reading and small writes).
 */
/*
 * The batch's objects in memory, in the order written. libgit2's mempack
 * would do, but it cannot list its objects (a small batch is flushed as
 * loose objects) and dumps through a packbuilder, which lists every ref
 * of the repository each time (one per record here).
 */
#define MEM_BUCKETS 4096

struct memobj {
	struct memobj *next;	/* in its bucket */
	git_oid id;
	git_object_t type;
	size_t len;
	unsigned char data[];
};

struct memstore {
	git_odb_backend parent;
	struct memobj *bucket[MEM_BUCKETS];
	struct memobj **all;
	size_t n, cap;
};

static struct memobj *mem_find(struct memstore *m, const git_oid *id)
{
	struct memobj *o = m->bucket[(id->id[0] << 8 | id->id[1]) %
				     MEM_BUCKETS];

	while (o && git_oid_cmp(&o->id, id))
		o = o->next;
	return o;
}

static int mem_read(void **buf, size_t *len, git_object_t *type,
		    git_odb_backend *b, const git_oid *id)
{
	struct memobj *o = mem_find((struct memstore *)b, id);

	if (!o)
		return GIT_ENOTFOUND;
	if (!(*buf = git_odb_backend_data_alloc(b, o->len ? o->len : 1)))
		return -1;
	memcpy(*buf, o->data, o->len);
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_read_header(size_t *len, git_object_t *type,
			   git_odb_backend *b, const git_oid *id)
{
	struct memobj *o = mem_find((struct memstore *)b, id);

	if (!o)
		return GIT_ENOTFOUND;
	*len = o->len;
	*type = o->type;
	return 0;
}

static int mem_exists(git_odb_backend *b, const git_oid *id)
{
	return mem_find((struct memstore *)b, id) != NULL;
}

static int mem_write(git_odb_backend *b, const git_oid *id,
		     const void *data, size_t len, git_object_t type)
{
	struct memstore *m = (struct memstore *)b;
	struct memobj *o;
	size_t h = (id->id[0] << 8 | id->id[1]) % MEM_BUCKETS;

	if (mem_find(m, id))
		return 0;
	if (m->n == m->cap) {
		size_t c = m->cap ? m->cap * 2 : 1024;
		struct memobj **v = realloc(m->all, c * sizeof(*v));

		if (!v)
			return -1;
		m->all = v;
		m->cap = c;
	}
	if (!(o = malloc(sizeof(*o) + len)))
		return -1;
	git_oid_cpy(&o->id, id);
	o->type = type;
	o->len = len;
	memcpy(o->data, data, len);
	o->next = m->bucket[h];
	m->bucket[h] = o;
	m->all[m->n++] = o;
	return 0;
}

static void mem_reset(struct memstore *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->all[i]);
	m->n = 0;
	memset(m->bucket, 0, sizeof(m->bucket));
}

static void mem_free(git_odb_backend *b)
{
	struct memstore *m = (struct memstore *)b;

	mem_reset(m);
	free(m->all);
	free(m);
}

static int mem_new(struct memstore **out)
{
	struct memstore *m = calloc(1, sizeof(*m));
	int gerr;

	if (!m)
		return sys_fail(ENOMEM, "cannot open object database");
	if ((gerr = git_odb_init_backend(&m->parent,
					 GIT_ODB_BACKEND_VERSION)) < 0) {
		free(m);
		return git_fail(gerr, "cannot open object database");
	}
	m->parent.read = mem_read;
	m->parent.read_header = mem_read_header;
	m->parent.exists = mem_exists;
	m->parent.write = mem_write;
	m->parent.free = mem_free;
	*out = m;
	return 0;
}

static int add_writer(git_odb *odb, const char *objdir)
{
	struct swriter *w = NULL;
	int gerr, rc = 0;

	if (!(w = calloc(1, sizeof(*w))) || !(w->objdir = strdup(objdir))) {
		rc = sys_fail(ENOMEM, "cannot open object database");
		goto out;
	}
	if ((gerr = git_odb_init_backend(&w->parent,
					 GIT_ODB_BACKEND_VERSION)) < 0) {
		rc = git_fail(gerr, "cannot open object database");
		goto out;
	}
	w->parent.writestream = sw_writestream;
	w->parent.free = sw_backend_free;
	if ((gerr = git_odb_add_backend(odb, &w->parent,
					WRITER_PRIORITY)) < 0) {
		rc = git_fail(gerr, "cannot open object database");
		goto out;
	}
	w = NULL;	/* odb owns it */
out:
	if (w) {
		free(w->objdir);
		free(w);
	}
	return rc;
}

/*
 * The repository's object database gets the writer; a second one, used
 * during batches, the writer too and, below it, an in-memory store that
 * takes every other write: a batch's trees, commits and small blobs
 * reach the disk as one pack (dossier_git_flush), not as a file each.
 */
static int setup_odb(struct dossier_git *git, git_repository *repo)
{
	git_odb *odb = NULL, *bodb = NULL;
	git_odb_backend *loose = NULL;
	struct memstore *mem = NULL;
	int gerr, rc;

	if ((gerr = git_repository_odb(&odb, repo)) < 0)
		return git_fail(gerr, "cannot open object database");
	if ((rc = add_writer(odb, git->objdir)) < 0)
		goto fail;
	if ((gerr = git_odb_open(&bodb, git->objdir)) < 0 ||
	    (gerr = git_odb_backend_loose(&loose, git->objdir, 1, 0, 0,
					  0)) < 0) {
		rc = git_fail(gerr, "cannot open object database");
		goto fail;
	}
	if ((rc = mem_new(&mem)) < 0)
		goto fail;
	if ((gerr = git_odb_add_backend(bodb, &mem->parent,
					MEM_PRIORITY)) < 0) {
		mem_free(&mem->parent);
		rc = git_fail(gerr, "cannot open object database");
		goto fail;
	}
	if ((rc = add_writer(bodb, git->objdir)) < 0)
		goto fail;
	git_odb_free(git->odb);
	git_odb_free(git->bodb);
	if (git->loose)
		git->loose->free(git->loose);
	git->odb = odb;
	git->bodb = bodb;
	git->mem = mem;
	git->loose = loose;
	return 0;
fail:
	if (loose)
		loose->free(loose);
	git_odb_free(odb);
	git_odb_free(bodb);
	return rc;
}

static int open_repo(git_repository **out, const char *path)
{
	git_repository *repo = NULL;
	int gerr;

	gerr = git_repository_open_ext(&repo, path,
				       GIT_REPOSITORY_OPEN_NO_SEARCH |
				       GIT_REPOSITORY_OPEN_BARE, NULL);
	if (gerr < 0)
		return git_fail(gerr, "cannot open repository '%s'", path);
	*out = repo;
	return 0;
}

static int init_repo(const char *path)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	int gerr;

	/* the _INIT macro trips -Wmissing-field-initializers */
	if ((gerr = git_repository_init_options_init(
		     &opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION)) < 0)
		return git_fail(gerr, "cannot create repository '%s'", path);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH |
		     GIT_REPOSITORY_INIT_NO_REINIT;
	opts.initial_head = "main";
	gerr = git_repository_init_ext(&repo, path, &opts);
	git_repository_free(repo);
	if (gerr < 0)
		return git_fail(gerr, "cannot create repository '%s'", path);
	dossier_log(LOG_INFO, "created history repository '%s'", path);
	return 0;
}

int dossier_git_open(struct dossier_git **out, const char *path, int create)
{
	struct dossier_git *git = NULL;
	int rc;

	*out = NULL;
	if (git_libgit2_init() < 0)
		return git_fail(-1, "cannot initialise libgit2");
	/*
	 * libgit2 keeps up to 256 MiB of parsed objects and maps up to 8 GiB
	 * of pack windows per process by default: the daemon grew from 11 to
	 * 276 MB committing 20k records (566 MB over a day was seen). Our
	 * commits touch each tree once per batch, so a small cache does.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)(32 << 20));
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(128 << 20));
	if (!(git = calloc(1, sizeof(*git)))) {
		rc = sys_fail(ENOMEM, "cannot open repository '%s'", path);
		goto fail;
	}
	rc = open_repo(&git->repo, path);
	if (rc == DOSSIER_ENOTFOUND && create) {
		dossier_error_clear();
		if ((rc = init_repo(path)) < 0)
			goto fail;
		rc = open_repo(&git->repo, path);
	}
	if (rc < 0)
		goto fail;
	git->gitdir = strdup(git_repository_path(git->repo));
	if (git->gitdir &&
	    asprintf(&git->objdir, "%sobjects", git->gitdir) < 0)
		git->objdir = NULL;
	if (!git->gitdir || !git->objdir) {
		rc = sys_fail(ENOMEM, "cannot open repository '%s'", path);
		goto fail;
	}
	if ((rc = setup_odb(git, git->repo)) < 0)
		goto fail;
	*out = git;
	return 0;
fail:
	if (git) {
		git_odb_free(git->odb);
		git_odb_free(git->bodb);
		if (git->loose)
			git->loose->free(git->loose);
		git_repository_free(git->repo);
		free(git->gitdir);
		free(git->objdir);
		free(git);
	}
	git_libgit2_shutdown();
	return rc;
}

void dossier_git_free(struct dossier_git *git)
{
	if (!git)
		return;
	git_repository_free(git->repo);
	git_odb_free(git->odb);
	git_odb_free(git->bodb);
	if (git->loose)
		git->loose->free(git->loose);
	free(git->gitdir);
	free(git->objdir);
	free(git->pending);
	free(git);
	git_libgit2_shutdown();
}

/*
 * Drop every cache libgit2 keeps (object cache, list of open packs, their
 * mmaps) by opening the repository afresh: after a pack deleted files the
 * old handle can still find objects in unlinked, still-mapped packs.
 */
static int reopen(struct dossier_git *git)
{
	git_repository *repo = NULL;
	int rc;

	if ((rc = open_repo(&repo, git->gitdir)) < 0)
		return rc;
	if ((rc = setup_odb(git, repo)) < 0) {
		git_repository_free(repo);
		return rc;
	}
	git_repository_free(git->repo);
	git->repo = repo;
	return 0;
}

static int get_odb(git_odb **out, struct dossier_git *git)
{
	int gerr = git_repository_odb(out, git->repo);

	return gerr < 0 ? git_fail(gerr, "cannot open object database") : 0;
}

/* The type and size of an object: DOSSIER_ENOTFOUND if absent. */
static int object_header(struct dossier_git *git, const git_oid *id,
			 git_object_t *type, size_t *size)
{
	git_odb *odb = NULL;
	size_t len = 0;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr, rc;

	if ((rc = get_odb(&odb, git)) < 0)
		return rc;
	if ((gerr = git_odb_read_header(&len, type, odb, id)) < 0)
		rc = git_fail(gerr, "cannot read object %s",
			      git_oid_tostr(hex, sizeof(hex), id));
	else if (size)
		*size = len;
	git_odb_free(odb);
	return rc;
}

static int expect_type(struct dossier_git *git, const git_oid *id,
		       git_object_t want, size_t *size)
{
	git_object_t type = GIT_OBJECT_INVALID;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = object_header(git, id, &type, size)) < 0)
		return rc;
	if (type != want) {
		dossier_error_set("object %s is a %s, not a %s",
				  git_oid_tostr(hex, sizeof(hex), id),
				  git_object_type2string(type),
				  git_object_type2string(want));
		return DOSSIER_EINVAL;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			int saverr = errno;

			if (saverr == EINTR)
				continue;
			return sys_fail(saverr, "cannot write blob out");
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A regular file: its size is known, so stream straight into a loose
 * object (libgit2 needs the size for the object header up front).
 */
static int blob_from_file(struct dossier_git *git, int fd, uint64_t size,
			  char *buf, git_oid *out)
{
	git_odb *odb = NULL;
	git_odb_stream *stream = NULL;
	uint64_t off = 0;
	ssize_t n;
	int gerr, rc;

	if ((rc = get_odb(&odb, git)) < 0)
		goto out;
	if ((gerr = git_odb_open_wstream(&stream, odb, size,
					 GIT_OBJECT_BLOB)) < 0) {
		rc = git_fail(gerr, "cannot start blob");
		goto out;
	}
	while (off < size) {
		size_t want = size - off < IO_CHUNK ? (size_t)(size - off)
						    : IO_CHUNK;

		n = pread(fd, buf, want, (off_t)off);
		if (n < 0) {
			int saverr = errno;

			if (saverr == EINTR)
				continue;
			rc = sys_fail(saverr, "cannot read blob source");
			goto out;
		}
		if (n == 0) {
			dossier_error_set("file shrank while being stored");
			rc = DOSSIER_EBUSY;
			goto out;
		}
		if ((gerr = git_odb_stream_write(stream, buf, (size_t)n)) < 0) {
			rc = git_fail(gerr, "cannot write blob");
			goto out;
		}
		off += (uint64_t)n;
	}
	do {
		n = pread(fd, buf, 1, (off_t)off);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		rc = sys_fail(errno, "cannot read blob source");
		goto out;
	}
	if (n > 0) {
		dossier_error_set("file grew while being stored");
		rc = DOSSIER_EBUSY;
		goto out;
	}
	if ((gerr = git_odb_stream_finalize_write(out, stream)) < 0)
		rc = git_fail(gerr, "cannot write blob");
out:
	git_odb_stream_free(stream);
	git_odb_free(odb);
	return rc;
}

/*
 * A pipe or socket: size unknown, so let libgit2 spool it to a temporary
 * file in the repository and then stream that in.
 */
static int blob_from_stream(struct dossier_git *git, int fd, char *buf,
			    git_oid *out, uint64_t *size)
{
	git_writestream *ws = NULL;
	ssize_t n;
	int gerr, rc = 0;

	*size = 0;
	if ((gerr = git_blob_create_from_stream(&ws, git->repo, NULL)) < 0)
		return git_fail(gerr, "cannot start blob");
	for (;;) {
		n = read(fd, buf, IO_CHUNK);
		if (n < 0) {
			int saverr = errno;

			if (saverr == EINTR)
				continue;
			rc = sys_fail(saverr, "cannot read blob source");
			goto fail;
		}
		if (n == 0)
			break;
		if ((gerr = ws->write(ws, buf, (size_t)n)) < 0) {
			rc = git_fail(gerr, "cannot write blob");
			goto fail;
		}
		*size += (uint64_t)n;
	}
	/* commit frees the stream, on failure too */
	if ((gerr = git_blob_create_from_stream_commit(out, ws)) < 0)
		return git_fail(gerr, "cannot write blob");
	return 0;
fail:
	ws->free(ws);
	return rc;
}

int dossier_git_blob_from_fd(struct dossier_git *git, int fd,
			     struct dossier_oid *out, uint64_t *size_out)
{
	struct stat st;
	git_oid id;
	uint64_t size;
	char *buf = NULL;
	int rc;

	if (fstat(fd, &st) < 0)
		return sys_fail(errno, "cannot stat blob source");
	if (!(buf = malloc(IO_CHUNK)))
		return sys_fail(ENOMEM, "cannot store blob");
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		rc = blob_from_file(git, fd, size, buf, &id);
	} else {
		rc = blob_from_stream(git, fd, buf, &id, &size);
	}
	free(buf);
	if (rc < 0)
		return rc;
	git->loose_est++;	/* at most: it may have been there already */
	from_git(out, &id);
	if (size_out)
		*size_out = size;
	return 0;
}

int dossier_git_blob_from_buffer(struct dossier_git *git, const void *data,
				 size_t len, struct dossier_oid *out)
{
	git_odb *odb = NULL;
	git_oid id;
	int gerr, rc;

	/* git_odb_write, not a blob stream: in a batch, it goes to the pack */
	if ((rc = get_odb(&odb, git)) < 0)
		return rc;
	gerr = git_odb_write(&id, odb, data, len, GIT_OBJECT_BLOB);
	git_odb_free(odb);
	if (gerr < 0)
		return git_fail(gerr, "cannot write blob");
	from_git(out, &id);
	return 0;
}

/*
 * Only the loose backend can stream (libgit2 1.5 has no pack read
 * stream), so a packed blob is read whole, once.
 */
int dossier_git_blob_to_fd(struct dossier_git *git,
			   const struct dossier_oid *blob, int fd)
{
	return dossier_git_blob_head_to_fd(git, blob, fd, SIZE_MAX);
}

int dossier_git_blob_head_to_fd(struct dossier_git *git,
				const struct dossier_oid *blob, int fd,
				size_t max)
{
	git_odb *odb = NULL;
	git_odb_stream *stream = NULL;
	git_odb_object *obj = NULL;
	git_object_t type = GIT_OBJECT_INVALID;
	git_oid id;
	size_t len = 0, done = 0;
	char *buf = NULL;
	int gerr, rc;

	to_git(&id, blob);
	if ((rc = expect_type(git, &id, GIT_OBJECT_BLOB, NULL)) < 0)
		return rc;
	if ((rc = get_odb(&odb, git)) < 0)
		return rc;
	if (git_odb_open_rstream(&stream, &len, &type, odb, &id) < 0) {
		git_error_clear();
		stream = NULL;
	}
	if (!stream) {
		if ((gerr = git_odb_read(&obj, odb, &id)) < 0) {
			rc = git_fail(gerr, "cannot read blob");
			goto out;
		}
		rc = write_all(fd, git_odb_object_data(obj),
			       git_odb_object_size(obj) < max ?
				       git_odb_object_size(obj) : max);
		goto out;
	}
	if (!(buf = malloc(IO_CHUNK))) {
		rc = sys_fail(ENOMEM, "cannot read blob");
		goto out;
	}
	if (len > max)
		len = max;
	while (done < len) {
		size_t want = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		int n = git_odb_stream_read(stream, buf, want);

		if (n < 0) {
			rc = git_fail(n, "cannot read blob");
			goto out;
		}
		if (n == 0) {
			dossier_error_set("blob shorter than its header says");
			rc = DOSSIER_ECORRUPT;
			goto out;
		}
		if ((rc = write_all(fd, buf, (size_t)n)) < 0)
			goto out;
		done += (size_t)n;
	}
out:
	free(buf);
	git_odb_stream_free(stream);
	git_odb_object_free(obj);
	git_odb_free(odb);
	return rc;
}

int dossier_git_blob_size(struct dossier_git *git,
			  const struct dossier_oid *blob, uint64_t *out)
{
	git_oid id;
	size_t size = 0;
	int rc;

	to_git(&id, blob);
	if ((rc = expect_type(git, &id, GIT_OBJECT_BLOB, &size)) < 0)
		return rc;
	*out = size;
	return 0;
}

/*
 * A copy of s without '<', '>' and control characters, which would break
 * the commit header's "name <email> time" line; git(1) drops them the
 * same way (ident.c, strbuf_addstr_without_crud), libgit2 refuses them.
 */
static char *clean_ident(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f && *s != '<' &&
		    *s != '>')
			*o++ = *s;
	*o = '\0';
	return out;
}

/* The user as author and the service as committer, at the same time. */
static int make_sigs(git_signature **author, git_signature **committer,
		     const struct dossier_git_sig *sig)
{
	char *name = NULL, *email = NULL;
	int gerr, rc = 0;

	*author = *committer = NULL;
	if (!sig || !sig->name) {
		dossier_error_set("signature without a name");
		return DOSSIER_EINVAL;
	}
	name = clean_ident(sig->name);
	email = clean_ident(sig->email ? sig->email : "");
	if (!name || !email) {
		rc = sys_fail(ENOMEM, "cannot make signature");
		goto out;
	}
	if ((gerr = git_signature_new(author, name, email,
				      (git_time_t)sig->when, 0)) < 0 ||
	    (gerr = git_signature_new(committer, SERVICE_NAME, SERVICE_EMAIL,
				      (git_time_t)sig->when, 0)) < 0) {
		/* an empty (or all-blank) name */
		git_signature_free(*author);
		*author = NULL;
		git_fail(gerr, "invalid signature '%s' <%s>", name, email);
		rc = DOSSIER_EINVAL;
	}
out:
	free(name);
	free(email);
	return rc;
}

static struct pending_ref *find_pending(struct dossier_git *git,
					uint64_t record)
{
	size_t i;

	for (i = 0; i < git->npending; i++)
		if (git->pending[i].record == record)
			return &git->pending[i];
	return NULL;
}

/* The tip of record's ref (0: main), the batch's own first. */
static int read_tip(struct dossier_git *git, uint64_t record,
		    const char *refname, git_oid *out)
{
	struct pending_ref *p = git->batch ? find_pending(git, record) : NULL;

	if (p) {
		git_oid_cpy(out, &p->id);
		return 0;
	}
	return git_reference_name_to_id(out, git->repo, refname);
}

static int note_tip(struct dossier_git *git, uint64_t record,
		    const git_oid *id)
{
	struct pending_ref *p = find_pending(git, record);

	if (!p) {
		if (git->npending == git->cpending) {
			size_t c = git->cpending ? git->cpending * 2 : 64;
			struct pending_ref *v = realloc(git->pending,
							c * sizeof(*v));

			if (!v)
				return sys_fail(ENOMEM, "cannot commit");
			git->pending = v;
			git->cpending = c;
		}
		p = &git->pending[git->npending++];
		p->record = record;
	}
	git_oid_cpy(&p->id, id);
	return 0;
}

void dossier_git_batch_begin(struct dossier_git *git)
{
	git->batch = 1;
	git->npending = 0;
	mem_reset(git->mem);
	git_repository_set_odb(git->repo, git->bodb);
}

void dossier_git_batch_end(struct dossier_git *git)
{
	git->batch = 0;
	git->npending = 0;
	mem_reset(git->mem);
	git_repository_set_odb(git->repo, git->odb);
}

/*
 * A repository for libgit2's packbuilder: our object database and no
 * refs. The packbuilder orders a pack's objects around tags, and to find
 * them it lists every ref of its repository (git_tag_foreach filters
 * after listing): here one ref file per record, so every pack written
 * read 100,000 files at 100k records. Packs are written with no ref in
 * sight and their objects keep the order they were inserted in.
 */
static int noref_next(git_reference **ref, git_reference_iterator *it)
{
	(void)ref;
	(void)it;
	return GIT_ITEROVER;
}

static int noref_next_name(const char **name, git_reference_iterator *it)
{
	(void)name;
	(void)it;
	return GIT_ITEROVER;
}

static void noref_iter_free(git_reference_iterator *it)
{
	free(it);
}

static int noref_iterator(git_reference_iterator **out,
			  git_refdb_backend *backend, const char *glob)
{
	git_reference_iterator *it = calloc(1, sizeof(*it));

	(void)backend;
	(void)glob;
	if (!it)
		return -1;
	it->next = noref_next;
	it->next_name = noref_next_name;
	it->free = noref_iter_free;
	*out = it;
	return 0;
}

static int noref_exists(int *exists, git_refdb_backend *backend,
			const char *name)
{
	(void)backend;
	(void)name;
	*exists = 0;
	return 0;
}

static int noref_lookup(git_reference **out, git_refdb_backend *backend,
			const char *name)
{
	(void)out;
	(void)backend;
	(void)name;
	return GIT_ENOTFOUND;
}

static void noref_free(git_refdb_backend *backend)
{
	free(backend);
}

/* Nothing is ever written through it: every change is refused. */
static int noref_refuse(void)
{
	git_error_set_str(GIT_ERROR_REFERENCE, "the packing repository has "
			  "no refs");
	return -1;
}

static int noref_write(git_refdb_backend *backend, const git_reference *ref,
		       int force, const git_signature *who, const char *msg,
		       const git_oid *old, const char *old_target)
{
	(void)backend;
	(void)ref;
	(void)force;
	(void)who;
	(void)msg;
	(void)old;
	(void)old_target;
	return noref_refuse();
}

static int noref_rename(git_reference **out, git_refdb_backend *backend,
			const char *old_name, const char *new_name, int force,
			const git_signature *who, const char *msg)
{
	(void)out;
	(void)backend;
	(void)old_name;
	(void)new_name;
	(void)force;
	(void)who;
	(void)msg;
	return noref_refuse();
}

static int noref_del(git_refdb_backend *backend, const char *name,
		     const git_oid *old_id, const char *old_target)
{
	(void)backend;
	(void)name;
	(void)old_id;
	(void)old_target;
	return noref_refuse();
}

static int noref_has_log(git_refdb_backend *backend, const char *name)
{
	(void)backend;
	(void)name;
	return 0;
}

static int noref_ensure_log(git_refdb_backend *backend, const char *name)
{
	(void)backend;
	(void)name;
	return noref_refuse();
}

static int noref_reflog_read(git_reflog **out, git_refdb_backend *backend,
			     const char *name)
{
	(void)out;
	(void)backend;
	(void)name;
	return noref_refuse();
}

static int noref_reflog_write(git_refdb_backend *backend, git_reflog *log)
{
	(void)backend;
	(void)log;
	return noref_refuse();
}

static int noref_reflog_rename(git_refdb_backend *backend,
			       const char *old_name, const char *new_name)
{
	(void)backend;
	(void)old_name;
	(void)new_name;
	return noref_refuse();
}

static int noref_reflog_delete(git_refdb_backend *backend, const char *name)
{
	(void)backend;
	(void)name;
	return noref_refuse();
}

/*
 * git_packbuilder_write() as we need it (the pack's name, 40 hex, into
 * name if not NULL), without its cost:
 * libgit2 1.5 hands every piece of the pack stream (each object's
 * header and data) to its indexer, which writes each by mmap, memcpy
 * and munmap, and every munmap flushes the TLB of each CPU the daemon's
 * threads ran on. Measured 2026-12 on the 2-CPU VM: 27 % of the
 * daemon's time while the committer worked through a backlog of new
 * records. The pieces are gathered here and given to the indexer by
 * 4 MiB. The pack is not thin, so the indexer needs no object database.
 */
#define PACK_SINK_CHUNK (4 << 20)

struct pack_sink {
	git_indexer *idx;
	git_indexer_progress stats;
	unsigned char *buf;
	size_t len;
};

static int sink_flush(struct pack_sink *s)
{
	int gerr = 0;

	if (s->len)
		gerr = git_indexer_append(s->idx, s->buf, s->len, &s->stats);
	s->len = 0;
	return gerr;
}

static int sink_cb(void *data, size_t size, void *payload)
{
	struct pack_sink *s = payload;
	int gerr;

	if (s->len + size > PACK_SINK_CHUNK && (gerr = sink_flush(s)) < 0)
		return gerr;
	if (size >= PACK_SINK_CHUNK)
		return git_indexer_append(s->idx, data, size, &s->stats);
	memcpy(s->buf + s->len, data, size);
	s->len += size;
	return 0;
}

static int pack_write(git_packbuilder *pb, const char *packdir, char *name,
		      size_t namesz)
{
	git_indexer_options opts;
	struct pack_sink s;
	int gerr;

	memset(&s, 0, sizeof(s));
	if ((gerr = git_indexer_options_init(&opts,
					     GIT_INDEXER_OPTIONS_VERSION)) < 0)
		return gerr;
	if (!(s.buf = malloc(PACK_SINK_CHUNK))) {
		git_error_set_oom();
		return -1;
	}
	if ((gerr = git_indexer_new(&s.idx, packdir, 0, NULL, &opts)) == 0 &&
	    (gerr = git_packbuilder_foreach(pb, sink_cb, &s)) == 0 &&
	    (gerr = sink_flush(&s)) == 0 &&
	    (gerr = git_indexer_commit(s.idx, &s.stats)) == 0 && name)
		snprintf(name, namesz, "%s", git_indexer_name(s.idx));
	git_indexer_free(s.idx);
	free(s.buf);
	return gerr;
}

static int packer_new(git_packbuilder **pb, git_repository **repo,
		      git_odb *odb)
{
	git_refdb_backend *b = NULL;
	git_refdb *db = NULL;
	int gerr;

	*pb = NULL;
	if ((gerr = git_repository_wrap_odb(repo, odb)) < 0)
		return gerr;
	if ((gerr = git_refdb_new(&db, *repo)) < 0)
		goto fail;
	if (!(b = calloc(1, sizeof(*b)))) {
		gerr = -1;
		goto fail;
	}
	git_refdb_init_backend(b, GIT_REFDB_BACKEND_VERSION);
	b->exists = noref_exists;
	b->lookup = noref_lookup;
	b->iterator = noref_iterator;
	b->write = noref_write;
	b->rename = noref_rename;
	b->del = noref_del;
	b->has_log = noref_has_log;
	b->ensure_log = noref_ensure_log;
	b->reflog_read = noref_reflog_read;
	b->reflog_write = noref_reflog_write;
	b->reflog_rename = noref_reflog_rename;
	b->reflog_delete = noref_reflog_delete;
	b->free = noref_free;
	if ((gerr = git_refdb_set_backend(db, b)) < 0) {
		free(b);
		goto fail;
	}
	git_repository_set_refdb(*repo, db);
	git_refdb_free(db);
	if ((gerr = git_packbuilder_new(pb, *repo)) < 0)
		goto fail_repo;
	return 0;
fail:
	git_refdb_free(db);
fail_repo:
	git_repository_free(*repo);
	*repo = NULL;
	return gerr;
}

static void packer_free(git_packbuilder *pb, git_repository *repo)
{
	git_packbuilder_free(pb);
	git_repository_free(repo);
}

int dossier_git_flush(struct dossier_git *git)
{
	struct memstore *m = git->mem;
	git_packbuilder *pb = NULL;
	git_repository *prepo = NULL;
	char *packdir = NULL;
	size_t i;
	int gerr, rc = 0;

	if (!git->batch || m->n == 0)
		return 0;
	if (m->n < FLUSH_PACK_MIN) {
		/* a few objects: loose, until the next pack of loose ones */
		for (i = 0; i < m->n; i++) {
			struct memobj *o = m->all[i];

			if ((gerr = git->loose->write(git->loose, &o->id,
						      o->data, o->len,
						      o->type)) < 0)
				return git_fail(gerr, "cannot write object");
		}
		git->loose_est += m->n;
		mem_reset(m);
		return 0;
	}
	if (asprintf(&packdir, "%s/pack", git->objdir) < 0)
		return sys_fail(ENOMEM, "cannot pack the batch");
	if ((gerr = packer_new(&pb, &prepo, git->bodb)) < 0) {
		rc = git_fail(gerr, "cannot pack the batch");
		goto out;
	}
	for (i = 0; i < m->n; i++)
		if ((gerr = git_packbuilder_insert(pb, &m->all[i]->id,
						   NULL)) < 0) {
			rc = git_fail(gerr, "cannot pack the batch");
			goto out;
		}
	if ((gerr = pack_write(pb, packdir, NULL, 0)) < 0) {
		rc = git_fail(gerr, "cannot write the batch's pack");
		goto out;
	}
	mem_reset(m);
out:
	packer_free(pb, prepo);
	free(packdir);
	return rc;
}

int dossier_git_set_ref(struct dossier_git *git, uint64_t record,
			const struct dossier_oid *id)
{
	char refname[64];
	git_reference *ref = NULL;
	git_oid oid;
	int gerr;

	if (record)
		snprintf(refname, sizeof(refname), RECORD_REF_FMT, record);
	else
		snprintf(refname, sizeof(refname), "%s", MAIN_REF);
	to_git(&oid, id);
	gerr = git_reference_create(&ref, git->repo, refname, &oid, 1, NULL);
	git_reference_free(ref);
	if (gerr < 0)
		return git_fail(gerr, "cannot move '%s'", refname);
	return 0;
}

int dossier_git_record_version(struct dossier_git *git, uint64_t record_id,
			       const struct dossier_oid *blob,
			       const struct dossier_git_sig *author,
			       const char *message,
			       struct dossier_oid *rec_commit_out)
{
	char refname[64];
	git_oid parent_id, blob_id, tree_id, commit_id;
	git_commit *parent = NULL;
	git_treebuilder *bld = NULL;
	git_tree *tree = NULL;
	git_signature *asig = NULL, *csig = NULL;
	char *msg = NULL;
	size_t len;
	int has_parent, gerr, rc;

	snprintf(refname, sizeof(refname), RECORD_REF_FMT, record_id);
	gerr = read_tip(git, record_id, refname, &parent_id);
	if (gerr < 0 && gerr != GIT_ENOTFOUND)
		return git_fail(gerr, "cannot read '%s'", refname);
	git_error_clear();
	has_parent = gerr == 0;

	if (!blob) {
		if (has_parent)
			from_git(rec_commit_out, &parent_id);
		else
			memset(rec_commit_out, 0, sizeof(*rec_commit_out));
		return 0;
	}

	to_git(&blob_id, blob);
	if ((rc = expect_type(git, &blob_id, GIT_OBJECT_BLOB, NULL)) < 0 ||
	    (rc = make_sigs(&asig, &csig, author)) < 0)
		goto out;
	if (has_parent &&
	    (gerr = git_commit_lookup(&parent, git->repo, &parent_id)) < 0) {
		rc = git_fail(gerr, "cannot read '%s'", refname);
		goto out;
	}
	if ((gerr = git_treebuilder_new(&bld, git->repo, NULL)) < 0 ||
	    (gerr = git_treebuilder_insert(NULL, bld, CONTENT_NAME, &blob_id,
					   GIT_FILEMODE_BLOB)) < 0 ||
	    (gerr = git_treebuilder_write(&tree_id, bld)) < 0 ||
	    (gerr = git_tree_lookup(&tree, git->repo, &tree_id)) < 0) {
		rc = git_fail(gerr, "cannot write tree for record %" PRIu64,
			      record_id);
		goto out;
	}
	/*
	 * The trailer keeps two records' first versions with equal bytes,
	 * author, time and message from being one commit, so a gitlink
	 * names one record and purging one leaves the other's commit alone.
	 */
	if (!message)
		message = "";
	len = strlen(message);
	if (asprintf(&msg, "%s%s%sDossier-Record: %" PRIu64 "\n", message,
		     len && message[len - 1] != '\n' ? "\n" : "",
		     len ? "\n" : "", record_id) < 0) {
		msg = NULL;
		rc = sys_fail(ENOMEM, "cannot commit record %" PRIu64,
			      record_id);
		goto out;
	}
	gerr = git_commit_create(&commit_id, git->repo,
				 git->batch ? NULL : refname, asig, csig,
				 NULL, msg, tree, has_parent ? 1 : 0,
				 (const git_commit **)&parent);
	if (gerr < 0) {
		rc = git_fail(gerr, "cannot commit record %" PRIu64,
			      record_id);
		goto out;
	}
	if (git->batch && (rc = note_tip(git, record_id, &commit_id)) < 0)
		goto out;
	from_git(rec_commit_out, &commit_id);
out:
	free(msg);
	git_signature_free(asig);
	git_signature_free(csig);
	git_tree_free(tree);
	git_treebuilder_free(bld);
	git_commit_free(parent);
	return rc;
}

/*
 * A path names archive entries: non-empty components, none "." or "..",
 * and none ".git" in any case (git refuses those in trees anyway).
 */
static int check_path(const char *path)
{
	const char *c = path;

	if (!path || !*path)
		goto bad;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.') ||
		    (len == 4 && strncasecmp(c, ".git", 4) == 0))
			goto bad;
		if (!slash)
			return 0;
		c = slash + 1;
	}
bad:
	dossier_error_set("invalid path '%s'", path ? path : "(null)");
	return DOSSIER_EINVAL;
}

enum shape {
	SHAPE_ABSENT,
	SHAPE_TREE,
	SHAPE_LEAF,	/* a gitlink (or, in a foreign tree, a blob) */
	SHAPE_BLOCKED,	/* a leading component is not a tree */
};

/* What path is in root (NULL: the empty tree). */
static int probe(struct dossier_git *git, git_tree *root, const char *path,
		 enum shape *out)
{
	git_tree *sub = NULL, *tree = root;
	const char *c = path;
	char *name = NULL;
	int gerr, rc = 0;

	*out = SHAPE_ABSENT;
	while (tree) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);
		const git_tree_entry *e;
		git_tree *next = NULL;

		free(name);
		if (!(name = strndup(c, len))) {
			rc = sys_fail(ENOMEM, "cannot look up '%s'", path);
			break;
		}
		if (!(e = git_tree_entry_byname(tree, name)))
			break;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			*out = slash ? SHAPE_BLOCKED : SHAPE_LEAF;
			break;
		}
		if (!slash) {
			*out = SHAPE_TREE;
			break;
		}
		if ((gerr = git_tree_lookup(&next, git->repo,
					    git_tree_entry_id(e))) < 0) {
			rc = git_fail(gerr, "cannot look up '%s'", path);
			break;
		}
		git_tree_free(sub);
		tree = sub = next;
		c = slash + 1;
	}
	free(name);
	git_tree_free(sub);
	return rc;
}

static int cmp_change(const void *a, const void *b)
{
	const struct dossier_git_change *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* Is the first len bytes of key a path in sorted? */
static int has_path(const struct dossier_git_change **sorted, size_t n,
		    const char *key, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = sorted[mid]->path;
		int r = strncmp(key, p, len);

		if (r == 0)
			r = p[len] == '\0' ? 0 : -1;
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * Reject change sets git_tree_create_updated() mishandles: it fails on a
 * path given twice, and silently undoes "remove a" when "a/x" is set in
 * the same call (it descends into a's old tree and writes it back).
 */
static int check_changes(const struct dossier_git_change *changes, size_t n,
			 const struct dossier_git_change ***sorted_out)
{
	const struct dossier_git_change **sorted = NULL;
	size_t i;
	int rc = 0;

	*sorted_out = NULL;
	if (n == 0)
		return 0;
	if (!(sorted = calloc(n, sizeof(*sorted))))
		return sys_fail(ENOMEM, "cannot commit");
	for (i = 0; i < n; i++) {
		if ((rc = check_path(changes[i].path)) < 0)
			goto out;
		sorted[i] = &changes[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_change);
	for (i = 0; i < n; i++) {
		const char *p = sorted[i]->path, *slash;

		if (i > 0 && strcmp(sorted[i - 1]->path, p) == 0) {
			dossier_error_set("path '%s' changed twice in a commit",
					  p);
			rc = DOSSIER_EINVAL;
			goto out;
		}
		for (slash = strchr(p, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			if (has_path(sorted, n, p, (size_t)(slash - p))) {
				dossier_error_set("path '%s' is inside '%.*s' "
						  "changed in the same commit",
						  p, (int)(slash - p), p);
				rc = DOSSIER_EINVAL;
				goto out;
			}
		}
	}
out:
	if (rc < 0)
		free(sorted);
	else
		*sorted_out = sorted;
	return rc;
}

/* Check one change against the parent's tree (NULL: none). */
static int check_change(struct dossier_git *git, git_tree *base,
			const struct dossier_git_change *c)
{
	enum shape shape;
	git_oid target;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if (c->target) {
		to_git(&target, c->target);
		rc = expect_type(git, &target, GIT_OBJECT_COMMIT, NULL);
		if (rc == DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			dossier_error_set("no record version %s for '%s'",
					  git_oid_tostr(hex, sizeof(hex),
							&target),
					  c->path);
		}
		if (rc < 0)
			return rc;
	}
	if ((rc = probe(git, base, c->path, &shape)) < 0)
		return rc;
	if (shape == SHAPE_BLOCKED) {
		dossier_error_set("a leading part of '%s' is not a folder",
				  c->path);
		return DOSSIER_ENOTDIR;
	}
	if (c->target && shape == SHAPE_TREE) {
		dossier_error_set("'%s' is a folder", c->path);
		return DOSSIER_EISDIR;
	}
	if (!c->target && shape == SHAPE_ABSENT) {
		dossier_error_set("cannot remove '%s': not in history",
				  c->path);
		return DOSSIER_ENOTFOUND;
	}
	return 0;
}

int dossier_git_commit(struct dossier_git *git,
		       const struct dossier_git_change *changes, size_t n,
		       const struct dossier_git_sig *author,
		       const char *message, struct dossier_oid *commit_out)
{
	const struct dossier_git_change **sorted = NULL;
	git_tree_update *updates = NULL;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *asig = NULL, *csig = NULL;
	git_oid parent_id, tree_id, commit_id;
	int has_parent, gerr, rc;
	size_t i;

	if ((rc = make_sigs(&asig, &csig, author)) < 0 ||
	    (rc = check_changes(changes, n, &sorted)) < 0)
		goto out;
	gerr = read_tip(git, 0, MAIN_REF, &parent_id);
	if (gerr < 0 && gerr != GIT_ENOTFOUND) {
		rc = git_fail(gerr, "cannot read '%s'", MAIN_REF);
		goto out;
	}
	git_error_clear();
	has_parent = gerr == 0;
	if (has_parent &&
	    ((gerr = git_commit_lookup(&parent, git->repo, &parent_id)) < 0 ||
	     (gerr = git_commit_tree(&base, parent)) < 0)) {
		rc = git_fail(gerr, "cannot read '%s'", MAIN_REF);
		goto out;
	}
	if (n > 0 && !(updates = calloc(n, sizeof(*updates)))) {
		rc = sys_fail(ENOMEM, "cannot commit");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rc = check_change(git, base, &changes[i])) < 0)
			goto out;
		updates[i].path = changes[i].path;
		if (changes[i].target) {
			updates[i].action = GIT_TREE_UPDATE_UPSERT;
			updates[i].filemode = GIT_FILEMODE_COMMIT;
			to_git(&updates[i].id, changes[i].target);
		} else {
			updates[i].action = GIT_TREE_UPDATE_REMOVE;
		}
	}
	if ((gerr = git_tree_create_updated(&tree_id, git->repo, base, n,
					    updates)) < 0 ||
	    (gerr = git_tree_lookup(&tree, git->repo, &tree_id)) < 0) {
		rc = git_fail(gerr, "cannot write history tree");
		goto out;
	}
	gerr = git_commit_create(&commit_id, git->repo,
				 git->batch ? NULL : MAIN_REF, asig, csig,
				 NULL, message ? message : "", tree,
				 has_parent ? 1 : 0,
				 (const git_commit **)&parent);
	if (gerr < 0) {
		rc = git_fail(gerr, "cannot commit history");
		goto out;
	}
	if (git->batch && (rc = note_tip(git, 0, &commit_id)) < 0)
		goto out;
	from_git(commit_out, &commit_id);
out:
	git_signature_free(asig);
	git_signature_free(csig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	free(updates);
	free(sorted);
	return rc;
}

int dossier_git_head(struct dossier_git *git, struct dossier_oid *out)
{
	git_oid id;
	int gerr;

	if ((gerr = read_tip(git, 0, MAIN_REF, &id)) < 0)
		return git_fail(gerr, "no history yet");
	from_git(out, &id);
	return 0;
}

int dossier_git_lookup(struct dossier_git *git,
		       const struct dossier_oid *commit, const char *path,
		       struct dossier_oid *target_out)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr, rc;

	if ((rc = check_path(path)) < 0)
		return rc;
	if (commit)
		to_git(&id, commit);
	else if ((gerr = git_reference_name_to_id(&id, git->repo,
						  MAIN_REF)) < 0)
		return git_fail(gerr, "no history yet");
	if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0 ||
	    (gerr = git_commit_tree(&tree, c)) < 0) {
		rc = git_fail(gerr, "cannot read commit %s",
			      git_oid_tostr(hex, sizeof(hex), &id));
		goto out;
	}
	if ((gerr = git_tree_entry_bypath(&e, tree, path)) < 0) {
		rc = git_fail(gerr, "cannot look up '%s'", path);
		goto out;
	}
	switch (git_tree_entry_filemode(e)) {
	case GIT_FILEMODE_COMMIT:
		from_git(target_out, git_tree_entry_id(e));
		break;
	case GIT_FILEMODE_TREE:
		dossier_error_set("'%s' is a folder", path);
		rc = DOSSIER_EISDIR;
		break;
	default:
		dossier_error_set("'%s' in commit %s is not a record link",
				  path, git_oid_tostr(hex, sizeof(hex), &id));
		rc = DOSSIER_ECORRUPT;
		break;
	}
out:
	git_tree_entry_free(e);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

int dossier_git_record_blob(struct dossier_git *git,
			    const struct dossier_oid *rec_commit,
			    struct dossier_oid *blob_out)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	const git_tree_entry *e;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr, rc = 0;

	to_git(&id, rec_commit);
	git_oid_tostr(hex, sizeof(hex), &id);
	if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0 ||
	    (gerr = git_commit_tree(&tree, c)) < 0) {
		rc = git_fail(gerr, "cannot read record version %s", hex);
		goto out;
	}
	e = git_tree_entry_byname(tree, CONTENT_NAME);
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		dossier_error_set("record version %s has no content", hex);
		rc = DOSSIER_ECORRUPT;
		goto out;
	}
	from_git(blob_out, git_tree_entry_id(e));
out:
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* --- packing ------------------------------------------------------- */

static int oidset_add(struct oidset *s, const git_oid *id)
{
	if (s->n == s->alloc) {
		size_t alloc = s->alloc ? 2 * s->alloc : 64;
		git_oid *v = realloc(s->v, alloc * sizeof(*v));

		if (!v)
			return sys_fail(ENOMEM, "cannot list objects");
		s->v = v;
		s->alloc = alloc;
	}
	git_oid_cpy(&s->v[s->n++], id);
	return 0;
}

static int cmp_oid(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

static void oidset_sort(struct oidset *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_oid);
}

static int oidset_has(const struct oidset *s, const git_oid *id)
{
	return s && s->n && bsearch(id, s->v, s->n, sizeof(*s->v), cmp_oid);
}

static void oidset_release(struct oidset *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->alloc = 0;
}

static int add_tree(struct dossier_git *git, const git_oid *id,
		    struct oidset *set)
{
	git_tree *tree = NULL;
	size_t i;
	int gerr, rc;

	if ((rc = oidset_add(set, id)) < 0)
		return rc;
	if ((gerr = git_tree_lookup(&tree, git->repo, id)) < 0)
		return git_fail(gerr, "cannot list record objects");
	for (i = 0; i < git_tree_entrycount(tree) && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = add_tree(git, git_tree_entry_id(e), set);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
			rc = oidset_add(set, git_tree_entry_id(e));
	}
	git_tree_free(tree);
	return rc;
}

/* Every object reachable from refname, into set (sorted). */
static int record_objects(struct dossier_git *git, const char *refname,
			  struct oidset *set)
{
	git_revwalk *walk = NULL;
	git_commit *c = NULL;
	git_oid id;
	int gerr, rc = 0;

	if ((gerr = git_revwalk_new(&walk, git->repo)) < 0 ||
	    (gerr = git_revwalk_push_ref(walk, refname)) < 0) {
		rc = git_fail(gerr, "cannot walk '%s'", refname);
		goto out;
	}
	while ((gerr = git_revwalk_next(&id, walk)) == 0) {
		if ((rc = oidset_add(set, &id)) < 0)
			goto out;
		if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0)
			break;
		rc = add_tree(git, git_commit_tree_id(c), set);
		git_commit_free(c);
		c = NULL;
		if (rc < 0)
			goto out;
	}
	if (gerr != GIT_ITEROVER)
		rc = git_fail(gerr, "cannot walk '%s'", refname);
	else
		git_error_clear();
	oidset_sort(set);
out:
	git_revwalk_free(walk);
	return rc;
}

/* Queue everything reachable from the refs, except skip_ref, into pb. */
static int insert_reachable(struct dossier_git *git, git_packbuilder *pb,
			    const char *skip_ref)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_revwalk *walk = NULL;
	git_object_t type;
	git_oid head;
	int gerr, rc = 0;

	if ((gerr = git_revwalk_new(&walk, git->repo)) < 0 ||
	    (gerr = git_reference_iterator_new(&it, git->repo)) < 0)
		goto fail;
	while ((gerr = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);

		if (id && (!skip_ref ||
			   strcmp(git_reference_name(ref), skip_ref) != 0)) {
			if ((rc = object_header(git, id, &type, NULL)) < 0)
				goto out;
			if (type == GIT_OBJECT_COMMIT)
				gerr = git_revwalk_push(walk, id);
			else
				gerr = git_packbuilder_insert_recur(pb, id,
								    NULL);
			if (gerr < 0)
				goto fail;
		}
		git_reference_free(ref);
		ref = NULL;
	}
	if (gerr != GIT_ITEROVER)
		goto fail;
	/* HEAD is symbolic (to main) unless someone detached it */
	gerr = git_reference_name_to_id(&head, git->repo, "HEAD");
	if (gerr == 0)
		gerr = git_revwalk_push(walk, &head);
	else if (gerr == GIT_ENOTFOUND)
		gerr = 0;
	if (gerr < 0 || (gerr = git_packbuilder_insert_walk(pb, walk)) < 0)
		goto fail;
	git_error_clear();
	goto out;
fail:
	rc = git_fail(gerr, "cannot list reachable objects");
out:
	git_reference_free(ref);
	git_reference_iterator_free(it);
	git_revwalk_free(walk);
	return rc;
}

static int fsync_path(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_fail(errno, "cannot open '%s'", path);
	if (fsync(fd) < 0)
		rc = sys_fail(errno, "cannot fsync '%s'", path);
	close(fd);
	return rc;
}

static int unlink_quiet(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT) {
		int saverr = errno;

		dossier_log(LOG_WARNING, "cannot remove '%s': %s", path,
			    strerror(saverr));
		return sys_fail(saverr, "cannot remove '%s'", path);
	}
	return 0;
}

/*
 * Delete every pack but keep ("pack-<hash>", or NULL for none); the .idx
 * goes first so no reader finds a pack without its data. Also drop the
 * caches git(1) may have left that would describe deleted objects.
 */
static int drop_old_packs(struct dossier_git *git, const char *keep)
{
	static const char *const exts[] = { ".idx", ".pack", ".rev",
					    ".bitmap", ".keep" };
	char *packdir = NULL, *path = NULL;
	DIR *dir = NULL;
	struct dirent *de;
	size_t i;
	int rc = 0, r;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0) {
		packdir = NULL;
		return sys_fail(ENOMEM, "cannot list packs");
	}
	if (!(dir = opendir(packdir))) {
		if (errno != ENOENT)
			rc = sys_fail(errno, "cannot list '%s'", packdir);
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len < 10 || strncmp(de->d_name, "pack-", 5) != 0 ||
		    strcmp(de->d_name + len - 5, ".pack") != 0)
			continue;
		len -= 5;
		if (keep && strlen(keep) == len &&
		    strncmp(de->d_name, keep, len) == 0)
			continue;
		for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
			if (asprintf(&path, "%s/%.*s%s", packdir, (int)len,
				     de->d_name, exts[i]) < 0) {
				path = NULL;
				rc = sys_fail(ENOMEM, "cannot remove pack");
				goto out;
			}
			if ((r = unlink_quiet(path)) < 0 && rc == 0)
				rc = r;
			free(path);
			path = NULL;
		}
	}
	if (asprintf(&path, "%s/multi-pack-index", packdir) >= 0) {
		if ((r = unlink_quiet(path)) < 0 && rc == 0)
			rc = r;
		free(path);
	}
	if (asprintf(&path, "%s/info/commit-graph", git->objdir) >= 0) {
		if ((r = unlink_quiet(path)) < 0 && rc == 0)
			rc = r;
		free(path);
	}
	path = NULL;
out:
	if (dir)
		closedir(dir);
	free(path);
	free(packdir);
	return rc;
}

/*
 * Remove our writer's temporary files a crash left in objects/ (older
 * than the grace, so none a writer still has open).
 */
static void drop_stale_tmp(struct dossier_git *git, time_t now)
{
	DIR *dir = opendir(git->objdir);
	struct dirent *de;
	struct stat st;

	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "tmp_dossier_", 12) != 0 ||
		    fstatat(dirfd(dir), de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) < 0 ||
		    now - st.st_mtime < PRUNE_GRACE_SECONDS)
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0) < 0)
			dossier_log(LOG_WARNING, "cannot remove '%s/%s': %s",
				    git->objdir, de->d_name, strerror(errno));
	}
	closedir(dir);
}

static int is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[len] == '\0';
}

/*
 * Call fn for each loose object file objects/xx/<38 hex>; fn returns 1 to
 * have the file deleted, 0 to keep it, < 0 to stop. Emptied fan-out
 * directories are removed when deleting.
 */
typedef int (*loose_fn)(const git_oid *id, int dirfd, const char *name,
			void *payload);

static int each_loose(struct dossier_git *git, loose_fn fn, void *payload)
{
	DIR *top = NULL, *sub = NULL;
	struct dirent *de, *se;
	int rc = 0;

	if (!(top = opendir(git->objdir)))
		return sys_fail(errno, "cannot list '%s'", git->objdir);
	while (rc >= 0 && (de = readdir(top)) != NULL) {
		int fd, deleted = 0;

		if (!is_hex(de->d_name, 2))
			continue;
		fd = openat(dirfd(top), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !(sub = fdopendir(fd))) {
			rc = sys_fail(errno, "cannot list '%s/%s'",
				      git->objdir, de->d_name);
			if (fd >= 0)
				close(fd);
			break;
		}
		while ((se = readdir(sub)) != NULL) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid id;
			int r;

			if (!is_hex(se->d_name, GIT_OID_HEXSZ - 2))
				continue;
			memcpy(hex, de->d_name, 2);
			memcpy(hex + 2, se->d_name, GIT_OID_HEXSZ - 2);
			hex[GIT_OID_HEXSZ] = '\0';
			if (git_oid_fromstr(&id, hex) < 0) {
				git_error_clear();
				continue;
			}
			r = fn(&id, dirfd(sub), se->d_name, payload);
			if (r < 0) {
				rc = r;
				break;
			}
			if (r == 0)
				continue;
			if (unlinkat(dirfd(sub), se->d_name, 0) < 0 &&
			    errno != ENOENT) {
				rc = sys_fail(errno, "cannot remove object %s",
					      hex);
				break;
			}
			deleted = 1;
		}
		closedir(sub);
		sub = NULL;
		if (deleted)
			unlinkat(dirfd(top), de->d_name, AT_REMOVEDIR);
	}
	closedir(top);
	return rc;
}

static int count_cb(const git_oid *id, int dirfd, const char *name,
		    void *payload)
{
	(void)id;
	(void)dirfd;
	(void)name;
	++*(size_t *)payload;
	return 0;
}

int dossier_git_loose_count(struct dossier_git *git, size_t *out)
{
	size_t n = 0;
	int rc;

	if ((rc = each_loose(git, count_cb, &n)) < 0)
		return rc;
	*out = n;
	git->loose_est = n;
	git->loose_known = 1;
	return 0;
}

int dossier_git_loose_estimate(struct dossier_git *git, size_t *out)
{
	if (!git->loose_known)
		return dossier_git_loose_count(git, out);
	*out = git->loose_est;
	return 0;
}

struct prune {
	git_odb *packed;		/* the new pack alone, or NULL */
	const struct oidset *drop;	/* delete even if young */
	time_t now;
	size_t kept, dropped;
};

static int prune_cb(const git_oid *id, int dirfd, const char *name,
		    void *payload)
{
	struct prune *p = payload;
	struct stat st;

	if ((p->packed && git_odb_exists(p->packed, id)) ||
	    oidset_has(p->drop, id))
		goto drop;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;	/* gone already, or let the next pack try */
	if (p->now - st.st_mtime >= PRUNE_GRACE_SECONDS)
		goto drop;
	p->kept++;
	return 0;
drop:
	p->dropped++;
	return 1;
}

/*
 * Write one pack of everything reachable (without skip_ref if given),
 * fsync it, delete skip_ref, then delete old packs and loose objects that
 * are in the new pack, are in drop, or are unreachable and old. Every
 * step leaves a valid repository: nothing is deleted before the new pack
 * is on disk, and the only things deleted are copies or unreachable.
 */
static int insert_loose_cb(const git_oid *id, int dirfd, const char *name,
			   void *payload)
{
	int gerr = git_packbuilder_insert(payload, id, NULL);

	(void)dirfd;
	(void)name;
	return gerr < 0 ? git_fail(gerr, "cannot pack") : 0;
}

/*
 * Pack into one new pack every object reachable from a ref except
 * skip_ref (all: every loose object alone, and no old pack is dropped),
 * then delete what the new pack holds, what drop names, and old
 * unreachable loose objects.
 */
static int repack(struct dossier_git *git, const char *skip_ref,
		  const struct oidset *drop, int loose_only)
{
	git_packbuilder *pb = NULL;
	git_repository *prepo = NULL;
	struct prune prune = { 0 };
	git_odb_backend *one = NULL;
	char *packdir = NULL, *packpath = NULL, *idxpath = NULL;
	const char *name = NULL;
	char keep[GIT_OID_HEXSZ + 16] = "", pname[GIT_OID_HEXSZ + 1] = "";
	size_t count;
	int gerr, rc, r;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0) {
		packdir = NULL;
		rc = sys_fail(ENOMEM, "cannot pack");
		goto out;
	}
	if ((gerr = packer_new(&pb, &prepo, git->odb)) < 0) {
		rc = git_fail(gerr, "cannot pack");
		goto out;
	}
	/* the committer packs loose objects: leave a CPU to the users */
	git_packbuilder_set_threads(pb, loose_only ? 1 : 0);
	if ((rc = loose_only ? each_loose(git, insert_loose_cb, pb) :
			       insert_reachable(git, pb, skip_ref)) < 0)
		goto out;
	count = git_packbuilder_object_count(pb);
	if (count > 0) {
		if ((gerr = pack_write(pb, packdir, pname,
				       sizeof(pname))) < 0) {
			rc = git_fail(gerr, "cannot write pack");
			goto out;
		}
		name = pname;
		snprintf(keep, sizeof(keep), "pack-%s", name);
		if (asprintf(&packpath, "%s/%s.pack", packdir, keep) < 0 ||
		    asprintf(&idxpath, "%s/%s.idx", packdir, keep) < 0) {
			packpath = idxpath = NULL;
			rc = sys_fail(ENOMEM, "cannot pack");
			goto out;
		}
		if ((rc = fsync_path(packpath)) < 0 ||
		    (rc = fsync_path(idxpath)) < 0 ||
		    (rc = fsync_path(packdir)) < 0)
			goto out;
		if ((gerr = git_odb_new(&prune.packed)) < 0 ||
		    (gerr = git_odb_backend_one_pack(&one, idxpath)) < 0 ||
		    (gerr = git_odb_add_backend(prune.packed, one, 1)) < 0) {
			rc = git_fail(gerr, "cannot open new pack '%s'",
				      idxpath);
			goto out;
		}
		one = NULL;
	}
	if (skip_ref &&
	    (gerr = git_reference_remove(git->repo, skip_ref)) < 0) {
		rc = git_fail(gerr, "cannot delete '%s'", skip_ref);
		goto out;
	}

	/* from here on, failures leave redundant files behind, no damage */
	rc = loose_only ? 0 : drop_old_packs(git, count > 0 ? keep : NULL);
	prune.drop = drop;
	prune.now = time(NULL);
	if ((r = each_loose(git, prune_cb, &prune)) < 0 && rc == 0)
		rc = r;
	drop_stale_tmp(git, prune.now);
	git->loose_known = 0;
	if ((r = reopen(git)) < 0 && rc == 0)
		rc = r;
	dossier_log(LOG_INFO,
		    "packed %zu objects into '%s', removed %zu loose, kept %zu",
		    count, count > 0 ? keep : "(none)", prune.dropped,
		    prune.kept);
out:
	if (one)
		one->free(one);
	git_odb_free(prune.packed);
	packer_free(pb, prepo);
	free(idxpath);
	free(packpath);
	free(packdir);
	return rc;
}

int dossier_git_pack(struct dossier_git *git)
{
	return repack(git, NULL, NULL, 0);
}

int dossier_git_pack_loose(struct dossier_git *git)
{
	return repack(git, NULL, NULL, 1);
}

int dossier_git_purge_record(struct dossier_git *git, uint64_t record_id)
{
	struct oidset set = { 0 };
	char refname[64];
	git_oid tip;
	int gerr, rc;

	snprintf(refname, sizeof(refname), RECORD_REF_FMT, record_id);
	if ((gerr = git_reference_name_to_id(&tip, git->repo, refname)) < 0)
		return git_fail(gerr, "cannot purge record %" PRIu64,
				record_id);
	if ((rc = record_objects(git, refname, &set)) < 0)
		goto out;
	if ((rc = repack(git, refname, &set, 0)) < 0)
		goto out;
	dossier_log(LOG_INFO, "purged record %" PRIu64 " (%zu objects)",
		    record_id, set.n);
out:
	oidset_release(&set);
	return rc;
}

int dossier_git_purge_objects(struct dossier_git *git,
			      const struct dossier_oid *ids, size_t n)
{
	struct oidset set = { 0 };
	git_object_t type = GIT_OBJECT_INVALID;
	git_commit *c = NULL;
	git_oid id;
	size_t i;
	int gerr, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		to_git(&id, &ids[i]);
		if ((rc = object_header(git, &id, &type, NULL)) ==
		    DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = oidset_add(&set, &id);
		if (rc < 0 || type != GIT_OBJECT_COMMIT)
			continue;
		if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0) {
			rc = git_fail(gerr, "cannot read a purged commit");
			break;
		}
		/* a tree already gone leaves nothing to find below it */
		if ((rc = add_tree(git, git_commit_tree_id(c), &set)) ==
		    DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			rc = 0;
		}
		git_commit_free(c);
		c = NULL;
	}
	if (rc == 0) {
		oidset_sort(&set);
		rc = repack(git, NULL, &set, 0);
	}
	oidset_release(&set);
	return rc;
}

/* ---- rolling small packs up ---- */

#define ROLLUP_MAX_OBJECTS 50000

struct packinfo {
	char *base;		/* ".../pack-<hex>", without extension */
	uint32_t count;		/* objects, from the index's fan-out */
};

static int cmp_packinfo(const void *a, const void *b)
{
	const struct packinfo *x = a, *y = b;

	return x->count < y->count ? -1 : x->count > y->count;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * Check the start of a version 2 pack index (pack-format.txt): magic,
 * version, 256 fan-out counts (the last is the object count), then, when
 * len is the whole file, room for the sorted object ids.
 */
static int idx_header(const char *path, const unsigned char *b, size_t len,
		      uint32_t *count)
{
	if (len < 8 + 1024 || memcmp(b, "\377tOc", 4) != 0 ||
	    be32(b + 4) != 2) {
		dossier_error_set("'%s' is not a version 2 pack index", path);
		return DOSSIER_ECORRUPT;
	}
	*count = be32(b + 8 + 255 * 4);
	return 0;
}

/*
 * Read a version 2 pack index (pack-format.txt): magic, version, 256
 * fan-out counts, then the sorted object ids. *buf is the whole file.
 */
static int read_idx(const char *path, unsigned char **buf, uint32_t *count)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t off = 0;
	ssize_t r;
	int fd, rc = 0;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_fail(errno, "cannot open '%s'", path);
	if (fstat(fd, &st) < 0) {
		rc = sys_fail(errno, "cannot read '%s'", path);
		goto out;
	}
	/* a short file is refused by idx_header */
	if (!(b = malloc(st.st_size > 0 ? (size_t)st.st_size : 1))) {
		rc = sys_fail(ENOMEM, "cannot read '%s'", path);
		goto out;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, b + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = sys_fail(r < 0 ? errno : EIO, "cannot read '%s'",
				      path);
			goto out;
		}
		off += (size_t)r;
	}
	if ((rc = idx_header(path, b, (size_t)st.st_size, count)) < 0)
		goto out;
	if ((size_t)st.st_size < 8 + 1024 + (size_t)*count * 20) {
		dossier_error_set("'%s' is truncated", path);
		rc = DOSSIER_ECORRUPT;
		goto out;
	}
	*buf = b;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

static int is_pack_idx(const char *name)
{
	size_t len = strlen(name);

	return len >= 10 && strncmp(name, "pack-", 5) == 0 &&
	       strcmp(name + len - 4, ".idx") == 0;
}

/* The object count of a pack index: its header and fan-out only. */
static int idx_count(const char *path, uint32_t *count)
{
	unsigned char b[8 + 1024];
	size_t off = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return sys_fail(errno, "cannot open '%s'", path);
	while (off < sizeof(b)) {
		r = read(fd, b + off, sizeof(b) - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	return idx_header(path, b, off, count);
}

static void packs_release(struct packinfo *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].base);
	free(v);
}

/* Every pack of the repository, smallest first. */
static int list_packs(const char *packdir, struct packinfo **out,
		      size_t *nout)
{
	struct packinfo *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (!(dir = opendir(packdir)))
		return errno == ENOENT ? 0 :
					 sys_fail(errno, "cannot list '%s'",
						  packdir);
	while ((de = readdir(dir)) != NULL) {
		char *path = NULL;

		if (!is_pack_idx(de->d_name))
			continue;
		if (n == cap) {
			struct packinfo *nv;

			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = sys_fail(ENOMEM, "cannot list packs");
				break;
			}
			v = nv;
		}
		if (asprintf(&path, "%s/%s", packdir, de->d_name) < 0) {
			rc = sys_fail(ENOMEM, "cannot list packs");
			break;
		}
		rc = idx_count(path, &v[n].count);
		if (rc == 0)
			v[n].base = strndup(path, strlen(path) - 4);
		free(path);
		if (rc < 0)
			break;
		if (!v[n].base) {
			rc = sys_fail(ENOMEM, "cannot list packs");
			break;
		}
		n++;
	}
	closedir(dir);
	if (rc < 0) {
		packs_release(v, n);
		return rc;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_packinfo);
	*out = v;
	*nout = n;
	return 0;
}

/* How many pack indexes packdir holds (names only). */
static int count_packs_quick(const char *packdir, size_t *n)
{
	struct dirent *de;
	DIR *dir;

	*n = 0;
	if (!(dir = opendir(packdir)))
		return errno == ENOENT ? 0 :
					 sys_fail(errno, "cannot list '%s'",
						  packdir);
	while ((de = readdir(dir)) != NULL)
		if (is_pack_idx(de->d_name))
			++*n;
	closedir(dir);
	return 0;
}

int dossier_git_rollup(struct dossier_git *git, size_t limit)
{
	static const char *const exts[] = { ".pack", ".idx", ".rev" };
	struct packinfo *v = NULL;
	git_packbuilder *pb = NULL;
	git_repository *prepo = NULL;
	char *packdir = NULL, *path = NULL, pname[GIT_OID_HEXSZ + 1] = "";
	uint64_t sum = 0;
	size_t n = 0, names = 0, m, i, j;
	int gerr, rc;

	if (asprintf(&packdir, "%s/pack", git->objdir) < 0)
		return sys_fail(ENOMEM, "cannot pack");
	if ((rc = count_packs_quick(packdir, &names)) < 0 || names <= limit ||
	    (rc = list_packs(packdir, &v, &n)) < 0 || n <= limit)
		goto out;
	/*
	 * Geometric (as git repack --geometric=2): the largest packs that
	 * each hold at least twice the next smaller one stay; the rest are
	 * merged, and so is any kept pack smaller than twice the merged sum.
	 * Each object is repacked about log2(packs) times in all.
	 */
	for (m = n - 1; m > 0 && v[m].count >= 2 * (uint64_t)v[m - 1].count;
	     m--)
		;
	for (i = 0; i < m; i++)
		sum += v[i].count;
	while (m < n && (uint64_t)v[m].count < 2 * sum)
		sum += v[m++].count;
	/*
	 * libgit2 recomputes every delta, and the committer waits for the
	 * merge: bound one merge's work (packs that big stay apart).
	 */
	while (m > 0 && sum > ROLLUP_MAX_OBJECTS)
		sum -= v[--m].count;
	if (m < 2)
		goto out;
	if ((gerr = packer_new(&pb, &prepo, git->odb)) < 0) {
		rc = git_fail(gerr, "cannot pack");
		goto out;
	}
	git_packbuilder_set_threads(pb, 1);	/* leave a CPU to the users */
	for (i = 0; rc == 0 && i < m; i++) {
		unsigned char *idx = NULL;
		uint32_t count = 0;

		if (asprintf(&path, "%s.idx", v[i].base) < 0) {
			path = NULL;
			rc = sys_fail(ENOMEM, "cannot pack");
			break;
		}
		rc = read_idx(path, &idx, &count);
		free(path);
		path = NULL;
		for (j = 0; rc == 0 && j < count; j++) {
			git_oid id;

			git_oid_fromraw(&id, idx + 8 + 1024 + j * 20);
			if ((gerr = git_packbuilder_insert(pb, &id, NULL)) < 0)
				rc = git_fail(gerr, "cannot pack");
		}
		free(idx);
	}
	if (rc < 0)
		goto out;
	if ((gerr = pack_write(pb, packdir, pname, sizeof(pname))) < 0) {
		rc = git_fail(gerr, "cannot write pack");
		goto out;
	}
	if (asprintf(&path, "%s/pack-%s.pack", packdir,
		     pname) < 0) {
		path = NULL;
		rc = sys_fail(ENOMEM, "cannot pack");
		goto out;
	}
	if ((rc = fsync_path(path)) < 0)
		goto out;
	memcpy(path + strlen(path) - 5, ".idx", 5);
	if ((rc = fsync_path(path)) < 0 || (rc = fsync_path(packdir)) < 0)
		goto out;
	/* every object of the merged packs is in the new one: drop them */
	for (i = 0; i < m; i++) {
		char *p = NULL;

		if (strstr(v[i].base, pname))
			continue;	/* the same objects, the same name */
		for (j = 0; j < sizeof(exts) / sizeof(exts[0]); j++) {
			if (asprintf(&p, "%s%s", v[i].base, exts[j]) < 0)
				break;
			unlink_quiet(p);
			free(p);
		}
	}
	dossier_log(LOG_DEBUG, "rolled %zu packs (%" PRIu64 " objects) into "
		    "pack-%s", m, sum, pname);
	rc = reopen(git);
out:
	free(path);
	packer_free(pb, prepo);
	packs_release(v, n);
	free(packdir);
	return rc;
}

/* --- checks (dossierctl verify) ------------------------------------- */

int dossier_git_commit_info(struct dossier_git *git,
			    const struct dossier_oid *commit,
			    struct dossier_git_commit_info *out)
{
	const git_signature *sig;
	git_commit *c = NULL;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr;

	memset(out, 0, sizeof(*out));
	to_git(&id, commit);
	git_oid_tostr(hex, sizeof(hex), &id);
	if ((gerr = git_commit_lookup(&c, git->repo, &id)) < 0) {
		int rc = git_fail(gerr, "cannot read commit %s", hex);

		return rc == DOSSIER_ENOTFOUND ? rc : DOSSIER_ECORRUPT;
	}
	sig = git_commit_author(c);
	snprintf(out->author, sizeof(out->author), "%s",
		 sig && sig->name ? sig->name : "");
	snprintf(out->email, sizeof(out->email), "%s",
		 sig && sig->email ? sig->email : "");
	out->when = sig ? (int64_t)sig->when.time : 0;
	snprintf(out->message, sizeof(out->message), "%s",
		 git_commit_message(c) ? git_commit_message(c) : "");
	git_commit_free(c);
	return 0;
}

struct check_ctx {
	git_odb *odb;
	void (*fn)(void *arg, const char *hex, const char *why);
	void *arg;
	uint64_t count;
};

static int check_one(const git_oid *id, void *payload)
{
	struct check_ctx *c = payload;
	git_odb_object *o = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int gerr;

	c->count++;
	/* libgit2 checks the hash of what it reads (strict verification) */
	if ((gerr = git_odb_read(&o, c->odb, id)) < 0) {
		const git_error *e = git_error_last();

		git_oid_tostr(hex, sizeof(hex), id);
		c->fn(c->arg, hex, e && e->message ? e->message :
			"cannot be read");
		git_error_clear();
	}
	git_odb_object_free(o);
	return 0;
}

int dossier_git_check_objects(struct dossier_git *git,
			      void (*fn)(void *arg, const char *hex,
					 const char *why),
			      void *arg, uint64_t *count)
{
	struct check_ctx c = { NULL, fn, arg, 0 };
	int gerr;

	/*
	 * A plain odb of the folder: ours has a write-only backend that
	 * cannot list (libgit2 1.5 calls its NULL foreach).
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 1);
	if ((gerr = git_odb_open(&c.odb, git->objdir)) == 0)
		gerr = git_odb_foreach(c.odb, check_one, &c);
	git_odb_free(c.odb);
	if (count)
		*count = c.count;
	if (gerr < 0) {
		const git_error *e = git_error_last();

		fn(arg, "", e && e->message ? e->message :
		   "the object store cannot be listed");
		git_error_clear();
	}
	return 0;
}

int dossier_git_refs_each(struct dossier_git *git,
			  int (*fn)(void *arg, uint64_t record,
				    const struct dossier_oid *target),
			  void *arg)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	struct dossier_oid target;
	int gerr, rc = 0;

	if ((gerr = git_reference_iterator_glob_new(&it, git->repo,
						    "refs/*")) < 0)
		return git_fail(gerr, "cannot list refs");
	while (rc == 0 && (gerr = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const git_oid *t = git_reference_target(ref);
		uint64_t record = 0;

		if (t && (!strcmp(name, MAIN_REF) ||
			  sscanf(name, "refs/records/%" SCNu64, &record) == 1)) {
			from_git(&target, t);
			rc = fn(arg, record, &target);
		}
		git_reference_free(ref);
	}
	if (gerr < 0 && gerr != GIT_ITEROVER && rc == 0)
		rc = git_fail(gerr, "cannot list refs");
	git_reference_iterator_free(it);
	return rc;
}

int dossier_git_hash_file(const char *path, struct dossier_oid *out)
{
	git_oid id;
	int gerr;

	if (git_libgit2_init() < 0)
		return git_fail(-1, "cannot initialise libgit2");
	gerr = git_odb_hashfile(&id, path, GIT_OBJECT_BLOB);
	git_libgit2_shutdown();
	if (gerr < 0)
		return git_fail(gerr, "cannot read '%s'", path);
	from_git(out, &id);
	return 0;
}
