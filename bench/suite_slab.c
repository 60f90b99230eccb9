/* Slab suite: kmem_cache_alloc/free of 64-byte objects (pair, batch of
 * 1000 freed FIFO and LIFO), kmalloc/kfree over the kernel-like size mix,
 * and producer/consumer remote frees through kmem_cache. */
#include <stdio.h>
#include <stdlib.h>
#include "kmm_bench.h"
#include "patterns.h"

static struct kmem_cache *cache64;

static void *kc_alloc(void *ctx, size_t size)
{
	return kmem_cache_alloc(ctx, GFP_KERNEL);
}

static void kc_free(void *ctx, void *p, size_t size)
{
	kmem_cache_free(ctx, p);
}

static void *km_alloc(void *ctx, size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void km_free(void *ctx, void *p, size_t size)
{
	kfree(p);
}

static void bm_cache_pair(struct gb_state *st)
{
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_pair(st, kc_alloc, kc_free, cache64, 64, 1000), MEAS_SLAB);
}

static void bm_cache_batch_fifo(struct gb_state *st)
{
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_batch(st, kc_alloc, kc_free, cache64, 64, 0), MEAS_SLAB);
}

static void bm_cache_batch_lifo(struct gb_state *st)
{
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_batch(st, kc_alloc, kc_free, cache64, 64, 1), MEAS_SLAB);
}

static void bm_kmalloc_mix(struct gb_state *st)
{
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_mix(st, km_alloc, km_free, NULL), MEAS_SLAB);
}

static void bm_prodcons(struct gb_state *st)
{
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_prodcons(st, kc_alloc, kc_free, cache64, 64), MEAS_SLAB);
}

static void cache_init(void)
{
	if (cache64)
		return;
	cache64 = kmem_cache_create("bench-64", 64, 0, 0, NULL);
	if (!cache64) {
		fprintf(stderr, "bench_kmm: kmem_cache_create(bench-64) failed\n");
		exit(2);
	}
}

void suite_slab_register(void)
{
	cache_init();
	bench_add(kmm_label, "cache_pair", bm_cache_pair, 64, 1, BENCH_MAX_THREADS);
	bench_add(kmm_label, "cache_batch_fifo", bm_cache_batch_fifo, 64, 1, BENCH_MAX_THREADS);
	bench_add(kmm_label, "cache_batch_lifo", bm_cache_batch_lifo, 64, 1, BENCH_MAX_THREADS);
	bench_add(kmm_label, "kmalloc_mix", bm_kmalloc_mix, PAT_MIX_WINDOW, 1, BENCH_MAX_THREADS);
	bench_add(kmm_label, "prodcons", bm_prodcons, 64, 2, BENCH_MAX_THREADS);
}

static void cg_cache_pair(long iters)
{
	cache_init();
	pat_cg_pair(kc_alloc, kc_free, cache64, 64, iters);
}

static void cg_cache_batch(long iters)
{
	cache_init();
	pat_cg_batch(kc_alloc, kc_free, cache64, 64, iters);
}

static void cg_kmalloc_pair(long iters)
{
	pat_cg_pair(km_alloc, km_free, NULL, 64, iters);
}

static void cg_kmalloc_mix(long iters)
{
	pat_cg_mix(km_alloc, km_free, NULL, iters);
}

const struct bench_cg_case suite_slab_cg[] = {
	{ "cache_pair", cg_cache_pair },
	{ "cache_batch", cg_cache_batch },
	{ "kmalloc_pair", cg_kmalloc_pair },
	{ "kmalloc_mix", cg_kmalloc_mix },
	{ NULL, NULL },
};
