/* The per-CPU allocator (mm/percpu.c): chunks holding one unit per CPU.
 *
 * Every chunk has the same unit size, so one offset table serves all:
 * a per-CPU pointer is the address of the object in CPU 0's unit, and
 * CPU c's copy is at pointer + kmm_per_cpu_offset[c] (= c * unit size).
 * After the CPUs' units every chunk has one more, the null unit (at
 * cpu_null_offset), that no CPU uses: owner fast paths of threads that
 * own no CPU read their copies there (lib/cpu_owner.h).
 * Units are powers of two, 64 KiB or less when a chunk of them would
 * not fit a max-order block (1 KiB at the least), whole cache lines, so
 * copies of different CPUs never share one. The first chunk comes from memblock at boot (kmm's own
 * per-CPU structures live there); later chunks are compound pages from the
 * buddy. Inside a chunk, space is handed out in 16-byte granules, first
 * fit, with the length of each allocation kept at its first granule.
 *
 * Lock: pcpu_lock (LOCK_RANK_PERCPU) protects the chunk list and every
 * chunk's maps. The buddy's locks nest inside. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/list.h"
#include "percpu/percpu_internal.h"

#define PCPU_GRANULE		16
#define PCPU_UNIT_MAX		(64UL << 10)
#define PCPU_UNIT_MIN		(1UL << 10)
#define PCPU_CHUNK_MAX		(PAGE_SIZE << MAX_PAGE_ORDER)

struct pcpu_chunk {
	struct list_head list;
	char *base;			/* CPU 0's unit */
	struct page *page;		/* NULL for the first (memblock) chunk */
	unsigned int order;
	unsigned int nr_granules;
	unsigned int free_granules;
	uint16_t *alloc_len;		/* granules, at each allocation's start; 0: free */
	unsigned char *used;		/* one byte per granule */
};

static unsigned long pcpu_unit_size;
static struct list_head pcpu_chunks = LIST_HEAD_INIT(pcpu_chunks);
static struct kmm_spinlock pcpu_lock;
static unsigned long pcpu_nr_chunks;

static unsigned long chunk_bytes(void)
{
	return pcpu_unit_size * (nr_cpu_ids + 1);
}

static struct pcpu_chunk *chunk_new(char *base, struct page *page, unsigned int order)
{
	struct pcpu_chunk *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base = base;
	c->page = page;
	c->order = order;
	c->nr_granules = (unsigned int)(pcpu_unit_size / PCPU_GRANULE);
	c->free_granules = c->nr_granules;
	c->alloc_len = calloc(c->nr_granules, sizeof(uint16_t));
	c->used = calloc(c->nr_granules, 1);
	if (!c->alloc_len || !c->used) {
		free(c->alloc_len);
		free(c->used);
		free(c);
		return NULL;
	}
	list_add_tail(&c->list, &pcpu_chunks);
	pcpu_nr_chunks++;
	return c;
}

static void chunk_destroy(struct pcpu_chunk *c)
{
	list_del(&c->list);
	pcpu_nr_chunks--;
	if (c->page)
		__free_pages(c->page, c->order);
	free(c->alloc_len);
	free(c->used);
	free(c);
}

int percpu_init(void)
{
	unsigned long unit = PCPU_UNIT_MAX;
	char *base;

	/* Shrink units until a chunk fits one max-order block. */
	while (unit > PCPU_UNIT_MIN && unit * (nr_cpu_ids + 1) > PCPU_CHUNK_MAX)
		unit >>= 1;
	if (unit * (nr_cpu_ids + 1) > PCPU_CHUNK_MAX)
		return -EINVAL;
	pcpu_unit_size = unit;
	kmm_spin_init(&pcpu_lock, "pcpu_lock", LOCK_RANK_PERCPU);
	/* Entries past nr_cpu_ids stay 0 (CPU 0's copy): see KMM_CPU_UNBOUND. */
	kmm_per_cpu_offset = calloc(KMM_CPU_UNBOUND + 1, sizeof(unsigned long));
	if (!kmm_per_cpu_offset)
		return -ENOMEM;
	for (unsigned int c = 0; c < nr_cpu_ids; c++)
		kmm_per_cpu_offset[c] = c * unit;
	cpu_null_offset = nr_cpu_ids * unit;
	base = memblock_alloc(chunk_bytes(), PAGE_SIZE);
	if (!base || !chunk_new(base, NULL, 0))
		return -ENOMEM;
	return 0;
}

