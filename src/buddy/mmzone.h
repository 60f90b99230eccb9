/* Zones, buddy shards and per-CPU page lists: the page allocator's data.
 *
 * Lock order (outermost first; enum lock_rank in lib/lock.h):
 *   pcp->lock  (LOCK_RANK_PCP)  a CPU's page lists for one zone; always taken
 *              with trylock by the local CPU (fall back to the buddy), with
 *              a blocking lock only by remote drains
 *   shard->lock (LOCK_RANK_ZONE) one shard's free_area lists, the buddy
 *              state of its pages, its nr_free; never two shards at once
 * A buddy pair never straddles a max-order block and a shard is a run of
 * whole max-order blocks, so merging stays inside one shard and one lock. */
#ifndef KMM_BUDDY_MMZONE_H
#define KMM_BUDDY_MMZONE_H

#include <stdbool.h>
#include <kmm/mm.h>
#include "buddy/page.h"
#include "lib/lock.h"
#include "lib/cmdline.h"
#include "lib/list.h"

#define NR_PAGE_ORDERS		(MAX_PAGE_ORDER + 1)
#define PAGEBLOCK_ORDER		9
#define PAGEBLOCK_NR_PAGES	(1UL << PAGEBLOCK_ORDER)
#define PAGE_ALLOC_COSTLY_ORDER	3

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	MAX_NR_ZONES
};

enum zone_wmark { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

/* Zone counters: per-CPU deltas folded into the zone at a threshold. */
enum zone_stat_item {
	NR_FREE_PAGES,
	NR_SLAB_RECLAIMABLE,
	NR_SLAB_UNRECLAIMABLE,
	NR_VMALLOC,
	NR_PERCPU,
	NR_KERNEL_MISC,		/* boot allocations */
	NR_VM_ZONE_STAT_ITEMS
};

#define NR_PCP_LISTS	(MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))

struct per_cpu_pages {
	struct kmm_spinlock lock;
	int count;		/* pages on the lists */
	int high;
	int high_min, high_max;
	int batch;
	struct list_head lists[NR_PCP_LISTS];
} cacheline_aligned;

struct per_cpu_zonestat {
	signed char vm_stat_diff[NR_VM_ZONE_STAT_ITEMS];
	signed char stat_threshold;
};

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;
};

struct buddy_shard {
	struct kmm_spinlock lock;
	unsigned long start_pfn, end_pfn;
	struct zone *zone;
	unsigned long nr_free_pages;	/* written under lock, read lockless */
	unsigned long rand_state;	/* page_alloc.shuffle */
	/* Max-order blocks free since boot and never touched: counted free,
	 * on no list, their struct pages never written (zone->deferred_map).
	 * A shard takes one onto its lists when they run dry. */
	unsigned long nr_deferred;	/* written under lock, read lockless */
	unsigned long deferred_hint;	/* no deferred block at or above this index */
	unsigned long nr_reported;	/* free pages given back to the host */
	unsigned long nr_isolated;	/* free pages off the lists, being reported */
	struct free_area free_area[NR_PAGE_ORDERS];
} cacheline_aligned;

struct zone {
	const char *name;
	enum zone_type type;
	bool configured;	/* part of this layout (maybe empty) */
	unsigned long zone_start_pfn;
	unsigned long spanned_pages;
	unsigned long present_pages;
	unsigned long managed_pages;	/* atomic: pages the buddy owns */
	unsigned long watermark[NR_WMARK];
	long lowmem_reserve[MAX_NR_ZONES];
	unsigned long nr_reserved_highatomic;	/* under shard 0's lock */

	unsigned int nr_shards;
	unsigned long shard_pages;	/* pages per shard, whole max-order blocks */
	struct buddy_shard *shards;
	unsigned char *pageblock_mt;	/* migratetype of each pageblock */
	unsigned long *deferred_map;	/* a bit per max-order block: deferred */

