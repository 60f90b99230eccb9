/* Reports of misuse (slab_check.c): a pointer that is no object of the
 * cache, a double free. Below every caller: it calls only slub_debug's
 * report printing, and takes no lock but the report lock. */
#ifndef KMM_SLUB_SLAB_CHECK_H
#define KMM_SLUB_SLAB_CHECK_H

#include "slub/slab.h"

/* kmem_cache_free(), kfree() and the bulk free of something that is not
 * an object start of the expected cache (`s` NULL: any cache): one report,
 * nothing changes. `page` is the head page of `x`'s block, or NULL. */
void slab_free_bad(struct kmem_cache *s, const void *x, struct page *page, const char *caller);
/* "Object already free": `object` is on a freelist or in a sheaf already. */
void slab_report_double_free(struct kmem_cache *s, struct page *slab, void *object);
/* What `x` is, for a report about a pointer kmm did not hand out. */
const char *slab_describe_bad_pointer(const void *x);
/* kmm_bug("<caller>: <x> is <what it is>"). */
void slab_report_bad_pointer(const char *caller, const void *x);

#endif
