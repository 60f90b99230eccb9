/* The lock-split buddy allocator: split and merge inside one shard.
 *
 * Lock order: see mmzone.h. Every *_locked function runs with the shard's
 * lock held (lock_assert_held in debug builds); a CPU tries its home shard
 * first, then the zone's other shards, one lock at a time.
 *
 * A free block's head has state PS_BUDDY with its order, and sits on
 * free_area[order].free_list[mt] with mt in buddy_private. The buddy of a
 * block at pfn of order o is at pfn ^ 2^o; both are in the same max-order
 * block and so in the same shard.
 *
 * Deferred blocks (the kernel's deferred struct page init, made lazy):
 * boot counts every whole max-order block free but lists none of them; it
 * sets the block's bit in zone->deferred_map and writes no struct page. A
 * shard whose lists cannot serve a request takes its highest deferred
 * block onto the Movable lists first (shard_grow_locked), so boot costs
 * nothing per GiB and a struct page is first written when its memory is
 * first handed out. page_alloc.shuffle=1 lists every block at boot instead,
 * so that the shuffle sees them all.
 *
 * Reported blocks (page_reporting.c): PG_reported on a free block's head
 * says its memory went back to the host. Such blocks sit at the tail of
 * their list, unreported ones at the head, so the reporter finds work at
 * the head; taking a block off a list clears the flag, and the halves that
 * splitting gives back keep it, since their memory is still released.
 *
 * The free notifier: the reporter stands above the buddy and registers
 * with it (buddy_free_notify_register), as the kernel's reporting device
 * registers the pointer its free path follows; a free that leaves a block
 * of the registered order or more calls the notifier, under the shard
 * lock, so it must only wake someone. */
#include <stdlib.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/vmstat.h"
#include "lib/bitops.h"
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "lib/random.h"

/* The kernel's fallback order when a migratetype's lists are empty. */
static const int fallbacks[MIGRATE_PCPTYPES][2] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE,   MIGRATE_MOVABLE },
};

/* The smallest order notified; above MAX_PAGE_ORDER while no notifier is
 * registered, so the free path's check is one compare. */
static unsigned int notify_order = NR_PAGE_ORDERS;
static void (*notify_fn)(void);

void buddy_free_notify_register(unsigned int order, void (*notify)(void))
{
	atomic_store_release(&notify_fn, notify);
	atomic_store_release(&notify_order, order);
}

/* A free that read the old order may still call the notifier: it only
 * wakes, so that is harmless. */
void buddy_free_notify_unregister(void)
{
	atomic_store_relaxed(&notify_order, NR_PAGE_ORDERS);
	atomic_store_release(&notify_fn, NULL);
}

static noinline void notify_free_slow(void)
{
	void (*notify)(void) = atomic_load_acquire(&notify_fn);

	if (notify)
		notify();
}

/* A block of `order` was just listed (its shard's lock is held). */
static inline void notify_free(unsigned int order)
{
	if (unlikely(order >= atomic_load_relaxed(&notify_order)))
		notify_free_slow();
}

int buddy_home_shard(const struct zone *z)
{
	return cpu_id() % (int)z->nr_shards;
}

unsigned long shard_nr_free(struct buddy_shard *s)
{
	return atomic_load_relaxed(&s->nr_free_pages);
}

static void account_free(struct buddy_shard *s, long pages)
{
	atomic_store_relaxed(&s->nr_free_pages, s->nr_free_pages + (unsigned long)pages);
	mod_zone_page_state(s->zone, NR_FREE_PAGES, pages);
}

/* page_alloc.shuffle=1: max-order blocks go to the head or the tail of
 * their list at random, so the order in which memory is handed out is not
 * its address order (shuffle_pick_tail() in the kernel). */
static bool shuffle_pick_tail(struct buddy_shard *s)
{
	return prandom_next(&s->rand_state) & 1;
}

/* shuffle_zone(): at boot, a Fisher-Yates shuffle of the max-order free
 * lists, so memory is not handed out in address order. */
