/* <kmm/rcupdate.h>: grace periods wait for readers, call_rcu() callbacks run
 * once each after them (from tasks, interrupts and other callbacks),
 * rcu_barrier() waits for every one queued, threads come and go, and misuse
 * is reported and changes nothing. */
#include <pthread.h>
#include <time.h>
#include "kmm_test.h"
#include "lib/rcu_batch.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int boot(void **state)
{
	(void)state;
	return kmm_init("mem=32M nr_cpus=4");
}

static int shutdown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

/* --- a grace period waits for a reader that started before it --------------- */

static int gp_done;

static void *synchronizer(void *arg)
{
	(void)arg;
	synchronize_rcu();
	__atomic_store_n(&gp_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_synchronize_waits_for_reader(void **state)
{
	pthread_t t;

	(void)state;
	gp_done = 0;
	rcu_read_lock();
	rcu_read_lock();	/* nested */
	assert_int_equal(pthread_create(&t, NULL, synchronizer, NULL), 0);
	sleep_ms(20);
	assert_int_equal(__atomic_load_n(&gp_done, __ATOMIC_ACQUIRE), 0);
	rcu_read_unlock();
	sleep_ms(5);
	assert_int_equal(__atomic_load_n(&gp_done, __ATOMIC_ACQUIRE), 0);
	rcu_read_unlock();
	pthread_join(t, NULL);
	assert_int_equal(gp_done, 1);
}

/* --- call_rcu ------------------------------------------------------------------- */

struct cb_obj {
	struct rcu_head rh;
	int runs;
	int *counter;
};

static int cb_total;

static void cb_count(struct rcu_head *h)
{
	struct cb_obj *o = container_of(h, struct cb_obj, rh);

	__atomic_fetch_add(&o->runs, 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&cb_total, 1, __ATOMIC_RELAXED);
}

static void test_callback_waits_for_reader(void **state)
{
	struct cb_obj o = { .runs = 0 };
	pthread_t t;

	(void)state;
	rcu_read_lock();
	call_rcu(&o.rh, cb_count);
	/* Another thread's barrier cannot finish while we read. */
	gp_done = 0;
	assert_int_equal(pthread_create(&t, NULL, synchronizer, NULL), 0);
	sleep_ms(20);
	assert_int_equal(__atomic_load_n(&o.runs, __ATOMIC_RELAXED), 0);
	rcu_read_unlock();
	pthread_join(t, NULL);
	rcu_barrier();
	assert_int_equal(o.runs, 1);
}

#define CB_THREADS	6
#define CB_PER_THREAD	3000

struct cb_thread {
	int cpu;
	bool irq;
	struct cb_obj *objs;
};

static void *cb_queuer(void *arg)
{
	struct cb_thread *ct = arg;

	kmm_cpu_bind(ct->cpu);
	for (int i = 0; i < CB_PER_THREAD; i++) {
		if (ct->irq)
			kmm_irq_enter();
		call_rcu(&ct->objs[i].rh, cb_count);
		if (ct->irq)
			kmm_irq_exit();
	}
	return NULL;
}

static void test_call_rcu_from_tasks_and_interrupts(void **state)
{
	pthread_t t[CB_THREADS];
	struct cb_thread ct[CB_THREADS];

	(void)state;
	cb_total = 0;
	for (int i = 0; i < CB_THREADS; i++) {
		ct[i] = (struct cb_thread){ .cpu = i % 4, .irq = i >= 4,
			.objs = calloc(CB_PER_THREAD, sizeof(struct cb_obj)) };
		assert_non_null(ct[i].objs);
		assert_int_equal(pthread_create(&t[i], NULL, cb_queuer, &ct[i]), 0);
	}
	for (int i = 0; i < CB_THREADS; i++)
		pthread_join(t[i], NULL);
	rcu_barrier();
	assert_int_equal(cb_total, CB_THREADS * CB_PER_THREAD);
	for (int i = 0; i < CB_THREADS; i++) {
		for (int j = 0; j < CB_PER_THREAD; j++)
			assert_int_equal(ct[i].objs[j].runs, 1);
		free(ct[i].objs);
	}
	assert_int_equal(rcu_batchers_waiting(), 0);
}

/* The monitor hands a lone callback over without a barrier. */
static void test_monitor_runs_lone_callback(void **state)
{
	struct cb_obj o = { .runs = 0 };

	(void)state;
	call_rcu(&o.rh, cb_count);
	for (int i = 0; i < 2000 && !__atomic_load_n(&o.runs, __ATOMIC_ACQUIRE); i++)
		sleep_ms(1);
	rcu_barrier();
	assert_int_equal(o.runs, 1);
}

/* A callback may queue another; rcu_barrier() waits for the first, a
 * second barrier for the second. */
static struct cb_obj chained;

static void cb_requeue(struct rcu_head *h)
{
	struct cb_obj *o = container_of(h, struct cb_obj, rh);

	/* atomic: the second run may overlap the test's first look */
	if (__atomic_add_fetch(&o->runs, 1, __ATOMIC_RELAXED) == 1)
		call_rcu(h, cb_requeue);
}

static void test_callback_queues_callback(void **state)
{
	(void)state;
	chained.runs = 0;
	call_rcu(&chained.rh, cb_requeue);
	rcu_barrier();
	assert_true(__atomic_load_n(&chained.runs, __ATOMIC_RELAXED) >= 1);
	rcu_barrier();
	assert_int_equal(chained.runs, 2);
}

/* --- threads come and go ------------------------------------------------------------ */

static int shared_val = 1;
static int *shared_ptr = &shared_val;

static void *short_reader(void *arg)
{
	int sum = 0;

	(void)arg;
	for (int i = 0; i < 100; i++) {
		rcu_read_lock();
		sum += *rcu_dereference(shared_ptr);
		rcu_read_unlock();
	}
	return (void *)(intptr_t)sum;
}

static void test_threads_unregister_at_exit(void **state)
{
	(void)state;
	for (int round = 0; round < 20; round++) {
		pthread_t t[4];
		void *ret;

		for (int i = 0; i < 4; i++)
			assert_int_equal(pthread_create(&t[i], NULL, short_reader, NULL), 0);
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], &ret);
			assert_int_equal((intptr_t)ret, 100);
		}
		/* liburcu would wait on (or crash reading) a dead thread's
		 * reader state if it had not been unregistered. */
		synchronize_rcu();
	}
	kmm_rcu_register_thread();
	kmm_rcu_unregister_thread();
	rcu_read_lock();	/* registers again */
	rcu_read_unlock();
}

