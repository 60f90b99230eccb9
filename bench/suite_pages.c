/* Page allocator suite: __get_free_pages + touch + free_pages of order 0, 3
 * and 9. With pcp (orders 0-3 served from the per-CPU lists) or, in a
 * process booted with pcp=off (label kmm_nopcp), straight from the buddy. */
#include "kmm_bench.h"
#include "patterns.h"

static void *pg_alloc(void *ctx, size_t order)
{
	return (void *)__get_free_pages(GFP_KERNEL, (unsigned int)order);
}

static void pg_free(void *ctx, void *p, size_t order)
{
	free_pages((unsigned long)p, (unsigned int)order);
}

static void bm_page_pair(struct gb_state *st)
{
	size_t order = (size_t)gb_range_arg(st, 0);
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_pair(st, pg_alloc, pg_free, NULL, order, PAT_PAGE_BATCH(order)),
		     MEAS_PAGES);
}

void suite_pages_register(void)
{
	for (int order = 0; order <= 9; order += order ? 6 : 3)
		bench_add(kmm_label, "page_pair", bm_page_pair, order, 1, BENCH_MAX_THREADS);
}

static void cg_page0(long iters) { pat_cg_pair(pg_alloc, pg_free, NULL, 0, iters); }

const struct bench_cg_case suite_pages_cg[] = {
	{ "page_pair", cg_page0 },
	{ NULL, NULL },
};