void buddy_shuffle_free_lists(void)
{
	struct zone *z;

	for_each_populated_zone(z) {
		for (unsigned int i = 0; i < z->nr_shards; i++) {
			struct buddy_shard *s = &z->shards[i];

			shard_lock(s);
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				struct list_head *head = &s->free_area[MAX_PAGE_ORDER].free_list[mt], *pos;
				unsigned long n = 0, k = 0;
				struct page **v;

				list_for_each(pos, head)
					n++;
				if (n < 2 || !(v = host_alloc(n * sizeof(*v))))
					continue;
				list_for_each(pos, head)
					v[k++] = list_entry(pos, struct page, lru);
				for (unsigned long j = n - 1; j > 0; j--) {
					unsigned long r = prandom_next(&s->rand_state) % (j + 1);
					struct page *t = v[j];

					v[j] = v[r];
					v[r] = t;
				}
				INIT_LIST_HEAD(head);
				for (k = 0; k < n; k++)
					list_add_tail(&v[k]->lru, head);
				host_free(v);
			}
			shard_unlock(s);
		}
	}
}

static void add_to_free_list(struct buddy_shard *s, struct page *page, unsigned int order, int mt)
{
	struct free_area *area = &s->free_area[order];

	if (unlikely(kmm_config.shuffle) && order == MAX_PAGE_ORDER && shuffle_pick_tail(s))
		list_add_tail(&page->lru, &area->free_list[mt]);
	else
		list_add(&page->lru, &area->free_list[mt]);
	page->buddy_private = (unsigned long)mt;
	page_state_set(page, PS_BUDDY, order);
	atomic_store_relaxed(&area->nr_free, area->nr_free + 1);
}

/* A block whose memory is released goes to the tail, flagged. */
static void add_reported_to_free_list(struct buddy_shard *s, struct page *page,
				      unsigned int order, int mt)
{
	struct free_area *area = &s->free_area[order];

	list_add_tail(&page->lru, &area->free_list[mt]);
	page->buddy_private = (unsigned long)mt;
	page_state_set(page, PS_BUDDY, order);
	atomic_store_relaxed(&area->nr_free, area->nr_free + 1);
	SetPageFlag(page, PG_reported);
	atomic_store_relaxed(&s->nr_reported, s->nr_reported + (1UL << order));
}

static noinline void clear_reported(struct buddy_shard *s, struct page *page, unsigned int order)
{
	ClearPageFlag(page, PG_reported);
	atomic_store_relaxed(&s->nr_reported, s->nr_reported - (1UL << order));
}

static void del_from_free_list(struct buddy_shard *s, struct page *page, unsigned int order)
{
	struct free_area *area = &s->free_area[order];

	list_del(&page->lru);
	page_state_set(page, PS_NONE, 0);
	atomic_store_relaxed(&area->nr_free, area->nr_free - 1);
	if (unlikely(PageFlag(page, PG_reported)))
		clear_reported(s, page, order);
}

/* ---- deferred blocks ---- */

#define MAP_BITS	(8 * sizeof(unsigned long))

/* Two shards may share a word of the map, each under its own lock: the
 * bits are changed with atomic read-modify-writes. */
static inline bool deferred_test(const struct zone *z, unsigned long i)
{
	return (atomic_load_relaxed(&z->deferred_map[i / MAP_BITS]) >> (i % MAP_BITS)) & 1;
}

static inline void deferred_set(struct zone *z, unsigned long i)
{
	count_rmw();
	__atomic_fetch_or(&z->deferred_map[i / MAP_BITS], 1UL << (i % MAP_BITS), __ATOMIC_RELAXED);
}

static inline void deferred_clear(struct zone *z, unsigned long i)
{
	count_rmw();
	__atomic_fetch_and(&z->deferred_map[i / MAP_BITS], ~(1UL << (i % MAP_BITS)),
			   __ATOMIC_RELAXED);
}

