#include "sandbox.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive_i.h"
#include "buf.h"
#include "clock.h"
#include "error.h"
#include "history_i.h"

const struct dossier_caller root = { 0, 0, 1 };
const struct dossier_caller alice = { 2001, 2001, 1 };
const struct dossier_caller bob = { 2002, 2002, 1 };
const struct dossier_caller carol = { 2003, 2003, 1 };
const struct dossier_caller manager = { 2004, 2004, 1 };
const struct dossier_caller mallory = { 2999, 2999, 1 };

static const struct {
	const struct dossier_caller *who;
	const char *name, *role, *dept;
} people[] = {
	{ &alice, "alice", "sales", "sales" },
	{ &bob, "bob", "sales", "service" },
	{ &carol, "carol", "staff", "sales" },
	{ &manager, "mike", "manager", "sales" },
};

int sandbox_tmpdir(char *out, size_t size)
{
	int n = snprintf(out, size, "/tmp/%s.XXXXXX",
			 program_invocation_short_name);

	if (n < 0 || (size_t)n >= size)
		return -1;
	return mkdtemp(out) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int sandbox_rmtree(const char *dir)
{
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int sandbox_new(struct sandbox **out)
{
	struct sandbox *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -1;
	if (sandbox_tmpdir(s->dir, sizeof(s->dir)) < 0) {
		free(s);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s/archive", s->dir);
	snprintf(s->catalog, sizeof(s->catalog), "%s/catalog.db", s->path);
	*out = s;
	return 0;
}

int sandbox_create(struct sandbox *s)
{
	return dossier_archive_create(s->path, DOSSIER_LANG_EN);
}

int sandbox_open(struct sandbox *s, unsigned flags)
{
	return dossier_archive_open(&s->a, s->path, flags);
}

void sandbox_close(struct sandbox *s)
{
	dossier_archive_close(s->a);
	s->a = NULL;
}

int sandbox_archive(struct sandbox **out, unsigned flags)
{
	int rc;

	if (sandbox_new(out) < 0)
		return -1;
	if ((rc = sandbox_create(*out)) < 0 ||
	    (rc = sandbox_open(*out, flags)) < 0) {
		sandbox_free(*out);
		*out = NULL;
	}
	return rc;
}

int sandbox_user_add(struct sandbox *s, const struct dossier_caller *who)
{
	size_t i;

	for (i = 0; i < sizeof(people) / sizeof(people[0]); i++)
		if (people[i].who == who)
			return dossier_archive_user_add(s->a, who->uid,
							people[i].name,
							people[i].role,
							people[i].dept);
	return DOSSIER_EINVAL;
}

int sandbox_tree(struct sandbox *s, const struct dossier_caller *maker)
{
	int rc;

	if ((rc = dossier_archive_mkdir(s->a, &root, DOSSIER_ROOT_ID, "2024",
					0755, &s->year)) < 0 ||
	    (rc = dossier_archive_lookup(s->a, &root, s->year.id, "contracts",
					 &s->contracts)) < 0)
		return rc;
	return dossier_archive_mkdir(s->a, maker, s->contracts.id, "ACME Ltd",
				     0755, &s->client);
}

int sandbox_free(struct sandbox *s)
{
	int rc = 0;

	if (!s)
		return 0;
	sandbox_close(s);
	sandbox_clock_real();
	if (s->dir[0] && sandbox_rmtree(s->dir) < 0)
		rc = -1;
	free(s);
	dossier_error_clear();
	return rc;
}

int sandbox_setup(void **state, unsigned flags,
		  const struct dossier_caller *maker, ...)
{
	const struct dossier_caller *who;
	struct sandbox *s;
	va_list ap;
	int rc = 0;

	*state = NULL;
	if (sandbox_archive(&s, flags) < 0)
		return -1;
	va_start(ap, maker);
	while (rc == 0 && (who = va_arg(ap, const struct dossier_caller *)))
		rc = sandbox_user_add(s, who);
	va_end(ap);
	if (rc == 0 && maker)
		rc = sandbox_tree(s, maker);
	if (rc < 0) {
		sandbox_free(s);
		return -1;
	}
	*state = s;
	return 0;
}

int sandbox_teardown(void **state)
{
	int rc = sandbox_free(*state);

	*state = NULL;
	return rc;
}

static _Atomic int64_t fake_ns;

static int64_t fake_clock(void)
{
	return atomic_load(&fake_ns);
}

void sandbox_clock_set(int64_t ns)
{
	atomic_store(&fake_ns, ns);
	dossier_clock_set(fake_clock);
}

void sandbox_clock_advance(int64_t ns)
{
	atomic_fetch_add(&fake_ns, ns);
}

void sandbox_clock_real(void)
{
	dossier_clock_set(NULL);
}

uint64_t sandbox_put(struct sandbox *s, const struct dossier_caller *who,
		     uint64_t parent, const char *name, const char *text)
{
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	struct dossier_attr at;
	int rc;

	rc = dossier_archive_lookup(s->a, who, parent, name, &at);
	if (rc == 0) {
		assert_int_equal(dossier_archive_open_file(s->a, who, at.id,
							   O_WRONLY | O_TRUNC,
							   &f, &info), 0);
	} else {
		dossier_error_clear();
		assert_int_equal(dossier_archive_create_file(s->a, who, parent,
							     name, 0644,
							     O_WRONLY, &at,
							     &f), 0);
	}
	assert_int_equal(write(dossier_file_fd(f), text, strlen(text)),
			 (ssize_t)strlen(text));
	dossier_file_mark_written(f);
	assert_int_equal(dossier_file_release(s->a, f), 0);
	return at.id & ID_MASK;
}

int sandbox_control(struct sandbox *s, const struct dossier_caller *who,
		    const char *req, struct dossier_buf *out)
{
	dossier_buf_release(out);
	return dossier_archive_control(s->a, who, req, strlen(req), out);
}

int64_t sandbox_count(struct sandbox *s, const char *sql, int64_t id)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	pthread_mutex_lock(&s->a->lock);
	assert_int_equal(sqlite3_prepare_v2(s->a->db, sql, -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->a->lock);
	return v;
}

void sandbox_drain(struct sandbox *s)
{
	assert_int_equal(history_drain(s->a->history, 1), 0);
}

int sandbox_list(struct sandbox *s, const struct dossier_caller *who,
		 uint64_t ino, char *out, size_t outsz)
{
	struct dossier_dir *d = NULL;
	size_t i;
	int rc;

	out[0] = '\0';
	if ((rc = dossier_dir_open(s->a, who, ino, &d)) < 0)
		return rc;
	for (i = 0; i < dossier_dir_count(d); i++)
		snprintf(out + strlen(out), outsz - strlen(out), "%s%s",
			 i ? "|" : "", dossier_dir_entry(d, i, NULL));
	dossier_dir_free(d);
	return 0;
}

int sandbox_walk(struct sandbox *s, const struct dossier_caller *who,
		 uint64_t ino, const char *path, struct dossier_attr *out)
{
	char name[256];
	const char *p = path;
	size_t len;
	int rc;

	if (!*p)
		return dossier_archive_getattr(s->a, who, ino, out);
	while (*p) {
		len = strcspn(p, "/");
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		if ((rc = dossier_archive_lookup(s->a, who, ino, name,
						 out)) < 0)
			return rc;
		ino = out->id;
		p += len;
		p += *p == '/';
	}
	return 0;
}

ssize_t sandbox_slurp(struct sandbox *s, const struct dossier_caller *who,
		      uint64_t id, char *buf, size_t size)
{
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	ssize_t n;

	assert_int_equal(dossier_archive_open_file(s->a, who, id, O_RDONLY,
						   &f, &info), 0);
	n = pread(dossier_file_fd(f), buf, size - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	dossier_file_release(s->a, f);
	return n;
}

int sandbox_may_read(struct sandbox *s, const struct dossier_caller *who,
		     uint64_t id)
{
	struct dossier_file *f = NULL;
	struct dossier_open_info info;
	int rc = dossier_archive_open_file(s->a, who, id, O_RDONLY, &f, &info);

	if (rc == 0)
		dossier_file_release(s->a, f);
	dossier_error_clear();
	return rc;
}

int sandbox_reply_lines(const struct dossier_buf *b)
{
	const char *p = strchr(b->buf, '\n');
	int n = 0;

	for (p = p ? p + 1 : b->buf + b->len; *p; p++)
		n += *p == '\n';
	return n;
}

void sandbox_reply_field(const struct dossier_buf *b, int l, int i,
			 char *out, size_t outsz)
{
	const char *p = strchr(b->buf, '\n') + 1, *e;

	while (l-- > 0)
		p = strchr(p, '\n') + 1;
	while (i-- > 0)
		p = strchr(p, '\t') + 1;
	e = p + strcspn(p, "\t\n");
	snprintf(out, outsz, "%.*s", (int)(e - p), p);
}

int64_t sandbox_sql_int(struct sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}
