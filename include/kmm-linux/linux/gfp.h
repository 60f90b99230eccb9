/* <linux/gfp.h> on kmm: GFP flags and the page allocator's calls
 * (alloc_pages and friends, the bulk and nolock forms, __free_pages,
 * free_pages and their nolock form), with the kernel's node variants
 * (kmm has one node: 0, or NUMA_NO_NODE for "any"). */
#ifndef KMM_LINUX_GFP_H
#define KMM_LINUX_GFP_H

#include <linux/gfp_types.h>
#include <linux/mmzone.h>
#include <kmm/mm.h>

#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE	(-1)
#endif

#define alloc_pages_node(nid, gfp, order)	((void)(nid), alloc_pages(gfp, order))
#define __alloc_pages_node(nid, gfp, order)	((void)(nid), alloc_pages(gfp, order))
#define folio_alloc_node(gfp, order, nid)	((void)(nid), folio_alloc(gfp, order))
/* The array form's name before kernel 6.14. */
#define alloc_pages_bulk_array(gfp, nr, array)	alloc_pages_bulk(gfp, nr, array)
#define alloc_pages_bulk_array_node(gfp, nid, nr, array) \
	alloc_pages_bulk_node(gfp, nid, nr, array)

#endif
