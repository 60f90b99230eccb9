/* Host mappings of vmap areas and their budget (mapping.c). */
#ifndef KMM_VMALLOC_MAPPING_H
#define KMM_VMALLOC_MAPPING_H

#include <stdbool.h>
#include "vmalloc/vmap_area.h"

/* Mapping budget (vm.max_map_count). */
extern unsigned long vmap_max_mappings;
extern unsigned long vmap_nr_mappings;
void vmap_mappings_init(void);
bool vmap_mappings_reserve(unsigned long n);
void vmap_mappings_release(unsigned long n);

/* Where an area may go: vmap_area_alloc_range()'s constraints. */
struct vmap_where {
	unsigned long align, start, end;
	int prot;		/* PROT_* of the mapping */
	bool guard;		/* an unmapped page after the area */
};
/* The default mapping of vmalloc, vmap and the vmap blocks. */
extern const struct vmap_where vmap_where_default;

static inline bool vmap_where_is_default(const struct vmap_where *w)
{
	return w->align <= PAGE_SIZE && !w->start && !w->end;
}

/* What vmap_map_area_try() did. On a shortage nothing was taken and `va`
 * is still the caller's, who may purge (lazily freed and cached areas hold
 * both mappings and address space) and try again; on an mmap() failure
 * the range went back to its node, and `va` with it. */
enum vmap_map_result {
	VMAP_MAPPED,
	VMAP_NO_MAPPINGS,	/* the mapping budget is spent */
	VMAP_NO_SPACE,		/* no free range where `where` allows */
	VMAP_MMAP_ENOMEM,	/* the host is out of mappings or memory */
	VMAP_MMAP_FAILED,
};

static inline bool vmap_map_short(enum vmap_map_result r)
{
	return r == VMAP_NO_MAPPINGS || r == VMAP_NO_SPACE;
}

/* Maps va->pages (set up) at a fresh address and publishes the area with
 * `kind` (VM_ALLOC, VM_MAP or VA_* bits): a budget of its runs, a range,
 * one mmap() per run. */
enum vmap_map_result vmap_map_area_try(struct vmap_area *va, unsigned int kind,
				       const struct vmap_where *where);
/* Back to the reservation: PROT_NONE, no backing. */
void vmap_unmap_range(unsigned long start, unsigned long size);

#endif
