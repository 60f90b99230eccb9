/* The per-CPU allocator (mm/percpu.c): chunks holding one unit per CPU.
 *
 * Every chunk has the same unit size and holds its units one after
 * another, so one offset table serves all (percpu_space.c): a per-CPU
 * pointer is the address of the object in CPU 0's unit minus the shift,
 * and CPU c's copy is at pointer + kmm_per_cpu_offset[c] (= shift + c *
 * unit size). Units are page multiples, so copies of different CPUs never
 * share a cache line. The first chunk comes from memblock at boot (kmm's own
 * per-CPU structures live there); later chunks are compound pages from the
 * buddy. Both come zeroed, and an allocation zeroes only granules handed
 * out before, so the unit of a CPU no thread uses stays out of the
 * process's resident memory.
 *
 * Inside a chunk, space is 16-byte granules, tiled by extents: allocations
 * and maximal runs of free granules. Every extent carries its length at its
 * first and last granule (a boundary tag, with a bit for "allocated"), so a
 * free merges with both neighbours at once. Free extents sit on per-chunk
 * lists by size class (two-level segregated fit: one class per length below
 * 8 granules, then four per power of two), with a bitmap of the non-empty
 * ones; chunks sit on global slot lists by their largest class, with a
 * bitmap of the non-empty slots. The kernel keeps free-space hints per
 * chunk and per block for the same end: an allocation does not scan what
 * is live. Here it takes, with a few bit scans, the fullest chunk whose
 * largest free extent surely fits (length + alignment - 1) and the smallest
 * such extent in it; when none exists it looks at a few extents that may
 * fit exactly or once aligned, and at all of them only before it adds a
 * chunk. free_percpu finds the chunk by binary search of the chunks sorted
 * by address. So alloc_percpu and free_percpu cost O(log chunks) whatever
 * is live, except on the way to adding a chunk.
 *
 * Lock: pcpu_lock (LOCK_RANK_PERCPU) protects the chunk index, the slot
 * lists and every chunk's extents. The buddy's locks nest inside; a new
 * chunk is allocated without pcpu_lock (reclaim's shrinkers take it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/context.h"
#include "buddy/buddy.h"
#include "lib/cpu.h"
#include "lib/host_mem.h"
#include "lib/list.h"
#include "lib/lock.h"
#include "percpu/percpu_internal.h"

#define PCPU_GRANULE		16
#define PCPU_LINEAR_CLASSES	8	/* one class per length below this */
#define PCPU_NR_CLASSES		48	/* lengths up to 4096 granules (64 KiB) */
#define PCPU_TAG_ALLOC		0x8000u	/* in a boundary tag: allocated */
#define PCPU_TAG_LEN		0x7fffu
#define PCPU_NONE		0xffffu	/* end of a free list */
#define PCPU_FIT_TRIES		8	/* extents looked at for an exact fit */

struct pcpu_chunk {
	struct list_head slot_list;	/* on pcpu_slots[slot] unless full */
	char *base;			/* CPU 0's unit */
	struct page *page;		/* NULL for the first (memblock) chunk */
	unsigned int order;
	unsigned int nr_granules;
	unsigned int free_granules;
	unsigned int clean_from;	/* granules from here never handed out: zero */
	int slot;			/* largest class with a free extent; -1: full */
	uint64_t class_map;		/* bit c: free list c is not empty */
	uint16_t class_head[PCPU_NR_CLASSES];
	uint16_t *tag;			/* length | ALLOC at each extent's ends */
	uint16_t *next, *prev;		/* free-list links, at a free extent's start */
	unsigned long *starts;		/* bit g: a live allocation starts at g */
};

static struct kmm_spinlock pcpu_lock;
static struct list_head pcpu_slots[PCPU_NR_CLASSES];
static uint64_t pcpu_slot_map;			/* bit s: pcpu_slots[s] not empty */
static struct pcpu_chunk **pcpu_index;		/* by base address */
static unsigned int pcpu_nr_index, pcpu_index_cap;
static unsigned long pcpu_nr_chunks;

