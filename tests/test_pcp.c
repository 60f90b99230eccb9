/* Per-CPU page lists: hit, refill, drain, the high limit, the kernel's
 * batch/high formulas, and the trylock fallback to the buddy. */
#include <pthread.h>
#include "kmm_test.h"
#include "buddy/buddy.h"

static struct zone *dma32(void)
{
	return &kmm_mem.zones[ZONE_DMA32];
}

static void test_hit_refill_drain(void **state)
{
	struct kmm_stats st;
	struct page *a, *b;
	struct per_cpu_pages *pcp;

	(void)state;
	assert_int_equal(kmm_init("mem=256M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(1);
	pcp = per_cpu_ptr(dma32()->pcp, 1);
	kmm_stats_reset();
	a = alloc_page(GFP_KERNEL);
	kmm_stats_read(&st);
	assert_int_equal(st.pgalloc_pcp_refill, 1);
	assert_int_equal(st.pgalloc_pcp, 0);
	/* one batch came over, one page left */
	assert_int_equal(pcp->count, pcp->batch - 1);
	b = alloc_page(GFP_KERNEL);
	kmm_stats_read(&st);
	assert_int_equal(st.pgalloc_pcp, 1);
	__free_page(a);
	__free_page(b);
	kmm_stats_read(&st);
	assert_int_equal(st.pgfree_pcp, 2);
	/* two taken from the batch, two given back */
	assert_int_equal(pcp->count, pcp->batch);
	/* the pageset is visible in zoneinfo */
	char *zi = proc_text("zoneinfo");
	char want[64];
	snprintf(want, sizeof(want), "    cpu: 1\n              count:    %d\n", pcp->batch);
	assert_non_null(strstr(zi, want));
	free(zi);
	drain_all_pages(NULL);
	assert_int_equal(pcp->count, 0);
	kmm_stats_read(&st);
	assert_true(st.pcp_drain >= 1);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* Freeing past `high` sends a batch back: the list never grows past high. */
static void test_high_limit(void **state)
{
	enum { N = 4000 };
	struct page **p = calloc(N, sizeof(*p));
	struct per_cpu_pages *pcp;

	(void)state;
	assert_int_equal(kmm_init("mem=256M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(0);
	pcp = per_cpu_ptr(dma32()->pcp, 0);
	for (int i = 0; i < N; i++)
		assert_non_null(p[i] = alloc_page(GFP_KERNEL));
	for (int i = 0; i < N; i++) {
		__free_page(p[i]);
		assert_true(pcp->count <= pcp->high);
	}
	free(p);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* zone_batchsize()/zone_highsize() as the kernel computes them. */
static void test_batch_and_high_formulas(void **state)
{
	struct zone *z;

	(void)state;
	assert_int_equal(kmm_init("mem=2G nr_cpus=2 kswapd=off"), 0);
	z = &kmm_mem.zones[ZONE_DMA];
	struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, 0);
	/* DMA: 4096 managed pages: batch max(1, rounddown_pow2(1) - 1) = 1 */
	assert_int_equal(pcp->batch, 1);
	assert_int_equal(pcp->high_min, MAX((int)(z->watermark[WMARK_LOW] / 2), 4));
	z = dma32();
	pcp = per_cpu_ptr(z->pcp, 1);
	/* DMA32 of 2G: min(507904 >> 10, 256) / 4 = 64 -> 96 -> 64 - 1 = 63 */
	assert_int_equal(pcp->batch, 63);
	assert_int_equal(pcp->high_min, MAX((int)(z->watermark[WMARK_LOW] / 2), 63 * 4));
	assert_int_equal(pcp->high_max, (int)(atomic_load_relaxed(&z->managed_pages) / 8 / 2));
	assert_int_equal(kmm_exit(), 0);

	/* percpu_pagelist_high_fraction: high = managed / fraction / cpus */
	assert_int_equal(kmm_init("mem=2G nr_cpus=2 kswapd=off percpu_pagelist_high_fraction=100"), 0);
	z = dma32();
	pcp = per_cpu_ptr(z->pcp, 0);
	assert_int_equal(pcp->high_min, (int)(atomic_load_relaxed(&z->managed_pages) / 100 / 2));
	assert_int_equal(pcp->high_max, pcp->high_min);
	assert_int_equal(kmm_exit(), 0);
}

struct irq_arg {
	struct page *page;
};

static void *irq_alloc(void *argp)
{
	struct irq_arg *a = argp;

	kmm_cpu_bind(0);
	kmm_irq_enter();
	a->page = alloc_page(GFP_ATOMIC);
	if (a->page)
		__free_page(a->page);
	kmm_irq_exit();
	return NULL;
}

/* An interrupt thread finds its CPU's pcp lock held: it must not spin on
 * it, but allocate and free from the buddy instead. */
static void test_trylock_fallback_from_interrupt(void **state)
{
	struct kmm_stats st;
	struct irq_arg arg = { 0 };
	pthread_t th;
	struct per_cpu_pages *pcp;

	(void)state;
	assert_int_equal(kmm_init("mem=256M nr_cpus=2 kswapd=off"), 0);
	pcp = per_cpu_ptr(dma32()->pcp, 0);
	kmm_stats_reset();
	kmm_spin_lock(&pcp->lock);	/* "the task on CPU 0 holds it" */
	pthread_create(&th, NULL, irq_alloc, &arg);
	pthread_join(th, NULL);
	kmm_spin_unlock(&pcp->lock);
	assert_non_null(arg.page);
	kmm_stats_read(&st);
	assert_int_equal(st.pcp_trylock_fail, 2);
	assert_int_equal(st.pgalloc_buddy, 1);
	assert_int_equal(st.pgfree_buddy, 1);
	assert_int_equal(pcp->count, 0);
	assert_int_equal(kmm_exit(), 0);
}

/* pcp=off: every page goes through the buddy. */
static void test_pcp_off(void **state)
{
	struct kmm_stats st;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off pcp=off"), 0);
	kmm_stats_reset();
	for (int i = 0; i < 100; i++)
		__free_page(alloc_page(GFP_KERNEL));
	kmm_stats_read(&st);
	assert_int_equal(st.pgalloc_buddy, 100);
	assert_int_equal(st.pgalloc_pcp + st.pgalloc_pcp_refill, 0);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_refill_drain),
		cmocka_unit_test(test_high_limit),
		cmocka_unit_test(test_batch_and_high_formulas),
		cmocka_unit_test(test_trylock_fallback_from_interrupt),
		cmocka_unit_test(test_pcp_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
