/* The page allocator's entry points: alloc_pages() and friends, the
 * watermark checks, the slow path with kswapd, reserves and direct reclaim,
 * and alloc_pages_exact() (freeing is page_free.c). Each entry point opens
 * with an inline fast path that calls nothing and leaves by a tail call to
 * a noinline function running the whole path (docs/design.md, "Pages").
 *
 * Locks: none of its own; see mmzone.h (pcp, then shard) and reclaim.c. */
#include <errno.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/pcp.h"
#include "buddy/phys.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/fault_inject.h"
#include "lib/ratelimit.h"
#include "lib/events.h"
#include "buddy/vmstat.h"

#define MAX_RECLAIM_RETRIES	16
/* How long an allocation that may sleep waits when nothing is free. There
 * is no OOM killer, so where the kernel would retry forever it retries
 * for ALLOC_WAIT_US by the monotonic clock, counted from its first pass
 * of direct reclaim, then fails (__GFP_NOFAIL alone has no bound). Each
 * sleep ends at the next free or at the deadline: frees and reclaim make
 * it retry sooner, never wait longer. Progress is a reclaim pass that
 * made pages free; passes in a row without it end __GFP_RETRY_MAYFAIL
 * early (MAX_RECLAIM_RETRIES, as the kernel), but progress does not move
 * the deadline: pages drained from a CPU's list and taken back at once
 * by that CPU are progress that never reaches the waiter. */
#define ALLOC_WAIT_US		(2UL * 1000 * 1000)

struct fault_attr fail_page_alloc;

static const char *const zone_flag_names[] = { "__GFP_DMA", "__GFP_HIGHMEM", "__GFP_DMA32" };

/* gfp_zone(): the highest zone an allocation may use; -1 for conflicting
 * zone modifiers (the kernel's GFP_ZONE_BAD). */
static int gfp_zone(gfp_t gfp)
{
	gfp_t bits = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);
	bool is64 = kmm_config.layout == LAYOUT_64BIT;

	switch (bits) {
	case 0:			return ZONE_NORMAL;
	case __GFP_DMA:		return ZONE_DMA;
	case __GFP_DMA32:	return is64 ? ZONE_DMA32 : ZONE_NORMAL;
	case __GFP_HIGHMEM:	return is64 ? ZONE_NORMAL : ZONE_HIGHMEM;
	default:		return -1;
	}
}

static void report_bad_zone_flags(gfp_t gfp, const char *caller)
{
	char names[80] = "";

	for (int i = 0; i < 3; i++) {
		if (!(gfp & (1u << i)))
			continue;
		if (names[0])
			strcat(names, "|");
		strcat(names, zone_flag_names[i]);
	}
	kmm_bug("%s: conflicting zone modifiers in gfp %#x (%s)", caller, gfp, names);
}

static inline int gfp_migratetype(gfp_t gfp)
{
	return (int)((gfp & GFP_MOVABLE_MASK) >> 3);
}

/* gfp_to_alloc_flags(), kernels 6.3+. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int flags = ALLOC_WMARK_MIN;

	flags |= gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		if (!(gfp & __GFP_NOMEMALLOC)) {
			flags |= ALLOC_NON_BLOCK;
			if (order > 0)
				flags |= ALLOC_HIGHATOMIC;
		}
	}
	return flags;
}


/* __zone_watermark_ok(). The zone's counter is approximate (per-CPU
 * deltas); near the mark the exact sum decides, as percpu_drift_mark. */
bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags)
{
	long min = (long)mark;
	long free = zone_page_state(z, NR_FREE_PAGES);
	long reserve = z->lowmem_reserve[highest_zoneidx];

	if (free < min + reserve + (long)z->drift + (1L << order))
		free = (long)zone_free_pages_exact(z);
	free -= (1L << order) - 1;
	if (!(alloc_flags & ALLOC_RESERVES))
		free -= (long)atomic_load_relaxed(&z->nr_reserved_highatomic);
	if (alloc_flags & ALLOC_RESERVES) {
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free <= min + reserve)
		return false;
	if (!order)
		return true;
	return buddy_has_free_block(z, order);
}

