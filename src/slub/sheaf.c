/* Per-CPU sheaves of free objects and each cache's barn (mm/slub.c of
 * kernels 6.18+; docs/design.md §2.4).
 *
 * A sheaf is an array of free objects. Each CPU of a cache has a main
 * sheaf and a spare. The fast paths (sheaf.h) pop from and push onto the
 * main sheaf, with plain stores, when the calling thread owns the CPU
 * (lib/cpu_owner.h); so a free costs the same whichever slab the object
 * came from, and a batch of frees needs no compare-and-swap per object.
 * The slow paths here swap main and spare, trade a full or an empty sheaf
 * with the barn, fill a sheaf from the CPU slab, or flush one back to its
 * slabs; a thread that does not own the CPU goes on to the CPU slab's
 * paths (cpu_slab.h).
 *
 * Lock order (ranks in lib/lock.h):
 *   c->lock (LOCK_RANK_SLAB_CPU)  c->main and c->spare: the owner changes
 *       them holding it, in an owner section (so that a claim, which waits
 *       for the old owner's section to end, finds them whole); anyone else
 *       holding it and the CPU ownerless (cpu_own_hold())
 *   the CPU's owner lock (LOCK_RANK_CPU_OWNER), to claim or hold the CPU
 *   barn->lock (LOCK_RANK_SLAB_BARN)  the barn's two lists and counts
 *   n->list_lock and the page allocator's locks, when a sheaf is flushed
 *
 * Objects in sheaves count as in use in their slabs' counters, as on a
 * CPU freelist, and read as free (slab_object_is_free()): a refill leaves
 * each object's encoded free pointer in place, a free marks the slot
 * with the cache's random value, and every hand-out clears it. So a second free of
 * an object, in a sheaf or on a freelist, is refused at once on every
 * path, and no object is ever in two places. This is where kmm departs
 * from the kernel, whose sheaves write nothing into objects and catch a
 * double free only against the sheaf's top.
 *
 * Counting: the fast paths count their pops and pushes in the sheaf's word
 * (slab.h); sheaf_settle() moves them to the CPU's event counters whenever
 * a slow path takes the sheaf in hand, and slab_stats_pending() adds those
 * of the sheaves in use to a reading of kmm_stats.
 *
 * Sheaves themselves are the library's own metadata, like struct
 * kmem_cache: they come from the C library, so no sheaf allocation ever
 * recurses into a cache. */
#include <stdlib.h>
#include <string.h>
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "slub/cpu_slab.h"
#include "slub/sheaf.h"

struct slab_sheaf sheaf_empty;

/* Objects per sheaf: SHEAF_BYTES worth, between 4 and SHEAF_MAX_CAPACITY.
 * For small objects one sheaf holds a burst of a thousand, so a CPU that
 * allocates and frees such bursts cycles between its main and spare
 * sheaves whatever their fill when the burst starts, and never takes the
 * barn's lock, which every CPU shares (with 512 a burst can fall out of
 * step with the sheaves and trade with the barn twice per burst). The
 * peers' per-thread and per-CPU caches hold as much. Debug and
 * fault-injecting caches have none. */
void sheaf_cache_init(struct kmem_cache *s)
{
	unsigned int cap = SHEAF_BYTES / s->size;

	kmm_spin_init(&s->barn.lock, "slab_barn_lock", LOCK_RANK_SLAB_BARN);
	s->sheaf_capacity = s->special ? 0 : MIN(MAX(cap, 4u), (unsigned int)SHEAF_MAX_CAPACITY);
}

void sheaf_cpu_init(struct kmem_cache_cpu *c)
{
	c->main = &sheaf_empty;
	c->spare = NULL;
}

static struct slab_sheaf *sheaf_new(struct kmem_cache *s)
{
	struct slab_sheaf *sheaf = host_alloc(sizeof(*sheaf) + s->sheaf_capacity * sizeof(void *));

	if (sheaf) {
		sheaf->word = sheaf->base = 0;
		sheaf->capacity = s->sheaf_capacity;
		sheaf->offset = s->offset;
		sheaf->object_size = s->object_size;
		sheaf->next = NULL;
	}
	return sheaf;
}

/* A CPU part's main sheaf, NULL for none (sheaf_empty). */
static struct slab_sheaf *cpu_main(struct kmem_cache_cpu *c)
{
	struct slab_sheaf *main = atomic_load_relaxed(&c->main);

	return main == &sheaf_empty ? NULL : main;
}

/* ---- a sheaf's word ---- */

/* Pops and pushes of the fast paths since the sheaf was last settled: the
 * word's operation count grew by their sum, its size by their difference. */
