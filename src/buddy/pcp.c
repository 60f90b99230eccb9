/* Per-CPU page lists (pcp): orders 0..PAGE_ALLOC_COSTLY_ORDER, one list per
 * (order, migratetype), refilled and drained in batches under one shard
 * lock at a time.
 *
 * Locking: pcp->lock (LOCK_RANK_PCP) protects one CPU's lists for one zone.
 * The local CPU only ever trylocks it: when it is held (an interrupt thread
 * on the same CPU, another thread sharing the CPU, a remote drain) the
 * allocation or free goes to the buddy directly, as mainline's
 * pcp_spin_trylock. Remote drains take it with a blocking lock. Shard locks
 * nest inside (LOCK_RANK_ZONE). */
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "lib/events.h"
#include "buddy/vmstat.h"

void pcp_init_zone(struct zone *z)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);

		kmm_spin_init(&pcp->lock, "pcp", LOCK_RANK_PCP);
		for (int i = 0; i < NR_PCP_LISTS; i++)
			INIT_LIST_HEAD(&pcp->lists[i]);
	}
}

/* pcp->count is written under pcp->lock and read lockless by views. */
static void pcp_count_add(struct per_cpu_pages *pcp, int pages)
{
	atomic_store_relaxed(&pcp->count, pcp->count + pages);
}

/* free_pcppages_bulk(): give `count` pages back to the buddy, the coldest
 * (list tails) first, round-robin over the lists. */
static void free_pcppages_bulk(struct zone *z, struct per_cpu_pages *pcp, int count)
{
	struct buddy_shard *locked = NULL;
	int pindex = NR_PCP_LISTS - 1, freed = 0;

	lock_assert_held(&pcp->lock);
	count = MIN(count, pcp->count);
	while (freed < count) {
		struct list_head *list;
		struct page *page;
		struct buddy_shard *s;
		unsigned long pfn;
		unsigned int order;

		do {
			pindex = (pindex + 1) % NR_PCP_LISTS;
			list = &pcp->lists[pindex];
		} while (list_empty(list));
		order = (unsigned int)(pindex / MIGRATE_PCPTYPES);
		page = list_last_entry(list, struct page, lru);
		list_del(&page->lru);
		pfn = pfn_of(page);
		s = pfn_shard(z, pfn);
		if (s != locked) {
			if (locked)
				shard_unlock(locked);
			shard_lock(s);
			locked = s;
		}
		buddy_free_one_locked(s, pfn, order, pageblock_migratetype(z, pfn));
		freed += 1 << order;
	}
	if (locked)
		shard_unlock(locked);
	pcp_count_add(pcp, -freed);
	count_event(EV_pcp_drain);
}

struct page *pcp_alloc(struct zone *z, unsigned int order, int mt, unsigned int alloc_flags)
{
	int cpu = cpu_id();
	struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);
	struct list_head *list;
	struct page *page;

	if (unlikely(!kmm_spin_trylock(&pcp->lock))) {
		count_event(EV_pcp_trylock_fail);
		count_event(EV_pgalloc_buddy);
		return buddy_rmqueue(z, order, mt, alloc_flags);	/* ALLOC_TRYLOCK too */
	}
	list = &pcp->lists[order_to_pindex(mt, order)];
	if (list_empty(list)) {
		int batch = pcp->batch;
		int want = order ? MAX(batch >> order, 2) : batch;
		int got = buddy_rmqueue_bulk(z, order, want, list, mt, alloc_flags);

		if (!got) {
			kmm_spin_unlock(&pcp->lock);
			return NULL;
		}
		pcp_count_add(pcp, got << order);
		count_event_cpu(cpu, EV_pgalloc_pcp_refill, 1);
	} else {
		count_event_cpu(cpu, EV_pgalloc_pcp, 1);
	}
	page = list_first_entry(list, struct page, lru);
	list_del(&page->lru);
	pcp_count_add(pcp, -(1 << order));
	kmm_spin_unlock(&pcp->lock);
	return page;
}

static always_inline void pcp_list_add_locked(struct per_cpu_pages *pcp, int cpu, struct page *page,
				unsigned int order, int mt)
{
	lock_assert_held(&pcp->lock);
	/* HighAtomic and isolated pages skip the lists, as the kernel does. */
	if (mt >= MIGRATE_PCPTYPES)
		mt = MIGRATE_MOVABLE;
	page->pcp_private = (unsigned long)mt;
	page_state_set(page, PS_PCP, order);
	list_add(&page->lru, &pcp->lists[order_to_pindex(mt, order)]);
	pcp_count_add(pcp, 1 << order);
	count_event_cpu(cpu, EV_pgfree_pcp, 1);
}

void pcp_free(struct zone *z, struct page *page, unsigned int order, int mt)
{
	int cpu = cpu_id();
	struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);
	int high;

	if (unlikely(!kmm_spin_trylock(&pcp->lock))) {
		count_event(EV_pcp_trylock_fail);
		count_event(EV_pgfree_buddy);
		buddy_free_pages(z, page, order);
		return;
	}
	pcp_list_add_locked(pcp, cpu, page, order, mt);
	high = pcp->high;
	if (pcp->count >= high) {
		int batch = pcp->batch;

		/* Leave at least a batch on the list (nr_pcp_free()). */
		free_pcppages_bulk(z, pcp, MAX(batch, pcp->count - high + batch));
	}
	kmm_spin_unlock(&pcp->lock);
}

/* free_pages_nolock(): onto this CPU's list only if its lock is free, and
 * without draining the list (that takes shard locks): the next pcp_free()
 * does. False: the lock was busy, nothing done. */
bool pcp_free_nolock(struct zone *z, struct page *page, unsigned int order, int mt)
{
	int cpu = cpu_id();
	struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);

	if (!kmm_spin_trylock(&pcp->lock)) {
		count_event(EV_pcp_trylock_fail);
		return false;
	}
	pcp_list_add_locked(pcp, cpu, page, order, mt);
	kmm_spin_unlock(&pcp->lock);
	return true;
}

void pcp_drain_cpu_zone(int cpu, struct zone *z)
{
	struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);

	if (!atomic_load_relaxed(&pcp->count))
		return;
	kmm_spin_lock(&pcp->lock);
	if (pcp->count)
		free_pcppages_bulk(z, pcp, pcp->count);
	kmm_spin_unlock(&pcp->lock);
}

void drain_all_pages(struct zone *zone)
{
	struct zone *z;
	int cpu;

	if (!kmm_mem.live)
		return;
	for_each_populated_zone(z) {
		if (zone && zone != z)
			continue;
		for_each_possible_cpu(cpu)
			pcp_drain_cpu_zone(cpu, z);
		buddy_free_deferred(z);
	}
	if (KMM_DEBUG_ON)
		buddy_verify();
}
