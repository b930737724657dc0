/*
 * Per-user views, libdossier's side: the control requests that open and
 * close a view (the driver does the mounting, through struct
 * dossier_session_ops), what the driver asks when it keeps the views'
 * kernel caches coherent, and the broad invalidation after a control
 * request that may change who sees what.
 */
#include "session.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "audit_i.h"
#include "control_i.h"
#include "error.h"
#include "log.h"
#include "rules_i.h"
#include "access_i.h"

void dossier_archive_set_sessions(struct dossier_archive *a,
				  const struct dossier_session_ops *ops,
				  void *ctx)
{
	a->sessions = ops;
	a->sessions_ctx = ctx;
}

int dossier_ino_is_node(uint64_t ino)
{
	return ino < HIST_DIR_BASE;
}

int dossier_archive_where(struct dossier_archive *a, uint64_t ino,
			  uint64_t *parent, char *name, size_t namesz,
			  enum dossier_kind *kind)
{
	static const char sql[] = "SELECT name FROM node WHERE id = ?1 "
				  "AND deleted_ns IS NULL";
	sqlite3_stmt *st = NULL;
	struct node n, p;
	int rc;

	if (!dossier_ino_is_node(ino) || node_of(ino) == DOSSIER_ROOT_ID)
		return DOSSIER_ENOTFOUND;
	pthread_mutex_lock(&a->lock);
	rc = archive_get_node(a, node_of(ino), &n);
	if (rc == 0 && n.deleted)
		rc = DOSSIER_ENOTFOUND;
	if (rc == 0)
		rc = archive_get_node(a, n.parent, &p);
	if (rc == 0)
		rc = archive_stmt(a, sql, &st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)n.id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(name, namesz, "%s",
				 (const char *)sqlite3_column_text(st, 0));
			*parent = NODEID(p.id, p.cgen);
			*kind = (enum dossier_kind)n.kind;
		} else {
			rc = DOSSIER_ENOTFOUND;
		}
		archive_stmt_done(st);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int dossier_file_writable(const struct dossier_file *f)
{
	return f && f->fd >= 0 && (f->flags & O_ACCMODE) != O_RDONLY;
}

int64_t dossier_archive_next_grant_end(struct dossier_archive *a)
{
	int64_t end;

	pthread_mutex_lock(&a->lock);
	end = dossier_rules_next_expiry(a->rules,
					dossier_clock_ns() / 1000000000);
	pthread_mutex_unlock(&a->lock);
	return end;
}

/* One NOTICE line and one audit row for a refused view request. */
static int refuse(struct dossier_archive *a, const struct dossier_caller *who,
		  const char *op, const char *dir, const char *why,
		  struct dossier_buf *out)
{
	char copy[600];

	/* why may be the thread's error message, which the clear empties */
	snprintf(copy, sizeof(copy), "%s", why);
	dossier_error_clear();
	dossier_log(LOG_NOTICE, "refused %s by uid %u at '%s': %s", op,
		    (unsigned)who->uid, dir, copy);
	audit_record(a->audit, who, op, dir, 0, 0, copy);
	return control_status(out, 1, copy);
}

/*
 * view-mount NAME DIR [samba]: serve the archive as NAME sees it at DIR
 * (for Samba: see DOSSIER_VIEW_SAMBA).
 */
static int ctl_view_mount(struct dossier_archive *a,
			  const struct dossier_caller *who, char **f, int n,
			  struct dossier_buf *out)
{
	struct passwd pw, *res = NULL;
	char buf[1024], line[600];
	unsigned flags = 0;
	uid_t uid;
	int rc;

