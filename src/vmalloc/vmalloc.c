/* The vmalloc family (DESIGN.md §3): virtually contiguous memory from
 * physically scattered pages.
 *
 * vmalloc takes its pages from the buddy, largest blocks first (orders are
 * tried from the largest that fits the remainder down to 0, never more than
 * needed, and never raised again once one failed), then maps each
 * physically contiguous run into the vmalloc space with one
 * mmap(MAP_FIXED|MAP_SHARED) of the physical-memory memfd: a write through
 * the vmalloc address is a write to the page, visible through the direct
 * map. Every area is followed by an unmapped guard page.
 *
 * Order of the work, so that no vmalloc lock is held while the page
 * allocator may reclaim (see vmap_area.c for the locks):
 *   pages (buddy) -> mapping budget -> address range (node lock, the area
 *   is published VA_UNINITIALIZED) -> mmap() of each run -> flags released
 * vfree marks the area VA_LAZY under its node's lock; the purge (purge.c)
 * removes the mapping, gives the pages back and returns the range.
 *
 * Misuse (vfree of a pointer vmalloc did not return, of an address inside
 * an area, twice; vfree of a vmap area or vunmap of a vmalloc one) is
 * reported once and changes nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include <kmm/preempt.h>
#include "buddy/mmzone.h"
#include "lib/bitops.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/cmdline.h"
#include "lib/ratelimit.h"
#include "lib/cpu.h"
#include "lib/events.h"
#include "buddy/vmstat.h"
#include "vmalloc/space.h"
#include "vmalloc/vmalloc.h"

#define POPULATE_AUTO_LIMIT	(2UL << 30)

/* Prefault the page tables of new mappings when physical memory itself is
 * populated (phys.c), so a first touch through vmalloc space does not
 * fault either. */
static bool vmap_populate;

/* ---- failures: the kernel's warn_alloc() for vmalloc, rate limited ---- */

static void vmalloc_error(gfp_t gfp, unsigned long size, const char *why)
{
	static struct ratelimit rl = RATELIMIT_INIT(10);

	count_event(EV_alloc_fail);
	if ((gfp & __GFP_NOWARN) || !ratelimit_ok(&rl))
		return;
	kmm_pr_info("kmm: vmalloc error: size %lu, %s, mode:%#x, cpu %d", size, why, gfp, cpu_id());
}

/* ---- pages ---- */

/* Fills pages[0..nr) with blocks, largest first. Returns how many pages it
 * got. High orders are opportunistic: no reclaim, no reserves, no warning;
 * order 0 uses the caller's gfp. */
static unsigned long vm_alloc_pages(struct page **pages, unsigned long nr, gfp_t gfp)
{
	gfp_t high_gfp = (gfp & ~(__GFP_RECLAIM | __GFP_NOFAIL)) | __GFP_NOWARN | __GFP_NOMEMALLOC;
	unsigned int order = MAX_PAGE_ORDER;
	unsigned long done = 0;

	while (done < nr) {
		struct page *page;

		order = MIN(order, ilog2_ul(nr - done));
		page = alloc_pages(order ? high_gfp : gfp, order);
		if (!page) {
			if (!order)
				break;
			order--;
			continue;
		}
		for (unsigned long i = 0; i < (1UL << order); i++)
			pages[done + i] = page + i;
		done += 1UL << order;
	}
	return done;
}

/* The pages of a vmalloc area are buddy blocks laid end to end; each
 * block's head still carries its order in the state word. */
static void free_page_blocks(struct page **pages, unsigned long nr, bool accounted)
{
	for (unsigned long i = 0; i < nr;) {
		struct page *head = pages[i];
		unsigned int order = PAGE_STATE_ORDER(page_state_read(head));
		unsigned long n = 1UL << order;

		if (accounted) {
			for (unsigned long j = 0; j < n; j++)
				ClearPageFlag(&head[j], PG_vmalloc);
			mod_zone_page_state(page_zone(head), NR_VMALLOC, -(long)n);
		}
		__free_pages(head, order);
		i += n;
	}
}

