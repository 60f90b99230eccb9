/* The kmalloc family (mm/slab_common.c): size classes kmalloc-8 ...
 * kmalloc-8k with the kernel's 96 and 192 classes, so ksize(kmalloc(n))
 * is the kernel's for every n; kmalloc-rcl-* for __GFP_RECLAIMABLE and
 * dma-kmalloc-* for GFP_DMA; above 8 KiB compound pages from the buddy
 * (PG_large_kmalloc) up to KMALLOC_MAX_SIZE.
 *
 * The fast path (kmalloc_try(), kmalloc_fast.h) departs from the
 * kernel's shape twice. The size's class comes from one table for every
 * size up to 8 KiB, where the kernel branches between its size_index table
 * (up to 192 bytes) and fls(): on a mix of sizes that branch mispredicts.
 * And the per-CPU parts of the KMALLOC_NORMAL caches are one per-CPU
 * array indexed by class (the front end), so the owner's pop finds its
 * CPU's main sheaf of any class with one index off its owner delta, with
 * no cache at hand; everything else (a large or DMA or reclaimable or
 * zeroed request, atomic context, a class with no sheaves, kmm not
 * booted, an empty sheaf) falls through the same pop's failure or one
 * flag test to kmalloc_slow().
 *
 * kfree/ksize/kmem_cache_free misuse is reported and refused: a pointer
 * inside an object, a vmalloc address, memory kmm never handed out, a
 * page that is neither slab nor large kmalloc, the wrong cache.
 *
 * Under slub_debug (U or Z) an object remembers the size it was asked for
 * and the rest of its class is red zone (slub_debug.c); krealloc within
 * the object moves that boundary, ksize() gives the caller the whole class.
 *
 * No locks of its own: the caches are created at boot and only read
 * afterwards. */
#include <errno.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/vmstat.h"
#include "lib/bitops.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "slub/cache.h"
#include "slub/kmalloc.h"
#include "slub/kmalloc_fast.h"
#include "slub/slab_check.h"
#include "slub/slub.h"
#include "slub/slub_debug.h"

enum kmalloc_cache_type { KMALLOC_NORMAL, KMALLOC_RECLAIM, KMALLOC_DMA, NR_KMALLOC_TYPES };

#define KMALLOC_SHIFT_LOW	3


static struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_CLASSES];

/* The class of every request up to 8 KiB, by (size - 1) / 8: the kernel's
 * size_index[] up to 192 bytes (index 1 is kmalloc-96, index 2
 * kmalloc-192), then fls(size - 1). */
const uint8_t kmalloc_index[KMALLOC_MAX_CACHE_SIZE / 8] = {
	[0] = 3, [1] = 4, [2 ... 3] = 5, [4 ... 7] = 6, [8 ... 11] = 1, [12 ... 15] = 7,
	[16 ... 23] = 2, [24 ... 31] = 8, [32 ... 63] = 9, [64 ... 127] = 10,
	[128 ... 255] = 11, [256 ... 511] = 12, [512 ... 1023] = 13,
};

/* The front end: the KMALLOC_NORMAL caches' per-CPU parts, indexed by
 * class (entry 0 unused), one per-CPU allocation; kmalloc_front is its
 * copy in the null unit, where no main sheaf has room, and before
 * boot the static one below. */
static struct kmem_cache_cpu kmalloc_front_boot[KMALLOC_CLASSES];
struct kmem_cache_cpu *kmalloc_front = kmalloc_front_boot;
static struct kmem_cache_cpu *kmalloc_front_cpu;	/* percpu */

static always_inline unsigned int kmalloc_type_of(gfp_t gfp)
{
	if (likely(!(gfp & (__GFP_DMA | __GFP_RECLAIMABLE))))
		return KMALLOC_NORMAL;
	return (gfp & __GFP_DMA) ? KMALLOC_DMA : KMALLOC_RECLAIM;
}

static unsigned int kmalloc_size_of(unsigned int idx)
{
	return idx == 1 ? 96 : idx == 2 ? 192 : 1u << idx;
}