/* Lists the shard's highest deferred block; false when it has none. */
static bool shard_grow_locked(struct buddy_shard *s)
{
	struct zone *z = s->zone;
	unsigned long first = (s->start_pfn - z->zone_start_pfn) >> MAX_PAGE_ORDER;
	unsigned long i = s->deferred_hint;

	lock_assert_held(&s->lock);
	if (!s->nr_deferred)
		return false;
	while (i > first) {
		unsigned long pfn;

		i--;
		if (!deferred_test(z, i))
			continue;
		deferred_clear(z, i);
		atomic_store_relaxed(&s->nr_deferred, s->nr_deferred - 1);
		s->deferred_hint = i;
		pfn = z->zone_start_pfn + (i << MAX_PAGE_ORDER);
		add_to_free_list(s, pfn_page(pfn), MAX_PAGE_ORDER, pageblock_migratetype(z, pfn));
		return true;
	}
	kmm_bug("buddy: zone %s shard at pfn %#lx counts %lu deferred blocks but has none",
		z->name, s->start_pfn, s->nr_deferred);
	atomic_store_relaxed(&s->nr_deferred, 0);
	return false;
}

/* Was the max-order block at pfn never listed since boot (teardown)? */
bool buddy_block_deferred(struct zone *z, unsigned long pfn)
{
	return z->deferred_map && deferred_test(z, (pfn - z->zone_start_pfn) >> MAX_PAGE_ORDER);
}

/* Boot: the max-order block at pfn is free; count it, list it later. */
static void buddy_defer_block(struct zone *z, unsigned long pfn)
{
	struct buddy_shard *s = pfn_shard(z, pfn);
	unsigned long i = (pfn - z->zone_start_pfn) >> MAX_PAGE_ORDER;

	shard_lock(s);
	if (!deferred_test(z, i)) {
		deferred_set(z, i);
		atomic_store_relaxed(&s->nr_deferred, s->nr_deferred + 1);
		s->deferred_hint = MAX(s->deferred_hint, i + 1);
		account_free(s, (long)MAX_ORDER_NR_PAGES);
	} else {
		kmm_bug("buddy: max-order block at pfn %#lx freed twice at boot", pfn);
	}
	shard_unlock(s);
}

/* __free_one_page(): merge with free buddies as far as they go. */
static void merge_and_list_locked(struct buddy_shard *s, unsigned long pfn, unsigned int order,
				  int mt)
{
	page_state_set(pfn_page(pfn), PS_NONE, 0);
	while (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy;

		if (buddy_pfn < s->start_pfn || buddy_pfn >= s->end_pfn)
			break;
		buddy = pfn_page(buddy_pfn);
		if (page_state_read(buddy) != PAGE_STATE(PS_BUDDY, order))
			break;
		/* Never merge into an isolated block. */
		if (buddy->buddy_private == MIGRATE_ISOLATE)
			break;
		del_from_free_list(s, buddy, order);
		pfn &= buddy_pfn;
		order++;
	}
	if (order >= PAGEBLOCK_ORDER || mt < 0)
		mt = pageblock_migratetype(s->zone, pfn);
	add_to_free_list(s, pfn_page(pfn), order, mt);
	notify_free(order);
}

void buddy_free_one_locked(struct buddy_shard *s, unsigned long pfn, unsigned int order, int mt)
{
	lock_assert_held(&s->lock);
	merge_and_list_locked(s, pfn, order, mt);
	account_free(s, (long)(1UL << order));
}

/* expand(): give back the upper halves while splitting high down to low.
 * Halves of a reported block are still released: they stay reported. */
static void expand(struct buddy_shard *s, unsigned long pfn, unsigned int low,
		   unsigned int high, int mt, bool reported)
{
	while (high > low) {
		high--;
		if (unlikely(reported))
			add_reported_to_free_list(s, pfn_page(pfn + (1UL << high)), high, mt);
		else
			add_to_free_list(s, pfn_page(pfn + (1UL << high)), high, mt);
	}
}

static struct page *take_block(struct buddy_shard *s, struct page *page,
			       unsigned int order, unsigned int cur, int mt)
{
	bool reported = PageFlag(page, PG_reported);

	del_from_free_list(s, page, cur);
	expand(s, pfn_of(page), order, cur, mt, reported);
	account_free(s, -(long)(1UL << order));
	return page;
}

static struct page *rmqueue_smallest(struct buddy_shard *s, unsigned int order, int mt)
{
	for (unsigned int cur = order; cur < NR_PAGE_ORDERS; cur++) {
		struct list_head *l = &s->free_area[cur].free_list[mt];

		if (!list_empty(l))
			return take_block(s, list_first_entry(l, struct page, lru), order, cur, mt);
	}
	return NULL;
}

