/* slub_debug and failslab (slub_debug.c): the boot parameter, red zones,
 * poisoning, owner tracking, the debug checks and the kernel-shaped slab
 * reports. The bottom of the folder: it calls nothing of the other
 * layers. Its checks run under the cache's list_lock (debug caches take
 * the locked path); it takes no other lock. */
#ifndef KMM_SLUB_SLUB_DEBUG_H
#define KMM_SLUB_SLUB_DEBUG_H

#include "slub/slab.h"

/* Boot: slub_debug= and failslab= from the command line. */
void slub_debug_parse(void);
slab_flags_t slub_debug_flags(const char *name, slab_flags_t flags);
/* Whether failslab may fail allocations of `s` at all (its caches take
 * the locked path), and whether it fails this one. */
bool failslab_applies(const struct kmem_cache *s);
bool should_failslab(struct kmem_cache *s, gfp_t gfp);

void slab_debug_init_slab(struct kmem_cache *s, struct page *slab);
bool slab_debug_alloc_checks(struct kmem_cache *s, struct page *slab, void *object,
			     unsigned long addr);
bool slab_debug_free_checks(struct kmem_cache *s, struct page *slab, void *object,
			    unsigned long addr);
void slab_debug_poison_slot(struct kmem_cache *s, void *object, bool allocated);
void slab_err(struct kmem_cache *s, struct page *slab, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "FIX <cache>: <what was repaired>": one more error of the report. */
void slab_fix(struct kmem_cache *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void slab_print_object_tracks(struct kmem_cache *s, void *object);
unsigned int slab_info_end(const struct kmem_cache *s);
void slab_list_objects(struct kmem_cache *s, struct page *slab, unsigned int *shown,
		       unsigned int max_shown);
unsigned int slab_get_orig_size(struct kmem_cache *s, const void *object);
void slab_debug_set_orig_size(struct kmem_cache *s, void *object, unsigned int orig_size,
			      bool poison_end);
void slab_debug_discard(struct kmem_cache *s, struct page *slab);
void slab_debug_validate_slab(struct kmem_cache *s, struct page *slab);

#endif
