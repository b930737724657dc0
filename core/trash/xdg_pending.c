/*
 * GIO's .trashinfo files: what GIO writes into /.Trash-UID/info before it
 * moves a record into files/. They live in memory, never in the catalog
 * or in history, until the record moved (info/ then shows a .trashinfo
 * made up from the catalog), GIO unlinked them, or PENDING_TTL_NS passed
 * (GIO needs milliseconds). Each archive has its own list (a->trash).
 */
#include "trash_priv_i.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "name.h"

#define PENDING_MAX 256
#define PENDING_TTL_NS ((int64_t)600 * 1000000000)

/* A .trashinfo GIO writes into info/ before it moves the record. */
struct xdg_pending {
	struct xdg_pending *next;
	uid_t uid;
	gid_t gid;
	uint64_t serial;
	int fd;			/* memfd: the bytes GIO wrote */
	int64_t born_ns;
	char name[DOSSIER_NAME_MAX + 1];
};

/*
 * Lock rules: lock protects pending, npending and serial. It may be
 * taken with the archive's lock held, never the other way round.
 */
struct dossier_trash {
	pthread_mutex_t lock;
	struct xdg_pending *pending;	/* protected by lock */
	size_t npending;		/* protected by lock */
	uint64_t serial;		/* protected by lock */
};