_Static_assert((64UL << 10) / PCPU_GRANULE <= PCPU_TAG_LEN, "a unit's length fits a tag");

static unsigned long chunk_bytes(void)
{
	return pcpu_unit_size * (nr_cpu_ids + 1);	/* and the null unit */
}

/* The size class of a free extent of `len` granules (len >= 1). */
static unsigned int size_class(unsigned int len)
{
	unsigned int fl;

	if (len < PCPU_LINEAR_CLASSES)
		return len;
	fl = 31 - (unsigned int)__builtin_clz(len);
	return PCPU_LINEAR_CLASSES + (fl - 3) * 4 + ((len >> (fl - 2)) & 3);
}

/* The shortest length in class `cls`. */
static unsigned int class_min_len(unsigned int cls)
{
	unsigned int fl, sl;

	if (cls < PCPU_LINEAR_CLASSES)
		return cls;
	fl = (cls - PCPU_LINEAR_CLASSES) / 4 + 3;
	sl = (cls - PCPU_LINEAR_CLASSES) % 4;
	return (1u << fl) + (sl << (fl - 2));
}

/* The lowest class every extent of which holds `len` granules. */
static unsigned int class_fitting(unsigned int len)
{
	unsigned int cls = size_class(len);

	return class_min_len(cls) < len ? cls + 1 : cls;
}

static void chunk_reslot_locked(struct pcpu_chunk *c)
{
	int slot = c->class_map ? 63 - __builtin_clzll(c->class_map) : -1;

	if (slot == c->slot)
		return;
	if (c->slot >= 0) {
		list_del(&c->slot_list);
		if (list_empty(&pcpu_slots[c->slot]))
			pcpu_slot_map &= ~(1ULL << c->slot);
	}
	c->slot = slot;
	if (slot >= 0) {
		list_add(&c->slot_list, &pcpu_slots[slot]);
		pcpu_slot_map |= 1ULL << slot;
	}
}

static bool is_live_start(const struct pcpu_chunk *c, unsigned int g)
{
	return c->starts[g / (8 * sizeof(long))] & (1UL << (g % (8 * sizeof(long))));
}

/* Debug builds: the extents tile the chunk, their two tags agree, no two
 * free extents touch, allocations start where the bitmap says, every free
 * extent is on the list of its class and the lists hold nothing else, and
 * the free count adds up. */
static void chunk_verify_locked(const struct pcpu_chunk *c)
{
	unsigned int g = 0, free_sum = 0, free_extents = 0, listed = 0;
	bool prev_free = false;

	while (g < c->nr_granules) {
		unsigned int len = c->tag[g] & PCPU_TAG_LEN;
		bool alloc = c->tag[g] & PCPU_TAG_ALLOC;

		if (!len || g + len > c->nr_granules || c->tag[g + len - 1] != c->tag[g] ||
		    (!alloc && prev_free) || alloc != is_live_start(c, g)) {
			kmm_bug("percpu: chunk %p: bad extent at granule %u (tag %#x)",
				(void *)c->base, g, c->tag[g]);
			return;
		}
		if (!alloc) {
			free_sum += len;
			free_extents++;
		}
		prev_free = !alloc;
		g += len;
	}
	for (unsigned int cls = 0; cls < PCPU_NR_CLASSES; cls++) {
		if ((c->class_head[cls] != PCPU_NONE) != !!(c->class_map & (1ULL << cls)))
			kmm_bug("percpu: chunk %p: class %u map bit wrong", (void *)c->base, cls);
		for (unsigned int e = c->class_head[cls]; e != PCPU_NONE; e = c->next[e], listed++)
			if ((c->tag[e] & PCPU_TAG_ALLOC) || size_class(c->tag[e] & PCPU_TAG_LEN) != cls)
				kmm_bug("percpu: chunk %p: granule %u on free list %u", (void *)c->base,
					e, cls);
	}
	if (free_sum != c->free_granules || listed != free_extents)
		kmm_bug("percpu: chunk %p: %u free granules in %u extents, %u recorded, %u listed",
			(void *)c->base, free_sum, free_extents, c->free_granules, listed);
}