	if (n == 4 && !strcmp(f[3], "samba"))
		flags = DOSSIER_VIEW_SAMBA;
	if ((n != 3 && !flags) || f[2][0] != '/')
		return control_status(out, 2, "usage: view-mount NAME /DIR "
					    "[samba]");
	if (!a->sessions)
		return control_status(out, 1, "this daemon serves no views "
					    "(only a mounted archive can)");
	pthread_mutex_lock(&a->lock);
	rc = dossier_rules_user_lookup(a->rules, f[1], &uid);
	pthread_mutex_unlock(&a->lock);
	if (rc < 0) {
		snprintf(line, sizeof(line), "'%s' is not a user of this "
			 "archive", f[1]);
		return refuse(a, who, "view-mount", f[2], line, out);
	}
	if (who->uid != 0 && who->uid != uid)
		return refuse(a, who, "view-mount", f[2], "only root may open "
			      "another user's view", out);
	if (who->uid != 0 && flags)
		return refuse(a, who, "view-mount", f[2], "only root may open "
			      "a view for Samba (it admits root's processes)",
			      out);
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res) {
		snprintf(line, sizeof(line), "'%s' (uid %u) is not a Unix "
			 "account on this machine", f[1], (unsigned)uid);
		return refuse(a, who, "view-mount", f[2], line, out);
	}
	rc = a->sessions->start(a->sessions_ctx, who, uid, res->pw_gid, f[2],
				flags);
	if (rc < 0 && rc != DOSSIER_EEXISTS) {
		snprintf(line, sizeof(line), "%s", dossier_error_last()[0] ?
			 dossier_error_last() : dossier_strerror(rc));
		return refuse(a, who, "view-mount", f[2], line, out);
	}
	audit_record(a->audit, who, "view-mount", f[2], 1, 0, f[1]);
	if (rc == DOSSIER_EEXISTS) {
		dossier_error_clear();
		snprintf(line, sizeof(line), "%s's view is already at '%s'",
			 f[1], f[2]);
		return control_status(out, 0, line);
	}
	snprintf(line, sizeof(line), "%s's view%s is at '%s'", f[1],
		 flags ? " for Samba" : "", f[2]);
	return control_status(out, 0, line);
}

/* view-unmount DIR: end the view at DIR (its user or root). */
static int ctl_view_unmount(struct dossier_archive *a,
			    const struct dossier_caller *who, char **f, int n,
			    struct dossier_buf *out)
{
	int rc;

	if (n != 2 || f[1][0] != '/')
		return control_status(out, 2, "usage: view-unmount /DIR");
	if (!a->sessions)
		return control_status(out, 1, "this daemon serves no views");
	rc = a->sessions->stop(a->sessions_ctx, who, f[1]);
	if (rc < 0)
		return refuse(a, who, "view-unmount", f[1],
			      dossier_error_last()[0] ? dossier_error_last() :
							dossier_strerror(rc),
			      out);
	audit_record(a->audit, who, "view-unmount", f[1], 1, 0, NULL);
	return control_status(out, 0, "unmounted");
}

static int ctl_views(struct dossier_archive *a,
		     const struct dossier_caller *who, char **f, int n,
		     struct dossier_buf *out)
{
	(void)f;
	(void)n;
	control_status(out, 0, "ok");
	if (a->sessions)
		a->sessions->list(a->sessions_ctx, who, out);
	return 0;
}

const struct control_cmd control_session_cmds[] = {
	{ "view-mount", ctl_view_mount },
	{ "view-unmount", ctl_view_unmount },
	{ "views", ctl_views },
	{ NULL, NULL },
};

/*
 * Requests that change nothing any view shows. Every other request, when
 * it succeeds, may change who sees or reads what (a grant, a revoke, a
 * policy or user edit, a restore), so the views forget everything they
 * cached and the request returns only once they have: access taken away
 * holds in every view when dossierctl returns. A list of the harmless
 * ones, not of the others, so that a new request is safe by default.
 */
static const char *const harmless[] = {
	"log", "whoami", "sync", "users", "grants", "explain", "policy",
	"trash", "register", "due", "audit", "views", "view-mount",
	"view-unmount", "hold", "release", "approve-destruction", "purge",
	NULL,
};

void session_control_done(struct dossier_archive *a, const char *cmd,
			  int status)
{
	int i;

	if (status != 0 || !a->notify || !a->notify->inval_all)
		return;
	for (i = 0; harmless[i]; i++)
		if (!strcmp(cmd, harmless[i]))
			return;
	a->notify->inval_all(a->notify_ctx);
	if (a->notify->sync)
		a->notify->sync(a->notify_ctx);
}
