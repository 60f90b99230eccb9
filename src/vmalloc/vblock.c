/* vmap blocks: small vmalloc areas packed into blocks that are mapped once
 * (the kernel packs small vm_map_ram areas into vmap blocks the same way).
 *
 * Why: every mapping costs the host a VMA, and a process has at most
 * vm.max_map_count of them (65530 by default). An area mapped on its own
 * costs two (its mapping, and the split of the PROT_NONE reservation at its
 * guard page), so one-page areas would stop at about 32k live. A block is
 * VMAP_BLOCK_PAGES physically contiguous pages (one buddy block) mapped
 * with one mmap and followed by one guard page: areas of up to
 * VMAP_BLOCK_MAX_AREA pages carved from it cost no mapping at all, so a
 * million one-page areas need some 32k mappings.
 *
 * What a small area gives up: its own guard page (the block's last area
 * has one; in an ASan build every page of a block not handed out is
 * poisoned), and the physical scattering of its pages when memory is
 * fragmented: a block needs a free block of VMAP_BLOCK_ORDER, taken
 * without reclaim, and when there is none the area is mapped on its own
 * from single pages as before (vmalloc.c). vmalloc_to_page() and the
 * direct-map aliasing are those of any vmalloc area.
 *
 * Each CPU has a queue of its blocks that have a free page. vmalloc takes
 * the first fitting run of free pages in a block of its CPU's queue, or a
 * new block. vfree (from any CPU) clears the area's pages; a block that
 * becomes empty stays as the CPU's spare while it has none, and otherwise
 * goes to the lazy list, to be unmapped and freed by the purge with any
 * other lazy area. The purge also takes every empty block.
 *
 * Per block, three bitmaps of its pages: used (handed out), starts (first
 * page of a live area, its length in len[]) and freed (first page of an
 * area freed since, so a second vfree of it reads "double vfree").
 *
 * Locks: a queue's lock (LOCK_RANK_VMAP_BLOCK) protects its list, its
 * nr_empty and the bitmaps, lengths and callers of every block of that
 * CPU. It nests inside the lock of the block's vmap node (vfree and
 * vmalloc_to_page find the block through the node's busy tree); vmalloc
 * takes it alone. A block is freed only after it went lazy with no live
 * area, under both locks, so whoever finds it live under the node lock can
 * take the queue lock safely. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/host_mem.h"
#include "vmalloc/mapping.h"
#include "vmalloc/pages.h"
#include "vmalloc/vblock.h"

_Static_assert(VMAP_BLOCK_PAGES == 8 * sizeof(unsigned long), "one bitmap word per block");

struct vmap_block {
	struct vmap_area *va;
	struct list_head list;		/* its queue, while it has a free page */
	unsigned long used, starts, freed;
	unsigned int cpu;
	bool queued;
	unsigned char len[VMAP_BLOCK_PAGES];
	const void *caller[VMAP_BLOCK_PAGES];
};

struct vblock_queue {
	struct kmm_spinlock lock;
	struct list_head blocks;	/* blocks with a free page */
	unsigned int nr_empty;		/* of them, blocks with no area; read lockless */
} cacheline_aligned;

static struct vblock_queue *vb_queues;

int vblock_init(void)
{
	vb_queues = host_aligned_alloc(CACHELINE, sizeof(*vb_queues) * nr_cpu_ids);
	if (!vb_queues)
		return -ENOMEM;
	for (unsigned int i = 0; i < nr_cpu_ids; i++) {
		kmm_spin_init(&vb_queues[i].lock, "vmap block queue", LOCK_RANK_VMAP_BLOCK);
		INIT_LIST_HEAD(&vb_queues[i].blocks);
		vb_queues[i].nr_empty = 0;
	}
	return 0;
}

/* After the last purge and the leak report, which freed every block. */
void vblock_exit(void)
{
	host_free(vb_queues);
	vb_queues = NULL;
}

void vblock_free_struct(struct vmap_area *va)
{
	host_free(va->block);
	va->block = NULL;
}

/* The first page of a run of n free pages in `used`, or -1. */
static int find_run(unsigned long used, unsigned long n)
{
	unsigned long m = ~used;

	for (unsigned long i = 1; i < n; i++)
		m &= m >> 1;
	return m ? __builtin_ctzl(m) : -1;
}

static unsigned long block_addr(const struct vmap_block *b, unsigned long bit)
{
	return b->va->va_start + (bit << PAGE_SHIFT);
}

