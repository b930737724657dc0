#include "history_i.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "archive_i.h"
#include "access_i.h"
#include "journal_i.h"
#include "audit_i.h"
#include "db_i.h"
#include "error.h"
#include "log.h"
#include "text_i.h"
#include "trash_i.h"

#define REPO_DIR "history.git"
#define SPOOL_DIR "spool"
/* Pack when this many loose objects piled up. */
#define PACK_LOOSE_LIMIT 20000
/* Each batch writes a pack: merge the small ones beyond this many. */
#define PACK_COUNT_LIMIT 16
/* Upkeep after this many batches of one drain, and when a drain ends. */
#define UPKEEP_BATCHES 8

/*
 * Lock rules: git_lock protects git. The committer takes the archive's
 * lock for catalog work and git_lock for repository work, never both at
 * once; threads that write the catalog never wait for git_lock while
 * holding the archive's lock. qlock protects stop and kicked.
 */
struct dossier_history {
	struct dossier_archive *a;
	pthread_mutex_t drain_lock;	/* one drainer at a time */
	pthread_mutex_t git_lock;
	struct dossier_git *git;	/* protected by git_lock */
	int spoolfd;
	pthread_t thread;
	int running;
	pthread_mutex_t qlock;
	pthread_cond_t cond;
	int stop;			/* protected by qlock */
	int kicked;			/* protected by qlock */
	int recovering;			/* protected by qlock */
	pthread_cond_t recovered;	/* recovering went to 0 */
	int64_t recover_upto;		/* journal rows the last daemon left:
					   committed at once; drain_lock */
	struct recon *recon;		/* to reconcile; committer thread */
	size_t nrecon;
	int recon_clean;		/* the last daemon stopped cleanly */
	uint64_t spool_seq;		/* protected by qlock */
	int64_t next_purge_ns;		/* committer thread only */
	struct built *built;		/* BATCH_MAX; under drain_lock */
	unsigned batches;		/* since the last upkeep; drain_lock */
	struct live *live;		/* deferred snapshots; archive lock */
	unsigned nlive;			/* written under the archive lock */
	pthread_cond_t live_cond;	/* a deferred snapshot was settled */
};

/* A record whose content differed from its snapshot at the start. */
struct recon {
	uint64_t id;
	int64_t mtime_ns;	/* the content's stat then (size -1: gone) */
	int64_t size;
};

/*
 * A save whose snapshot is the content inode itself, until the committer
 * has hashed it or something is about to change it (see "Deferred
 * snapshots" in docs/design.md). Protected by the archive's lock.
 */
struct live {
	struct live *next;
	int64_t seq;		/* its journal row */
	uint64_t record;
	dev_t dev;		/* the content inode the save left */
	ino_t ino;
	int fd;			/* read-only, on that inode */
	int reading;		/* the committer is hashing it */
	int copying;		/* a writer copies it into its row */
	int dead;		/* its row went while it was read or copied */
};

/* One journal entry, as read by the committer. */
struct entry {
	int64_t seq;
	uint64_t record;
	char op[16];
	char *path;
	char *old_path;
	char *spool;
	char *blob;
	void *data;		/* inline snapshot, when has_data */
	size_t datalen;
	int has_data;
	uid_t uid;
	char *program;
	char *reason;
	int64_t time_ns;
	int64_t live;		/* the snapshot is content inode live (0: no) */
	int live_fd;		/* committer: that inode, while hashed */
};

/* An entry whose commit is made, waiting for its batch to be indexed. */
struct built {
	struct entry e;
	char author[128];
	struct dossier_oid commit, rec;
	int has_rec;
	char bhex[41];
	int64_t size;
	char *new_path;
};

/* A batch ends early at a second entry of one record, and at this size. */
#define BATCH_MAX 512

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static void entry_release(struct entry *e)
{
	free(e->path);
	free(e->old_path);
	free(e->spool);
	free(e->data);
	free(e->blob);
	free(e->program);
	free(e->reason);
	memset(e, 0, sizeof(*e));
}

struct dossier_git *history_git(struct dossier_history *h)
{
	return h->git;
}

void history_git_lock(struct dossier_history *h)
{
	pthread_mutex_lock(&h->git_lock);
}

void history_git_unlock(struct dossier_history *h)
{
	pthread_mutex_unlock(&h->git_lock);
}

int history_open(struct dossier_history **out, struct dossier_archive *a,
		 int create)
{
	struct dossier_history *h = calloc(1, sizeof(*h));
	char p[4096];
	int rc;

	*out = NULL;
	if (!h || !(h->built = calloc(BATCH_MAX, sizeof(*h->built)))) {
		free(h);
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	h->a = a;
	h->spoolfd = -1;
	pthread_mutex_init(&h->git_lock, NULL);
	pthread_mutex_init(&h->drain_lock, NULL);
	pthread_mutex_init(&h->qlock, NULL);
	pthread_cond_init(&h->cond, NULL);
	pthread_cond_init(&h->recovered, NULL);
	pthread_cond_init(&h->live_cond, NULL);
	snprintf(p, sizeof(p), "%s/%s", dossier_archive_path(a), REPO_DIR);
	if ((rc = dossier_git_open(&h->git, p, create)) < 0) {
		if (rc == DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			dossier_error_set("history repository '%s' is missing: "
					  "restore it from a backup", p);
			rc = DOSSIER_ECORRUPT;
		}
		goto fail;
	}
	snprintf(p, sizeof(p), "%s/%s", dossier_archive_path(a), SPOOL_DIR);
	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		dossier_error_set("cannot create '%s': %s", p, strerror(errno));
		rc = DOSSIER_ERROR;
		goto fail;
	}
	h->spoolfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->spoolfd < 0) {
		dossier_error_set("cannot open '%s': %s", p, strerror(errno));
		rc = DOSSIER_ERROR;
		goto fail;
	}
	*out = h;
	return 0;
fail:
	dossier_git_free(h->git);
	if (h->spoolfd >= 0)
		close(h->spoolfd);
	free(h->built);
	free(h);
	return rc;
}

/* The whole of fd (at most HISTORY_INLINE_MAX bytes) into data. */
static int snapshot_inline(int fd, struct dossier_buf *data)
{
	char buf[HISTORY_INLINE_MAX + 1];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf)) {
		n = pread(fd, buf + len, sizeof(buf) - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dossier_error_set("cannot snapshot content: %s",
					  strerror(errno));
			return dossier_err_from_errno(errno);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > HISTORY_INLINE_MAX)
		return 1;	/* grew meanwhile: spool it */
	dossier_buf_add(data, buf, len);
	return 0;
}

int history_spool(struct dossier_history *h, int fd, char *name,
		  size_t namesz, struct dossier_buf *data)
{
	struct stat st;
	int out = -1, rc = 0;
	off_t in_off = 0;
	uint64_t seq;

	name[0] = '\0';
	dossier_buf_release(data);
	if (fstat(fd, &st) < 0)
		goto err;
	if (st.st_size <= HISTORY_INLINE_MAX &&
	    (rc = snapshot_inline(fd, data)) <= 0)
		return rc;
	rc = 0;
	pthread_mutex_lock(&h->qlock);
	seq = ++h->spool_seq;
	pthread_mutex_unlock(&h->qlock);
	snprintf(name, namesz, "%" PRId64 "-%" PRIu64 "-%d",
		 dossier_clock_ns(), seq, (int)getpid());
	out = openat(h->spoolfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		     0600);
	if (out < 0)
		goto err;
	while (in_off < st.st_size) {
		ssize_t n = copy_file_range(fd, &in_off, out, NULL,
					    (size_t)(st.st_size - in_off), 0);

		if (n < 0 && (errno == EXDEV || errno == ENOSYS ||
			      errno == EOPNOTSUPP || errno == EINVAL)) {
			char buf[65536];

			n = pread(fd, buf, sizeof(buf), in_off);
			if (n > 0 && write(out, buf, (size_t)n) != n)
				goto err;
			if (n > 0)
				in_off += n;
		}
		if (n < 0)
			goto err;
		if (n == 0)
			break;
	}
	close(out);
	return 0;
err:
	rc = dossier_err_from_errno(errno);
	dossier_error_set("cannot snapshot content: %s", strerror(errno));
	if (out >= 0) {
		close(out);
		unlinkat(h->spoolfd, name, 0);
	}
	name[0] = '\0';
	return rc;
}

