#ifndef DOSSIER_CORE_ACCESS_I_H
#define DOSSIER_CORE_ACCESS_I_H

/*
 * Access (core/access/): who may see and do what. decide.c holds the
 * decision, visible.c the names a caller may see, attr.c the attributes
 * a caller is shown, revoke.c what a change of rights does to open files,
 * folder.c folder attributes beyond the row.
 */

#include "archive_i.h"
#include "rules.h"

struct dossier_verdict;
struct dossier_object;
struct statvfs;

/*
 * Entry id has just taken name nfc in parent for who (a create, a move,
 * a restore): if an entry hidden from who holds that name, or left it a
 * moment ago in an editor's save dance, id becomes its twin (twin_of),
 * else no twin at all. Lock held, in a transaction.
 */
int archive_take_name(struct dossier_archive *a,
		      const struct dossier_caller *who, uint64_t id,
		      uint64_t parent, const char *nfc, int64_t t);
/* Attributes of n as who sees them (who NULL: as stored). */
int archive_node_attr(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *n,
		      struct dossier_attr *out);
void archive_row_to_node(sqlite3_stmt *st, struct node *n);
/*
 * 0 if who may do act on n, else DOSSIER_EDENIED with the reason set
 * (not for a list: a hidden name has no reason) and the deciding rule
 * (dossier_error_rule).
 */
int archive_decide(struct dossier_archive *a, const struct dossier_caller *who,
		   const struct node *n, const struct node *parent,
		   enum dossier_action act);
/* archive_decide, keeping the verdict (its rule, grant, reason) in *v. */
int archive_check(struct dossier_archive *a, const struct dossier_caller *who,
		  const struct node *n, enum dossier_action act,
		  struct dossier_verdict *v);
/*
 * The full verdict (rule, grant, reason) of who doing act on n: the
 * question, with the facts of the tree, put to dossier_rules_ask.
 */
int archive_verdict(struct dossier_archive *a, const struct dossier_caller *who,
		    const struct node *n, enum dossier_action act,
		    struct dossier_verdict *v);
/* The rules' view of n. */
void archive_object(const struct node *n, struct dossier_object *o);
/*
 * A statement prepared once and kept for the archive's life (lock held):
 * sql must be a string literal, its address is the key. Hand it back with
 * archive_stmt_done (reset, bindings cleared), never finalize it.
 */
int archive_stmt(struct dossier_archive *a, const char *sql,
		 sqlite3_stmt **out);
void archive_stmt_done(sqlite3_stmt *st);
int archive_begin(struct dossier_archive *a);
int archive_end(struct dossier_archive *a, int rc);
/*
 * Something that may change who may do what happened (lock held): a
 * grant, a revoke, a policy or user edit, a reclassification. Forgets
 * cached folder answers, and every open record whose opener lost the
 * right it was opened with is refused from now on, its pages dropped
 * from the kernel's cache (queued; archive_notify_wait waits for it).
 * Every catalog write also forgets cached answers (archive_end).
 */
void archive_changed(struct dossier_archive *a);

/*
 * Wait until the kernel has dropped what archive_changed asked it to
 * (the lock must not be held: the kernel may wait on a request that
 * needs it). Before a command that took access away returns.
 */
void archive_notify_wait(struct dossier_archive *a);

/*
 * Folder attributes beyond the row (core/folder.c, lock held): st_nlink
 * is 2 + the sub-folders who may list (who NULL: all of them), st_atim
 * the access time set by utimensat(2), else the mtime.
 */
void archive_folder_attr(struct dossier_archive *a,
			 const struct dossier_caller *who,
			 const struct node *n, struct stat *st);
/*
 * 0 if record id may grow to end bytes (policy setting max-record-size),
 * else DOSSIER_EFBIG with the reason set. locked: the caller holds the
 * lock (core/limits.c).
 */
int archive_size_allowed(struct dossier_archive *a, uint64_t id, off_t end,
			 int locked);

/*
 * A refusal: one NOTICE log line and one audit row (path of id, plus
 * name when given, the reason and rule of the refusal's error state);
 * returns rc. The archive lock must not be held.
 */
int archive_deny(struct dossier_archive *a, const struct dossier_caller *who,
		 const char *op, uint64_t id, const char *name, int rc);

/* Log a refusal (NOTICE) and return rc; see archive_deny. */
int archive_refuse(const struct dossier_caller *who, const char *op,
		   uint64_t id, const char *name, int rc);

/*
 * Is twin n shown to who only under its disambiguated name? Yes when who
 * may list the entry it twins (wherever that is now, in the trash too):
 * a twin planted by someone who could not see that entry must never
 * stand in for it (a save of the hidden record would land in the twin).
 * Lock held.
 */
int access_twin_masked(struct dossier_archive *a,
		       const struct dossier_caller *who, const struct node *n);

void access_fill_attr(struct dossier_archive *a, const struct node *n,
		      struct dossier_attr *out);

/* May src's content become another record's version (a save)? Scratch
 * files and records nothing was committed of yet (a temp that is not
 * recognisable by name, as Excel's) may; established records may not. */
int access_is_save_source(const struct node *src);

/* May f's opener still do what f was opened for? Lock held. */
int access_file_allowed(struct dossier_archive *a, struct dossier_file *f,
			int writing);

int access_sweeper_start(struct dossier_archive *a);

void access_sweeper_stop(struct dossier_archive *a);

/*
 * Resolve a path inside the archive ("2024/contracts/ACME/x.pdf") to its
 * node, as who may see it (core/access/resolve.c). With deleted, the last
 * component may be a deleted record (its history lives on). A component
 * hidden from who answers as one nobody has: the same code, no message.
 * Lock held.
 */
int access_resolve(struct dossier_archive *a,
		   const struct dossier_caller *who, const char *path,
		   int deleted, struct node *out);

/*
 * May who make a new entry nfc in folder p (lock held)? 0; the decision's
 * refusal; DOSSIER_EEXISTS if who can see an entry of that name (one
 * hidden from who does not count: polyinstantiation).
 */
int access_may_create(struct dossier_archive *a,
		      const struct dossier_caller *who, const struct node *p,
		      const char *nfc);

#endif