static always_inline bool zone_watermark_fast(struct zone *z, unsigned int order,
					      unsigned long mark, int highest,
					      unsigned int alloc_flags)
{
	if (!order) {
		long free = zone_page_state(z, NR_FREE_PAGES);

		if (!(alloc_flags & ALLOC_RESERVES))
			free -= (long)atomic_load_relaxed(&z->nr_reserved_highatomic);
		if (free > (long)(mark + z->drift) + z->lowmem_reserve[highest])
			return true;
	}
	return zone_watermark_ok(z, order, mark, highest, alloc_flags);
}

static always_inline struct page *rmqueue(struct zone *z, unsigned int order, int mt, unsigned int alloc_flags)
{
	if (likely(order <= PAGE_ALLOC_COSTLY_ORDER && kmm_config.pcp))
		return pcp_alloc(z, order, mt, alloc_flags);
	count_event(EV_pgalloc_buddy);
	return buddy_rmqueue(z, order, mt, alloc_flags);
}

/* get_page_from_freelist(): walk the zonelist, highest zone first. */
static always_inline struct page *get_page_from_freelist(unsigned int order, unsigned int alloc_flags,
					   int highest, int mt)
{
	for (struct zone **zp = kmm_mem.zonelist[highest]; *zp; zp++) {
		struct zone *z = *zp;
		struct page *page;

		if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
			unsigned long mark = z->watermark[alloc_flags & ALLOC_WMARK_MASK];

			if (!zone_watermark_fast(z, order, mark, highest, alloc_flags))
				continue;
		}
		page = rmqueue(z, order, mt, alloc_flags);
		if (page) {
			if (unlikely((alloc_flags & ALLOC_HIGHATOMIC) && order))
				reserve_highatomic_pageblock(page, z);
			return page;
		}
	}
	return NULL;
}

static void wake_all_kswapds(unsigned int order, int highest)
{
	for (int idx = highest; idx >= 0; idx--) {
		struct zone *z = &kmm_mem.zones[idx];

		if (zone_populated(z) &&
		    !zone_watermark_ok(z, order, z->watermark[WMARK_LOW], highest, 0))
			wakeup_kswapd(z, order);
	}
}

/* warn_alloc(): the kernel's allocation-failure message, rate limited.
 * Running out of memory is not misuse, so it is not a counted report. */
static void warn_alloc(gfp_t gfp, unsigned int order)
{
	static struct ratelimit rl = RATELIMIT_INIT(10);

	count_event(EV_alloc_fail);
	if ((gfp & __GFP_NOWARN) || !ratelimit_ok(&rl))
		return;
	kmm_pr_info("kmm: page allocation failure: order:%u, mode:%#x, nodemask=(null); "
		    "free pages %lu, cpu %d%s", order, gfp, nr_free_pages(), cpu_id(),
		    in_interrupt() ? " (in interrupt)" : "");
}

static unsigned long monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000 + (unsigned long)ts.tv_nsec / 1000;
}

