/*
 * One journal entry into one commit of its record (refs/records/ID): its
 * content, or a rename, delete or reclassification on top of the last
 * one. Then the batch into one commit of main's tree (each record's
 * gitlink in, at its path; out, from its old one): a commit of main
 * rewrites every folder tree on the changed paths, and one per save made
 * a client folder of 600 records cost the committer more than the save
 * itself. A folder move is one commit for every record below it,
 * indexed at once.
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
#include "buf.h"
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
	int has_blob;			/* a content version */
	struct dossier_oid rec;		/* the per-record commit */
	int has_rec;			/* made by this entry */
	struct dossier_oid commit;	/* a folder move's commit of main */
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
	d->has_blob = d->has_rec = 1;
	return 1;
}

/*
 * The per-record commit of e, a change that leaves the content as it is
 * (rename, delete, classify), into d: every change is a commit of its
 * record, with its author and message. 1: made; 0: the record has no
 * version to build on; < 0: failed.
 */
static int commit_note(struct dossier_history *h, const struct entry *e,
		       struct draft *d)
{
	int rc;

	history_git_lock(h);
	rc = dossier_git_record_note(h->git, e->record, &d->sig, d->msg,
				     &d->rec);
	history_git_unlock(h);
	if (rc >= 0)
		d->has_rec = rc;
	return rc;
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

void built_release(struct built *b)
{
	size_t i;

	entry_release(&b->e);
	free(b->msg);
	for (i = 0; i < b->nch; i++)
		free((char *)b->ch[i].path);
	free(b->new_path);
	memset(b, 0, sizeof(*b));
}

/*
 * Hand e, what was made of it and the n changes it makes to main's tree
 * to the batch (e is left empty).
 */
static int built_take(struct built *out, struct entry *e,
		      const struct draft *d, const char *new_path,
		      const struct dossier_git_change *ch, size_t n)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->msg = strdup(d->msg);
	for (i = 0; i < n && out->msg; i++) {
		if (!(out->ch[i].path = strdup(ch[i].path)))
			break;
		out->ch[i].target = ch[i].target ? &out->rec : NULL;
		out->nch++;
	}
	if (!out->msg || out->nch < n ||
	    (new_path && !(out->new_path = strdup(new_path)))) {
		built_release(out);
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	snprintf(out->author, sizeof(out->author), "%s", d->author);
	snprintf(out->email, sizeof(out->email), "%s", d->email);
	out->when = d->sig.when;
	out->rec = d->rec;
	out->has_rec = d->has_rec;
	if (d->has_blob) {
		out->has_blob = 1;
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
	if (entry_is_content(e->op)) {
		if ((rc = commit_content(h, e, &held, &d)) <= 0)
			goto out;
	} else if ((rc = commit_note(h, e, &d)) < 0) {
		rc = drop_unless_transient(h, e, rc);
		goto out;
	}
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
	rc = built_take(out, e, &d, new_path, ch, n);
out:
	held_release(&held);
	return rc;
}

/* Main's commit for b alone, with its own author and message. */
static int commit_alone(struct dossier_history *h, struct built *b)
{
	struct dossier_git_sig sig = { b->author, b->email, b->when };
	int rc;

	history_git_lock(h);
	rc = dossier_git_commit(h->git, b->ch, b->nch, &sig, b->msg,
				&b->commit);
	history_git_unlock(h);
	return rc;
}

/* A change of the batch to main's tree, in journal order. */
struct slot {
	const struct dossier_git_change *c;
	uint64_t record;
	size_t order;
};

static int cmp_slot(const void *x, const void *y)
{
	const struct slot *a = x, *b = y;
	int r = strcmp(a->c->path, b->c->path);

	return r ? r : a->order < b->order ? -1 : a->order > b->order;
}

/*
 * What the changes to one path (v[0..n), in journal order) leave there,
 * into *out: 1 a change, 0 nothing. A record moved away and another put
 * at its name is the second's gitlink; a removal by a record that no
 * longer holds the path (another took it meanwhile) changes nothing.
 */
static int settle_path(const struct slot *v, size_t n,
		       struct dossier_git_change *out)
{
	const struct dossier_git_change *set = NULL;	/* the last put */
	uint64_t holder = 0;	/* its record (0: none put yet) */
	int from_base = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].c->target) {
			set = v[i].c;
			holder = v[i].record;
		} else if (!holder) {
			from_base = 1;	/* out of the tree the batch began on */
		} else if (holder == v[i].record) {
			set = NULL;
		}
	}
	if (set) {
		*out = *set;
		return 1;
	}
	if (!from_base)
		return 0;
	out->path = v[0].c->path;
	out->target = NULL;
	return 1;
}

