/* The pages of vmalloc areas (pages.c). No locks. */
#ifndef KMM_VMALLOC_PAGES_H
#define KMM_VMALLOC_PAGES_H

#include <stdbool.h>
#include <kmm/gfp.h>
#include "vmalloc/vmap_area.h"

/* Fills pages[0..nr) with buddy blocks, largest first; the pages got. */
unsigned long vmap_alloc_pages(struct page **pages, unsigned long nr, gfp_t gfp);
/* Gives the blocks of pages[0..nr) back to the buddy; `accounted`: they
 * were counted as vmalloc pages (vmap_account_page_blocks). */
void vmap_free_page_blocks(struct page **pages, unsigned long nr, bool accounted);
/* Flags the blocks' pages PG_vmalloc and counts them in NR_VMALLOC. */
void vmap_account_page_blocks(struct page **pages, unsigned long nr);
/* Frees the pages of a purged vmalloc area. */
void vmap_area_free_pages(struct vmap_area *va);

#endif