void history_discard_spool(struct dossier_history *h, const char *name)
{
	unlinkat(h->spoolfd, name, 0);
}

/* Take column col of st, an inline snapshot, into e (if it is one). */
static int take_data(struct entry *e, sqlite3_stmt *st, int col)
{
	size_t n;

	if (sqlite3_column_type(st, col) != SQLITE_BLOB)
		return 0;
	n = (size_t)sqlite3_column_bytes(st, col);
	if ((e->data = malloc(n ? n : 1)) == NULL)
		return DOSSIER_EBUSY;	/* retried */
	if (n)	/* an empty blob reads as NULL */
		memcpy(e->data, sqlite3_column_blob(st, col), n);
	e->datalen = n;
	e->has_data = 1;
	return 0;
}

/* ---- deferred snapshots ---- */

int history_live_any(struct dossier_history *h)
{
	return h && __atomic_load_n(&h->nlive, __ATOMIC_ACQUIRE) != 0;
}

int history_live_room(struct dossier_history *h)
{
	return h && __atomic_load_n(&h->nlive, __ATOMIC_ACQUIRE) <
			    HISTORY_LIVE_MAX;
}

static void live_unlink(struct dossier_history *h, struct live *l)
{
	struct live **pp;

	for (pp = &h->live; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	close(l->fd);
	free(l);
	__atomic_store_n(&h->nlive, h->nlive - 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&h->live_cond);
}

int history_live_add(struct dossier_history *h, int64_t seq,
		     uint64_t record, int fd, const struct stat *st)
{
	struct live *l = calloc(1, sizeof(*l));
	char self[64];

	/* a description of our own: the writer's may be O_DIRECT */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (l && (l->fd = open(self, O_RDONLY | O_CLOEXEC)) >= 0) {
		struct stat cs;

		if (fstat(l->fd, &cs) < 0 || cs.st_ino != st->st_ino ||
		    cs.st_dev != st->st_dev) {
			close(l->fd);
			l->fd = -1;
		}
	}
	if (l && l->fd < 0)
		l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!l || l->fd < 0) {
		int e = l ? errno : ENOMEM;

		free(l);
		dossier_error_set("cannot keep a snapshot: %s", strerror(e));
		return dossier_err_from_errno(e);
	}
	l->seq = seq;
	l->record = record;
	l->dev = st->st_dev;
	l->ino = st->st_ino;
	l->next = h->live;
	h->live = l;
	__atomic_store_n(&h->nlive, h->nlive + 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Is l's journal row still waiting on l's inode? 1 yes, 0 no (gone or
 * settled), < 0 the catalog failed. Row, record and inode must all match:
 * a rolled-back save may leave an entry whose seq a later row reuses.
 */
static int live_row(struct dossier_archive *a, const struct live *l)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	if ((rc = archive_stmt(a, "SELECT 1 FROM journal WHERE seq = ?1 AND "
			       "record = ?2 AND live = ?3", &st)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, l->seq);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)l->record);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)l->ino);
	src = sqlite3_step(st);
	rc = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 :
		dossier_db_err(a->db, src, "journal");
	archive_stmt_done(st);
	return rc;
}

/*
 * Copy l's content into its journal row (inline or spool) before the
 * inode changes; the row then no longer depends on it. Lock held.
 */
static int live_materialise(struct dossier_history *h, struct live *l,
			    int unlocked)
{
	struct dossier_archive *a = h->a;
	struct dossier_buf data = DOSSIER_BUF_INIT;
	sqlite3_stmt *st = NULL;
	char spool[64];
	int rc;

	if ((rc = live_row(a, l)) <= 0) {
		if (rc == 0)
			live_unlink(h, l);
		return rc;
	}
	/*
	 * A large file takes a moment to copy: where the caller allows it,
	 * without the archive's lock (others wait for this entry only).
	 */
	l->copying = 1;
	if (unlocked)
		pthread_mutex_unlock(&a->lock);
	rc = history_spool(h, l->fd, spool, sizeof(spool), &data);
	if (unlocked)
		pthread_mutex_lock(&a->lock);
	l->copying = 0;
	if (rc == 0 && !l->dead && (rc = live_row(a, l)) > 0) {
		rc = archive_stmt(a, "UPDATE journal SET live = NULL, spool = "
				  "?2, data = ?3 WHERE seq = ?1", &st);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, l->seq);
			if (spool[0])
				sqlite3_bind_text(st, 2, spool, -1,
						  SQLITE_STATIC);
			else
				sqlite3_bind_blob64(st, 3, data.buf ?
						    data.buf : "", data.len,
						    SQLITE_STATIC);
			rc = dossier_db_step_done(a->db, st,
						  "journal snapshot");
		}
		archive_stmt_done(st);
		if (rc == 0)
			spool[0] = '\0';	/* the row has it now */
	}
	dossier_buf_release(&data);
	if (spool[0])
		history_discard_spool(h, spool);
	if (rc < 0) {
		pthread_cond_broadcast(&h->live_cond);
		return rc;
	}
	live_unlink(h, l);		/* broadcasts */
	return 0;
}

/*
 * Copy the waiting snapshots of inode st (or, st NULL, of record) into
 * their rows; wait: also wait for those being hashed or copied.
 */
static int settle(struct dossier_history *h, const struct stat *st,
		  uint64_t record, int wait)
{
	struct live *l;
	int rc;

again:
	for (l = h ? h->live : NULL; l; l = l->next) {
		if (l->dead || (st ? l->dev != st->st_dev ||
					     l->ino != st->st_ino :
				      l->record != record))
			continue;
		if (l->reading || l->copying) {
			if (!wait)
				continue;
			/* being hashed or copied: its row is done soon */
			pthread_cond_wait(&h->live_cond, &h->a->lock);
			goto again;
		}
		if ((rc = live_materialise(h, l, wait)) < 0)
			return rc;
		goto again;
	}
	return 0;
}

int history_live_settle(struct dossier_history *h, const struct stat *st,
			int wait)
{
	return settle(h, st, 0, wait);
}

int history_live_settle_record(struct dossier_history *h, uint64_t record,
			       int wait)
{
	return settle(h, NULL, record, wait);
}

/*
 * Let go of entries whose rows are gone (of record, or of any record with
 * every): busy ones are marked for whoever holds them. Lock held.
 */
static void prune(struct dossier_history *h, uint64_t record, int every)
{
	struct live *l, *next;

	for (l = h ? h->live : NULL; l; l = next) {
		next = l->next;
		/* kept when its row is there, or the catalog cannot say */
		if ((!every && l->record != record) || l->dead ||
		    live_row(h->a, l) != 0)
			continue;
		if (l->reading || l->copying)
			l->dead = 1;	/* whoever holds it lets it go */
		else
			live_unlink(h, l);
	}
}

void history_live_prune(struct dossier_history *h, uint64_t record)
{
	prune(h, record, 0);
}

/*
 * The committer takes e's content inode: from its deferred snapshot, or
 * after a restart from the record's content file if that is still the
 * inode the save left. 1: e->live_fd is it; 0: the row changed meanwhile
 * (e now names its snapshot, or is gone: e->seq 0); < 0 failed.
 */
