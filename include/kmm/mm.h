/* Pages: allocation, freeing and address conversion. */
#ifndef KMM_MM_H
#define KMM_MM_H

#include <kmm/types.h>
#include <kmm/gfp.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define MAX_PAGE_ORDER	10
#define MAX_ORDER_NR_PAGES (1UL << MAX_PAGE_ORDER)

KMM_EXTERN_C_BEGIN

KMM_API struct page *alloc_pages(gfp_t gfp, unsigned int order);
KMM_API struct page *alloc_page(gfp_t gfp);
KMM_API unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
KMM_API unsigned long __get_free_page(gfp_t gfp);
KMM_API unsigned long get_zeroed_page(gfp_t gfp);
KMM_API void __free_pages(struct page *page, unsigned int order);
KMM_API void __free_page(struct page *page);
KMM_API void free_pages(unsigned long addr, unsigned int order);
KMM_API void free_page(unsigned long addr);
KMM_API void *alloc_pages_exact(size_t size, gfp_t gfp);
/* Fills the NULL entries of `array` with order-0 pages; returns how far it
 * is filled (every entry below holds a page). node: 0 or NUMA_NO_NODE. */
KMM_API unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr, struct page **array);
KMM_API unsigned long alloc_pages_bulk_node(gfp_t gfp, int node, unsigned long nr,
					    struct page **array);
/* Any context, never waiting for a lock (zeroed, compound; gfp: only
 * __GFP_ACCOUNT; order <= 3; node: 0 or NUMA_NO_NODE). May fail easily. */
KMM_API struct page *alloc_pages_nolock(gfp_t gfp, int node, unsigned int order);
/* Drops a reference from any context without waiting for a lock, for any
 * page; what it cannot free at once waits for drain_all_pages(). */
KMM_API void free_pages_nolock(struct page *page, unsigned int order);
KMM_API void free_pages_exact(void *virt, size_t size);

KMM_API void *page_address(const struct page *page);
KMM_API struct page *virt_to_page(const void *addr);
KMM_API unsigned long page_to_pfn(const struct page *page);
KMM_API struct page *pfn_to_page(unsigned long pfn);
KMM_API phys_addr_t __pa(const void *addr);
KMM_API void *__va(phys_addr_t phys);
KMM_API phys_addr_t virt_to_phys(const void *addr);
KMM_API void *phys_to_virt(phys_addr_t phys);
KMM_API int PageHighMem(const struct page *page);
KMM_API int page_count(const struct page *page);
KMM_API struct page *compound_head(const struct page *page);
KMM_API unsigned int compound_order(const struct page *page);

/* References: alloc_pages() gives the first, __free_pages()/free_pages()
 * and put_page() drop one, the last frees. get_page()/put_page() of any
 * page of a compound page count in its head (page_count()); page_ref_count()
 * and get_page_unless_zero() use the page's own count. */
KMM_API void get_page(struct page *page);
KMM_API void put_page(struct page *page);
KMM_API int page_ref_count(const struct page *page);
KMM_API bool get_page_unless_zero(struct page *page);

/* Folios: a head page under its own type (only ever a pointer here). */
struct folio;
KMM_API struct folio *folio_alloc(gfp_t gfp, unsigned int order);	/* __GFP_COMP */
KMM_API void folio_get(struct folio *folio);
KMM_API void folio_put(struct folio *folio);
KMM_API int folio_ref_count(const struct folio *folio);
KMM_API struct folio *page_folio(const struct page *page);
KMM_API struct page *folio_page(struct folio *folio, unsigned long n);
KMM_API struct folio *virt_to_folio(const void *addr);
KMM_API void *folio_address(const struct folio *folio);
KMM_API unsigned int folio_order(const struct folio *folio);
KMM_API size_t folio_size(const struct folio *folio);
KMM_API long folio_nr_pages(const struct folio *folio);
KMM_API bool folio_test_large(const struct folio *folio);
KMM_API bool folio_test_slab(const struct folio *folio);
KMM_API unsigned long totalram_pages(void);
KMM_API unsigned long nr_free_pages(void);
KMM_API void drain_all_pages(struct zone *zone);

/* The order of the smallest block that holds `size` bytes. */
static inline unsigned int get_order(unsigned long size)
{
	unsigned int order = 0;

	size = (size - 1) >> PAGE_SHIFT;
	while (size) {
		order++;
		size >>= 1;
	}
	return order;
}

KMM_EXTERN_C_END

#endif
