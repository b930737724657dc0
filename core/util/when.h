#ifndef DOSSIER_CORE_WHEN_H
#define DOSSIER_CORE_WHEN_H

/*
 * Times and durations as people type them, parsed in one place (the
 * audit trail's --since, the daemon's since=, grant --for).
 */

#include <stdint.h>

/*
 * A duration: "90" or "90s" seconds, or a sequence of amounts with units
 * s, m, h, d ("15m", "4h", "1h30m", "2d12h"). *out gets seconds (> 0).
 * DOSSIER_EINVAL for anything else.
 */
int dossier_duration_parse(const char *s, int64_t *out);

/*
 * A moment, into *out as unix seconds: digits are unix seconds; a
 * duration means that long before now; otherwise ISO 8601 as strptime(3)
 * reads it, "2024-05-01", "2024-05-01T10:00", "2024-05-01 10:00:30",
 * optionally ending in "Z" or an offset "+08:00" / "-0500". Without a
 * zone the time is local when local is nonzero, else UTC. DOSSIER_EINVAL
 * for anything else.
 */
int dossier_time_parse(const char *s, int local, int64_t now, int64_t *out);

#endif