static void *take_run_locked(struct vblock_queue *q, struct vmap_block *b, unsigned long bit,
			     unsigned long n, const void *caller)
{
	unsigned long mask = ((1UL << n) - 1) << bit;

	lock_assert_held(&q->lock);
	if (!b->used)
		atomic_store_relaxed(&q->nr_empty, q->nr_empty - 1);
	b->used |= mask;
	b->starts |= 1UL << bit;
	b->freed &= ~mask;
	b->len[bit] = (unsigned char)n;
	b->caller[bit] = caller;
	if (b->used == ~0UL) {
		list_del(&b->list);
		b->queued = false;
	}
	return (void *)block_addr(b, bit);
}

/* A new block for `cpu`: its pages at once, without reclaim (a vmalloc
 * that cannot have one maps its area on its own), mapped and poisoned.
 * The pages are split (alloc_pages_exact), so each is an order-0 vmalloc
 * page as any other vmalloc area's, freed one by one by the purge. A
 * shortage of mappings or address space sets *purge, quietly: the
 * caller's retry, or its own mapping, reports it. */
static struct vmap_block *vblock_new(gfp_t gfp, unsigned int cpu, bool *purge)
{
	gfp_t g = (gfp & ~(__GFP_ZERO | __GFP_RECLAIM | __GFP_NOFAIL)) | __GFP_NOWARN |
		  __GFP_NOMEMALLOC;
	struct vmap_block *b = host_calloc(1, sizeof(*b));
	struct vmap_area *va = host_calloc(1, sizeof(*va));
	struct page **pages = host_alloc(VMAP_BLOCK_PAGES * sizeof(*pages));
	struct page *page = NULL;
	enum vmap_map_result res;
	void *mem;

	if (b && va && pages && (mem = alloc_pages_exact(VMAP_BLOCK_PAGES << PAGE_SHIFT, g)))
		page = virt_to_page(mem);
	if (!page) {
		host_free(b);
		host_free(va);
		host_free(pages);
		return NULL;
	}
	for (unsigned int i = 0; i < VMAP_BLOCK_PAGES; i++)
		pages[i] = page + i;
	va->pages = pages;
	va->nr_pages = VMAP_BLOCK_PAGES;
	va->block = b;
	b->va = va;
	b->cpu = cpu;
	vmap_account_page_blocks(pages, VMAP_BLOCK_PAGES);
	res = vmap_map_area_try(va, VM_ALLOC | VA_BLOCK, &vmap_where_default);
	if (res != VMAP_MAPPED) {
		*purge = vmap_map_short(res);
		if (*purge)
			host_free(va);	/* else the failed mapping took it */
		vmap_free_page_blocks(pages, VMAP_BLOCK_PAGES, true);
		host_free(pages);
		host_free(b);
		return NULL;
	}
	kasan_poison((void *)va->va_start, VMAP_BLOCK_PAGES << PAGE_SHIFT);
	return b;
}

void *vblock_alloc(unsigned long nr_pages, const void *caller)
{
	struct vblock_queue *q = &vb_queues[cpu_id()];
	struct list_head *pos;
	void *addr = NULL;

	kmm_spin_lock(&q->lock);
	list_for_each(pos, &q->blocks) {
		struct vmap_block *b = list_entry(pos, struct vmap_block, list);
		int bit = find_run(b->used, nr_pages);

		if (bit >= 0) {
			addr = take_run_locked(q, b, (unsigned long)bit, nr_pages, caller);
			break;
		}
	}
	kmm_spin_unlock(&q->lock);
	if (addr)
		kasan_unpoison(addr, nr_pages << PAGE_SHIFT);
	return addr;
}

void *vblock_alloc_new(unsigned long nr_pages, gfp_t gfp, const void *caller, bool *purge)
{
	unsigned int cpu = (unsigned int)cpu_id();
	struct vblock_queue *q = &vb_queues[cpu];
	struct vmap_block *b = vblock_new(gfp, cpu, purge);
	void *addr;

	if (!b)
		return NULL;
	kmm_spin_lock(&q->lock);
	list_add(&b->list, &q->blocks);
	b->queued = true;
	atomic_store_relaxed(&q->nr_empty, q->nr_empty + 1);
	addr = take_run_locked(q, b, 0, nr_pages, caller);
	kmm_spin_unlock(&q->lock);
	kasan_unpoison(addr, nr_pages << PAGE_SHIFT);
	return addr;
}

bool vblock_free_locked(struct vmap_area *va, unsigned long addr, bool may_release,
			enum vblock_miss *why, bool *released)
{
	struct vmap_block *b = va->block;
	struct vblock_queue *q = &vb_queues[b->cpu];
	unsigned long bit = (addr - va->va_start) >> PAGE_SHIFT;
	bool ok = false;