static void account_page_blocks(struct page **pages, unsigned long nr)
{
	for (unsigned long i = 0; i < nr;) {
		struct page *head = pages[i];
		unsigned long n = 1UL << PAGE_STATE_ORDER(page_state_read(head));

		for (unsigned long j = 0; j < n; j++)
			SetPageFlag(&head[j], PG_vmalloc);
		mod_zone_page_state(page_zone(head), NR_VMALLOC, (long)n);
		i += n;
	}
}

void vmap_area_free_pages(struct vmap_area *va)
{
	free_page_blocks(va->pages, va->nr_pages, true);
}

/* ---- mappings ---- */

static unsigned int count_runs(struct page **pages, unsigned long nr)
{
	unsigned int runs = 1;

	for (unsigned long i = 1; i < nr; i++)
		runs += pfn_of(pages[i]) != pfn_of(pages[i - 1]) + 1;
	return runs;
}

/* One mmap() per physically contiguous run. */
static int map_runs(unsigned long addr, struct page **pages, unsigned long nr)
{
	int flags = MAP_FIXED | MAP_SHARED | (vmap_populate ? MAP_POPULATE : 0);

	for (unsigned long i = 0, j; i < nr; i = j) {
		unsigned long pfn = pfn_of(pages[i]);
		void *p;

		for (j = i + 1; j < nr && pfn_of(pages[j]) == pfn + (j - i); j++)
			;
		count_event(EV_vmap_mmap);
		p = mmap((void *)(addr + (i << PAGE_SHIFT)), (j - i) << PAGE_SHIFT,
			 PROT_READ | PROT_WRITE, flags, kmm_mem.memfd, (off_t)(pfn << PAGE_SHIFT));
		if (p == MAP_FAILED)
			return -errno;
	}
	return 0;
}

