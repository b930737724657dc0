#ifndef DOSSIER_CORE_VATTR_I_H
#define DOSSIER_CORE_VATTR_I_H

#include "archive_i.h"

/* Attributes of a read-only virtual folder (0555, now). */
void views_dir_attr(uint64_t ino, struct dossier_attr *out);

/* Attributes of version vid of record rec (read-only, its own inode). */
void views_version_attr(const struct node *rec, int64_t vid, int64_t size,
			int64_t time_ns, struct dossier_attr *out);

/*
 * May who read the history of n? 0; DOSSIER_EHIDDEN if who may not list
 * n; DOSSIER_EDENIED if who may list a record but not its history.
 */
int views_may_see_history(struct dossier_archive *a,
			  const struct dossier_caller *who,
			  const struct node *n);

/* views_may_see_history, and the rule that allowed it into *rule. */
int views_history_right(struct dossier_archive *a,
			const struct dossier_caller *who, const struct node *n,
			int64_t *rule);

#endif
