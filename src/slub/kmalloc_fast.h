/* The kmalloc family's fast paths, inline (kmalloc.c), for kmalloc() and
 * kfree() and for callers above SLUB that serve most requests there and
 * want no call on that path (libkmm-malloc). Each is a try: false means
 * nothing changed and the caller calls kmalloc() or kfree(), which
 * take the same fast path again and then the slow ones. No locks: an
 * owner section (lib/cpu_owner.h) around one pop or push. */
#ifndef KMM_SLUB_KMALLOC_FAST_H
#define KMM_SLUB_KMALLOC_FAST_H

#include "slub/slub.h"

/* The front end's classes: kmalloc_index's, 0 unused. */
#define KMALLOC_CLASSES		(KMALLOC_SHIFT_HIGH + 1)

/* The size's class for every size up to 8 KiB, one table (kmalloc.c says
 * why it is not the kernel's branch). */
extern const uint8_t kmalloc_index[KMALLOC_MAX_CACHE_SIZE / 8] KMM_HIDDEN;
/* The front end: the KMALLOC_NORMAL caches' per-CPU parts indexed by
 * class; its copy in the null unit (no room in any main sheaf) once
 * booted, a static one before. */
extern struct kmem_cache_cpu *kmalloc_front KMM_HIDDEN;


/* Requests the front end leaves to the slow path: another cache type, or
 * zeroing. */
#define KMALLOC_GFP_SLOW	(__GFP_DMA | __GFP_RECLAIMABLE | __GFP_ZERO)

/* 1 <= size <= KMALLOC_MAX_CACHE_SIZE */
static always_inline unsigned int kmalloc_index_of(size_t size)
{
	return kmalloc_index[(size - 1) / 8];
}

/* The front end's pop: one flag test for the rare requests, one table
 * lookup, the owner's pop from its CPU's main sheaf of the class. False
 * for everything else (a large, DMA, reclaimable or zeroed request, a
 * sleeping one in atomic context, a class with no sheaves, kmm not
 * booted, an empty sheaf). */
static always_inline bool kmalloc_try(size_t size, gfp_t gfp, void **objectp)
{
	struct kmem_cache_cpu *null, *c;
	bool ok;

	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE || (gfp & KMALLOC_GFP_SLOW)))
		return false;
	if (unlikely(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)))
		return false;
	null = atomic_load_relaxed(&kmalloc_front) + kmalloc_index_of(size);
	c = (struct kmem_cache_cpu *)((char *)null + cpu_own_enter());
	ok = sheaf_pop_fast(c, null->offset, null->random, null->object_size, objectp);
	cpu_own_exit();
	return ok;
}

/* The cache of `x` when the fast free may take it: an object of a slab's
 * head page that needs no full start check, or of a tail page whose words
 * allow it; NULL for everything else (outside the direct map, a large
 * kmalloc, bad input), which the full check decides. */
static always_inline struct kmem_cache *kfree_fast_cache(const void *x)
{
	unsigned long pfn = direct_map_pfn(x);
	struct kmem_cache *s;
	struct page *page;

	if (unlikely(pfn >= kmm_mem.lowmem_pages))
		return NULL;
	page = pfn_page(pfn);
	/* A slab's head page (only heads carry PG_slab), or one of its tails */
	if (likely(PageSlab(page))) {
		s = atomic_load_relaxed(&page->slab_cache);
		return likely(!slab_head_object_needs_check(s, x)) ? s : NULL;
	}
	return slab_tail_fast_cache(page, x);
}

/* The free onto the owner's main sheaf; false also for a full sheaf or a
 * slot that may be free. */
static always_inline bool kfree_try(const void *x)
{
	struct kmem_cache *s = kfree_fast_cache(x);

	return s && sheaf_push_owner(s, (void *)x);
}

#endif