/* move_freepages_block(): free blocks of one pageblock onto mt's lists;
 * returns how many pages moved. */
static unsigned long move_freepages_block(struct buddy_shard *s, unsigned long pfn, int mt)
{
	unsigned long start = pfn & ~(PAGEBLOCK_NR_PAGES - 1);
	unsigned long end = MIN(start + PAGEBLOCK_NR_PAGES, s->end_pfn), moved = 0;

	for (pfn = MAX(start, s->start_pfn); pfn < end;) {
		struct page *p = pfn_page(pfn);
		uint32_t st = page_state_read(p);

		if (PAGE_STATE_KIND(st) == PS_BUDDY) {
			unsigned int o = PAGE_STATE_ORDER(st);

			list_move(&p->lru, &s->free_area[o].free_list[mt]);
			p->buddy_private = (unsigned long)mt;
			moved += 1UL << o;
			pfn += 1UL << o;
		} else {
			pfn++;
		}
	}
	return moved;
}

/* can_steal_fallback(): large blocks, or unmovable/reclaimable requests,
 * claim the whole pageblock to limit fragmentation. */
static bool can_steal(unsigned int order, int start_mt)
{
	return order >= PAGEBLOCK_ORDER / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/* __rmqueue_fallback(): take from another migratetype, largest first. */
static struct page *rmqueue_fallback(struct buddy_shard *s, unsigned int order, int start_mt)
{
	for (int cur = MAX_PAGE_ORDER; cur >= (int)order; cur--) {
		for (int i = 0; i < 2; i++) {
			int ft = fallbacks[start_mt][i];
			struct list_head *l = &s->free_area[cur].free_list[ft];
			struct page *page;
			unsigned long pfn;

			if (list_empty(l))
				continue;
			page = list_first_entry(l, struct page, lru);
			pfn = pfn_of(page);
			if (!can_steal((unsigned int)cur, start_mt)) {
				/* Take the smallest fallback block instead. */
				for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
					l = &s->free_area[o].free_list[ft];
					if (!list_empty(l))
						return take_block(s, list_first_entry(l, struct page, lru),
								  order, o, ft);
				}
				return NULL;
			}
			if (cur >= PAGEBLOCK_ORDER) {
				for (unsigned long p = pfn; p < pfn + (1UL << cur); p += PAGEBLOCK_NR_PAGES)
					set_pageblock_migratetype(s->zone, p, start_mt);
				list_move(&page->lru, &s->free_area[cur].free_list[start_mt]);
				page->buddy_private = (unsigned long)start_mt;
			} else if (move_freepages_block(s, pfn, start_mt) >= PAGEBLOCK_NR_PAGES / 2) {
				set_pageblock_migratetype(s->zone, pfn, start_mt);
			}
			return rmqueue_smallest(s, order, start_mt);
		}
	}
	return NULL;
}

