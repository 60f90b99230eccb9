/* Freeing pages: __free_pages(), free_pages() and their kin. Each opens
 * with an inline fast path to its CPU's list that calls nothing; every
 * misuse (a wrong order, a double free, a page kmm did not hand out) is
 * caught by the head's state word before anything changes, reported once
 * by a noinline function, and the page left as it was (docs/design.md,
 * "Pages").
 *
 * Locks: none of its own; see mmzone.h (pcp, then shard). */
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/pcp.h"
#include "buddy/phys.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"


static const char *state_name(uint32_t st)
{
	switch (PAGE_STATE_KIND(st)) {
	case PS_BUDDY:	return "already free (in the buddy)";
	case PS_PCP:	return "already free (on a per-CPU list)";
	case PS_BOOT:	return "boot memory (free it with free_bootmem/memblock_free)";
	case PS_ALLOC:	return "allocated";
	default:	return "not the head of an allocated block";
	}
}

static noinline void bad_free(const char *caller, struct page *page, unsigned int order,
			      uint32_t st)
{
	unsigned long pfn = pfn_of(page);

	if (PAGE_STATE_KIND(st) == PS_ALLOC)
		kmm_bug("Bad page state: %s(pfn:%#lx, order:%u): allocated with order %u",
			caller, pfn, order, PAGE_STATE_ORDER(st));
	else if (PAGE_STATE_KIND(st) == PS_BUDDY || PAGE_STATE_KIND(st) == PS_PCP)
		kmm_bug("Bad page state: %s(pfn:%#lx, order:%u): double free, page %s",
			caller, pfn, order, state_name(st));
	else if (PageTail(page))
		kmm_bug("Bad page state: %s(pfn:%#lx, order:%u): tail page of a compound page",
			caller, pfn, order);
	else
		kmm_bug("Bad page state: %s(pfn:%#lx, order:%u): page %s",
			caller, pfn, order, state_name(st));
}

/* Pages that a subsystem owns: only that subsystem may free them, after
 * clearing its flag (kfree, vfree, the slab allocator). */
#define PAGE_OWNED_FLAGS ((1UL << PG_slab) | (1UL << PG_vmalloc) | (1UL << PG_large_kmalloc))

static const char *page_owner_name(const struct page *page)
{
	unsigned long f = atomic_load_relaxed(&page->flags);

	if (f & (1UL << PG_slab))
		return "belongs to a slab";
	if (f & (1UL << PG_vmalloc))
		return "is mapped by vmalloc (use vfree)";
	return "is a large kmalloc (use kfree)";
}

static noinline void free_pages_checked(struct page *page, unsigned int order, const char *caller)
{
	uint32_t st;

	if (!atomic_load_acquire(&kmm_mem.live)) {
		kmm_bug("%s: %p: kmm is not booted", caller, (void *)page);
		return;
	}
	if (!page_valid(page)) {
		kmm_bug("%s: %p is not a kmm struct page (order %u)", caller, (void *)page, order);
		return;
	}
	if (order > MAX_PAGE_ORDER) {
		kmm_bug("%s(pfn:%#lx): order %u above MAX_PAGE_ORDER", caller, pfn_of(page), order);
		return;
	}
	st = page_state_read(page);
	if (st != PAGE_STATE(PS_ALLOC, order)) {
		bad_free(caller, page, order, st);
		return;
	}
	if (atomic_load_relaxed(&page->flags) & PAGE_OWNED_FLAGS) {
		kmm_bug("Bad page state: %s(pfn:%#lx, order:%u): page %s",
			caller, pfn_of(page), order, page_owner_name(page));
		return;
	}
	/* Claim the free: a racing double free sees the state already gone. */
	if (!page_state_cas(page, st, PAGE_STATE(PS_NONE, 0))) {
		bad_free(caller, page, order, page_state_read(page));
		return;
	}
}

/* What every free does to a claimed block before it goes back: no longer
 * compound, no flags, no references, poisoned or zeroed as configured. */
