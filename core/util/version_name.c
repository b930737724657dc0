#include "version_name.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void dossier_version_name(char *out, size_t outsz, int64_t time_ns,
			  const char *commit, const char *record)
{
	time_t t = (time_t)(time_ns / 1000000000);
	const char *base = strrchr(record, '/'), *dot;
	struct tm tm;
	char stamp[32];

	base = base ? base + 1 : record;
	dot = strrchr(base, '.');
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H.%M.%SZ", &tm);
	snprintf(out, outsz, "%s-%.7s%s", stamp, commit,
		 dot && dot != base ? dot : "");
}
