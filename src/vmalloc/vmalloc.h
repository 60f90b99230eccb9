/* vmalloc's internal interface (src/vmalloc).
 *
 * Glossary:
 *   vmalloc space  one PROT_NONE reservation [vmalloc_start, vmalloc_end)
 *                  (space.h), split into vmap nodes
 *   vmap node      an address range of the space with its own lock, free
 *                  tree, busy tree and lazy list; a CPU allocates from its
 *                  own node first (the kernel's 6.9 vmap nodes)
 *   vmap area      [va_start, va_end): a free range in a free tree, or a
 *                  busy one (vmalloc/vmap, guard page included) in a busy
 *                  tree
 *   run            a physically contiguous part of a busy area, mapped
 *                  with one mmap() of the physical-memory memfd
 *   lazy area      vfree'd or vunmap'd but not yet purged: still in its
 *                  busy tree (flag VA_LAZY), on its node's lazy list; its
 *                  range and (for vmalloc) its pages come back at purge
 *   mapping budget vm.max_map_count minus headroom: the process-wide
 *                  number of mappings vmalloc may create
 *   cached area    vfree'd, still mapped with its pages, kept in a CPU's
 *                  vmap cache (vcache.c) for a vmalloc of the same size;
 *                  VA_LAZY like a lazy area, but on no lazy list
 *   vmap block     one physically contiguous run of VMAP_BLOCK_PAGES
 *                  pages, mapped once (a busy area with VA_BLOCK), that
 *                  small vmalloc areas of one CPU are carved from without
 *                  a mapping or a guard page of their own (vblock.c) */
#ifndef KMM_VMALLOC_VMALLOC_H
#define KMM_VMALLOC_VMALLOC_H

#include <stdbool.h>
#include <stdio.h>
#include <kmm/vmalloc.h>
#include "lib/list.h"
#include "lib/lock.h"
#include "vmalloc/space.h"
#include "vmalloc/vtree.h"

/* vmap_area.flags beyond the public VM_* bits (read and written with
 * atomics: set up before the area is published, changed under the lock
 * of its node). */
#define VA_UNINITIALIZED	(1u << 24)	/* in the busy tree, not mapped yet */
#define VA_LAZY			(1u << 25)	/* freed: lazy or cached */
#define VA_UNMAPPED		(1u << 26)	/* mapping already removed (vunmap) */
#define VA_BLOCK		(1u << 27)	/* a vmap block (va->block) */
#define VA_MAP_RAM		(1u << 28)	/* vm_map_ram */
#define VA_NOCACHE		(1u << 29)	/* not for the vmap cache */

/* Small areas go into vmap blocks: up to this many pages each. */
#define VMAP_BLOCK_ORDER	6
#define VMAP_BLOCK_PAGES	(1u << VMAP_BLOCK_ORDER)
#define VMAP_BLOCK_MAX_AREA	2

struct vmap_block;

struct vmap_area {
	unsigned long va_start, va_end;
	struct vtree_node node;		/* in a busy tree or a free tree */
	unsigned long subtree_max_size;	/* free tree: largest free range below */

	/* busy areas only */
	unsigned int flags;
	unsigned int nr_runs;		/* mmap() calls that mapped it */
	unsigned long nr_pages;
	struct page **pages;
	const void *caller;
	struct list_head lazy;		/* the node's lazy list, or a vmap cache */
	struct vmap_area *deferred_next; /* vfree from interrupt context */
	struct vmap_block *block;	/* VA_BLOCK: the block's state */
};

struct vmap_node {
	struct kmm_spinlock lock;
	unsigned long start, end;
	struct vtree busy;		/* busy and lazy areas by address */
	struct vtree free;		/* free ranges, augmented */
	struct list_head lazy;		/* lazy areas not yet purged */
} cacheline_aligned;

extern struct vmap_node *vmap_nodes;
extern unsigned int nr_vmap_nodes;
extern unsigned long vmap_node_size;

static inline unsigned long va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

static inline struct vmap_node *addr_to_node(unsigned long addr)
{
	return &vmap_nodes[(addr - (unsigned long)vmalloc_start) / vmap_node_size];
}

/* vmap_area.c: the address space. *_locked: the node's lock is held. */
int vmap_nodes_init(unsigned long start, unsigned long size);
void vmap_nodes_exit(void);
/* Finds [addr, addr+size) for `va`, in this CPU's node first, inserts it
 * into the busy tree with VA_UNINITIALIZED; false when no node has room. */
bool vmap_area_alloc(struct vmap_area *va, unsigned long size);
/* The same with addr aligned to `align` (a power of two, at least a page)
 * and inside [start, end), lowest address first. */
bool vmap_area_alloc_range(struct vmap_area *va, unsigned long size, unsigned long align,
			   unsigned long start, unsigned long end);
/* The busy area containing addr, or NULL. */
struct vmap_area *vmap_find_busy_locked(struct vmap_node *vn, unsigned long addr);
/* Gives a purged area's range back to its node's free tree; `va` itself is
 * reused or freed. */
void vmap_area_release_locked(struct vmap_node *vn, struct vmap_area *va);
bool vmap_check_invariants(void);

