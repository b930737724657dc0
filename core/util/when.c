#include "when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

int dossier_duration_parse(const char *s, int64_t *out)
{
	int64_t total = 0, n;
	const char *p = s;
	char *end;

	if (!s || !*s)
		goto bad;
	while (*p) {
		if (*p < '0' || *p > '9')
			goto bad;
		n = strtoll(p, &end, 10);
		if (n > 1000000000LL)
			goto bad;
		switch (*end) {
		case '\0':
			/* bare digits: seconds, and only alone */
			if (p != s)
				goto bad;
			total = n;
			p = end;
			continue;
		case 's': break;
		case 'm': n *= 60; break;
		case 'h': n *= 3600; break;
		case 'd': n *= 86400; break;
		default: goto bad;
		}
		total += n;
		p = end + 1;
	}
	if (total <= 0)
		goto bad;
	*out = total;
	return 0;
bad:
	dossier_error_set("'%s' is not a duration (like 30s, 15m, 4h, 1h30m, "
			  "2d)", s ? s : "");
	return DOSSIER_EINVAL;
}

/* "Z", "+08:00", "+0800", "-05" into seconds east of UTC; -1 if none */
static int zone(const char *p, int64_t *off)
{
	int h, m = 0, nc = 0;

	if (!strcmp(p, "Z")) {
		*off = 0;
		return 0;
	}
	if ((*p != '+' && *p != '-') ||
	    !((sscanf(p + 1, "%2d:%2d%n", &h, &m, &nc) == 2 ||
	       sscanf(p + 1, "%2d%2d%n", &h, &m, &nc) == 2 ||
	       sscanf(p + 1, "%2d%n", &h, &nc) == 1) &&
	      !p[1 + nc] && h <= 14 && m < 60))
		return -1;
	*off = (h * 3600LL + m * 60) * (*p == '-' ? -1 : 1);
	return 0;
}

int dossier_time_parse(const char *s, int local, int64_t now, int64_t *out)
{
	static const char *const formats[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
		"%Y-%m-%d %H:%M", "%Y-%m-%d",
	};
	int64_t secs, off;
	const char *rest;
	struct tm tm;
	size_t i;

	if (!s || !*s)
		goto bad;
	if (strspn(s, "0123456789") == strlen(s)) {
		*out = strtoll(s, NULL, 10);
		return 0;
	}
	if (strchr("0123456789", s[0]) && strspn(s, "0123456789smhd") ==
						  strlen(s) &&
	    dossier_duration_parse(s, &secs) == 0) {
		*out = now - secs;
		return 0;
	}
	dossier_error_clear();
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, formats[i], &tm);
		if (!rest)
			continue;
		if (!*rest) {
			tm.tm_isdst = -1;
			*out = local ? (int64_t)mktime(&tm) :
				       (int64_t)timegm(&tm);
			return 0;
		}
		if (zone(rest, &off) == 0) {
			*out = (int64_t)timegm(&tm) - off;
			return 0;
		}
	}
bad:
	dossier_error_set("'%s' is not a time: give a date (2024-05-01), a "
			  "time (2024-05-01T10:00, with Z or +08:00 for a "
			  "zone), unix seconds, or how long ago (30m, 12h, "
			  "7d)", s ? s : "");
	return DOSSIER_EINVAL;
}
