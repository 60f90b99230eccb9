/* Lazy freeing of vmap areas (purge.c, which names its lock). */
#ifndef KMM_VMALLOC_PURGE_H
#define KMM_VMALLOC_PURGE_H

#include <stdbool.h>
#include "vmalloc/vmap_area.h"

extern long vmap_lazy_nr;		/* pages (guard included) not yet purged */
unsigned long lazy_max_pages(void);
/* Puts a VA_LAZY area on its node's lazy list and counts it. */
void vmap_lazy_add(struct vmap_area *va);
/* Counts pages already on a lazy list; purges past lazy_max_pages(). */
void vmap_lazy_account(unsigned long nr_pages);
/* vfree from interrupt context: push a VA_LAZY area on the deferred list. */
void vmap_defer_free(struct vmap_area *va);
void vmap_drain_deferred_slow(void);
extern struct vmap_area *vmap_deferred;
static inline void vmap_drain_deferred(void)
{
	if (unlikely(atomic_load_relaxed(&vmap_deferred) != NULL))
		vmap_drain_deferred_slow();
}
/* Purges every lazy area; `wait` false: return at once when another
 * thread is purging. Returns the pages given back to the buddy. */
unsigned long vmap_purge(bool wait);
int vmap_purge_init(void);
void vmap_purge_exit(void);

#endif
