/* mempool: the reserve is filled at creation and refilled by frees, an
 * allocation that may sleep waits for an element when the source and the
 * reserve are dry (and gets the one another thread frees), one that may
 * not gets NULL, resize grows and shrinks the reserve, and the kmalloc,
 * page and slab pools give back every page when destroyed. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "kmm_test.h"

/* A source that can be turned off: kmalloc(128) while `dry` is 0. */
static int dry;
static long source_allocs;

static void *source_alloc(gfp_t gfp, void *data)
{
	if (__atomic_load_n(&dry, __ATOMIC_ACQUIRE))
		return NULL;
	__atomic_add_fetch(&source_allocs, 1, __ATOMIC_RELAXED);
	return kmalloc((size_t)data, gfp);
}

static void source_free(void *element, void *data)
{
	kfree(element);
}

static void test_reserve_filled_and_refilled(void **state)
{
	mempool_t *pool;
	void *e[4];

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	pool = mempool_create(4, source_alloc, source_free, (void *)128);
	assert_non_null(pool);
	assert_true(mempool_initialized(pool));
	assert_int_equal(pool->curr_nr, 4);
	for (int i = 0; i < 4; i++)
		e[i] = mempool_alloc_preallocated(pool);
	assert_null(mempool_alloc_preallocated(pool));
	assert_int_equal(pool->curr_nr, 0);
	for (int i = 0; i < 4; i++)
		mempool_free(e[i], pool);		/* back into the reserve */
	assert_int_equal(pool->curr_nr, 4);
	assert_ptr_equal(mempool_alloc_preallocated(pool), e[3]);
	mempool_free(e[3], pool);

	/* with the source working, allocations come from it */
	long before = source_allocs;
	void *x = mempool_alloc(pool, GFP_KERNEL);
	assert_int_equal(source_allocs, before + 1);
	assert_int_equal(pool->curr_nr, 4);
	mempool_free(x, pool);			/* reserve full: back to the source */
	assert_int_equal(pool->curr_nr, 4);

	/* source dry: the reserve, then NULL for who may not sleep */
	dry = 1;
	for (int i = 0; i < 4; i++)
		assert_non_null(e[i] = mempool_alloc(pool, GFP_ATOMIC));
	assert_null(mempool_alloc(pool, GFP_NOWAIT));
	assert_null(mempool_alloc(pool, GFP_ATOMIC));
	for (int i = 0; i < 4; i++)
		mempool_free(e[i], pool);
	dry = 0;
	mempool_destroy(pool);
	mempool_destroy(NULL);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* The source dry and the reserve empty: a GFP_KERNEL allocation sleeps
 * until another thread frees, and gets that element. */
static mempool_t *wait_pool;
static void *waiter_got;
static int waiter_done;

static void *waiter(void *arg)
{
	(void)arg;
	kmm_cpu_bind(1);
	waiter_got = mempool_alloc(wait_pool, GFP_KERNEL);
	__atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
	kmm_cpu_unbind();
	return NULL;
}

static void test_gfp_kernel_waits_for_a_free(void **state)
{
	void *e[2];
	pthread_t th;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	wait_pool = mempool_create(2, source_alloc, source_free, (void *)64);
	dry = 1;
	e[0] = mempool_alloc(wait_pool, GFP_KERNEL);
	e[1] = mempool_alloc(wait_pool, GFP_KERNEL);
	assert_true(e[0] && e[1]);
	pthread_create(&th, NULL, waiter, NULL);
	usleep(300000);
	assert_false(__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE));	/* it sleeps */
	mempool_free(e[1], wait_pool);
	pthread_join(th, NULL);
	assert_ptr_equal(waiter_got, e[1]);	/* the element just freed */
	mempool_free(waiter_got, wait_pool);
	mempool_free(e[0], wait_pool);
	dry = 0;
	mempool_destroy(wait_pool);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* Physical memory exhausted: the kmalloc pool's reserve keeps GFP_ATOMIC
 * allocations going from interrupt context. */
static void test_kmalloc_pool_under_exhaustion(void **state)
{
	mempool_t *pool;
	void *held[8];
	struct page **pages = calloc(32768, sizeof(*pages));
	unsigned long n = 0;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	pool = mempool_create_kmalloc_pool(8, 2048);
	assert_non_null(pool);
	while (n < 32768 && (pages[n] = alloc_page(GFP_ATOMIC | __GFP_NOWARN)))
		n++;
	/* slabs may still hold free objects: use them up */
	void *fill[4096];
	int nfill = 0;
	while (nfill < 4096 && (fill[nfill] = kmalloc(2048, GFP_ATOMIC | __GFP_NOWARN)))
		nfill++;
	kmm_irq_enter();
	for (int i = 0; i < 8; i++)
		assert_non_null(held[i] = mempool_alloc(pool, GFP_ATOMIC));
	assert_null(mempool_alloc(pool, GFP_ATOMIC));
	for (int i = 0; i < 8; i++)
		mempool_free(held[i], pool);
	kmm_irq_exit();
	assert_int_equal(pool->curr_nr, 8);
	while (nfill)
		kfree(fill[--nfill]);
	while (n)
		__free_page(pages[--n]);
	free(pages);
	mempool_destroy(pool);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

static void test_page_and_slab_pools_and_resize(void **state)
{
	struct kmem_cache *cache;
	mempool_t *pages, *objs, embedded;
	struct page *p;
	void *o;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	pages = mempool_create_page_pool(3, 2);
	assert_non_null(pages);
	p = mempool_alloc(pages, GFP_KERNEL);
	assert_int_equal(page_count(p), 1);
	memset(page_address(p), 1, 4 * PAGE_SIZE);	/* an order-2 block */
	mempool_free(p, pages);

	cache = kmem_cache_create("mempool-objs", 100, 0, 0, NULL);
	objs = mempool_create_slab_pool(5, cache);
	assert_non_null(objs);
	o = mempool_alloc(objs, GFP_KERNEL);
	assert_non_null(o);
	mempool_free(o, objs);

	/* grow and shrink the reserve */
	assert_int_equal(mempool_resize(objs, 20), 0);
	assert_int_equal(objs->min_nr, 20);
	assert_int_equal(objs->curr_nr, 20);
	assert_int_equal(mempool_resize(objs, 2), 0);
	assert_int_equal(objs->min_nr, 2);
	assert_int_equal(objs->curr_nr, 2);

	/* an embedded pool */
	assert_int_equal(mempool_init_kmalloc_pool(&embedded, 2, 32), 0);
	o = mempool_alloc(&embedded, GFP_KERNEL);
	mempool_free(o, &embedded);
	mempool_exit(&embedded);
	assert_false(mempool_initialized(&embedded));
	assert_int_equal(mempool_init_page_pool(&embedded, 1, 0), 0);
	mempool_exit(&embedded);
	assert_int_equal(mempool_init_slab_pool(&embedded, 1, cache), 0);
	mempool_exit(&embedded);

	mempool_destroy(objs);
	kmem_cache_destroy(cache);
	mempool_destroy(pages);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

static void test_misuse_reported(void **state)
{
	mempool_t *pool, embedded;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	EXPECT_ONE_REPORT("bad pool", assert_null(mempool_create(-1, source_alloc, source_free, NULL)));
	EXPECT_ONE_REPORT("bad pool", assert_null(mempool_create(2, NULL, source_free, NULL)));
	EXPECT_ONE_REPORT("bad pool", assert_int_equal(mempool_init(&embedded, 1, source_alloc,
								    NULL, NULL), -EINVAL));
	EXPECT_ONE_REPORT("node 5", assert_null(mempool_create_node(2, source_alloc, source_free,
								    (void *)8, GFP_KERNEL, 5)));
	pool = mempool_create_kmalloc_pool(2, 64);
	EXPECT_ONE_REPORT("not positive", assert_int_equal(mempool_resize(pool, 0), -EINVAL));
	assert_int_equal(pool->min_nr, 2);
	preempt_disable();
	EXPECT_ONE_REPORT("sleeping function", assert_null(mempool_alloc(pool, GFP_KERNEL)));
	preempt_enable();
	mempool_free(NULL, pool);
	mempool_destroy(pool);
	/* a source that fails at creation: no pool, nothing kept */
	dry = 1;
	assert_null(mempool_create(2, source_alloc, source_free, (void *)8));
	dry = 0;
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* Threads on both CPUs take and give back elements flat out while the
 * source fails every other time: GFP_KERNEL allocations always succeed
 * (sleeping when they must), and at the end the reserve is full. */
enum { THREADS = 4, ROUNDS = 20000 };
static mempool_t *shared_pool;
static unsigned int flaky;
static int flaky_on;

static void *flaky_alloc(gfp_t gfp, void *data)
{
	if (__atomic_load_n(&flaky_on, __ATOMIC_RELAXED) &&
	    __atomic_add_fetch(&flaky, 1, __ATOMIC_RELAXED) % 2)
		return NULL;
	return kmalloc((size_t)data, gfp);
}

static void *churn(void *arg)
{
	void *mine[3] = { 0 };

	kmm_cpu_bind((int)(long)arg % 2);
	for (int i = 0; i < ROUNDS; i++) {
		int k = i % 3;

		if (mine[k]) {
			assert_int_equal(*(long *)mine[k], (long)arg);
			mempool_free(mine[k], shared_pool);
			mine[k] = NULL;
		} else {
			mine[k] = mempool_alloc(shared_pool, GFP_KERNEL);
			assert_non_null(mine[k]);
			*(long *)mine[k] = (long)arg;
		}
	}
	for (int k = 0; k < 3; k++)
		mempool_free(mine[k], shared_pool);
	kmm_cpu_unbind();
	return NULL;
}

static void test_threads_share_a_pool(void **state)
{
	pthread_t th[THREADS];

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	shared_pool = mempool_create(4, flaky_alloc, source_free, (void *)64);
	assert_non_null(shared_pool);
	flaky_on = 1;
	for (long i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, churn, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(shared_pool->curr_nr, 4);
	flaky_on = 0;
	mempool_destroy(shared_pool);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_filled_and_refilled),
		cmocka_unit_test(test_gfp_kernel_waits_for_a_free),
		cmocka_unit_test(test_kmalloc_pool_under_exhaustion),
		cmocka_unit_test(test_page_and_slab_pools_and_resize),
		cmocka_unit_test(test_misuse_reported),
		cmocka_unit_test(test_threads_share_a_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
