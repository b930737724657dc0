/*
 * Attributes of the virtual trees' entries, shared by the history views
 * (views.c) and every folder's .snapshots (snapshots.c).
 */
#include "vattr_i.h"

#include <string.h>

#include "access_i.h"
#include "error.h"

void views_dir_attr(uint64_t ino, struct dossier_attr *out)
{
	int64_t now;

	memset(out, 0, sizeof(*out));
	out->id = ino;
	out->kind = DOSSIER_KIND_FOLDER;
	out->st.st_ino = ino;
	out->st.st_mode = S_IFDIR | 0555;
	out->st.st_nlink = 1;
	out->st.st_blksize = 4096;
	now = dossier_clock_ns();
	out->st.st_mtim.tv_sec = now / 1000000000;
	out->st.st_mtim.tv_nsec = now % 1000000000;
	out->st.st_atim = out->st.st_ctim = out->st.st_mtim;
}

void views_version_attr(const struct node *rec, int64_t vid, int64_t size,
			int64_t time_ns, struct dossier_attr *out)
{
	memset(out, 0, sizeof(*out));
	out->id = HIST_VER_BASE | (uint64_t)vid;
	out->kind = DOSSIER_KIND_FILE;
	out->st.st_ino = out->id;
	out->st.st_mode = S_IFREG | 0444;
	out->st.st_nlink = 1;
	out->st.st_uid = rec->uid;
	out->st.st_gid = rec->gid;
	out->st.st_size = size;
	out->st.st_blocks = (size + 511) / 512;
	out->st.st_blksize = 4096;
	out->st.st_mtim.tv_sec = time_ns / 1000000000;
	out->st.st_mtim.tv_nsec = time_ns % 1000000000;
	out->st.st_ctim = out->st.st_atim = out->st.st_mtim;
}

int views_may_see_history(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n)
{
	int64_t rule;

	return views_history_right(a, who, n, &rule);
}

int views_history_right(struct dossier_archive *a,
			const struct dossier_caller *who, const struct node *n,
			int64_t *rule)
{
	struct dossier_verdict v;

	if (archive_check(a, who, n, DOSSIER_ACT_LIST, &v) < 0)
		return DOSSIER_EHIDDEN;
	if (n->kind == DOSSIER_KIND_FILE &&
	    archive_check(a, who, n, DOSSIER_ACT_HISTORY, &v) < 0)
		return DOSSIER_EDENIED;
	*rule = v.rule;
	return 0;
}