static void set_tags(struct pcpu_chunk *c, unsigned int g, unsigned int len, uint16_t alloc)
{
	c->tag[g] = (uint16_t)(len | alloc);
	c->tag[g + len - 1] = (uint16_t)(len | alloc);
}

/* Puts the free extent [g, g + len) on its list. */
static void extent_insert(struct pcpu_chunk *c, unsigned int g, unsigned int len)
{
	unsigned int cls = size_class(len);
	uint16_t head = c->class_head[cls];

	set_tags(c, g, len, 0);
	c->prev[g] = PCPU_NONE;
	c->next[g] = head;
	if (head != PCPU_NONE)
		c->prev[head] = (uint16_t)g;
	c->class_head[cls] = (uint16_t)g;
	c->class_map |= 1ULL << cls;
}

static void extent_remove(struct pcpu_chunk *c, unsigned int g, unsigned int len)
{
	unsigned int cls = size_class(len);

	if (c->prev[g] != PCPU_NONE)
		c->next[c->prev[g]] = c->next[g];
	else
		c->class_head[cls] = c->next[g];
	if (c->next[g] != PCPU_NONE)
		c->prev[c->next[g]] = c->prev[g];
	if (c->class_head[cls] == PCPU_NONE)
		c->class_map &= ~(1ULL << cls);
}

/* Where `n` granules aligned to `a` fit in the free extent at `g`, or -1. */
static long extent_fit(const struct pcpu_chunk *c, unsigned int g, unsigned int n, unsigned int a)
{
	unsigned int len = c->tag[g] & PCPU_TAG_LEN;
	unsigned int pos = (g + a - 1) / a * a;

	return pos + n <= g + len ? (long)pos : -1;
}

/* Allocates [pos, pos + n) out of the free extent at `g`; what is left on
 * either side stays free. */
static void extent_take(struct pcpu_chunk *c, unsigned int g, unsigned int pos, unsigned int n)
{
	unsigned int len = c->tag[g] & PCPU_TAG_LEN;

	extent_remove(c, g, len);
	if (pos > g)
		extent_insert(c, g, pos - g);
	if (pos + n < g + len)
		extent_insert(c, pos + n, g + len - pos - n);
	set_tags(c, pos, n, PCPU_TAG_ALLOC);
	c->starts[pos / (8 * sizeof(long))] |= 1UL << (pos % (8 * sizeof(long)));
	c->free_granules -= n;
	chunk_reslot_locked(c);
	if (KMM_DEBUG_ON)
		chunk_verify_locked(c);
}

/* Frees the allocation at `g` and merges it with free neighbours. */
static void extent_release(struct pcpu_chunk *c, unsigned int g)
{
	unsigned int len = c->tag[g] & PCPU_TAG_LEN;
	unsigned int start = g, end = g + len;

	c->starts[g / (8 * sizeof(long))] &= ~(1UL << (g % (8 * sizeof(long))));
	c->free_granules += len;
	if (start > 0 && !(c->tag[start - 1] & PCPU_TAG_ALLOC)) {
		unsigned int left = c->tag[start - 1] & PCPU_TAG_LEN;

		start -= left;
		extent_remove(c, start, left);
	}
	if (end < c->nr_granules && !(c->tag[end] & PCPU_TAG_ALLOC)) {
		unsigned int right = c->tag[end] & PCPU_TAG_LEN;

		extent_remove(c, end, right);
		end += right;
	}
	extent_insert(c, start, end - start);
	chunk_reslot_locked(c);
	if (KMM_DEBUG_ON)
		chunk_verify_locked(c);
}

/* The chunk holding CPU 0's address `p`, by binary search; NULL if none. */
static struct pcpu_chunk *chunk_of_locked(const char *p)
{
	unsigned int lo = 0, hi = pcpu_nr_index;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		struct pcpu_chunk *c = pcpu_index[mid];

