/* vmap blocks: small vmalloc areas packed into blocks mapped once
 * (vblock.c, which names its lock). */
#ifndef KMM_VMALLOC_VBLOCK_H
#define KMM_VMALLOC_VBLOCK_H

#include <stdbool.h>
#include <kmm/gfp.h>
#include "vmalloc/vmap_area.h"

/* Small areas go into vmap blocks: up to this many pages each. */
#define VMAP_BLOCK_ORDER	6
#define VMAP_BLOCK_PAGES	(1u << VMAP_BLOCK_ORDER)
#define VMAP_BLOCK_MAX_AREA	2

int vblock_init(void);
void vblock_exit(void);
/* A small area (nr_pages <= VMAP_BLOCK_MAX_AREA) from one of this CPU's
 * blocks, or NULL when none has room. */
void *vblock_alloc(unsigned long nr_pages, const void *caller);
/* The same from a new block, or NULL when no block can be had (the
 * caller maps the area itself). *purge is set when the new block found
 * the mapping budget or the address space short: a purge may make room
 * for it. */
void *vblock_alloc_new(unsigned long nr_pages, gfp_t gfp, const void *caller, bool *purge);
/* vfree of addr inside block area `va` (its node's lock held): false,
 * nothing changed, when addr is not the start of a live area; *why then
 * says what it is. */
enum vblock_miss { VB_NONE, VB_INSIDE, VB_DOUBLE };
bool vblock_free_locked(struct vmap_area *va, unsigned long addr, bool may_release,
			enum vblock_miss *why, bool *released);
/* vmalloc_to_page inside a block (node lock held); NULL when not live. */
struct page *vblock_to_page_locked(struct vmap_area *va, unsigned long addr);
/* The pages of the live piece of a block starting at addr, else 0 (node
 * lock held). */
unsigned long vblock_area_pages_locked(struct vmap_area *va, unsigned long addr);
/* Every empty block goes lazy; returns the pages linked (guard included). */
unsigned long vblock_drain_link(void);
/* The live areas of a block, for vmallocinfo and the leak report (node
 * lock held): calls fn(start, nr_pages, caller, arg) for each. */
void vblock_for_each_area_locked(struct vmap_area *va,
				 void (*fn)(unsigned long start, unsigned long nr_pages,
					    const void *caller, void *arg), void *arg);
void vblock_free_struct(struct vmap_area *va);

#endif