static int live_begin(struct dossier_history *h, struct entry *e)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	struct live *l;
	struct stat cs;
	int64_t size = -1;
	char rel[64];
	int rc = 0, fd;

	pthread_mutex_lock(&a->lock);
again:
	if ((rc = archive_stmt(a, "SELECT live, spool, data, live_size FROM "
			       "journal WHERE seq = ?1", &st)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, e->seq);
	if (sqlite3_step(st) != SQLITE_ROW) {
		e->seq = 0;			/* gone (purged) */
		goto out;
	}
	e->live = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 3) == SQLITE_INTEGER)
		size = sqlite3_column_int64(st, 3);
	if (!e->live) {
		/* settled meanwhile: the row holds the snapshot now */
		free(e->spool);
		e->spool = dup_col(st, 1);
		rc = take_data(e, st, 2);
		goto out;
	}
	for (l = h->live; l && (l->seq != e->seq || l->record != e->record ||
				(int64_t)l->ino != e->live || l->dead);
	     l = l->next)
		;
	if (l && l->copying) {
		/* a writer is copying it into the row: take that copy */
		archive_stmt_done(st);
		st = NULL;
		pthread_cond_wait(&h->live_cond, &a->lock);
		goto again;
	}
	if (!l) {
		/*
		 * Journaled before a restart: the record's content file, if
		 * it is still the inode and size the save left.
		 */
		content_relpath(rel, sizeof(rel), e->record);
		fd = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &cs) < 0 ||
		    (int64_t)cs.st_ino != e->live ||
		    (size >= 0 && cs.st_size != size)) {
			if (fd >= 0)
				close(fd);
			dossier_error_set("the content it saved changed or was "
					  "replaced before it was committed");
			rc = DOSSIER_ECORRUPT;
			goto out;
		}
		rc = history_live_add(h, e->seq, e->record, fd, &cs);
		close(fd);
		if (rc < 0) {
			rc = DOSSIER_EBUSY;	/* no descriptor: retried */
			goto out;
		}
		l = h->live;
	}
	l->reading = 1;
	e->live_fd = l->fd;
	rc = 1;
out:
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/*
 * The committer is done with e's inode: with its blob on disk, the row
 * names the blob (a restart no longer needs the inode) and writers may
 * go on. On failure the snapshot stays deferred, for the retry. 1: the
 * row went meanwhile (a purge): nothing to commit.
 */
static int live_end(struct dossier_history *h, struct entry *e,
		    const struct dossier_oid *blob)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	struct live *l;
	char hex[41];
	int gone;

	pthread_mutex_lock(&a->lock);
	for (l = h->live; l && !(l->seq == e->seq && l->reading); l = l->next)
		;
	gone = l && l->dead;
	if (blob && (!l || !l->dead) &&
	    archive_stmt(a, "UPDATE journal SET live = NULL, blob = ?2 "
			 "WHERE seq = ?1 AND record = ?3 AND live = ?4",
			 &st) == 0) {
		dossier_oid_fmt(hex, blob);
		sqlite3_bind_int64(st, 1, e->seq);
		sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)e->record);
		sqlite3_bind_int64(st, 4, e->live);
		if (dossier_db_step_done(a->db, st, "journal blob") < 0)
			blob = NULL;
	}
	archive_stmt_done(st);
	if (l) {
		l->reading = 0;
		if (blob || l->dead)
			live_unlink(h, l);
		else
			pthread_cond_broadcast(&h->live_cond);
	}
	e->live_fd = -1;
	pthread_mutex_unlock(&a->lock);
	return gone;
}

void history_kick(struct dossier_history *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->qlock);
	h->kicked = 1;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->qlock);
}

/* ---- the committer ---- */

/* Read the oldest journal entry due at now (all: any). 1 if found. */
static int next_entry(struct dossier_history *h, int64_t now, int all,
		      int64_t after, struct entry *e)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	int found = 0;

	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "SELECT seq, record, op, path, old_path,"
			       " spool, blob, author_uid, program, reason, "
			       "time_ns, data, live FROM journal WHERE seq > ?3 AND "
			       "(?1 OR due_ns <= ?2 OR seq <= ?4) "
			       "ORDER BY seq LIMIT 1", &st) == 0) {
		sqlite3_bind_int(st, 1, all);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int64(st, 3, after);
		sqlite3_bind_int64(st, 4, h->recover_upto);
		if (sqlite3_step(st) == SQLITE_ROW) {
			e->seq = sqlite3_column_int64(st, 0);
			e->record = (uint64_t)sqlite3_column_int64(st, 1);
			snprintf(e->op, sizeof(e->op), "%s",
				 sqlite3_column_text(st, 2));
			e->path = dup_col(st, 3);
			e->old_path = dup_col(st, 4);
			e->spool = dup_col(st, 5);
			e->blob = dup_col(st, 6);
			e->uid = (uid_t)sqlite3_column_int64(st, 7);
			e->program = dup_col(st, 8);
			e->reason = dup_col(st, 9);
			e->time_ns = sqlite3_column_int64(st, 10);
			if (take_data(e, st, 11) < 0) {
				entry_release(e);
				goto out;
			}
			e->live = sqlite3_column_int64(st, 12);
			e->live_fd = -1;
			found = 1;
		}
	}
out:
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	return found;
}

/* What the repository holds for a record now. */
struct held {
	char *hist_path;
	char *hist_rec;
	char *hist_blob;
};

static void held_release(struct held *x)
{
	free(x->hist_path);
	free(x->hist_rec);
	free(x->hist_blob);
	memset(x, 0, sizeof(*x));
}

static int read_held(struct dossier_archive *a, uint64_t record,
		     struct held *out)
{
	sqlite3_stmt *st = NULL;
	int rc = DOSSIER_ENOTFOUND;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "SELECT hist_path, hist_rec, hist_blob "
			       "FROM node WHERE id = ?1", &st) == 0) {
		int src;

		sqlite3_bind_int64(st, 1, (sqlite3_int64)record);
		src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			out->hist_path = dup_col(st, 0);
			out->hist_rec = dup_col(st, 1);
			out->hist_blob = dup_col(st, 2);
			rc = 0;
		} else if (src != SQLITE_DONE) {
			/* not "gone": a busy or failing catalog; try later */
			rc = dossier_db_err(a->db, src, "read record history");
		}
	} else {
		rc = DOSSIER_ERROR;
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

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

/*
 * A save whose bytes are exactly those of an earlier version of the
 * record (not of its current one) puts that version back: Explorer's
 * Restore from Previous Versions copies an old version over the record,
 * and so does anyone copying a version out of /.history. Such a save
 * becomes a "restore" naming the version put back (returns 1); anything
 * but a plain save is left alone. Archive lock taken here; a batch holds
 * one entry per record, so every earlier version is indexed already.
 */
static int restores_version(struct dossier_archive *a, struct entry *e,
			    const struct dossier_oid *blob,
			    const struct held *held)
{
	sqlite3_stmt *st = NULL;
	char hex[41], why[96] = "";

	if (strcmp(e->op, "save"))
		return 0;
	dossier_oid_fmt(hex, blob);
	if (held->hist_blob && !strcmp(held->hist_blob, hex))
		return 0;
	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "SELECT commit_oid FROM version WHERE record = ?1"
			       " AND blob = ?2 ORDER BY id DESC LIMIT 1",
			 &st) == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->record);
		sqlite3_bind_text(st, 2, hex, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(why, sizeof(why), "puts back version %.12s",
				 (const char *)sqlite3_column_text(st, 0));
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	dossier_error_clear();
	if (!why[0])
		return 0;
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
	sqlite3_stmt *st = NULL;

	if (why)
		dossier_log(LOG_ERR, "history: cannot commit %s of record %"
			    PRIu64 " ('%s'): %s", e->op, e->record,
			    e->path ? e->path : "", why);
	pthread_mutex_lock(&a->lock);
	if (archive_stmt(a, "DELETE FROM journal WHERE seq = ?1", &st) == 0) {
		sqlite3_bind_int64(st, 1, e->seq);
		dossier_db_step_done(a->db, st, "journal");
	}
	archive_stmt_done(st);
	history_live_prune(h, e->record);
	pthread_mutex_unlock(&a->lock);
	if (e->spool)
		unlinkat(h->spoolfd, e->spool, 0);
}

