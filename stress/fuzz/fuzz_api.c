/* libFuzzer target: an input is a sequence of kmm API calls.
 *
 * kmm is booted once (32 MiB, 2 CPUs). Each input byte stream decodes to
 * operations: allocations with arbitrary orders, sizes and gfp flags
 * (conflicting zone modifiers and sleeping flags in interrupt context
 * included), correct frees, and deliberate misuse: wrong-order frees,
 * double frees, foreign and interior pointers, tail pages, blocks kmm
 * never handed out. A table of live allocations tracks what the input
 * owns, each block stamped with a seeded payload.
 *
 * After every call: the number of new kmm reports is exactly what the
 * call deserves (0 for valid calls, 1 for each misuse), and a refused
 * misuse changed nothing (free pages after drain_all_pages are the same).
 * At the end of the input everything is freed and free memory is back to
 * its boot value. Any difference aborts, which libFuzzer records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"


#define LIVE_MAX	48

enum kind { K_PAGES, K_FREE_PAGES, K_EXACT, K_KMALLOC, K_CACHE, K_VMALLOC };

/* Kinds whose pages come straight from the buddy (counted in live_pages). */
static bool kind_is_pages(enum kind k)
{
	return k == K_PAGES || k == K_FREE_PAGES || k == K_EXACT;
}

struct live {
	enum kind kind;
	struct page *page;
	void *addr;
	unsigned int order;
	size_t size;
	uint64_t seed;
};

static struct live live[LIVE_MAX];
static int nr_live;
static unsigned long live_pages, cap_pages, boot_free;
static int irq_depth;
/* Set by vmalloc and slab calls: their metadata and lazy frees keep free
 * pages from adding up exactly until the end of the input. */
static bool inexact;
/* kfree_rcu frees from liburcu's callback thread, when it likes: while
 * some may be pending, free pages are compared only after rcu_barrier(),
 * which runs every RCU_SETTLE inputs (it waits for a grace period). */
static bool rcu_dirty;
static unsigned long nr_inputs;
#define RCU_SETTLE 256
static const uint8_t *in;
static size_t in_len;
#ifdef STRESS_HAVE_SLAB
static struct kmem_cache *cache_a, *cache_b;
#endif

#define fuzz_assert(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz_api: invariant failed: " __VA_ARGS__); \
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

static uint8_t next(void)
{
	uint8_t b;

	if (!in_len)
		return 0;
	b = *in++;
	in_len--;
	return b;
}

static uint32_t next32(void)
{
	return next() | (uint32_t)next() << 8 | (uint32_t)next() << 16 | (uint32_t)next() << 24;
}

static unsigned long free_after_drain(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

/* Runs `stmt`, which must produce exactly `want` reports. */
#define EXPECT_REPORTS(want, what, stmt) do {				\
	unsigned long b_ = kmm_report_count();			\
	stmt;								\
	fuzz_assert(kmm_report_count() - b_ == (unsigned long)(want), \
		    "%s: %lu reports, expected %lu", (what),		\
		    kmm_report_count() - b_, (unsigned long)(want));	\
} while (0)

/* A misuse must be reported once and change nothing. */
#define EXPECT_REFUSED(want, what, stmt) do {				\
	unsigned long f_ = free_after_drain();				\
	EXPECT_REPORTS(want, what, stmt);				\
	fuzz_assert(rcu_dirty || free_after_drain() == f_,		\
		    "%s changed free pages: %lu -> %lu", (what), f_, nr_free_pages()); \
} while (0)

static void fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		c[i] = (unsigned char)(seed >> 56);
	}
}

static void check(const void *p, size_t n, uint64_t seed, const char *what)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		fuzz_assert(c[i] == (unsigned char)(seed >> 56), "%s: payload of %p corrupted at %zu",
			    what, p, i);
	}
}

static size_t stamp_len(const struct live *l)
{
	return l->size < 64 ? l->size : 64;
}

