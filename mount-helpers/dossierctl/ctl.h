#ifndef DOSSIER_MOUNT_HELPERS_CTL_H
#define DOSSIER_MOUNT_HELPERS_CTL_H

#include <getopt.h>
#include <stdio.h>

#include "archive.h"
#include "backup.h"

/* Exit codes (PRODUCT.md): 0 ok, 1 refused or failed, 2 usage. */
enum {
	CTL_OK = 0,
	CTL_REFUSED = 1,
	CTL_USAGE = 2,
};

/* Global options given before the command. */
struct ctl {
	const char *archive;	/* -a ARCHIVE, or NULL */
};

struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl *ctl, int argc, char **argv);
	const char *summary;
};

int cmd_init(struct ctl *ctl, int argc, char **argv);
int cmd_category(struct ctl *ctl, int argc, char **argv);
int cmd_log(struct ctl *ctl, int argc, char **argv);
int cmd_show(struct ctl *ctl, int argc, char **argv);
int cmd_diff(struct ctl *ctl, int argc, char **argv);
int cmd_restore(struct ctl *ctl, int argc, char **argv);
int cmd_trash(struct ctl *ctl, int argc, char **argv);
int cmd_restore_deleted(struct ctl *ctl, int argc, char **argv);
int cmd_purge(struct ctl *ctl, int argc, char **argv);
int cmd_register(struct ctl *ctl, int argc, char **argv);
int cmd_approve_destruction(struct ctl *ctl, int argc, char **argv);
int cmd_hold(struct ctl *ctl, int argc, char **argv);
int cmd_release(struct ctl *ctl, int argc, char **argv);
int cmd_due(struct ctl *ctl, int argc, char **argv);
int cmd_sync(struct ctl *ctl, int argc, char **argv);
int cmd_audit(struct ctl *ctl, int argc, char **argv);
int cmd_user(struct ctl *ctl, int argc, char **argv);
int cmd_grant(struct ctl *ctl, int argc, char **argv);
int cmd_grants(struct ctl *ctl, int argc, char **argv);
int cmd_revoke(struct ctl *ctl, int argc, char **argv);
int cmd_explain(struct ctl *ctl, int argc, char **argv);
int cmd_policy(struct ctl *ctl, int argc, char **argv);
int cmd_mount(struct ctl *ctl, int argc, char **argv);
int cmd_unmount(struct ctl *ctl, int argc, char **argv);
int cmd_views(struct ctl *ctl, int argc, char **argv);

struct mntent;
/*
 * 1 if m is a per-user view (mounted for one user, no allow_other): not
 * the archive's shared mount, which commands talk to.
 */
int ctl_is_view(const struct mntent *m);

/*
 * The absolute path of a view's folder, resolved through its parent only
 * (root may not enter a view). Caller frees; NULL on error.
 */
char *ctl_view_dir(const char *dir);
int cmd_search(struct ctl *ctl, int argc, char **argv);
int cmd_ocr(struct ctl *ctl, int argc, char **argv);
int cmd_backup(struct ctl *ctl, int argc, char **argv);
int cmd_restore_backup(struct ctl *ctl, int argc, char **argv);
int cmd_verify(struct ctl *ctl, int argc, char **argv);

/*
 * A listing: columns named in cols ("NAME", or "NAME:n" for a number),
 * printed as a table aligned by display width, or with json as
 * {"name": [{"col": value, ...}, ...]} (column names in lower case).
 * ctl_table_print() prints (nothing for an empty table) and frees. Both
 * take a NULL table (one ctl_table_new() could not make) and fail.
 */
struct ctl_table;
struct ctl_table *ctl_table_new(const char *name, int json,
				const char *const *cols, size_t n);
int ctl_table_add(struct ctl_table *t, const char *const *vals);
int ctl_table_print(struct ctl_table *t);
/* Print body's lines of tab-separated fields as such a listing. */
int ctl_print_rows(const char *name, int json, const char *const *cols,
		   size_t n, const char *body);

/*
 * Take "--json" out of argv (before a "--"), for commands that parse
 * their own arguments; 1 if it was there.
 */
int ctl_take_json(int *argc, char **argv);

/* Progress on standard error when it is a terminal, else NULL. */
const struct dossier_progress *ctl_progress(void);
/* Clear the progress line. */
void ctl_progress_done(void);

/*
 * A snapshot of the archive to back up or verify (request backup-stage):
 * through the mount, else made here (root). *mounted says which. With
 * refs, the repository's refs are listed too (verify). Prints why and
 * returns -1 on failure.
 */
int ctl_stage(struct ctl *ctl, int refs, char *out, size_t outsz,
	      int *mounted);

/*
 * The mounted archive holding path: its mount point and path relative to
 * it ("" for the root). Prints a sentence and returns -1 if none.
 */
int ctl_locate(const char *path, char *mnt, size_t mntsz, char *rel,
	       size_t relsz);

/* A reply from the daemon: status (0 ok, 1 refused, 2 usage), message,
 * and the body lines. */
struct ctl_reply {
	int status;
	const char *message;
	const char *body;
	char *raw;
};

/* Send one request (tab-separated fields) through mnt's control file. */
int ctl_request(const char *mnt, const char *req, struct ctl_reply *out);
/*
 * Read reply raw, "STATUS\tMESSAGE\nBODY", into out, which takes it
 * (malloc'd; freed by ctl_reply_release).
 */
