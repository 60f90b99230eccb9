/* Page references and folios (include/linux/mm.h, page_ref.h).
 *
 * A block's references live in its head page: get_page() and put_page()
 * of any page of a compound block count in the head, as the kernel's
 * folio_get()/folio_put() do; alloc_pages() gives the first reference and
 * __free_pages() drops one (page_alloc.c). The last reference frees the
 * folio: a compound page with its order, any other page as order 0. A
 * folio here is a head page under another type: struct folio is only ever
 * a pointer to one.
 *
 * Misuse is reported and changes nothing: a reference taken or dropped on
 * a free page, a drop below zero, and a last put_page() that would free a
 * page its owner (slab, vmalloc, large kmalloc) has not let go of, or
 * only the first page of a block allocated without __GFP_COMP (the kernel
 * leaks the rest there; free_pages() frees it whole).
 *
 * Locks: none. The head's reference count is one atomic; the state word's
 * compare-and-swap claims the free, as in __free_pages(). */
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "lib/bug.h"

/* The allocated head whose count `page` uses, or NULL after a report. */
static struct page *ref_head(const struct page *page, const char *caller)
{
	struct page *head;
	uint32_t st;

	if (unlikely(!page_valid(page))) {
		kmm_bug("%s: %p is not a kmm struct page", caller, (const void *)page);
		return NULL;
	}
	head = page_compound_head(page);
	st = page_state_read(head);
	if (unlikely(PAGE_STATE_KIND(st) != PS_ALLOC)) {
		kmm_bug("Bad page state: %s(pfn:%#lx): the page is not allocated", caller,
			pfn_of(page));
		return NULL;
	}
	return head;
}

void get_page(struct page *page)
{
	struct page *head = ref_head(page, "get_page");

	if (head && unlikely(atomic_add_relaxed(&head->refcount, 1) <= 0)) {
		atomic_sub_relaxed(&head->refcount, 1);
		kmm_bug("Bad page state: get_page(pfn:%#lx): no reference to take one from",
			pfn_of(page));
	}
}

static noinline void put_page_last(struct page *head, const struct page *page)
{
	uint32_t st = page_state_read(head);
	unsigned int order = PAGE_STATE_ORDER(st);
	const char *why = NULL;

	if (order && !PageHead(head))
		why = "it frees only the first page of a block allocated without __GFP_COMP "
		      "(free it with free_pages)";
	else if (atomic_load_relaxed(&head->flags) & ((1UL << PG_slab) | (1UL << PG_vmalloc) |
						     (1UL << PG_large_kmalloc)))
		why = "its owner (slab, vmalloc or kmalloc) still holds it";
	else if (!page_state_cas(head, st, PAGE_STATE(PS_NONE, 0)))
		why = "it is being freed by another thread";
	if (why) {
		atomic_add_relaxed(&head->refcount, 1);
		kmm_bug("Bad page state: put_page(pfn:%#lx): last reference refused: %s",
			pfn_of(page), why);
		return;
	}
	free_pages_core(head, order);
}

void put_page(struct page *page)
{
	struct page *head = ref_head(page, "put_page");
	long refs;

	if (!head)
		return;
	refs = atomic_add_acq_rel(&head->refcount, -1);
	if (likely(refs > 0))
		return;
	if (unlikely(refs < 0)) {
		atomic_add_relaxed(&head->refcount, 1);
		kmm_bug("Bad page state: put_page(pfn:%#lx): no reference left to drop",
			pfn_of(page));
		return;
	}
	put_page_last(head, page);
}

int page_ref_count(const struct page *page)
{
	return atomic_load_relaxed(&page->refcount);
}

/* A speculative reference, on this page's own count: none on a free page
 * (count 0) or a tail page, whose count is its head's. */
bool get_page_unless_zero(struct page *page)
{
	int32_t refs = atomic_load_relaxed(&page->refcount);

	do {
		if (refs <= 0)
			return false;
		count_rmw();
	} while (!__atomic_compare_exchange_n(&page->refcount, &refs, refs + 1, false,
					      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

/* ---- folios: the head page, named by its own type ---- */

static struct page *folio_head(const struct folio *folio)
{
	return (struct page *)folio;
}

struct folio *page_folio(const struct page *page)
{
	return (struct folio *)page_compound_head(page);
}

struct page *folio_page(struct folio *folio, unsigned long n)
{
	return folio_head(folio) + n;
}

struct folio *folio_alloc(gfp_t gfp, unsigned int order)
{
	return (struct folio *)alloc_pages(gfp | __GFP_COMP, order);
}

void folio_get(struct folio *folio)
{
	get_page(folio_head(folio));
}

void folio_put(struct folio *folio)
{
	put_page(folio_head(folio));
}

int folio_ref_count(const struct folio *folio)
{
	return page_ref_count(folio_head(folio));
}

void *folio_address(const struct folio *folio)
{
	return page_address(folio_head(folio));
}

bool folio_test_large(const struct folio *folio)
{
	return PageHead(folio_head(folio));
}

bool folio_test_slab(const struct folio *folio)
{
	return PageSlab(folio_head(folio));
}

unsigned int folio_order(const struct folio *folio)
{
	return compound_order(folio_head(folio));
}

long folio_nr_pages(const struct folio *folio)
{
	return 1L << folio_order(folio);
}

size_t folio_size(const struct folio *folio)
{
	return PAGE_SIZE << folio_order(folio);
}

struct folio *virt_to_folio(const void *x)
{
	struct page *page = virt_to_page(x);

	return page ? page_folio(page) : NULL;
}
