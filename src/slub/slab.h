/* SLUB's shared vocabulary (src/slub): struct kmem_cache and its parts,
 * and the inline helpers on slots, free pointers and slab pages that every
 * layer of the folder uses. No code takes a lock here; which lock guards
 * which field is written beside each structure, and the protocols are in
 * docs/design.md §2.
 *
 * The folder, from the top down (each file opens with its concern and its
 * locks; calls run down this list, never up):
 *   kmalloc.c kmalloc_nolock.c kvmalloc.c devres.c kfree_rcu.c slabinfo.c
 *                         users of caches
 *   slub.c (slub.h)       entry points and the hook chain
 *   cache.c (cache.h)     lifecycle: sizing, create/destroy, flush, shrink,
 *                         the shrinker, boot and exit; slab_verify.c
 *   sheaf.c (sheaf.h)     the owner's sheaves and the barn
 *   cpu_slab.c (cpu_slab.h)  the per-CPU slab: freelist+tid, c->slab,
 *                         per-CPU partial slabs
 *   slab_page.c (slab_page.h)  slab pages and the node partial list
 *   slub_debug.c slab_check.c  slub_debug, reports and checks
 *
 * Glossary (the kernel's words, mm/slub.c):
 *   slab        a compound page of order oo.order carved into oo.objects
 *               slots of s->size bytes; its head struct page carries
 *               slab_cache, freelist+counters and slab_list (buddy/page.h)
 *   slot        [left red zone][object][right red zone][free pointer]
 *               [alloc/free tracks][orig_size][padding]; everything but
 *               the object exists only in debug caches (and the free
 *               pointer lives inside the object when nothing forbids it)
 *   counters    inuse (objects handed out, including those on a CPU
 *               freelist), objects, frozen; changed together with
 *               page->freelist by one double-word compare-and-swap
 *   frozen      the slab is a CPU's current slab: only that CPU allocates
 *               from it, frees from elsewhere go to page->freelist
 *   cpu slab    c->slab; its free objects are split between c->freelist
 *               (the lockless per-CPU list) and page->freelist
 *   cpu partial c->partial: unfrozen partial slabs parked on a CPU,
 *               chained through page->next, page->slabs counting the chain
 *   node partial n->partial under n->list_lock; full slabs are on no list
 *               (debug caches keep them on n->full)
 *   sheaf       an array of free objects (kernels 6.18+): each CPU has a
 *               main and a spare sheaf, the cache a barn of full and empty
 *               ones (sheaf.c); objects in sheaves count as in use in
 *               their slabs, like a CPU freelist
 *   owner       the one thread that may use a CPU's sheaves without a lock
 *               (lib/cpu_owner.c: one owner per CPU, for every cache)
 *   debug cache any of slub_debug's F/Z/P/U (or failslab): every operation
 *               takes the locked single-object path, as the kernel does
 * Free pointers are stored obfuscated (SLAB_FREELIST_HARDENED):
 *   stored = ptr ^ s->random ^ swab(address of the slot holding it). */
#ifndef KMM_SLUB_SLAB_H
#define KMM_SLUB_SLAB_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <kmm/slab.h>
#include "buddy/mmzone.h"
#include "lib/compiler.h"
#include "lib/lock.h"

typedef unsigned __int128 u128;

/* Internal cache flags (the kernel's values). */
#define SLAB_TRACE		0x00200000u
#define SLAB_FAILSLAB		0x02000000u
#define OBJECT_POISON		0x80000000u	/* __OBJECT_POISON: poison objects */
#define SLAB_DEBUG_FLAGS	(SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | \
				 SLAB_TRACE | SLAB_CONSISTENCY_CHECKS)
#define SLUB_DEBUG_DEFAULT	(SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
				 SLAB_STORE_USER)

/* slub_debug's byte patterns (include/linux/poison.h). */
#define SLUB_RED_INACTIVE	0xbb
#define SLUB_RED_ACTIVE		0xcc
#define POISON_INUSE		0x5a
#define POISON_FREE		0x6b
#define POISON_END		0xa5

#define MAX_OBJS_PER_PAGE	32767
#define MIN_PARTIAL		5
#define MAX_PARTIAL		10

/* slub_debug's owner tracking: one per object for its allocation and one
 * for its free, after the free pointer. */
