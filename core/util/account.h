#ifndef DOSSIER_CORE_ACCOUNT_H
#define DOSSIER_CORE_ACCOUNT_H

/*
 * Unix accounts by uid, named in one place: the audit trail's user
 * column, history's commit authors and dossierctl's list of views.
 */

#include <stddef.h>
#include <sys/types.h>

/*
 * The login name of account uid into out. When there is none to give,
 * out gets "uid N" instead (no such account, an empty name, or one with
 * '<', '>' or a newline, which no git signature or reply line may hold),
 * or "unknown" for (uid_t)-1, the id of nobody in particular.
 *
 * Returns 0 for a login name, DOSSIER_ENOTFOUND for a stand-in; either
 * way out is a name to show, so no error message is set. May ask NSS
 * (over the network): not on the data path, not under a lock others
 * wait for.
 */
int dossier_account_name(char *out, size_t outsz, uid_t uid);

#endif