static noinline struct page *alloc_pages_slowpath(gfp_t gfp, unsigned int order,
						  int highest, int mt)
{
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
	bool can_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned long wait_us = 500, start_us;
	int no_progress = 0;
	struct page *page;

	if (gfp & __GFP_KSWAPD_RECLAIM)
		wake_all_kswapds(order, highest);
	page = get_page_from_freelist(order, alloc_flags, highest, mt);
	if (page)
		return page;
	if ((gfp & __GFP_MEMALLOC) && !(gfp & __GFP_NOMEMALLOC)) {
		page = get_page_from_freelist(order, ALLOC_NO_WATERMARKS, highest, mt);
		if (page)
			return page;
	}
	if (!can_reclaim) {
		/* __GFP_NOFAIL cannot wait here: give it the reserves, as the
		 * kernel does, rather than hang a non-sleeping context. */
		if (gfp & __GFP_NOFAIL) {
			WARN_ON_ONCE(1);
			page = get_page_from_freelist(order, ALLOC_NO_WATERMARKS, highest, mt);
			if (page)
				return page;
		}
		goto nopage;
	}

	start_us = monotonic_us();
	for (;;) {
		unsigned long progress, waited_us;

		count_event(EV_direct_reclaim);
		progress = try_to_free_pages(gfp, order);
		page = get_page_from_freelist(order, alloc_flags, highest, mt);
		if (page)
			return page;
		if (gfp & __GFP_NORETRY)
			goto nopage;
		if (costly && !(gfp & (__GFP_RETRY_MAYFAIL | __GFP_NOFAIL)))
			goto nopage;
		no_progress = progress ? 0 : no_progress + 1;
		if (no_progress > MAX_RECLAIM_RETRIES) {
			if (unreserve_highatomic_pageblocks()) {
				no_progress = 0;
				continue;
			}
			if (gfp & __GFP_RETRY_MAYFAIL)
				goto nopage;
		}
		waited_us = monotonic_us() - start_us;
		if (gfp & __GFP_NOFAIL)
			reclaim_wait_for_free(wait_us);
		else if (waited_us >= ALLOC_WAIT_US)
			goto nopage;
		else
			reclaim_wait_for_free(MIN(wait_us, ALLOC_WAIT_US - waited_us));
		wait_us = MIN(wait_us * 2, 20000UL);
	}
nopage:
	warn_alloc(gfp, order);
	return NULL;
}

static always_inline void prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	unsigned long pfn = pfn_of(page);

	page_state_set(page, PS_ALLOC, order);
	atomic_store_relaxed(&page->flags, 0);
	if (pfn < kmm_mem.lowmem_pages)
		kasan_unpoison(pfn_to_virt(pfn), PAGE_SIZE << order);
	if ((gfp & __GFP_ZERO) || kmm_config.init_on_alloc)
		phys_zero_pages(pfn, 1UL << order);
	if ((gfp & __GFP_COMP) && order) {
		SetPageFlag(page, PG_head);
		for (unsigned long i = 1; i < (1UL << order); i++) {
			atomic_store_relaxed(&page[i].compound_head, (unsigned long)page | 1);
			atomic_store_relaxed(&page[i].tail_slab_cache, NULL);
			atomic_store_relaxed(&page[i].tail_fast_objects, 0);
		}
	}
	/* Last, with release: a speculative get_page_unless_zero() that finds
	 * the reference also finds the page as it was handed out. */
	atomic_store_release(&page->refcount, 1);
}

static bool should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	if (likely(!fail_page_alloc.enabled))
		return false;
	if (order < kmm_config.fail_page_alloc_min_order || (gfp & __GFP_NOFAIL))
		return false;
	if (kmm_config.fail_page_alloc_ignore_gfp_wait && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	return should_fail(&fail_page_alloc, 1L << order);
}

static noinline struct page *alloc_pages_bad(gfp_t gfp, unsigned int order)
{
	if (!kmm_mem.live) {
		kmm_warn("alloc_pages: kmm is not booted (kmm_init_late not done)");
		return NULL;
	}
	if (order > MAX_PAGE_ORDER) {
		if (!(gfp & __GFP_NOWARN))
			kmm_warn("alloc_pages: order %u above MAX_PAGE_ORDER (%d)", order, MAX_PAGE_ORDER);
		return NULL;
	}
	if ((gfp & __GFP_NOFAIL) && order > 1) {
		kmm_warn("alloc_pages: __GFP_NOFAIL with order %u > 1 refused", order);
		return NULL;
	}
	report_bad_zone_flags(gfp, "alloc_pages");
	return NULL;
}

/* Every allocation the fast path does not serve: the whole of
 * alloc_pages(), its checks and reports first. */
static noinline struct page *alloc_pages_slow(gfp_t gfp, unsigned int order)
{
	int highest = gfp_zone(gfp);
	int mt = gfp_migratetype(gfp);
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER || highest < 0 || !kmm_mem.live ||
		     ((gfp & __GFP_NOFAIL) && order > 1)))
		return alloc_pages_bad(gfp, order);
	if (unlikely(!might_alloc(gfp, "alloc_pages")))
		return NULL;
	if (unlikely(should_fail_alloc_page(gfp, order)))
		goto fail;
	page = get_page_from_freelist(order, ALLOC_WMARK_LOW, highest, mt);
	if (unlikely(!page))
		page = alloc_pages_slowpath(gfp, order, highest, mt);
	if (unlikely(!page))
		return NULL;
	prep_new_page(page, order, gfp);
	return page;