static void sheaf_pending(const struct slab_sheaf *sheaf, unsigned long *pops,
			  unsigned long *pushes)
{
	unsigned long w = atomic_load_relaxed(&sheaf->word), b = sheaf->base;
	unsigned long ops = ((w >> SHEAF_SIZE_BITS) - (b >> SHEAF_SIZE_BITS)) &
			    (~0UL >> SHEAF_SIZE_BITS);
	long diff = (long)(w & SHEAF_SIZE_MASK) - (long)(b & SHEAF_SIZE_MASK);

	*pushes = (ops + diff) / 2;
	*pops = (ops - diff) / 2;
}

/* The fast paths' operations on `sheaf` go to `cpu`'s event counters. */
static void sheaf_settle(struct slab_sheaf *sheaf, int cpu)
{
	unsigned long pops, pushes;

	if (!sheaf)
		return;
	sheaf_pending(sheaf, &pops, &pushes);
	if (pops)
		count_event_cpu(cpu, EV_slab_alloc_fast, pops);
	if (pushes)
		count_event_cpu(cpu, EV_slab_free_fast, pushes);
	sheaf->base = atomic_load_relaxed(&sheaf->word);
}

/* A slow path's change of a settled sheaf's size (no fast path runs on
 * it): word and base move together, so it counts as no operation. */
static void sheaf_set_size(struct slab_sheaf *sheaf, unsigned int n)
{
	unsigned long w = (atomic_load_relaxed(&sheaf->word) & ~SHEAF_SIZE_MASK) | n;

	atomic_store_relaxed(&sheaf->word, w);
	sheaf->base = w;
}

static void sheaf_push(struct slab_sheaf *sheaf, void *object)
{
	unsigned int n = sheaf_size(sheaf);

	sheaf->slots[n] = object;
	sheaf_set_size(sheaf, n + 1);
}

static void *sheaf_pop(struct slab_sheaf *sheaf)
{
	unsigned int n = sheaf_size(sheaf) - 1;

	sheaf_set_size(sheaf, n);
	return sheaf->slots[n];
}

/* ---- the barn ---- */

static struct slab_sheaf *barn_get(struct slab_barn *barn, bool full)
{
	struct slab_sheaf **list = full ? &barn->full : &barn->empty, *sheaf;
	unsigned int *nr = full ? &barn->nr_full : &barn->nr_empty;

	if (!atomic_load_relaxed(nr))
		return NULL;
	kmm_spin_lock(&barn->lock);
	sheaf = *list;
	if (sheaf) {
		*list = sheaf->next;
		atomic_store_relaxed(nr, *nr - 1);
	}
	kmm_spin_unlock(&barn->lock);
	if (sheaf)
		count_event(EV_barn_get);
	return sheaf;
}

/* False: the barn holds its maximum of that kind already. */
static bool barn_put(struct slab_barn *barn, struct slab_sheaf *sheaf, bool full)
{
	struct slab_sheaf **list = full ? &barn->full : &barn->empty;
	unsigned int *nr = full ? &barn->nr_full : &barn->nr_empty;
	unsigned int max = full ? BARN_MAX_FULL : BARN_MAX_EMPTY;
	bool ok = false;

	if (atomic_load_relaxed(nr) >= max)
		return false;
	kmm_spin_lock(&barn->lock);
	if (*nr < max) {
		sheaf->next = *list;
		*list = sheaf;
		atomic_store_relaxed(nr, *nr + 1);
		ok = true;
	}
	kmm_spin_unlock(&barn->lock);
	if (ok)
		count_event(EV_barn_put);
	return ok;
}

/* An empty sheaf the CPU no longer needs: to the barn, or freed. */
static void sheaf_put_empty(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	if (!barn_put(&s->barn, sheaf, false))
		host_free(sheaf);
}

static struct slab_sheaf *sheaf_get_empty(struct kmem_cache *s)
{
	struct slab_sheaf *sheaf = barn_get(&s->barn, false);

	return sheaf ? sheaf : sheaf_new(s);
}

/* ---- flushing: objects back to their slabs ---- */

/* The sheaf's objects go back to their slabs, those of one slab chained
 * and freed with one compare-and-swap (as __kmem_cache_free_bulk does).
 * Each was checked as it came in, and none is in two places. */
static void sheaf_flush(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	unsigned int n = sheaf_size(sheaf);

	if (!n)
		return;
	count_event(EV_sheaf_flush);
	while (n) {
		void *head = sheaf->slots[--n], *tail;
		struct page *slab = object_head_page(head);
		unsigned int cnt = 1;

		set_freepointer(s, head, NULL);
		tail = head;
		while (n && object_head_page(sheaf->slots[n - 1]) == slab) {
			void *object = sheaf->slots[--n];

			set_freepointer(s, object, head);
			head = object;
			cnt++;
		}
		cpu_free_slow(s, slab, head, tail, cnt);
	}
	sheaf_set_size(sheaf, 0);
}

