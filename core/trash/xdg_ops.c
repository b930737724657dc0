/*
 * What changes in /.Trash-UID: the mkdir, create, unlink, setattr and
 * rename GIO sends while it trashes a record, a move into files/ (an
 * unlink, tree/), a move out of it (a restore), and the refusal to empty
 * the trash early.
 */
#include "trash_priv_i.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "access_i.h"
#include "error.h"
#include "name.h"

static const char xdg_no_early_empty[] =
	"the trash is emptied by the retention policy ('dossierctl purge' "
	"after trash-days), never early: move a record out of files/ to "
	"restore it";

int trash_xdg_mkdir(struct dossier_archive *a, const struct dossier_caller *who,
		    uint64_t parent, const char *name, struct dossier_attr *out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	int rc, which = -1;

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "mkdir", parent, name, rc);
	if (parent == DOSSIER_ROOT_ID) {
		if (trash_xdg_own_top(who, nfc))
			which = XDG_TOP;
	} else if (trash_xdg_dir_of(parent, who) < 0) {
		rc = DOSSIER_ENOTFOUND;
	} else if (trash_xdg_dir_of(parent, who) == XDG_TOP) {
		which = !strcmp(nfc, "files") ? XDG_FILES :
			!strcmp(nfc, "info") ? XDG_INFO : -1;
	}
	/* they always exist: "made" is the answer GIO can go on with */
	if (rc == 0 && which >= 0) {
		trash_xdg_dir_attr(who, which, out);
		return 0;
	}
	if (rc == 0) {
		dossier_error_set(parent == DOSSIER_ROOT_ID ?
				  "only year folders live at the top; deleted "
				  "records are in /.trash" :
				  "the trash at the top has files/ and info/ "
				  "and nothing else");
		rc = DOSSIER_ESTRUCTURE;
	}
	return archive_deny(a, who, "mkdir", parent, nfc, rc);
}

/* May nfc be created in parent (a folder of who's trash, or the root)? */
static int may_create(const struct dossier_caller *who, uint64_t parent,
		      const char *nfc)
{
	int which = trash_xdg_dir_of(parent, who);

	if (parent != DOSSIER_ROOT_ID && which < 0)
		return DOSSIER_ENOTFOUND;
	if (which != XDG_INFO || !strstr(nfc, INFO_SUFFIX)) {
		dossier_error_set(parent == DOSSIER_ROOT_ID ?
				  "files live inside a client folder "
				  "(YEAR/CATEGORY/CLIENT/...)" :
				  "the trash at the top takes records by a "
				  "move into files/, and .trashinfo files in "
				  "info/");
		return DOSSIER_ESTRUCTURE;
	}
	return 0;
}

int trash_xdg_create(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, int flags, struct dossier_attr *out,
		     int *fd_out)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL;
	size_t n = 0;
	int rc;

	(void)flags;	/* a new name: O_EXCL or not, nothing to open */
	*fd_out = -1;
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "create", parent, name, rc);
	if ((rc = may_create(who, parent, nfc)) < 0)
		return archive_deny(a, who, "create", parent, nfc, rc);
	pthread_mutex_lock(&a->lock);
	if ((rc = trash_xdg_entries(a, who, &e, &n)) == 0 &&
	    trash_xdg_find(e, n, nfc, 1))
		rc = DOSSIER_EEXISTS;
	if (rc == 0)
		rc = trash_pending_create(a->trash, who, nfc, out, fd_out);
	pthread_mutex_unlock(&a->lock);
	trash_entries_free(e, n);
	return rc < 0 ? archive_deny(a, who, "create", parent, nfc, rc) : 0;
}

int trash_xdg_unlink(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, int dir)
{
	char nfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL;
	size_t n = 0;
	int rc, which = trash_xdg_dir_of(parent, who);
	const char *op = dir ? "rmdir" : "unlink";

	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, op, parent, name, rc);
	rc = DOSSIER_ENOTFOUND;
	if (parent == DOSSIER_ROOT_ID ? trash_xdg_own_top(who, nfc) :
	    which == XDG_TOP ? !strcmp(nfc, "files") || !strcmp(nfc, "info") :
	    0) {
		dossier_error_set("the trash at the top is the archive's own "
				  "view: it cannot be removed");
		return archive_deny(a, who, op, parent, nfc,
				    DOSSIER_ESTRUCTURE);
	}
	if (which != XDG_FILES && which != XDG_INFO)
		return archive_deny(a, who, op, parent, nfc, rc);
	/* GIO takes its .trashinfo back when the move failed */
	if (which == XDG_INFO && !dir &&
	    trash_pending_remove(a->trash, who->uid, nfc) == 0)
		return 0;
	pthread_mutex_lock(&a->lock);
	if ((rc = trash_xdg_entries(a, who, &e, &n)) == 0) {
		rc = DOSSIER_ENOTFOUND;
		if (trash_xdg_find(e, n, nfc, which == XDG_INFO)) {
			/* "Empty Trash", rm: the purge alone destroys */
			dossier_error_set("%s", xdg_no_early_empty);
			rc = DOSSIER_ESTRUCTURE;
		}
	}
	pthread_mutex_unlock(&a->lock);
	trash_entries_free(e, n);
	return archive_deny(a, who, op, parent, nfc, rc);
}

int trash_xdg_setattr(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t ino,
		      const struct stat *st, unsigned set,
		      struct dossier_attr *out)
{
	int rc;