		if (p < c->base)
			hi = mid;
		else if (p >= c->base + pcpu_unit_size)
			lo = mid + 1;
		else
			return c;
	}
	return NULL;
}

static bool index_add_locked(struct pcpu_chunk *c)
{
	unsigned int i = 0;

	if (pcpu_nr_index == pcpu_index_cap) {
		unsigned int cap = pcpu_index_cap ? 2 * pcpu_index_cap : 16;
		struct pcpu_chunk **n = host_realloc(pcpu_index, cap * sizeof(*n));

		if (!n)
			return false;
		pcpu_index = n;
		pcpu_index_cap = cap;
	}
	while (i < pcpu_nr_index && pcpu_index[i]->base < c->base)
		i++;
	memmove(&pcpu_index[i + 1], &pcpu_index[i], (pcpu_nr_index - i) * sizeof(*pcpu_index));
	pcpu_index[i] = c;
	pcpu_nr_index++;
	return true;
}

static void index_del_locked(struct pcpu_chunk *c)
{
	unsigned int i = 0;

	while (pcpu_index[i] != c)
		i++;
	memmove(&pcpu_index[i], &pcpu_index[i + 1], (pcpu_nr_index - i - 1) * sizeof(*pcpu_index));
	pcpu_nr_index--;
}

static void chunk_free(struct pcpu_chunk *c)
{
	host_free(c->tag);
	host_free(c);
}

static struct pcpu_chunk *chunk_new_locked(char *base, struct page *page, unsigned int order)
{
	struct pcpu_chunk *c = host_calloc(1, sizeof(*c));
	unsigned int n = (unsigned int)(pcpu_unit_size / PCPU_GRANULE);
	size_t words = (n + 8 * sizeof(long) - 1) / (8 * sizeof(long));
	unsigned long null_at;

	if (!c)
		return NULL;
	c->base = base;
	/* tag, next and prev, then the starts bitmap, in one block */
	c->tag = host_calloc(1, 3 * n * sizeof(uint16_t) + words * sizeof(long) + sizeof(long));
	if (!c->tag || !index_add_locked(c)) {
		host_free(c->tag);
		host_free(c);
		return NULL;
	}
	c->next = c->tag + n;
	c->prev = c->next + n;
	c->starts = (unsigned long *)ALIGN_UP((unsigned long)(c->prev + n), sizeof(long));
	c->page = page;
	c->order = order;
	c->nr_granules = n;
	c->free_granules = n;
	c->slot = -1;
	memset(c->class_head, 0xff, sizeof(c->class_head));
	extent_insert(c, 0, n);
	chunk_reslot_locked(c);
	/* A granule whose per-CPU pointer would be NULL is never handed out. */
	null_at = kmm_cpu_offsets[0] - (unsigned long)base;
	if (null_at < pcpu_unit_size)
		extent_take(c, 0, (unsigned int)(null_at / PCPU_GRANULE), 1);
	pcpu_nr_chunks++;
	return c;
}

/* Takes `c` off the index and the slot lists. */
static void chunk_unlink_locked(struct pcpu_chunk *c)
{
	index_del_locked(c);
	c->class_map = 0;
	chunk_reslot_locked(c);
	pcpu_nr_chunks--;
}

int percpu_init(void)
{
	char *base;
	int err = percpu_space_init(nr_cpu_ids);

	if (err)
		return err;
	kmm_spin_init(&pcpu_lock, "pcpu_lock", LOCK_RANK_PERCPU);
	for (unsigned int s = 0; s < PCPU_NR_CLASSES; s++)
		INIT_LIST_HEAD(&pcpu_slots[s]);
	pcpu_slot_map = 0;
	base = memblock_alloc(chunk_bytes(), PAGE_SIZE);
	if (!base)
		return -ENOMEM;
	kmm_spin_lock(&pcpu_lock);
	err = chunk_new_locked(base, NULL, 0) ? 0 : -ENOMEM;
	kmm_spin_unlock(&pcpu_lock);
	return err;
}

