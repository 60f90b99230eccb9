/* The vmalloc family (DESIGN.md §3): virtually contiguous memory from
 * physically scattered pages.
 *
 * vmalloc takes its pages from the buddy, largest blocks first (pages.c),
 * then maps each physically contiguous run into the vmalloc space with
 * one mmap() of the physical-memory memfd (mapping.c); every area is
 * followed by an unmapped guard page (but VM_NO_GUARD).
 *
 * Two fast paths come first, for a plain request (no alignment, range,
 * protection or zone of its own):
 *   - up to VMAP_BLOCK_MAX_AREA pages: a piece of one of this CPU's vmap
 *     blocks (vblock.c), already mapped; small areas then cost no host
 *     mapping each, so vm.max_map_count does not cap how many are live;
 *   - larger: an area of the same size that this CPU freed earlier, still
 *     mapped with its pages, from its vmap cache (vcache.c), so a vmalloc
 *     and vfree pair repeated costs the host no page-table work.
 * Both zero the memory when vzalloc or init_on_alloc ask (and init_on_free
 * did not already).
 *
 * Order of the work on the slow path, so that no vmalloc lock is held while
 * the page allocator may reclaim (see vmap_area.c for the locks):
 *   pages (buddy) -> mapping budget -> address range -> mmap() of each run
 * When the budget or the address space is short, the lower files say so
 * and this one purges (purge.c) and tries once more: lazily freed and
 * cached areas hold both.
 * vfree marks the area VA_LAZY under its node's lock; it then goes to this
 * CPU's vmap cache, or else to its node's lazy list, and the purge
 * removes the mapping, gives the pages back and returns the range.
 *
 * Misuse (vfree of a pointer vmalloc did not return, of an address inside
 * an area, twice; vfree of a vmap area or vunmap of a vmalloc one) is
 * reported once and changes nothing.
 *
 * Locks: none of its own; the vmap node's (vmap_area.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include <kmm/preempt.h>
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/cmdline.h"
#include "lib/host_mem.h"
#include "lib/ratelimit.h"
#include "lib/cpu.h"
#include "lib/events.h"
#include "vmalloc/highmem.h"
#include "vmalloc/pages.h"
#include "vmalloc/purge.h"
#include "vmalloc/space.h"
#include "vmalloc/vblock.h"
#include "vmalloc/vcache.h"
#include "vmalloc/vmallocinfo.h"
#include "vmalloc/vmalloc.h"

#define PMD_SIZE	(PAGE_SIZE << 9)
#define PROT_RW		(PROT_READ | PROT_WRITE)

/* ---- failures: the kernel's warn_alloc() for vmalloc, rate limited ---- */

static void vmalloc_error(gfp_t gfp, unsigned long size, const char *why)
{
	static struct ratelimit rl = RATELIMIT_INIT(10);

	count_event(EV_alloc_fail);
	if ((gfp & __GFP_NOWARN) || !ratelimit_ok(&rl))
		return;
	kmm_pr_info("kmm: vmalloc error: size %lu, %s, mode:%#x, cpu %d", size, why, gfp, cpu_id());
}

noinline void *vmalloc_not_ready(const char *fn)
{
	kmm_warn("%s: kmm is not booted (kmm_init not done)", fn);
	return NULL;
}

/* ---- mappings ---- */

noinline void *vmap_map_area_slow(struct vmap_area *va, gfp_t gfp, unsigned int kind,
				  const struct vmap_where *where, enum vmap_map_result res)
{
	unsigned long size = va->nr_pages << PAGE_SHIFT;

	if (vmap_map_short(res)) {
		vmap_purge(true);
		res = vmap_map_area_try(va, kind, where);
	}
	switch (res) {
	case VMAP_MAPPED:
		return (void *)va->va_start;
	case VMAP_NO_MAPPINGS:
		vmalloc_error(gfp, size, "would exceed vm.max_map_count "
			      "(raise it with sysctl vm.max_map_count)");
		break;
	case VMAP_NO_SPACE:
		vmalloc_error(gfp, size, vmap_where_is_default(where)
			      ? "vmalloc space exhausted (use vmalloc=<size>)"
			      : "no room in the requested range");
		break;
	case VMAP_MMAP_ENOMEM:
		vmalloc_error(gfp, size, "mmap failed: out of host mappings "
			      "(vm.max_map_count) or memory");
		return NULL;
	case VMAP_MMAP_FAILED:
		vmalloc_error(gfp, size, "mmap failed");
		return NULL;
	}
	host_free(va);
	return NULL;
}