struct page *buddy_rmqueue_locked(struct buddy_shard *s, unsigned int order, int mt,
				  unsigned int alloc_flags)
{
	struct page *page = NULL;

	lock_assert_held(&s->lock);
	if (alloc_flags & ALLOC_HIGHATOMIC)
		page = rmqueue_smallest(s, order, MIGRATE_HIGHATOMIC);
	if (!page)
		page = rmqueue_smallest(s, order, mt);
	/* A deferred block is a free Movable max-order block not yet listed:
	 * list it where the kernel's fallback would have found it. */
	if (!page && unlikely(s->nr_deferred) && shard_grow_locked(s))
		page = rmqueue_smallest(s, order, mt);
	if (!page)
		page = rmqueue_fallback(s, order, mt);
	/* Failing now is worse than failing a high-order atomic later. */
	if (!page && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
		page = rmqueue_smallest(s, order, MIGRATE_HIGHATOMIC);
	return page;
}

struct page *buddy_rmqueue(struct zone *z, unsigned int order, int mt, unsigned int alloc_flags)
{
	int home = buddy_home_shard(z), n = (int)z->nr_shards;

	for (int i = 0; i < n; i++) {
		struct buddy_shard *s = &z->shards[(home + i) % n];
		struct page *page;

		if (shard_nr_free(s) < (1UL << order))
			continue;
		if (alloc_flags & ALLOC_TRYLOCK) {
			if (!shard_trylock(s))
				continue;
		} else {
			shard_lock(s);
		}
		page = buddy_rmqueue_locked(s, order, mt, alloc_flags);
		shard_unlock(s);
		if (page)
			return page;
	}
	return NULL;
}

/* rmqueue_bulk(): up to `count` blocks for a pcp list, under as few shard
 * locks as possible (the home shard first). */
int buddy_rmqueue_bulk(struct zone *z, unsigned int order, int count, struct list_head *list,
		       int mt, unsigned int alloc_flags)
{
	int home = buddy_home_shard(z), n = (int)z->nr_shards, got = 0;

	for (int i = 0; i < n && got < count; i++) {
		struct buddy_shard *s = &z->shards[(home + i) % n];

		if (shard_nr_free(s) < (1UL << order))
			continue;
		if (alloc_flags & ALLOC_TRYLOCK) {
			if (!shard_trylock(s))
				continue;
		} else {
			shard_lock(s);
		}
		while (got < count) {
			struct page *page = buddy_rmqueue_locked(s, order, mt, alloc_flags);

			if (!page)
				break;
			page->pcp_private = (unsigned long)mt;
			page_state_set(page, PS_PCP, order);
			list_add_tail(&page->lru, list);
			got++;
		}
		shard_unlock(s);
	}
	return got;
}

void buddy_free_pages(struct zone *z, struct page *page, unsigned int order)
{
	unsigned long pfn = pfn_of(page);
	struct buddy_shard *s = pfn_shard(z, pfn);

	shard_lock(s);
	buddy_free_one_locked(s, pfn, order, pageblock_migratetype(z, pfn));
	shard_unlock(s);
}

/* free_pages_nolock(): into the shard only if its lock is free; otherwise
 * the block waits on the zone's deferred stack (pushes need no lock). */
void buddy_free_pages_nolock(struct zone *z, struct page *page, unsigned int order)
{
	unsigned long pfn = pfn_of(page);
	struct buddy_shard *s = pfn_shard(z, pfn);
	struct page *top;

	if (shard_trylock(s)) {
		buddy_free_one_locked(s, pfn, order, pageblock_migratetype(z, pfn));
		shard_unlock(s);
		return;
	}
	page->buddy_private = order;
	top = atomic_load_relaxed(&z->nolock_deferred);
	do {
		page->lru.next = (struct list_head *)top;
		count_rmw();
	} while (!__atomic_compare_exchange_n(&z->nolock_deferred, &top, page, false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}

/* Frees what free_pages_nolock() deferred; takes the shard locks. */
void buddy_free_deferred(struct zone *z)
{
	struct page *page;

	if (!atomic_load_relaxed(&z->nolock_deferred))
		return;
	count_rmw();
	page = __atomic_exchange_n(&z->nolock_deferred, NULL, __ATOMIC_ACQUIRE);
	while (page) {
		struct page *next = (struct page *)page->lru.next;

		buddy_free_pages(z, page, (unsigned int)page->buddy_private);
		page = next;
	}
}

/* Hands [start, end) to the buddy in the largest aligned blocks (boot and
 * late frees of boot memory). Blocks never cross a zone: zone boundaries
 * are max-order aligned. At boot whole max-order blocks are deferred;
 * boot memory freed late was written, so it is listed. */
void buddy_free_range_boot(unsigned long start, unsigned long end)
{
	bool defer = !atomic_load_relaxed(&kmm_mem.live) && !kmm_config.shuffle;

	while (start < end) {
		unsigned int order = start ? MIN(ffs_ul(start),
						 (unsigned int)MAX_PAGE_ORDER) : MAX_PAGE_ORDER;
		struct zone *z;

		while (start + (1UL << order) > end)
			order--;
		z = page_zone(pfn_page(start));
		atomic_add_relaxed(&z->managed_pages, 1UL << order);
		atomic_add_relaxed(&kmm_mem.totalram, 1UL << order);
		if (defer && order == MAX_PAGE_ORDER)
			buddy_defer_block(z, start);
		else
			buddy_free_pages(z, pfn_page(start), order);
		start += 1UL << order;
	}
}

/* ---- free page reporting (page_reporting.c drives these) ---- */

/* Takes up to `max` unreported blocks of `order` off free_list[mt] into
 * out[]: no other thread can reach them until
 * buddy_putback_reported_locked(), yet they still count as free (in
 * nr_isolated), so nr_free_pages() does not dip while a pass runs.
 * Reported blocks met on the way go to the tail, so the list stays
 * unreported-first. */
unsigned int buddy_isolate_unreported_locked(struct buddy_shard *s, unsigned int order, int mt,
					     struct page **out, unsigned int max)
{
	struct list_head *head = &s->free_area[order].free_list[mt];
	unsigned long seen = 0, nr = s->free_area[order].nr_free;
	unsigned int n = 0;

	lock_assert_held(&s->lock);
	while (n < max && !list_empty(head) && seen++ < nr) {
		struct page *p = list_first_entry(head, struct page, lru);

		if (PageFlag(p, PG_reported)) {
			list_move_tail(&p->lru, head);
			continue;
		}
		del_from_free_list(s, p, order);
		s->nr_isolated += 1UL << order;
		out[n++] = p;
	}
	return n;
}

/* Lists an isolated block again: reported when its memory was released,
 * unless it merges with a free buddy (the merged block is reported
 * afresh). */
void buddy_putback_reported_locked(struct buddy_shard *s, struct page *page, unsigned int order,
				   int mt, bool released)
{
	unsigned long pfn = pfn_of(page);

	lock_assert_held(&s->lock);
	s->nr_isolated -= 1UL << order;
	if (!released) {
		merge_and_list_locked(s, pfn, order, mt);
		return;
	}
	if (order < MAX_PAGE_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy = pfn_page(buddy_pfn);

		if (buddy_pfn >= s->start_pfn && buddy_pfn < s->end_pfn &&
		    page_state_read(buddy) == PAGE_STATE(PS_BUDDY, order) &&
		    buddy->buddy_private != MIGRATE_ISOLATE) {
			merge_and_list_locked(s, pfn, order, mt);
			return;
		}
	}
	if (order >= PAGEBLOCK_ORDER)
		mt = pageblock_migratetype(s->zone, pfn);
	add_reported_to_free_list(s, page, order, mt);
}

unsigned long shard_nr_reported(struct buddy_shard *s)
{
	return atomic_load_relaxed(&s->nr_reported);
}

unsigned long shard_nr_deferred(struct buddy_shard *s)
{
	return atomic_load_relaxed(&s->nr_deferred);
}

/* The high-order part of __zone_watermark_ok(): is a block of at least
 * `order` free on a list this allocation may use? Lockless peek. */
bool buddy_has_free_block(struct zone *z, unsigned int order)
{
	for (unsigned int i = 0; i < z->nr_shards; i++) {
		struct buddy_shard *s = &z->shards[i];

		/* nr_free counts every migratetype (HighAtomic too): a
		 * lockless hint; the allocation itself decides. */
		if (atomic_load_relaxed(&s->nr_deferred))
			return true;
		for (unsigned int o = order; o < NR_PAGE_ORDERS; o++)
			if (atomic_load_relaxed(&s->free_area[o].nr_free))
				return true;
	}
	return false;
}

/* reserve_highatomic_pageblock(): after a successful high-order atomic
 * allocation, keep its pageblock for such allocations, up to about 1% of
 * the zone plus one pageblock (the kernel's cap). */
void reserve_highatomic_pageblock(struct page *page, struct zone *z)
{
	unsigned long max = atomic_load_relaxed(&z->managed_pages) / 100 + PAGEBLOCK_NR_PAGES;
	unsigned long pfn = pfn_of(page);
	struct buddy_shard *s = pfn_shard(z, pfn);
	int mt;

	if (atomic_load_relaxed(&z->nr_reserved_highatomic) >= max)
		return;
	shard_lock(s);
	mt = pageblock_migratetype(z, pfn);
	if (mt != MIGRATE_HIGHATOMIC && mt != MIGRATE_ISOLATE &&
	    atomic_load_relaxed(&z->nr_reserved_highatomic) < max) {
		atomic_add_relaxed(&z->nr_reserved_highatomic, PAGEBLOCK_NR_PAGES);
		set_pageblock_migratetype(z, pfn, MIGRATE_HIGHATOMIC);
		move_freepages_block(s, pfn, MIGRATE_HIGHATOMIC);
	}
	shard_unlock(s);
}

/* unreserve_highatomic_pageblock(): under pressure, give the reserved
 * pageblocks back to ordinary use. True when any was released. */
bool unreserve_highatomic_pageblocks(void)
{
	struct zone *z;
	bool any = false;

	for_each_populated_zone(z) {
		if (!atomic_load_relaxed(&z->nr_reserved_highatomic))
			continue;
		for (unsigned int i = 0; i < z->nr_shards; i++) {
			struct buddy_shard *s = &z->shards[i];

			shard_lock(s);
			for (unsigned long pfn = s->start_pfn; pfn < s->end_pfn; pfn += PAGEBLOCK_NR_PAGES) {
				if (pageblock_migratetype(z, pfn) != MIGRATE_HIGHATOMIC)
					continue;
				set_pageblock_migratetype(z, pfn, MIGRATE_MOVABLE);
				move_freepages_block(s, pfn, MIGRATE_MOVABLE);
				atomic_sub_relaxed(&z->nr_reserved_highatomic, PAGEBLOCK_NR_PAGES);
				any = true;
			}
			shard_unlock(s);
		}
	}
	return any;
}

/* The expensive invariant walk (debug builds, and tests): every block on a
 * free list is a PS_BUDDY head of that order, aligned, inside its shard,
 * on the list its buddy_private names; per-order and per-shard counts add
 * up. Returns the number of violations, each reported. */
unsigned long buddy_verify(void)
{
	unsigned long bad = 0;
	struct zone *z;

	for_each_populated_zone(z) {
		for (unsigned int i = 0; i < z->nr_shards; i++) {
			struct buddy_shard *s = &z->shards[i];
			unsigned long pages = 0;

			shard_lock(s);
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
				unsigned long n = 0;

				for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
					struct list_head *pos;

					list_for_each(pos, &s->free_area[o].free_list[mt]) {
						struct page *p = list_entry(pos, struct page, lru);
						unsigned long pfn = pfn_of(p);

						if (page_state_read(p) != PAGE_STATE(PS_BUDDY, o) ||
						    (pfn & ((1UL << o) - 1)) || pfn < s->start_pfn ||
						    pfn + (1UL << o) > s->end_pfn ||
						    p->buddy_private != (unsigned long)mt) {
							kmm_bug("buddy_verify: zone %s pfn %#lx on order-%u list %d is corrupt",
								z->name, pfn, o, mt);
							bad++;
						}
						n++;
					}
				}
				if (n != s->free_area[o].nr_free) {
					kmm_bug("buddy_verify: zone %s shard %u order %u: %lu blocks listed, nr_free %lu",
						z->name, i, o, n, s->free_area[o].nr_free);
					bad++;
				}
				pages += n << o;
			}
			{
				unsigned long first = (s->start_pfn - z->zone_start_pfn) >> MAX_PAGE_ORDER;
				unsigned long last = (s->end_pfn - z->zone_start_pfn) >> MAX_PAGE_ORDER;
				unsigned long n = 0;

				for (unsigned long b = first; b < last; b++)
					n += deferred_test(z, b);
				if (n != s->nr_deferred || (n && s->deferred_hint > last)) {
					kmm_bug("buddy_verify: zone %s shard %u: %lu deferred blocks, counter %lu",
						z->name, i, n, s->nr_deferred);
					bad++;
				}
				pages += n << MAX_PAGE_ORDER;
			}
			pages += s->nr_isolated;
			if (pages != s->nr_free_pages) {
				kmm_bug("buddy_verify: zone %s shard %u: %lu pages listed, counter %lu",
					z->name, i, pages, s->nr_free_pages);
				bad++;
			}
			shard_unlock(s);
		}
	}
	return bad;
}