/*
 * The refs a commit moves, noted in the transaction that indexes it
 * (lock held); apply_refs moves them. Refs never point past the index.
 */
static int note_refs(struct dossier_archive *a, uint64_t record,
		     const char *commit, const char *rec)
{
	int rc = archive_exec(a, "INSERT OR REPLACE INTO ref_pending(record, "
			      "oid) VALUES(0, ?)", "t", commit);

	if (rc == 0 && rec)
		rc = archive_exec(a, "INSERT OR REPLACE INTO ref_pending("
				  "record, oid) VALUES(?, ?)", "it",
				  (int64_t)record, rec);
	return rc;
}

/* Move the refs noted by note_refs and forget the notes. */
static int apply_refs(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	struct { uint64_t record; struct dossier_oid id; } *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc;

	pthread_mutex_lock(&a->lock);
	rc = archive_stmt(a, "SELECT record, oid FROM ref_pending", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			void *nv;

			cap = cap ? cap * 2 : 64;
			if (!(nv = realloc(v, cap * sizeof(*v)))) {
				rc = DOSSIER_ERROR;
				dossier_error_set("out of memory");
				break;
			}
			v = nv;
		}
		v[n].record = (uint64_t)sqlite3_column_int64(st, 0);
		if (dossier_oid_parse(&v[n].id, (const char *)
				      sqlite3_column_text(st, 1)) == 0)
			n++;
	}
	archive_stmt_done(st);
	pthread_mutex_unlock(&a->lock);
	history_git_lock(h);
	for (i = 0; rc == 0 && i < n; i++)
		rc = dossier_git_set_ref(h->git, v[i].record, &v[i].id);
	history_git_unlock(h);
	free(v);
	if (rc == 0 && n) {
		pthread_mutex_lock(&a->lock);
		rc = archive_exec(a, "DELETE FROM ref_pending", "");
		pthread_mutex_unlock(&a->lock);
	}
	return rc;
}

/* A folder moved: every committed record below it moves in one commit. */
static int commit_move(struct dossier_history *h, const struct entry *e,
		       const struct dossier_git_sig *sig, const char *msg,
		       struct dossier_oid *commit)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	struct dossier_git_change *ch = NULL;
	struct dossier_oid *targets = NULL;
	char **paths = NULL;
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0, i, plen = strlen(e->old_path);
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	rc = dossier_db_prepare(a->db, "SELECT id, hist_path, hist_rec FROM "
				"node WHERE hist_rec IS NOT NULL AND "
				"substr(hist_path, 1, ?2) = ?1 || '/'", &st);
	if (rc == 0) {
		sqlite3_bind_text(st, 1, e->old_path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)plen + 1);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *hp = (const char *)sqlite3_column_text(st, 1);
			size_t len;

			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				ids = realloc(ids, cap * sizeof(*ids));
				paths = realloc(paths, cap * sizeof(*paths));
				targets = realloc(targets,
						  cap * sizeof(*targets));
				if (!ids || !paths || !targets) {
					rc = DOSSIER_ERROR;
					break;
				}
			}
			ids[n] = (uint64_t)sqlite3_column_int64(st, 0);
			len = strlen(e->path) + strlen(hp + plen) + 1;
			paths[n] = malloc(len);
			if (!paths[n]) {
				rc = DOSSIER_ERROR;
				break;
			}
			snprintf(paths[n], len, "%s%s", e->path, hp + plen);
			dossier_oid_parse(&targets[n], (const char *)
					  sqlite3_column_text(st, 2));
			n++;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	if (rc == 0 && n == 0) {
		/* nothing below the folder is in the repository yet */
		drop_entry(h, e, NULL);
		return 0;
	}
	if (rc == 0) {
		ch = calloc(n + 1, sizeof(*ch));
		if (!ch) {
			rc = DOSSIER_ERROR;
		} else {
			ch[0].path = e->old_path;
			for (i = 0; i < n; i++) {
				ch[i + 1].path = paths[i];
				ch[i + 1].target = &targets[i];
			}
			history_git_lock(h);
			rc = dossier_git_commit(h->git, ch, n + 1, sig, msg,
						commit);
			history_git_unlock(h);
		}
	}
	if (rc == 0) {
		/* the commit is indexed at once: its objects go to disk first */
		history_git_lock(h);
		rc = dossier_git_flush(h->git);
		history_git_unlock(h);
	}
	if (rc == 0) {
		pthread_mutex_lock(&a->lock);
		rc = dossier_db_exec(a->db, "BEGIN IMMEDIATE");
		for (i = 0; rc == 0 && i < n; i++) {
			char hex[41];

			dossier_oid_fmt(hex, commit);
			rc = dossier_db_prepare(a->db, "UPDATE node SET "
						"hist_path = ?2 WHERE id = ?1",
						&st);
			if (rc == 0) {
				sqlite3_bind_int64(st, 1, (sqlite3_int64)ids[i]);
				sqlite3_bind_text(st, 2, paths[i], -1,
						  SQLITE_STATIC);
				rc = dossier_db_step_done(a->db, st, "move");
				sqlite3_finalize(st);
			}
			if (rc == 0 &&
			    (rc = dossier_db_prepare(
				     a->db, "INSERT INTO version(record, "
				     "commit_oid, author_uid, author, op, path,"
				     " program, reason, time_ns) VALUES(?1, ?2,"
				     " ?3, ?4, 'move', ?5, ?6, ?7, ?8)",
				     &st)) == 0) {
				sqlite3_bind_int64(st, 1, (sqlite3_int64)ids[i]);
				sqlite3_bind_text(st, 2, hex, -1,
						  SQLITE_TRANSIENT);
				sqlite3_bind_int64(st, 3, e->uid);
				sqlite3_bind_text(st, 4, sig->name, -1,
						  SQLITE_STATIC);
				sqlite3_bind_text(st, 5, paths[i], -1,
						  SQLITE_STATIC);
				sqlite3_bind_text(st, 6, e->program, -1,
						  SQLITE_STATIC);
				sqlite3_bind_text(st, 7, e->reason, -1,
						  SQLITE_STATIC);
				sqlite3_bind_int64(st, 8, e->time_ns);
				rc = dossier_db_step_done(a->db, st, "version");
				sqlite3_finalize(st);
			}
		}
		if (rc == 0)
			rc = dossier_db_prepare(a->db, "DELETE FROM journal "
						"WHERE seq = ?1", &st);
		if (rc == 0) {
			sqlite3_bind_int64(st, 1, e->seq);
			rc = dossier_db_step_done(a->db, st, "journal");
			sqlite3_finalize(st);
		}
		if (rc == 0) {
			char hex[41];

			dossier_oid_fmt(hex, commit);
			rc = note_refs(a, e->record, hex, NULL);
		}
		if (rc == 0)
			rc = dossier_db_exec(a->db, "COMMIT");
		else
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_unlock(&a->lock);
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(ids);
	free(targets);
	free(ch);
	return rc;
}

