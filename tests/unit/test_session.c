#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "buf.h"
#include "error.h"
#include "sandbox.h"
#include "session.h"

/* What the fake driver was asked. */
struct driver {
	int starts, stops, lists;
	uid_t uid;
	gid_t gid;
	uid_t by;
	char dir[256];
	unsigned flags;		/* what start was asked for */
	int rc;			/* what start and stop answer */
	int inval_all, syncs;
};

/* The fake driver of the running test, and the account it maps. */
static struct driver drv;
static uid_t nobody;
static gid_t nobody_gid;

static int start(void *ctx, const struct dossier_caller *who, uid_t uid,
		 gid_t gid, const char *dir, unsigned flags)
{
	struct driver *d = ctx;

	d->starts++;
	d->flags = flags;
	d->uid = uid;
	d->gid = gid;
	d->by = who->uid;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	return d->rc;
}

static int stop(void *ctx, const struct dossier_caller *who, const char *dir)
{
	struct driver *d = ctx;

	d->stops++;
	d->by = who->uid;
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	return d->rc;
}

static void list(void *ctx, const struct dossier_caller *who,
		 struct dossier_buf *out)
{
	struct driver *d = ctx;

	d->lists++;
	dossier_buf_addf(out, "%u\t/v\n", (unsigned)who->uid);
}

static const struct dossier_session_ops ops = { start, stop, list };

static void inval_entry(void *ctx, uint64_t parent, const char *name)
{
	(void)ctx;
	(void)parent;
	(void)name;
}

static void inval_inode(void *ctx, uint64_t id)
{
	(void)ctx;
	(void)id;
}

static void inval_all(void *ctx)
{
	((struct driver *)ctx)->inval_all++;
}

static void sync_all(void *ctx)
{
	((struct driver *)ctx)->syncs++;
}

static const struct dossier_notify_ops notify = {
	inval_entry, inval_inode, inval_all, sync_all,
};

static int setup(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct sandbox *s;

	if (!pw)
		return -1;
	memset(&drv, 0, sizeof(drv));
	nobody = pw->pw_uid;
	nobody_gid = pw->pw_gid;
	if (sandbox_archive(&s, 0) < 0)
		return -1;
	if (sandbox_user_add(s, &alice) < 0 ||
	    dossier_archive_user_add(s->a, nobody, "nobody", "sales",
				     "sales") < 0) {
		sandbox_free(s);
		return -1;
	}
	dossier_archive_set_sessions(s->a, &ops, &drv);
	dossier_archive_set_notify(s->a, &notify, &drv);
	*state = s;
	return 0;
}

/* Run one control request; the reply's status. */
static int ask(struct sandbox *s, const struct dossier_caller *who,
	       const char *req)
{
	struct dossier_buf out = DOSSIER_BUF_INIT;
	int status = dossier_archive_control(s->a, who, req, strlen(req),
					     &out);

	dossier_buf_release(&out);
	return status;
}

static void test_session__root_opens_any_users_view(void **state)
{
	struct sandbox *s = *state;

	assert_int_equal(ask(s, &root, "view-mount\tnobody\t/run/v\n"), 0);
	assert_int_equal(drv.starts, 1);
	assert_int_equal(drv.uid, nobody);
	assert_int_equal(drv.gid, nobody_gid);
	assert_int_equal(drv.by, 0);
	assert_string_equal(drv.dir, "/run/v");
}

static void test_session__a_user_opens_only_their_own(void **state)
{
	struct sandbox *s = *state;
	struct dossier_caller me = { nobody, nobody_gid, 1 };

	assert_int_equal(ask(s, &alice, "view-mount\tnobody\t/home/x\n"), 1);
	assert_int_equal(drv.starts, 0);
	assert_int_equal(ask(s, &me, "view-mount\tnobody\t/home/x\n"), 0);
	assert_int_equal(drv.starts, 1);
	assert_int_equal(drv.by, nobody);
}

/* A view for Samba admits root's processes: root alone may open one. */
static void test_session__only_root_opens_a_view_for_samba(void **state)
{
	struct sandbox *s = *state;
	struct dossier_caller me = { nobody, nobody_gid, 1 };

	assert_int_equal(ask(s, &me, "view-mount\tnobody\t/x/v\tsamba\n"), 1);
	assert_int_equal(drv.starts, 0);
	assert_int_equal(ask(s, &root, "view-mount\tnobody\t/x/v\tsmb\n"), 2);
	assert_int_equal(drv.starts, 0);
	assert_int_equal(ask(s, &root, "view-mount\tnobody\t/x/v\tsamba\n"),
			 0);
	assert_int_equal(drv.starts, 1);
	assert_int_equal(drv.flags, DOSSIER_VIEW_SAMBA);
	assert_int_equal(ask(s, &me, "view-mount\tnobody\t/x/w\n"), 0);
	assert_int_equal(drv.flags, 0);
}

static void test_session__refusals(void **state)
{
	struct sandbox *s = *state;

	/* not a user of the archive; a relative folder; no field */
	assert_int_equal(ask(s, &root, "view-mount\tnosuch\t/v\n"), 1);
	assert_int_equal(ask(s, &root, "view-mount\tnobody\tv\n"), 2);
	assert_int_equal(ask(s, &root, "view-mount\tnobody\n"), 2);
	assert_int_equal(ask(s, &root, "view-unmount\tv\n"), 2);
	assert_int_equal(drv.starts + drv.stops, 0);
	/* the driver's refusal is the request's */
	drv.rc = DOSSIER_EDENIED;
	assert_int_equal(ask(s, &root, "view-mount\tnobody\t/v\n"), 1);
	assert_int_equal(ask(s, &root, "view-unmount\t/v\n"), 1);
	/* a view already there is no error */
	drv.rc = DOSSIER_EEXISTS;
	assert_int_equal(ask(s, &root, "view-mount\tnobody\t/v\n"), 0);
	/* an archive no daemon serves has no views */
	dossier_archive_set_sessions(s->a, NULL, NULL);
	drv.rc = 0;
	drv.starts = 0;
	assert_int_equal(ask(s, &root, "view-mount\tnobody\t/v\n"), 1);
	assert_int_equal(drv.starts, 0);
}

/*
 * A request that may change who sees what drops every session's caches
 * and waits for it; a harmless or refused one does not.
 */
static void test_session__visibility_changes_invalidate_and_wait(void **state)
{
	struct sandbox *s = *state;

	assert_int_equal(ask(s, &root, "views\n"), 0);
	assert_int_equal(ask(s, &root, "users\n"), 0);
	assert_int_equal(drv.inval_all + drv.syncs, 0);
	/* refused: nothing changed */
	assert_int_equal(ask(s, &alice, "user-add\tnobody\tgm\n"), 1);
	assert_int_equal(drv.inval_all + drv.syncs, 0);
	assert_int_equal(ask(s, &root, "policy-set\ttrash-days\t20\n"), 0);
	assert_int_equal(drv.inval_all, 1);
	assert_int_equal(drv.syncs, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, \
						  sandbox_teardown)
	const struct CMUnitTest tests[] = {
		T(test_session__root_opens_any_users_view),
		T(test_session__a_user_opens_only_their_own),
		T(test_session__only_root_opens_a_view_for_samba),
		T(test_session__refusals),
		T(test_session__visibility_changes_invalidate_and_wait),
	};

	return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
