/* Workloads "pages" and "remote": the page allocator directly.
 *
 * pages: blocks of every order from every zone through every entry point
 *   (alloc_pages, __get_free_pages, get_zeroed_page, alloc_pages_exact),
 *   with compound, zeroed and movable/reclaimable variants, held for a
 *   while and freed in random order. Each block is checked for its zone,
 *   its refcount and compound metadata, zeroing, and its stamp.
 *   Interrupt threads allocate orders 0-2 with GFP_ATOMIC, free them in
 *   interrupt context or hand them to another CPU.
 * remote: blocks allocated on one CPU and freed by another through the
 *   rings (the pcp lists of the freeing CPU, the shard of the owner). */
#include <stdlib.h>
#include "stress.h"

#define HELD_MAX	64
#define IRQ_POOL	16
#define DMA_PFN_END	((16UL << 20) >> PAGE_SHIFT)
#define DMA32_PFN_END	((4UL << 30) >> PAGE_SHIFT)

struct pages_state {
	int idx;
	int n;
	unsigned long pages;	/* held, in pages */
	struct obj held[HELD_MAX];
};

static void *pages_thread_init(struct worker *w)
{
	struct pages_state *st = calloc(1, sizeof(*st));

	if (st)
		st->idx = case_index("pages");
	return st;
}

static unsigned int pick_order(uint64_t *rng, unsigned long room)
{
	unsigned int r = rnd_below(rng, 100), order;

	if (r < 50)
		order = 0;
	else if (r < 78)
		order = 1 + rnd_below(rng, 3);
	else if (r < 96)
		order = 4 + rnd_below(rng, 4);
	else
		order = 8 + rnd_below(rng, 3);
	while (order && (1UL << order) > room / 4)
		order--;
	return order;
}

static gfp_t pick_gfp(uint64_t *rng, unsigned int order)
{
	unsigned int r = rnd_below(rng, 100);
	gfp_t gfp;

	if (r < 65)
		gfp = GFP_KERNEL;
	else if (r < 85)
		gfp = GFP_NOWAIT;
	else if (r < 92)
		gfp = GFP_ATOMIC;
	else
		gfp = GFP_NOIO;
	r = rnd_below(rng, 100);
	if (r < 12)
		gfp |= __GFP_DMA;
	else if (r < 30)
		gfp |= __GFP_DMA32;
	else if (r < 45)
		gfp |= __GFP_HIGHMEM;
	/* DMA is 16 MiB for every thread: do not sit out an OOM wait on it. */
	if (gfp & __GFP_DMA)
		gfp |= __GFP_NORETRY;
	r = rnd_below(rng, 100);
	if (r < 20)
		gfp |= __GFP_MOVABLE;
	else if (r < 35)
		gfp |= __GFP_RECLAIMABLE;
	if (order && rnd_chance(rng, 30))
		gfp |= __GFP_COMP;
	if (rnd_chance(rng, 10))
		gfp |= __GFP_ZERO;
	return gfp | __GFP_NOWARN;
}

/* The zone a block came from must be one its gfp allows. */
static void check_zone(const struct page *page, gfp_t gfp, unsigned int order, const char *who)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + (1UL << order);

	if ((gfp & __GFP_DMA) && end > DMA_PFN_END)
		violation("%s: GFP_DMA block pfn %#lx order %u is above 16 MiB", who, pfn, order);
	else if (!stress_layout32 && (gfp & __GFP_DMA32) && end > DMA32_PFN_END)
		violation("%s: GFP_DMA32 block pfn %#lx order %u is above 4 GiB", who, pfn, order);
	else if (!(gfp & __GFP_HIGHMEM) && PageHighMem(page))
		violation("%s: block pfn %#lx order %u is HighMem without __GFP_HIGHMEM (gfp %#x)",
			  who, pfn, order, gfp);
}

static void check_new_page(const struct obj *o, gfp_t gfp, const char *who)
{
	const struct page *page = o->page;

	check_zone(page, gfp, o->order, who);
	if (page_count(page) != 1)
		violation("%s: new block pfn %#lx has refcount %d", who, page_to_pfn(page),
			  page_count(page));
	if ((gfp & __GFP_COMP) && o->order) {
		if (compound_order(page) != o->order ||
		    compound_head(page_nth(page, (1UL << o->order) - 1)) != page)
			violation("%s: compound block pfn %#lx order %u: compound_order %u, "
				  "last tail's head %p", who, page_to_pfn(page), o->order,
				  compound_order(page),
				  (void *)compound_head(page_nth(page, (1UL << o->order) - 1)));
	}
}

