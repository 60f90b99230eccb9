/* <linux/mm.h> on kmm: pages and folios — allocation (via <linux/gfp.h>),
 * references (get_page, put_page, page_count, page_ref_count,
 * get_page_unless_zero), folios (folio_alloc/get/put, page_folio,
 * folio_page, folio_address, folio_order/size/nr_pages, virt_to_folio,
 * folio_test_large/slab), address conversion (page_address,
 * virt_to_page, __pa, __va, pfn_to_page ...), compound pages, and the
 * kvmalloc family with the slab calls (<linux/slab.h>), as the kernel's
 * mm.h brings them. */
#ifndef KMM_LINUX_MM_H
#define KMM_LINUX_MM_H

#include <linux/kernel.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <kmm/highmem.h>

#define virt_to_head_page(addr)	compound_head(virt_to_page(addr))
#define page_to_virt(page)	page_address(page)
#define page_size(page)		(PAGE_SIZE << compound_order(page))
#define folio_pfn(folio)	page_to_pfn(folio_page(folio, 0))
#define folio_ref_inc(folio)	folio_get(folio)

#endif
