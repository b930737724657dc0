/*
 * The control channel: requests dossierctl writes to /.dossier/ctl (or
 * hands over directly when it opens an archive itself, as root). The
 * caller is whoever the kernel says made the request, never an argument.
 *
 * A request is one line of tab-separated fields. The reply's first line
 * is "STATUS<TAB>MESSAGE" (0 done, 1 refused, 2 usage), then the body.
 */
#include "control_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "history_i.h"
#include "log.h"
#include "name.h"
#include "access_i.h"
#include "journal_i.h"
#include "version_name.h"

#define MAX_FIELDS 8

static void iso_time(char *out, size_t outsz, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Commit what is journaled, if the record at path has something waiting
 * (or a folder move, which moves many records, does):
 * a log of a record with nothing in the journal answers at once instead
 * of waiting for everyone's saves (72 s after 30 s of three writers).
 */
static void settle_record(struct dossier_archive *a,
			  const struct dossier_caller *who, const char *path)
{
	struct node rec;
	sqlite3_stmt *st = NULL;
	int busy = 1;

	if (!a->history)
		return;
	pthread_mutex_lock(&a->lock);
	if (access_resolve(a, who, path, 1, &rec) == 0 &&
	    archive_stmt(a, "SELECT 1 FROM journal WHERE record = ?1 OR "
			 "op = 'move' LIMIT 1", &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)rec.id);
		busy = sqlite3_step(st) == SQLITE_ROW;
		archive_stmt_done(st);
	}
	dossier_error_clear();
	pthread_mutex_unlock(&a->lock);
	if (busy || history_recovering(a->history))
		history_drain(a->history, 1);
}

/*
 * The record at path, a file whose history who may read. Lock held.
 */
static int log_check(struct dossier_archive *a,
		     const struct dossier_caller *who, const char *path,
		     struct node *rec)
{
	int rc = access_resolve(a, who, path, 1, rec);

	if (rc == 0 && rec->kind != DOSSIER_KIND_FILE)
		rc = DOSSIER_EISDIR;
	if (rc == 0 &&
	    archive_decide(a, who, rec, NULL, DOSSIER_ACT_HISTORY) < 0) {
		dossier_error_set("you may not read the history of '%s'", path);
		rc = DOSSIER_EDENIED;
	}
	return rc;
}

/* One line of log's reply from a row of its version query. */
static void log_row(struct dossier_buf *out, sqlite3_stmt *st)
{
	char when[32], file[160];
	const char *path = (const char *)sqlite3_column_text(st, 6);
	const char *commit = (const char *)sqlite3_column_text(st, 4);

	iso_time(when, sizeof(when), sqlite3_column_int64(st, 0));
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		dossier_version_name(file, sizeof(file),
				     sqlite3_column_int64(st, 0), commit, path);
	else
		snprintf(file, sizeof(file), "-");
	dossier_buf_addf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when,
			 sqlite3_column_text(st, 1), sqlite3_column_text(st, 2),
			 sqlite3_column_text(st, 3) ?
				 (const char *)sqlite3_column_text(st, 3) : "",
			 commit,
			 sqlite3_column_text(st, 5) ?
				 (const char *)sqlite3_column_text(st, 5) : "",
			 path, file);
}

static int ctl_log(struct dossier_archive *a, const struct dossier_caller *who,
		   char **f, int n, struct dossier_buf *out)
{
	struct node rec;
	sqlite3_stmt *st = NULL;
	int rc;

	if (n != 2)
		return control_status(out, 2, "usage: log PATH");
	/* what was saved before asking is in the answer */
	settle_record(a, who, f[1]);
	pthread_mutex_lock(&a->lock);
	rc = log_check(a, who, f[1], &rec);
	if (rc == 0)
		rc = dossier_db_prepare(a->db, "SELECT time_ns, author, op, "
					"reason, commit_oid, program, path, "
					"blob FROM version WHERE record = ?1 "
					"ORDER BY id", &st);
	if (rc == 0) {
		control_status(out, 0, "ok");
		sqlite3_bind_int64(st, 1, (sqlite3_int64)rec.id);
		while (sqlite3_step(st) == SQLITE_ROW)
			log_row(out, st);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&a->lock);
	return rc < 0 ? control_refused(out, rc, f[1]) : 0;
}