/* Index a commit made for e and forget e, in one catalog transaction. */
static int index_commit(struct dossier_history *h, const struct entry *e,
			const char *author, const struct dossier_oid *commit,
			const struct dossier_oid *rec, const char *blob,
			int64_t size, const char *new_path)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	char chex[41], rhex[41];
	int rc;

	dossier_oid_fmt(chex, commit);
	if (rec)
		dossier_oid_fmt(rhex, rec);
	pthread_mutex_lock(&a->lock);
	rc = dossier_db_exec(a->db, "BEGIN IMMEDIATE");
	if (rc == 0)
		rc = archive_stmt(a, "INSERT INTO version(record, "
					"commit_oid, rec_commit, blob, size, "
					"author_uid, author, op, path, program,"
					" reason, time_ns) VALUES(?1, ?2, ?3, "
					"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
					&st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->record);
		sqlite3_bind_text(st, 2, chex, -1, SQLITE_STATIC);
		if (rec)
			sqlite3_bind_text(st, 3, rhex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, blob, -1, SQLITE_STATIC);
		if (blob)
			sqlite3_bind_int64(st, 5, size);
		sqlite3_bind_int64(st, 6, e->uid);
		sqlite3_bind_text(st, 7, author, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, e->op, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, e->path ? e->path : e->old_path ?
				  e->old_path : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, e->program, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, e->reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 12, e->time_ns);
		rc = dossier_db_step_done(a->db, st, "index version");
		archive_stmt_done(st);
	}
	/* a content version: its text is got in the background */
	if (rc == 0 && blob)
		rc = text_queue_version(a, sqlite3_last_insert_rowid(a->db),
					e->record);
	if (rc == 0)
		rc = archive_stmt(a, "UPDATE node SET hist_path = ?2,"
					" hist_rec = coalesce(?3, hist_rec), "
					"hist_blob = coalesce(?4, hist_blob) "
					"WHERE id = ?1", &st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)e->record);
		sqlite3_bind_text(st, 2, new_path, -1, SQLITE_STATIC);
		if (rec)
			sqlite3_bind_text(st, 3, rhex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, blob, -1, SQLITE_STATIC);
		rc = dossier_db_step_done(a->db, st, "record history");
		archive_stmt_done(st);
	}
	if (rc == 0)
		rc = archive_stmt(a, "DELETE FROM journal WHERE seq = ?1",
				      &st);
	if (rc == 0) {
		sqlite3_bind_int64(st, 1, e->seq);
		rc = dossier_db_step_done(a->db, st, "journal");
		archive_stmt_done(st);
	}
	if (rc == 0)
		rc = note_refs(a, e->record, chex, rec ? rhex : NULL);
	if (rc == 0)
		rc = dossier_db_exec(a->db, "COMMIT");
	else
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc == 0 && blob)
		text_kick(a->text);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

static int is_content_op(const char *op)
{
	return !strcmp(op, "create") || !strcmp(op, "save") ||
	       !strcmp(op, "restore") || !strcmp(op, "recovered") ||
	       !strcmp(op, "altered");
}

/*
 * Failures that may pass (a busy catalog or repository, a full or failing
 * disk): the entry stays in the journal and is tried again; anything else
 * (a name git cannot hold) is logged and dropped, so one bad entry never
 * stops the history.
 */
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

static int transient(int rc)
{
	return rc == DOSSIER_EBUSY || rc == DOSSIER_EIO ||
	       rc == DOSSIER_ENOSPC;
}

/*
 * Turn one journal entry into one commit (or nothing, if it changes
 * nothing in the repository). 1: the commit is made and out holds it and
 * the entry (e is left empty) for batch_finish to index; 0: nothing left
 * to do (dropped, or a folder move, indexed at once); < 0: kept in the
 * journal, to be tried again.
 */
static int commit_entry(struct dossier_history *h, struct entry *e,
			struct built *out)
{
	struct dossier_git_change ch[2];
	struct dossier_git_sig sig;
	struct dossier_oid blob, rec, commit, *recp = NULL;
	struct held held;
	char author[128], email[64], msg[2048], bhex[41];
	uint64_t size = 0;
	size_t n = 0;
	int rc, fd;
	const char *new_path = NULL;