static always_inline void free_pages_prepare(struct page *page, unsigned int order)
{
	unsigned long pfn = pfn_of(page);

	if (PageHead(page)) {
		for (unsigned long i = 1; i < (1UL << order); i++)
			atomic_store_relaxed(&page[i].compound_head, 0);
	}
	atomic_store_relaxed(&page->flags, 0);
	atomic_store_relaxed(&page->refcount, 0);
	if (kmm_config.init_on_free)
		phys_zero_pages(pfn, 1UL << order);
	if (pfn < kmm_mem.lowmem_pages)
		kasan_poison(pfn_to_virt(pfn), PAGE_SIZE << order);
}

void free_pages_core(struct page *page, unsigned int order)
{
	struct zone *z = page_zone(page);
	int mt;

	free_pages_prepare(page, order);
	mt = pageblock_migratetype(z, pfn_of(page));
	if (likely(order <= PAGE_ALLOC_COSTLY_ORDER && kmm_config.pcp)) {
		pcp_free(z, page, order, mt);
	} else {
		count_event(EV_pgfree_buddy);
		buddy_free_pages(z, page, order);
	}
	reclaim_wake_waiters();
}

/* free_pages_nolock(): the same, but a busy pcp list or shard is not
 * waited for: the block goes to the shard, or waits on the zone's deferred
 * stack for drain_all_pages(). */
static void free_pages_core_nolock(struct page *page, unsigned int order)
{
	struct zone *z = page_zone(page);
	int mt;

	free_pages_prepare(page, order);
	mt = pageblock_migratetype(z, pfn_of(page));
	if (!(order <= PAGE_ALLOC_COSTLY_ORDER && kmm_config.pcp && pcp_free_nolock(z, page, order, mt))) {
		count_event(EV_pgfree_buddy);
		buddy_free_pages_nolock(z, page, order);
	}
	reclaim_wake_waiters();
}

/* A reference was dropped and others remain (get_page() holds the block).
 * A compound page stays whole until its last put_page(). A block allocated
 * without __GFP_COMP goes as the kernel's does: its first page stays, as an
 * order-0 page for the last put_page(), and the rest is freed now, half by
 * half (order - 1, order - 2, ..., 0). */
static noinline void free_pages_referenced(struct page *page, unsigned int order, long refs,
					   bool nolock)
{
	if (unlikely(refs < 0)) {
		atomic_add_relaxed(&page->refcount, 1);
		kmm_bug("Bad page state: %s(pfn:%#lx, order:%u): no reference left "
			"(freed twice?)", nolock ? "free_pages_nolock" : "__free_pages",
			pfn_of(page), order);
		return;
	}
	if (PageHead(page) || !order)
		return;
	page_state_set(page, PS_ALLOC, 0);
	while (order-- > 0) {
		if (nolock)
			free_pages_core_nolock(page + (1UL << order), order);
		else
			free_pages_core(page + (1UL << order), order);
	}
}

/* Drops the caller's reference; the last one frees. The state word still
 * catches every misuse first, and its compare-and-swap claims the free. */
static always_inline void free_pages_put(struct page *page, unsigned int order, bool nolock)
{
	const char *caller = nolock ? "free_pages_nolock" : "__free_pages";
	long refs;

	if (unlikely(!page_valid(page) || page_state_read(page) != PAGE_STATE(PS_ALLOC, order) ||
		     (atomic_load_relaxed(&page->flags) & PAGE_OWNED_FLAGS))) {
		free_pages_checked(page, order, caller);
		return;
	}
	refs = atomic_add_acq_rel(&page->refcount, -1);
	if (unlikely(refs != 0)) {
		free_pages_referenced(page, order, refs, nolock);
		return;
	}
	if (unlikely(!page_state_cas(page, PAGE_STATE(PS_ALLOC, order), PAGE_STATE(PS_NONE, 0)))) {
		free_pages_checked(page, order, caller);
		return;
	}
	if (nolock)
		free_pages_core_nolock(page, order);
	else
		free_pages_core(page, order);
}

/* Every free the fast path does not do, before anything changed. */
static noinline void free_pages_slow(struct page *page, unsigned int order)
{
	free_pages_put(page, order, false);
}

/* The free fast path, for a page known to be in mem_map: the head of an
 * allocated block of this order, with no flags (not compound, owned by no
 * subsystem), of order <= PAGE_ALLOC_COSTLY_ORDER, losing its last
 * reference, onto this CPU's list. Anything else leaves through
 * free_pages_slow() before anything changed; the reference drop and the
 * claim are the same as free_pages_put()'s, with the same exits; once
 * claimed, a free the lists cannot take goes to free_pages_core(). */
