/* Workload "vmalloc" (built when kmm has vmalloc): vmalloc/vzalloc/
 * vmalloc_32/__vmalloc and, when kmm has them, kvmalloc/kvzalloc/kvcalloc
 * of many sizes, and vmap of separately allocated pages. Each page of an
 * area is stamped through the area and read back through
 * vmalloc_to_page() and the direct map (or kmap for HighMem), so a page
 * mapped at the wrong place, or shared by two areas, is caught. */
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define HELD_MAX	16
#define VMAP_MAX	32

struct vm_state {
	int n;
	unsigned long pages;
	struct obj o[HELD_MAX];
};

static int vmalloc_idx;

static void *vm_thread_init(struct worker *w)
{
	return w->irq ? NULL : calloc(1, sizeof(struct vm_state));
}

/* The first 16 bytes of each page of a vmalloc area, read through the
 * page's other mapping. */
static void check_alias(const struct obj *o)
{
	size_t npages = o->size / PAGE_SIZE;

	for (size_t i = 0; i < npages; i++) {
		const char *va = (const char *)o->addr + i * PAGE_SIZE;
		struct page *pg = vmalloc_to_page(va);
		void *direct;

		if (!pg) {
			violation("vmalloc_to_page(%p) is NULL inside a live area of %zu bytes",
				  (const void *)va, o->size);
			return;
		}
		if (vmalloc_to_pfn(va) != page_to_pfn(pg))
			violation("vmalloc_to_pfn(%p) %#lx != page_to_pfn %#lx", (const void *)va,
				  vmalloc_to_pfn(va), page_to_pfn(pg));
		direct = page_address(pg);
#ifdef STRESS_HAVE_KMAP
		/* HighMem: each kmap is an mmap call, so a sample of pages. */
		if (!direct && (i % 8 == 0 || i == npages - 1)) {
			void *k = kmap_local_page(pg);

			if (memcmp(k, va, 16))
				violation("vmalloc area %p page %zu differs through kmap", o->addr, i);
			kunmap_local(k);
			continue;
		}
#endif
		if (direct && memcmp(direct, va, 16))
			violation("vmalloc area %p page %zu differs through the direct map", o->addr, i);
	}
}

static bool vm_alloc_one(struct worker *w, struct obj *o, unsigned long room)
{
	unsigned int r = rnd_below(&w->rng, 100);
	size_t size = 1 + rnd_below(&w->rng, (unsigned)(PAGE_SIZE * (1 + rnd_below(&w->rng, 64))));
	bool zero = false, vm = true;
	void *p;

	while ((size >> PAGE_SHIFT) + 1 > room / 2 && size > PAGE_SIZE)
		size /= 2;
	if (r < 35) {
		p = vmalloc(size);
	} else if (r < 50) {
		p = vzalloc(size);
		zero = true;
	} else if (r < 60) {
		p = vmalloc_32(size);
		if (p && !stress_layout32 && page_to_pfn(vmalloc_to_page(p)) >= (4UL << 30) >> PAGE_SHIFT)
			violation("vmalloc_32 area %p has a page above 4 GiB", p);
	} else if (r < 70) {
		gfp_t gfp = GFP_KERNEL | (rnd_chance(&w->rng, 50) ? __GFP_HIGHMEM : 0);

		zero = rnd_chance(&w->rng, 30);
		p = __vmalloc(size, gfp | (zero ? __GFP_ZERO : 0));
	} else {
#ifdef STRESS_HAVE_KVMALLOC
		vm = false;
		if (r < 85) {
			p = kvmalloc(size, GFP_KERNEL);
		} else if (r < 93) {
			p = kvzalloc(size, GFP_KERNEL);
			zero = true;
		} else {
			size_t n = 1 + rnd_below(&w->rng, 16);

			size = (size + n - 1) / n;
			p = kvcalloc(n, size, GFP_KERNEL);
			size *= n;
			zero = true;
		}
#else
		p = vmalloc(size);
#endif
	}
	if (!p)
		return false;
	if (vm && !is_vmalloc_addr(p))
		violation("vmalloc returned %p, outside vmalloc space", p);
	*o = (struct obj){ .kind = vm ? OBJ_VMALLOC : OBJ_KVMALLOC, .addr = p, .size = size,
			   .cpu = (uint16_t)w->cpu };
	if (zero)
		obj_check_zero(o);
	/* The stamp puts 16 bytes at the start of every page: each alias
	 * can be compared. */
	obj_stamp(o, &w->rng);
	if (vm)
		check_alias(o);
	return true;
}

