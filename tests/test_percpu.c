/* alloc_percpu: one zeroed unit per CPU, on separate cache lines. */
#include <pthread.h>
#include "kmm_test.h"

struct counters {
	unsigned long hits;
	int id;
};

static void test_units_distinct_zeroed_separated(void **state)
{
	struct counters *c;
	int cpu;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=8 kswapd=off"), 0);
	c = alloc_percpu(struct counters);
	assert_non_null(c);
	for_each_possible_cpu(cpu) {
		struct counters *u = per_cpu_ptr(c, cpu);

		assert_int_equal(u->hits, 0);
		assert_int_equal(u->id, 0);
		u->id = cpu;
		for (int other = 0; other < cpu; other++) {
			char *a = (char *)per_cpu_ptr(c, other), *b = (char *)u;
			/* never on the same cache line */
			assert_true((unsigned long)(b - a) >= 64);
			assert_true(((unsigned long)a >> 6) != ((unsigned long)b >> 6));
		}
	}
	for_each_possible_cpu(cpu)
		assert_int_equal(per_cpu_ptr(c, cpu)->id, cpu);
	kmm_cpu_bind(5);
	this_cpu_inc(c->hits);
	this_cpu_add(c->hits, 4);
	assert_int_equal(this_cpu_read(c->hits), 5);
	assert_int_equal(per_cpu_ptr(c, 5)->hits, 5);
	assert_ptr_equal(this_cpu_ptr(c), per_cpu_ptr(c, 5));
	kmm_cpu_unbind();
	free_percpu(c);

	/* freed memory comes back zeroed */
	c = alloc_percpu(struct counters);
	for_each_possible_cpu(cpu)
		assert_int_equal(per_cpu_ptr(c, cpu)->id, 0);
	EXPECT_ONE_REPORT("not the start of a live percpu", free_percpu((char *)c + 4));
	free_percpu(c);
	EXPECT_ONE_REPORT("not the start of a live percpu", free_percpu(c));
	int local;
	EXPECT_ONE_REPORT("was not allocated by alloc_percpu", free_percpu(&local));
	EXPECT_ONE_REPORT("illegal size", assert_null(__alloc_percpu(1 << 30, 8)));
	assert_int_equal(kmm_exit(), 0);
}

/* Many allocations spill into new chunks from the buddy; all come back. */
static void test_many_chunks(void **state)
{
	enum { N = 3000 };
	void **p = calloc(N, sizeof(void *));

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=4 kswapd=off"), 0);
	for (int i = 0; i < N; i++) {
		p[i] = __alloc_percpu(128, 64);
		assert_non_null(p[i]);
		assert_int_equal((unsigned long)p[i] & 63, 0);
	}
	for (int i = 0; i < N; i++)
		free_percpu(p[i]);
	free(p);
	assert_int_equal(kmm_exit(), 0);
}

static struct counters *shared;

static void *bump(void *arg)
{
	kmm_cpu_bind((int)(long)arg);
	for (int i = 0; i < 10000; i++)
		this_cpu_inc(shared->hits);
	return NULL;
}

/* this_cpu ops are safe with several threads on one CPU. */
static void test_this_cpu_ops_shared_cpu(void **state)
{
	pthread_t th[4];
	int cpu;
	unsigned long sum = 0;

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2 kswapd=off"), 0);
	shared = alloc_percpu(struct counters);
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, bump, (void *)(i % 2));
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(shared, cpu)->hits;
	assert_int_equal(sum, 40000);
	free_percpu(shared);
	assert_int_equal(kmm_exit(), 0);
}

/* alloc_percpu() may sleep (the kernel's takes a mutex): in interrupt
 * context or under a spinlock it is reported and refused; the GFP_ATOMIC
 * form is allowed there. */
static void test_atomic_context(void **state)
{
	struct counters *c;

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  assert_null(alloc_percpu(struct counters)));
	unsigned long bugs = kmm_bug_count();
	c = alloc_percpu_gfp(struct counters, GFP_ATOMIC);
	assert_non_null(c);
	free_percpu(c);
	assert_int_equal(kmm_bug_count(), bugs);
	kmm_irq_exit();
	preempt_disable();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  assert_null(alloc_percpu(struct counters)));
	preempt_enable();
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_distinct_zeroed_separated),
		cmocka_unit_test(test_many_chunks),
		cmocka_unit_test(test_this_cpu_ops_shared_cpu),
		cmocka_unit_test(test_atomic_context),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