static int new_kmalloc_cache(unsigned int idx, enum kmalloc_cache_type type)
{
	static const char *const prefix[NR_KMALLOC_TYPES] = {
		"kmalloc-", "kmalloc-rcl-", "dma-kmalloc-",
	};
	static const slab_flags_t tflags[NR_KMALLOC_TYPES] = {
		0, SLAB_RECLAIM_ACCOUNT, SLAB_CACHE_DMA,
	};
	unsigned int size = kmalloc_size_of(idx), align = 8;
	char name[32];

	if (size >= 1024)
		snprintf(name, sizeof(name), "%s%uk", prefix[type], size >> 10);
	else
		snprintf(name, sizeof(name), "%s%u", prefix[type], size);
	/* Power-of-two classes are naturally aligned, as the kernel
	 * guarantees. */
	if (!(size & (size - 1)))
		align = size;
	kmalloc_caches[type][idx] = slab_create_cache(name, size, align,
						      SLAB_KMALLOC | tflags[type], NULL,
						      type == KMALLOC_NORMAL ?
						      kmalloc_front_cpu + idx : NULL);
	if (!kmalloc_caches[type][idx])
		return -ENOMEM;
	kmalloc_caches[type][idx]->kmalloc_bucket = true;
	return 0;
}

/* create_kmalloc_caches(): the kernel's order, 96 after 64, 192 after 128.
 * The front end's per-CPU array goes with the first cache (it frees it). */
int kmalloc_init(void)
{
	kmalloc_front_cpu = __alloc_percpu(sizeof(struct kmem_cache_cpu) * KMALLOC_CLASSES,
					   __alignof__(struct kmem_cache_cpu));
	if (!kmalloc_front_cpu)
		return -ENOMEM;
	if (new_kmalloc_cache(KMALLOC_SHIFT_LOW, KMALLOC_NORMAL)) {
		free_percpu(kmalloc_front_cpu);
		return -ENOMEM;
	}
	kmalloc_caches[KMALLOC_NORMAL][KMALLOC_SHIFT_LOW]->cpu_alloc = kmalloc_front_cpu;
	/* Every class's part, zeroed, reads as empty until its cache is made. */
	atomic_store_release(&kmalloc_front,
			     (struct kmem_cache_cpu *)cpu_null_ptr(kmalloc_front_cpu));
	for (int type = 0; type < NR_KMALLOC_TYPES; type++) {
		for (unsigned int i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++) {
			if (kmalloc_caches[type][i])
				continue;
			if (new_kmalloc_cache(i, type))
				return -ENOMEM;
			if ((i == 6 && new_kmalloc_cache(1, type)) ||
			    (i == 7 && new_kmalloc_cache(2, type)))
				return -ENOMEM;
		}
	}
	return 0;
}

void kmalloc_exit(void)
{
	atomic_store_release(&kmalloc_front, kmalloc_front_boot);
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
}

/* ---- large kmalloc ---- */

static noinline void *kmalloc_large(size_t size, gfp_t gfp)
{
	struct page *page;
	unsigned int order;

	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_SIZE) {
		if (!(gfp & __GFP_NOWARN))
			kmm_warn("kmalloc: size %zu is above KMALLOC_MAX_SIZE (%lu)", size,
				 KMALLOC_MAX_SIZE);
		return NULL;
	}
	if (!atomic_load_acquire(&slab_up)) {
		kmm_warn("kmalloc: kmm is not booted");
		return NULL;
	}
	if (!might_alloc(gfp, "kmalloc"))
		return NULL;
	order = get_order(size);
	page = alloc_pages((gfp & ~(__GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)) | __GFP_COMP,
			   order);
	if (!page)
		return NULL;
	SetPageFlag(page, PG_large_kmalloc);
	mod_zone_page_state(page_zone(page), NR_SLAB_UNRECLAIMABLE, 1L << order);
	return page_address(page);
}

static void free_large_kmalloc(struct page *page, const void *x, const char *caller)
{
	unsigned int order = compound_order(page);
	unsigned long old;

	if (x != page_address(page)) {
		slab_report_bad_pointer(caller, x);
		return;
	}
	/* Claim the block: of two racing frees only one sees the flag. */
	count_rmw();
	old = __atomic_fetch_and(&page->flags, ~(1UL << PG_large_kmalloc), __ATOMIC_ACQ_REL);
	if (!(old & (1UL << PG_large_kmalloc))) {
		slab_report_bad_pointer(caller, x);
		return;
	}
	mod_zone_page_state(page_zone(page), NR_SLAB_UNRECLAIMABLE, -(1L << order));
	__free_pages(page, order);
}