/* The batch's changes, one per path (caller frees *out). */
static int batch_changes(const struct built *b, size_t n,
			 struct dossier_git_change **out, size_t *nout)
{
	struct slot *v;
	size_t i, j, k = 0, m = 0;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n; i++)
		k += b[i].nch;
	if (!k)
		return 0;
	v = calloc(k, sizeof(*v));
	*out = calloc(k, sizeof(**out));
	if (!v || !*out) {
		free(v);
		free(*out);
		*out = NULL;
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	for (i = 0, k = 0; i < n; i++)
		for (j = 0; j < b[i].nch; j++, k++)
			v[k] = (struct slot){ &b[i].ch[j], b[i].e.record, k };
	qsort(v, k, sizeof(*v), cmp_slot);
	for (i = 0; i < k; i = j) {
		for (j = i + 1; j < k && !strcmp(v[j].c->path, v[i].c->path);
		     j++)
			;
		m += (size_t)settle_path(v + i, j - i, &(*out)[m]);
	}
	free(v);
	*nout = m;
	return 0;
}

/*
 * Main's commit for the n entries together. The author is theirs if
 * they all have one, else the service; the message lists every change
 * (each is a commit of its record with its own author and message).
 */
static int commit_together(struct dossier_history *h, struct built *b,
			   size_t n)
{
	struct dossier_buf msg = DOSSIER_BUF_INIT;
	struct dossier_git_change *ch = NULL;
	struct dossier_git_sig sig = { b[0].author, b[0].email, 0 };
	struct dossier_oid commit;
	size_t i, nch;
	int rc;

	if ((rc = batch_changes(b, n, &ch, &nch)) < 0)
		return rc;
	dossier_buf_addf(&msg, "%zu changes\n\n", n);
	for (i = 0; i < n; i++) {
		const struct entry *e = &b[i].e;

		if (b[i].e.uid != b[0].e.uid) {
			sig.name = DOSSIER_GIT_SERVICE_NAME;
			sig.email = DOSSIER_GIT_SERVICE_EMAIL;
		}
		if (b[i].when > sig.when)
			sig.when = b[i].when;
		dossier_buf_addf(&msg, "%s %s by %s\n", e->op, e->path ?
				 e->path : e->old_path ? e->old_path : "",
				 b[i].author);
	}
	dossier_buf_addf(&msg, "\nJournal: %" PRId64 "-%" PRId64 "\n",
			 b[0].e.seq, b[n - 1].e.seq);
	history_git_lock(h);
	rc = dossier_git_commit(h->git, ch, nch, &sig, msg.buf, &commit);
	history_git_unlock(h);
	for (i = 0; rc == 0 && i < n; i++)
		b[i].commit = commit;
	dossier_buf_release(&msg);
	free(ch);
	return rc;
}

int commit_batch(struct dossier_history *h, struct built *b, size_t n)
{
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	rc = n == 1 ? commit_alone(h, b) : commit_together(h, b, n);
	if (rc == 0 || transient(rc))
		return rc;
	/* one of them main cannot take: each on its own, in order */
	dossier_error_clear();
	for (i = 0; i < n; i++) {
		if ((rc = commit_alone(h, &b[i])) == 0)
			continue;
		if (transient(rc))
			return rc;
		drop_entry(h, &b[i].e, dossier_error_last());
		dossier_error_clear();
		b[i].dropped = 1;
	}
	return 0;
}