struct slab_track {
	unsigned long addr;	/* call site */
	unsigned long when;	/* milliseconds since boot */
	int cpu;
	int pid;
};

enum track_item { TRACK_ALLOC, TRACK_FREE };

/* A slab page that sits on its cache's node partial list (the kernel reuses
 * PG_workingset). A page-flags bit above the buddy's own, meaningful only
 * while PG_slab is set; the buddy clears all flags on alloc and free. */
#define PG_slab_node_partial	16

/* c->freelist while a slow path holds the CPU slab (cpu_slab.c). */
#define CPU_SLAB_BUSY		((void *)1)

union slab_counters {
	unsigned long counters;
	struct {
		unsigned int inuse : 16;
		unsigned int objects : 15;
		unsigned int frozen : 1;
	};
};

struct kmem_cache_order_objects {
	unsigned int order;
	unsigned int objects;
};

/* A sheaf off a CPU (a CPU's spare, or in the barn): free objects of one
 * cache, a stack linked through the objects' own free pointer slots.
 * `head` is the next one handed out, and each object's slot holds the
 * address of the one below it XORed with the cache's random value
 * (sheaf_link()), the bottom one's the random value itself. A list, not
 * the kernel's array of pointers: a pop's object is the head a push
 * stored, known as soon as the push ran, where an array's slot address
 * waits for the size that every operation on the sheaf reads and writes
 * in turn (docs/design.md §2.4); and a CPU's main sheaf, a list, sits in
 * the CPU part itself (below), so that trading it with the barn or the
 * spare moves two words. */
struct slab_sheaf {
	void *head;
	unsigned int size;
	struct slab_sheaf *next;	/* on a barn list */
};

#define SHEAF_SIZE_BITS		16
#define SHEAF_SIZE_MASK		((1UL << SHEAF_SIZE_BITS) - 1)
#define SHEAF_POP		((1UL << SHEAF_SIZE_BITS) - 1)	/* size - 1, ops + 1 */
#define SHEAF_PUSH		((1UL << SHEAF_SIZE_BITS) + 1)	/* size + 1, ops + 1 */

/* The per-CPU part (alloc_percpu): two layers, each with its protocol
 * (docs/design.md has the state table of every field), in one cache line.
 *   the CPU slab (cpu_slab.c): freelist+tid change together by one
 *     double-word compare-and-swap, by any thread; slab changes only while
 *     a slow path holds `lock` and has swapped freelist for CPU_SLAB_BUSY;
 *     partial only under `lock`
 *   the main sheaf (sheaf.c), in place: word and head belong to the CPU's
 *     owner (lib/cpu_owner.h), which uses them without `lock` in its
 *     owner sections and changes them otherwise under `lock` in a
 *     section; anyone else touches them only under `lock` while holding
 *     the CPU ownerless. `word` packs the main sheaf's size (low
 *     SHEAF_SIZE_BITS) with a count of fast-path operations above it: a
 *     pop adds SHEAF_POP, a push SHEAF_PUSH, so the fast paths count
 *     themselves with the update they make anyway. A pop finds the sheaf
 *     empty by its head (NULL), a push full by its size; the null unit's
 *     copy has no head and the size SHEAF_SIZE_MASK, more than any
 *     capacity, so every fast path there leaves. A zeroed part is an empty
 *     main sheaf.
 * The owner's fast path and everyone's CPU slab fast path share the line:
 * a CPU with an owner sees the others' CPU slab paths only on its slow
 * paths and its refills. */
struct kmem_cache_cpu {
	union {
		struct {	/* a CPU's: the CPU slab */
			union {
				struct {
					void *freelist;
					unsigned long tid;
				};
				u128 freelist_tid;
			};
			struct page *slab;	/* atomic: the free fast path reads it */
			struct page *partial;
		};
		struct {	/* the null unit's copy, which no CPU slab path
				 * uses: what a pop needs of the cache, found
				 * at delta 0 from the part it pops from */
			unsigned long random;
			unsigned int offset;
			unsigned int object_size;
		};
	};
	unsigned long word;		/* atomic: the owner's fast paths write it */
	void *head;			/* atomic, as word */
	struct kmm_spinlock lock;
} cacheline_aligned;