/* ---- vmalloc ---- */

struct vm_request {
	unsigned long size, align, start, end;
	gfp_t gfp;
	int prot;
	unsigned long vm_flags;
	const void *caller;
	const char *fn;
};

static bool want_init_on_alloc(gfp_t gfp)
{
	/* With init_on_free memory comes back zeroed already. */
	return ((gfp & __GFP_ZERO) || kmm_config.init_on_alloc) && !kmm_config.init_on_free;
}

/* An area from this CPU's vmap cache becomes live again. */
static void *vcache_reuse(struct vmap_area *va, gfp_t gfp, const void *caller)
{
	struct vmap_node *vn = addr_to_node(va->va_start);
	void *addr = (void *)va->va_start;

	kmm_spin_lock(&vn->lock);
	va->caller = caller;
	atomic_store_relaxed(&va->flags, atomic_load_relaxed(&va->flags) & ~VA_LAZY);
	kmm_spin_unlock(&vn->lock);
	kasan_unpoison(addr, va->nr_pages << PAGE_SHIFT);
	if (want_init_on_alloc(gfp))
		memset(addr, 0, va->nr_pages << PAGE_SHIFT);
	return addr;
}

/* A small area from a new vmap block; when the block finds mappings or
 * address space short, purge once and try again. */
static noinline void *vblock_area_new(unsigned long nr, gfp_t gfp, const void *caller)
{
	bool purge = false;
	void *addr = vblock_alloc_new(nr, gfp, caller, &purge);

	if (!addr && purge) {
		vmap_purge(true);
		addr = vblock_alloc_new(nr, gfp, caller, &purge);
	}
	return addr;
}

/* The slow path: pages from the buddy, a fresh mapping. */
static void *vmalloc_area(const struct vm_request *r, unsigned long nr, bool cacheable)
{
	struct vmap_where where = {
		.align = r->align, .start = r->start, .end = r->end, .prot = r->prot,
		.guard = !(r->vm_flags & VM_NO_GUARD),
	};
	gfp_t gfp = r->gfp;
	struct vmap_area *va;
	struct page **pages;
	unsigned long got;
	void *addr;

	va = host_calloc(1, sizeof(*va));
	pages = host_alloc(nr * sizeof(*pages));
	if (!va || !pages) {
		vmalloc_error(gfp, r->size, "no memory for the page array");
		goto fail;
	}
	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		gfp |= __GFP_HIGHMEM;
	got = vmap_alloc_pages(pages, nr, gfp);
	if (got < nr && (atomic_load_relaxed(&vmap_lazy_nr) > 0 ||
			 atomic_load_relaxed(&vcache_nr_pages) > 0) && vmap_purge(true))
		got += vmap_alloc_pages(pages + got, nr - got, gfp);
	if (got < nr) {
		vmalloc_error(gfp, r->size, "failed to allocate pages");
		vmap_free_page_blocks(pages, got, false);
		goto fail;
	}
	va->pages = pages;
	va->nr_pages = nr;
	va->caller = r->caller;
	vmap_account_page_blocks(pages, nr);
	addr = vmap_map_area(va, gfp, VM_ALLOC | (cacheable ? 0 : VA_NOCACHE), &where);
	if (!addr) {
		vmap_free_page_blocks(pages, nr, true);
		host_free(pages);
		return NULL;
	}
	if (r->vm_flags & VM_ALLOW_HUGE_VMAP)
		madvise(addr, nr << PAGE_SHIFT, MADV_HUGEPAGE);
	return addr;
fail:
	host_free(pages);
	host_free(va);
	return NULL;
}