/* ---- the API ---- */

static noinline void *kmalloc_not_ready(gfp_t gfp)
{
	if (!atomic_load_acquire(&slab_up))
		kmm_warn("kmalloc: kmm is not booted");
	return NULL;
}

/* A debug or fault-injected class: the locked path, then the requested
 * size is recorded (the kernel passes it down as orig_size). */
static noinline void *kmalloc_special(struct kmem_cache *s, size_t size, gfp_t gfp,
				      unsigned long addr)
{
	void *object = slab_alloc_special(s, gfp, addr);

	if (object && slub_debug_orig_size(s))
		slab_debug_set_orig_size(s, object, (unsigned int)size,
					 !s->zero_on_alloc && !(gfp & __GFP_ZERO));
	return object;
}

/* `size` bytes (at most its object size) from kmalloc cache `s`. */
static always_inline void *kmalloc_from(struct kmem_cache *s, size_t size, gfp_t gfp,
					unsigned long addr)
{
	if (unlikely(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)))
		return slab_alloc_atomic_bug(s, gfp, addr, "kmalloc");
	if (unlikely(s->special))
		return kmalloc_special(s, size, gfp, addr);
	return slab_alloc(s, gfp, addr);
}

static noinline void *kmalloc_slow(size_t size, gfp_t gfp, unsigned long addr)
{
	struct kmem_cache *s;

	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_large(size, gfp);
	s = kmalloc_caches[kmalloc_type_of(gfp)][kmalloc_index_of(size)];
	if (unlikely(!s))
		return kmalloc_not_ready(gfp);
	return kmalloc_from(s, size, gfp, addr);
}

struct kmem_cache *kmalloc_slab(size_t size, gfp_t gfp)
{
	return kmalloc_caches[kmalloc_type_of(gfp)][kmalloc_index_of(size)];
}

static noinline void *kmalloc_cache_bad(struct kmem_cache *s, size_t size)
{
	if (!s)
		kmm_bug("__kmalloc_cache_noprof: no cache");
	else
		kmm_bug("__kmalloc_cache_noprof: %zu bytes from %s, whose objects are %u bytes",
			size, s->name, s->object_size);
	return NULL;
}

/* What the kernel's kmalloc() inlines for a size known at compile time: a
 * kmalloc from the cache the caller picked, keeping the requested size
 * for slub_debug's red zone (orig_size) when the cache is SLAB_KMALLOC. */
void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t gfp, size_t size)
{
	if (unlikely(!s || size > s->object_size))
		return kmalloc_cache_bad(s, size);
	return kmalloc_from(s, size, gfp, RET_IP);
}

static always_inline void *kmalloc_gfp(size_t size, gfp_t gfp, unsigned long addr)
{
	void *object;

	if (unlikely(!kmalloc_try(size, gfp, &object)))
		return kmalloc_slow(size, gfp, addr);
	return object;
}

void *kmalloc(size_t size, gfp_t gfp)
{
	return kmalloc_gfp(size, gfp, RET_IP);
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc_gfp(size, gfp | __GFP_ZERO, RET_IP);
}

