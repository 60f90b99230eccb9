/* alloc_pages_bulk (array form), alloc_pages_nolock and free_pages_nolock:
 * the bulk fills only empty slots and says how far it got; the nolock
 * calls never wait for a lock — with the CPU's pcp list and every buddy
 * shard held by another thread they fail or defer at once — and from an
 * interrupt thread racing the task on its CPU nothing is lost. */
#include <pthread.h>
#include <time.h>
#include "kmm_test.h"
#include "buddy/buddy.h"

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

static void test_bulk_array(void **state)
{
	enum { N = 300 };
	struct page *pages[N] = { 0 }, *mine;
	unsigned long before;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	before = free_now();
	mine = alloc_page(GFP_KERNEL);
	pages[7] = mine;
	assert_int_equal(alloc_pages_bulk(GFP_KERNEL, N, pages), N);
	assert_ptr_equal(pages[7], mine);	/* filled slots are left alone */
	for (int i = 0; i < N; i++) {
		assert_non_null(pages[i]);
		assert_int_equal(page_count(pages[i]), 1);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(pages[i], pages[j]);
	}
	assert_int_equal(free_now(), before - N);
	for (int i = 0; i < N; i++)
		__free_page(pages[i]);
	assert_int_equal(free_now(), before);

	/* zeroed on request, a full array untouched, misuse refused */
	memset(pages, 0, sizeof(pages));
	assert_int_equal(alloc_pages_bulk_node(GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE, 4, pages), 4);
	assert_int_equal(*(long *)page_address(pages[3]), 0);
	assert_int_equal(alloc_pages_bulk(GFP_KERNEL, 4, pages), 4);
	EXPECT_ONE_REPORT("__GFP_COMP", assert_int_equal(alloc_pages_bulk(GFP_KERNEL | __GFP_COMP,
									 8, pages), 0));
	EXPECT_ONE_REPORT("conflicting zone", alloc_pages_bulk(__GFP_DMA | __GFP_DMA32, 8, pages));
	for (int i = 0; i < 4; i++)
		__free_page(pages[i]);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* Out of memory, the bulk returns how far it filled the array. */
static void test_bulk_partial(void **state)
{
	unsigned long n = 40000, got;
	struct page **pages = calloc(n, sizeof(*pages));

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	got = alloc_pages_bulk(GFP_NOWAIT | __GFP_NOWARN, n, pages);
	assert_true(got > 1000 && got < n);
	for (unsigned long i = 0; i < n; i++)
		assert_true(i < got ? pages[i] != NULL : pages[i] == NULL);
	for (unsigned long i = 0; i < got; i++)
		__free_page(pages[i]);
	free(pages);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

static void test_nolock_alloc(void **state)
{
	struct page *p, *q;
	char *a;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	/* dirty a few pages so that zeroing is seen */
	for (int i = 0; i < 64; i++) {
		p = alloc_pages(GFP_KERNEL, 2);
		memset(page_address(p), 0xa5, 4 * PAGE_SIZE);
		__free_pages(p, 2);
	}
	for (unsigned int order = 0; order <= 3; order++) {
		p = alloc_pages_nolock(order ? __GFP_ACCOUNT : 0, NUMA_NO_NODE, order);
		assert_non_null(p);
		a = page_address(p);
		for (unsigned long i = 0; i < (PAGE_SIZE << order); i++)
			assert_int_equal(a[i], 0);
		assert_int_equal(folio_order(page_folio(p)), order);
		assert_int_equal(folio_test_large(page_folio(p)), order > 0);
		assert_int_equal(page_count(p), 1);
		free_pages_nolock(p, order);
	}
	assert_null(alloc_pages_nolock(0, 0, 4));	/* above the pcp orders: no */
	EXPECT_ONE_REPORT("only __GFP_ACCOUNT", assert_null(alloc_pages_nolock(GFP_KERNEL, 0, 0)));
	EXPECT_ONE_REPORT("only __GFP_ACCOUNT", assert_null(alloc_pages_nolock(0, 3, 0)));

	/* free_pages_nolock drops a reference like __free_pages */
	p = alloc_pages_nolock(0, 0, 1);
	q = alloc_page(GFP_KERNEL);
	get_page(p);
	free_pages_nolock(p, 1);
	assert_int_equal(page_count(p), 1);
	put_page(p);
	free_pages_nolock(q, 0);	/* any page, not only nolock ones */
	EXPECT_ONE_REPORT("double free", free_pages_nolock(q, 0));
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* Another thread holds CPU 1's pcp lock of every zone and every shard of
 * every zone: the nolock calls on CPU 1 neither wait nor fail to keep
 * what they were given. The holder takes the raw locks: holding many of
 * one rank at once is this test's doing, not kmm's. */
static pthread_mutex_t hold_mx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv = PTHREAD_COND_INITIALIZER;
static int hold_state;		/* 1: held, 2: release */

static void *holder(void *arg)
{
	struct zone *z;

	(void)arg;
	for_each_populated_zone(z) {
		ck_spinlock_fas_lock(&per_cpu_ptr(z->pcp, 1)->lock.lock);
		for (unsigned int i = 0; i < z->nr_shards; i++)
			ck_spinlock_fas_lock(&z->shards[i].lock.lock);
	}
	pthread_mutex_lock(&hold_mx);
	hold_state = 1;
	pthread_cond_broadcast(&hold_cv);
	while (hold_state != 2)
		pthread_cond_wait(&hold_cv, &hold_mx);
	pthread_mutex_unlock(&hold_mx);
	for_each_populated_zone(z) {
		for (unsigned int i = z->nr_shards; i-- > 0;)
			ck_spinlock_fas_unlock(&z->shards[i].lock.lock);
		ck_spinlock_fas_unlock(&per_cpu_ptr(z->pcp, 1)->lock.lock);
	}
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_nolock_never_waits(void **state)
{
	struct page *p, *kept;
	unsigned long before;
	pthread_t th;
	double t0;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	before = free_now();
	kmm_cpu_bind(1);
	kept = alloc_page(GFP_KERNEL);
	pthread_create(&th, NULL, holder, NULL);
	pthread_mutex_lock(&hold_mx);
	while (hold_state != 1)
		pthread_cond_wait(&hold_cv, &hold_mx);
	pthread_mutex_unlock(&hold_mx);

	kmm_irq_enter();
	t0 = now_ms();
	p = alloc_pages_nolock(0, NUMA_NO_NODE, 0);	/* every lock busy: no page */
	assert_null(p);
	free_pages_nolock(kept, 0);			/* deferred, not waited for */
	assert_true(now_ms() - t0 < 1000);
	kmm_irq_exit();

	pthread_mutex_lock(&hold_mx);
	hold_state = 2;
	pthread_cond_broadcast(&hold_cv);
	pthread_mutex_unlock(&hold_mx);
	pthread_join(th, NULL);
	kmm_cpu_unbind();
	assert_int_equal(free_now(), before);	/* drain_all_pages freed the deferred page */
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* An interrupt thread and the task on the same CPU allocate and free
 * without pause, the interrupt with the nolock calls: every page is
 * accounted for at the end. */
enum { ROUNDS = 100000 };
static volatile int go;
static unsigned long irq_got, irq_failed;

static void *irq_pages(void *arg)
{
	(void)arg;
	kmm_cpu_bind(1);
	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		;
	kmm_irq_enter();
	for (int i = 0; i < ROUNDS; i++) {
		unsigned int order = i % 3;
		struct page *p = alloc_pages_nolock(0, NUMA_NO_NODE, order);

		if (!p) {
			irq_failed++;
			continue;
		}
		irq_got++;
		*(volatile long *)page_address(p) = i;
		free_pages_nolock(p, order);
	}
	kmm_irq_exit();
	kmm_cpu_unbind();
	return NULL;
}

static void test_nolock_from_interrupt_beside_task(void **state)
{
	pthread_t th;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(1);
	pthread_create(&th, NULL, irq_pages, NULL);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < ROUNDS; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, i % 4);

		assert_non_null(p);
		__free_pages(p, i % 4);
	}
	pthread_join(th, NULL);
	kmm_cpu_unbind();
	print_message("alloc_pages_nolock from an interrupt: %lu pages, %lu busy\n", irq_got,
		      irq_failed);
	assert_true(irq_got > 0);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_array),
		cmocka_unit_test(test_bulk_partial),
		cmocka_unit_test(test_nolock_alloc),
		cmocka_unit_test(test_nolock_never_waits),
		cmocka_unit_test(test_nolock_from_interrupt_beside_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
