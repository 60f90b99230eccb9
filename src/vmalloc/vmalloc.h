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
 *                  number of mappings vmalloc may create */
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
#define VA_UNINITIALIZED	0x100u	/* in the busy tree, not mapped yet */
#define VA_LAZY			0x200u	/* freed, waiting for the purge */
#define VA_UNMAPPED		0x400u	/* mapping already removed (vunmap) */

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
	struct list_head lazy;		/* the node's lazy list */
	struct vmap_area *deferred_next; /* vfree from interrupt context */
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
