/* Fragmenting physical memory for the vmalloc and kvmalloc tests. */
#ifndef KMM_TEST_VMALLOC_FRAG_H
#define KMM_TEST_VMALLOC_FRAG_H

#include <stdlib.h>
#include <kmm/mm.h>

/* Holds most of memory as isolated single pages: every order-0 page is
 * taken, the odd pfns given back, and every block of order >= 1 that is
 * still free taken too. */
struct fragmented {
	struct page **held;
	unsigned int *order;
	unsigned long n;
};

static inline void fragment_memory(struct fragmented *f)
{
	gfp_t g = __GFP_NOWARN | __GFP_NOMEMALLOC;
	unsigned long max = totalram_pages(), keep = 0;
	struct page *page;

	f->held = malloc(max * sizeof(*f->held));
	f->order = malloc(max * sizeof(*f->order));
	f->n = 0;
	while (f->n < max && (page = alloc_pages(g, 0)))
		f->held[f->n++] = page;
	for (unsigned long i = 0; i < f->n; i++) {
		if (page_to_pfn(f->held[i]) & 1)
			__free_page(f->held[i]);
		else
			f->order[keep] = 0, f->held[keep++] = f->held[i];
	}
	f->n = keep;
	drain_all_pages(NULL);
	for (unsigned int order = MAX_PAGE_ORDER; order >= 1; order--) {
		while (f->n < max && (page = alloc_pages(g, order))) {
			f->order[f->n] = order;
			f->held[f->n++] = page;
		}
	}
}

static inline void unfragment_memory(struct fragmented *f)
{
	for (unsigned long i = 0; i < f->n; i++)
		__free_pages(f->held[i], f->order[i]);
	free(f->held);
	free(f->order);
}

#endif