/* Back to the reservation: PROT_NONE, no backing. */
void vmap_unmap_range(unsigned long start, unsigned long size)
{
	count_event(EV_vmap_mmap);
	if (mmap((void *)start, size, PROT_NONE,
		 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		kmm_warn("vmalloc: cannot unmap %#lx-%#lx: error %d", start, start + size, errno);
}

/* Maps va->pages (already set up) at a fresh address and publishes the
 * area with `kind` (VM_ALLOC or VM_MAP). On failure `va` is freed, the
 * pages are not. */
static void *map_area(struct vmap_area *va, gfp_t gfp, unsigned int kind)
{
	unsigned long size = va->nr_pages << PAGE_SHIFT;
	bool purged = false;
	int err;

	va->nr_runs = count_runs(va->pages, va->nr_pages);
	/* Short of mappings or address space: lazily freed areas hold
	 * both, so purge once and retry. */
	while (!vmap_mappings_reserve(va->nr_runs + 1UL)) {
		if (purged) {
			vmalloc_error(gfp, size, "would exceed vm.max_map_count "
				      "(raise it with sysctl vm.max_map_count)");
			goto fail;
		}
		vmap_purge(true);
		purged = true;
	}
	while (!vmap_area_alloc(va, size + PAGE_SIZE)) {
		if (purged) {
			vmalloc_error(gfp, size, "vmalloc space exhausted (use vmalloc=<size>)");
			goto fail_budget;
		}
		vmap_purge(true);
		purged = true;
	}
	err = map_runs(va->va_start, va->pages, va->nr_pages);
	if (err) {
		struct vmap_node *vn = addr_to_node(va->va_start);

		vmap_unmap_range(va->va_start, va_size(va));
		vmalloc_error(gfp, size, err == -ENOMEM ? "mmap failed: out of mappings" : "mmap failed");
		vmap_mappings_release(va->nr_runs + 1UL);
		kmm_spin_lock(&vn->lock);
		vmap_area_release_locked(vn, va);
		kmm_spin_unlock(&vn->lock);
		return NULL;
	}
	kasan_unpoison((void *)va->va_start, va_size(va));
	/* Publish: everything above happens-before a reader that sees the
	 * area without VA_UNINITIALIZED under the node lock. */
	atomic_store_release(&va->flags, kind);
	return (void *)va->va_start;
fail_budget:
	vmap_mappings_release(va->nr_runs + 1UL);
fail:
	free(va);
	return NULL;
}

/* ---- vmalloc ---- */

static noinline void *vmalloc_not_ready(const char *fn)
{
	kmm_warn("%s: kmm is not booted (kmm_init not done)", fn);
	return NULL;
}

static void *vmalloc_caller(unsigned long size, gfp_t gfp, const void *caller, const char *fn)
{
	struct vmap_area *va;
	struct page **pages;
	unsigned long nr, got;
	void *addr;

	/* vmalloc sleeps (page tables, the purge lock): never in atomic
	 * context, whatever the gfp. */
	if (unlikely(!might_alloc(gfp | __GFP_DIRECT_RECLAIM, fn)))
		return NULL;
	if (unlikely(!atomic_load_relaxed(&vmalloc_start)))
		return vmalloc_not_ready(fn);
	vmap_drain_deferred();
	if (unlikely(!size || size > (totalram_pages() << PAGE_SHIFT))) {
		vmalloc_error(gfp, size, "invalid size");
		return NULL;
	}
	nr = PAGE_ALIGN(size) >> PAGE_SHIFT;
	va = calloc(1, sizeof(*va));
	pages = malloc(nr * sizeof(*pages));
	if (!va || !pages) {
		vmalloc_error(gfp, size, "no memory for the page array");
		goto fail;
	}
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		gfp |= __GFP_HIGHMEM;
	got = vm_alloc_pages(pages, nr, gfp);
	if (got < nr && atomic_load_relaxed(&vmap_lazy_nr) > 0 && vmap_purge(true))
		got += vm_alloc_pages(pages + got, nr - got, gfp);
	if (got < nr) {
		vmalloc_error(gfp, size, "failed to allocate pages");
		free_page_blocks(pages, got, false);
		goto fail;
	}
	va->pages = pages;
	va->nr_pages = nr;
	va->caller = caller;
	account_page_blocks(pages, nr);
	addr = map_area(va, gfp, VM_ALLOC);
	if (!addr) {
		free_page_blocks(pages, nr, true);
		free(pages);
		return NULL;
	}
	count_event(EV_vmalloc);
	return addr;
fail:
	free(pages);
	free(va);
	return NULL;
}

void *vmalloc_with_caller(unsigned long size, gfp_t gfp, const void *caller)
{
	return vmalloc_caller(size, gfp, caller, "__vmalloc");
}

void *vmalloc(unsigned long size)
{
	return vmalloc_caller(size, GFP_KERNEL, __builtin_return_address(0), "vmalloc");
}

void *vzalloc(unsigned long size)
{
	return vmalloc_caller(size, GFP_KERNEL | __GFP_ZERO, __builtin_return_address(0), "vzalloc");
}

/* Pages below 4 GiB: DMA32 in the 64-bit layout, lowmem (Normal) in the
 * 32-bit one, where gfp_zone() maps __GFP_DMA32 to Normal. */
void *vmalloc_32(unsigned long size)
{
	return vmalloc_caller(size, GFP_KERNEL | __GFP_DMA32, __builtin_return_address(0),
			      "vmalloc_32");
}

void *__vmalloc(unsigned long size, gfp_t gfp)
{
	return vmalloc_caller(size, gfp, __builtin_return_address(0), "__vmalloc");
}

/* ---- finding the area a pointer names (vfree, vunmap) ---- */

enum take_result { TAKE_OK, TAKE_NONE, TAKE_INSIDE, TAKE_DOUBLE, TAKE_KIND };

/* Looks up the area starting at addr whose kind is `kind` and marks it
 * VA_LAZY, in one critical section. Anything else is reported and nothing
 * changes. With `link` the area also goes on its node's lazy list, after
 * which a concurrent purge may free it at any time: the caller must then
 * not touch it, and gets its size in pages in *lazy_pages instead. */
static struct vmap_area *take_area(const void *addr, unsigned int kind, bool link,
				   unsigned long *lazy_pages, const char *fn)
{
	unsigned long a = (unsigned long)addr, start = 0, end = 0;
	enum take_result res = TAKE_OK;
	struct vmap_node *vn;
	struct vmap_area *va;
	unsigned int flags = 0;

	if (unlikely(!addr_in_vmalloc_space(addr))) {
		kmm_bug("Trying to %s() nonexistent vm area (%p): not a vmalloc address%s", fn, addr,
			virt_in_direct_map(addr) ? " (a direct-map address: kmalloc or page memory?)"
						 : "");
		return NULL;
	}
	vn = addr_to_node(a);
	kmm_spin_lock(&vn->lock);
	va = vmap_find_busy_locked(vn, a);
	if (va)
		flags = atomic_load_acquire(&va->flags);
	if (!va || (flags & VA_UNINITIALIZED)) {
		res = TAKE_NONE;
	} else {
		start = va->va_start;
		end = va->va_end;
		if (a != start)
			res = TAKE_INSIDE;
		else if (flags & VA_LAZY)
			res = TAKE_DOUBLE;
		else if (!(flags & kind))
			res = TAKE_KIND;
		else {
			atomic_store_relaxed(&va->flags, flags | VA_LAZY);
			/* Poisoned before any purge can see it, so the
			 * purge's unpoisoning always comes after. */
			if (kind == VM_ALLOC)
				kasan_poison((void *)va->va_start, va->nr_pages << PAGE_SHIFT);
			if (link) {
				*lazy_pages = va_size(va) >> PAGE_SHIFT;
				list_add_tail(&va->lazy, &vn->lazy);
			}
		}
	}
	kmm_spin_unlock(&vn->lock);

	switch (res) {
	case TAKE_OK:
		return va;
	case TAKE_NONE:
		kmm_bug("Trying to %s() nonexistent vm area (%p)", fn, addr);
		break;
	case TAKE_INSIDE:
		kmm_bug("Trying to %s() bad address (%p): inside the %s area %#lx-%#lx, not its start",
			fn, addr, (flags & VA_LAZY) ? "freed" : "busy", start, end);
		break;
	case TAKE_DOUBLE:
		kmm_bug("Trying to %s() nonexistent vm area (%p): double %s", fn, addr, fn);
		break;
	case TAKE_KIND:
		kmm_bug("Trying to %s() %p, which was mapped with %s()", fn, addr,
			(flags & VM_ALLOC) ? "vmalloc, free it with vfree" : "vmap, unmap it with vunmap");
		break;
	}
	return NULL;
}

/* vfree_atomic(): in interrupt context the area is marked freed under its
 * node's spinlock (so misuse is still reported at once) and pushed on a
 * lock-free list that the next process-context vmalloc/vfree or the purge
 * drains. */
static void vfree_deferred(const void *addr)
{
	struct vmap_area *va = take_area(addr, VM_ALLOC, false, NULL, "vfree");

	if (va)
		vmap_defer_free(va);
}

void vfree(const void *addr)
{
	unsigned long lazy_pages;

	if (!addr)
		return;
	if (unlikely(in_interrupt() || cpu_in_atomic())) {
		/* Outside interrupts, atomic context is a bug (vfree may
		 * sleep); reported, and the free is deferred all the same. */
		if (!in_interrupt())
			might_sleep();
		vfree_deferred(addr);
		return;
	}
	vmap_drain_deferred();
	if (take_area(addr, VM_ALLOC, true, &lazy_pages, "vfree"))
		vmap_lazy_account(lazy_pages);
}

void vfree_atomic(const void *addr)
{
	if (addr)
		vfree_deferred(addr);
}

/* ---- vmap ---- */

void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot)
{
	struct vmap_area *va;
	struct page **copy;
	void *addr;

	(void)flags;
	(void)prot;
	if (unlikely(!might_alloc(GFP_KERNEL, "vmap")))
		return NULL;
	if (unlikely(!atomic_load_relaxed(&vmalloc_start)))
		return vmalloc_not_ready("vmap");
	if (!count || count > totalram_pages())
		return NULL;
	if (!pages) {
		kmm_bug("vmap: NULL page array (count %u)", count);
		return NULL;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (!page_valid(pages[i])) {
			kmm_bug("vmap: pages[%u] = %p is not a kmm struct page", i, (void *)pages[i]);
			return NULL;
		}
	}
	vmap_drain_deferred();
	va = calloc(1, sizeof(*va));
	copy = malloc(count * sizeof(*copy));
	if (!va || !copy) {
		free(va);
		free(copy);
		return NULL;
	}
	memcpy(copy, pages, count * sizeof(*copy));
	va->pages = copy;
	va->nr_pages = count;
	va->caller = __builtin_return_address(0);
	addr = map_area(va, GFP_KERNEL, VM_MAP);
	if (!addr)
		free(copy);
	return addr;
}

/* The caller owns the pages and may free them as soon as vunmap returns,
 * so the mapping goes now; only the address range waits for the purge. */
void vunmap(const void *addr)
{
	struct vmap_area *va;

	if (!addr)
		return;
	if (unlikely(in_interrupt())) {
		kmm_bug("vunmap(%p) called from interrupt context", addr);
		return;
	}
	va = take_area(addr, VM_MAP, false, NULL, "vunmap");
	if (!va)
		return;
	vmap_unmap_range(va->va_start, va_size(va));
	vmap_mappings_release(va->nr_runs + 1UL);
	atomic_store_relaxed(&va->flags, atomic_load_relaxed(&va->flags) | VA_UNMAPPED);
	vmap_lazy_add(va);
}

/* ---- lookups ---- */

struct page *vmalloc_to_page(const void *addr)
{
	unsigned long a = (unsigned long)addr;
	struct page *page = NULL;
	struct vmap_node *vn;
	struct vmap_area *va;

	if (!addr_in_vmalloc_space(addr))
		return NULL;
	vn = addr_to_node(a);
	kmm_spin_lock(&vn->lock);
	va = vmap_find_busy_locked(vn, a);
	if (va && !(atomic_load_acquire(&va->flags) & (VA_UNINITIALIZED | VA_LAZY)) &&
	    a < va->va_start + (va->nr_pages << PAGE_SHIFT))
		page = va->pages[(a - va->va_start) >> PAGE_SHIFT];
	kmm_spin_unlock(&vn->lock);
	return page;
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	struct page *page = vmalloc_to_page(addr);

	return page ? page_to_pfn(page) : 0;
}

/* ---- boot ---- */

int vmalloc_init(void)
{
	unsigned long size = kmm_config.vmalloc_size & PAGE_MASK;
	int err;

	vmap_populate = kmm_config.populate >= 0 ? kmm_config.populate
						 : kmm_config.mem <= POPULATE_AUTO_LIMIT;
	err = vmalloc_space_init(size);
	if (err)
		return err;
	/* What was reserved is what meminfo's VmallocTotal reports. */
	size = (unsigned long)(vmalloc_end - vmalloc_start);
	kmm_config.vmalloc_size = size;
	vmap_mappings_init();
	err = vmap_nodes_init((unsigned long)vmalloc_start, size);
	if (!err)
		err = vmap_purge_init();
	if (!err)
		err = kmap_init();
	if (err)
		vmalloc_exit();
	return err;
}

struct leak_state {
	unsigned long areas, pages;
};

static bool report_leak(struct vtree_node *n, void *arg)
{
	struct vmap_area *va = container_of(n, struct vmap_area, node);
	struct leak_state *st = arg;
	char sym[160];

	if (st->areas++ < 16) {
		vmap_caller_name(va->caller, sym, sizeof(sym));
		kmm_pr_info("kmm:   leaked %s area %#lx-%#lx, %lu pages, from %s",
			    (va->flags & VM_ALLOC) ? "vmalloc" : "vmap", va->va_start, va->va_end,
			    va->nr_pages, sym);
	}
	if (va->flags & VM_ALLOC)
		st->pages += va->nr_pages;
	free(va->pages);
	va->pages = NULL;
	return true;
}

/* Purges everything lazily freed (so those pages are back before kmm_exit
 * counts leaks), reports areas never freed, drops the reservation. */
void vmalloc_exit(void)
{
	struct leak_state st = { 0, 0 };

	if (nr_vmap_nodes)
		vmap_purge(true);
	for (unsigned int i = 0; i < nr_vmap_nodes; i++)
		vtree_walk(&vmap_nodes[i].busy, report_leak, &st);
	if (st.areas)
		kmm_pr_info("kmm: %lu vmalloc/vmap areas still allocated at exit "
			    "(%lu vmalloc pages)", st.areas, st.pages);
	kmap_exit();
	vmap_purge_exit();
	vmap_nodes_exit();
	vmalloc_space_exit();
}