	if (VIRT_KIND(ino) == 7) {
		/*
		 * The kernel writes back the times of a file GIO replaced
		 * or removed after the fact: nothing to keep, no refusal.
		 */
		memset(out, 0, sizeof(*out));
		out->id = out->st.st_ino = ino;
		out->st.st_mode = S_IFREG | 0600;
		out->st.st_uid = who->uid;
		out->st.st_gid = who->gid;
		rc = trash_pending_setattr(a->trash, who->uid, VIRT_ID(ino),
					   set, st->st_size, out);
		if (rc == DOSSIER_ENOTFOUND)
			rc = 0;
	} else {
		pthread_mutex_lock(&a->lock);
		rc = trash_xdg_getattr(a, who, ino, out);
		pthread_mutex_unlock(&a->lock);
		if (rc == 0 && (set & DOSSIER_SET_SIZE)) {
			dossier_error_set("the trash at the top is read-only "
					  "but for GIO's .trashinfo files");
			rc = DOSSIER_EREADONLY;
		}
	}
	return rc < 0 ? archive_deny(a, who, "setattr", ino, NULL, rc) : 0;
}

int trash_xdg_writable(const struct dossier_caller *who, uint64_t ino)
{
	return trash_xdg_dir_of(ino, who) >= 0 || VIRT_KIND(ino) == 7;
}

/* Rename GIO's info/nfc to info/nnfc. Lock held. */
static int xdg_rename_info(struct dossier_archive *a,
			   const struct dossier_caller *who, const char *nfc,
			   const char *nnfc, unsigned flags)
{
	struct trash_entry *e = NULL;
	size_t n = 0;
	int rc;

	if ((rc = trash_xdg_entries(a, who, &e, &n)) < 0)
		return rc;
	if (trash_xdg_find(e, n, nfc, 1) || trash_xdg_find(e, n, nnfc, 1)) {
		dossier_error_set("the .trashinfo of a record in the trash "
				  "comes and goes with the record");
		rc = DOSSIER_ESTRUCTURE;
	}
	trash_entries_free(e, n);
	if (rc == 0)
		rc = trash_pending_rename(a->trash, who->uid, nfc, nnfc, flags);
	return rc;
}

int trash_xdg_rename(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t parent,
		     const char *name, uint64_t newparent,
		     const char *newname, unsigned flags)
{
	char nfc[DOSSIER_NAME_MAX + 1], nnfc[DOSSIER_NAME_MAX + 1];
	struct trash_entry *e = NULL, *t;
	size_t n = 0;
	int rc, from = trash_xdg_dir_of(parent, who);
	int to = trash_xdg_is(newparent) ? trash_xdg_dir_of(newparent, who) :
					   -2;

	dossier_error_clear();
	if ((rc = dossier_name_normalize(nfc, sizeof(nfc), name)) < 0)
		return archive_deny(a, who, "rename", parent, name, rc);
	if ((rc = dossier_name_normalize(nnfc, sizeof(nnfc), newname)) < 0)
		return archive_deny(a, who, "rename", newparent, newname, rc);
	if (from == XDG_FILES && !ino_is_virtual(newparent)) {
		/* Restore: out of files/ as out of /.trash */
		pthread_mutex_lock(&a->lock);
		if ((rc = trash_xdg_entries(a, who, &e, &n)) == 0) {
			t = trash_xdg_find(e, n, nfc, 0);
			rc = t ? trash_restore_entry(a, who, t, newparent,
						     nnfc) :
				 DOSSIER_ENOTFOUND;
		}
		pthread_mutex_unlock(&a->lock);
		trash_entries_free(e, n);
		return trash_restore_done(a, who, parent, nfc, rc);
	}
	if ((trash_xdg_is(parent) && from < 0) || to == -1) {
		rc = DOSSIER_ENOTFOUND;	/* another user's */
	} else if (from == XDG_INFO && to == XDG_INFO) {
		pthread_mutex_lock(&a->lock);
		rc = xdg_rename_info(a, who, nfc, nnfc, flags);
		pthread_mutex_unlock(&a->lock);
	} else {
		dossier_error_set("records come into the trash at the top by a "
				  "move into files/ and go back by a move out "
				  "of it");
		rc = DOSSIER_ESTRUCTURE;
	}
	return rc < 0 ? archive_deny(a, who, "rename", parent, nfc, rc) : 0;
}

int trash_xdg_may_take(const struct dossier_caller *who, uint64_t newparent,
		       int dir)
{
	int which = trash_xdg_dir_of(newparent, who);

	if (which < 0)
		return VIRT_KIND(newparent) == 5 ? DOSSIER_ENOTFOUND :
						   DOSSIER_ENOTDIR;
	if (which != XDG_FILES) {
		dossier_error_set("the trash at the top takes records moved "
				  "into its files/ folder");
		return DOSSIER_ESTRUCTURE;
	}
	if (dir) {
		/*
		 * NEEDSWORK: a folder could go record by record, as rm -r
		 * does; file managers fall back to Delete, which does that.
		 */
		dossier_error_set("a folder goes to the trash by Delete "
				  "(rm -r), which moves its records one by "
				  "one; Move to Trash takes records");
		return DOSSIER_ESTRUCTURE;
	}
	return 0;
}

void trash_xdg_taken(struct dossier_archive *a,
		     const struct dossier_caller *who, const char *newname)
{
	char nfc[DOSSIER_NAME_MAX + 1], info[DOSSIER_NAME_MAX + 1];

	if (dossier_name_normalize(nfc, sizeof(nfc), newname) < 0) {
		dossier_error_clear();
		return;
	}
	if ((size_t)snprintf(info, sizeof(info), "%s" INFO_SUFFIX, nfc) >=
	    sizeof(info))
		return;
	trash_pending_remove(a->trash, who->uid, info);
}
