/*
 * One journal entry into one commit: the record's content into its own
 * ref (a per-record commit), then main's tree moved on (the gitlink in,
 * at its path; out, from its old one). A folder move is one commit for
 * every record below it, indexed at once.
 */
#include "history_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"
#include "archive_i.h"
#include "error.h"
#include "log.h"

/* What commit_entry makes of one entry. */
struct draft {
	struct dossier_git_sig sig;	/* names author and email */
	char author[128];
	char email[64];
	char msg[2048];
	struct dossier_oid blob;
	uint64_t size;
	char bhex[41];
	struct dossier_oid rec;		/* the per-record commit */
	int has_rec;			/* made by this entry */
	struct dossier_oid commit;
};

static void build_message(const struct entry *e, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s %s\n\n", e->op,
			 e->path ? e->path : e->old_path ? e->old_path : "");

	if (e->program && n < (int)outsz)
		n += snprintf(out + n, outsz - (size_t)n, "Program: %s\n",
			      e->program);
	if (e->reason && n < (int)outsz)
		n += snprintf(out + n, outsz - (size_t)n, "Reason: %s\n",
			      e->reason);
	if (n < (int)outsz)
		snprintf(out + n, outsz - (size_t)n,
			 "Record: %" PRIu64 "\nJournal: %" PRId64 "\n",
			 e->record, e->seq);
}

static void draft_init(struct draft *d, const struct entry *e)
{
	memset(d, 0, sizeof(*d));
	dossier_account_name(d->author, sizeof(d->author), e->uid);
	snprintf(d->email, sizeof(d->email), "uid-%d@dossierfs", (int)e->uid);
	d->sig.name = d->author;
	d->sig.email = d->email;
	d->sig.when = e->time_ns / 1000000000;
	build_message(e, d->msg, sizeof(d->msg));
}

/*
 * A save whose bytes are exactly those of an earlier version of the
 * record (not of its current one) puts that version back: Explorer's
 * Restore from Previous Versions copies an old version over the record,
 * and so does anyone copying a version out of /.history. Such a save
 * becomes a "restore" naming the version put back (returns 1); anything
 * but a plain save is left alone. A batch holds one entry per record, so
 * every earlier version is indexed already.
 */
static int restores_version(struct dossier_archive *a, struct entry *e,
			    const struct dossier_oid *blob,
			    const struct held *held)
{
	char hex[41], commit[41], why[96];
	int found;

	if (strcmp(e->op, "save"))
		return 0;
	dossier_oid_fmt(hex, blob);
	if (held->hist_blob && !strcmp(held->hist_blob, hex))
		return 0;
	found = index_find_blob(a, e->record, hex, commit);
	dossier_error_clear();
	if (!found)
		return 0;
	snprintf(why, sizeof(why), "puts back version %.12s", commit);
	snprintf(e->op, sizeof(e->op), "restore");
	if (!e->reason)
		e->reason = strdup(why);
	return 1;
}

/* Drop a journal entry that cannot be committed (logged). */
static void drop_entry(struct dossier_history *h, const struct entry *e,
		       const char *why)
{
	struct dossier_archive *a = h->a;

	if (why)
		dossier_log(LOG_ERR, "history: cannot commit %s of record %"
			    PRIu64 " ('%s'): %s", e->op, e->record,
			    e->path ? e->path : "", why);
	pthread_mutex_lock(&a->lock);
	journal_done(a, e->seq);
	history_live_prune(h, e->record);
	pthread_mutex_unlock(&a->lock);
	if (e->spool)
		unlinkat(h->spoolfd, e->spool, 0);
}

static int transient(int rc)
{
	return rc == DOSSIER_EBUSY || rc == DOSSIER_EIO ||
	       rc == DOSSIER_ENOSPC;
}

/*
 * Failures that may pass (a busy catalog or repository, a full or failing
 * disk): the entry stays in the journal and is tried again (rc). Anything
 * else (a name git cannot hold) is logged and dropped (0), so one bad
 * entry never stops the history.
 */
static int drop_unless_transient(struct dossier_history *h,
				 const struct entry *e, int rc)
{
	if (transient(rc))
		return rc;
	drop_entry(h, e, dossier_error_last());
	dossier_error_clear();
	return 0;
}

