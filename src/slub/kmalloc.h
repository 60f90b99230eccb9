/* The kmalloc family's caches (kmalloc.c), made at boot after the slab
 * allocator is up and forgotten before it goes, under the boot lock. */
#ifndef KMM_SLUB_KMALLOC_H
#define KMM_SLUB_KMALLOC_H

#include "slub/slab.h"

int kmalloc_init(void);
void kmalloc_exit(void);
/* The kmalloc cache (bucket) for `size` bytes, 1..KMALLOC_MAX_CACHE_SIZE;
 * NULL before boot. */
struct kmem_cache *kmalloc_slab(size_t size, gfp_t gfp);

#endif