/*
 * The blob of rec's one version whose commit starts with rev (revlen hex
 * digits) into hex. Lock held.
 */
static int restore_match(struct dossier_archive *a, const struct node *rec,
			 const char *rev, size_t revlen, char hex[41])
{
	sqlite3_stmt *st = NULL;
	int rc, matches = 0;

	rc = dossier_db_prepare(a->db, "SELECT blob FROM version WHERE "
				"record = ?1 AND blob IS NOT NULL AND "
				"substr(commit_oid, 1, ?3) = ?2", &st);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)rec->id);
	sqlite3_bind_text(st, 2, rev, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)revlen);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(hex, 41, "%s", sqlite3_column_text(st, 0));
		matches++;
	}
	sqlite3_finalize(st);
	if (matches != 1) {
		dossier_error_set(matches ? "'%s' names several versions: "
					    "give more digits" :
					    "no version '%s' of this record",
				  rev);
		rc = DOSSIER_ENOTFOUND;
	}
	return rc;
}

/*
 * The file at path whose version rev who may restore, and that version's
 * blob in hex.
 */
static int restore_find(struct dossier_archive *a,
			const struct dossier_caller *who, const char *path,
			const char *rev, struct node *rec, char hex[41])
{
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = access_resolve(a, who, path, 0, rec);
	if (rc == 0 && rec->kind != DOSSIER_KIND_FILE)
		rc = DOSSIER_EISDIR;
	if (rc == 0 &&
	    (archive_decide(a, who, rec, NULL, DOSSIER_ACT_HISTORY) < 0 ||
	     archive_decide(a, who, rec, NULL, DOSSIER_ACT_WRITE) < 0)) {
		dossier_error_set("restoring needs the history and write "
				  "rights on '%s'", path);
		rc = DOSSIER_EDENIED;
	}
	if (rc == 0)
		rc = restore_match(a, rec, rev, strlen(rev), hex);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/*
 * Blob hex into a new content file tmp; *made once tmp exists, for the
 * caller to remove it if the restore fails.
 */
static int restore_write(struct dossier_archive *a, const char *tmp,
			 const char *hex, int *made)
{
	struct dossier_oid blob;
	int rc, fd;

	fd = openat(a->contentfd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		dossier_error_set("cannot write content: %s", strerror(errno));
		return DOSSIER_EIO;
	}
	*made = 1;
	history_git_lock(a->history);
	rc = dossier_oid_parse(&blob, hex);
	if (rc == 0)
		rc = dossier_git_blob_to_fd(history_git(a->history), &blob, fd);
	history_git_unlock(a->history);
	if (rc == 0 && fsync(fd) < 0)
		rc = DOSSIER_EIO;
	close(fd);
	return rc;
}

/*
 * Swap tmp in as rec's content at rel and journal the restore of blob
 * hex, in one transaction.
 */
static int restore_swap(struct dossier_archive *a,
			const struct dossier_caller *who, uint64_t id,
			const char *tmp, const char *rel, const char *hex,
			const char *reason)
{
	char *path = NULL;
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = archive_begin(a);
	/* a save still waiting on the content replaced keeps a copy */
	if (rc == 0)
		rc = history_live_settle_record(a->history, id, 0);
	if (rc == 0 && renameat(a->contentfd, tmp, a->contentfd, rel) < 0)
		rc = dossier_err_from_errno(errno);
	if (rc == 0)
		rc = archive_bump_cgen(a, id);
	if (rc == 0) {
		path = archive_node_path(a, id);
		rc = archive_journal(a, id, "restore", path, NULL, NULL, hex,
				     who, reason, dossier_clock_ns());
	}
	rc = archive_end(a, rc);
	pthread_mutex_unlock(&a->lock);
	free(path);
	return rc;
}

/*
 * restore PATH REV REASON: the record's content becomes that of version
 * REV (a commit prefix of at least 4 hex digits), as a new history entry.
 * The old bytes go to a new content file first, then it is swapped in.
 */
static int ctl_restore(struct dossier_archive *a,
		       const struct dossier_caller *who, char **f, int n,
		       struct dossier_buf *out)
{
	struct node rec;
	char hex[41] = "", rel[64], tmp[96];
	int rc, made = 0;
	size_t revlen;

	if (n != 4 || !f[3][0])
		return control_status(out, 2, "usage: restore PATH REV REASON "
					    "(a reason is required)");
	revlen = strlen(f[2]);
	if (revlen < 4 || revlen > 40 || strspn(f[2], "0123456789abcdef") !=
						 revlen)
		return control_status(out, 2, "REV is a commit id of at least 4 "
					    "hex digits, as 'log' shows it");
	if (!a->history)
		return control_status(out, 1, "history is not open here: restore "
					    "through the mounted archive");
	rc = restore_find(a, who, f[1], f[2], &rec, hex);
	if (rc == 0) {
		content_relpath(rel, sizeof(rel), rec.id);
		snprintf(tmp, sizeof(tmp), "%s.restore", rel);
		rc = restore_write(a, tmp, hex, &made);
	}
	if (rc == 0)
		rc = restore_swap(a, who, rec.id, tmp, rel, hex, f[3]);
	if (rc < 0 && made)
		unlinkat(a->contentfd, tmp, 0);
	if (rc < 0)
		return control_refused(out, rc, f[1]);
	audit_record(a->audit, who, "restore", f[1], 1, 0, f[2]);
	dossier_buf_addf(out, "0\trestored '%s' to version %s\n", f[1], f[2]);
	return 0;
}

static int ctl_whoami(struct dossier_archive *a,
		      const struct dossier_caller *who, char **f, int n,
		      struct dossier_buf *out)
{
	(void)a;
	(void)f;
	(void)n;
	dossier_buf_addf(out, "0\tok\n%u\n", (unsigned)who->uid);
	return 0;
}

/* sync: commit everything journaled now (tests, backups). */
static int ctl_sync(struct dossier_archive *a, const struct dossier_caller *who,
		    char **f, int n, struct dossier_buf *out)
{
	(void)who;
	(void)f;
	(void)n;
	if (a->history && history_drain(a->history, 1) < 0)
		return control_refused(out, DOSSIER_ERROR, "sync");
	return control_status(out, 0, "ok");
}

const struct control_cmd control_history_cmds[] = {
	{ "log", ctl_log },
	{ "restore", ctl_restore },
	{ "sync", ctl_sync },
	{ "whoami", ctl_whoami },
	{ NULL, NULL },
};

static const struct control_cmd *const tables[] = {
	control_history_cmds,
	control_rules_cmds,
	control_trash_cmds,
	control_audit_cmds,
	control_session_cmds,
	control_text_cmds,
	control_backup_cmds,
};

int control_run(struct dossier_archive *a, const struct dossier_caller *who,
		const char *req, size_t len, struct dossier_buf *out)
{
	char *copy = malloc(len + 1), *f[MAX_FIELDS], *save = NULL, *p;
	const struct control_cmd *c;
	int n = 0, status = 2, found = 0;
	size_t i;

	if (!copy)
		return control_status(out, 1, "out of memory");
	memcpy(copy, req, len);
	copy[len] = '\0';
	copy[strcspn(copy, "\n")] = '\0';
	for (p = copy; n < MAX_FIELDS; p = NULL) {
		char *tok = strtok_r(p, "\t", &save);

		if (!tok)
			break;
		f[n++] = tok;
	}
	if (n == 0) {
		free(copy);
		return control_status(out, 2, "empty request");
	}
	dossier_error_clear();
	for (i = 0; !found && i < sizeof(tables) / sizeof(tables[0]); i++)
		for (c = tables[i]; c->name; c++)
			if (!strcmp(f[0], c->name)) {
				status = control_unmapped(a, who, c->name,
							  out) ? 1 :
					 c->fn(a, who, f, n, out);
				found = 1;
				break;
			}
	if (!found)
		status = control_status(out, 2, "unknown request");
	else
		session_control_done(a, f[0], status);
	dossier_log(LOG_INFO, "control: uid %u: %s -> %d", (unsigned)who->uid,
		    f[0], status);
	free(copy);
	return status;
}

int dossier_archive_control(struct dossier_archive *a,
			    const struct dossier_caller *who, const char *req,
			    size_t len, struct dossier_buf *out)
{
	size_t from = out->len;
	int status = control_run(a, who, req, len, out);

	/* access a request took away is in force before it is answered */
	archive_notify_wait(a);
	/* replies are text: no canonical path's mark reaches a caller */
	archive_path_shown(out->buf + from);
	out->len = from + strlen(out->buf + from);
	return status;
}