int trash_open(struct dossier_trash **out)
{
	struct dossier_trash *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t) {
		dossier_error_set("out of memory");
		return DOSSIER_ERROR;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

/* Unlink *pp from t's list and free it. t->lock held. */
static void pending_free(struct dossier_trash *t, struct xdg_pending **pp)
{
	struct xdg_pending *p = *pp;

	*pp = p->next;
	close(p->fd);
	free(p);
	t->npending--;
}

void trash_close(struct dossier_trash *t)
{
	if (!t)
		return;
	while (t->pending)
		pending_free(t, &t->pending);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Drop what GIO left behind. t->lock held. */
static void pending_expire(struct dossier_trash *t)
{
	struct xdg_pending **pp = &t->pending;
	int64_t now = dossier_clock_ns();

	while (*pp)
		if (now - (*pp)->born_ns > PENDING_TTL_NS)
			pending_free(t, pp);
		else
			pp = &(*pp)->next;
}

/*
 * uid's pending file named name, or with serial when name is NULL; NULL
 * if none. t->lock held.
 */
static struct xdg_pending **pending_find(struct dossier_trash *t, uid_t uid,
					 const char *name, uint64_t serial)
{
	struct xdg_pending **pp;

	for (pp = &t->pending; *pp; pp = &(*pp)->next)
		if ((*pp)->uid == uid &&
		    (name ? !strcmp((*pp)->name, name) :
			    (*pp)->serial == serial))
			return pp;
	return NULL;
}

static void pending_attr(const struct xdg_pending *p, struct dossier_attr *out)
{
	struct stat fst;

	trash_file_attr(out, XDG_PEND_BASE | p->serial, 0600, p->uid, p->gid);
	if (fstat(p->fd, &fst) == 0) {
		out->st.st_size = fst.st_size;
		out->st.st_blocks = fst.st_blocks;
		out->st.st_mtim = fst.st_mtim;
	}
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
}

int trash_pending_attr(struct dossier_trash *t, uid_t uid, const char *name,
		       uint64_t serial, struct dossier_attr *out)
{
	struct xdg_pending **pp;
	int rc = DOSSIER_ENOTFOUND;

	pthread_mutex_lock(&t->lock);
	if ((pp = pending_find(t, uid, name, serial))) {
		pending_attr(*pp, out);
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int trash_pending_open(struct dossier_trash *t, uid_t uid, uint64_t serial,
		       int trunc, int *fd_out)
{
	struct xdg_pending **pp;
	int rc = DOSSIER_ENOTFOUND, fd = -1;

	pthread_mutex_lock(&t->lock);
	if ((pp = pending_find(t, uid, NULL, serial))) {
		fd = fcntl((*pp)->fd, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0 && trunc && ftruncate(fd, 0) < 0) {
			close(fd);
			fd = -1;
		}
		rc = fd < 0 ? dossier_err_from_errno(errno) : 0;
	}
	pthread_mutex_unlock(&t->lock);
	*fd_out = fd;
	return rc;
}

int trash_pending_list(struct dossier_trash *t, uid_t uid,
		       int (*add)(void *ctx, const char *name,
				  const struct dossier_attr *at),
		       void *ctx)
{
	struct dossier_attr at;
	struct xdg_pending *p;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	pending_expire(t);
	for (p = t->pending; p && rc == 0; p = p->next) {
		if (p->uid != uid)
			continue;
		pending_attr(p, &at);
		rc = add(ctx, p->name, &at);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

/* A new entry named name for who, at the head of t's list. t->lock held. */
static int pending_add(struct dossier_trash *t,
		       const struct dossier_caller *who, const char *name,
		       struct xdg_pending **out)
{
	struct xdg_pending *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p || (p->fd = memfd_create("trashinfo", MFD_CLOEXEC)) < 0) {
		int saverr = errno;

		dossier_error_set("cannot keep a .trashinfo: %s",
				  strerror(saverr));
		free(p);
		return dossier_err_from_errno(saverr);
	}
	p->uid = who->uid;
	p->gid = who->gid;
	p->serial = ++t->serial;
	p->born_ns = dossier_clock_ns();
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->next = t->pending;
	t->pending = p;
	t->npending++;
	*out = p;
	return 0;
}

int trash_pending_create(struct dossier_trash *t,
			 const struct dossier_caller *who, const char *name,
			 struct dossier_attr *out, int *fd_out)
{
	struct xdg_pending *p = NULL;
	int rc = 0, fd = -1;

	*fd_out = -1;
	pthread_mutex_lock(&t->lock);
	pending_expire(t);
	if (pending_find(t, who->uid, name, 0)) {
		rc = DOSSIER_EEXISTS;
		goto out;
	}
	if (t->npending >= PENDING_MAX) {
		dossier_error_set("too many .trashinfo files being written");
		rc = DOSSIER_ENOSPC;
		goto out;
	}
	if ((rc = pending_add(t, who, name, &p)) < 0)
		goto out;
	if ((fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		dossier_error_set("cannot keep a .trashinfo: %s",
				  strerror(errno));
		rc = dossier_err_from_errno(errno);
		pending_free(t, &t->pending);
		goto out;
	}
	pending_attr(p, out);
	*fd_out = fd;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int trash_pending_remove(struct dossier_trash *t, uid_t uid, const char *name)
{
	struct xdg_pending **pp;
	int rc = DOSSIER_ENOTFOUND;

	pthread_mutex_lock(&t->lock);
	if ((pp = pending_find(t, uid, name, 0))) {
		pending_free(t, pp);
		rc = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int trash_pending_setattr(struct dossier_trash *t, uid_t uid, uint64_t serial,
			  unsigned set, off_t size, struct dossier_attr *out)
{
	struct xdg_pending **pp;
	int rc = DOSSIER_ENOTFOUND;

	pthread_mutex_lock(&t->lock);
	if ((pp = pending_find(t, uid, NULL, serial))) {
		rc = 0;
		if ((set & DOSSIER_SET_SIZE) &&
		    ftruncate((*pp)->fd, size) < 0) {
			dossier_error_set("cannot truncate a .trashinfo: %s",
					  strerror(errno));
			rc = dossier_err_from_errno(errno);
		}
		/* modes, owners and times: accepted and ignored */
		pending_attr(*pp, out);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int trash_pending_rename(struct dossier_trash *t, uid_t uid, const char *name,
			 const char *newname, unsigned flags)
{
	struct xdg_pending **src, **dst;
	int rc = DOSSIER_ENOTFOUND;

	pthread_mutex_lock(&t->lock);
	if (!(src = pending_find(t, uid, name, 0)))
		goto out;
	rc = 0;
	if ((dst = pending_find(t, uid, newname, 0)) && *dst != *src) {
		if (flags & DOSSIER_RENAME_NOREPLACE) {
			rc = DOSSIER_EEXISTS;
			goto out;
		}
		/* replace it: GIO's temporary file onto its placeholder */
		pending_free(t, dst);
		src = pending_find(t, uid, name, 0);
	}
	if (src)
		snprintf((*src)->name, sizeof((*src)->name), "%s", newname);
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}