static void track(struct live l)
{
	l.seed = ((uint64_t)next32() << 32) | next32() | 1;
	if (l.addr && l.size)
		fill(l.addr, stamp_len(&l), l.seed);
	if (kind_is_pages(l.kind))
		live_pages += (l.size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	live[nr_live++] = l;
}

static void free_live_raw(const struct live *l)
{
	switch (l->kind) {
	case K_PAGES:		__free_pages(l->page, l->order); break;
	case K_FREE_PAGES:	free_pages((unsigned long)l->addr, l->order); break;
	case K_EXACT:		free_pages_exact(l->addr, l->size); break;
#ifdef STRESS_HAVE_SLAB
	case K_KMALLOC:		kfree(l->addr); break;
	case K_CACHE:
		kmem_cache_free(l->order ? cache_b : cache_a, (char *)l->addr - 16);
		break;
#endif
#ifdef STRESS_HAVE_VMALLOC
	case K_VMALLOC:		vfree(l->addr); break;
#endif
	default: break;
	}
}

/* Frees live[i] correctly: no report. */
static struct live untrack_free(int i)
{
	struct live l = live[i];

	if (l.addr && l.size)
		check(l.addr, stamp_len(&l), l.seed, "free");
	EXPECT_REPORTS(0, "valid free", free_live_raw(&l));
	if (kind_is_pages(l.kind))
		live_pages -= (l.size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	live[i] = live[--nr_live];
	return l;
}

static gfp_t decode_gfp(uint8_t a, uint8_t b)
{
	static const gfp_t base[] = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_NOIO, GFP_NOFS,
				      GFP_USER, GFP_KERNEL | __GFP_NORETRY,
				      GFP_KERNEL | __GFP_RETRY_MAYFAIL };
	gfp_t gfp = base[a & 7] | ((a >> 3) & 7);	/* zone bits, conflicts included */

	if (a & 0x40)
		gfp |= __GFP_COMP;
	if (a & 0x80)
		gfp |= __GFP_ZERO;
	if (b & 1)
		gfp |= __GFP_NOWARN;
	if (b & 2)
		gfp |= __GFP_NOFAIL;
	if (b & 4)
		gfp |= __GFP_MOVABLE;
	else if (b & 8)
		gfp |= __GFP_RECLAIMABLE;
	return gfp;
}

static bool zone_bits_bad(gfp_t gfp)
{
	gfp_t z = gfp & (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32);

	return z & (z - 1);
}

/* The reports alloc_pages() owes a call: the first check that fails. */
static int alloc_expect(gfp_t gfp, unsigned int order)
{
	if (order > MAX_PAGE_ORDER)
		return (gfp & __GFP_NOWARN) ? 0 : 1;
	if ((gfp & __GFP_NOFAIL) && order > 1)
		return 1;
	if (zone_bits_bad(gfp))
		return 1;
	if (irq_depth && (gfp & __GFP_DIRECT_RECLAIM))
		return 1;
	return 0;
}

static void check_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i += 61)
		fuzz_assert(!c[i], "__GFP_ZERO memory at %p has %#x at %zu", p, c[i], i);
}

static void op_alloc(void)
{
	gfp_t gfp = decode_gfp(next(), next());
	unsigned int order = next() % 13, how = next() % 4;
	int want = alloc_expect(gfp, order);
	struct live l = { .order = order, .size = PAGE_SIZE << (order > 10 ? 0 : order) };

	if (!want && (live_pages + (1UL << order) > cap_pages || nr_live == LIVE_MAX))
		return;	/* stay far from OOM: GFP_KERNEL would wait for frees */
	/* A sleeping __GFP_NOFAIL waits, without bound, until memory comes
	 * back (there is no OOM killer): the harness, the only allocator
	 * here, first gives back all it holds, so that memory does come. */
	if (!want && (gfp & __GFP_NOFAIL) && (gfp & __GFP_DIRECT_RECLAIM))
		while (nr_live)
			untrack_free(nr_live - 1);
	if (how == 0 || want) {
		l.kind = K_PAGES;
		EXPECT_REPORTS(want, "alloc_pages", l.page = alloc_pages(gfp, order));
		if (!l.page)
			return;
		fuzz_assert(!want, "alloc_pages(%#x, %u) succeeded but is misuse", gfp, order);
		fuzz_assert(!(gfp & __GFP_DMA) || page_to_pfn(l.page) + (1UL << order) <= 4096,
			    "GFP_DMA page above 16 MiB");
		l.addr = page_address(l.page);
	} else if (how == 1) {
		l.kind = K_FREE_PAGES;
		EXPECT_REPORTS(0, "__get_free_pages",
			       l.addr = (void *)__get_free_pages(gfp & ~__GFP_COMP, order));
	} else if (how == 2) {
		l.kind = K_EXACT;
		l.size = (PAGE_SIZE << order) - (next32() % PAGE_SIZE);
		EXPECT_REPORTS(0, "alloc_pages_exact", l.addr = alloc_pages_exact(l.size, gfp));
	} else {
		l.kind = K_FREE_PAGES;
		l.order = 0;
		l.size = PAGE_SIZE;
		EXPECT_REPORTS(0, "get_zeroed_page",
			       l.addr = (void *)get_zeroed_page(gfp & ~__GFP_COMP));
		if (l.addr)
			check_zero(l.addr, PAGE_SIZE);
	}
	if (!l.addr && !l.page)
		return;
	if ((gfp & __GFP_ZERO) && l.addr)
		check_zero(l.addr, l.size);
	track(l);
}

