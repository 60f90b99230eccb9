/* The page allocator's fast paths: the precomputed zone and watermark,
 * which calls they serve (bound and unbound threads), the gfp flags and
 * configurations that must leave them, and misuse caught on them. */
#include "kmm_test.h"
#include "buddy/buddy.h"

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

static void test_precomputed_zone_and_mark(void **state)
{
	struct zone *z;

	(void)state;
	assert_int_equal(kmm_init("mem=256M nr_cpus=2 kswapd=off"), 0);
	z = kmm_mem.fast_zone;
	assert_non_null(z);
	assert_ptr_equal(z, kmm_mem.zonelist[ZONE_NORMAL][0]);
	assert_int_equal(kmm_mem.fast_mark, z->watermark[WMARK_LOW] + z->drift +
			 (unsigned long)z->lowmem_reserve[ZONE_NORMAL]);
	assert_true(kmm_mem.fast_free);
	assert_int_equal(kmm_exit(), 0);
	assert_null(kmm_mem.fast_zone);
	assert_false(kmm_mem.fast_free);

	/* Configurations every allocation or free must leave for. */
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off init_on_alloc=1"), 0);
	assert_null(kmm_mem.fast_zone);
	assert_true(kmm_mem.fast_free);
	assert_int_equal(kmm_exit(), 0);
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off init_on_free=1"), 0);
	assert_non_null(kmm_mem.fast_zone);
	assert_false(kmm_mem.fast_free);
	assert_int_equal(kmm_exit(), 0);
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off pcp=off"), 0);
	assert_null(kmm_mem.fast_zone);
	assert_false(kmm_mem.fast_free);
	assert_int_equal(kmm_exit(), 0);
}

/* Pairs after the first: every allocation from the list, every free onto
 * it, nothing from the buddy; the same for a thread bound to no CPU. */
static void pairs_from_the_list(void)
{
	struct kmm_stats st;
	unsigned long before = free_now();

	free_pages(__get_free_pages(GFP_KERNEL, 0), 0);
	__free_pages(alloc_pages(GFP_KERNEL, 2), 2);
	kmm_stats_reset();
	for (int i = 0; i < 100; i++) {
		unsigned long a = __get_free_pages(GFP_KERNEL, 0);
		struct page *p = alloc_pages(GFP_KERNEL, 2);

		assert_true(a != 0);
		assert_non_null(p);
		memset((void *)a, 1, PAGE_SIZE);
		memset(page_address(p), 2, 4 * PAGE_SIZE);
		free_pages(a, 0);
		__free_pages(p, 2);
	}
	kmm_stats_read(&st);
	assert_int_equal(st.pgalloc_pcp + st.pgalloc_pcp_refill, 200);
	assert_int_equal(st.pgfree_pcp, 200);
	assert_int_equal(st.pgalloc_buddy + st.pgfree_buddy, 0);
	assert_int_equal(free_now(), before);
}

static void test_bound_and_unbound(void **state)
{
	struct kmm_stats st;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(1);
	pairs_from_the_list();
	kmm_stats_read(&st);
	/* bound: one CPU, its lists already filled */
	assert_int_equal(st.pgalloc_pcp, 200);
	kmm_cpu_unbind();
	pairs_from_the_list();
	assert_int_equal(kmm_exit(), 0);
}

/* gfp flags the fast path does not serve still get what they ask for. */
static void test_flags_leave_the_fast_path(void **state)
{
	struct page *p, *q;
	unsigned char *v;
	unsigned long before;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(0);
	before = free_now();
	/* The list is LIFO: the zeroed page is the one just dirtied. */
	p = alloc_pages(GFP_KERNEL, 0);
	memset(page_address(p), 0xaa, PAGE_SIZE);
	__free_pages(p, 0);
	q = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	assert_ptr_equal(q, p);
	v = page_address(q);
	for (unsigned long i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(v[i], 0);
	__free_pages(q, 0);
	/* compound: a head, freed through the slow path */
	p = alloc_pages(GFP_KERNEL | __GFP_COMP, 1);
	assert_int_equal(compound_order(p), 1);
	assert_ptr_equal(compound_head(p + 1), p);
	__free_pages(p, 1);
	/* a zone modifier: the page is in that zone */
	p = alloc_pages(GFP_KERNEL | __GFP_DMA, 0);
	assert_non_null(p);
	assert_true(page_to_pfn(p) < kmm_mem.zones[ZONE_DMA].zone_start_pfn +
		    kmm_mem.zones[ZONE_DMA].spanned_pages);
	__free_pages(p, 0);
	assert_int_equal(free_now(), before);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* Misuse reaches the same reports from the fast paths' callers, bound or
 * not, and changes nothing. */
static void test_misuse_on_the_fast_path(void **state)
{
	unsigned long before, a;
	struct page *p;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	for (int bound = 1; bound >= 0; bound--) {
		if (bound)
			kmm_cpu_bind(1);
		a = __get_free_pages(GFP_KERNEL, 0);
		p = alloc_pages(GFP_KERNEL, 1);
		before = free_now();
		/* on this CPU's list: its state says so */
		free_pages(a, 0);
		EXPECT_ONE_REPORT("double free", free_pages(a, 0));
		EXPECT_ONE_REPORT("double free", __free_pages(virt_to_page((void *)a), 0));
		EXPECT_ONE_REPORT("allocated with order 1", __free_pages(p, 0));
		EXPECT_ONE_REPORT("not the head", free_pages((unsigned long)page_address(p + 1), 0));
		EXPECT_ONE_REPORT("not a page kmm handed out", free_pages(a + 64, 0));
		EXPECT_ONE_REPORT("not a page kmm handed out", free_pages(1, 0));
		EXPECT_ONE_REPORT("above MAX_PAGE_ORDER", __free_pages(p, MAX_PAGE_ORDER + 1));
		assert_int_equal(free_now(), before + 1);
		free_pages(0, 0);	/* NULL: nothing, no report */
		__free_pages(p, 1);
		if (bound)
			kmm_cpu_unbind();
	}
	assert_int_equal(kmm_exit(), 0);
	EXPECT_ONE_REPORT("not a page kmm handed out", free_pages(a, 0));
	EXPECT_ONE_REPORT("not booted", assert_null(alloc_pages(GFP_KERNEL, 0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precomputed_zone_and_mark),
		cmocka_unit_test(test_bound_and_unbound),
		cmocka_unit_test(test_flags_leave_the_fast_path),
		cmocka_unit_test(test_misuse_on_the_fast_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
