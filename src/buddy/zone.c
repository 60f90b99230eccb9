/* Zone layout, buddy shards, watermarks, lowmem reserves and the pcp
 * batch/high sizes: the kernel's formulas (mm/page_alloc.c, mm/mm_init.c).
 *
 * Runs at boot, before other threads use kmm, and when a watermark setting
 * changes (under the boot lock). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "buddy/vmstat.h"

#define MAX_SHARDS_PER_ZONE 64

static const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "HighMem" };

static void zone_span(enum zone_type t, unsigned long start, unsigned long end)
{
	struct zone *z = &kmm_mem.zones[t];

	z->name = zone_names[t];
	z->type = t;
	z->configured = true;
	z->highmem = t == ZONE_HIGHMEM;
	if (end > kmm_mem.nr_pages)
		end = kmm_mem.nr_pages;
	if (start > end)
		start = end;
	z->zone_start_pfn = start;
	z->spanned_pages = end - start;
	z->present_pages = end - start;
	/* Zone boundaries are max-order aligned; the end of memory need not
	 * be, so the last block may be partial. An empty zone claims no
	 * block: the partial one belongs to the zone below. */
	if (start == end)
		return;
	for (unsigned long b = start >> MAX_PAGE_ORDER; b < (end + MAX_ORDER_NR_PAGES - 1) >> MAX_PAGE_ORDER; b++)
		kmm_mem.block_zone[b] = (unsigned char)t;
}

/* The seed's "memory zones for 8 GB RAM": 64-bit DMA 16 MiB, DMA32 to
 * 4 GiB, Normal above; 32-bit DMA 16 MiB, Normal to 896 MiB, HighMem above. */
int zones_layout(void)
{
	const unsigned long dma_end = (16UL << 20) >> PAGE_SHIFT;

	kmm_mem.block_zone = host_calloc((kmm_mem.nr_pages >> MAX_PAGE_ORDER) + 1, 1);
	if (!kmm_mem.block_zone)
		return -ENOMEM;

	if (kmm_config.layout == LAYOUT_64BIT) {
		const unsigned long dma32_end = (4UL << 30) >> PAGE_SHIFT;

		zone_span(ZONE_DMA, 0, dma_end);
		zone_span(ZONE_DMA32, dma_end, dma32_end);
		zone_span(ZONE_NORMAL, dma32_end, kmm_mem.nr_pages);
	} else {
		const unsigned long normal_end = (896UL << 20) >> PAGE_SHIFT;

		zone_span(ZONE_DMA, 0, dma_end);
		zone_span(ZONE_NORMAL, dma_end, normal_end);
		zone_span(ZONE_HIGHMEM, normal_end, kmm_mem.nr_pages);
	}
	return 0;
}

/* build_zonelists(): for each highest zone, the populated zones at or
 * below it, highest first (GFP_KERNEL: Normal, DMA32, DMA). */
static void build_zonelists(void)
{
	for (int high = 0; high < MAX_NR_ZONES; high++) {
		int n = 0;

		for (int idx = high; idx >= 0; idx--)
			if (zone_populated(&kmm_mem.zones[idx]))
				kmm_mem.zonelist[high][n++] = &kmm_mem.zones[idx];
		kmm_mem.zonelist[high][n] = NULL;
	}
}

/* Splits a zone into shards of whole max-order blocks. */
static int zone_init_shards(struct zone *z)
{
	unsigned long blocks = (z->spanned_pages + MAX_ORDER_NR_PAGES - 1) >> MAX_PAGE_ORDER;
	unsigned long nr = MIN((unsigned long)nr_cpu_ids, MIN(blocks, (unsigned long)MAX_SHARDS_PER_ZONE));
	unsigned long blocks_per_shard = (blocks + nr - 1) / nr;

	z->shard_pages = blocks_per_shard << MAX_PAGE_ORDER;
	z->nr_shards = (unsigned int)((blocks + blocks_per_shard - 1) / blocks_per_shard);
	z->shards = host_aligned_alloc(CACHELINE, sizeof(struct buddy_shard) * z->nr_shards);
	z->pageblock_mt = host_calloc((z->spanned_pages >> PAGEBLOCK_ORDER) + 1, 1);
	z->deferred_map = host_calloc(blocks / (8 * sizeof(long)) + 1, sizeof(long));
	if (!z->shards || !z->pageblock_mt || !z->deferred_map)
		return -ENOMEM;
	memset(z->shards, 0, sizeof(struct buddy_shard) * z->nr_shards);
	for (unsigned int i = 0; i < z->nr_shards; i++) {
		struct buddy_shard *s = &z->shards[i];

		kmm_spin_init(&s->lock, "zone shard", LOCK_RANK_ZONE);
		s->zone = z;
		s->rand_state = 0x9e3779b97f4a7c15UL ^ ((unsigned long)i << 32) ^ z->zone_start_pfn;
		s->start_pfn = z->zone_start_pfn + i * z->shard_pages;
		s->end_pfn = MIN(s->start_pfn + z->shard_pages, z->zone_start_pfn + z->spanned_pages);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				INIT_LIST_HEAD(&s->free_area[o].free_list[mt]);
	}
	/* Every pageblock starts Movable, as at the kernel's boot. */
	memset(z->pageblock_mt, MIGRATE_MOVABLE, (z->spanned_pages >> PAGEBLOCK_ORDER) + 1);
	return 0;
}