unsigned long percpu_exit(void)
{
	unsigned long leaked = 0;

	while (!list_empty(&pcpu_chunks)) {
		struct pcpu_chunk *c = list_first_entry(&pcpu_chunks, struct pcpu_chunk, list);

		/* The first chunk's memblock memory goes with the memfd. */
		leaked += (unsigned long)(c->nr_granules - c->free_granules) * PCPU_GRANULE;
		chunk_destroy(c);
	}
	free(kmm_per_cpu_offset);
	kmm_per_cpu_offset = NULL;
	pcpu_unit_size = 0;
	return leaked;
}

unsigned long percpu_total_bytes(void)
{
	return atomic_load_relaxed(&pcpu_nr_chunks) * chunk_bytes();
}

/* First fit of `n` granules aligned to `align` granules; -1 when full. */
static long chunk_find(struct pcpu_chunk *c, unsigned int n, unsigned int align)
{
	if (c->free_granules < n)
		return -1;
	for (unsigned int start = 0; start + n <= c->nr_granules; start += align) {
		unsigned int i;

		for (i = 0; i < n && !c->used[start + i]; i++)
			;
		if (i == n)
			return start;
	}
	return -1;
}

void *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp)
{
	unsigned int n, a;
	struct pcpu_chunk *c;
	struct list_head *pos;
	long start = -1;
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
	list_for_each(pos, &pcpu_chunks) {
		c = container_of(pos, struct pcpu_chunk, list);
		start = chunk_find(c, n, a);
		if (start >= 0)
			break;
	}
	if (start < 0) {
		/* A new chunk from the buddy, allocated without pcpu_lock:
		 * reclaim may run and its shrinkers take pcpu_lock. */
		unsigned int order = get_order(chunk_bytes());
		struct page *page;

		kmm_spin_unlock(&pcpu_lock);
		page = alloc_pages((gfp & ~__GFP_HIGHMEM) | __GFP_COMP | __GFP_ZERO, order);
		if (!page)
			return NULL;
		kmm_spin_lock(&pcpu_lock);
		c = chunk_new(page_address(page), page, order);
		if (!c) {
			kmm_spin_unlock(&pcpu_lock);
			__free_pages(page, order);
			return NULL;
		}
		start = 0;
	}
	memset(c->used + start, 1, n);
	c->alloc_len[start] = (uint16_t)n;
	c->free_granules -= n;
	kmm_spin_unlock(&pcpu_lock);

	ptr = c->base + start * PCPU_GRANULE;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		memset(ptr + kmm_per_cpu_offset[cpu], 0, size);
	memset(ptr + cpu_null_offset, 0, size);
	return ptr;
}

void *__alloc_percpu(size_t size, size_t align)
{
	return __alloc_percpu_gfp(size, align, GFP_KERNEL);
}

void free_percpu(void *ptr)
{
	struct list_head *pos;
	char *p = ptr;

	if (!ptr)
		return;
	kmm_spin_lock(&pcpu_lock);
	list_for_each(pos, &pcpu_chunks) {
		struct pcpu_chunk *c = container_of(pos, struct pcpu_chunk, list);
		unsigned long off;
		unsigned int start, n;

		if (p < c->base || p >= c->base + pcpu_unit_size)
			continue;
		off = (unsigned long)(p - c->base);
		start = (unsigned int)(off / PCPU_GRANULE);
		n = c->alloc_len[start];
		if (off % PCPU_GRANULE || !n) {
			kmm_spin_unlock(&pcpu_lock);
			kmm_bug("free_percpu: %p is not the start of a live percpu allocation", ptr);
			return;
		}
		memset(c->used + start, 0, n);
		c->alloc_len[start] = 0;
		c->free_granules += n;
		kmm_spin_unlock(&pcpu_lock);
		return;
	}
	kmm_spin_unlock(&pcpu_lock);
	kmm_bug("free_percpu: %p was not allocated by alloc_percpu", ptr);
}

unsigned long percpu_release_empty_chunks(void)
{
	struct list_head *pos, *n;
	struct list_head empty = LIST_HEAD_INIT(empty);
	unsigned long pages = 0;

	kmm_spin_lock(&pcpu_lock);
	list_for_each_safe(pos, n, &pcpu_chunks) {
		struct pcpu_chunk *c = container_of(pos, struct pcpu_chunk, list);

		if (c->page && c->free_granules == c->nr_granules) {
			list_move(&c->list, &empty);
			pcpu_nr_chunks--;
			pages += 1UL << c->order;
		}
	}
	kmm_spin_unlock(&pcpu_lock);
	list_for_each_safe(pos, n, &empty) {
		struct pcpu_chunk *c = container_of(pos, struct pcpu_chunk, list);

		list_del(&c->list);
		__free_pages(c->page, c->order);
		free(c->alloc_len);
		free(c->used);
		free(c);
	}
	return pages;
}
