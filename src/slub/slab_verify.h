/* The invariant walks of a cache's node lists (slab_verify.c): one report
 * per damaged slab; the number of reports is returned. Lock: the cache's
 * list_lock for the whole walk. */
#ifndef KMM_SLUB_SLAB_VERIFY_H
#define KMM_SLUB_SLAB_VERIFY_H

#include "slub/slab.h"

/* KMM_DEBUG builds run it at kmem_cache_shrink and kmem_cache_destroy. */
unsigned long slab_verify(struct kmem_cache *s);
/* The kernel's /sys/kernel/slab/<cache>/validate: slab_verify() plus the
 * red zones and poison of every object of a debug cache. Returns the
 * errors reported (kmm_bug_count()); the slabs walked go to *walked
 * (NULL: not wanted). */
unsigned long slab_validate(struct kmem_cache *s, unsigned long *walked);

#endif
