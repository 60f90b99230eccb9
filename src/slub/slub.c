/* SLUB's entry points (mm/slub.c of kernels 6.x; DESIGN.md §6): the
 * kmem_cache allocation and free calls, bulk included, and the hook chain
 * (debug caches, fault injection, zeroing) in front of the layers below.
 * The layers and their protocols are listed in slab.h and written down in
 * docs/design.md §2.
 *
 * No locks of its own: the layers below take theirs. Caches are never
 * merged (each kmem_cache_create makes its own cache and slabinfo lists it
 * under its own name), so reports name the cache the caller created. */
#include <kmm/kmm.h>
#include "lib/context.h"
#include "slub/cache.h"
#include "slub/cpu_slab.h"
#include "slub/slab_check.h"
#include "slub/slab_page.h"
#include "slub/slub.h"
#include "slub/slub_debug.h"

/* ---- the hook chain ---- */

/* A cache with no sheaves: debug caches take the locked path for every
 * object; fault injection and init_on_alloc the per-CPU slab's. */
noinline void *slab_alloc_special(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	void *object;

	if (should_failslab(s, gfp))
		return NULL;
	if (!kmem_cache_debug(s))
		return slab_alloc_slow(s, gfp, addr);
	count_event(EV_slab_alloc_slow);
	object = alloc_single(s, gfp, addr);
	return object ? slab_post_alloc(s, gfp, object) : NULL;
}

/* Zeroing: the owner's pop, then memset; or the paths below, which zero
 * as they hand out. */
noinline void *slab_alloc_hooked(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	void *object;

	if (s->special)
		return slab_alloc_special(s, gfp, addr);
	if (!slab_alloc_owner(s, &object))
		return slab_alloc_shared(s, gfp, addr);
	return memset(object, 0, s->object_size);
}

noinline void *slab_alloc_miss(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (s->special)
		return slab_alloc_special(s, gfp, addr);
	return slab_alloc_shared(s, gfp, addr);
}

noinline void *slab_alloc_atomic_bug(struct kmem_cache *s, gfp_t gfp, unsigned long addr,
				     const char *caller)
{
	if (!might_alloc_slow(gfp, caller))
		return NULL;
	return slab_alloc_miss(s, gfp, addr);
}

noinline void slab_free_hooked(struct kmem_cache *s, struct page *slab, void *object,
			       unsigned long addr)
{
	if (kmem_cache_debug(s))
		return slab_free_debug(s, slab, object, addr);
	if (unlikely(slab_object_is_free(s, slab, object)))
		return slab_report_double_free(s, slab, object);
	slab_free_any(s, slab, object);
}

/* ---- allocation ---- */

/* Everything kmem_cache_alloc()'s pop did not serve, from one call site
 * (so the caller's address is read only here): a sleeping allocation in
 * atomic context, zeroing, a cache with no sheaves, an empty sheaf. */
static noinline void *kmem_cache_alloc_slow(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (unlikely(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)))
		return slab_alloc_atomic_bug(s, gfp, addr, "kmem_cache_alloc");
	if (gfp & __GFP_ZERO)
		return slab_alloc_hooked(s, gfp, addr);
	return slab_alloc_miss(s, gfp, addr);
}

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	void *object;

	if (likely(!(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)) && !(gfp & __GFP_ZERO) &&
		   slab_alloc_owner(s, &object)))
		return object;
	return kmem_cache_alloc_slow(s, gfp, RET_IP);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	if (unlikely(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)))
		return slab_alloc_atomic_bug(s, gfp | __GFP_ZERO, RET_IP, "kmem_cache_zalloc");
	return slab_alloc(s, gfp | __GFP_ZERO, RET_IP);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p)
{
	unsigned long addr = RET_IP;
	size_t i = 0;

	if (!nr)
		return 0;
	if (unlikely(!might_alloc(gfp, "kmem_cache_alloc_bulk")))
		return 0;
	if (unlikely(s->special)) {
		for (; i < nr; i++) {
			p[i] = slab_alloc_special(s, gfp, addr);
			if (!p[i])
				goto error;
		}
		return (int)nr;
	}
	while (i < nr) {
		void *object;

		i += cpu_take_bulk(s, nr - i, p + i);
		if (i < nr) {
			count_event(EV_slab_alloc_slow);
			object = slab_alloc_refill(s, gfp, addr);
			if (!object)
				goto error;
			p[i++] = object;
		}
	}
	for (i = 0; i < nr; i++)
		slab_post_alloc(s, gfp, p[i]);
	return (int)nr;
error:
	if (!s->special) {
		for (size_t j = 0; j < i; j++)
			slab_post_alloc(s, 0, p[j]);
	}
	kmem_cache_free_bulk(s, i, p);
	return 0;
}

