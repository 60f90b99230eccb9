/* The lifecycle of caches (cache.c): the list of caches, creation for the
 * kmalloc family, boot and exit of the slab allocator. Lock: slab_mutex
 * guards the list. */
#ifndef KMM_SLUB_CACHE_H
#define KMM_SLUB_CACHE_H

#include "slub/slab.h"

extern struct list_head slab_caches;	/* under slab_mutex */
extern struct kmm_mutex slab_mutex;
extern bool slab_up;			/* atomic: between slab_init() and slab_exit() */

/* `cpu_slab`: the per-CPU parts to use (kmalloc's front end), or NULL for
 * the cache's own. */
struct kmem_cache *slab_create_cache(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *),
				     struct kmem_cache_cpu *cpu_slab);
void slab_init(void);
/* Tears every cache down; returns the objects still allocated, after
 * reporting them by cache (with allocation sites under slub_debug=U). */
long slab_exit(void);
/* kmem_cache_free() of what is not an object start of `s`: one report
 * (naming the wrong cache without reading a destroyed one). */
void cache_free_bad(struct kmem_cache *s, const void *x, struct page *page, const char *caller);

#endif