fail:
	warn_alloc(gfp, order);
	return NULL;
}

/* gfp bits that leave the fast path: a zone modifier (the fast path serves
 * ZONE_NORMAL's zonelist), zeroing, __GFP_NOFAIL's checks. */
#define ALLOC_FAST_GFP_OUT	(__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_ZERO | __GFP_NOFAIL)

/* The allocation fast path: an order <= PAGE_ALLOC_COSTLY_ORDER block from
 * this CPU's list in the precomputed zone (kmm_mem.fast_zone), above the
 * low watermark by the zone's approximate counter. NULL: the caller's slow
 * path decides everything again (get_page_from_freelist() makes the same
 * first test, so the outcome is the same). */
static always_inline struct page *alloc_pages_fast(gfp_t gfp, unsigned int order, int cpu)
{
	struct zone *z = atomic_load_acquire(&kmm_mem.fast_zone);
	long free;
	struct page *page;

	if (unlikely(!z || order > PAGE_ALLOC_COSTLY_ORDER || (gfp & ALLOC_FAST_GFP_OUT) ||
		     fail_page_alloc.enabled ||
		     ((gfp & __GFP_COMP) && order) ||
		     ((gfp & __GFP_DIRECT_RECLAIM) && cpu_in_atomic())))
		return NULL;
	/* zone_watermark_fast() with ALLOC_WMARK_LOW: a negative counter
	 * fails as its clamp to zero would. */
	free = atomic_load_relaxed(&z->vm_stat[NR_FREE_PAGES]) -
	       (long)atomic_load_relaxed(&z->nr_reserved_highatomic);
	if (unlikely(free <= (long)atomic_load_relaxed(&kmm_mem.fast_mark)))
		return NULL;
	page = pcp_alloc_fast(z, pcp_cpu_offset(cpu), order, gfp_migratetype(gfp));
	if (unlikely(!page))
		return NULL;
	/* prep_new_page() for a block without __GFP_ZERO or __GFP_COMP. */
	page_state_set(page, PS_ALLOC, order);
	atomic_store_relaxed(&page->flags, 0);
	kasan_unpoison(page_address_lowmem(page), PAGE_SIZE << order);
	atomic_store_release(&page->refcount, 1);
	return page;
}

/* A thread bound to no CPU asks the host which CPU it runs on: a call,
 * so out of the inline path. */
static noinline struct page *alloc_pages_unbound(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages_fast(gfp, order, cpu_id_slow());

	if (likely(page))
		return page;
	return alloc_pages_slow(gfp, order);
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	unsigned int cpu = kmm_current.cpu;
	struct page *page;

	if (unlikely(cpu >= nr_cpu_ids))
		return alloc_pages_unbound(gfp, order);
	page = alloc_pages_fast(gfp, order, (int)cpu);
	if (likely(page))
		return page;
	return alloc_pages_slow(gfp, order);
}

/* alloc_pages_nolock(): from any context, never waiting for a lock (a
 * busy pcp list or shard is skipped), never reclaiming or waking kswapd,
 * never below the min watermark. Pages come zeroed and compound; only
 * __GFP_ACCOUNT may be asked for, and orders up to
 * PAGE_ALLOC_COSTLY_ORDER, as in the kernel. A failure is not reported:
 * it means no memory was at hand. */
struct page *alloc_pages_nolock(gfp_t gfp_flags, int nid, unsigned int order)
{
	gfp_t gfp = __GFP_NOWARN | __GFP_ZERO | __GFP_NOMEMALLOC | __GFP_COMP | gfp_flags;
	struct page *page;