/* A sheaf taken off a CPU (sheaf_flush_cpu()) and settled: its objects
 * and itself go. */
static void sheaf_discard(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	if (!sheaf)
		return;
	sheaf_flush(s, sheaf);
	host_free(sheaf);
}

/* kmem_cache_shrink and memory pressure: every sheaf in the barn goes. */
void barn_shrink(struct kmem_cache *s)
{
	struct slab_barn *barn = &s->barn;
	struct slab_sheaf *full, *empty;

	if (!atomic_load_relaxed(&barn->nr_full) && !atomic_load_relaxed(&barn->nr_empty))
		return;
	kmm_spin_lock(&barn->lock);
	full = barn->full;
	empty = barn->empty;
	barn->full = barn->empty = NULL;
	atomic_store_relaxed(&barn->nr_full, 0);
	atomic_store_relaxed(&barn->nr_empty, 0);
	kmm_spin_unlock(&barn->lock);
	while (full) {
		struct slab_sheaf *next = full->next;

		sheaf_discard(s, full);
		full = next;
	}
	while (empty) {
		struct slab_sheaf *next = empty->next;

		host_free(empty);
		empty = next;
	}
}

/* ---- the CPU's sheaves (c->lock held by their owner) ---- */

/* Fills `sheaf` from the CPU slab, its partial slabs and the node's: one
 * claim of the CPU for the whole sheaf. Empty when a new slab is needed.
 * Each object keeps its encoded free pointer, so it still reads as free. */
static void sheaf_refill_locked(struct kmem_cache *s, struct kmem_cache_cpu *c,
				struct slab_sheaf *sheaf)
{
	unsigned int cap = s->sheaf_capacity, n = sheaf_size(sheaf);
	unsigned long tid;
	void *fl, *object;

	fl = cpu_claim_locked(c, &tid);
	while (n < cap && (object = cpu_take_locked(s, c, &fl)))
		sheaf->slots[n++] = object;
	cpu_release_locked(c, fl, tid);
	if (n != sheaf_size(sheaf)) {
		sheaf_set_size(sheaf, n);
		count_event(EV_sheaf_refill);
	}
}

static void cpu_set_sheaves(struct kmem_cache_cpu *c, struct slab_sheaf *main,
			    struct slab_sheaf *spare)
{
	atomic_store_relaxed(&c->main, main ? main : &sheaf_empty);
	atomic_store_relaxed(&c->spare, spare);
}

/* The part of the CPU the calling thread owns (or has just claimed) with
 * c->lock held, in an owner section, its main sheaf settled; else NULL,
 * and nothing held. The claim comes before the section: it may wait for
 * another owner's section. */
static struct kmem_cache_cpu *sheaf_cpu_lock(struct kmem_cache *s)
{
	unsigned int cpu = cpu_own_home();
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);

	if (!kmm_spin_trylock(&c->lock))
		return NULL;
	if (cpu_own_claim(cpu) && cpu_own_enter_cpu(cpu)) {
		sheaf_settle(cpu_main(c), (int)cpu);
		return c;
	}
	kmm_spin_unlock(&c->lock);
	return NULL;
}

static void sheaf_cpu_unlock(struct kmem_cache_cpu *c)
{
	cpu_own_exit();
	kmm_spin_unlock(&c->lock);
}

/* The fast path found the main sheaf empty (or none): the spare if it has
 * objects, else a full sheaf from the barn, else a refill from the slabs.
 * Returns an object, or NULL when the caller must take the slab paths (not
 * the CPU's owner, CPU busy, a new slab needed, no memory for a sheaf). */
static void *sheaf_alloc_slow(struct kmem_cache *s)
{
	struct kmem_cache_cpu *c = sheaf_cpu_lock(s);
	struct slab_sheaf *main, *spare, *full;
	void *object = NULL;

	if (!c)
		return NULL;
	main = cpu_main(c);
	spare = atomic_load_relaxed(&c->spare);
	if (!main || !sheaf_size(main)) {
		if (spare && sheaf_size(spare)) {
			struct slab_sheaf *t = main;

			main = spare;
			spare = t;
		} else if ((full = barn_get(&s->barn, true))) {
			if (main && !spare)
				spare = main;
			else if (main)
				sheaf_put_empty(s, main);
			main = full;
		} else {
			if (!main && spare) {
				main = spare;
				spare = NULL;
			}
			if (!main)
				main = sheaf_get_empty(s);
			if (main)
				sheaf_refill_locked(s, c, main);
		}
		cpu_set_sheaves(c, main, spare);
	}
	if (main && sheaf_size(main))
		object = sheaf_pop(main);
	sheaf_cpu_unlock(c);
	return object;
}

