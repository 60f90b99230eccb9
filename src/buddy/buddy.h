/* The page allocator's internal interface (src/buddy): the buddy engine,
 * per-CPU page lists, zones, memblock. Locks: a shard's lock (shard_lock()
 * below, LOCK_RANK_ZONE) and a CPU's pcp lock (LOCK_RANK_PCP); each *.c
 * says which of its functions need which held. */
#ifndef KMM_BUDDY_BUDDY_H
#define KMM_BUDDY_BUDDY_H

#include <stdio.h>
#include "buddy/mmzone.h"
#include "lib/fault_inject.h"
#include "lib/events.h"

/* alloc_flags, as mm/internal.h. With ALLOC_TRYLOCK an allocation never
 * waits for a lock: a busy pcp list or shard is skipped. */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10
#define ALLOC_MIN_RESERVE	0x20	/* __GFP_HIGH */
#define ALLOC_HIGHATOMIC	0x200
#define ALLOC_TRYLOCK		0x400	/* only trylocks: alloc_pages_nolock() */
#define ALLOC_KSWAPD		0x800	/* __GFP_KSWAPD_RECLAIM */
#define ALLOC_RESERVES	(ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

/* Every shard lock is counted (EV_zone_lock): the structural measure of
 * how the page allocator will scale past the cores at hand. */
#ifdef KMM_NO_SHARD_LOCK
/* Negative control: the stress suite under TSan must catch this. */
#define shard_lock(s)	count_event(EV_zone_lock)
#define shard_trylock(s) (count_event(EV_zone_lock), true)
#define shard_unlock(s)	((void)(s))
#else
#define shard_lock(s)	do { kmm_spin_lock(&(s)->lock); count_event(EV_zone_lock); } while (0)
#define shard_trylock(s) (kmm_spin_trylock(&(s)->lock) && (count_event(EV_zone_lock), true))
#define shard_unlock(s)	kmm_spin_unlock(&(s)->lock)
#endif

/* buddy.c: the split/merge engine. *_locked: the shard's lock is held. */
void buddy_free_one_locked(struct buddy_shard *s, unsigned long pfn, unsigned int order, int mt);
struct page *buddy_rmqueue_locked(struct buddy_shard *s, unsigned int order, int mt,
				  unsigned int alloc_flags);
struct page *buddy_rmqueue(struct zone *z, unsigned int order, int mt, unsigned int alloc_flags);
int buddy_rmqueue_bulk(struct zone *z, unsigned int order, int count, struct list_head *list,
		       int mt, unsigned int alloc_flags);
void buddy_free_pages(struct zone *z, struct page *page, unsigned int order);
void buddy_free_pages_nolock(struct zone *z, struct page *page, unsigned int order);
void buddy_free_deferred(struct zone *z);
void buddy_free_range_boot(unsigned long start_pfn, unsigned long end_pfn);
bool buddy_has_free_block(struct zone *z, unsigned int order);
void reserve_highatomic_pageblock(struct page *page, struct zone *z);
bool unreserve_highatomic_pageblocks(void);
int buddy_home_shard(const struct zone *z);
unsigned long buddy_verify(void);
void buddy_shuffle_free_lists(void);
unsigned long shard_nr_free(struct buddy_shard *s);
/* The free notifier (free page reporting): notify() is called, under a
 * shard lock, when a free leaves a block of `order` or more on a list; it
 * must only wake someone. One notifier at a time. */
void buddy_free_notify_register(unsigned int order, void (*notify)(void));
void buddy_free_notify_unregister(void);
/* Free page reporting: isolate unreported blocks, give them back. */
unsigned int buddy_isolate_unreported_locked(struct buddy_shard *s, unsigned int order, int mt,
					     struct page **out, unsigned int max);
void buddy_putback_reported_locked(struct buddy_shard *s, struct page *page, unsigned int order,
				   int mt, bool released);
unsigned long shard_nr_reported(struct buddy_shard *s);
unsigned long shard_nr_deferred(struct buddy_shard *s);
bool buddy_block_deferred(struct zone *z, unsigned long pfn);

/* pcp.c: per-CPU page lists. */
void pcp_init_zone(struct zone *z);
struct page *pcp_alloc(struct zone *z, unsigned int order, int mt, unsigned int alloc_flags);
void pcp_free(struct zone *z, struct page *page, unsigned int order, int mt);
bool pcp_free_nolock(struct zone *z, struct page *page, unsigned int order, int mt);
void pcp_drain_cpu_zone(int cpu, struct zone *z);
static inline int order_to_pindex(int mt, unsigned int order)
{
	return (int)order * MIGRATE_PCPTYPES + mt;
}

/* zone.c */
int zones_layout(void);
int zones_init(void);
void zones_exit(void);
void setup_watermarks(void);
void zone_pcp_update(struct zone *z);
extern unsigned long min_free_kbytes;

/* page_alloc.c */
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags);

/* proc_buddy.c: /proc views */
int buddyinfo_show(FILE *m);
int pagetypeinfo_show(FILE *m);
int zoneinfo_show(FILE *m);

/* memblock.c */
int memblock_init(void);
void memblock_free_all(void);
void memblock_exit(void);
unsigned long memblock_reserved_pages(void);

#endif

/* page_free.c: the free path after the checks (state already claimed). */
void free_pages_core(struct page *page, unsigned int order);
extern struct fault_attr fail_page_alloc;
