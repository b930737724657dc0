#include "gitstore_i.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"

int changes_check_path(const char *path)
{
	const char *c = path;

	if (!path || !*path)
		goto bad;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.') ||
		    (len == 4 && strncasecmp(c, ".git", 4) == 0))
			goto bad;
		if (!slash)
			return 0;
		c = slash + 1;
	}
bad:
	dossier_error_set("invalid path '%s'", path ? path : "(null)");
	return DOSSIER_EINVAL;
}

enum shape {
	SHAPE_ABSENT,
	SHAPE_TREE,
	SHAPE_LEAF,	/* a gitlink (or, in a foreign tree, a blob) */
	SHAPE_BLOCKED,	/* a leading component is not a tree */
};

/* What path is in root (NULL: the empty tree). */
static int probe(struct dossier_git *git, git_tree *root, const char *path,
		 enum shape *out)
{
	git_tree *sub = NULL, *tree = root;
	const char *c = path;
	char *name = NULL;
	int gerr, rc = 0;

	*out = SHAPE_ABSENT;
	while (tree) {
		const char *slash = strchr(c, '/');
		size_t len = slash ? (size_t)(slash - c) : strlen(c);
		const git_tree_entry *e;
		git_tree *next = NULL;

		free(name);
		if (!(name = strndup(c, len))) {
			rc = gitstore_sys_fail(ENOMEM, "cannot look up '%s'",
					       path);
			break;
		}
		if (!(e = git_tree_entry_byname(tree, name)))
			break;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			*out = slash ? SHAPE_BLOCKED : SHAPE_LEAF;
			break;
		}
		if (!slash) {
			*out = SHAPE_TREE;
			break;
		}
		if ((gerr = git_tree_lookup(&next, git->repo,
					    git_tree_entry_id(e))) < 0) {
			rc = gitstore_fail(gerr, "cannot look up '%s'", path);
			break;
		}
		git_tree_free(sub);
		tree = sub = next;
		c = slash + 1;
	}
	free(name);
	git_tree_free(sub);
	return rc;
}

static int cmp_change(const void *a, const void *b)
{
	const struct dossier_git_change *const *x = a, *const *y = b;

	return strcmp((*x)->path, (*y)->path);
}

/* Is the first len bytes of key a path in sorted? */
static int has_path(const struct dossier_git_change **sorted, size_t n,
		    const char *key, size_t len)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *p = sorted[mid]->path;
		int r = strncmp(key, p, len);

		if (r == 0)
			r = p[len] == '\0' ? 0 : -1;
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/*
 * Reject change sets git_tree_create_updated() mishandles: it fails on a
 * path given twice, and silently undoes "remove a" when "a/x" is set in
 * the same call (it descends into a's old tree and writes it back).
 */
int changes_check(const struct dossier_git_change *changes, size_t n,
		  const struct dossier_git_change ***sorted_out)
{
	const struct dossier_git_change **sorted = NULL;
	size_t i;
	int rc = 0;

	*sorted_out = NULL;
	if (n == 0)
		return 0;
	if (!(sorted = calloc(n, sizeof(*sorted))))
		return gitstore_sys_fail(ENOMEM, "cannot commit");
	for (i = 0; i < n; i++) {
		if ((rc = changes_check_path(changes[i].path)) < 0)
			goto out;
		sorted[i] = &changes[i];
	}
	qsort(sorted, n, sizeof(*sorted), cmp_change);
	for (i = 0; i < n; i++) {
		const char *p = sorted[i]->path, *slash;

		if (i > 0 && strcmp(sorted[i - 1]->path, p) == 0) {
			dossier_error_set("path '%s' changed twice in a commit",
					  p);
			rc = DOSSIER_EINVAL;
			goto out;
		}
		for (slash = strchr(p, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			if (has_path(sorted, n, p, (size_t)(slash - p))) {
				dossier_error_set("path '%s' is inside '%.*s' "
						  "changed in the same commit",
						  p, (int)(slash - p), p);
				rc = DOSSIER_EINVAL;
				goto out;
			}
		}
	}
out:
	if (rc < 0)
		free(sorted);
	else
		*sorted_out = sorted;
	return rc;
}

int changes_check_one(struct dossier_git *git, git_tree *base,
		      const struct dossier_git_change *c)
{
	enum shape shape;
	git_oid target;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if (c->target) {
		to_git(&target, c->target);
		rc = gitstore_expect_type(git, &target, GIT_OBJECT_COMMIT,
					  NULL);
		if (rc == DOSSIER_ENOTFOUND) {
			dossier_error_clear();
			dossier_error_set("no record version %s for '%s'",
					  git_oid_tostr(hex, sizeof(hex),
							&target),
					  c->path);
		}
		if (rc < 0)
			return rc;
	}
	if ((rc = probe(git, base, c->path, &shape)) < 0)
		return rc;
	if (shape == SHAPE_BLOCKED) {
		dossier_error_set("a leading part of '%s' is not a folder",
				  c->path);
		return DOSSIER_ENOTDIR;
	}
	if (c->target && shape == SHAPE_TREE) {
		dossier_error_set("'%s' is a folder", c->path);
		return DOSSIER_EISDIR;
	}
	if (!c->target && shape == SHAPE_ABSENT) {
		dossier_error_set("cannot remove '%s': not in history",
				  c->path);
		return DOSSIER_ENOTFOUND;
	}
	return 0;
}
