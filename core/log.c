#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static int max_level = LOG_NOTICE;
static int use_syslog;

void dossier_log_set_level(int level)
{
	max_level = level;
}

int dossier_log_get_level(void)
{
	return max_level;
}

void dossier_log_to_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_DAEMON);
	use_syslog = 1;
}

void dossier_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
				       "warning", "notice", "info", "debug" };
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(level, fmt, ap);
	} else {
		char msg[1024];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		fprintf(stderr, "dossierfs: %s: %s\n", names[level & 7], msg);
	}
	va_end(ap);
}
