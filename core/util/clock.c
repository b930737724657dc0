#include "clock.h"

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

static int64_t real_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Atomic(dossier_clock_fn) clock_fn = real_clock;

int64_t dossier_clock_ns(void)
{
	return atomic_load_explicit(&clock_fn, memory_order_relaxed)();
}

void dossier_clock_set(dossier_clock_fn fn)
{
	atomic_store(&clock_fn, fn ? fn : real_clock);
}