int zones_init(void)
{
	struct zone *z;

	for_each_zone(z) {
		if (!zone_populated(z))
			continue;
		if (zone_init_shards(z))
			return -ENOMEM;
	}
	build_zonelists();
	return 0;
}

#ifdef KMM_ASAN
/* Free pages are poisoned for ASan; the direct map goes back to the
 * process at teardown, so its shadow must be clean. Only blocks the buddy
 * ever listed can have been poisoned: a 64 GiB machine that used a few
 * blocks does not unpoison 8 GiB of shadow. */
static void unpoison_used_blocks(struct zone *z)
{
	unsigned long end = MIN(z->zone_start_pfn + z->spanned_pages, kmm_mem.lowmem_pages);

	for (unsigned long pfn = z->zone_start_pfn; pfn < end; pfn += MAX_ORDER_NR_PAGES)
		if (!buddy_block_deferred(z, pfn))
			kasan_unpoison(pfn_to_virt(pfn), MIN(MAX_ORDER_NR_PAGES, end - pfn) << PAGE_SHIFT);
}
#endif

void zones_exit(void)
{
	struct zone *z;

	for_each_zone(z) {
#ifdef KMM_ASAN
		if (kmm_mem.direct_map)
			unpoison_used_blocks(z);
#endif
		host_free(z->shards);
		host_free(z->pageblock_mt);
		host_free(z->deferred_map);
	}
	host_free(kmm_mem.block_zone);
	kmm_mem.block_zone = NULL;
	memset(kmm_mem.zones, 0, sizeof(kmm_mem.zones));
	memset(kmm_mem.zonelist, 0, sizeof(kmm_mem.zonelist));
	kmm_mem.fast_zone = NULL;
	kmm_mem.fast_free = false;
}

static unsigned long zone_managed(const struct zone *z)
{
	return atomic_load_relaxed(&z->managed_pages);
}

static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/* calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), in [128, 262144]. */
static unsigned long default_min_free_kbytes(void)
{
	unsigned long lowmem_pages = 0, kb;
	struct zone *z;

	for_each_populated_zone(z) {
		if (z->highmem)
			continue;
		if (zone_managed(z) > z->watermark[WMARK_HIGH])
			lowmem_pages += zone_managed(z) - z->watermark[WMARK_HIGH];
	}
	kb = int_sqrt(lowmem_pages * (PAGE_SIZE >> 10) * 16);
	return MIN(MAX(kb, 128UL), 262144UL);
}

unsigned long min_free_kbytes;

/* __setup_per_zone_wmarks() */
static void setup_per_zone_wmarks(void)
{
	unsigned long pages_min = min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *z;

	for_each_populated_zone(z)
		if (!z->highmem)
			lowmem_pages += zone_managed(z);
	for_each_zone(z) {
		unsigned long managed = zone_managed(z), tmp;

		tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
		if (z->highmem) {
			/* HighMem gets a small min: its pages cannot serve
			 * the allocations the reserve exists for. */
			unsigned long min_pages = managed / 1024;

			z->watermark[WMARK_MIN] = MIN(MAX(min_pages, 32UL), 128UL);
		} else {
			z->watermark[WMARK_MIN] = tmp;
		}
		tmp = MAX(tmp >> 2, managed * kmm_config.watermark_scale_factor / 10000);
		z->watermark[WMARK_LOW] = z->watermark[WMARK_MIN] + tmp;
		z->watermark[WMARK_HIGH] = z->watermark[WMARK_MIN] + 2 * tmp;
		z->watermark[WMARK_PROMO] = z->watermark[WMARK_MIN] + 3 * tmp;
	}
}

