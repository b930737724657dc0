#ifndef DOSSIER_CORE_HISTORY_I_H
#define DOSSIER_CORE_HISTORY_I_H

/*
 * History (core-only): every change of a record is journaled in the
 * catalog at the moment it happens (in the same transaction, or at close
 * with a snapshot of the content), and a committer thread turns due
 * journal entries into commits of the history repository, one commit per
 * entry, plus one row of the version index.
 */

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "buf.h"
#include "gitstore.h"

struct dossier_history;

/*
 * How long a journaled change waits before it is committed, so that the
 * steps of an editor's save (delete then rename, rename away then create)
 * collapse into one entry. Revivals only look this far back.
 */
#define HISTORY_WINDOW_NS 1000000000LL

/*
 * Open (with create, create) the repository of archive a. Does not start
 * the committer. Caller frees with history_close().
 */
int history_open(struct dossier_history **out, struct dossier_archive *a,
		 int create);

/*
 * Heal after a crash (the last commit made but not indexed), commit what
 * the journal holds and reconcile current content with the last commit,
 * committing differences as recovered changes; then start the committer
 * thread.
 */
int history_start(struct dossier_history *h);

/* Stop the committer after committing everything journaled; free h. */
void history_close(struct dossier_history *h);

/* Wake the committer (a change was journaled). */
void history_kick(struct dossier_history *h);

/* The repository; use under history_git_lock(). */
struct dossier_git *history_git(struct dossier_history *h);
void history_git_lock(struct dossier_history *h);
void history_git_unlock(struct dossier_history *h);

/*
 * Snapshot the whole content of fd: what the journal entry will commit,
 * whatever happens to the record afterwards. Up to HISTORY_INLINE_MAX
 * bytes go to data (the journal row keeps them) and name is ""; larger
 * content is copied into a new spool file whose name goes to name (at
 * least 32 bytes).
 */
#define HISTORY_INLINE_MAX (64 * 1024)
int history_spool(struct dossier_history *h, int fd, char *name,
		  size_t namesz, struct dossier_buf *data);

/* Remove a spool file that no journal entry took. */
void history_discard_spool(struct dossier_history *h, const char *name);

/* The program name of pid (from /proc), or "?" */
void history_program(int pid, char *out, size_t outsz);

/* Commit everything due now (or everything, with all); for tests/shutdown. */
int history_drain(struct dossier_history *h, int all);

#endif