void ctl_reply_parse(struct ctl_reply *out, char *raw);
void ctl_reply_release(struct ctl_reply *r);
/* Print a refusal and give the exit code for the reply. */
int ctl_reply_exit(struct ctl_reply *r, const char *cmd);
/*
 * The end of a command whose request was sent with result rc (< 0: it
 * was not, and why is said): print the reply's message on success, else
 * the refusal; release r and give the exit code.
 */
int ctl_reply_say(int rc, struct ctl_reply *r, const char *cmd);

/*
 * The mount point of the archive named by -a or $DOSSIER_ARCHIVE, or of
 * the only mounted archive: 0 found, -1 not mounted, -2 ambiguous (said).
 */
int ctl_mount_of_archive(struct ctl *ctl, char *mnt, size_t mntsz);

/*
 * Send a request (no path in it) to the archive: through its mount, else
 * straight to an unmounted archive (root only). -1 after printing why.
 */
int ctl_call(struct ctl *ctl, const char *req, struct ctl_reply *out);

/*
 * ctl_call for a request that writes history (purge): an archive that is
 * not mounted is opened here as its serving process, since only that
 * one may write its history repository.
 */
int ctl_call_serving(struct ctl *ctl, const char *req, struct ctl_reply *out);

/*
 * Send a request about path: fmt_rest is the request with one "%s" where
 * the archive-relative path goes.
 */
int ctl_path_call(struct ctl *ctl, const char *path, const char *fmt_rest,
		  struct ctl_reply *out);

/*
 * Send "VERB\tTARGET[\tARG]\n" about a record or folder named by target:
 * all digits is an ID, a record's number in 'dossierctl trash' or 'due'
 * (sent as "#ID", its first 20 digits), anything else a path as for
 * ctl_path_call. arg may be NULL.
 */
int ctl_target_call(struct ctl *ctl, const char *verb, const char *target,
		    const char *arg, struct ctl_reply *out);

/* One line of 'log': a history entry of a record. */
struct ctl_version {
	char when[32];
	char author[128];
	char op[16];
	char reason[512];
	char commit[41];
	char program[64];
	char path[1024];
	char file[160];		/* its file in .history, "-" if none */
};

/*
 * The history entries of the record at path (inside a mount): *out is a
 * malloc'd array of *n entries, oldest first; mnt and rel as ctl_locate.
 * Prints why and returns an exit code != 0 on failure.
 */
int ctl_versions(const char *path, char *mnt, size_t mntsz, char *rel,
		 size_t relsz, struct ctl_version **out, size_t *n);

/* The entry whose commit starts with rev (content versions only). */
const struct ctl_version *ctl_find_version(const struct ctl_version *v,
					   size_t n, const char *rev);

/*
 * Find the archive a command acts on: -a, else $DOSSIER_ARCHIVE, else the
 * only mounted dossierfs. Prints a sentence and returns NULL when there is
 * none or several. Borrowed string.
 */
const char *ctl_archive_path(struct ctl *ctl);

/* Open the archive for a command; prints why on failure. */
int ctl_open(struct ctl *ctl, struct dossier_archive **out);

/* Print "dossierctl: WHAT: REASON" for a failed core call. */
int ctl_fail(const char *what, int rc);

/* What ctl_getopt() returns when the command is to end at once. */
#define CTL_OPT_END (-2)

/*
 * getopt_long() for a command with a usage(): -h (--help in longopts)
 * prints it and ends with CTL_OK, an unknown option or a missing value
 * prints it on stderr and ends with CTL_USAGE: then CTL_OPT_END is
 * returned and *ret holds the exit code. Otherwise what getopt_long()
 * returns, -1 after the last option.
 */
int ctl_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts, void (*usage)(FILE *out),
	       int *ret);

/*
 * Options of a command that has none but -h/--help (getopt_long in GNU
 * order: --help anywhere, "--" ends options): -1 to go on with min to
 * max operands from argv[optind] on, else the exit code (help printed,
 * or usage on stderr).
 */
int ctl_only_help(int argc, char **argv, void (*usage)(FILE *out), int min,
		  int max);

/*
 * Operands and --reason TEXT of a command (getopt_long, options anywhere,
 * "--" ends them): at most nops operands into ops; returns their number,
 * or -1 for anything else (the caller prints its usage).
 */
int ctl_reason_args(int argc, char **argv, const char **reason,
		    const char **ops, int nops);

/* Longest --reason of a command on an ID|PATH target. */
#define CTL_REASON_MAX 1000

/*
 * "ID|PATH --reason TEXT" as ctl_reason_args reads it, checked: one
 * target without a tab or newline, and a reason that is ctl_is_field()
 * and at most CTL_REASON_MAX bytes (NULL when not given, if optional).
 * 0, or -1 for anything else (the caller prints its usage).
 */
int ctl_target_args(int argc, char **argv, int optional, const char **target,
		    const char **reason);

/* 1 if s may be a field of a request: not empty, no tab or newline. */
int ctl_is_field(const char *s);

/*
 * Split a reply's line at tabs into at most n fields, in place: f[i] is
 * the i-th, NULL past the last one there is; what follows field n is cut
 * off. Returns how many fields there are (at most n).
 */
int ctl_fields(char *line, char **f, int n);

/* 1 if argv has -h or --help. */
int ctl_wants_help(int argc, char **argv);

#endif