static bool request_valid(struct vm_request *r)
{
	unsigned long vs = (unsigned long)vmalloc_start, ve = (unsigned long)vmalloc_end;

	if (r->align & (r->align - 1) || !r->align) {
		kmm_bug("%s: alignment %#lx is not a power of two", r->fn, r->align);
		return false;
	}
	if (r->start < vs || r->end > ve || r->start >= r->end) {
		kmm_bug("%s: range %#lx-%#lx is not inside the vmalloc space %#lx-%#lx",
			r->fn, r->start, r->end, vs, ve);
		return false;
	}
	if ((r->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) || !(r->prot & PROT_READ)) {
		kmm_bug("%s: protection %#x is not one of PAGE_KERNEL, PAGE_KERNEL_RO, "
			"PAGE_KERNEL_EXEC", r->fn, r->prot);
		return false;
	}
	return true;
}

static void *vmalloc_request(struct vm_request *r)
{
	unsigned long nr;
	bool plain;
	void *addr;

	/* vmalloc sleeps (page tables, the purge lock): never in atomic
	 * context, whatever the gfp. */
	if (unlikely(!might_alloc(r->gfp | __GFP_DIRECT_RECLAIM, r->fn)))
		return NULL;
	if (unlikely(!atomic_load_relaxed(&vmalloc_start)))
		return vmalloc_not_ready(r->fn);
	if (!r->end) {
		r->start = (unsigned long)vmalloc_start;
		r->end = (unsigned long)vmalloc_end;
	}
	if (unlikely(!request_valid(r)))
		return NULL;
	vmap_drain_deferred();
	if (unlikely(!r->size || r->size > (totalram_pages() << PAGE_SHIFT))) {
		vmalloc_error(r->gfp, r->size, "invalid size");
		return NULL;
	}
	/* vmalloc_huge: PMD-aligned and PMD-sized, so the host may map it
	 * with huge pages. */
	if ((r->vm_flags & VM_ALLOW_HUGE_VMAP) && r->size >= PMD_SIZE) {
		r->align = MAX(r->align, PMD_SIZE);
		r->size = ALIGN_UP(r->size, PMD_SIZE);
	}
	nr = PAGE_ALIGN(r->size) >> PAGE_SHIFT;
	plain = r->align <= PAGE_SIZE && r->start == (unsigned long)vmalloc_start &&
		r->end == (unsigned long)vmalloc_end && r->prot == PROT_RW &&
		!(r->vm_flags & (VM_NO_GUARD | VM_ALLOW_HUGE_VMAP)) &&
		!(r->gfp & (__GFP_DMA | __GFP_DMA32));
	addr = NULL;
	if (plain) {
		if (nr <= VMAP_BLOCK_MAX_AREA) {
			addr = vblock_alloc(nr, r->caller);
			if (unlikely(!addr))
				addr = vblock_area_new(nr, r->gfp, r->caller);
			if (addr && want_init_on_alloc(r->gfp))
				memset(addr, 0, nr << PAGE_SHIFT);
		} else {
			struct vmap_area *va = vcache_take(nr);

			if (va)
				addr = vcache_reuse(va, r->gfp, r->caller);
		}
	}
	if (!addr)
		addr = vmalloc_area(r, nr, r->prot == PROT_RW && !(r->vm_flags & VM_NO_GUARD));
	if (addr)
		count_event(EV_vmalloc);
	return addr;
}

