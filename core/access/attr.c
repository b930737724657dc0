/*
 * What stat(2) shows a caller of a catalog node: the row's attributes, with
 * the permission bits the rules give that caller (core/access/decide.c),
 * and how long the kernel may keep them.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive_i.h"
#include "access_i.h"
#include "db_i.h"
#include "error.h"
#include "audit_i.h"
#include "history_i.h"
#include "meta_i.h"
#include "rules_i.h"
#include "text_i.h"
#include "trash_i.h"
#include "views_i.h"
#include "log.h"
#include "name.h"


/*
 * How long the kernel may cache names and attributes. The root, years and
 * categories look the same to every caller and change only through
 * dossierctl (which asks for invalidation). Every name below a category
 * may be visible to one caller and not another, so the kernel never
 * caches it: each path walk, by anyone, asks us again (TTL_CALLER).
 *
 * Attributes below a category are kept for a moment (TTL_CALLER_ATTR):
 * the kernel only reaches them through a name we just answered for the
 * same caller (the lookup's reply refreshes them), so this saves the
 * GETATTR that stat() would send right after every lookup. What another
 * caller could see in that second is the permission bits computed for
 * the caller before (never a name, a size or content that it was not
 * shown: it had to pass our lookup to get there); access itself is
 * decided at open and at every read of a guarded file, never from them.
 */
#define TTL_FIXED 60.0
#define TTL_CALLER 0.0
#define TTL_CALLER_ATTR 1.0

static void ns_to_ts(struct timespec *ts, int64_t ns)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

void access_fill_attr(struct dossier_archive *a, const struct node *n,
		      struct dossier_attr *out)
{
	struct stat *st = &out->st;
	(void)a;

	memset(out, 0, sizeof(*out));
	out->id = NODEID(n->id, n->cgen);
	out->kind = (enum dossier_kind)n->kind;
	st->st_ino = n->id;
	st->st_mode = n->mode;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	ns_to_ts(&st->st_mtim, n->mtime_ns);
	ns_to_ts(&st->st_ctim, n->ctime_ns);
	st->st_atim = st->st_mtim;
	out->save_source = access_is_save_source(n);
	if (n->kind <= DOSSIER_KIND_CATEGORY) {
		out->entry_ttl = TTL_FIXED;
		/* a category's link count counts the clients one may see */
		out->attr_ttl = n->kind == DOSSIER_KIND_CATEGORY ?
					TTL_CALLER_ATTR : TTL_FIXED;
	} else {
		out->entry_ttl = TTL_CALLER;
		out->attr_ttl = TTL_CALLER_ATTR;
	}
}

/*
 * The mode a caller sees: what they may do, the same for user, group and
 * other (so any tool's reading of the bits matches what open would do).
 */
static mode_t caller_mode(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n)
{
	mode_t m = 0;

	if (n->kind == DOSSIER_KIND_FILE) {
		if (archive_decide(a, who, n, NULL, DOSSIER_ACT_READ) == 0)
			m |= 0444;
		if (archive_decide(a, who, n, NULL, DOSSIER_ACT_WRITE) == 0)
			m |= 0222;
	} else {
		m = 0555;
		if (archive_decide(a, who, n, NULL, DOSSIER_ACT_CREATE) == 0)
			m |= 0222;
	}
	dossier_error_clear();
	return m;
}

/* Attributes of n; files take size and times from their content. */
int archive_node_attr(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      struct dossier_attr *out)
{
	char rel[64];
	struct stat cst;

	access_fill_attr(a, n, out);
	if (who && n->kind >= DOSSIER_KIND_CLIENT)
		out->st.st_mode = (n->mode & S_IFMT) | caller_mode(a, who, n);
	/*
	 * The kernel lets only an inode's owner set its ACL, so an approver
	 * sees the records they may lend as their own: that is what makes
	 * 'setfacl -m u:NAME:r' (a grant request) reach us.
	 */
	if (who && n->kind == DOSSIER_KIND_FILE && who->uid != n->uid &&
	    archive_decide(a, who, n, NULL, DOSSIER_ACT_GRANT) == 0)
		out->st.st_uid = who->uid;
	dossier_error_clear();
	if (n->kind != DOSSIER_KIND_FILE) {
		archive_folder_attr(a, who, n, &out->st);
		return 0;
	}
	content_relpath(rel, sizeof(rel), n->id);
	if (fstatat(a->contentfd, rel, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
		int saverr = errno;

		char *path = archive_node_path(a, n->id);

		dossier_error_set("content of record %" PRIu64 " ('%s') "
				  "unreadable: %s; restore a version with "
				  "'dossierctl restore PATH REV'", n->id,
				  path ? path : "", strerror(saverr));
		dossier_log(LOG_ERR, "%s", dossier_error_last());
		free(path);
		return DOSSIER_EIO;
	}
	out->st.st_size = cst.st_size;
	out->st.st_blocks = cst.st_blocks;
	out->st.st_blksize = cst.st_blksize;
	out->st.st_atim = cst.st_atim;
	out->st.st_mtim = cst.st_mtim;
	out->st.st_ctim = cst.st_ctim;
	return 0;
}

/* May src's content become another record's version (a save)? Scratch
 * files and records nothing was committed of yet (a temp that is not
 * recognisable by name, as Excel's) may; established records may not. */
int access_is_save_source(const struct node *src)
{
	return src->kind == DOSSIER_KIND_FILE && (src->scratch ||
						  !src->has_hist);
}