	dossier_account_name(author, sizeof(author), e->uid);
	snprintf(email, sizeof(email), "uid-%d@dossierfs", (int)e->uid);
	sig.name = author;
	sig.email = email;
	sig.when = e->time_ns / 1000000000;
	build_message(e, msg, sizeof(msg));
	if (!strcmp(e->op, "move"))
		return commit_move(h, e, &sig, msg, &commit);
	if ((rc = read_held(h->a, e->record, &held)) < 0) {
		if (rc != DOSSIER_ENOTFOUND)
			return rc;	/* kept in the journal, retried */
		/* the record is gone (purged): nothing to record */
		drop_entry(h, e, "record no longer exists");
		return 0;
	}
	if (is_content_op(e->op)) {
		int lv = e->live ? live_begin(h, e) : 0;

		if (lv < 0 && transient(lv)) {
			held_release(&held);
			return lv;	/* kept in the journal, retried */
		}
		if (lv < 0 || (lv == 0 && e->seq == 0)) {
			if (lv < 0)
				drop_entry(h, e, dossier_error_last());
			dossier_error_clear();
			held_release(&held);
			return 0;
		}
		if ((rc = room_for(h, lv == 1 ? e->live_fd : -1, e)) < 0) {
			if (lv == 1)
				live_end(h, e, NULL);
			held_release(&held);
			return rc;	/* kept in the journal, retried */
		}
		history_git_lock(h);
		if (lv == 1) {
			rc = dossier_git_blob_from_fd(h->git, e->live_fd,
						      &blob, &size);
			history_git_unlock(h);
			if (live_end(h, e, rc == 0 ? &blob : NULL)) {
				held_release(&held);
				return 0;	/* purged meanwhile */
			}
			history_git_lock(h);
		} else if (e->has_data) {
			rc = dossier_git_blob_from_buffer(h->git, e->data,
							  e->datalen, &blob);
			size = e->datalen;
		} else if (e->spool) {
			fd = openat(h->spoolfd, e->spool, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				rc = DOSSIER_ENOTFOUND;
			} else {
				rc = dossier_git_blob_from_fd(h->git, fd, &blob,
							      &size);
				close(fd);
			}
		} else if (e->blob) {
			rc = dossier_oid_parse(&blob, e->blob);
			if (rc == 0)
				rc = dossier_git_blob_size(h->git, &blob,
							   &size);
		} else {
			rc = DOSSIER_EINVAL;
		}
		if (rc == 0) {
			history_git_unlock(h);
			if (restores_version(h->a, e, &blob, &held))
				build_message(e, msg, sizeof(msg));
			history_git_lock(h);
			rc = dossier_git_record_version(h->git, e->record,
							&blob, &sig, msg, &rec);
		}
		history_git_unlock(h);
		if (rc < 0 && transient(rc)) {
			held_release(&held);
			return rc;	/* kept in the journal, retried */
		}
		if (rc < 0) {
			drop_entry(h, e, dossier_error_last());
			dossier_error_clear();
			held_release(&held);
			return 0;
		}
		recp = &rec;
		dossier_oid_fmt(bhex, &blob);
	} else if (held.hist_rec) {
		dossier_oid_parse(&rec, held.hist_rec);
	}
	if (held.hist_path &&
	    (!e->path || strcmp(held.hist_path, e->path) ||
	     !strcmp(e->op, "delete"))) {
		ch[n].path = held.hist_path;
		ch[n].target = NULL;
		n++;
	}
	if (strcmp(e->op, "delete") && e->path && (recp || held.hist_rec)) {
		ch[n].path = e->path;
		ch[n].target = &rec;
		new_path = e->path;
		n++;
	}
	/* a reclassification changes no path: an empty commit records it */
	if (!strcmp(e->op, "classify"))
		new_path = held.hist_path;
	if (n == 0 && !recp && (strcmp(e->op, "classify") || !held.hist_path)) {
		/* e.g. a rename of a record whose first save is not in yet */
		drop_entry(h, e, NULL);
		held_release(&held);
		return 0;
	}
	history_git_lock(h);
	rc = dossier_git_commit(h->git, ch, n, &sig, msg, &commit);
	history_git_unlock(h);
	if (rc < 0 && transient(rc)) {
		held_release(&held);
		return rc;	/* kept in the journal, retried */
	}
	if (rc < 0) {
		drop_entry(h, e, dossier_error_last());
		dossier_error_clear();
		held_release(&held);
		return 0;
	}
	memset(out, 0, sizeof(*out));
	if (new_path && !(out->new_path = strdup(new_path))) {
		held_release(&held);
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	snprintf(out->author, sizeof(out->author), "%s", author);
	out->commit = commit;
	if (recp) {
		out->rec = rec;
		out->has_rec = 1;
		snprintf(out->bhex, sizeof(out->bhex), "%s", bhex);
	}
	out->size = (int64_t)size;
	out->e = *e;
	memset(e, 0, sizeof(*e));
	held_release(&held);
	return 1;
}

/*
 * Keep the repository compact (git lock taken here): pack loose objects
 * once too many piled up, merge packs beyond PACK_COUNT_LIMIT. Run every
 * few batches, not only when a drain ends: a bulk load keeps one drain
 * going for minutes, and a few hundred packs make every new object's
 * existence check rescan the pack folder.
 */
static void upkeep(struct dossier_history *h)
{
	size_t loose = 0;

	h->batches = 0;
	history_git_lock(h);
	if (dossier_git_loose_estimate(h->git, &loose) == 0 &&
	    loose > PACK_LOOSE_LIMIT && dossier_git_pack_loose(h->git) < 0)
		dossier_log(LOG_WARNING, "history: packing failed: %s",
			    dossier_error_last());
	else if (dossier_git_rollup(h->git, PACK_COUNT_LIMIT) < 0)
		dossier_log(LOG_WARNING, "history: merging packs failed: %s",
			    dossier_error_last());
	history_git_unlock(h);
	dossier_error_clear();
}

static void built_release(struct built *b)
{
	entry_release(&b->e);
	free(b->new_path);
	memset(b, 0, sizeof(*b));
}

/*
 * Put the batch's objects on disk, index its commits (each in its own
 * catalog transaction, with the refs it moves), then move the refs. A
 * commit that cannot be indexed stays in the journal with those after
 * it, for the next drain; refs never point past the index.
 */
static int batch_finish(struct dossier_history *h, size_t *n)
{
	struct built *v = h->built;
	size_t i;
	int rc, r;

	history_git_lock(h);
	rc = dossier_git_flush(h->git);
	history_git_unlock(h);
	for (i = 0; rc == 0 && i < *n; i++) {
		struct built *b = &v[i];

		rc = index_commit(h, &b->e, b->author, &b->commit,
				  b->has_rec ? &b->rec : NULL,
				  b->has_rec ? b->bhex : NULL, b->size,
				  b->new_path);
		if (rc == 0 && b->e.spool)
			unlinkat(h->spoolfd, b->e.spool, 0);
	}
	for (i = 0; i < *n; i++)
		built_release(&v[i]);
	if ((r = apply_refs(h)) < 0 && rc == 0)
		rc = r;
	history_git_lock(h);
	dossier_git_batch_end(h->git);
	history_git_unlock(h);
	/* between batches: upkeep may reopen the repository */
	if (*n && ++h->batches >= UPKEEP_BATCHES)
		upkeep(h);
	*n = 0;
	history_git_lock(h);
	dossier_git_batch_begin(h->git);
	history_git_unlock(h);
	return rc;
}

/*
 * Commit every due journal entry (every entry, with all) in batches: one
 * pack and one move of the refs per batch. Within a batch every entry is
 * of a different record, so what the catalog says a record holds is what
 * the batch built on; a folder move, which touches many records, ends the
 * batch before it. tidy: then keep the repository compact (upkeep); the
 * last drain before the daemon exits does not: merging packs can take
 * many seconds at 100k records, and an unmount should not wait for it
 * (the next daemon's upkeep does it). Then entries a rolled-back save
 * left behind (each holds a descriptor and a slot) are let go.
 */
static int drain(struct dossier_history *h, int all, int tidy)
{
	struct entry e;
	size_t n = 0, i;
	int64_t after = 0;
	int rc = 0, r, done = 0;
	char why[512] = "";

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&h->drain_lock);
	history_git_lock(h);
	dossier_git_batch_begin(h->git);
	history_git_unlock(h);
	while (rc == 0 && next_entry(h, dossier_clock_ns(), all, after, &e)) {
		for (i = 0; i < n && h->built[i].e.record != e.record; i++)
			;
		if (n && (i < n || n == BATCH_MAX || !strcmp(e.op, "move")) &&
		    (rc = batch_finish(h, &n)) < 0) {
			entry_release(&e);
			break;
		}
		after = e.seq;
		r = commit_entry(h, &e, &h->built[n]);
		if (r > 0)
			n++;
		else if (r < 0)
			rc = r;
		if (r < 0)	/* what follows may clear it: keep the reason */
			snprintf(why, sizeof(why), "%s of record %" PRIu64
				 ": %s", e.op, e.record,
				 dossier_error_last()[0] ?
				 dossier_error_last() : dossier_strerror(r));
		entry_release(&e);
		done++;
	}
	if ((r = batch_finish(h, &n)) < 0 && rc == 0)
		rc = r;
	history_git_lock(h);
	dossier_git_batch_end(h->git);
	history_git_unlock(h);
	if (done && tidy)
		upkeep(h);
	if (history_live_any(h)) {
		pthread_mutex_lock(&h->a->lock);
		prune(h, 0, 1);
		pthread_mutex_unlock(&h->a->lock);
	}
	pthread_mutex_unlock(&h->drain_lock);
	if (rc < 0 && why[0]) {
		dossier_error_clear();
		dossier_error_set("%s", why);
	}
	return rc;
}

int history_recovering(struct dossier_history *h)
{
	int r;

	pthread_mutex_lock(&h->qlock);
	r = h->recovering;
	pthread_mutex_unlock(&h->qlock);
	return r;
}

void history_wait_recovered(struct dossier_history *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->qlock);
	while (h->recovering)
		pthread_cond_wait(&h->recovered, &h->qlock);
	pthread_mutex_unlock(&h->qlock);
}

int history_drain(struct dossier_history *h, int all)
{
	/* what was journaled before a restart comes first */
	history_wait_recovered(h);
	return drain(h, all, 1);
}

int history_quiesce(struct dossier_history *h, int (*fn)(void *arg),
		    void *arg)
{
	int rc;

	pthread_mutex_lock(&h->drain_lock);
	history_git_lock(h);
	rc = fn(arg);
	history_git_unlock(h);
	pthread_mutex_unlock(&h->drain_lock);
	return rc;
}

/*
 * A drain that failed is tried again 250 ms later: say so once a minute
 * per reason, not 4 times a second (a full disk wrote 697 lines), and
 * always with a reason.
 */
struct failure {
	char why[256];
	int64_t at_ns;
};