/* setup_per_zone_lowmem_reserve(): zone i keeps back, from allocations
 * that could have used zone j > i, the managed pages of zones i+1..j
 * divided by zone i's ratio. */
static void setup_per_zone_lowmem_reserve(void)
{
	static const unsigned int type_ratio[MAX_NR_ZONES] = { 256, 256, 32, 0 };
	unsigned int ratio[MAX_NR_ZONES];
	int idx = 0;

	for (int t = 0; t < MAX_NR_ZONES; t++) {
		ratio[t] = type_ratio[t];
		if (kmm_mem.zones[t].configured && kmm_config.lowmem_reserve_ratio_set &&
		    idx < KMM_MAX_ZONES)
			ratio[t] = kmm_config.lowmem_reserve_ratio[idx++];
	}
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		struct zone *z = &kmm_mem.zones[i];
		bool clear = !ratio[i] || !zone_managed(z);
		unsigned long managed = 0;

		for (int j = i + 1; j < MAX_NR_ZONES; j++) {
			if (!kmm_mem.zones[j].configured)
				continue;
			managed += zone_managed(&kmm_mem.zones[j]);
			z->lowmem_reserve[j] = clear ? 0 : (long)(managed / ratio[i]);
		}
	}
}

/* zone_batchsize(): about 0.1% of the zone or 1 MiB, /4, clamped to 2^n-1. */
static int zone_batchsize(const struct zone *z)
{
	unsigned long batch = MIN(zone_managed(z) >> 10, (1UL << 20) / PAGE_SIZE);
	unsigned long b;

	batch /= 4;
	if (batch < 1)
		batch = 1;
	b = batch + batch / 2;
	while (b & (b - 1))
		b &= b - 1;	/* rounddown_pow_of_two */
	return (int)b - 1;
}

/* zone_highsize(): the low watermark (or managed/fraction) shared by the
 * zone's CPUs, at least four batches. */
static int zone_highsize(const struct zone *z, int batch, unsigned int fraction)
{
	unsigned long total = fraction ? zone_managed(z) / fraction : z->watermark[WMARK_LOW];
	unsigned long high = total / nr_cpu_ids;

	return (int)MAX(high, (unsigned long)batch << 2);
}

void zone_pcp_update(struct zone *z)
{
	int batch = MAX(1, zone_batchsize(z));
	unsigned int frac = kmm_config.percpu_pagelist_high_fraction;
	int high_min = zone_highsize(z, batch, frac);
	int high_max = frac ? high_min : zone_highsize(z, batch, 8);
	int cpu;

	z->stat_threshold = vmstat_threshold(z);
	z->drift = (unsigned long)z->stat_threshold * nr_cpu_ids;
	for_each_possible_cpu(cpu) {
		struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);

		atomic_store_relaxed(&pcp->batch, batch);
		atomic_store_relaxed(&pcp->high_min, high_min);
		atomic_store_relaxed(&pcp->high_max, high_max);
		atomic_store_relaxed(&pcp->high, high_min);
		atomic_store_relaxed(&per_cpu_ptr(z->pcpstat, cpu)->stat_threshold,
				     (signed char)z->stat_threshold);
	}
}

/* The precomputed case of the allocation fast path (kmm_mem.fast_zone):
 * the test zone_watermark_fast() makes first, with its constant terms
 * added up once. Called whenever a watermark, a reserve or a zone's drift
 * changes. */
static void page_fast_update(void)
{
	struct zone *z = kmm_mem.zonelist[ZONE_NORMAL][0];

	atomic_store_relaxed(&kmm_mem.fast_free, kmm_config.pcp && !kmm_config.init_on_free);
	if (!z || !kmm_mem.live || !kmm_config.pcp || kmm_config.init_on_alloc) {
		atomic_store_release(&kmm_mem.fast_zone, NULL);
		return;
	}
	atomic_store_relaxed(&kmm_mem.fast_mark, z->watermark[WMARK_LOW] + z->drift +
			     (unsigned long)z->lowmem_reserve[ZONE_NORMAL]);
	atomic_store_release(&kmm_mem.fast_zone, z);
}

void setup_watermarks(void)
{
	struct zone *z;

	for_each_zone(z)
		memset(z->watermark, 0, sizeof(z->watermark));
	min_free_kbytes = kmm_config.min_free_kbytes >= 0 ?
		(unsigned long)kmm_config.min_free_kbytes : default_min_free_kbytes();
	setup_per_zone_wmarks();
	setup_per_zone_lowmem_reserve();
	for_each_populated_zone(z)
		zone_pcp_update(z);
	page_fast_update();
}
