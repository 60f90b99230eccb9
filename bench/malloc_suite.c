/* The patterns through malloc/free: each peer allocator (glibc, jemalloc,
 * tcmalloc, mimalloc: whichever malloc the program is linked with) and the
 * in-process glibc comparison of bench_kmm. kmem_cache patterns are malloc
 * of the same size; page patterns are page-aligned aligned_alloc of the
 * same size; vmalloc patterns are malloc of the area, touched alike. */
#include <stdlib.h>
#include "bench.h"
#include "malloc_suite.h"
#include "patterns.h"

static void *m_alloc(void *ctx, size_t size) { return malloc(size); }
static void m_free(void *ctx, void *p, size_t size) { free(p); }
static void *m_pages(void *ctx, size_t order) { return aligned_alloc(4096, 4096UL << order); }

static void bm_page_pair(struct gb_state *st)
{
	size_t order = (size_t)gb_range_arg(st, 0);

	bench_report(st, pat_pair(st, m_pages, m_free, NULL, order, PAT_PAGE_BATCH(order)));
}

static void bm_pair(struct gb_state *st)
{
	bench_report(st, pat_pair(st, m_alloc, m_free, NULL, (size_t)gb_range_arg(st, 0), 1000));
}

static void bm_batch_fifo(struct gb_state *st)
{
	bench_report(st, pat_batch(st, m_alloc, m_free, NULL, (size_t)gb_range_arg(st, 0), 0));
}

static void bm_batch_lifo(struct gb_state *st)
{
	bench_report(st, pat_batch(st, m_alloc, m_free, NULL, (size_t)gb_range_arg(st, 0), 1));
}

static void bm_mix(struct gb_state *st)
{
	bench_report(st, pat_mix(st, m_alloc, m_free, NULL));
}

static void bm_prodcons(struct gb_state *st)
{
	bench_report(st, pat_prodcons(st, m_alloc, m_free, NULL, (size_t)gb_range_arg(st, 0)));
}

static void bm_big(struct gb_state *st)
{
	bench_report(st, pat_big(st, m_alloc, m_free, NULL, (size_t)gb_range_arg(st, 0)));
}

void malloc_suite_register(const char *label)
{
	for (int order = 0; order <= 9; order += order ? 6 : 3)
		bench_add(label, "page_pair", bm_page_pair, order, 1, BENCH_MAX_THREADS);
	bench_add(label, "cache_pair", bm_pair, 64, 1, BENCH_MAX_THREADS);
	bench_add(label, "cache_batch_fifo", bm_batch_fifo, 64, 1, BENCH_MAX_THREADS);
	bench_add(label, "cache_batch_lifo", bm_batch_lifo, 64, 1, BENCH_MAX_THREADS);
	bench_add(label, "kmalloc_mix", bm_mix, PAT_MIX_WINDOW, 1, BENCH_MAX_THREADS);
	bench_add(label, "prodcons", bm_prodcons, 64, 2, BENCH_MAX_THREADS);
	for (int64_t size = 64 << 10; size <= 16 << 20; size <<= 4)
		bench_add(label, "vmalloc", bm_big, size, 1, size == 1 << 20 ? BENCH_MAX_THREADS : 2);
}

static void cg_pair64(long iters) { pat_cg_pair(m_alloc, m_free, NULL, 64, iters); }
static void cg_batch64(long iters) { pat_cg_batch(m_alloc, m_free, NULL, 64, iters); }
static void cg_page0(long iters) { pat_cg_pair(m_pages, m_free, NULL, 0, iters); }
static void cg_mix(long iters) { pat_cg_mix(m_alloc, m_free, NULL, iters); }

const struct bench_cg_case malloc_cg_cases[] = {
	{ "cache_pair", cg_pair64 },
	{ "kmalloc_pair", cg_pair64 },
	{ "cache_batch", cg_batch64 },
	{ "page_pair", cg_page0 },
	{ "kmalloc_mix", cg_mix },
};
const int malloc_cg_nr_cases = 5;