/* The fast path found the main sheaf full (or none): an empty spare, else
 * the full sheaf becomes the spare or goes into the barn for an empty one,
 * else (barn full) it is flushed to its slabs after c->lock is dropped.
 * Then `object` (checked) goes on the main sheaf. False: the
 * caller frees it to its slab. */
static bool sheaf_free_slow(struct kmem_cache *s, void *object)
{
	struct kmem_cache_cpu *c = sheaf_cpu_lock(s);
	struct slab_sheaf *main, *spare, *empty, *flush = NULL;
	bool done = false, twice = false;

	if (!c)
		return false;
	main = cpu_main(c);
	spare = atomic_load_relaxed(&c->spare);
	if (main && sheaf_size(main) < s->sheaf_capacity)
		goto push;
	if (spare && (!main || !sheaf_size(spare))) {
		struct slab_sheaf *t = main;

		main = spare;
		spare = t;
		if (sheaf_size(main) < s->sheaf_capacity)
			goto set;
	}
	/* `main` is full or missing, `spare` full or missing. */
	empty = sheaf_get_empty(s);
	if (!empty)
		goto out;
	if (main && !spare)
		spare = main;
	else if (main && !barn_put(&s->barn, main, true))
		flush = main;
	main = empty;
set:
	cpu_set_sheaves(c, main, spare);
push:
	done = true;
	if (unlikely(!slab_mark_free(s, object))) {
		twice = true;
		goto out;
	}
	kasan_poison(object, s->object_size);
	sheaf_push(main, object);
out:
	sheaf_cpu_unlock(c);
	if (twice)
		slab_report_double_free(s, object_head_page(object), object);
	if (flush) {
		sheaf_flush(s, flush);
		sheaf_put_empty(s, flush);
	}
	return done;
}

/* ---- kmm_stats ---- */

void sheaf_cpu_pending(struct kmem_cache *s, int cpu, unsigned long *counts, bool reset)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	struct slab_sheaf *main;
	unsigned long pops, pushes;

	/* c->lock keeps the main sheaf in place while it is read; its owner
	 * may go on meanwhile. */
	kmm_spin_lock(&c->lock);
	main = cpu_main(c);
	if (main && reset) {
		main->base = atomic_load_relaxed(&main->word);
	} else if (main) {
		sheaf_pending(main, &pops, &pushes);
		counts[EV_slab_alloc_fast] += pops;
		counts[EV_slab_free_fast] += pushes;
	}
	kmm_spin_unlock(&c->lock);
}

/* ---- flushing a CPU ---- */

/* A CPU part whose main is sheaf_empty and that has no spare has nothing
 * to flush, and no fast path can change that (only slow paths holding
 * c->lock install sheaves): its owner keeps the CPU. */
void sheaf_flush_cpu(struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	struct slab_sheaf *main, *spare;

	kmm_spin_lock(&c->lock);
	if (!cpu_main(c) && !atomic_load_relaxed(&c->spare)) {
		kmm_spin_unlock(&c->lock);
		return;
	}
	cpu_own_hold((unsigned int)cpu);
	main = cpu_main(c);
	spare = atomic_load_relaxed(&c->spare);
	cpu_set_sheaves(c, NULL, NULL);
	sheaf_settle(main, cpu);
	sheaf_settle(spare, cpu);
	cpu_own_unhold((unsigned int)cpu);
	kmm_spin_unlock(&c->lock);
	sheaf_discard(s, main);
	sheaf_discard(s, spare);
}

/* ---- the paths of everyone but an owner with a usable main sheaf ---- */

/* Whether the sheaves' slow paths may serve this thread. */
static always_inline bool sheaves_usable(struct kmem_cache *s)
{
	return s->sheaf_capacity && cpu_own_may_claim(cpu_own_home());
}

noinline void *slab_alloc_shared(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (sheaves_usable(s)) {
		void *object = sheaf_alloc_slow(s);

		if (object) {
			count_event(EV_slab_alloc_slow);
			return slab_post_alloc(s, gfp, object);
		}
	}
	return slab_alloc_any(s, gfp, addr);
}

noinline void slab_free_shared(struct kmem_cache *s, void *object)
{
	struct page *slab = object_head_page(object);

	if (unlikely(slab_object_is_free(s, slab, object)))
		return slab_report_double_free(s, slab, object);
	if (sheaves_usable(s)) {
		if (sheaf_free_slow(s, object)) {
			count_event(EV_slab_free_slow);
			return;
		}
	} else if (s->sheaf_capacity) {
		/* a free by a thread that does not own the CPU counts towards a
		 * claim as a refill does: a thread that only frees gets there */
		cpu_own_note_miss(cpu_own_home());
	}
	slab_free_any(s, slab, object);
}