	kmm_spin_lock(&q->lock);
	if (!(addr & ~PAGE_MASK) && ((b->starts >> bit) & 1)) {
		unsigned long n = b->len[bit], bytes = n << PAGE_SHIFT;

		if (kmm_config.init_on_free)
			memset((void *)addr, 0, bytes);
		kasan_poison((void *)addr, bytes);
		b->used &= ~(((1UL << n) - 1) << bit);
		b->starts &= ~(1UL << bit);
		b->freed |= 1UL << bit;
		b->caller[bit] = NULL;
		if (!b->queued) {
			list_add(&b->list, &q->blocks);
			b->queued = true;
		}
		if (!b->used) {
			/* One spare per CPU; more go, but never from an
			 * interrupt (the purge needs process context). */
			if (may_release && q->nr_empty) {
				list_del(&b->list);
				b->queued = false;
				atomic_store_relaxed(&va->flags, atomic_load_relaxed(&va->flags) | VA_LAZY);
				*released = true;
			} else {
				atomic_store_relaxed(&q->nr_empty, q->nr_empty + 1);
			}
		}
		ok = true;
	} else {
		*why = ((b->used >> bit) & 1) ? VB_INSIDE : ((b->freed >> bit) & 1) ? VB_DOUBLE : VB_NONE;
	}
	kmm_spin_unlock(&q->lock);
	return ok;
}

struct page *vblock_to_page_locked(struct vmap_area *va, unsigned long addr)
{
	struct vmap_block *b = va->block;
	struct vblock_queue *q = &vb_queues[b->cpu];
	unsigned long bit = (addr - va->va_start) >> PAGE_SHIFT;
	struct page *page = NULL;

	kmm_spin_lock(&q->lock);
	if ((b->used >> bit) & 1)
		page = va->pages[bit];
	kmm_spin_unlock(&q->lock);
	return page;
}

unsigned long vblock_area_pages_locked(struct vmap_area *va, unsigned long addr)
{
	struct vmap_block *b = va->block;
	struct vblock_queue *q = &vb_queues[b->cpu];
	unsigned long bit = (addr - va->va_start) >> PAGE_SHIFT, nr = 0;

	if (addr & (PAGE_SIZE - 1))
		return 0;
	kmm_spin_lock(&q->lock);
	if ((b->starts >> bit) & (b->used >> bit) & 1)
		nr = b->len[bit];
	kmm_spin_unlock(&q->lock);
	return nr;
}

void vblock_for_each_area_locked(struct vmap_area *va,
				 void (*fn)(unsigned long start, unsigned long nr_pages,
					    const void *caller, void *arg), void *arg)
{
	struct vmap_block *b = va->block;
	struct vblock_queue *q = &vb_queues[b->cpu];

	kmm_spin_lock(&q->lock);
	for (unsigned long s = b->starts; s; s &= s - 1) {
		unsigned long bit = (unsigned long)__builtin_ctzl(s);

		fn(block_addr(b, bit), b->len[bit], b->caller[bit], arg);
	}
	kmm_spin_unlock(&q->lock);
}

unsigned long vblock_drain_link(void)
{
	struct list_head empty;
	unsigned long pages = 0;

	if (!vb_queues)
		return 0;
	INIT_LIST_HEAD(&empty);
	for (unsigned int i = 0; i < nr_cpu_ids; i++) {
		struct vblock_queue *q = &vb_queues[i];
		struct list_head *pos, *tmp;

		if (!atomic_load_relaxed(&q->nr_empty))
			continue;
		kmm_spin_lock(&q->lock);
		list_for_each_safe(pos, tmp, &q->blocks) {
			struct vmap_block *b = list_entry(pos, struct vmap_block, list);

			if (b->used)
				continue;
			list_move(&b->list, &empty);
			b->queued = false;
			atomic_store_relaxed(&q->nr_empty, q->nr_empty - 1);
		}
		kmm_spin_unlock(&q->lock);
	}
	/* Off every queue with no live area: nothing can reach them but
	 * lookups, which see no page. */
	while (!list_empty(&empty)) {
		struct vmap_block *b = list_first_entry(&empty, struct vmap_block, list);
		struct vmap_area *va = b->va;
		struct vmap_node *vn = addr_to_node(va->va_start);

		list_del(&b->list);
		pages += va_size(va) >> PAGE_SHIFT;
		kmm_spin_lock(&vn->lock);
		atomic_store_relaxed(&va->flags, atomic_load_relaxed(&va->flags) | VA_LAZY);
		list_add_tail(&va->lazy, &vn->lazy);
		kmm_spin_unlock(&vn->lock);
	}
	return pages;
}