/* One allocation through a randomly chosen entry point; false on failure. */
static bool pages_alloc_one(struct worker *w, struct obj *o, unsigned long room)
{
	unsigned int order = pick_order(&w->rng, room), r = rnd_below(&w->rng, 100);
	gfp_t gfp = pick_gfp(&w->rng, order);
	bool zero = gfp & __GFP_ZERO;

	*o = (struct obj){ .cpu = (uint16_t)w->cpu, .order = (uint16_t)order,
			   .size = PAGE_SIZE << order };
	if (r < 70) {
		o->kind = OBJ_PAGES;
		o->page = alloc_pages(gfp, order);
		if (!o->page)
			return false;
		o->addr = page_address(o->page);
		if (!o->addr && !PageHighMem(o->page))
			violation("pages: lowmem block pfn %#lx has no address",
				  page_to_pfn(o->page));
		check_new_page(o, gfp, "alloc_pages");
	} else if (r < 80) {
		o->kind = OBJ_FREE_PAGES;
		o->addr = (void *)__get_free_pages(gfp & ~__GFP_COMP, order);
		if (!o->addr)
			return false;
		check_zone(virt_to_page(o->addr), gfp & ~__GFP_HIGHMEM, order, "__get_free_pages");
	} else if (r < 88) {
		o->kind = OBJ_FREE_PAGES;
		o->order = 0;
		o->size = PAGE_SIZE;
		o->addr = (void *)get_zeroed_page(gfp & ~(__GFP_COMP | __GFP_ZERO));
		if (!o->addr)
			return false;
		zero = true;
	} else {
		o->kind = OBJ_EXACT;
		o->size = (PAGE_SIZE << order) - rnd_below(&w->rng, PAGE_SIZE);
		if (o->size < 64)
			o->size = 64;
		o->addr = alloc_pages_exact(o->size, gfp & ~(__GFP_COMP | __GFP_HIGHMEM));
		if (!o->addr)
			return false;
		check_zone(virt_to_page(o->addr), gfp & ~__GFP_HIGHMEM, 0, "alloc_pages_exact");
	}
	if (zero)
		obj_check_zero(o);
	obj_stamp(o, &w->rng);
	return true;
}

static unsigned long obj_pages(const struct obj *o)
{
	return (o->size + PAGE_SIZE - 1) / PAGE_SIZE;
}

static void drop_held(struct pages_state *st, int i)
{
	st->pages -= obj_pages(&st->held[i]);
	obj_free(&st->held[i]);
	st->held[i] = st->held[--st->n];
}

static void pages_step(struct worker *w, void *arg)
{
	struct pages_state *st = arg;
	unsigned long budget = budget_pages();

	if (!st)
		return;
	for (int i = 0; i < 32; i++) {
		if (st->n < HELD_MAX && st->pages < budget && rnd_chance(&w->rng, 55)) {
			struct obj *o = &st->held[st->n];

			if (pages_alloc_one(w, o, budget - st->pages)) {
				st->pages += obj_pages(o);
				st->n++;
			} else {
				count_fail(st->idx);
			}
		} else if (st->n) {
			drop_held(st, (int)rnd_below(&w->rng, (unsigned int)st->n));
		}
		stat_add(&w->ops[st->idx], 1);
	}
}

/* Interrupt context: GFP_ATOMIC only, orders 0-2. */
static void pages_irq_step(struct worker *w, void *arg)
{
	struct pages_state *st = arg;

	if (!st)
		return;
	for (int i = 0; i < 2; i++) {
		unsigned int order = rnd_chance(&w->rng, 80) ? 0 : 1 + rnd_below(&w->rng, 2);
		gfp_t gfp = GFP_ATOMIC | __GFP_NOWARN;
		struct obj o = { .kind = OBJ_PAGES, .cpu = (uint16_t)w->cpu,
				 .order = (uint16_t)order, .size = PAGE_SIZE << order };
		unsigned long mark;

		if (!stress_layout32 && rnd_chance(&w->rng, 10))
			gfp |= __GFP_DMA32;
		mark = injected_mark();
		o.page = alloc_pages(gfp, order);
		if (!o.page && !order)
			o.page = atomic_fail_check(gfp, mark);
		else if (!o.page)
			count_atomic_fail();
		stat_add(&w->ops[st->idx], 1);
		if (!o.page)
			continue;
		o.addr = page_address(o.page);
		check_new_page(&o, gfp, "irq alloc_pages");
		obj_stamp(&o, &w->rng);
		if (rnd_chance(&w->rng, 30) && ring_push((int)rnd_below(&w->rng, (unsigned)opts.cpus), &o))
			continue;
		if (st->n == IRQ_POOL)
			drop_held(st, (int)rnd_below(&w->rng, IRQ_POOL));
		st->held[st->n++] = o;
		st->pages += obj_pages(&o);
	}
}

static void pages_thread_exit(struct worker *w, void *arg)
{
	struct pages_state *st = arg;

	if (!st)
		return;
	while (st->n)
		drop_held(st, st->n - 1);
	free(st);
}

const struct stress_case case_pages = {
	.name = "pages",
	.help = "alloc_pages & co.: every order, zone and entry point; GFP_ATOMIC in irqs",
	.default_on = true,
	.thread_init = pages_thread_init,
	.step = pages_step,
	.irq_step = pages_irq_step,
	.thread_exit = pages_thread_exit,
};

/* ---- remote ---- */

static int remote_idx;

static int remote_setup(void)
{
	remote_idx = case_index("remote");
	return 0;
}

static void remote_step(struct worker *w, void *arg)
{
	for (int i = 0; i < 8; i++) {
		unsigned int order = rnd_chance(&w->rng, 70) ? 0 : rnd_below(&w->rng, 4);
		gfp_t gfp = (rnd_chance(&w->rng, 80) ? GFP_KERNEL : GFP_NOWAIT) | __GFP_NOWARN;
		struct obj o = { .kind = OBJ_PAGES, .cpu = (uint16_t)w->cpu,
				 .order = (uint16_t)order, .size = PAGE_SIZE << order };
		int to = (w->cpu + 1 + (int)rnd_below(&w->rng, (unsigned)opts.cpus)) % opts.cpus;

		o.page = alloc_pages(gfp, order);
		if (!o.page) {
			count_fail(remote_idx);
			continue;
		}
		o.addr = page_address(o.page);
		obj_stamp(&o, &w->rng);
		if (!ring_push(to, &o))
			obj_free(&o);
		stat_add(&w->ops[remote_idx], 1);
	}
}

const struct stress_case case_remote = {
	.name = "remote",
	.help = "pages allocated on one CPU, freed on another through rings",
	.default_on = true,
	.setup = remote_setup,
	.step = remote_step,
};
