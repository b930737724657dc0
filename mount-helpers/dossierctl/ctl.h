#ifndef DOSSIER_MOUNT_HELPERS_CTL_H
#define DOSSIER_MOUNT_HELPERS_CTL_H

#include "archive.h"

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

/* 1 if argv has -h or --help. */
int ctl_wants_help(int argc, char **argv);

#endif
