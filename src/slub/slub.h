/* SLUB's entry points (slub.c) for the kmalloc family: the inline
 * dispatch between the owner's fast path (sheaf.h) and the hook chain
 * (debug caches, fault injection, zeroing), and the hooks themselves. No
 * locks of their own: the layers below take theirs. */
#ifndef KMM_SLUB_SLUB_H
#define KMM_SLUB_SLUB_H

#include "slub/sheaf.h"

/* The hook chain, out of line: a cache with no sheaves (debug, fault
 * injection, init_on_alloc/init_on_free), or zeroing. */
void *slab_alloc_hooked(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void *slab_alloc_special(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void slab_free_hooked(struct kmem_cache *s, struct page *slab, void *object, unsigned long addr);
/* A sleeping gfp in atomic context: reported and refused (might_alloc). */
void *slab_alloc_atomic_bug(struct kmem_cache *s, gfp_t gfp, unsigned long addr,
			    const char *caller);
/* Whatever the owner's pop did not serve: the hooks of a cache with no
 * sheaves, else the shared paths. */
void *slab_alloc_miss(struct kmem_cache *s, gfp_t gfp, unsigned long addr);

/* A cache with no sheaves reaches its hooks through the miss: its CPU
 * parts' main sheaves have no room and nothing to pop. */
static always_inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	void *object;

	if (unlikely(gfp & __GFP_ZERO))
		return slab_alloc_hooked(s, gfp, addr);
	if (unlikely(!slab_alloc_owner(s, &object)))
		return slab_alloc_miss(s, gfp, addr);
	return object;
}

static always_inline void slab_free(struct kmem_cache *s, struct page *slab, void *object,
				    unsigned long addr)
{
	if (unlikely(s->special))
		return slab_free_hooked(s, slab, object, addr);
	slab_free_owner(s, object);
}

/* Whether an object at address `x` in the head page of a slab of `s`
 * needs the full start check (and the hooks) before it is freed: unless
 * the index from the offset in the page (the direct map is page-aligned),
 * over the size, is one every slab of `s` starts in its first page (none
 * in a cache with no sheaves, whose objects may sit after a left red
 * zone), when slab_free_owner() may take it. */
static always_inline bool slab_head_object_needs_check(const struct kmem_cache *s,
						       const void *x)
{
	return slab_object_index_off(s, (unsigned long)x & (PAGE_SIZE - 1)) >= s->head_objects;
}

#endif
