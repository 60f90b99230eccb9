/* vmap areas and vmap nodes: the types every file of src/vmalloc shares,
 * and the address allocator's interface (vmap_area.c, whose opening gives
 * the folder's lock order).
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
 *                  (mapping.c)
 *   lazy area      vfree'd or vunmap'd but not yet purged: still in its
 *                  busy tree (flag VA_LAZY), on its node's lazy list; its
 *                  range and (for vmalloc) its pages come back at purge
 *                  (purge.c)
 *   mapping budget vm.max_map_count minus headroom: the process-wide
 *                  number of mappings vmalloc may create (mapping.c)
 *   cached area    vfree'd, still mapped with its pages, kept in a CPU's
 *                  vmap cache (vcache.c) for a vmalloc of the same size;
 *                  VA_LAZY like a lazy area, but on no lazy list
 *   vmap block     one physically contiguous run of VMAP_BLOCK_PAGES
 *                  pages, mapped once (a busy area with VA_BLOCK), that
 *                  small vmalloc areas of one CPU are carved from without
 *                  a mapping or a guard page of their own (vblock.c) */
#ifndef KMM_VMALLOC_VMAP_AREA_H
#define KMM_VMALLOC_VMAP_AREA_H

#include <stdbool.h>
#include <kmm/mm.h>
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
	/* A chain of areas on their way to the lazy lists: the deferred
	 * list (vfree from interrupt context), or vcache_put()'s answer. */
	struct vmap_area *chain;
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

/* *_locked: the node's lock is held. */
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

/* Puts a VA_LAZY area on its node's lazy list (taking the node's lock).
 * Once linked, a purge may free it: read it before. */
static inline void vmap_lazy_link(struct vmap_area *va)
{
	struct vmap_node *vn = addr_to_node(va->va_start);

	kmm_spin_lock(&vn->lock);
	list_add_tail(&va->lazy, &vn->lazy);
	kmm_spin_unlock(&vn->lock);
}

#endif
