/* kfree_rcu() floods have back-pressure (kfree_rcu.c, lib/rcu_batch.c):
 * threads that allocate with GFP_KERNEL and kfree_rcu() flat out never see
 * an allocation fail, and the bytes waiting for a grace period stay under
 * the bound (an eighth of memory) plus the engine's slack; past the bound
 * a caller that may sleep runs its CPU's batch itself after a grace
 * period, one that may not (interrupts, spinlocks, read-side sections)
 * never waits, and the monitor expedites what it queued. rcu_barrier()
 * covers batches run by callers.
 *
 * kmm-rcu-flood (stress/) is the same flood as a measuring program. */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include "kmm_test.h"
#include "lib/rcu_batch.h"
#include "slub/kfree_rcu.h"

#define FLOOD_THREADS	8
#define LARGE_SIZE	(64UL << 10)	/* a costly order: GFP_KERNEL tries once */

struct obj {
	struct rcu_head rh;
	unsigned long data[6];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The engine's counters of batches run by callers and by the monitor. */
static unsigned long engine_count(const unsigned long *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* --- the flood ------------------------------------------------------------------ */

struct flood {
	bool irq;		/* in interrupt context, GFP_ATOMIC */
	unsigned int large_every; /* every n-th object is LARGE_SIZE (0: never) */
	int stop;		/* atomic */
	unsigned long ops, fails; /* atomic */
};

static void *flooder(void *arg)
{
	struct flood *f = arg;
	unsigned long ops = 0, fails = 0;
	gfp_t gfp = f->irq ? GFP_ATOMIC : GFP_KERNEL;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		bool large = f->large_every && ops % f->large_every == 0;
		struct obj *o;

		if (f->irq)
			kmm_irq_enter();
		o = kmalloc(large ? LARGE_SIZE : sizeof(*o), gfp | __GFP_NOWARN);
		if (o) {
			o->data[0] = ops;
			kfree_rcu(o, rh);
			ops++;
		} else {
			fails++;
		}
		if (f->irq)
			kmm_irq_exit();
	}
	__atomic_add_fetch(&f->ops, ops, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->fails, fails, __ATOMIC_RELAXED);
	return NULL;
}

/* Runs `threads` flooders for `seconds`; returns the most bytes pending
 * seen, and in *min_free the fewest free pages. */
static unsigned long flood_run(struct flood *f, int threads, double seconds,
			       unsigned long *min_free)
{
	pthread_t t[FLOOD_THREADS];
	unsigned long peak = 0;
	double end = now_s() + seconds;

	*min_free = nr_free_pages();
	for (int i = 0; i < threads; i++)
		assert_int_equal(pthread_create(&t[i], NULL, flooder, f), 0);
	while (now_s() < end) {
		unsigned long bytes = rcu_batcher_pending_weight(&kfree_rcu_batcher);
		unsigned long free = nr_free_pages();

		peak = MAX(peak, bytes);
		*min_free = MIN(*min_free, free);
		sched_yield();
	}
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return peak;
}

/* The bound plus the engine's slack: per CPU queue, a step gathering
 * while a step's batch runs, and a large object per thread in flight. */
static unsigned long flood_bound(int threads)
{
	unsigned long limit = kfree_rcu_batcher.limit, step = kfree_rcu_batcher.step;

	return limit + 2 * step * nr_cpu_ids + threads * LARGE_SIZE;
}

static int boot(void **state)
{
	(void)state;
	return kmm_test_boot("mem=64M nr_cpus=2");
}

static int shutdown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

/* Sleepable callers: no GFP_KERNEL allocation fails, not even the
 * costly-order ones, and memory stays mostly free. */
static void test_sleepable_flood_is_bounded(void **state)
{
	struct flood f = { .large_every = 16 };
	unsigned long bugs = kmm_bug_count(), ran = engine_count(&kfree_rcu_batcher.ran_here);
	unsigned long peak, min_free;

	(void)state;
	assert_int_equal(kfree_rcu_batcher.limit, (totalram_pages() << PAGE_SHIFT) / 8);
	peak = flood_run(&f, FLOOD_THREADS, 1.0, &min_free);
	print_message("flood: %lu objects, %lu failed, %lu KiB pending at most (bound %lu KiB), "
		      "%lu KiB free at least\n", f.ops, f.fails, peak >> 10,
		      kfree_rcu_batcher.limit >> 10, min_free << (PAGE_SHIFT - 10));
	assert_int_equal(f.fails, 0);
	assert_true(f.ops > 1000);
	assert_true(min_free > totalram_pages() / 2);
	assert_true(peak <= flood_bound(FLOOD_THREADS));
	assert_true(engine_count(&kfree_rcu_batcher.ran_here) > ran);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(rcu_batcher_pending_weight(&kfree_rcu_batcher), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* --- over a small bound: who waits and who does not ---------------------------------- */

#define SMALL_BOUND	(256UL << 10)

static int boot_small(void **state)
{
	(void)state;
	return kmm_test_boot("mem=64M nr_cpus=2 kfree_rcu.max_pending=256K");
}

static int reader_in, reader_release;	/* atomic */

static void *reader(void *arg)
{
	(void)arg;
	rcu_read_lock();
	__atomic_store_n(&reader_in, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&reader_release, __ATOMIC_ACQUIRE))
		sched_yield();
	rcu_read_unlock();
	return NULL;
}

static void reader_start(pthread_t *t)
{
	__atomic_store_n(&reader_in, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&reader_release, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(t, NULL, reader, NULL), 0);
	while (!__atomic_load_n(&reader_in, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void reader_stop(pthread_t t)
{
	__atomic_store_n(&reader_release, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
}

/* Frees `bytes` worth of 64-byte objects with kfree_rcu(). */
static void free_bytes(unsigned long bytes)
{
	for (unsigned long i = 0; i < bytes / 64; i++) {
		struct obj *o = kmalloc(sizeof(*o), GFP_ATOMIC);

		assert_non_null(o);
		kfree_rcu(o, rh);
	}
}

static void test_small_bound_is_set(void **state)
{
	(void)state;
	assert_int_equal(kfree_rcu_batcher.limit, SMALL_BOUND);
}

/* While a reader blocks every grace period, callers that may not sleep
 * go on past the bound: inside a read-side section (waiting there would
 * wait for itself), under a spinlock, in an interrupt. */
static void test_no_wait_where_sleeping_is_wrong(void **state)
{
	DEFINE_SPINLOCK(lock);
	unsigned long bugs = kmm_bug_count();
	pthread_t t;

	(void)state;
	reader_start(&t);
	rcu_read_lock();
	free_bytes(4 * SMALL_BOUND);
	rcu_read_unlock();
	spin_lock(&lock);
	free_bytes(4 * SMALL_BOUND);
	spin_unlock(&lock);
	kmm_irq_enter();
	free_bytes(4 * SMALL_BOUND);
	kmm_irq_exit();
	assert_true(rcu_batcher_pending_weight(&kfree_rcu_batcher) >= 12 * SMALL_BOUND);
	reader_stop(t);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* Callers in interrupt context never wait: they queue, and the monitor
 * runs their CPUs' batches after grace periods of its own. */
static void test_interrupt_flood_is_expedited(void **state)
{
	unsigned long bugs = kmm_bug_count();
	unsigned long expedited = engine_count(&kfree_rcu_batcher.expedited);
	unsigned long ran = engine_count(&kfree_rcu_batcher.ran_here), min_free;

	(void)state;
	for (int i = 0; i < 50 && engine_count(&kfree_rcu_batcher.expedited) == expedited; i++) {
		struct flood f = { .irq = true };

		flood_run(&f, 4, 0.1, &min_free);
		assert_true(f.ops > 0);
	}
	assert_true(engine_count(&kfree_rcu_batcher.expedited) > expedited);
	assert_int_equal(engine_count(&kfree_rcu_batcher.ran_here), ran);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* Until the count stops moving for 50 ms. */
static void wait_stuck(const unsigned long *count)
{
	unsigned long before;

	do {
		before = __atomic_load_n(count, __ATOMIC_ACQUIRE);
		sleep_ms(50);
	} while (__atomic_load_n(count, __ATOMIC_ACQUIRE) != before);
}

/* A caller that may sleep, past the bound, waits for a grace period: with
 * a reader in the way it stops in kfree_rcu(), and goes on once the reader
 * leaves, its batch freed by itself. */
static unsigned long sleeper_done;	/* atomic: objects freed so far */

static void *sleeper(void *arg)
{
	(void)arg;
	for (unsigned long i = 0; i < 8 * SMALL_BOUND / 64; i++) {
		struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		assert_non_null(o);
		kfree_rcu(o, rh);
		__atomic_store_n(&sleeper_done, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_sleepable_caller_waits_past_the_bound(void **state)
{
	unsigned long ran = engine_count(&kfree_rcu_batcher.ran_here), stuck;
	pthread_t r, s;

	(void)state;
	rcu_barrier();
	reader_start(&r);
	__atomic_store_n(&sleeper_done, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&s, NULL, sleeper, NULL), 0);
	wait_stuck(&sleeper_done);
	stuck = __atomic_load_n(&sleeper_done, __ATOMIC_ACQUIRE);
	/* It stopped short, where the bound (and its slack) was reached. */
	assert_true(stuck < 8 * SMALL_BOUND / 64);
	assert_true(rcu_batcher_pending_weight(&kfree_rcu_batcher) <= flood_bound(1));
	reader_stop(r);
	pthread_join(s, NULL);
	assert_true(engine_count(&kfree_rcu_batcher.ran_here) > ran);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

/* rcu_barrier() also waits for a batch a caller runs itself: a caller
 * that stops once it has run one, a barrier that starts while that run
 * waits for a reader, and nothing pending when the barrier returns. */
static void *one_run_caller(void *arg)
{
	unsigned long ran = *(unsigned long *)arg;

	while (engine_count(&kfree_rcu_batcher.ran_here) == ran) {
		struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL);

		assert_non_null(o);
		kfree_rcu(o, rh);
		__atomic_add_fetch(&sleeper_done, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *barrier_caller(void *arg)
{
	int *done = arg;

	rcu_barrier();
	__atomic_store_n(done, kmm_kfree_rcu_pending() == 0 ? 1 : -1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_barrier_covers_runs_by_callers(void **state)
{
	unsigned long ran = engine_count(&kfree_rcu_batcher.ran_here);
	pthread_t r, s, b;
	int done = 0;

	(void)state;
	rcu_barrier();
	reader_start(&r);
	__atomic_store_n(&sleeper_done, 0, __ATOMIC_RELAXED);
	assert_int_equal(pthread_create(&s, NULL, one_run_caller, &ran), 0);
	wait_stuck(&sleeper_done);
	assert_int_equal(pthread_create(&b, NULL, barrier_caller, &done), 0);
	sleep_ms(50);
	assert_int_equal(__atomic_load_n(&done, __ATOMIC_ACQUIRE), 0);
	reader_stop(r);
	pthread_join(b, NULL);
	pthread_join(s, NULL);
	assert_int_equal(done, 1);
}

int main(void)
{
	const struct CMUnitTest flood[] = {
		cmocka_unit_test(test_sleepable_flood_is_bounded),
		cmocka_unit_test(test_every_page_back),
	};
	const struct CMUnitTest small[] = {
		cmocka_unit_test(test_small_bound_is_set),
		cmocka_unit_test(test_interrupt_flood_is_expedited),
		cmocka_unit_test(test_no_wait_where_sleeping_is_wrong),
		cmocka_unit_test(test_sleepable_caller_waits_past_the_bound),
		cmocka_unit_test(test_barrier_covers_runs_by_callers),
		cmocka_unit_test(test_every_page_back),
	};

	return cmocka_run_group_tests_name("flood", flood, boot, shutdown) ||
	       cmocka_run_group_tests_name("small bound", small, boot_small, shutdown);
}
