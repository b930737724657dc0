#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "worker.h"

/* An hour: a wait that returns before it was woken, not timed out. */
#define LONG_NS (3600LL * 1000000000)

struct rounds {
	struct dossier_worker w;
	int n;			/* written by the thread, read after join */
};

static void *count_rounds(void *arg)
{
	struct rounds *r = arg;

	while (!dossier_worker_wait(&r->w, LONG_NS))
		r->n++;
	return NULL;
}

/* A kick made before the wait is not lost: the wait returns at once. */
static void test_worker__kick_before_wait(void **state)
{
	struct dossier_worker w;

	(void)state;
	dossier_worker_init(&w);
	dossier_worker_kick(&w);
	assert_int_equal(w.kicked, 1);
	assert_int_equal(dossier_worker_wait(&w, LONG_NS), 0);
	assert_int_equal(w.kicked, 0);		/* the wait took it */
	assert_int_equal(dossier_worker_stopping(&w), 0);
	dossier_worker_destroy(&w);
}

/* Asked to stop, every later wait says so at once. */
static void test_worker__stop_is_sticky(void **state)
{
	struct dossier_worker w;

	(void)state;
	dossier_worker_init(&w);
	dossier_worker_ask_stop(&w);
	assert_int_equal(dossier_worker_stopping(&w), 1);
	assert_int_equal(dossier_worker_wait(&w, LONG_NS), 1);
	assert_int_equal(dossier_worker_wait(&w, LONG_NS), 1);
	dossier_worker_destroy(&w);
}

/* A short timeout ends a wait nobody wakes, with "go on". */
static void test_worker__timeout_returns(void **state)
{
	struct dossier_worker w;

	(void)state;
	dossier_worker_init(&w);
	assert_int_equal(dossier_worker_wait(&w, 1000000), 0);
	dossier_worker_destroy(&w);
}

/* A started thread sleeping an hour ends when stopped (a stop that did
 * not wake it would hang here, and the run's time limit fail it). */
static void test_worker__stop_ends_a_sleeping_thread(void **state)
{
	struct rounds r = { .n = 0 };

	(void)state;
	dossier_worker_init(&r.w);
	assert_int_equal(dossier_worker_start(&r.w, count_rounds, &r,
					      "test worker"), 0);
	assert_int_equal(r.w.running, 1);
	dossier_worker_stop(&r.w);
	assert_int_equal(r.w.running, 0);
	dossier_worker_stop(&r.w);		/* twice is harmless */
	assert_int_equal(r.w.running, 0);
	dossier_worker_destroy(&r.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worker__kick_before_wait),
		cmocka_unit_test(test_worker__stop_is_sticky),
		cmocka_unit_test(test_worker__timeout_returns),
		cmocka_unit_test(test_worker__stop_ends_a_sleeping_thread),
	};

	return cmocka_run_group_tests_name("worker", tests, NULL, NULL);
}
