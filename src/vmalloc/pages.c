/* The pages of vmalloc areas: taken from the buddy largest blocks first
 * (orders are tried from the largest that fits the remainder down to 0,
 * never more than needed, and never raised again once one failed), so
 * that an area maps in few physically contiguous runs; flagged PG_vmalloc
 * and counted in NR_VMALLOC while an area holds them, so that only vfree
 * may give them back.
 *
 * Locks: none of its own; the page allocator's. */
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "buddy/vmstat.h"
#include "lib/bitops.h"
#include "vmalloc/pages.h"

/* High orders are opportunistic: no reclaim, no reserves, no warning;
 * order 0 uses the caller's gfp. */
unsigned long vmap_alloc_pages(struct page **pages, unsigned long nr, gfp_t gfp)
{
	gfp_t high_gfp = (gfp & ~(__GFP_RECLAIM | __GFP_NOFAIL)) | __GFP_NOWARN | __GFP_NOMEMALLOC;
	unsigned int order = MAX_PAGE_ORDER;
	unsigned long done = 0;

	while (done < nr) {
		struct page *page;

		order = MIN(order, ilog2_ul(nr - done));
		page = alloc_pages(order ? high_gfp : gfp, order);
		if (!page) {
			if (!order)
				break;
			order--;
			continue;
		}
		for (unsigned long i = 0; i < (1UL << order); i++)
			pages[done + i] = page + i;
		done += 1UL << order;
	}
	return done;
}

/* The pages of a vmalloc area are buddy blocks laid end to end; each
 * block's head still carries its order in the state word. */
void vmap_free_page_blocks(struct page **pages, unsigned long nr, bool accounted)
{
	for (unsigned long i = 0; i < nr;) {
		struct page *head = pages[i];
		unsigned int order = PAGE_STATE_ORDER(page_state_read(head));
		unsigned long n = 1UL << order;

		if (accounted) {
			for (unsigned long j = 0; j < n; j++)
				ClearPageFlag(&head[j], PG_vmalloc);
			mod_zone_page_state(page_zone(head), NR_VMALLOC, -(long)n);
		}
		__free_pages(head, order);
		i += n;
	}
}

void vmap_account_page_blocks(struct page **pages, unsigned long nr)
{
	for (unsigned long i = 0; i < nr;) {
		struct page *head = pages[i];
		unsigned long n = 1UL << PAGE_STATE_ORDER(page_state_read(head));

		for (unsigned long j = 0; j < n; j++)
			SetPageFlag(&head[j], PG_vmalloc);
		mod_zone_page_state(page_zone(head), NR_VMALLOC, (long)n);
		i += n;
	}
}

void vmap_area_free_pages(struct vmap_area *va)
{
	vmap_free_page_blocks(va->pages, va->nr_pages, true);
}
