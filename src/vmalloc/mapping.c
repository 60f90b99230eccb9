/* Host mappings of vmap areas: each physically contiguous run of an
 * area's pages is mapped into the vmalloc space with one
 * mmap(MAP_FIXED|MAP_SHARED|MAP_POPULATE) of the physical-memory memfd, so
 * a write through the vmalloc address is a write to the page, visible
 * through the direct map, and the mapping is complete when it returns,
 * whether physical memory was populated at boot or not. Every area is
 * followed by an unmapped guard page (but VM_NO_GUARD). Unmapping puts
 * the range back to the PROT_NONE reservation.
 *
 * The mapping budget: every mapping costs the host a VMA, and a process
 * has at most vm.max_map_count of them; vmalloc keeps to that limit less
 * what the rest of the process holds (counted at boot) and a headroom, so
 * that running short is a vmalloc failure, not an mmap() one elsewhere.
 *
 * Order of the work, so that no vmalloc lock is held across a system
 * call: mapping budget -> address range (node lock; the area is published
 * VA_UNINITIALIZED) -> mmap() of each run -> flags released.
 *
 * Locks: none of its own; the budget is an atomic, the range the node's
 * (vmap_area.c). */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/events.h"
#include "lib/host_file.h"
#include "vmalloc/mapping.h"

/* Mappings left to the rest of the process (libraries, thread stacks,
 * the sanitizers' own). */
#define MAP_COUNT_HEADROOM	1024
#define DEFAULT_MAX_MAP_COUNT	65530
#define PROT_RW			(PROT_READ | PROT_WRITE)

unsigned long vmap_max_mappings;
unsigned long vmap_nr_mappings;

const struct vmap_where vmap_where_default = {
	.align = PAGE_SIZE, .start = 0, .end = 0, .prot = PROT_RW, .guard = true,
};

/* ---- the mapping budget: vm.max_map_count ---- */

void vmap_mappings_init(void)
{
	unsigned long limit, used = host_count_lines("/proc/self/maps") + MAP_COUNT_HEADROOM;

	if (!host_read_ulong("/proc/sys/vm/max_map_count", &limit))
		limit = DEFAULT_MAX_MAP_COUNT;
	atomic_store_relaxed(&vmap_max_mappings, limit > used ? limit - used : 0);
	atomic_store_relaxed(&vmap_nr_mappings, 0);
}

bool vmap_mappings_reserve(unsigned long n)
{
	unsigned long cur = atomic_load_relaxed(&vmap_nr_mappings);

	do {
		if (cur + n > atomic_load_relaxed(&vmap_max_mappings))
			return false;
	} while (!atomic_cas_relaxed(&vmap_nr_mappings, &cur, cur + n));
	return true;
}

void vmap_mappings_release(unsigned long n)
{
	atomic_sub_relaxed(&vmap_nr_mappings, n);
}

/* ---- mappings ---- */

static unsigned int count_runs(struct page **pages, unsigned long nr)
{
	unsigned int runs = 1;

	for (unsigned long i = 1; i < nr; i++)
		runs += pfn_of(pages[i]) != pfn_of(pages[i - 1]) + 1;
	return runs;
}

/* One mmap() per physically contiguous run, its page tables filled in the
 * same call. */
static int map_runs(unsigned long addr, struct page **pages, unsigned long nr, int prot)
{
	for (unsigned long i = 0, j; i < nr; i = j) {
		unsigned long pfn = pfn_of(pages[i]);
		void *p;

		for (j = i + 1; j < nr && pfn_of(pages[j]) == pfn + (j - i); j++)
			;
		count_event(EV_vmap_mmap);
		p = mmap((void *)(addr + (i << PAGE_SHIFT)), (j - i) << PAGE_SHIFT, prot,
			 MAP_FIXED | MAP_SHARED | MAP_POPULATE, kmm_mem.memfd,
			 (off_t)(pfn << PAGE_SHIFT));
		if (p == MAP_FAILED)
			return -errno;
	}
	return 0;
}

void vmap_unmap_range(unsigned long start, unsigned long size)
{
	count_event(EV_vmap_mmap);
	if (mmap((void *)start, size, PROT_NONE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		kmm_warn("vmalloc: cannot unmap %#lx-%#lx: error %d", start, start + size, errno);
}

enum vmap_map_result vmap_map_area_try(struct vmap_area *va, unsigned int kind,
				       const struct vmap_where *where)
{
	unsigned long span = (va->nr_pages << PAGE_SHIFT) + (where->guard ? PAGE_SIZE : 0);
	bool found;
	int err;

	va->nr_runs = count_runs(va->pages, va->nr_pages);
	if (!vmap_mappings_reserve(va->nr_runs + 1UL))
		return VMAP_NO_MAPPINGS;
	if (vmap_where_is_default(where))
		found = vmap_area_alloc(va, span);
	else
		found = vmap_area_alloc_range(va, span, MAX(where->align, PAGE_SIZE),
					      where->start ? where->start
							   : (unsigned long)vmalloc_start,
					      where->end ? where->end : (unsigned long)vmalloc_end);
	if (!found) {
		vmap_mappings_release(va->nr_runs + 1UL);
		return VMAP_NO_SPACE;
	}
	err = map_runs(va->va_start, va->pages, va->nr_pages, where->prot);
	if (err) {
		struct vmap_node *vn = addr_to_node(va->va_start);

		vmap_unmap_range(va->va_start, va_size(va));
		vmap_mappings_release(va->nr_runs + 1UL);
		kmm_spin_lock(&vn->lock);
		vmap_area_release_locked(vn, va);
		kmm_spin_unlock(&vn->lock);
		return err == -ENOMEM ? VMAP_MMAP_ENOMEM : VMAP_MMAP_FAILED;
	}
	kasan_unpoison((void *)va->va_start, va_size(va));
	/* Publish: everything above happens-before a reader that sees the
	 * area without VA_UNINITIALIZED under the node lock. */
	atomic_store_release(&va->flags, kind);
	return VMAP_MAPPED;
}