/* One line, but where debug builds' locks carry their names and ranks. */
_Static_assert(sizeof(struct kmem_cache_cpu) == 64 || KMM_DEBUG_ON,
	       "struct kmem_cache_cpu is one cache line");

/* The rest of a CPU's sheaves, which only slow paths touch: an array by
 * CPU in the library's own memory, apart from the per-CPU part above so
 * that it keeps to one line (a second per-CPU allocation would pad every
 * cache's parts to two). Under the part's `lock`, by its owner or with the
 * CPU held. */
struct sheaf_cpu {
	unsigned long base;		/* the word when last settled (sheaf_settle()) */
	struct slab_sheaf *spare;	/* NULL: none */
};

/* The owner's read and update of its main sheaf's word: one relaxed
 * 64-bit load and one store of the same word (not locked: the owner is
 * the word's only writer, and a reader under `lock` sees the old word or
 * the new one). Each pop or push reads what the one before stored, so the
 * pair must forward quickly: whole-word accesses of one size do, where a
 * 16-bit load of the size after an add to memory held 1000 pops then 1000
 * pushes to 0.7 of the speed (bench_kmm cache_batch, AMD EPYC). */
static always_inline unsigned long sheaf_word_owner(struct kmem_cache_cpu *c)
{
	return atomic_load_relaxed(&c->word);
}

static always_inline void sheaf_word_set(struct kmem_cache_cpu *c, unsigned long word)
{
	atomic_store_relaxed(&c->word, word);
}

/* The main sheaf's size. */
static always_inline unsigned int sheaf_main_size(struct kmem_cache_cpu *c)
{
	return atomic_load_relaxed(&c->word) & SHEAF_SIZE_MASK;
}

/* The cache's stock of spare sheaves, shared by its CPUs (one node). */
struct slab_barn {
	struct kmm_spinlock lock;
	struct slab_sheaf *full;	/* under lock */
	struct slab_sheaf *empty;	/* under lock */
	unsigned int nr_full;		/* written under lock, read lockless */
	unsigned int nr_empty;		/* written under lock, read lockless */
};

#define SHEAF_BYTES		65536	/* objects' bytes a sheaf may hold */
#define SHEAF_MAX_CAPACITY	1024
_Static_assert(SHEAF_MAX_CAPACITY < SHEAF_SIZE_MASK, "the null unit's size exceeds every capacity");
#define BARN_MAX_FULL		10	/* the kernel's MAX_FULL_SHEAVES */
#define BARN_MAX_EMPTY		10	/* the kernel's MAX_EMPTY_SHEAVES */

struct kmem_cache_node {
	struct kmm_spinlock list_lock;
	unsigned long nr_partial;	/* written under list_lock, read lockless */
	struct list_head partial;
	struct list_head full;		/* debug caches only */
	unsigned long nr_slabs;		/* atomic */
	unsigned long total_objects;	/* atomic */
};

struct kmem_cache {
	/* Read by every fast path: first cache line. */
	struct kmem_cache_cpu *cpu_fast;	/* cpu_slab's copy in the null unit */
	unsigned long random;		/* free pointer obfuscation */
	uint64_t size_inv;		/* inverse of size's odd part mod 2^64 */
	unsigned int offset;		/* free pointer offset in the object */
	unsigned int size_shift;	/* size's power-of-two part */
	unsigned long head_objects;	/* objects every slab starts in its first page
					 * and frees check by the page offset alone
					 * (0 in a cache with no sheaves) */
	unsigned int object_size;
	unsigned int size;		/* slot size */
	unsigned int red_left_pad;
	/* No sheaves: the per-CPU slab's paths, and the hook chain (a debug
	 * cache takes the locked path; init_on_alloc/init_on_free zero). */
	bool special : 1;
	bool zero_on_alloc : 1;		/* init_on_alloc applies */
	bool zero_on_free : 1;		/* init_on_free applies */
	slab_flags_t flags;
	unsigned int sheaf_capacity;	/* objects per sheaf; 0: no sheaves */