static void *vmalloc_caller(unsigned long size, gfp_t gfp, const void *caller, const char *fn)
{
	struct vm_request r = {
		.size = size, .align = PAGE_SIZE, .gfp = gfp, .prot = PROT_RW,
		.caller = caller, .fn = fn,
	};

	return vmalloc_request(&r);
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

/* One memory node here: 0, or NUMA_NO_NODE for any. */
static bool node_valid(int node, const char *fn)
{
	if (node == 0 || node == NUMA_NO_NODE)
		return true;
	kmm_bug("%s: node %d does not exist (kmm has node 0 only)", fn, node);
	return false;
}

void *__vmalloc_node_range(unsigned long size, unsigned long align, unsigned long start,
			   unsigned long end, gfp_t gfp, pgprot_t prot, unsigned long vm_flags,
			   int node, const void *caller)
{
	struct vm_request r = {
		.size = size, .align = MAX(align, 1UL), .start = start, .end = end, .gfp = gfp,
		.prot = (int)prot.pgprot, .vm_flags = vm_flags, .caller = caller,
		.fn = "__vmalloc_node_range",
	};

	if (!align) {
		kmm_bug("__vmalloc_node_range: alignment 0 is not a power of two");
		return NULL;
	}
	if (r.align < PAGE_SIZE)
		r.align = PAGE_SIZE;
	if (!end) {
		kmm_bug("__vmalloc_node_range: empty range %#lx-%#lx", start, end);
		return NULL;
	}
	if (!node_valid(node, r.fn))
		return NULL;
	return vmalloc_request(&r);
}

void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp, int node,
		     const void *caller)
{
	struct vm_request r = {
		.size = size, .align = align, .gfp = gfp, .prot = PROT_RW,
		.caller = caller, .fn = "__vmalloc_node",
	};

	if (align && !(align & (align - 1)) && align < PAGE_SIZE)
		r.align = PAGE_SIZE;
	if (!node_valid(node, r.fn))
		return NULL;
	return vmalloc_request(&r);
}

void *vmalloc_huge(unsigned long size, gfp_t gfp)
{
	struct vm_request r = {
		.size = size, .align = PAGE_SIZE, .gfp = gfp, .prot = PROT_RW,
		.vm_flags = VM_ALLOW_HUGE_VMAP, .caller = __builtin_return_address(0),
		.fn = "vmalloc_huge",
	};

	return vmalloc_request(&r);
}

unsigned long kmm_vmalloc_start(void)
{
	return (unsigned long)atomic_load_relaxed(&vmalloc_start);
}

unsigned long kmm_vmalloc_end(void)
{
	return (unsigned long)atomic_load_relaxed(&vmalloc_end);
}

/* ---- finding the area a pointer names (vfree, vunmap, vm_unmap_ram) ---- */

enum take_result { TAKE_OK, TAKE_BLOCK, TAKE_NONE, TAKE_INSIDE, TAKE_DOUBLE, TAKE_KIND,
		   TAKE_COUNT };

static const char *kind_name(unsigned int flags)
{
	if (flags & VM_ALLOC)
		return "vmalloc, free it with vfree";
	if (flags & VA_MAP_RAM)
		return "vm_map_ram, unmap it with vm_unmap_ram";
	return "vmap, unmap it with vunmap";
}

/* Under the node lock: what freeing addr means for area va. */
static enum take_result take_locked(struct vmap_node *vn, struct vmap_area *va, unsigned long a,
				    struct vmap_take *t)
{
	unsigned int flags = atomic_load_acquire(&va->flags);

