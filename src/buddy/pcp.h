/* Per-CPU page lists: the fast paths that the page allocator's entry
 * points inline (page_alloc.c, page_free.c). They follow pcp.c's protocol exactly: the
 * local CPU only trylocks pcp->lock, and whatever is not the common case
 * (a busy lock, an empty list, a list above its high mark) leaves the fast
 * path through one noinline function. Budget: one exchange for the lock,
 * a plain store to release it, no other atomics, no calls but tail calls. */
#ifndef KMM_BUDDY_PCP_H
#define KMM_BUDDY_PCP_H

#include "buddy/buddy.h"
#include "lib/cpu.h"
#include "lib/events.h"

/* pcp->count is written under pcp->lock and read lockless by views. */
static always_inline void pcp_count_add(struct per_cpu_pages *pcp, int pages)
{
	atomic_store_relaxed(&pcp->count, pcp->count + pages);
}

/* The CPU's offset into per-CPU memory: one load finds both this CPU's
 * pcp of a zone and its event counters. */
static always_inline unsigned long pcp_cpu_offset(int cpu)
{
	return kmm_cpu_offsets[cpu];
}

static always_inline struct per_cpu_pages *pcp_at(const struct zone *z, unsigned long off)
{
	return (struct per_cpu_pages *)((unsigned long)z->pcp + off);
}

static always_inline void pcp_count_event(unsigned long off, enum kmm_event ev)
{
	unsigned long *c = &((struct kmm_event_counts *)((unsigned long)kmm_events + off))->count[ev];

	atomic_store_relaxed(c, atomic_load_relaxed(c) + 1);
}

static always_inline void pcp_list_add_locked(struct per_cpu_pages *pcp, unsigned long off,
					      struct page *page, unsigned int order, int mt)
{
	lock_assert_held(&pcp->lock);
	/* HighAtomic and isolated pages skip the lists, as the kernel does. */
	if (mt >= MIGRATE_PCPTYPES)
		mt = MIGRATE_MOVABLE;
	page->pcp_private = (unsigned long)mt;
	page_state_set(page, PS_PCP, order);
	list_add(&page->lru, &pcp->lists[order_to_pindex(mt, order)]);
	pcp_count_add(pcp, 1 << order);
	pcp_count_event(off, EV_pgfree_pcp);
}

/* A page from the list for (order, mt) of the CPU at per-CPU offset
 * `off`, or NULL when the lock is busy or the list is empty: the caller's
 * slow path then does what pcp_alloc() does (refill, or the buddy). */
static always_inline struct page *pcp_alloc_fast(struct zone *z, unsigned long off,
						 unsigned int order, int mt)
{
	struct per_cpu_pages *pcp = pcp_at(z, off);
	struct list_head *list = &pcp->lists[order_to_pindex(mt, order)];
	struct page *page;

	if (unlikely(!kmm_spin_trylock(&pcp->lock)))
		return NULL;
	if (unlikely(list_empty(list))) {
		kmm_spin_unlock(&pcp->lock);
		return NULL;
	}
	page = list_first_entry(list, struct page, lru);
	list_del(&page->lru);
	pcp_count_add(pcp, -(1 << order));
	pcp_count_event(off, EV_pgalloc_pcp);
	kmm_spin_unlock(&pcp->lock);
	return page;
}

/* The list went above its high mark: drain it (pcp.c), unlock. */
void pcp_free_high_unlock(struct zone *z, struct per_cpu_pages *pcp);

enum pcp_free_result {
	PCP_FREED,		/* on the list, unlocked */
	PCP_BUSY,		/* the lock was busy: nothing done */
	PCP_FREED_HIGH,		/* on the list, which is above its high mark:
				 * still locked, for pcp_free_high_unlock() */
};

/* Puts a claimed, prepared block of order <= PAGE_ALLOC_COSTLY_ORDER on
 * the list of the CPU at per-CPU offset `off`. */
static always_inline enum pcp_free_result pcp_free_fast(struct zone *z, unsigned long off,
							struct page *page, unsigned int order,
							int mt)
{
	struct per_cpu_pages *pcp = pcp_at(z, off);

	if (unlikely(!kmm_spin_trylock(&pcp->lock)))
		return PCP_BUSY;
	pcp_list_add_locked(pcp, off, page, order, mt);
	if (unlikely(pcp->count >= pcp->high))
		return PCP_FREED_HIGH;
	kmm_spin_unlock(&pcp->lock);
	return PCP_FREED;
}

#endif