	/* Slow paths and views. */
	struct kmem_cache_cpu *cpu_slab;	/* percpu */
	struct sheaf_cpu *sheaf_cpu;	/* [nr_cpu_ids]; NULL: no sheaves */
	void *cpu_alloc;		/* the per-CPU memory to free with the cache */
	unsigned int inuse;		/* end of object + right red zone */
	unsigned int align;
	struct kmem_cache_order_objects oo, min;
	unsigned int min_partial;
	unsigned int cpu_partial;	/* objects, as the kernel's set_cpu_partial */
	unsigned int cpu_partial_slabs;
	gfp_t allocflags;
	void (*ctor)(void *);
	char *name;
	struct list_head list;		/* slab_caches, under slab_mutex */
	unsigned int *random_seq;	/* slab_freelist_random: slot offsets */
	bool shutdown_failed;		/* destroy found live objects */
	bool kmalloc_bucket;		/* one of kmalloc's own caches: never destroyed */
	struct slab_barn barn;
	struct kmem_cache_node node;
};

/* ---- double-word compare-and-swap ----
 * clang inlines __atomic on 16 bytes as lock cmpxchg16b (and ThreadSanitizer
 * understands it); gcc calls libatomic for __atomic, but inlines __sync's
 * 16-byte form with -mcx16. Both are full barriers on x86. */
static always_inline bool cmpxchg16(u128 *p, u128 old, u128 new)
{
	count_rmw();
#if defined(__clang__)
	return __atomic_compare_exchange_n(p, &old, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
#else
	return __sync_bool_compare_and_swap(p, old, new);
#endif
}

static always_inline u128 pair_make(const void *ptr, unsigned long val)
{
	return (u128)(uintptr_t)ptr | ((u128)val << 64);
}

/* ---- free pointers ----
 * The allocation fast path reads the next pointer of an object another
 * thread on the same CPU may already own and be writing (the cmpxchg then
 * fails and the value is dropped), and debug walks read pointers inside
 * objects poisoned for ASan: in sanitizer builds these accessors are out of
 * line and not instrumented, the kernel's get_freepointer_safe(). */
#if defined(KMM_ASAN) || defined(KMM_TSAN)
#define FREEPTR_ACCESS	inline noinline __attribute__((no_sanitize("address", "thread")))
#else
#define FREEPTR_ACCESS	always_inline
#endif

static FREEPTR_ACCESS void *get_freepointer(const struct kmem_cache *s, void *object)
{
	unsigned long slot = (unsigned long)object + s->offset;

	return (void *)(*(unsigned long *)slot ^ s->random ^ __builtin_bswap64(slot));
}

static FREEPTR_ACCESS void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	unsigned long slot = (unsigned long)object + s->offset;

	*(unsigned long *)slot = (unsigned long)fp ^ s->random ^ __builtin_bswap64(slot);
}

/* Handing an object out clears its free pointer slot (raw 0), so that an
 * allocated object never carries a valid encoded free pointer. */
static FREEPTR_ACCESS void clear_freepointer_at(void *object, unsigned int offset)
{
	*(unsigned long *)((char *)object + offset) = 0;
}

static always_inline void clear_freepointer(const struct kmem_cache *s, void *object)
{
	clear_freepointer_at(object, s->offset);
}

/* ---- slab pages ---- */

static always_inline void *slab_address(const struct page *slab)
{
	return pfn_to_virt(pfn_of(slab));
}

static always_inline unsigned long slab_counters_read(struct page *slab)
{
	return atomic_load_relaxed(&slab->counters);
}

static always_inline unsigned int slab_objects(struct page *slab)
{
	union slab_counters c = { .counters = slab_counters_read(slab) };

	return c.objects;
}

static always_inline bool slab_update_freelist(struct page *slab, void *fl_old,
		unsigned long c_old, void *fl_new, unsigned long c_new)
{
	return cmpxchg16((u128 *)&slab->freelist, pair_make(fl_old, c_old),
			 pair_make(fl_new, c_new));
}

/* The index of the object at byte `off` of a slab's object area, or a
 * number >= 2^40 when `off` is not an object's start: with size = m * 2^k,
 * m odd, off * m^-1 mod 2^64 rotated right by k is off / size exactly when
 * size divides off; otherwise the rotation brings a nonzero low bit to the
 * top, or the product is not a multiple's (the divisibility test of
 * Granlund and Montgomery), and either way the result exceeds
 * 2^64 / size. One multiply and one rotate, no divide. */