	if (flags & VA_UNINITIALIZED)
		return TAKE_NONE;
	if ((flags & (VA_BLOCK | VA_LAZY)) == VA_BLOCK) {
		enum vblock_miss why;
		bool released = false;

		if (!(t->kind & VM_ALLOC))
			return TAKE_KIND;
		if (a >= va->va_start + (va->nr_pages << PAGE_SHIFT))
			return TAKE_NONE;	/* the block's guard page */
		if (!vblock_free_locked(va, a, !t->in_irq, &why, &released))
			return why == VB_DOUBLE ? TAKE_DOUBLE : why == VB_INSIDE ? TAKE_INSIDE
										: TAKE_NONE;
		if (released) {
			list_add_tail(&va->lazy, &vn->lazy);
			t->block_lazy_pages = va_size(va) >> PAGE_SHIFT;
		}
		return TAKE_BLOCK;
	}
	if (a != va->va_start)
		return TAKE_INSIDE;
	if (flags & VA_LAZY)
		return TAKE_DOUBLE;
	if (!(flags & t->kind))
		return TAKE_KIND;
	if (t->count && t->count != va->nr_pages)
		return TAKE_COUNT;
	atomic_store_relaxed(&va->flags, flags | VA_LAZY);
	/* Poisoned before any purge can see it, so the purge's unpoisoning
	 * always comes after. */
	if (flags & VM_ALLOC)
		kasan_poison((void *)va->va_start, va->nr_pages << PAGE_SHIFT);
	return TAKE_OK;
}

struct vmap_area *vmap_take_area(const void *addr, struct vmap_take *t)
{
	unsigned long a = (unsigned long)addr, start = 0, end = 0, nr = 0;
	enum take_result res;
	struct vmap_node *vn;
	struct vmap_area *va;
	unsigned int flags = 0;
	const char *fn = t->fn;

	t->block_lazy_pages = 0;
	if (unlikely(!addr_in_vmalloc_space(addr))) {
		kmm_bug("Trying to %s() nonexistent vm area (%p): not a vmalloc address%s", fn, addr,
			virt_in_direct_map(addr) ? " (a direct-map address: kmalloc or page memory?)"
						 : "");
		return NULL;
	}
	vn = addr_to_node(a);
	kmm_spin_lock(&vn->lock);
	va = vmap_find_busy_locked(vn, a);
	if (!va) {
		res = TAKE_NONE;
	} else {
		res = take_locked(vn, va, a, t);
		flags = atomic_load_relaxed(&va->flags);
		start = va->va_start;
		end = va->va_end;
		nr = va->nr_pages;
	}
	kmm_spin_unlock(&vn->lock);

	switch (res) {
	case TAKE_OK:
		return va;
	case TAKE_BLOCK:
		break;
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
		kmm_bug("Trying to %s() %p, which was mapped with %s()", fn, addr, kind_name(flags));
		break;
	case TAKE_COUNT:
		kmm_bug("Trying to %s(%p, %lu): the area has %lu pages", fn, addr, t->count, nr);
		break;
	}
	return NULL;
}

/* vfree_atomic(): in interrupt context the area is marked freed under its
 * node's spinlock (so misuse is still reported at once) and pushed on a
 * lock-free list that the next process-context vmalloc/vfree or the purge
 * drains. A piece of a vmap block is given back at once; the block itself
 * waits for process context to go. */
static void vfree_deferred(const void *addr)
{
	struct vmap_take t = { .kind = VM_ALLOC, .in_irq = true, .fn = "vfree" };
	struct vmap_area *va = vmap_take_area(addr, &t);

	if (va)
		vmap_defer_free(va);
}

/* What the vmap cache handed back goes lazy; once added, an area may be
 * purged, so its successor is read first. */
static noinline void lazy_add_chain(struct vmap_area *va)
{
	while (va) {
		struct vmap_area *next = va->chain;

		vmap_lazy_add(va);
		va = next;
	}
}

void vfree(const void *addr)
{
	struct vmap_take t = { .kind = VM_ALLOC, .fn = "vfree" };
	struct vmap_area *va;

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
	va = vmap_take_area(addr, &t);
	if (t.block_lazy_pages)
		vmap_lazy_account(t.block_lazy_pages);
	if (va)
		va = vcache_put(va);
	if (unlikely(va))
		lazy_add_chain(va);
}

