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

/*
 * Control characters become visible escapes (\n, \t, \xHH): names and
 * other text a caller chose end up in log lines, and a refused name
 * holding a newline or an escape sequence must not forge a line or
 * drive the terminal of whoever reads the log.
 */
static void escape(char *out, size_t outsz, const char *in)
{
	size_t o = 0;

	for (; *in && o + 5 < outsz; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c != 0x7f)
			out[o++] = (char)c;
		else if (c == '\n' || c == '\t')
			o += (size_t)snprintf(out + o, outsz - o, "\\%c",
					      c == '\n' ? 'n' : 't');
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x",
					      c);
	}
	out[o] = '\0';
}

void dossier_log(int level, const char *fmt, ...)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
				       "warning", "notice", "info", "debug" };
	char msg[1024], safe[1024];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	escape(safe, sizeof(safe), msg);
	if (use_syslog)
		syslog(level, "%s", safe);
	else
		fprintf(stderr, "dossierfs: %s: %s\n", names[level & 7], safe);
}
