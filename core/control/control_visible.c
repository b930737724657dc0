/*
 * What the control channel shows a caller. The filesystem hides a record
 * from whoever may not list it (ENOENT); the control channel must not be
 * a second way in: an account the archive does not map gets no answer
 * at all (the user list and the policy would tell it who may see what),
 * and a listing names a record only to a caller who may list it now.
 */
#include "control_i.h"

#include <string.h>

#include "audit_i.h"
#include "error.h"
#include "log.h"
#include "rules_i.h"
#include "access_i.h"

/* whoami tells the caller its own uid, which it knows anyway */
static const char *const open_to_all[] = { "whoami", NULL };

int control_unmapped(struct dossier_archive *a,
		     const struct dossier_caller *who, const char *request,
		     struct dossier_buf *out)
{
	size_t i;
	int mapped;

	for (i = 0; open_to_all[i]; i++)
		if (!strcmp(request, open_to_all[i]))
			return 0;
	pthread_mutex_lock(&a->lock);
	mapped = a->rules ? dossier_rules_user_info(a->rules, who->uid, NULL,
						    NULL) == 0 :
			    who->uid == 0;
	pthread_mutex_unlock(&a->lock);
	if (mapped)
		return 0;
	dossier_log(LOG_NOTICE, "control: uid %u: '%s' refused: not mapped to "
		    "a user", (unsigned)who->uid, request);
	audit_record(a->audit, who, request, "", 0, 0, "unmapped account");
	control_status(out, 1, "you are not a user of this archive: an "
			       "unmapped account gets nothing");
	return 1;
}

int control_may_list(struct dossier_archive *a,
		     const struct dossier_caller *who, uint64_t id)
{
	struct node n;
	int ok;

	if (archive_get_node(a, id, &n) < 0) {
		dossier_error_clear();
		return 0;
	}
	ok = archive_decide(a, who, &n, NULL, DOSSIER_ACT_LIST) == 0;
	dossier_error_clear();
	return ok;
}
