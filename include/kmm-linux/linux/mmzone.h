/* <linux/mmzone.h> on kmm: page orders and pageblocks. Zones themselves
 * stay inside kmm; kmm_proc_show(stdout, "zoneinfo") shows them. */
#ifndef KMM_LINUX_MMZONE_H
#define KMM_LINUX_MMZONE_H

#include <linux/types.h>
#include <kmm/mm.h>

#define NR_PAGE_ORDERS		(MAX_PAGE_ORDER + 1)
#define PAGE_ALLOC_COSTLY_ORDER	3
#define pageblock_order		9
#define pageblock_nr_pages	(1UL << pageblock_order)

#endif
