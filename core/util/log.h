#ifndef DOSSIER_CORE_LOG_H
#define DOSSIER_CORE_LOG_H

#include <syslog.h>

/*
 * The one log sink. Levels are syslog's (LOG_ERR ... LOG_DEBUG). Messages
 * at or below the current level go to stderr, or to syslog once
 * dossier_log_to_syslog() was called (the daemon, after daemonizing).
 */
void dossier_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set the most verbose level printed; LOG_NOTICE by default. */
void dossier_log_set_level(int level);
int dossier_log_get_level(void);

/* Send further messages to syslog under ident instead of stderr. */
void dossier_log_to_syslog(const char *ident);

#endif