void *kmalloc_array(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc_gfp(bytes, gfp, RET_IP);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return NULL;
	return kmalloc_gfp(bytes, gfp | __GFP_ZERO, RET_IP);
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmalloc_gfp(len, gfp, RET_IP);

	if (p && !ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}

char *kstrdup(const char *s, gfp_t gfp)
{
	size_t len;
	char *p;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	p = kmalloc_gfp(len, gfp, RET_IP);
	if (p)
		memcpy(p, s, len);
	return p;
}

static noinline void kfree_slow(const void *x, struct page *page, const char *caller)
{
	if (page && PageLargeKmalloc(page)) {
		free_large_kmalloc(page, x, caller);
		return;
	}
	slab_free_bad(NULL, x, page, caller);
}

/* Anything but an object the fast free takes: a cache with no sheaves, a
 * large kmalloc, bad input. */
static noinline void kfree_checked(const void *x, struct page *page, unsigned long addr)
{
	struct kmem_cache *s;

	page = page_compound_head(page);
	if (unlikely(!PageSlab(page)))
		return kfree_slow(x, page, "kfree");
	s = atomic_load_relaxed(&page->slab_cache);
	if (likely(slab_object_start(s, page, x)))
		return slab_free(s, page, (void *)x, addr);
	return kfree_slow(x, page, "kfree");
}

void kfree(const void *x)
{
	struct kmem_cache *s = kfree_fast_cache(x);
	unsigned long pfn;

	if (likely(s))
		return slab_free_owner(s, (void *)x);
	pfn = direct_map_pfn(x);
	if (unlikely(pfn >= kmm_mem.lowmem_pages)) {
		if (!ZERO_OR_NULL_PTR(x))
			kfree_slow(x, NULL, "kfree");
		return;
	}
	return kfree_checked(x, pfn_page(pfn), RET_IP);
}

/* slab_ksize(): what the caller may use of the object. */
static size_t slab_ksize(const struct kmem_cache *s)
{
#ifdef KMM_ASAN
	return s->object_size;	/* ASan watches only the object */
#else
	if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
		return s->object_size;
	if (s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER))
		return s->inuse;
	return s->size;
#endif
}

/* The cache of slab object `x`, NULL for a large kmalloc block; false and
 * one report for a pointer kmalloc did not return. */
static bool kmalloc_owner(const void *x, const char *caller, struct kmem_cache **sp)
{
	struct page *page = object_head_page(x);

	*sp = NULL;
	if (page && PageSlab(page) && slab_object_start(page->slab_cache, page, x)) {
		*sp = page->slab_cache;
		return true;
	}
	if (page && PageLargeKmalloc(page) && x == page_address(page))
		return true;
	slab_free_bad(NULL, x, page, caller);
	return false;
}

static size_t large_kmalloc_size(const void *x)
{
	return PAGE_SIZE << compound_order(object_head_page(x));
}

/* The whole class is the caller's from now on: its kmalloc red zone goes
 * (the kernel's skip_orig_size_check()). */
size_t ksize(const void *x)
{
	struct kmem_cache *s;

	if (ZERO_OR_NULL_PTR(x) || !kmalloc_owner(x, "ksize", &s))
		return 0;
	if (!s)
		return large_kmalloc_size(x);
	if (slub_debug_orig_size(s))
		slab_debug_set_orig_size(s, (void *)x, s->object_size, false);
	return slab_ksize(s);
}

/* The kernel's krealloc (__do_krealloc): the same object while the new
 * size fits its class (contents kept, a shrink too; the red zone after the
 * requested size moves), else a new one with the requested bytes copied.
 * init_on_alloc and __GFP_ZERO zero what the caller gains. */
void *krealloc(const void *p, size_t new_size, gfp_t gfp)
{
	struct kmem_cache *s = NULL;
	size_t ks = 0, orig_size = 0;
	void *ret;

	if (unlikely(!new_size)) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (!ZERO_OR_NULL_PTR(p)) {
		if (!kmalloc_owner(p, "krealloc", &s))
			return NULL;
		if (s) {
			ks = s->object_size;
			orig_size = slab_get_orig_size(s, p);
		} else {
			ks = large_kmalloc_size(p);
		}
	}
	if (ks >= new_size) {
		/* The red zone moves first: slab_validate() must not see the
		 * zeroing below in what is still red zone. A shrink's slack
		 * becomes red zone, not zeroes. */
		bool redzoned = s && slub_debug_orig_size(s) && (s->flags & SLAB_RED_ZONE);

		if (s && slub_debug_orig_size(s))
			slab_debug_set_orig_size(s, (void *)p, (unsigned int)new_size, false);
		if ((gfp & __GFP_ZERO) || (s && s->zero_on_alloc)) {
			if (orig_size && orig_size < new_size)
				memset((char *)p + orig_size, 0, new_size - orig_size);
			else if (!redzoned)
				memset((char *)p + new_size, 0, ks - new_size);
		}
		return (void *)p;
	}
	ret = kmalloc_gfp(new_size, gfp, RET_IP);
	if (ret && ks) {
		memcpy(ret, p, orig_size ? orig_size : ks);
		kfree(p);
	}
	return ret;
}