unsigned long percpu_exit(void)
{
	unsigned long leaked = 0;

	while (pcpu_nr_index) {
		struct pcpu_chunk *c = pcpu_index[pcpu_nr_index - 1];

		/* The first chunk's memblock memory goes with the memfd. */
		leaked += (unsigned long)(c->nr_granules - c->free_granules) * PCPU_GRANULE;
		chunk_unlink_locked(c);
		if (c->page)
			__free_pages(c->page, c->order);
		chunk_free(c);
	}
	host_free(pcpu_index);
	pcpu_index = NULL;
	pcpu_index_cap = 0;
	percpu_space_exit();
	return leaked;
}

unsigned long percpu_total_bytes(void)
{
	return atomic_load_relaxed(&pcpu_nr_chunks) * chunk_bytes();
}

/* Where an allocation goes: the free extent at `g` of `c`, from `pos`. */
struct pcpu_fit {
	struct pcpu_chunk *c;
	unsigned int g, pos;
};

/* An extent of `c` in classes [from, c->slot] that holds `n` granules
 * aligned to `a`, looking at fewer than *tries (> 0) extents. */
static bool chunk_fit(struct pcpu_chunk *c, unsigned int from, unsigned int n, unsigned int a,
		      unsigned int *tries, struct pcpu_fit *fit)
{
	for (int cls = (int)from; cls <= c->slot; cls++) {
		for (unsigned int g = c->class_head[cls]; g != PCPU_NONE; g = c->next[g]) {
			long at = extent_fit(c, g, n, a);

			if (at >= 0) {
				*fit = (struct pcpu_fit){ c, g, (unsigned int)at };
				return true;
			}
			if (--*tries == 0)
				return false;
		}
	}
	return false;
}

/* The fullest chunk whose largest extent surely fits, and its smallest
 * such extent; else an extent of a lower class that fits exactly or once
 * aligned, looking at fewer than `tries` of them. */
static bool find_fit_locked(unsigned int n, unsigned int a, unsigned int tries,
			    struct pcpu_fit *fit)
{
	unsigned int sure = class_fitting(n + a - 1);
	uint64_t slots = sure < PCPU_NR_CLASSES ? pcpu_slot_map & (~0ULL << sure) : 0;

	if (slots) {
		struct pcpu_chunk *c = list_first_entry(&pcpu_slots[__builtin_ctzll(slots)],
							struct pcpu_chunk, slot_list);
		unsigned int cls = (unsigned int)__builtin_ctzll(c->class_map & (~0ULL << sure));
		unsigned int g = c->class_head[cls];

		*fit = (struct pcpu_fit){ c, g, (unsigned int)extent_fit(c, g, n, a) };
		return true;
	}
	for (unsigned int s = size_class(n); s < sure && s < PCPU_NR_CLASSES; s++) {
		struct list_head *pos;

		if (!(pcpu_slot_map & (1ULL << s)))
			continue;
		list_for_each(pos, &pcpu_slots[s]) {
			struct pcpu_chunk *c = list_entry(pos, struct pcpu_chunk, slot_list);

			if (chunk_fit(c, size_class(n), n, a, &tries, fit))
				return true;
			if (!tries)
				return false;
		}
	}
	return false;
}