	if (unlikely((gfp_flags & ~__GFP_ACCOUNT) || (nid != NUMA_NO_NODE && nid != 0) ||
		     !kmm_mem.live)) {
		if (!kmm_mem.live)
			kmm_warn("alloc_pages_nolock: kmm is not booted");
		else
			kmm_warn("alloc_pages_nolock: gfp %#x, node %d: only __GFP_ACCOUNT, "
				 "on node 0 or NUMA_NO_NODE", gfp_flags, nid);
		return NULL;
	}
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NULL;
	if (unlikely(should_fail_alloc_page(gfp, order)))
		return NULL;
	page = get_page_from_freelist(order, ALLOC_WMARK_MIN | ALLOC_TRYLOCK, gfp_zone(gfp),
				      gfp_migratetype(gfp));
	if (page)
		prep_new_page(page, order, gfp);
	return page;
}

/* alloc_pages_bulk(): fills the NULL entries of `array` with order-0
 * pages. Pages come from the per-CPU lists and the buddy above the low
 * watermark; only when the first is not at hand does one allocation take
 * the slow path (reclaim, waiting, as gfp allows). Returns how far the
 * array is filled: every entry below the returned index holds a page. */
unsigned long alloc_pages_bulk_node(gfp_t gfp, int nid, unsigned long nr, struct page **array)
{
	int highest = gfp_zone(gfp), mt = gfp_migratetype(gfp);
	unsigned long i = 0, taken = 0;

	if (unlikely(highest < 0 || !kmm_mem.live || (gfp & __GFP_COMP) ||
		     (nid != NUMA_NO_NODE && nid != 0))) {
		if (highest < 0 || !kmm_mem.live)
			alloc_pages_bad(gfp, 0);
		else
			kmm_warn("alloc_pages_bulk: gfp %#x, node %d: no __GFP_COMP, on node 0 "
				 "or NUMA_NO_NODE", gfp, nid);
		return 0;
	}
	if (unlikely(!might_alloc(gfp, "alloc_pages_bulk")))
		return 0;
	for (; i < nr; i++) {
		struct page *page;

		if (array[i])
			continue;
		page = should_fail_alloc_page(gfp, 0) ? NULL :
		       get_page_from_freelist(0, ALLOC_WMARK_LOW, highest, mt);
		if (page) {
			prep_new_page(page, 0, gfp);
		} else {
			if (taken)
				break;
			page = alloc_pages(gfp, 0);
			if (!page)
				break;
		}
		array[i] = page;
		taken++;
	}
	return i;
}

unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr, struct page **array)
{
	return alloc_pages_bulk_node(gfp, NUMA_NO_NODE, nr, array);
}

struct page *alloc_page(gfp_t gfp)
{
	return alloc_pages(gfp, 0);
}

static noinline unsigned long get_free_pages_slow(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	unsigned int cpu = kmm_current.cpu;
	struct page *page;

	gfp &= ~__GFP_HIGHMEM;
	if (unlikely(cpu >= nr_cpu_ids))
		return get_free_pages_slow(gfp, order);
	page = alloc_pages_fast(gfp, order, (int)cpu);
	/* The fast path serves ZONE_NORMAL's zonelist: never HighMem. */
	if (likely(page))
		return (unsigned long)page_address_lowmem(page);
	return get_free_pages_slow(gfp, order);
}

unsigned long __get_free_page(gfp_t gfp)
{
	return __get_free_pages(gfp, 0);
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

/* split_page(): an order-n block becomes 2^n order-0 pages. */
static void split_page(struct page *page, unsigned int order)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		page_state_set(&page[i], PS_ALLOC, 0);
		atomic_store_relaxed(&page[i].refcount, 1);
	}
}

void *alloc_pages_exact(size_t size, gfp_t gfp)
{
	unsigned int order;
	unsigned long used;
	struct page *page;

	if (!size)
		return NULL;
	order = get_order(size);
	page = alloc_pages((gfp & ~(__GFP_COMP | __GFP_HIGHMEM)), order);
	if (!page)
		return NULL;
	used = PAGE_ALIGN(size) >> PAGE_SHIFT;
	split_page(page, order);
	for (unsigned long i = used; i < (1UL << order); i++)
		__free_pages(&page[i], 0);
	return page_address(page);
}