/* Mapping budget (vm.max_map_count). */
extern unsigned long vmap_max_mappings;
extern unsigned long vmap_nr_mappings;
bool vmap_mappings_reserve(unsigned long n);
void vmap_mappings_release(unsigned long n);
void vmap_mappings_init(void);

/* vmalloc.c */
/* __vmalloc() on behalf of `caller` (kvmalloc's fallback). */
void *vmalloc_with_caller(unsigned long size, gfp_t gfp, const void *caller);
void vmap_unmap_range(unsigned long start, unsigned long size);
void vmap_area_free_pages(struct vmap_area *va);
void vmalloc_error(gfp_t gfp, unsigned long size, const char *why);
noinline void *vmalloc_not_ready(const char *fn);
/* Where an area may go: vmap_area_alloc_range()'s constraints. */
struct vmap_where {
	unsigned long align, start, end;
	int prot;		/* PROT_* of the mapping */
	bool guard;		/* an unmapped page after the area */
};
/* Maps va->pages (set up) at a fresh address and publishes the area with
 * `kind` (VM_ALLOC, VM_MAP or VA_* bits). On failure `va` is freed, the
 * pages are not. */
void *vmap_map_area(struct vmap_area *va, gfp_t gfp, unsigned int kind,
		    const struct vmap_where *where);
/* Fills pages[0..nr) with buddy blocks, largest first; the pages got. */
unsigned long vmap_alloc_pages(struct page **pages, unsigned long nr, gfp_t gfp);
void vmap_free_page_blocks(struct page **pages, unsigned long nr, bool accounted);
void vmap_account_page_blocks(struct page **pages, unsigned long nr);
/* vfree, vunmap and vm_unmap_ram: what is freed, and how. */
struct vmap_take {
	unsigned int kind;	/* VM_ALLOC, VM_MAP or VA_MAP_RAM */
	bool in_irq;		/* interrupt context: a vmap block stays */
	unsigned long count;	/* vm_unmap_ram's page count; 0: none */
	const char *fn;
	unsigned long block_lazy_pages;	/* out: a vmap block went lazy */
};
/* Looks up the area starting at addr whose kind is t->kind and marks it
 * VA_LAZY, on no list; misuse is reported and changes nothing (NULL). A
 * piece of a vmap block is freed at once (NULL too); when that leaves the
 * block empty and unneeded, the block goes on its node's lazy list and
 * t->block_lazy_pages says how many pages the caller must account. */
struct vmap_area *vmap_take_area(const void *addr, struct vmap_take *t);
/* The default mapping of vmalloc, vmap and the vmap blocks. */
extern const struct vmap_where vmap_where_default;

/* vcache.c: per-CPU caches of freed, still mapped vmalloc areas. */
extern unsigned long vcache_nr_pages;	/* pages cached, all CPUs */
int vcache_init(void);
void vcache_exit(void);
/* An area of exactly nr_pages from this CPU's cache (VA_LAZY still set),
 * or NULL. */
struct vmap_area *vcache_take(unsigned long nr_pages);
/* Keeps a vfree'd area (VA_LAZY, on no list); false when it does not fit. */
bool vcache_put(struct vmap_area *va);
/* Moves every cached area to its node's lazy list; returns their pages
 * (guard included), for the purge to count. */
unsigned long vcache_drain_link(void);

/* vblock.c: small areas packed into vmap blocks. */
int vblock_init(void);
void vblock_exit(void);
/* A small area (nr_pages <= VMAP_BLOCK_MAX_AREA) from this CPU's blocks,
 * or NULL when no block can be had (the caller maps the area itself). */
void *vblock_alloc(unsigned long nr_pages, gfp_t gfp, const void *caller);
/* vfree of addr inside block area `va` (its node's lock held): false,
 * nothing changed, when addr is not the start of a live area; *why then
 * says what it is. */
enum vblock_miss { VB_NONE, VB_INSIDE, VB_DOUBLE };
bool vblock_free_locked(struct vmap_area *va, unsigned long addr, bool may_release,
			enum vblock_miss *why, bool *released);
/* vmalloc_to_page inside a block (node lock held); NULL when not live. */
struct page *vblock_to_page_locked(struct vmap_area *va, unsigned long addr);
/* Every empty block goes lazy; returns the pages linked (guard included). */
unsigned long vblock_drain_link(void);
/* The live areas of a block, for vmallocinfo and the leak report (node
 * lock held): calls fn(start, nr_pages, caller, arg) for each. */
void vblock_for_each_area_locked(struct vmap_area *va,
				 void (*fn)(unsigned long start, unsigned long nr_pages,
					    const void *caller, void *arg), void *arg);
void vblock_free_struct(struct vmap_area *va);

/* purge.c: lazy freeing. */
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

/* highmem.c */
int kmap_init(void);
void kmap_exit(void);

/* Boot (boot.c) and the vmallocinfo view (proc.c). */
int vmalloc_init(void);
void vmalloc_exit(void);
int vmallocinfo_show(FILE *m);
/* "name+0xoff/0xsize" (the kernel's %pS) or the raw address. */
void vmap_caller_name(const void *caller, char *buf, size_t len);

#endif