static void op_free(void)
{
	if (nr_live)
		untrack_free(next() % nr_live);
}

static int page_kind_live(void)
{
	for (int tries = 0; tries < 4 && nr_live; tries++) {
		int i = next() % nr_live;

		if (live[i].kind == K_PAGES || live[i].kind == K_FREE_PAGES)
			return i;
	}
	return -1;
}

static void op_wrong_order(void)
{
	int i = page_kind_live();
	unsigned int bad;

	if (i < 0)
		return;
	bad = (live[i].order + 1 + next() % 12) % 13;
	if (live[i].kind == K_PAGES)
		EXPECT_REFUSED(1, "wrong-order __free_pages", __free_pages(live[i].page, bad));
	else
		EXPECT_REFUSED(1, "wrong-order free_pages",
			       free_pages((unsigned long)live[i].addr, bad));
}

static void op_double_free(void)
{
	struct live l;
	unsigned long pages;

	if (!nr_live)
		return;
	l = untrack_free(next() % nr_live);
	pages = (l.size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	EXPECT_REFUSED(l.kind == K_EXACT ? pages : 1, "double free", free_live_raw(&l));
}

static void op_foreign(void)
{
	static char __attribute__((aligned(4096))) outside[2 * 4096];
	uint8_t v = next() % 7;
	int i;

	switch (v) {
	case 0:
		EXPECT_REFUSED(1, "free_pages(static buffer)",
			       free_pages((unsigned long)outside, next() % 11));
		break;
	case 1:
		EXPECT_REFUSED(1, "__free_pages(bogus struct page)",
			       __free_pages((struct page *)(outside + (next() & 0x3f)), 0));
		break;
	case 2:
		i = page_kind_live();
		if (i >= 0 && live[i].order > 0 && live[i].addr) {
			struct page *head = virt_to_page(live[i].addr);
			unsigned long t = 1 + next32() % ((1UL << live[i].order) - 1);

			EXPECT_REFUSED(1, "free of a tail page", __free_pages(head + t, next() % 3));
		}
		break;
	case 3:
		i = page_kind_live();
		if (i >= 0 && live[i].addr)
			EXPECT_REFUSED(1, "free_pages(interior pointer)",
				       free_pages((unsigned long)live[i].addr + 8 + (next() & 0xf8),
						  live[i].order));
		break;
	case 4: {
		/* A block kmm owns (free, on a pcp list, boot memory or a tail),
		 * never an allocated head: that one might be kmm's own. */
		unsigned long pfn = next32() % kmm_mem.nr_pages;
		uint32_t st = page_state_read(pfn_page(pfn));

		for (i = 0; i < nr_live; i++) {
			unsigned long lp = live[i].page ? page_to_pfn(live[i].page) :
				live[i].addr ? page_to_pfn(virt_to_page(live[i].addr)) : 0;

			if (pfn >= lp && pfn < lp + ((live[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT))
				return;
		}
		if (PAGE_STATE_KIND(st) == PS_ALLOC)
			return;
		EXPECT_REFUSED(1, "free of a page kmm never handed out",
			       __free_pages(pfn_to_page(pfn), next() % 11));
		break;
	}
	case 5:
		EXPECT_REFUSED(0, "free_pages(0)", free_pages(0, 0));
		break;
	case 6:
		EXPECT_REFUSED(1, "free_pages_exact(outside)", free_pages_exact(outside, 4096));
		break;
	}
}

static void op_irq(void)
{
	uint8_t b = next();

	if ((b & 1) && irq_depth < 2) {
		kmm_irq_enter();
		irq_depth++;
	} else if (irq_depth) {
		kmm_irq_exit();
		irq_depth--;
	} else if (b & 2) {
		EXPECT_REPORTS(1, "kmm_irq_exit outside interrupt", kmm_irq_exit());
	}
}

static void op_drain_check(void)
{
	unsigned long f = free_after_drain();

	if (!inexact && !rcu_dirty)
		fuzz_assert(f + live_pages == boot_free, "free %lu + live %lu != boot %lu", f,
			    live_pages, boot_free);
	for (int i = 0; i < nr_live; i++)
		if (live[i].addr && live[i].size)
			check(live[i].addr, stamp_len(&live[i]), live[i].seed, "drain check");
}

#ifdef STRESS_HAVE_VMALLOC
/* vmalloc sleeps: in interrupt context it is refused with one report.
 * Valid vfree()s stay in task context, where nothing is deferred, so
 * free pages add up at once. */
static void op_vmalloc(void)
{
	unsigned long size = 1 + next32() % (64 * PAGE_SIZE);
	unsigned int how = next() % 4;
	struct live l = { .kind = K_VMALLOC, .size = size };
	int want = irq_depth ? 1 : 0;

	if (!want && (live_pages + (size >> PAGE_SHIFT) + 1 > cap_pages || nr_live == LIVE_MAX))
		return;
	inexact = true;
	if (how == 0)
		EXPECT_REPORTS(want, "vmalloc", l.addr = vmalloc(size));
	else if (how == 1)
		EXPECT_REPORTS(want, "vzalloc", l.addr = vzalloc(size));
	else if (how == 2)
		EXPECT_REPORTS(want, "vmalloc_32", l.addr = vmalloc_32(size));
	else
		EXPECT_REPORTS(want, "__vmalloc",
			       l.addr = __vmalloc(size, GFP_KERNEL | (next() & 1 ? __GFP_ZERO : 0)));
	if (!l.addr)
		return;
	fuzz_assert(!want, "vmalloc succeeded in interrupt context");
	fuzz_assert(is_vmalloc_addr(l.addr), "vmalloc gave %p outside vmalloc space", l.addr);
	if (how == 1)
		check_zero(l.addr, size);
	track(l);
}

static int vmalloc_live(void)
{
	for (int tries = 0; tries < 4 && nr_live; tries++) {
		int i = next() % nr_live;

		if (live[i].kind == K_VMALLOC)
			return i;
	}
	return -1;
}

static void op_vmalloc_misuse(void)
{
	static char outside[64];
	uint8_t v = next() % 7;
	int i = vmalloc_live();

	if (irq_depth)
		return;
	switch (v) {
	case 0:
		if (i >= 0) {
			struct live l = untrack_free(i);

			EXPECT_REFUSED(1, "double vfree", vfree(l.addr));
		}
		break;
	case 1:
		if (i >= 0)
			EXPECT_REFUSED(1, "vfree(interior)",
				       vfree((char *)live[i].addr + 1 + next32() % live[i].size));
		break;
	case 2:
		EXPECT_REFUSED(1, "vfree(static buffer)", vfree(outside));
		break;
	case 3:
		if (i >= 0)
			EXPECT_REFUSED(1, "vunmap(vmalloc area)", vunmap(live[i].addr));
		break;
	case 4:
		if (i >= 0)
			EXPECT_REFUSED(1, "free_pages(vmalloc address)",
				       free_pages((unsigned long)live[i].addr, 0));
		break;
	case 5:
		i = page_kind_live();
		if (i >= 0 && live[i].addr)
			EXPECT_REFUSED(1, "vfree(page memory)", vfree(live[i].addr));
		break;
	case 6:
		/* A page of a vmalloc area given to __free_pages: built only
		 * when the buddy's free path checks PG_vmalloc (else the page
		 * is freed under the area and everything after goes wrong). */
#ifdef FUZZ_BUDDY_CHECKS_VMALLOC
		if (i >= 0)
			EXPECT_REFUSED(1, "__free_pages(vmalloc_to_page)",
				       __free_pages(vmalloc_to_page(live[i].addr), 0));
#endif
		break;
	}
}
#endif

#ifdef STRESS_HAVE_SLAB
/* Slab calls. kmm boots with slub_debug=FZP for the fuzzer, so a double
 * free is always caught (without it SLUB catches only the naive case, as
 * the kernel does, and the fuzzer would corrupt a freelist). */
static void ctor_mark(void *p)
{
	memset(p, 0xc7, 16);
}

static void slab_fuzz_init(void)
{
	cache_a = kmem_cache_create("fuzz-a", 100, 0, 0, ctor_mark);
	cache_b = kmem_cache_create("fuzz-b", 700, 64, SLAB_HWCACHE_ALIGN, ctor_mark);
	fuzz_assert(cache_a && cache_b, "kmem_cache_create failed");
}

static gfp_t slab_gfp(uint8_t a)
{
	static const gfp_t base[] = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT, GFP_NOIO };
	gfp_t gfp = base[a & 3];

	if (a & 4)
		gfp |= __GFP_DMA;
	else if (a & 8)
		gfp |= __GFP_RECLAIMABLE;
	if (a & 16)
		gfp |= __GFP_ZERO;
	if (a & 32)
		gfp |= __GFP_NOWARN;
	return gfp;
}

static int slab_live(enum kind k)
{
	for (int tries = 0; tries < 4 && nr_live; tries++) {
		int i = next() % nr_live;

		if (live[i].kind == k)
			return i;
	}
	return -1;
}

static void op_kmalloc(void)
{
	uint8_t r = next();
	gfp_t gfp = slab_gfp(next());
	bool sleeps = irq_depth && (gfp & __GFP_DIRECT_RECLAIM);
	struct live l = { .kind = K_KMALLOC };
	size_t size;
	int want;

	if (r < 8)
		size = 0;
	else if (r < 200)
		size = 1 + (next() | next() << 8) % KMALLOC_MAX_CACHE_SIZE;
	else if (r < 250)
		size = KMALLOC_MAX_CACHE_SIZE + 1 + next32() % (cap_pages * PAGE_SIZE / 4);
	else
		size = KMALLOC_MAX_SIZE + 1 + next32() % 4096;
	if (size > KMALLOC_MAX_SIZE)
		want = (gfp & __GFP_NOWARN) ? 0 : 1;
	else
		want = size && sleeps ? 1 : 0;
	if (!want && size > KMALLOC_MAX_CACHE_SIZE &&
	    live_pages + (size >> PAGE_SHIFT) + 1 > cap_pages)
		return;
	if (nr_live == LIVE_MAX)
		return;
	inexact = true;
	EXPECT_REPORTS(want, "kmalloc", l.addr = kmalloc(size, gfp));
	if (!size) {
		fuzz_assert(l.addr == ZERO_SIZE_PTR, "kmalloc(0) = %p", l.addr);
		EXPECT_REPORTS(0, "kfree(ZERO_SIZE_PTR)", kfree(l.addr));
		return;
	}
	if (!l.addr)
		return;
	fuzz_assert(!want, "kmalloc(%zu, %#x) succeeded but is misuse", size, gfp);
	fuzz_assert(ksize(l.addr) >= size, "ksize %zu < %zu", ksize(l.addr), size);
	if (gfp & __GFP_ZERO)
		check_zero(l.addr, size);
	l.size = size;
	track(l);
}

static void op_cache_alloc(void)
{
	bool b = next() & 1;
	gfp_t gfp = slab_gfp(next()) & ~(__GFP_ZERO | __GFP_DMA | __GFP_RECLAIMABLE);
	struct live l = { .kind = K_CACHE, .order = b, .size = b ? 700 : 100 };
	int want = irq_depth && (gfp & __GFP_DIRECT_RECLAIM) ? 1 : 0;

	if (nr_live == LIVE_MAX)
		return;
	inexact = true;
	EXPECT_REPORTS(want, "kmem_cache_alloc", l.addr = kmem_cache_alloc(b ? cache_b : cache_a, gfp));
	if (!l.addr)
		return;
	fuzz_assert(!want, "kmem_cache_alloc succeeded in atomic context with %#x", gfp);
	for (int i = 0; i < 16; i++)
		fuzz_assert(((unsigned char *)l.addr)[i] == 0xc7, "object %p is not constructed",
			    l.addr);
	/* Keep the constructor's bytes: the stamp starts after them. */
	l.addr = (char *)l.addr + 16;
	l.size -= 16;
	track(l);
}

static void op_krealloc(void)
{
	int i = slab_live(K_KMALLOC);
	gfp_t gfp = irq_depth ? GFP_ATOMIC : GFP_KERNEL;
	size_t size = 1 + (next() | next() << 8) % (2 * KMALLOC_MAX_CACHE_SIZE);
	void *p;

	if (i < 0)
		return;
	check(live[i].addr, stamp_len(&live[i]), live[i].seed, "krealloc");
	EXPECT_REPORTS(0, "krealloc", p = krealloc(live[i].addr, size, gfp));
	if (!p)
		return;
	check(p, MIN(stamp_len(&live[i]), size), live[i].seed, "krealloc contents");
	live[i].addr = p;
	live[i].size = size;
	fill(p, stamp_len(&live[i]), live[i].seed);
}

static void op_slab(void)
{
	switch (next() % 5) {
	case 0: case 1: op_kmalloc(); break;
	case 2: op_cache_alloc(); break;
	case 3: op_krealloc(); break;
	case 4:
		EXPECT_REPORTS(0, "kmalloc_array overflow",
			       fuzz_assert(!kmalloc_array(SIZE_MAX / 3, 4, GFP_KERNEL),
					   "kmalloc_array overflow allocated"));
		break;
	}
}

/* The object start of a K_CACHE entry (its constructor bytes first). */
static void *obj_start(const struct live *l)
{
	return l->kind == K_CACHE ? (char *)l->addr - 16 : l->addr;
}

static void op_slab_misuse(void)
{
	static char outside[256];
	int i;

	switch (next() % 8) {
	case 0:
		i = slab_live(K_KMALLOC);
		if (i >= 0) {
			struct live l = untrack_free(i);

			EXPECT_REFUSED(1, "double kfree", kfree(l.addr));
		}
		break;
	case 1:
		i = slab_live(K_CACHE);
		if (i >= 0) {
			struct live l = untrack_free(i);

			EXPECT_REFUSED(1, "double kmem_cache_free",
				       kmem_cache_free(l.order ? cache_b : cache_a, obj_start(&l)));
		}
		break;
	case 2:
		EXPECT_REFUSED(1, "kfree(static buffer)", kfree(outside + (next() & 0x7f)));
		break;
	case 3:
		i = slab_live(K_KMALLOC);
		if (i >= 0 && live[i].size > 1)
			EXPECT_REFUSED(1, "kfree(interior)",
				       kfree((char *)live[i].addr + 1 + next32() % (live[i].size - 1)));
		break;
	case 4:
		i = slab_live(K_CACHE);
		if (i >= 0)
			EXPECT_REFUSED(1, "kmem_cache_free(wrong cache)",
				       kmem_cache_free(live[i].order ? cache_a : cache_b,
						       obj_start(&live[i])));
		break;
	case 5:
		i = slab_live(K_KMALLOC);
		if (i >= 0 && live[i].size <= KMALLOC_MAX_CACHE_SIZE)
			EXPECT_REFUSED(1, "kmem_cache_free(kmalloc object)",
				       kmem_cache_free(cache_a, live[i].addr));
		break;
	case 6:
		i = page_kind_live();
		if (i >= 0 && live[i].addr)
			EXPECT_REFUSED(1, "kfree(page memory)", kfree(live[i].addr));
		break;
	case 7:
#ifdef STRESS_HAVE_VMALLOC
		i = vmalloc_live();
		if (i >= 0) {
			EXPECT_REFUSED(1, "kfree(vmalloc address)", kfree(live[i].addr));
			break;
		}
		i = slab_live(K_KMALLOC);
		if (i >= 0 && !irq_depth)
			EXPECT_REFUSED(1, "vfree(kmalloc address)", vfree(live[i].addr));
#endif
		break;
	}
}

/* Empty slabs back to the buddy so free pages add up again. */
static void slab_fuzz_reclaim(void)
{
	kmem_cache_shrink(cache_a);
	kmem_cache_shrink(cache_b);
	shrink_slab(GFP_KERNEL, 1UL << 30);
}
#endif

#if defined(STRESS_HAVE_SLAB) && defined(STRESS_HAVE_KFREE_RCU)
/* kvfree_call_rcu() of a live kmalloc, cache or vmalloc block, with the
 * rcu_head anywhere inside it; and two misuses reported at once: a block
 * kmm never handed out, an rcu_head outside its object. */
/* Forgets live[i] without freeing it (it was handed to kfree_rcu). */
static struct live untrack(int i)
{
	struct live l = live[i];

	if (kind_is_pages(l.kind))
		live_pages -= (l.size + PAGE_SIZE - 1) >> PAGE_SHIFT;
	live[i] = live[--nr_live];
	return l;
}

static void op_kfree_rcu(void)
{
	uint8_t v = next();
	int i = nr_live ? next() % nr_live : -1;
	struct live l;
	char *start;
	size_t objsize, off;

	if (v & 1) {
		static char outside[64] __attribute__((aligned(8)));

		EXPECT_REFUSED(1, "kvfree_call_rcu(not kmm memory)",
			       kvfree_call_rcu((struct rcu_head *)outside, outside + 8));
		return;
	}
	if (i < 0 || kind_is_pages(live[i].kind))
		return;
	l = live[i];
	start = l.kind == K_CACHE ? (char *)l.addr - 16 : l.addr;
	objsize = l.kind == K_CACHE ? l.size + 16 : l.size;
	if (v & 2) {
		EXPECT_REFUSED(1, "kvfree_call_rcu(rcu_head outside)",
			       kvfree_call_rcu((struct rcu_head *)(start - 8), start));
		return;
	}
	if (objsize < sizeof(struct rcu_head))
		return;
	off = (next32() % (objsize - sizeof(struct rcu_head) + 1)) & ~(size_t)7;
	check(l.addr, stamp_len(&l), l.seed, "kfree_rcu");
	untrack(i);
	rcu_dirty = inexact = true;
	EXPECT_REPORTS(0, "kvfree_call_rcu", kvfree_call_rcu((struct rcu_head *)(start + off), start));
}
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Nothing in the background: free page reporting's reporter and
	 * kswapd's shrinkers shrink the slab caches on threads of their own,
	 * which changes the free page count that EXPECT_REFUSED compares
	 * around each misuse, and can discard the slab of an object the
	 * input is freeing a second time on purpose while the report of
	 * that double free reads the slab (a free into memory that is
	 * changing hands, which no allocator can report reliably). */
	if (kmm_init("mem=32M nr_cpus=2 slub_debug=FZP page_reporting=0 kswapd=0")) {
		fprintf(stderr, "fuzz_api: kmm_init failed\n");
		abort();
	}
	kmm_report_quiet(true);
	kmm_cpu_bind(0);
#ifdef STRESS_HAVE_SLAB
	slab_fuzz_init();
#endif
	boot_free = free_after_drain();
	cap_pages = totalram_pages() / 4;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in = data;
	in_len = size;
	inexact = false;
	while (in_len) {
		switch (next() % 10) {
		case 0: case 1: op_alloc(); break;
		case 2: op_free(); break;
		case 3: op_wrong_order(); break;
		case 4: op_double_free(); break;
		case 5: op_foreign(); break;
		case 6: op_irq(); break;
		case 7: op_drain_check(); break;
#ifdef STRESS_HAVE_VMALLOC
		case 8: if (next() & 1) op_vmalloc(); else op_vmalloc_misuse(); break;
#endif
#ifdef STRESS_HAVE_SLAB
		case 9:
			switch (next() % 5) {
			case 0: case 1: op_slab(); break;
			case 2: case 3: op_slab_misuse(); break;
#ifdef STRESS_HAVE_KFREE_RCU
			case 4: op_kfree_rcu(); break;
#endif
			}
			break;
#endif
		default: break;
		}
	}
	while (irq_depth) {
		kmm_irq_exit();
		irq_depth--;
	}
	while (nr_live)
		untrack_free(nr_live - 1);
	fuzz_assert(live_pages == 0, "live pages %lu after freeing all", live_pages);
	nr_inputs++;
	if (rcu_dirty) {
		if (nr_inputs % RCU_SETTLE)
			return 0;
		rcu_barrier();
#ifdef STRESS_HAVE_SLAB
		slab_fuzz_reclaim();	/* flushes kfree_rcu batches */
#endif
		rcu_barrier();
		rcu_dirty = false;
		/* The callbacks, of inputs before this one, vfree'd into the
		 * vmap cache (pages still mapped) and emptied slabs. */
		inexact = true;
	}
#ifdef STRESS_HAVE_VMALLOC
	if (inexact)
		vm_unmap_aliases();
#endif
#ifdef STRESS_HAVE_SLAB
	if (inexact)
		slab_fuzz_reclaim();
#endif
	fuzz_assert(free_after_drain() == boot_free, "free pages %lu at the end of the input, %lu at boot",
		    nr_free_pages(), boot_free);
	return 0;
}