static void drain_failed(int rc, struct failure *last)
{
	int64_t now = dossier_clock_ns();
	char why[256];

	snprintf(why, sizeof(why), "%s", dossier_error_last()[0] ?
		 dossier_error_last() : dossier_strerror(rc));
	dossier_error_clear();
	if (!strcmp(why, last->why) && now - last->at_ns < 60000000000LL)
		return;
	snprintf(last->why, sizeof(last->why), "%s", why);
	last->at_ns = now;
	dossier_log(LOG_ERR, "history: cannot commit journaled changes yet "
		    "(retried; the changes are safe in the journal): %s", why);
}

static int reconcile(struct dossier_history *h);

/*
 * What a restart finds (the journal left by the last daemon, content
 * changed without a save) is committed here, in the background: the
 * mount serves meanwhile (a backlog after a kill -9 kept it from
 * answering for 21 s, and a full disk kept it from mounting at all).
 * history_drain() waits for it, so 'dossierctl log' sees its result.
 */
static void recover(struct dossier_history *h, struct failure *last)
{
	int rc;

	/* only what was there before: new saves keep their window */
	if ((rc = drain(h, 0, 1)) < 0)
		drain_failed(rc, last);
	reconcile(h);
	if ((rc = drain(h, 0, 1)) < 0)
		drain_failed(rc, last);
	pthread_mutex_lock(&h->drain_lock);
	h->recover_upto = 0;
	pthread_mutex_unlock(&h->drain_lock);
	pthread_mutex_lock(&h->qlock);
	h->recovering = 0;
	pthread_cond_broadcast(&h->recovered);
	pthread_mutex_unlock(&h->qlock);
}

static void *committer(void *arg)
{
	struct dossier_history *h = arg;
	struct failure last = { "", 0 };
	struct timespec ts;
	int stop = 0, rc;

	/*
	 * Commit work (hashing, deflating, tree updates) is done in the
	 * background: let the requests of the people working on the mount
	 * have the CPU first. Journaled changes are safe meanwhile.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10) < 0)
		dossier_log(LOG_DEBUG, "history: cannot lower the committer's "
			    "priority: %s", strerror(errno));

	recover(h, &last);
	while (!stop) {
		pthread_mutex_lock(&h->qlock);
		if (!h->kicked && !h->stop) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 250000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&h->cond, &h->qlock, &ts);
		}
		h->kicked = 0;
		stop = h->stop;
		pthread_mutex_unlock(&h->qlock);
		if ((rc = drain(h, stop, !stop)) < 0)
			drain_failed(rc, &last);
		/* the daily purge of the trash runs here, between drains */
		if (!stop)
			trash_daily(h->a, dossier_clock_ns(), &h->next_purge_ns);
	}
	return NULL;
}

/*
 * After a crash between moving refs/heads/main and indexing the commit,
 * the head is a commit the version index does not know: it belongs to the
 * oldest journal entry. Index it instead of committing it again.
 */
static int heal_head(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	struct dossier_oid head, rec;
	sqlite3_stmt *st = NULL;
	char hex[41], author[128];
	struct entry e;
	int known = 0, rc;

	history_git_lock(h);
	rc = dossier_git_head(h->git, &head);
	history_git_unlock(h);
	if (rc < 0) {
		dossier_error_clear();
		return 0;
	}
	dossier_oid_fmt(hex, &head);
	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT 1 FROM version WHERE "
			       "commit_oid = ?1 LIMIT 1", &st) == 0) {
		sqlite3_bind_text(st, 1, hex, -1, SQLITE_STATIC);
		known = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	memset(&e, 0, sizeof(e));
	if (known || !next_entry(h, 0, 1, 0, &e))
		return 0;
	dossier_log(LOG_NOTICE, "history: indexing commit %s made before a "
		    "crash", hex);
	dossier_account_name(author, sizeof(author), e.uid);
	if (!strcmp(e.op, "move")) {
		entry_release(&e);
		return 0;	/* re-committed; the tree is the same */
	}
	history_git_lock(h);
	rc = e.path && strcmp(e.op, "delete") ?
		     dossier_git_lookup(h->git, &head, e.path, &rec) :
		     DOSSIER_ENOTFOUND;
	history_git_unlock(h);
	dossier_error_clear();
	if (rc == 0 && is_content_op(e.op)) {
		struct dossier_oid blob;
		char bhex[41];
		uint64_t size = 0;

		history_git_lock(h);
		rc = dossier_git_record_blob(h->git, &rec, &blob);
		if (rc == 0)
			rc = dossier_git_blob_size(h->git, &blob, &size);
		history_git_unlock(h);
		dossier_oid_fmt(bhex, &blob);
		if (rc == 0)
			rc = index_commit(h, &e, author, &head, &rec, bhex,
					  (int64_t)size, e.path);
	} else {
		rc = index_commit(h, &e, author, &head, NULL, NULL, 0,
				  strcmp(e.op, "delete") ? e.path : NULL);
	}
	if (rc == 0 && e.spool)
		unlinkat(h->spoolfd, e.spool, 0);
	entry_release(&e);
	dossier_error_clear();
	return 0;
}

/*
 * How the last daemon ended: "running" in the catalog's meta table while
 * one serves, "clean" once it committed everything and stopped. Returns
 * 1 if the last one stopped cleanly, and marks this
 * one as running. An archive of an older version has no such row: as
 * after a crash, its differences are "recovered".
 */
static int last_stop_clean(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int clean = 0;

	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT value FROM meta WHERE key = "
			       "'daemon'", &st) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		clean = !strcmp((const char *)sqlite3_column_text(st, 0),
				"clean");
	sqlite3_finalize(st);
	if (archive_exec(a, "INSERT OR REPLACE INTO meta(key, value) "
			 "VALUES('daemon', ?)", "t", "running") < 0)
		dossier_error_clear();
	pthread_mutex_unlock(&a->lock);
	return clean;
}

static void mark_stop_clean(struct dossier_archive *a)
{
	pthread_mutex_lock(&a->lock);
	if (archive_exec(a, "INSERT OR REPLACE INTO meta(key, value) "
			 "VALUES('daemon', ?)", "t", "clean") < 0)
		dossier_error_clear();
	pthread_mutex_unlock(&a->lock);
}

/* Has record id a journal row (a save made meanwhile)? Lock held. */
static int journal_busy(struct dossier_archive *a, uint64_t id)
{
	sqlite3_stmt *st = NULL;
	int busy = 1;

	if (archive_stmt(a, "SELECT 1 FROM journal WHERE record = ?1 LIMIT 1",
			 &st) < 0)
		return 1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	busy = sqlite3_step(st) != SQLITE_DONE;
	archive_stmt_done(st);
	return busy;
}

/*
 * A record's content file is gone from the store: nothing to commit, but
 * the archive's keepers must hear of it (reads fail with EIO meanwhile).
 */
static void content_missing(struct dossier_history *h, uint64_t id)
{
	struct dossier_archive *a = h->a;
	char *path, detail[512];

	pthread_mutex_lock(&a->lock);
	path = archive_node_path(a, id);
	pthread_mutex_unlock(&a->lock);
	snprintf(detail, sizeof(detail), "content file of record %" PRIu64
		 " missing from the content store; restore a version with "
		 "'dossierctl restore PATH REV'", id);
	dossier_log(LOG_ERR, "history: '%s': %s", path ? path : "", detail);
	audit_record(a->audit, NULL, "content-missing", path, 0, 0, detail);
	free(path);
}

/*
 * Content written but never saved (the daemon died before the close, or
 * the last closes were lost with the catalog's last transactions): compare
 * each live record's content with its snapshot and commit changes as
 * recovered. Records with journal entries are left to those. If the last
 * daemon stopped cleanly, nothing can have been left unsaved: a change is
 * content altered outside the archive (by someone with access to the
 * store), committed as "altered" with no author, logged as an error and
 * audited, never passed off as a save. Runs while the mount serves: a
 * record written meanwhile (its content changes while hashed, or it gets
 * a journal row) is left to its own save.
 */
