/* The vmap cache: per-CPU caches of vfree'd vmalloc areas, still mapped
 * with their pages, for a later vmalloc of the same size on that CPU.
 *
 * Why: a vmalloc of fresh pages costs the host a page-table build on mmap
 * and a teardown at the purge, for every page, every time (over 90% of a
 * 1 MiB vmalloc+vfree). The kernel keeps freed vmap areas until a lazy
 * purge for the same reason (TLB flushes); keeping them mapped, pages and
 * all, lets a repeated vmalloc+vfree of one size skip the host entirely.
 *
 * What: each CPU keeps at most VCACHE_MAX_AREAS areas and vmalloc_cache=
 * bytes of them (default min(32 MiB, memory / 64) per CPU), most recently
 * freed first; a put that does not fit evicts the oldest and hands them
 * back to vfree for the lazy lists. Only plain areas (vmalloc/vzalloc/__vmalloc of default
 * protection, with a guard page) are kept, and only a plain request of the
 * same number of pages takes one back. A cached area keeps VA_LAZY, so a
 * second vfree of it is still a double free, vmalloc_to_page sees no page
 * and vmallocinfo shows it unpurged. The purge (lazy threshold, the
 * "vmap-lazy" shrinker under memory pressure, vm_unmap_aliases, a short
 * vmalloc, exit) drains every cache first. With init_on_free the area is
 * zeroed as it is put; vzalloc and init_on_alloc zero it as it is taken
 * (vmalloc.c).
 *
 * Locks: a CPU's cache lock (LOCK_RANK_VMAP_CACHE) protects its list and
 * byte count; nothing nests inside it. Its own CPU only trylocks it (a
 * miss when busy), the purge's drain takes it. vcache_nr_pages is an
 * atomic sum for the shrinker. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/host_mem.h"
#include "vmalloc/vcache.h"

#define VCACHE_MAX_AREAS	32
#define VCACHE_AUTO_MAX		(32UL << 20)

struct vcache_cpu {
	struct kmm_spinlock lock;
	struct list_head areas;		/* most recently freed first */
	unsigned long bytes;
	unsigned int nr;
} cacheline_aligned;

static struct vcache_cpu *vcaches;
static unsigned long vcache_cap;	/* bytes per CPU */
unsigned long vcache_nr_pages;

int vcache_init(void)
{
	unsigned long mem = kmm_config.mem;	/* mem=, so 1G keeps 16 MiB areas */

	vcache_cap = kmm_config.vmalloc_cache != ~0UL ? kmm_config.vmalloc_cache
						      : MIN(VCACHE_AUTO_MAX, mem / 64);
	atomic_store_relaxed(&vcache_nr_pages, 0);
	vcaches = host_aligned_alloc(CACHELINE, sizeof(*vcaches) * nr_cpu_ids);
	if (!vcaches)
		return -ENOMEM;
	for (unsigned int i = 0; i < nr_cpu_ids; i++) {
		kmm_spin_init(&vcaches[i].lock, "vmap cache", LOCK_RANK_VMAP_CACHE);
		INIT_LIST_HEAD(&vcaches[i].areas);
		vcaches[i].bytes = 0;
		vcaches[i].nr = 0;
	}
	return 0;
}

/* After the last purge: every cache is empty. */
void vcache_exit(void)
{
	host_free(vcaches);
	vcaches = NULL;
}

static unsigned long area_bytes(const struct vmap_area *va)
{
	return va->nr_pages << PAGE_SHIFT;
}

struct vmap_area *vcache_take(unsigned long nr_pages)
{
	struct vcache_cpu *c = &vcaches[cpu_id()];
	struct vmap_area *found = NULL;
	struct list_head *pos;

	if (!atomic_load_relaxed(&c->nr) || !kmm_spin_trylock(&c->lock))
		return NULL;
	list_for_each(pos, &c->areas) {
		struct vmap_area *va = list_entry(pos, struct vmap_area, lazy);

		if (va->nr_pages == nr_pages) {
			found = va;
			break;
		}
	}
	if (found) {
		list_del(&found->lazy);
		c->bytes -= area_bytes(found);
		atomic_store_relaxed(&c->nr, c->nr - 1);
	}
	kmm_spin_unlock(&c->lock);
	if (found)
		atomic_sub_relaxed(&vcache_nr_pages, nr_pages);
	return found;
}

struct vmap_area *vcache_put(struct vmap_area *va)
{
	unsigned int flags = atomic_load_relaxed(&va->flags);
	unsigned long bytes = area_bytes(va);
	struct vmap_area *evicted = NULL;
	struct vcache_cpu *c;

	if (bytes > vcache_cap || (flags & (VA_NOCACHE | VA_BLOCK)) || !(flags & VM_ALLOC))
		goto refuse;
	if (kmm_config.init_on_free) {
		/* vfree poisoned it; zeroing is kmm's own write. */
		kasan_unpoison((void *)va->va_start, bytes);
		memset((void *)va->va_start, 0, bytes);
		kasan_poison((void *)va->va_start, bytes);
	}
	c = &vcaches[cpu_id()];
	if (!kmm_spin_trylock(&c->lock))
		goto refuse;
	while (c->nr == VCACHE_MAX_AREAS || c->bytes + bytes > vcache_cap) {
		struct vmap_area *old = list_last_entry(&c->areas, struct vmap_area, lazy);

		list_del(&old->lazy);
		c->bytes -= area_bytes(old);
		atomic_store_relaxed(&c->nr, c->nr - 1);
		atomic_sub_relaxed(&vcache_nr_pages, old->nr_pages);
		old->chain = evicted;
		evicted = old;
	}
	list_add(&va->lazy, &c->areas);
	c->bytes += bytes;
	atomic_store_relaxed(&c->nr, c->nr + 1);
	atomic_add_relaxed(&vcache_nr_pages, va->nr_pages);
	kmm_spin_unlock(&c->lock);
	return evicted;
refuse:
	va->chain = NULL;
	return va;
}

unsigned long vcache_drain_link(void)
{
	unsigned long pages = 0;

	if (!vcaches)
		return 0;
	for (unsigned int i = 0; i < nr_cpu_ids; i++) {
		struct vcache_cpu *c = &vcaches[i];
		struct list_head local;

		if (!atomic_load_relaxed(&c->nr))
			continue;
		INIT_LIST_HEAD(&local);
		kmm_spin_lock(&c->lock);
		while (!list_empty(&c->areas))
			list_move_tail(c->areas.next, &local);
		c->bytes = 0;
		atomic_store_relaxed(&c->nr, 0);
		kmm_spin_unlock(&c->lock);
		while (!list_empty(&local)) {
			struct vmap_area *va = list_first_entry(&local, struct vmap_area, lazy);

			list_del(&va->lazy);
			atomic_sub_relaxed(&vcache_nr_pages, va->nr_pages);
			pages += va_size(va) >> PAGE_SHIFT;
			vmap_lazy_link(va);
		}
	}
	return pages;
}
