#ifndef DOSSIER_CORE_JOURNAL_I_H
#define DOSSIER_CORE_JOURNAL_I_H

/*
 * The journal writer (core/history/journal_write.c): every change of a
 * record is a journal row written in the catalog's transaction; the
 * committer (committer.c, reading rows with journal.c) turns rows into
 * commits.
 */

#include <sys/stat.h>

#include "archive_i.h"

struct dossier_buf;

/*
 * Journal a change of record in the catalog (lock held; inside the
 * caller's transaction if one is open) and wake the committer.
 */
int archive_journal(struct dossier_archive *a, uint64_t record,
		    const char *op, const char *path, const char *old_path,
		    const char *spool, const char *blob,
		    const struct dossier_caller *who, const char *reason,
		    int64_t t);
/* The same for a content change whose snapshot is spool (a spool file)
 * or, when spool is "", data (kept in the journal row). */
struct dossier_buf;
int archive_journal_snap(struct dossier_archive *a, uint64_t record,
			 const char *op, const char *path, const char *spool,
			 const struct dossier_buf *data,
			 const struct dossier_caller *who, const char *reason,
			 int64_t t);

/* Is content of this stat journaled as a deferred snapshot? */
int journal_deferrable(struct dossier_archive *a, const struct stat *cs);

/*
 * Journal a content change of record id whose content is open as fd (cs:
 * its stat now): large content as a deferred snapshot (the row names the
 * inode; history_i.h), else copied now. Lock held.
 */
int journal_deferred(struct dossier_archive *a, uint64_t id,
			    const char *op, const char *path, int fd,
			    const struct stat *cs,
			    const struct dossier_caller *who,
			    const char *reason, int64_t t);

/*
 * Forget pending journal entries of record (all, or of one op), and the
 * content snapshots they held.
 */
int journal_forget(struct dossier_archive *a, uint64_t record,
			  const char *op);

/*
 * Journal a change of record n's content: snapshot it into the spool (so
 * the entry commits exactly this content) and remember the content's
 * stat for reconciliation. Lock held. Only when serving (history open).
 */
int journal_content(struct dossier_archive *a, uint64_t id,
			   const char *op, int fd,
			   const struct dossier_caller *who,
			   const char *reason, int64_t t);

/* Journal a rename or delete of a record (no content change). */
int journal_plain(struct dossier_archive *a, uint64_t id,
			 const char *op, const char *old_path,
			 const struct dossier_caller *who, int64_t t);

#endif