static always_inline unsigned long slab_object_index_off(const struct kmem_cache *s,
							 unsigned long off)
{
	unsigned long q = off * s->size_inv;
	unsigned int k = s->size_shift;

	return (q >> k) | (q << ((64 - k) & 63));
}

/* The slab's own offset is its struct page's offset in mem_map times 64
 * (struct page is 64 bytes, a page 4096). */
_Static_assert(sizeof(struct page) << 6 == PAGE_SIZE, "slab offsets assume 64-byte pages");

static always_inline unsigned long slab_offset(const struct page *slab)
{
	return ((unsigned long)slab - (unsigned long)kmm_mem.mem_map) << 6;
}

/* Is the direct-map offset `doff` the start of an object of `slab`? */
static always_inline bool slab_object_start_off(const struct kmem_cache *s, struct page *slab,
						unsigned long doff)
{
	unsigned long off = doff - slab_offset(slab) - s->red_left_pad;

	return slab_object_index_off(s, off) < slab_objects(slab);
}

static always_inline bool slab_object_start(const struct kmem_cache *s, struct page *slab,
					    const void *x)
{
	return slab_object_start_off(s, slab,
				     (unsigned long)x - (unsigned long)kmm_mem.direct_map);
}

/* The cache of `x`, an object in a tail page of a slab, when a free may
 * take it without reading the head page (one cache miss fewer, on a free
 * of a cold object): the tail's own words name the cache and bound the
 * object index, counted from the head's offset, which compound_head gives
 * without a load. NULL for anything else: the full check decides. */
static always_inline struct kmem_cache *slab_tail_fast_cache(struct page *page, const void *x)
{
	unsigned long word = atomic_load_relaxed(&page->compound_head);
	struct kmem_cache *s = atomic_load_relaxed(&page->tail_slab_cache);
	unsigned long off;

	if (!(word & 1) || !s)
		return NULL;
	off = (unsigned long)x - (unsigned long)kmm_mem.direct_map - slab_offset((struct page *)(word - 1));
	return slab_object_index_off(s, off) < atomic_load_relaxed(&page->tail_fast_objects) ? s : NULL;
}

/* The direct-map page frame of `x`, not below kmm_mem.lowmem_pages when
 * it is outside the direct map (one unsigned compare covers both ends, and
 * a direct map not yet set up: lowmem_pages is 0 then). */
static always_inline unsigned long direct_map_pfn(const void *x)
{
	return ((unsigned long)x - (unsigned long)kmm_mem.direct_map) >> PAGE_SHIFT;
}

/* The direct-map offset of `x`, or ~0UL when it is outside the direct map
 * (one unsigned compare covers both ends, and a direct map not yet set
 * up: lowmem_bytes is 0 then). */
static always_inline unsigned long direct_map_offset(const void *x)
{
	unsigned long off = (unsigned long)x - (unsigned long)kmm_mem.direct_map;

	return off < kmm_mem.lowmem_bytes ? off : ~0UL;
}

static always_inline struct page *direct_map_head_page(unsigned long doff)
{
	return page_compound_head(pfn_page(doff >> PAGE_SHIFT));
}

/* What a free pointer slot at `slot` holds XORed with the pointer it
 * encodes; an encoded NULL is the key itself. */
static always_inline unsigned long freeptr_key(const struct kmem_cache *s, unsigned long slot)
{
	return s->random ^ __builtin_bswap64(slot);
}

static FREEPTR_ACCESS unsigned long freeptr_load(unsigned long slot)
{
	return *(unsigned long *)slot;
}

static FREEPTR_ACCESS void freeptr_store(unsigned long slot, unsigned long stored)
{
	*(unsigned long *)slot = stored;
}

/* Whether `stored` decodes to what only a free object holds: NULL (the end
 * of a freelist) or a pointer into the object's own max-order block (a
 * slab is a buddy block, and the direct map is aligned to max-order
 * blocks, so an object's slab lies within one). */
static always_inline bool freeptr_is_free(unsigned long stored, unsigned long key,
					  const void *object)
{
	unsigned long fp = stored ^ key;

	return !fp || !((fp ^ (unsigned long)object) >> (PAGE_SHIFT + MAX_PAGE_ORDER));
}

/* A sheaf's link to `next` (NULL at the bottom: the link is then the cache's
 * random value, the sheaf mark). */