/*
 * Which records to look at (lock not held; before the mount serves, so no
 * user has changed anything yet): their ids and the content's stat then.
 */
static void reconcile_select(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	h->recon_clean = last_stop_clean(a);
	pthread_mutex_lock(&a->lock);
	rc = dossier_db_prepare(a->db, "SELECT id, snap_mtime_ns, snap_size "
				"FROM node WHERE kind = 5 AND scratch = 0 AND "
				"deleted_ns IS NULL AND id NOT IN (SELECT "
				"record FROM journal)", &st);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
		char rel[64];
		struct stat cs;
		int64_t m;

		content_relpath(rel, sizeof(rel), id);
		if (fstatat(a->contentfd, rel, &cs, 0) < 0) {
			if (errno != ENOENT)
				continue;
			cs.st_size = -1;	/* missing: said later */
			cs.st_mtim.tv_sec = 0;
			cs.st_mtim.tv_nsec = 0;
		}
		m = (int64_t)cs.st_mtim.tv_sec * 1000000000 +
		    cs.st_mtim.tv_nsec;
		if (cs.st_size >= 0 &&
		    sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    sqlite3_column_int64(st, 1) == m &&
		    sqlite3_column_int64(st, 2) == cs.st_size)
			continue;
		if (h->nrecon == cap) {
			struct recon *nr;

			cap = cap ? cap * 2 : 64;
			nr = realloc(h->recon, cap * sizeof(*nr));
			if (!nr)
				break;
			h->recon = nr;
		}
		h->recon[h->nrecon].id = id;
		h->recon[h->nrecon].mtime_ns = m;
		h->recon[h->nrecon].size = cs.st_size;
		h->nrecon++;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
}

/* The newest journal row's seq (0: none), or INT64_MAX if unknown. */
static int64_t last_seq(struct dossier_archive *a)
{
	sqlite3_stmt *st = NULL;
	int64_t v = INT64_MAX;

	pthread_mutex_lock(&a->lock);
	if (dossier_db_prepare(a->db, "SELECT coalesce(max(seq), 0) FROM "
			       "journal", &st) == 0 &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	dossier_error_clear();
	return v;
}

static int same_stat(const struct stat *a, int64_t mtime_ns, int64_t size)
{
	return a->st_size == size &&
	       (int64_t)a->st_mtim.tv_sec * 1000000000 + a->st_mtim.tv_nsec ==
		       mtime_ns;
}

static int reconcile(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	size_t i;
	int rc, clean = h->recon_clean;

	for (i = 0; i < h->nrecon; i++) {
		struct recon *r = &h->recon[i];
		const struct dossier_caller nobody = { (uid_t)-1, (gid_t)-1,
						       0 };
		struct dossier_oid blob;
		struct held held;
		struct stat before, after;
		char rel[64], bhex[41], *path;
		int fd, busy;

		content_relpath(rel, sizeof(rel), r->id);
		fd = openat(a->contentfd, rel, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT && r->size < 0)
				content_missing(h, r->id);
			continue;
		}
		/*
		 * Changed since the mount began to serve, or while hashed: a
		 * user is at it, and their save records it.
		 */
		history_git_lock(h);
		rc = fstat(fd, &before) < 0 ||
		     !same_stat(&before, r->mtime_ns, r->size) ? DOSSIER_EBUSY :
		     dossier_git_blob_from_fd(h->git, fd, &blob, NULL);
		history_git_unlock(h);
		if (rc == 0 && (fstat(fd, &after) < 0 ||
				!same_stat(&after, r->mtime_ns, r->size)))
			rc = DOSSIER_EBUSY;
		close(fd);
		if (rc < 0 || read_held(a, r->id, &held) < 0) {
			dossier_error_clear();
			continue;
		}
		dossier_oid_fmt(bhex, &blob);
		if (held.hist_blob && !strcmp(held.hist_blob, bhex)) {
			held_release(&held);
			continue;
		}
		held_release(&held);
		pthread_mutex_lock(&a->lock);
		busy = journal_busy(a, r->id);
		path = archive_node_path(a, r->id);
		if (!busy)
			archive_journal(a, r->id, clean ? "altered" :
					"recovered", path, NULL, NULL, bhex,
					&nobody, clean ? "content changed "
					"outside dossierfs (found at mount)" :
					"content changed before a crash",
					dossier_clock_ns());
		pthread_mutex_unlock(&a->lock);
		if (busy) {
			free(path);
			continue;
		}
		if (clean) {
			dossier_log(LOG_ERR, "history: '%s' (record %" PRIu64
				    ") was changed outside dossierfs: "
				    "committed as 'altered', author unknown",
				    path ? path : "", r->id);
			audit_record(a->audit, NULL, "altered", path, 0, 0,
				     "content changed outside dossierfs");
		} else {
			dossier_log(LOG_NOTICE, "history: record %" PRIu64
				    " recovered after a crash", r->id);
		}
		free(path);
	}
	free(h->recon);
	h->recon = NULL;
	h->nrecon = 0;
	return 0;
}

/*
 * Snapshots no journal entry names: a crash between taking the snapshot
 * and journaling it (that close never returned). Only before the
 * committer starts, when nothing else writes the spool.
 */
static void sweep_spool(struct dossier_history *h)
{
	struct dossier_archive *a = h->a;
	sqlite3_stmt *st = NULL;
	struct dirent *de;
	DIR *d;
	int fd = dup(h->spoolfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	pthread_mutex_lock(&a->lock);
	dossier_db_prepare(a->db, "SELECT 1 FROM journal WHERE spool = ?1",
			   &st);
	while (st && (de = readdir(d))) {
		int used;

		if (de->d_name[0] == '.')
			continue;
		sqlite3_bind_text(st, 1, de->d_name, -1, SQLITE_STATIC);
		used = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!used && unlinkat(h->spoolfd, de->d_name, 0) == 0)
			dossier_log(LOG_INFO, "history: removed unjournaled "
				    "snapshot '%s'", de->d_name);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&a->lock);
	closedir(d);
}

int history_start(struct dossier_history *h)
{
	int rc;

	/* refs a crash kept from moving to commits already indexed */
	if ((rc = apply_refs(h)) < 0)
		return rc;
	heal_head(h);
	/* before anyone may write a snapshot that no row names yet */
	sweep_spool(h);
	/* before anyone may write: what differs now is not theirs */
	reconcile_select(h);
	h->recover_upto = last_seq(h->a);
	h->recovering = 1;
	if (pthread_create(&h->thread, NULL, committer, h) != 0) {
		h->recovering = 0;
		dossier_error_set("cannot start the history committer");
		return DOSSIER_ERROR;
	}
	h->running = 1;
	return 0;
}

void history_close(struct dossier_history *h)
{
	if (!h)
		return;
	if (h->running) {
		pthread_mutex_lock(&h->qlock);
		h->stop = 1;
		pthread_cond_signal(&h->cond);
		pthread_mutex_unlock(&h->qlock);
		pthread_join(h->thread, NULL);
		mark_stop_clean(h->a);
	}
	dossier_git_free(h->git);
	if (h->spoolfd >= 0)
		close(h->spoolfd);
	pthread_mutex_destroy(&h->git_lock);
	pthread_mutex_destroy(&h->drain_lock);
	pthread_mutex_destroy(&h->qlock);
	pthread_cond_destroy(&h->cond);
	pthread_cond_destroy(&h->recovered);
	free(h->recon);
	while (h->live)
		live_unlink(h, h->live);
	pthread_cond_destroy(&h->live_cond);
	free(h->built);
	free(h);
}