	struct per_cpu_pages *pcp;		/* percpu pointer */
	struct per_cpu_zonestat *pcpstat;	/* percpu pointer */
	long vm_stat[NR_VM_ZONE_STAT_ITEMS];	/* atomic */
	int stat_threshold;
	unsigned long drift;	/* stat_threshold * nr_cpu_ids: error of vm_stat */
	bool highmem;
	/* Blocks free_pages_nolock() found every lock busy for, linked
	 * through lru.next (a lock-free stack); drain_all_pages() frees them. */
	struct page *nolock_deferred;
};

struct kmm_mem {
	int memfd;
	unsigned long nr_pages;		/* max_pfn */
	unsigned long lowmem_pages;	/* pfns below this are in the direct map */
	unsigned long lowmem_bytes;	/* lowmem_pages << PAGE_SHIFT */
	char *direct_map;		/* __va(0) */
	struct page *mem_map;
	struct zone zones[MAX_NR_ZONES];
	/* The zone of each max-order block: page_zone() in one load. */
	unsigned char *block_zone;
	/* Per highest zone index: the populated zones to try, highest first,
	 * NULL-terminated (the kernel's zonelist). */
	struct zone *zonelist[MAX_NR_ZONES][MAX_NR_ZONES + 1];
	unsigned long totalram;		/* managed pages, all zones */
	bool populated;			/* memfd allocated, direct map pre-faulted */
	bool live;			/* after memblock_free_all */
};

extern struct kmm_mem kmm_mem KMM_HIDDEN;

static inline unsigned long pfn_of(const struct page *p)
{
	return (unsigned long)(p - kmm_mem.mem_map);
}

static inline struct page *pfn_page(unsigned long pfn)
{
	return kmm_mem.mem_map + pfn;
}

static inline bool pfn_valid(unsigned long pfn)
{
	return pfn < kmm_mem.nr_pages;
}

/* In integers: before boot and after exit mem_map is NULL, and pointer
 * arithmetic on it would be undefined. */
static inline bool page_valid(const struct page *p)
{
	unsigned long off = (unsigned long)p - (unsigned long)kmm_mem.mem_map;

	return off < kmm_mem.nr_pages * sizeof(struct page) && off % sizeof(struct page) == 0;
}

/* Direct-map address of a lowmem page (no checks). */
static inline void *pfn_to_virt(unsigned long pfn)
{
	return kmm_mem.direct_map + (pfn << PAGE_SHIFT);
}

static inline bool virt_in_direct_map(const void *addr)
{
	return kmm_mem.direct_map && (const char *)addr >= kmm_mem.direct_map &&
	       (const char *)addr < kmm_mem.direct_map + (kmm_mem.lowmem_pages << PAGE_SHIFT);
}

static inline struct zone *page_zone(const struct page *page)
{
	return &kmm_mem.zones[kmm_mem.block_zone[pfn_of(page) >> MAX_PAGE_ORDER]];
}

static inline struct buddy_shard *pfn_shard(struct zone *z, unsigned long pfn)
{
	return &z->shards[(pfn - z->zone_start_pfn) / z->shard_pages];
}

static inline bool zone_populated(const struct zone *z)
{
	return z->configured && z->present_pages > 0;
}

static inline int pageblock_migratetype(const struct zone *z, unsigned long pfn)
{
	return atomic_load_relaxed(&z->pageblock_mt[(pfn - z->zone_start_pfn) >> PAGEBLOCK_ORDER]);
}

static inline void set_pageblock_migratetype(struct zone *z, unsigned long pfn, int mt)
{
	atomic_store_relaxed(&z->pageblock_mt[(pfn - z->zone_start_pfn) >> PAGEBLOCK_ORDER],
			     (unsigned char)mt);
}

#define for_each_zone(z) \
	for ((z) = kmm_mem.zones; (z) < kmm_mem.zones + MAX_NR_ZONES; (z)++) \
		if ((z)->configured)
#define for_each_populated_zone(z) \
	for ((z) = kmm_mem.zones; (z) < kmm_mem.zones + MAX_NR_ZONES; (z)++) \
		if (zone_populated(z))

#endif
