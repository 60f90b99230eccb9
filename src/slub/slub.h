/* SLUB's entry points (slub.c) for the kmalloc family: the inline
 * dispatch between the owner's fast path (sheaf.h) and the hook chain
 * (debug caches, fault injection, zeroing), and the hooks themselves. No
 * locks of their own: the layers below take theirs. */
#ifndef KMM_SLUB_SLUB_H
#define KMM_SLUB_SLUB_H

#include "slub/sheaf.h"

/* The hook chain, out of line: a debug or fault-injected cache, or
 * zeroing. */
void *slab_alloc_hooked(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void *slab_alloc_special(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void slab_free_hooked(struct kmem_cache *s, struct page *slab, void *object, unsigned long addr);
/* A sleeping gfp in atomic context: reported and refused (might_alloc). */
void *slab_alloc_atomic_bug(struct kmem_cache *s, gfp_t gfp, unsigned long addr,
			    const char *caller);

static always_inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (unlikely(s->special || s->zero_on_alloc || (gfp & __GFP_ZERO)))
		return slab_alloc_hooked(s, gfp, addr);
	return slab_alloc_owner(s, gfp, addr, false);
}

static always_inline void slab_free(struct kmem_cache *s, struct page *slab, void *object,
				    unsigned long addr)
{
	if (unlikely(s->special || s->zero_on_free))
		return slab_free_hooked(s, slab, object, addr);
	slab_free_owner(s, slab, object, addr);
}

/* Whether an object at direct-map offset `doff` in the head page of a
 * slab of `s` needs the full start check and the hooks before it is freed.
 * Not when the cache is not a debug, fault-injected or init_on_free one
 * (so it has no left red zone) and the index from the offset in the page,
 * over the size, is one every slab of `s` starts in its first page: then
 * slab_free_owner() may take it. */
static always_inline bool slab_head_object_needs_check(const struct kmem_cache *s,
						       unsigned long doff)
{
	return s->special || s->zero_on_free ||
	       slab_object_index_off(s, doff & (PAGE_SIZE - 1)) >= s->head_objects;
}

#endif