/* vmap of order-0 pages allocated one by one. */
static void vmap_once(struct worker *w)
{
	unsigned int n = 1 + rnd_below(&w->rng, VMAP_MAX);
	struct page *pages[VMAP_MAX];
	unsigned int got = 0;
	unsigned char *v;

	for (; got < n; got++) {
		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN |
			    (rnd_chance(&w->rng, 50) ? __GFP_HIGHMEM : 0);

		pages[got] = alloc_pages(gfp, 0);
		if (!pages[got])
			break;
	}
	if (got) {
		v = vmap(pages, got, VM_MAP, PAGE_KERNEL);
		if (v) {
			for (unsigned int i = 0; i < got; i++) {
				uint64_t st[2] = { MAGIC_PAGE ^ i, (uint64_t)(uintptr_t)v };

				memcpy(v + i * PAGE_SIZE, st, sizeof(st));
				if (vmalloc_to_page(v + i * PAGE_SIZE) != pages[i])
					violation("vmap %p page %u maps the wrong page", (void *)v, i);
			}
			for (unsigned int i = 0; i < got; i++) {
				void *d = page_address(pages[i]);
				uint64_t st[2];

				if (!d)
					continue;
				memcpy(st, d, sizeof(st));
				if (st[0] != (MAGIC_PAGE ^ i) || st[1] != (uint64_t)(uintptr_t)v)
					violation("vmap %p page %u: write not seen through the direct map",
						  (void *)v, i);
			}
			vunmap(v);
		} else {
			count_fail(vmalloc_idx);
		}
	}
	for (unsigned int i = 0; i < got; i++)
		__free_pages(pages[i], 0);
}

static void vm_step(struct worker *w, void *arg)
{
	struct vm_state *st = arg;
	unsigned long budget = budget_pages() / 2;

	if (!st)
		return;
	for (int i = 0; i < 4; i++) {
		stat_add(&w->ops[vmalloc_idx], 1);
		if (rnd_chance(&w->rng, 10)) {
			vmap_once(w);
		} else if (st->n < HELD_MAX && st->pages < budget && rnd_chance(&w->rng, 55)) {
			struct obj *o = &st->o[st->n];

			if (!vm_alloc_one(w, o, budget - st->pages)) {
				count_fail(vmalloc_idx);
				continue;
			}
			st->pages += (o->size + PAGE_SIZE - 1) >> PAGE_SHIFT;
			st->n++;
		} else if (st->n) {
			int k = (int)rnd_below(&w->rng, (unsigned)st->n);

			if (st->o[k].kind == OBJ_VMALLOC)
				check_alias(&st->o[k]);
			st->pages -= (st->o[k].size + PAGE_SIZE - 1) >> PAGE_SHIFT;
			obj_free(&st->o[k]);
			st->o[k] = st->o[--st->n];
		}
	}
}

static void vm_thread_exit(struct worker *w, void *arg)
{
	struct vm_state *st = arg;

	if (!st)
		return;
	while (st->n)
		obj_free(&st->o[--st->n]);
	free(st);
}

static int vm_setup(void)
{
	vmalloc_idx = case_index("vmalloc");
	return 0;
}

const struct stress_case case_vmalloc = {
	.name = "vmalloc",
	.help = "vmalloc/vzalloc/vmalloc_32/__vmalloc, kvmalloc family, vmap",
	.default_on = true,
	.setup = vm_setup,
	.thread_init = vm_thread_init,
	.step = vm_step,
	.thread_exit = vm_thread_exit,
};
