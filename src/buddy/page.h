/* struct page: one per 4 KiB page of simulated physical memory, 64 bytes,
 * in the mem_map array, as in the kernel.
 *
 * Glossary of a page's life:
 *   state PS_BUDDY  head of a free block in a buddy shard (order in `order`)
 *   state PS_PCP    free, on a CPU's per-CPU page list
 *   state PS_ALLOC  head of an allocated block of 2^order pages
 *   state PS_BOOT   head of a boot-time (memblock) allocation
 *   state PS_NONE   any other page: inside a block, never a head
 * Only heads carry a state, so a free of a tail page, a double free and a
 * free with the wrong order are each caught by one compare-and-swap on the
 * head's state word. */
#ifndef KMM_BUDDY_PAGE_H
#define KMM_BUDDY_PAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <kmm/mm.h>
#include "lib/compiler.h"
#include "lib/list.h"

enum page_state {
	PS_NONE = 0,
	PS_BUDDY,
	PS_PCP,
	PS_ALLOC,
	PS_BOOT,
};

/* page->flags bits (set with atomic bit operations) */
enum pageflags {
	PG_head = 0,		/* first page of a compound page */
	PG_reserved,		/* boot-time allocation */
	PG_slab,		/* belongs to a slab */
	PG_large_kmalloc,	/* kmalloc above KMALLOC_MAX_CACHE_SIZE */
	PG_vmalloc,		/* mapped into vmalloc space */
	PG_zeroed,		/* known to be all zeroes (unused so far) */
	PG_reported,		/* free block whose memory went back to the host */
};

struct kmem_cache;

struct page {
	unsigned long flags;
	union {
		struct {	/* free: in the buddy or on a pcp list */
			struct list_head lru;
			unsigned long buddy_private;
			unsigned long pcp_private;
		};
		struct {	/* slab (SLUB's struct slab) */
			struct kmem_cache *slab_cache;
			union {
				struct list_head slab_list;
				struct {	/* per-CPU partial chain */
					struct page *next;
					int slabs;
				};
			};
			/* freelist + counters: one double-word compare-and-swap */
			void *freelist;
			unsigned long counters;
		};
		struct {	/* tail page of a compound page */
			unsigned long compound_head;	/* head | 1 */
			/* A slab's tail page (kmm's own: the kernel reads the
			 * head): its cache, and how many objects a free may
			 * take without reading the head (0: none, the full
			 * check). Set by new_slab(), cleared when the slab
			 * goes; 0 in every other compound page. */
			struct kmem_cache *tail_slab_cache;
			unsigned long tail_fast_objects;
		};
	};
	uint32_t state;		/* enum page_state | order << 8 */
	int32_t refcount;
	void *virtual;		/* kmap address of a HighMem page */
};

_Static_assert(sizeof(struct page) == 64, "struct page is 64 bytes");
_Static_assert(offsetof(struct page, freelist) % 16 == 0,
	       "slab freelist+counters must be 16-byte aligned");

#define PAGE_STATE(s, order)	((uint32_t)(s) | ((uint32_t)(order) << 8))
#define PAGE_STATE_KIND(v)	((v) & 0xffu)
#define PAGE_STATE_ORDER(v)	(((v) >> 8) & 0xffu)

static inline uint32_t page_state_read(const struct page *p)
{
	return atomic_load_relaxed(&p->state);
}

static inline void page_state_set(struct page *p, enum page_state s, unsigned int order)
{
	atomic_store_relaxed(&p->state, PAGE_STATE(s, order));
}

/* Moves the head's state from `from` to `to` atomically; false (state
 * unchanged) when it was not `from`. */
static inline bool page_state_cas(struct page *p, uint32_t from, uint32_t to)
{
	return atomic_cas_acq_rel(&p->state, &from, to);
}

static inline bool PageFlag(const struct page *p, enum pageflags f)
{
	return (atomic_load_relaxed(&p->flags) >> f) & 1;
}

static inline void SetPageFlag(struct page *p, enum pageflags f)
{
	count_rmw();
	__atomic_fetch_or(&p->flags, 1UL << f, __ATOMIC_RELAXED);
}

static inline void ClearPageFlag(struct page *p, enum pageflags f)
{
	count_rmw();
	__atomic_fetch_and(&p->flags, ~(1UL << f), __ATOMIC_RELAXED);
}

#define PageHead(p)		PageFlag((p), PG_head)
#define PageSlab(p)		PageFlag((p), PG_slab)
#define PageReserved(p)		PageFlag((p), PG_reserved)
#define PageLargeKmalloc(p)	PageFlag((p), PG_large_kmalloc)

static inline bool PageTail(const struct page *p)
{
	return atomic_load_relaxed(&p->compound_head) & 1;
}

static inline struct page *page_compound_head(const struct page *p)
{
	unsigned long h = atomic_load_relaxed(&p->compound_head);

	return (h & 1) ? (struct page *)(h - 1) : (struct page *)p;
}

#endif
