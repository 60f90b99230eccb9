/* kmalloc_nolock() and kfree_nolock() (mm/slub.c of kernels 6.15 to 7.0):
 * the kmalloc family for any context, an interrupt included, even one
 * that came while the thread it interrupted holds the bucket's per-CPU
 * lock.
 *
 * The kernel's rules: gfp may hold only __GFP_ACCOUNT, __GFP_ZERO and
 * __GFP_NO_OBJ_EXT; no reclaim, no sleep, no emergency reserves, no fault
 * injection, no large kmalloc (up to KMALLOC_MAX_CACHE_SIZE); a bucket
 * whose per-CPU lock is held is left for the next larger bucket, once;
 * NULL means no memory, not "try again". The objects are ordinary kmalloc
 * objects: kfree(), kfree_rcu() and ksize() take them.
 *
 * Locks: a bucket's per-CPU lock (c->lock, cpu_slab.c) is never waited
 * for: a held one sends the allocation to the next bucket, and the CPU
 * slab's slow path only tries it. The sheaves are left alone, since taking
 * them from their owner waits for it (cpu_owner.c). What may still be
 * waited for is a cache's node list_lock and the page allocator's shard
 * locks: in kmm their holder is always another running thread, never the
 * context the caller interrupted (an interrupt is a thread of its own, and
 * a thread enters interrupt context only between two whole operations),
 * so the wait is short and cannot deadlock, which is what the kernel's
 * trylocks there are for. For the same reason kfree_nolock() frees at
 * once where the kernel defers a free that would take a lock to irq_work:
 * the free of an object to its slab only tries the per-CPU lock. Signal
 * handlers are no interrupts here and must not call these either. */
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "slub/cpu_slab.h"
#include "slub/kmalloc.h"
#include "slub/slab_check.h"
#include "slub/slab_page.h"
#include "slub/slub_debug.h"

#define NOLOCK_GFP	(__GFP_ACCOUNT | __GFP_ZERO | __GFP_NO_OBJ_EXT)

static noinline void *kmalloc_nolock_bad(gfp_t gfp, int node)
{
	if (gfp & ~NOLOCK_GFP)
		kmm_warn("kmalloc_nolock: gfp %#x: only __GFP_ACCOUNT, __GFP_ZERO and "
			 "__GFP_NO_OBJ_EXT are allowed", gfp);
	else
		kmm_bug("kmalloc_nolock: node %d does not exist (kmm has node 0 only)", node);
	return NULL;
}

/* One bucket. *busy when its per-CPU lock is held: another thread of the
 * CPU is in its slow path (in the kernel, the interrupted context). */
static void *nolock_alloc_from(struct kmem_cache *s, size_t size, gfp_t gfp,
			       unsigned long addr, bool *busy)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu_id());
	void *object;

	if (kmm_spin_is_locked(&c->lock)) {
		*busy = true;
		return NULL;
	}
	if (!kmem_cache_debug(s))
		return slab_alloc_any(s, gfp, addr);
	/* slub_debug: the locked single-object path, as every debug
	 * allocation, then the requested size for the red zone. */
	object = alloc_single(s, gfp, addr);
	if (!object)
		return NULL;
	object = slab_post_alloc(s, gfp, object);
	if (slub_debug_orig_size(s))
		slab_debug_set_orig_size(s, object, (unsigned int)size,
					 !s->zero_on_alloc && !(gfp & __GFP_ZERO));
	return object;
}

void *kmalloc_nolock(size_t size, gfp_t gfp, int node)
{
	gfp_t alloc_gfp = __GFP_NOWARN | __GFP_NOMEMALLOC | gfp;
	size_t bucket_size = size;

	if (unlikely((gfp & ~NOLOCK_GFP) || (node != 0 && node != NUMA_NO_NODE)))
		return kmalloc_nolock_bad(gfp, node);
	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	for (int tries = 0; tries < 2 && bucket_size <= KMALLOC_MAX_CACHE_SIZE; tries++) {
		struct kmem_cache *s = kmalloc_slab(bucket_size, alloc_gfp);
		bool busy = false;
		void *object;

		if (unlikely(!s)) {
			kmm_warn("kmalloc_nolock: kmm is not booted");
			return NULL;
		}
		object = nolock_alloc_from(s, size, alloc_gfp, RET_IP, &busy);
		if (!busy)
			return object;
		bucket_size = s->object_size + 1;	/* the next larger bucket */
	}
	return NULL;
}

static noinline void kfree_nolock_bad(const void *x, struct page *page)
{
	if (page && PageLargeKmalloc(page))
		kmm_warn("kfree_nolock: %p is a large kmalloc block, which kmalloc_nolock never "
			 "returns (free it with kfree)", x);
	else
		slab_report_bad_pointer("kfree_nolock", x);
}

/* The CPU slab's free (cpu_slab.h), or a debug cache's locked free. */
void kfree_nolock(const void *x)
{
	struct kmem_cache *s;
	struct page *slab;
	void *object = (void *)x;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	slab = object_head_page(x);
	if (unlikely(!slab || !PageSlab(slab)))
		return kfree_nolock_bad(x, slab);
	s = atomic_load_relaxed(&slab->slab_cache);
	if (unlikely(!slab_object_start(s, slab, x)))
		return slab_free_bad(NULL, x, slab, "kfree_nolock");
	if (kmem_cache_debug(s))
		return slab_free_debug(s, slab, object, RET_IP);
	if (unlikely(slab_object_is_free(s, slab, object)))
		return slab_report_double_free(s, slab, object);
	slab_free_any(s, slab, object);
}
