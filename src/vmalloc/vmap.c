/* vmap and vm_map_ram: the caller's pages mapped into the vmalloc space.
 *
 * Both map each physically contiguous run of the page array with one
 * mmap() and keep a copy of the array for vmalloc_to_page. They differ in
 * how an area is named on the way out: vunmap(addr) finds the area by its
 * address; vm_unmap_ram(addr, count) must also be told its size, as in the
 * kernel, and a count that does not match is reported. vmallocinfo shows
 * "vmap" or "vm_map_ram". The caller owns the pages and may free them as
 * soon as the unmap returns, so the mapping goes at once; only the address
 * range waits for the purge. Locks: none of its own; the vmap areas' own
 * (vmap_area.c, purge.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include <kmm/preempt.h>
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/cpu.h"
#include "lib/host_mem.h"
#include "vmalloc/mapping.h"
#include "vmalloc/purge.h"
#include "vmalloc/space.h"
#include "vmalloc/vmalloc.h"

static void *map_pages(struct page **pages, unsigned int count, pgprot_t prot, unsigned int kind,
		       const void *caller, const char *fn)
{
	struct vmap_where where = vmap_where_default;
	struct vmap_area *va;
	struct page **copy;
	void *addr;

	if (unlikely(!might_alloc(GFP_KERNEL, fn)))
		return NULL;
	if (unlikely(!atomic_load_relaxed(&vmalloc_start)))
		return vmalloc_not_ready(fn);
	if (!count || count > totalram_pages())
		return NULL;
	if (!pages) {
		kmm_bug("%s: NULL page array (count %u)", fn, count);
		return NULL;
	}
	if ((prot.pgprot & ~(unsigned long)(PROT_READ | PROT_WRITE | PROT_EXEC)) ||
	    !(prot.pgprot & PROT_READ)) {
		kmm_bug("%s: protection %#lx is not one of PAGE_KERNEL, PAGE_KERNEL_RO, "
			"PAGE_KERNEL_EXEC", fn, prot.pgprot);
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (!page_valid(pages[i])) {
			kmm_bug("%s: pages[%u] = %p is not a kmm struct page", fn, i, (void *)pages[i]);
			return NULL;
		}
	}
	vmap_drain_deferred();
	va = host_calloc(1, sizeof(*va));
	copy = host_alloc(count * sizeof(*copy));
	if (!va || !copy) {
		host_free(va);
		host_free(copy);
		return NULL;
	}
	memcpy(copy, pages, count * sizeof(*copy));
	va->pages = copy;
	va->nr_pages = count;
	va->caller = caller;
	where.prot = (int)prot.pgprot;
	addr = vmap_map_area(va, GFP_KERNEL, kind, &where);
	if (!addr)
		host_free(copy);
	return addr;
}

void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot)
{
	(void)flags;
	return map_pages(pages, count, prot, VM_MAP, __builtin_return_address(0), "vmap");
}

void *vm_map_ram(struct page **pages, unsigned int count, int node)
{
	if (node != 0 && node != NUMA_NO_NODE) {
		kmm_bug("vm_map_ram: node %d does not exist (kmm has node 0 only)", node);
		return NULL;
	}
	return map_pages(pages, count, PAGE_KERNEL, VA_MAP_RAM, __builtin_return_address(0),
			 "vm_map_ram");
}

static void unmap_pages(const void *addr, unsigned int kind, unsigned int count, const char *fn)
{
	struct vmap_take t = { .kind = kind, .count = count, .fn = fn };
	struct vmap_area *va;

	if (unlikely(in_interrupt())) {
		kmm_bug("%s(%p) called from interrupt context", fn, addr);
		return;
	}
	va = vmap_take_area(addr, &t);
	if (!va)
		return;
	vmap_unmap_range(va->va_start, va_size(va));
	vmap_mappings_release(va->nr_runs + 1UL);
	atomic_store_relaxed(&va->flags, atomic_load_relaxed(&va->flags) | VA_UNMAPPED);
	vmap_lazy_add(va);
}

void vunmap(const void *addr)
{
	if (addr)
		unmap_pages(addr, VM_MAP, 0, "vunmap");
}

void vm_unmap_ram(const void *mem, unsigned int count)
{
	if (!mem || !count) {
		kmm_bug("vm_unmap_ram(%p, %u): %s", mem, count, mem ? "count 0" : "NULL address");
		return;
	}
	unmap_pages(mem, VA_MAP_RAM, count, "vm_unmap_ram");
}