/*
 * Is there room on the disk for the blob of e (content open as fd, else
 * its spool file)? Checked before writing it: a large blob written
 * loose on a nearly full disk took the room kept for the catalog, and
 * then nothing (not even rm) could be recorded.
 */
static int room_for(struct dossier_history *h, int fd, const struct entry *e)
{
	struct stat st;

	if (fd < 0 && e->spool && !e->has_data)
		return fstatat(h->spoolfd, e->spool, &st, 0) < 0 ? 0 :
			       archive_space_room(h->a, st.st_size);
	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;
	return archive_space_room(h->a, st.st_size);
}

/* The blob of e's spool file into d (git lock held). */
static int spool_blob(struct dossier_history *h, const struct entry *e,
		      struct draft *d)
{
	int fd = openat(h->spoolfd, e->spool, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return DOSSIER_ENOTFOUND;
	rc = dossier_git_blob_from_fd(h->git, fd, &d->blob, &d->size);
	close(fd);
	return rc;
}

/*
 * Hash e's content into d->blob: its content inode (lv 1: taken by
 * live_begin, given back here), its inline snapshot, its spool file, or
 * the blob its row names. 1: the row went meanwhile (a purge).
 */
static int content_blob(struct dossier_history *h, struct entry *e, int lv,
			struct draft *d)
{
	int rc;

