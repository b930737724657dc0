#ifndef DOSSIER_TESTS_SANDBOX_H
#define DOSSIER_TESTS_SANDBOX_H

/*
 * The unit tests' sandbox (libgit2's clar sandbox): each test gets a
 * fresh temp dir with its own archive, the same test people and a clock
 * it may set. Include after <cmocka.h>: the helpers below that return
 * nothing assert, and fail the running test.
 *
 * cmocka runs one test at a time, so the fake clock is process-wide; a
 * sandbox freed puts the real clock back.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "archive.h"

struct dossier_buf;
struct sqlite3;

struct sandbox {
	char dir[64];		/* the temp dir, removed by sandbox_free */
	char path[128];		/* the archive: dir/archive */
	char catalog[160];	/* its catalog: path/catalog.db */
	struct dossier_archive *a;	/* NULL while closed */
	/* 2024, 2024/contracts, 2024/contracts/ACME Ltd: sandbox_tree */
	struct dossier_attr year, contracts, client;
};

/*
 * The people of the tests. sandbox_user_add maps each as shown (name,
 * role, department); root is the policy's archivist without a user row,
 * mallory is never mapped.
 */
extern const struct dossier_caller root;	/* uid 0 */
extern const struct dossier_caller alice;	/* alice, sales, sales */
extern const struct dossier_caller bob;		/* bob, sales, service */
extern const struct dossier_caller carol;	/* carol, staff, sales */
extern const struct dossier_caller manager;	/* mike, manager, sales */
extern const struct dossier_caller mallory;	/* uid 2999, no user row */

/*
 * A fresh temp dir in out (at least 32 bytes) below /tmp, named after
 * the test program. 0 or -1.
 */
int sandbox_tmpdir(char *out, size_t size);

/* Remove dir and everything below it. 0 or -1. */
int sandbox_rmtree(const char *dir);

/*
 * A sandbox with its temp dir and paths, no archive yet. Caller frees
 * with sandbox_free(). 0 or -1.
 */
int sandbox_new(struct sandbox **out);

/* Create the archive at s->path (English categories); dossier code. */
int sandbox_create(struct sandbox *s);

/* Open it into s->a with dossier_archive_open() flags; dossier code. */
int sandbox_open(struct sandbox *s, unsigned flags);

/* Close s->a if open; s->a is NULL after. */
void sandbox_close(struct sandbox *s);

/* sandbox_new, sandbox_create and sandbox_open with flags. 0 or < 0. */
int sandbox_archive(struct sandbox **out, unsigned flags);

/* Map who (one of the people above but root and mallory); dossier code. */
int sandbox_user_add(struct sandbox *s, const struct dossier_caller *who);

/*
 * Make the year 2024 (as root) and the client folder ACME Ltd in its
 * contracts (as maker), into s->year, s->contracts, s->client.
 */
int sandbox_tree(struct sandbox *s, const struct dossier_caller *maker);

/*
 * Close the archive, remove the temp dir, free s; the real clock again
 * and the error message cleared. Accepts NULL. 0, or -1 if the dir could
 * not be removed.
 */
int sandbox_free(struct sandbox *s);

/*
 * A cmocka setup in one call: sandbox_archive() with flags, then the
 * people after maker mapped (a NULL-terminated list), then, if maker is
 * not NULL, sandbox_tree() made by maker; the sandbox in *state. 0 or -1.
 */
int sandbox_setup(void **state, unsigned flags,
		  const struct dossier_caller *maker, ...);

/* A cmocka teardown: sandbox_free(*state). */
int sandbox_teardown(void **state);

/*
 * The clock core/ reads (clock.h): stopped at ns since the epoch until
 * set again or advanced; sandbox_clock_real() gives the real one back.
 */
void sandbox_clock_set(int64_t ns);
void sandbox_clock_advance(int64_t ns);
void sandbox_clock_real(void);

/*
 * Create name in parent as who with content text, or overwrite it if
 * who can see it: one save. The record id (no content generation).
 */
uint64_t sandbox_put(struct sandbox *s, const struct dossier_caller *who,
		     uint64_t parent, const char *name, const char *text);

/*
 * Run control request req as who; out (initialised) is emptied first
 * and holds the reply. The reply's status.
 */
int sandbox_control(struct sandbox *s, const struct dossier_caller *who,
		    const char *req, struct dossier_buf *out);

/*
 * The first column of the first row of sql on the archive's own
 * connection, with ?1 bound to id (under the archive lock); -1 for no
 * row.
 */
int64_t sandbox_count(struct sandbox *s, const char *sql, int64_t id);

/* Commit everything journaled (an archive opened to serve). */
void sandbox_drain(struct sandbox *s);

/*
 * Read record id as who into buf (at most size - 1 bytes, then a NUL);
 * the byte count. The open must succeed.
 */
ssize_t sandbox_slurp(struct sandbox *s, const struct dossier_caller *who,
		      uint64_t id, char *buf, size_t size);

/* May who open id for reading now? 0 or the refusal; no message kept. */
int sandbox_may_read(struct sandbox *s, const struct dossier_caller *who,
		     uint64_t id);

/* Lines of a control reply's body (after its status line). */
int sandbox_reply_lines(const struct dossier_buf *b);

/* Field i (0-based) of body line l of a control reply, into out. */
void sandbox_reply_field(const struct dossier_buf *b, int l, int i,
			 char *out, size_t outsz);

/*
 * The first column of the first row of sql on db, as an integer; -1 for
 * no row.
 */
int64_t sandbox_sql_int(struct sqlite3 *db, const char *sql);

/*
 * The names of folder ino as who lists them, "|"-joined, into out;
 * dossier_dir_open()'s code.
 */
int sandbox_list(struct sandbox *s, const struct dossier_caller *who,
		 uint64_t ino, char *out, size_t outsz);

/*
 * Look up path ("a/b/c") from folder ino as who, one name at a time,
 * into out; the code of the first lookup that fails.
 */
int sandbox_walk(struct sandbox *s, const struct dossier_caller *who,
		 uint64_t ino, const char *path, struct dossier_attr *out);

#endif
