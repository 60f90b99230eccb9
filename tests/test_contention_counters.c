/* The calling thread's contention counters the benchmarks report: lock
 * acquisitions and atomic read-modify-writes. A thread that owns its CPU
 * makes neither on the slab fast paths; a page pair takes its CPU's list
 * lock and writes the page's shared words; a thread on another CPU that
 * frees more objects than its sheaves hold gives them back to their
 * slabs, which takes one or the other. */
#include <pthread.h>
#include "kmm_test.h"

enum { OBJS = 2000 };

static void *free_remote(void *arg)
{
	void **objs = arg;
	unsigned long before;

	kmm_cpu_bind(1);
	before = kmm_thread_atomic_rmws() + kmm_thread_lock_acquisitions();
	for (int i = 0; i < OBJS; i++)
		kmem_cache_free(objs[OBJS], objs[i]);
	before = kmm_thread_atomic_rmws() + kmm_thread_lock_acquisitions() - before;
	kmm_cpu_unbind();
	return (void *)before;
}

static void test_counters_follow_the_paths(void **state)
{
	struct kmem_cache *s;
	unsigned long rmws, locks;
	static void *objs[OBJS + 1];
	void *ret;
	struct page *page;
	pthread_t th;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	s = kmem_cache_create("counters", 64, 0, 0, NULL);
	assert_non_null(s);
	kmm_cpu_bind(0);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));	/* warm: a slab, a sheaf */

	rmws = kmm_thread_atomic_rmws();
	locks = kmm_thread_lock_acquisitions();
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	assert_int_equal(kmm_thread_atomic_rmws(), rmws);
	assert_int_equal(kmm_thread_lock_acquisitions(), locks);

	page = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(page);
	__free_pages(page, 0);
	rmws = kmm_thread_atomic_rmws();
	locks = kmm_thread_lock_acquisitions();
	for (int i = 0; i < 100; i++)
		__free_pages(alloc_pages(GFP_KERNEL, 0), 0);
	assert_true(kmm_thread_atomic_rmws() - rmws >= 100);
	assert_true(kmm_thread_lock_acquisitions() - locks >= 100);

	for (int i = 0; i < OBJS; i++)
		assert_non_null(objs[i] = kmem_cache_alloc(s, GFP_KERNEL));
	objs[OBJS] = s;
	assert_int_equal(pthread_create(&th, NULL, free_remote, objs), 0);
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_true((unsigned long)ret > 0);	/* counted by the thread that made them */
	kmm_cpu_unbind();
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_follow_the_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