	history_git_lock(h);
	if (lv == 1) {
		rc = dossier_git_blob_from_fd(h->git, e->live_fd, &d->blob,
					      &d->size);
	} else if (e->has_data) {
		rc = dossier_git_blob_from_buffer(h->git, e->data, e->datalen,
						  &d->blob);
		d->size = e->datalen;
	} else if (e->spool) {
		rc = spool_blob(h, e, d);
	} else if (e->blob) {
		rc = dossier_oid_parse(&d->blob, e->blob);
		if (rc == 0)
			rc = dossier_git_blob_size(h->git, &d->blob, &d->size);
	} else {
		rc = DOSSIER_EINVAL;
	}
	history_git_unlock(h);
	if (lv == 1 && live_end(h, e, rc == 0 ? &d->blob : NULL))
		rc = 1;
	return rc;
}

/*
 * The per-record commit of content entry e into d. 1: made; 0: nothing
 * to commit (the row went, or it was dropped); < 0: kept in the journal.
 */
static int commit_content(struct dossier_history *h, struct entry *e,
			  const struct held *held, struct draft *d)
{
	int lv = e->live ? live_begin(h, e) : 0;
	int rc;

	if (lv < 0)
		return drop_unless_transient(h, e, lv);
	if (lv == 0 && e->seq == 0) {
		dossier_error_clear();
		return 0;		/* purged meanwhile */
	}
	if ((rc = room_for(h, lv == 1 ? e->live_fd : -1, e)) < 0) {
		if (lv == 1)
			live_end(h, e, NULL);
		return rc;		/* kept in the journal, retried */
	}
	if ((rc = content_blob(h, e, lv, d)) == 0) {
		if (restores_version(h->a, e, &d->blob, held))
			build_message(e, d->msg, sizeof(d->msg));
		history_git_lock(h);
		rc = dossier_git_record_version(h->git, e->record, &d->blob,
						&d->sig, d->msg, &d->rec);
		history_git_unlock(h);
	}
	if (rc == 1)
		return 0;		/* purged meanwhile */
	if (rc < 0)
		return drop_unless_transient(h, e, rc);
	dossier_oid_fmt(d->bhex, &d->blob);
	d->has_rec = 1;
	return 1;
}

/*
 * The changes e makes to main's tree: its gitlink out of the path the
 * repository holds, and in at its new one (to d->rec). *new_path: the
 * record's path in main's tree then (borrowed from e or held).
 */
static size_t tree_changes(const struct entry *e, const struct held *held,
			   const struct draft *d,
			   struct dossier_git_change ch[2],
			   const char **new_path)
{
	size_t n = 0;

	*new_path = NULL;
	if (held->hist_path &&
	    (!e->path || strcmp(held->hist_path, e->path) ||
	     !strcmp(e->op, "delete"))) {
		ch[n].path = held->hist_path;
		ch[n].target = NULL;
		n++;
	}
	if (strcmp(e->op, "delete") && e->path &&
	    (d->has_rec || held->hist_rec)) {
		ch[n].path = e->path;
		ch[n].target = &d->rec;
		*new_path = e->path;
		n++;
	}
	/* a reclassification changes no path: an empty commit records it */
	if (!strcmp(e->op, "classify"))
		*new_path = held->hist_path;
	return n;
}

/* Hand e and what was made of it to the batch (e is left empty). */
static int built_take(struct built *out, struct entry *e,
		      const struct draft *d, const char *new_path)
{
	memset(out, 0, sizeof(*out));
	if (new_path && !(out->new_path = strdup(new_path))) {
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	snprintf(out->author, sizeof(out->author), "%s", d->author);
	out->commit = d->commit;
	if (d->has_rec) {
		out->rec = d->rec;
		out->has_rec = 1;
		snprintf(out->bhex, sizeof(out->bhex), "%s", d->bhex);
	}
	out->size = (int64_t)d->size;
	out->e = *e;
	memset(e, 0, sizeof(*e));
	return 1;
}

/*
 * Commit folder move e for the records in m (d->commit), and put its
 * objects on disk: the move is indexed at once.
 */
static int commit_tree_move(struct dossier_history *h, const struct entry *e,
			    struct draft *d, const struct moved *m)
{
	struct dossier_git_change *ch = calloc(m->n + 1, sizeof(*ch));
	size_t i;
	int rc;

	if (!ch) {
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	ch[0].path = e->old_path;
	for (i = 0; i < m->n; i++) {
		ch[i + 1].path = m->paths[i];
		ch[i + 1].target = &m->targets[i];
	}
	history_git_lock(h);
	rc = dossier_git_commit(h->git, ch, m->n + 1, &d->sig, d->msg,
				&d->commit);
	if (rc == 0)
		rc = dossier_git_flush(h->git);
	history_git_unlock(h);
	free(ch);
	return rc;
}

/* A folder moved: every committed record below it moves in one commit. */
static int commit_move(struct dossier_history *h, const struct entry *e,
		       struct draft *d)
{
	struct moved m;
	int rc;

	rc = index_moved_below(h->a, e->old_path, e->path, &m);
	if (rc == 0 && m.n == 0) {
		/* nothing below the folder is in the repository yet */
		drop_entry(h, e, NULL);
		goto out;
	}
	if (rc == 0)
		rc = commit_tree_move(h, e, d, &m);
	if (rc == 0)
		rc = index_move(h->a, e, d->author, &d->commit, &m);
out:
	moved_release(&m);
	return rc;
}

int commit_entry(struct dossier_history *h, struct entry *e,
		 struct built *out)
{
	struct dossier_git_change ch[2];
	const char *new_path;
	struct draft d;
	struct held held;
	size_t n;
	int rc;

	draft_init(&d, e);
	if (!strcmp(e->op, "move"))
		return commit_move(h, e, &d);
	if ((rc = index_held(h->a, e->record, &held)) < 0) {
		if (rc == DOSSIER_ENOTFOUND) {
			/* the record is gone (purged): nothing to record */
			drop_entry(h, e, "record no longer exists");
			rc = 0;
		}
		goto out;	/* else kept in the journal, retried */
	}
	if (entry_is_content(e->op) &&
	    (rc = commit_content(h, e, &held, &d)) <= 0)
		goto out;
	if (!d.has_rec && held.hist_rec)
		dossier_oid_parse(&d.rec, held.hist_rec);
	n = tree_changes(e, &held, &d, ch, &new_path);
	if (n == 0 && !d.has_rec &&
	    (strcmp(e->op, "classify") || !held.hist_path)) {
		/* e.g. a rename of a record whose first save is not in yet */
		drop_entry(h, e, NULL);
		rc = 0;
		goto out;
	}
	history_git_lock(h);
	rc = dossier_git_commit(h->git, ch, n, &d.sig, d.msg, &d.commit);
	history_git_unlock(h);
	if (rc < 0)
		rc = drop_unless_transient(h, e, rc);
	else
		rc = built_take(out, e, &d, new_path);
out:
	held_release(&held);
	return rc;
}
