/* vmalloc's entry points inside kmm (vmalloc.c): the vmalloc family's
 * mapping with a purge when short, the lookup of the area a pointer names,
 * boot and exit. The types and the glossary are vmap_area.h's. */
#ifndef KMM_VMALLOC_VMALLOC_H
#define KMM_VMALLOC_VMALLOC_H

#include <stdbool.h>
#include <kmm/vmalloc.h>
#include "vmalloc/mapping.h"
#include "vmalloc/vmap_area.h"

/* The pages of the live vmalloc area that starts at addr (a piece of a
 * vmap block too), 0 when addr starts none: what an allocator above
 * vmalloc needs to know a block's size (libkmm-malloc's realloc and
 * malloc_usable_size); the kernel keeps it in the area's vm_struct. */
unsigned long vmalloc_area_pages(const void *addr);
/* __vmalloc() on behalf of `caller` (kvmalloc's fallback). */
void *vmalloc_with_caller(unsigned long size, gfp_t gfp, const void *caller);
noinline void *vmalloc_not_ready(const char *fn);
void *vmap_map_area_slow(struct vmap_area *va, gfp_t gfp, unsigned int kind,
			 const struct vmap_where *where, enum vmap_map_result res);
/* vmap_map_area_try(), with one purge when the budget or the space is
 * short; a failure is reported. On failure `va` is freed, the pages are
 * not. */
static inline void *vmap_map_area(struct vmap_area *va, gfp_t gfp, unsigned int kind,
				  const struct vmap_where *where)
{
	enum vmap_map_result res = vmap_map_area_try(va, kind, where);

	if (likely(res == VMAP_MAPPED))
		return (void *)va->va_start;
	return vmap_map_area_slow(va, gfp, kind, where, res);
}
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

/* Boot (boot.c). */
int vmalloc_init(void);
void vmalloc_exit(void);

#endif