/* --- misuse ------------------------------------------------------------------------- */

static void test_misuse_is_reported(void **state)
{
	struct cb_obj o = { .runs = 0 };

	(void)state;
	EXPECT_ONE_REPORT("rcu_read_unlock: not inside", rcu_read_unlock());
	rcu_read_lock();
	EXPECT_ONE_REPORT("synchronize_rcu: called inside an RCU read-side", synchronize_rcu());
	EXPECT_ONE_REPORT("rcu_barrier: called inside an RCU read-side", rcu_barrier());
	EXPECT_ONE_REPORT("inside an RCU read-side", kmm_rcu_unregister_thread());
	rcu_read_unlock();
	EXPECT_ONE_REPORT("call_rcu: NULL rcu_head", call_rcu(NULL, cb_count));
	EXPECT_ONE_REPORT("call_rcu: NULL callback", call_rcu(&o.rh, NULL));
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context", synchronize_rcu());
	EXPECT_ONE_REPORT("sleeping function called from invalid context", rcu_barrier());
	kmm_irq_exit();
	/* nothing changed: RCU still works */
	rcu_read_lock();
	call_rcu(&o.rh, cb_count);
	rcu_read_unlock();
	rcu_barrier();
	assert_int_equal(o.runs, 1);
}

static int barrier_in_cb_reports;

static void cb_calls_barrier(struct rcu_head *h)
{
	unsigned long before = kmm_bug_count();

	(void)h;
	kmm_report_quiet(true);
	rcu_barrier();
	synchronize_rcu();
	kmm_report_quiet(false);
	__atomic_store_n(&barrier_in_cb_reports, (int)(kmm_bug_count() - before), __ATOMIC_RELEASE);
}

static void test_barrier_from_callback_is_refused(void **state)
{
	struct rcu_head h;

	(void)state;
	barrier_in_cb_reports = -1;
	call_rcu(&h, cb_calls_barrier);
	rcu_barrier();
	assert_int_equal(barrier_in_cb_reports, 2);
}

/* RCU works without kmm booted (before boot and after exit). */
static void test_rcu_without_boot(void **state)
{
	struct cb_obj o = { .runs = 0 };

	(void)state;
	assert_int_equal(kmm_exit(), 0);
	rcu_read_lock();
	call_rcu(&o.rh, cb_count);
	rcu_read_unlock();
	synchronize_rcu();
	rcu_barrier();
	assert_int_equal(o.runs, 1);
	assert_int_equal(kmm_init("mem=32M nr_cpus=4"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synchronize_waits_for_reader),
		cmocka_unit_test(test_callback_waits_for_reader),
		cmocka_unit_test(test_call_rcu_from_tasks_and_interrupts),
		cmocka_unit_test(test_monitor_runs_lone_callback),
		cmocka_unit_test(test_callback_queues_callback),
		cmocka_unit_test(test_threads_unregister_at_exit),
		cmocka_unit_test(test_misuse_is_reported),
		cmocka_unit_test(test_barrier_from_callback_is_refused),
		cmocka_unit_test(test_rcu_without_boot),
	};

	return cmocka_run_group_tests(tests, boot, shutdown);
}