static always_inline unsigned long sheaf_link(unsigned long random, const void *next)
{
	return (unsigned long)next ^ random;
}

/* Is `p` the start of an object of `s`, wherever it lies? */
static inline bool slab_cache_object(const struct kmem_cache *s, unsigned long p)
{
	unsigned long doff = direct_map_offset((const void *)p);
	struct page *slab;

	if (doff == ~0UL)
		return false;
	slab = direct_map_head_page(doff);
	return PageSlab(slab) && atomic_load_relaxed(&slab->slab_cache) == s &&
	       slab_object_start_off(s, slab, doff);
}

/* Is `object` free: on a freelist or in a sheaf? On a freelist its free
 * pointer decodes to NULL (the end) or to an object of its own slab (so
 * within a max-order block of it); in a sheaf its slot holds a link
 * (sheaf_link()): the cache's random value (the bottom), or that XORed with
 * the start of another object of the cache. An object is handed out with
 * its slot cleared, and then the slot holds the caller's data, which the
 * per-cache random value scrambles, so it decodes that close only by a
 * 1-in-2^42 accident, and to an object of the cache with as many chances
 * in 2^64 as the cache has objects. Every free path
 * checks this before the object goes anywhere; the owner's fast path
 * first asks freeptr_maybe_free(). */
static always_inline bool slab_object_is_free(const struct kmem_cache *s, struct page *slab,
					      void *object)
{
	unsigned long slot = (unsigned long)object + s->offset, stored = freeptr_load(slot);

	(void)slab;
	return stored == s->random || freeptr_is_free(stored, freeptr_key(s, slot), object) ||
	       slab_cache_object(s, stored ^ s->random);
}

/* The cheap half of that, for the owner's fast path. A freelist link's low
 * three bits are random's: the pointer is 8-aligned, and the top byte of a
 * user-space address, which swab() brings down, is 0; a sheaf link's are
 * too, the pointer being 8-aligned. random's low bits are never 0
 * (cache.c), so the 0 a hand-out leaves never matches. A slot whose low
 * bits differ holds no link: the object is not free. One whose bits match
 * (a free object, or data that happens to: one in eight) goes to the full
 * check. */
#define FREEPTR_TAG_MASK	7UL

static always_inline bool freeptr_maybe_free(const struct kmem_cache *s, unsigned long stored)
{
	return !((stored ^ s->random) & FREEPTR_TAG_MASK);
}

static inline void *slab_object(const struct kmem_cache *s, const struct page *slab,
				unsigned int idx)
{
	return (char *)slab_address(slab) + s->red_left_pad + (unsigned long)idx * s->size;
}

/* The head page of the block holding direct-map address `x`, or NULL. */
static always_inline struct page *object_head_page(const void *x)
{
	unsigned long off = direct_map_offset(x);

	if (unlikely(off == ~0UL))
		return NULL;
	return direct_map_head_page(off);
}

/* After an object is taken, on every path: the hooks the kernel runs in
 * slab_post_alloc_hook (the free pointer slot cleared, ASan, zeroing). */
static always_inline void *slab_post_alloc(struct kmem_cache *s, gfp_t gfp, void *object)
{
	clear_freepointer(s, object);
	kasan_unpoison(object, s->object_size);
	if (unlikely(s->zero_on_alloc || (gfp & __GFP_ZERO)))
		memset(object, 0, s->object_size);
	return object;
}

/* Before an object becomes free: init_on_free and ASan poisoning. */
static always_inline void slab_pre_free(struct kmem_cache *s, void *object)
{
	if (unlikely(s->zero_on_free))
		memset(object, 0, s->object_size);
	kasan_poison(object, s->object_size);
}

static inline bool kmem_cache_debug(const struct kmem_cache *s)
{
	return (s->flags & SLAB_DEBUG_FLAGS) != 0;
}

/* A kmalloc cache whose slots keep the requested size (the kernel's
 * orig_size, after the tracks): with U as in the kernel, and with Z, so
 * that red zones alone cover the slack between the request and the size
 * class. Its free pointer is outside the object. */
static inline bool slub_debug_orig_size(const struct kmem_cache *s)
{
	return (s->flags & SLAB_KMALLOC) && (s->flags & (SLAB_STORE_USER | SLAB_RED_ZONE));
}

#endif