/* ---- free ---- */

/* Any object of `slab`: the full start check, then the whole free. */
static noinline void slab_free_checked(struct kmem_cache *s, struct page *slab, void *x,
				       unsigned long addr)
{
	if (unlikely(!slab_object_start(s, slab, x)))
		return cache_free_bad(s, x, slab, "kmem_cache_free");
	slab_free(s, slab, x, addr);
}

/* The word of struct page that holds a slab's cache holds a tail page's
 * compound_head (bit 0 set) and a free page's list link, and is cleared
 * when a slab goes back to the buddy: it names `s` only in the head page
 * of a live slab of `s`. An object in the head page is at its offset in
 * the page; one in a tail page is taken on the tail's own words
 * (slab_tail_fast_cache) or checked through compound_head. */
static noinline void kmem_cache_free_tail(struct kmem_cache *s, void *x, struct page *page,
					  unsigned long addr)
{
	unsigned long word = atomic_load_relaxed(&page->compound_head);
	struct page *slab = (struct page *)(word - 1);

	if (likely(s && slab_tail_fast_cache(page, x) == s))
		return slab_free_owner(s, x);
	if (unlikely(!(word & 1) || atomic_load_relaxed(&slab->slab_cache) != s))
		return cache_free_bad(s, x, page_compound_head(page), "kmem_cache_free");
	return slab_free_checked(s, slab, x, addr);
}

void kmem_cache_free(struct kmem_cache *s, void *x)
{
	unsigned long pfn = direct_map_pfn(x);
	struct page *slab;

	if (unlikely(pfn >= kmm_mem.lowmem_pages)) {
		if (x)
			cache_free_bad(s, x, NULL, "kmem_cache_free");
		return;
	}
	slab = pfn_page(pfn);
	/* A plain read, which the compiler folds into its compare: while any
	 * object of a slab is in use nobody writes its head's word, and only
	 * bad input may free into a page that is changing hands. */
	if (unlikely(slab->compound_head != (unsigned long)s))
		return kmem_cache_free_tail(s, x, slab, RET_IP);
	if (unlikely(slab_head_object_needs_check(s, x)))
		return slab_free_checked(s, slab, x, RET_IP);
	return slab_free_owner(s, x);
}

/* build_detached_freelist(): from the end of the array, gather objects of
 * the same slab (up to 3 misses of look-ahead) and free each group with
 * one compare-and-swap. Entries consumed are set to NULL, as the kernel
 * does. */
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	unsigned long addr = RET_IP;

	while (nr) {
		void *object = p[--nr], *head, *tail;
		struct page *slab;
		unsigned int cnt = 1, misses = 0;

		if (!object)
			continue;
		p[nr] = NULL;
		slab = object_head_page(object);
		if (unlikely(!slab || !PageSlab(slab) ||
			     atomic_load_relaxed(&slab->slab_cache) != s ||
			     !slab_object_start(s, slab, object))) {
			cache_free_bad(s, object, slab, "kmem_cache_free_bulk");
			continue;
		}
		if (s->special) {
			slab_free_hooked(s, slab, object, addr);
			continue;
		}
		if (unlikely(slab_object_is_free(s, slab, object))) {
			slab_report_double_free(s, slab, object);
			continue;
		}
		slab_pre_free(s, object);
		head = tail = object;
		for (size_t i = nr; i-- > 0 && misses < 3;) {
			void *o = p[i];

			if (!o)
				continue;
			if (object_head_page(o) != slab || o == head || !slab_object_start(s, slab, o) ||
			    slab_object_is_free(s, slab, o)) {
				misses++;
				continue;
			}
			p[i] = NULL;
			slab_pre_free(s, o);
			set_freepointer(s, o, head);
			head = o;
			cnt++;
		}
		cpu_free_chain(s, slab, head, tail, cnt);
	}
}
