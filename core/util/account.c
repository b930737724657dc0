#include "account.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

int dossier_account_name(char *out, size_t outsz, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (uid == (uid_t)-1) {
		snprintf(out, outsz, "unknown");
		return DOSSIER_ENOTFOUND;
	}
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res &&
	    res->pw_name[0] && !strpbrk(res->pw_name, "<>\n")) {
		snprintf(out, outsz, "%s", res->pw_name);
		return 0;
	}
	snprintf(out, outsz, "uid %lu", (unsigned long)uid);
	return DOSSIER_ENOTFOUND;
}