void vfree_atomic(const void *addr)
{
	if (addr)
		vfree_deferred(addr);
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
	    a < va->va_start + (va->nr_pages << PAGE_SHIFT)) {
		if (atomic_load_relaxed(&va->flags) & VA_BLOCK)
			page = vblock_to_page_locked(va, a);
		else
			page = va->pages[(a - va->va_start) >> PAGE_SHIFT];
	}
	kmm_spin_unlock(&vn->lock);
	return page;
}

unsigned long vmalloc_area_pages(const void *addr)
{
	unsigned long a = (unsigned long)addr, nr = 0;
	struct vmap_node *vn;
	struct vmap_area *va;
	unsigned int flags;

	if (!addr_in_vmalloc_space(addr))
		return 0;
	vn = addr_to_node(a);
	kmm_spin_lock(&vn->lock);
	va = vmap_find_busy_locked(vn, a);
	if (va) {
		flags = atomic_load_acquire(&va->flags);
		if ((flags & (VA_BLOCK | VA_LAZY | VA_UNINITIALIZED)) == VA_BLOCK) {
			if (a < va->va_start + (va->nr_pages << PAGE_SHIFT))
				nr = vblock_area_pages_locked(va, a);
		} else if (a == va->va_start && (flags & VM_ALLOC) &&
			   !(flags & (VA_LAZY | VA_UNINITIALIZED))) {
			nr = va->nr_pages;
		}
	}
	kmm_spin_unlock(&vn->lock);
	return nr;
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
		err = vcache_init();
	if (!err)
		err = vblock_init();
	if (!err)
		err = kmap_init();
	if (err)
		vmalloc_exit();
	return err;
}

struct leak_state {
	unsigned long areas, pages;
};

static void report_one_leak(unsigned long start, unsigned long nr_pages, const void *caller,
			    void *arg)
{
	struct leak_state *st = arg;
	char sym[160];

	if (st->areas++ < 16) {
		vmap_caller_name(caller, sym, sizeof(sym));
		kmm_pr_info("kmm:   leaked vmalloc area %#lx-%#lx, %lu pages, from %s", start,
			    start + (nr_pages << PAGE_SHIFT), nr_pages, sym);
	}
}

static bool report_leak(struct vtree_node *n, void *arg)
{
	struct vmap_area *va = container_of(n, struct vmap_area, node);
	struct leak_state *st = arg;
	char sym[160];

	if (va->flags & VA_BLOCK) {
		vblock_for_each_area_locked(va, report_one_leak, st);
		st->pages += va->nr_pages;
		vblock_free_struct(va);
	} else {
		if (st->areas++ < 16) {
			vmap_caller_name(va->caller, sym, sizeof(sym));
			kmm_pr_info("kmm:   leaked %s area %#lx-%#lx, %lu pages, from %s",
				    (va->flags & VM_ALLOC) ? "vmalloc" :
				    (va->flags & VA_MAP_RAM) ? "vm_map_ram" : "vmap",
				    va->va_start, va->va_end, va->nr_pages, sym);
		}
		if (va->flags & VM_ALLOC)
			st->pages += va->nr_pages;
	}
	host_free(va->pages);
	va->pages = NULL;
	return true;
}

/* Purges everything lazily freed or cached (so those pages are back
 * before kmm_exit counts leaks), reports areas never freed, drops the
 * reservation. */
void vmalloc_exit(void)
{
	struct leak_state st = { 0, 0 };

	if (nr_vmap_nodes)
		vmap_purge(true);
	for (unsigned int i = 0; i < nr_vmap_nodes; i++) {
		kmm_spin_lock(&vmap_nodes[i].lock);
		vtree_walk(&vmap_nodes[i].busy, report_leak, &st);
		kmm_spin_unlock(&vmap_nodes[i].lock);
	}
	if (st.areas)
		kmm_pr_info("kmm: %lu vmalloc/vmap areas still allocated at exit "
			    "(%lu vmalloc pages)", st.areas, st.pages);
	kmap_exit();
	vblock_exit();
	vcache_exit();
	vmap_purge_exit();
	vmap_nodes_exit();
	vmalloc_space_exit();
}