/* A claimed block the fast path could not finish: the lock was busy (the
 * whole free path again), or the list went above its high mark. */
static noinline void free_pages_pcp_slow(struct zone *z, unsigned long off, struct page *page,
					 unsigned int order, enum pcp_free_result r)
{
	if (r == PCP_BUSY) {
		free_pages_core(page, order);
		return;
	}
	pcp_free_high_unlock(z, pcp_at(z, off));
	reclaim_wake_waiters();
}

static always_inline void free_pages_fast(struct page *page, unsigned int order, int cpu)
{
	unsigned long pfn = pfn_of(page), off;
	enum pcp_free_result r;
	struct zone *z;
	long refs;

	if (unlikely(page_state_read(page) != PAGE_STATE(PS_ALLOC, order) ||
		     atomic_load_relaxed(&page->flags) || order > PAGE_ALLOC_COSTLY_ORDER ||
		     !atomic_load_relaxed(&kmm_mem.fast_free)))
		return free_pages_slow(page, order);
	refs = atomic_add_acq_rel(&page->refcount, -1);
	if (unlikely(refs != 0))
		return free_pages_referenced(page, order, refs, false);
	if (unlikely(!page_state_cas(page, PAGE_STATE(PS_ALLOC, order), PAGE_STATE(PS_NONE, 0))))
		return free_pages_checked(page, order, "__free_pages");
	/* free_pages_prepare() of a block with no flags and no tails, its
	 * reference count already zero, without init_on_free. */
	if (pfn < kmm_mem.lowmem_pages)
		kasan_poison(pfn_to_virt(pfn), PAGE_SIZE << order);
	z = page_zone(page);
	off = pcp_cpu_offset(cpu);
	r = pcp_free_fast(z, off, page, order, pageblock_migratetype(z, pfn));
	if (unlikely(r != PCP_FREED))
		return free_pages_pcp_slow(z, off, page, order, r);
	reclaim_wake_waiters();
}

/* A thread bound to no CPU: see alloc_pages_unbound(). */
static noinline void free_pages_unbound(struct page *page, unsigned int order)
{
	free_pages_fast(page, order, cpu_id_slow());
}

void __free_pages(struct page *page, unsigned int order)
{
	unsigned int cpu = kmm_current.cpu;

	if (unlikely(!page_valid(page)))
		return free_pages_slow(page, order);
	if (unlikely(cpu >= nr_cpu_ids))
		return free_pages_unbound(page, order);
	free_pages_fast(page, order, (int)cpu);
}

/* Any context, any page: never waits for a lock (see free_pages_core_nolock). */
void free_pages_nolock(struct page *page, unsigned int order)
{
	free_pages_put(page, order, true);
}

void __free_page(struct page *page)
{
	__free_pages(page, 0);
}

static noinline void free_pages_bad_addr(unsigned long addr, unsigned int order)
{
	if (addr)
		kmm_bug("free_pages: %#lx (order %u) is not a page kmm handed out", addr, order);
}

void free_pages(unsigned long addr, unsigned int order)
{
	unsigned long off = addr - (unsigned long)kmm_mem.direct_map;
	unsigned int cpu = kmm_current.cpu;

	/* One test for NULL, outside the direct map (or not booted: no
	 * lowmem) and misaligned; the page it finds needs no other check. */
	if (unlikely(off >= kmm_mem.lowmem_bytes || (off & (PAGE_SIZE - 1))))
		return free_pages_bad_addr(addr, order);
	if (unlikely(cpu >= nr_cpu_ids))
		return free_pages_unbound(pfn_page(off >> PAGE_SHIFT), order);
	free_pages_fast(pfn_page(off >> PAGE_SHIFT), order, (int)cpu);
}

void free_page(unsigned long addr)
{
	free_pages(addr, 0);
}

void free_pages_exact(void *virt, size_t size)
{
	unsigned long addr = (unsigned long)virt, end = addr + PAGE_ALIGN(size);

	if (!virt_in_direct_map(virt) || (addr & (PAGE_SIZE - 1))) {
		kmm_bug("free_pages_exact: %p is not a page kmm handed out", virt);
		return;
	}
	for (; addr < end; addr += PAGE_SIZE)
		free_pages(addr, 0);
}