void *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp)
{
	struct pcpu_fit fit;
	unsigned int n, a, dirty;
	char *ptr;

	if (!might_alloc(gfp, "alloc_percpu"))
		return NULL;
	if (!pcpu_unit_size || !size || size > pcpu_unit_size || (align & (align - 1)) ||
	    align > PAGE_SIZE) {
		kmm_warn("alloc_percpu: illegal size (%zu) or align (%zu) for percpu allocation",
			 size, align);
		return NULL;
	}
	n = (unsigned int)((size + PCPU_GRANULE - 1) / PCPU_GRANULE);
	a = (unsigned int)MAX(align / PCPU_GRANULE, 1UL);
	kmm_spin_lock(&pcpu_lock);
	/* A new chunk only when no free extent anywhere fits: the search
	 * that looks at them all runs only on the way to adding one. */
	if (!find_fit_locked(n, a, PCPU_FIT_TRIES, &fit) && !find_fit_locked(n, a, ~0u, &fit)) {
		unsigned int order = get_order(chunk_bytes()), tries = ~0u;
		struct pcpu_chunk *c;
		struct page *page;

		kmm_spin_unlock(&pcpu_lock);
		page = alloc_pages((gfp & ~__GFP_HIGHMEM) | __GFP_COMP | __GFP_ZERO, order);
		if (!page)
			return NULL;
		kmm_spin_lock(&pcpu_lock);
		c = chunk_new_locked(page_address(page), page, order);
		/* one free extent, or two around the NULL granule: any fits */
		if (!c || !chunk_fit(c, 0, n, a, &tries, &fit)) {
			if (c) {
				chunk_unlink_locked(c);
				chunk_free(c);
			}
			kmm_spin_unlock(&pcpu_lock);
			__free_pages(page, order);
			return NULL;
		}
	}
	extent_take(fit.c, fit.g, fit.pos, n);
	/* Only what was handed out before needs zeroing: writing zeroes over
	 * the zeroes of a chunk's fresh memory would make every CPU's copy
	 * resident, used or not. */
	dirty = fit.pos < fit.c->clean_from ? MIN(n, fit.c->clean_from - fit.pos) : 0;
	fit.c->clean_from = MAX(fit.c->clean_from, fit.pos + n);
	kmm_spin_unlock(&pcpu_lock);

	ptr = (char *)((unsigned long)fit.c->base + (unsigned long)fit.pos * PCPU_GRANULE -
		       kmm_cpu_offsets[0]);
	if (dirty) {
		size_t bytes = MIN(size, (size_t)dirty * PCPU_GRANULE);

		for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
			memset(per_cpu_ptr(ptr, cpu), 0, bytes);
		memset(cpu_null_ptr(ptr), 0, bytes);
	}
	return ptr;
}

void *__alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu_gfp(size, align, GFP_KERNEL);
}

void free_percpu(void *ptr)
{
	struct pcpu_chunk *c;
	const char *p;
	unsigned long off;

	if (!ptr)
		return;
	p = per_cpu_ptr((const char *)ptr, 0);
	kmm_spin_lock(&pcpu_lock);
	c = chunk_of_locked(p);
	if (!c) {
		kmm_spin_unlock(&pcpu_lock);
		kmm_bug("free_percpu: %p was not allocated by alloc_percpu", ptr);
		return;
	}
	off = (unsigned long)(p - c->base);
	if (off % PCPU_GRANULE || !is_live_start(c, (unsigned int)(off / PCPU_GRANULE))) {
		kmm_spin_unlock(&pcpu_lock);
		kmm_bug("free_percpu: %p is not the start of a live percpu allocation", ptr);
		return;
	}
	extent_release(c, (unsigned int)(off / PCPU_GRANULE));
	kmm_spin_unlock(&pcpu_lock);
}

unsigned long percpu_release_empty_chunks(void)
{
	struct pcpu_chunk *empty[16];
	unsigned long pages = 0;
	unsigned int n;

	do {
		n = 0;
		kmm_spin_lock(&pcpu_lock);
		for (unsigned int i = pcpu_nr_index; i-- > 0 && n < ARRAY_SIZE(empty);) {
			struct pcpu_chunk *c = pcpu_index[i];

			if (c->page && c->free_granules == c->nr_granules) {
				chunk_unlink_locked(c);
				empty[n++] = c;
			}
		}
		kmm_spin_unlock(&pcpu_lock);
		for (unsigned int i = 0; i < n; i++) {
			pages += 1UL << empty[i]->order;
			__free_pages(empty[i]->page, empty[i]->order);
			chunk_free(empty[i]);
		}
	} while (n == ARRAY_SIZE(empty));
	return pages;
}
