#ifndef DOSSIER_CORE_CLOCK_H
#define DOSSIER_CORE_CLOCK_H

#include <stdint.h>

/*
 * The archive's wall clock: every time core/ records or compares (node
 * times, journal and audit rows, grant ends, trash retention) comes from
 * here, so a unit test can set the hour (a grant that ends, a record
 * 31 days in the trash) instead of waiting for it. Durations measured
 * for timeouts use CLOCK_MONOTONIC directly and are not affected.
 */

/* Now, in nanoseconds since the epoch. */
int64_t dossier_clock_ns(void);

/* A clock: nanoseconds since the epoch. */
typedef int64_t (*dossier_clock_fn)(void);

/*
 * Use fn as the clock from now on, for every thread (NULL: the real
 * clock again). For tests; not meant to change while handlers run.
 */
void dossier_clock_set(dossier_clock_fn fn);

#endif
