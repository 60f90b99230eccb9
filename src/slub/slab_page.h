/* The slab page layer (slab_page.c): slab pages and the node partial
 * list. Nothing here knows about CPUs: a function that leaves a slab for a
 * CPU to take or to park returns it to the caller. Lock: n->list_lock,
 * held where a name ends in _locked. */
#ifndef KMM_SLUB_SLAB_PAGE_H
#define KMM_SLUB_SLAB_PAGE_H

#include "slub/slab.h"

/* Node lists, n->list_lock held. */
void add_partial_locked(struct kmem_cache_node *n, struct page *slab, bool tail);
void remove_partial_locked(struct kmem_cache_node *n, struct page *slab);
void add_full_locked(struct kmem_cache_node *n, struct page *slab);
void remove_full_locked(struct kmem_cache_node *n, struct page *slab);
unsigned long count_partial_free(struct kmem_cache_node *n);

/* allocate_slab(): a new slab with every object free, on no list,
 * unfrozen. Called with no slab lock held: it may sleep. */
struct page *new_slab(struct kmem_cache *s, gfp_t gfp);
/* An empty slab on no list that no CPU holds goes back to the buddy. */
void discard_slab(struct kmem_cache *s, struct page *slab);
/* Slabs of every cache (the slab shrinker's count). */
unsigned long slab_pages_total(void);

/* Takes the slab's whole freelist and freezes the slab for a CPU (all
 * objects count as in use); with nothing to take it stays unfrozen, full. */
void *slab_take_freelist(struct page *slab);
/* deactivate_slab(): a CPU's former slab, with the CPU's freelist spliced
 * back, unfrozen onto the node list (or to the buddy when empty). */
void deactivate_slab(struct kmem_cache *s, struct page *slab, void *freelist);
/* A chain (through page->next) of unfrozen slabs goes to the node list;
 * empty ones above min_partial go back to the buddy. */
void node_add_partials(struct kmem_cache *s, struct page *chain);
/* get_partial_node(): the first node partial slab with free objects,
 * frozen (*slabp, its freelist returned), and up to `extra` more partial
 * slabs, unfrozen and on no list, chained through page->next in *chain.
 * NULL when the node has none. */
void *node_get_partial(struct kmem_cache *s, unsigned int extra, struct page **slabp,
		       struct page **chain);
/* Every empty slab on the node list back to the buddy; how many went. */
unsigned long node_discard_empty(struct kmem_cache *s);

/* The locked single-object path (debug caches; CPUs busy with another
 * thread): one object from the node list or a new slab, under list_lock. */
void *alloc_single(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void *alloc_single_from_new_slab(struct kmem_cache *s, struct page *slab, unsigned long addr);

/* __slab_free(): `cnt` objects chained head..tail, through
 * slab_pre_free() already, go onto their slab's own freelist. True when
 * the slab just stopped being full and is on no list: the caller parks it
 * (a CPU's partial list, or node_add_partials()). */
bool slab_free_to_page(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		       unsigned int cnt);
/* free_to_partial_list(): a debug cache's free, checked under list_lock. */
void slab_free_debug(struct kmem_cache *s, struct page *slab, void *object, unsigned long addr);

#endif
