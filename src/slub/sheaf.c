/* Per-CPU sheaves of free objects and each cache's barn (mm/slub.c of
 * kernels 6.18+; docs/design.md §2.4).
 *
 * A sheaf is a stack of free objects, linked through them (slab.h says
 * why not the kernel's array). Each CPU of a cache has a main sheaf, in
 * its CPU part, and may have a spare. The fast paths (sheaf.h) pop from
 * and push onto the main sheaf, with plain stores, when the calling thread
 * owns the CPU (lib/cpu_owner.h); so a free costs the same whichever slab
 * the object came from, and a batch of frees needs no compare-and-swap
 * per object. The slow paths here swap main and spare, trade a full or an
 * empty sheaf with the barn, fill the main sheaf from the CPU slab, or
 * flush a sheaf back to its slabs; a thread that does not own the CPU
 * goes on to the CPU slab's paths (cpu_slab.h). Trading moves a list's
 * head and size: the sheaves off a CPU are small records (struct
 * slab_sheaf) that the main sheaf's contents move in and out of.
 *
 * Lock order (ranks in lib/lock.h):
 *   c->lock (LOCK_RANK_SLAB_CPU)  the main sheaf (c->word, c->head) and
 *       the CPU's record in s->sheaf_cpu (the settled word, the spare):
 *       the owner changes them holding it, in an owner section (so that a
 *       claim, which waits for the old owner's section to end, finds them
 *       whole); anyone else holding it and the CPU ownerless
 *       (cpu_own_hold())
 *   the CPU's owner lock (LOCK_RANK_CPU_OWNER), to claim or hold the CPU
 *   barn->lock (LOCK_RANK_SLAB_BARN)  the barn's two lists and counts
 *   n->list_lock and the page allocator's locks, when a sheaf is flushed
 *
 * Objects in sheaves count as in use in their slabs' counters, as on a
 * CPU freelist, and read as free (slab_object_is_free()): every object in
 * a sheaf holds its link, and every hand-out clears it. So a second free
 * of an object, in a sheaf or on a freelist, is refused at once on every
 * path, and no object is ever in two places. Here too kmm departs from
 * the kernel, whose sheaves write nothing into objects and catch a
 * double free only against the sheaf's top.
 *
 * Counting: the fast paths count their pops and pushes in the CPU part's
 * word (slab.h); sheaf_settle() moves them to the CPU's event counters
 * whenever a slow path takes the main sheaf in hand, and
 * slab_stats_pending() adds those not yet settled to a reading of
 * kmm_stats.
 *
 * The records of the sheaves off a CPU are the library's own metadata,
 * like struct kmem_cache: they come from the C library, so no sheaf ever
 * recurses into a cache. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "slub/cpu_slab.h"
#include "slub/sheaf.h"

/* Objects per sheaf: SHEAF_BYTES worth, between 4 and SHEAF_MAX_CAPACITY.
 * For small objects one sheaf holds a burst of a thousand, so a CPU that
 * allocates and frees such bursts cycles between its main and spare
 * sheaves whatever their fill when the burst starts, and never takes the
 * barn's lock, which every CPU shares (with 512 a burst can fall out of
 * step with the sheaves and trade with the barn twice per burst). The
 * peers' per-thread and per-CPU caches hold as much. Debug and
 * fault-injecting caches have none. */
int sheaf_cache_init(struct kmem_cache *s)
{
	unsigned int cap = SHEAF_BYTES / s->size;

	kmm_spin_init(&s->barn.lock, "slab_barn_lock", LOCK_RANK_SLAB_BARN);
	s->sheaf_capacity = s->special ? 0 : MIN(MAX(cap, 4u), (unsigned int)SHEAF_MAX_CAPACITY);
	if (!s->sheaf_capacity)
		return 0;
	s->sheaf_cpu = host_calloc(nr_cpu_ids, sizeof(*s->sheaf_cpu));
	if (!s->sheaf_cpu) {
		s->sheaf_capacity = 0;
		return -ENOMEM;
	}
	return 0;
}

void sheaf_cache_exit(struct kmem_cache *s)
{
	host_free(s->sheaf_cpu);
	s->sheaf_cpu = NULL;
}

void sheaf_null_init(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	atomic_store_relaxed(&c->word, SHEAF_SIZE_MASK);
	atomic_store_relaxed(&c->head, NULL);
	c->random = s->random;
	c->offset = s->offset;
	c->object_size = s->object_size;
}

static struct slab_sheaf *sheaf_new(void)
{
	struct slab_sheaf *sheaf = host_alloc(sizeof(*sheaf));

	if (sheaf) {
		sheaf->head = NULL;
		sheaf->size = 0;
		sheaf->next = NULL;
	}
	return sheaf;
}

/* The object below `object` in a sheaf of `s`. */
static void *sheaf_next(const struct kmem_cache *s, void *object)
{
	return (void *)(freeptr_load((unsigned long)object + s->offset) ^ s->random);
}

/* ---- the main sheaf (c->lock held, in an owner section or the CPU
 * held) ---- */

/* Pops and pushes of the fast paths since the main sheaf was last
 * settled: the word's operation count grew by their sum, its size by
 * their difference. */
static void sheaf_pending(const struct kmem_cache_cpu *c, const struct sheaf_cpu *sc,
			  unsigned long *pops, unsigned long *pushes)
{
	unsigned long w = atomic_load_relaxed(&c->word), b = sc->base;
	unsigned long ops = ((w >> SHEAF_SIZE_BITS) - (b >> SHEAF_SIZE_BITS)) &
			    (~0UL >> SHEAF_SIZE_BITS);
	long diff = (long)(w & SHEAF_SIZE_MASK) - (long)(b & SHEAF_SIZE_MASK);

	*pushes = (ops + diff) / 2;
	*pops = (ops - diff) / 2;
}

/* The fast paths' operations on the main sheaf go to `cpu`'s event
 * counters. */
static void sheaf_settle(struct kmem_cache_cpu *c, struct sheaf_cpu *sc, int cpu)
{
	unsigned long pops, pushes;

	sheaf_pending(c, sc, &pops, &pushes);
	if (pops)
		count_event_cpu(cpu, EV_slab_alloc_fast, pops);
	if (pushes)
		count_event_cpu(cpu, EV_slab_free_fast, pushes);
	sc->base = atomic_load_relaxed(&c->word);
}

/* A slow path's change of the settled main sheaf: word and base move
 * together, so it counts as no operation. */
static void main_set(struct kmem_cache_cpu *c, struct sheaf_cpu *sc, void *head,
		     unsigned int n)
{
	unsigned long w = (atomic_load_relaxed(&c->word) & ~SHEAF_SIZE_MASK) | n;

	atomic_store_relaxed(&c->head, head);
	atomic_store_relaxed(&c->word, w);
	sc->base = w;
}

/* The main sheaf's contents and `sheaf`'s change places. */
static void main_swap(struct kmem_cache_cpu *c, struct sheaf_cpu *sc, struct slab_sheaf *sheaf)
{
	void *head = atomic_load_relaxed(&c->head);
	unsigned int n = sheaf_main_size(c);

	main_set(c, sc, sheaf->head, sheaf->size);
	sheaf->head = head;
	sheaf->size = n;
}

static void main_push(struct kmem_cache *s, struct kmem_cache_cpu *c, struct sheaf_cpu *sc,
		      void *object)
{
	void *head = atomic_load_relaxed(&c->head);

	freeptr_store((unsigned long)object + s->offset, sheaf_link(s->random, head));
	main_set(c, sc, object, sheaf_main_size(c) + 1);
}

/* The head, its slot still holding its link (slab_post_alloc() clears
 * it). */
static void *main_pop(struct kmem_cache *s, struct kmem_cache_cpu *c, struct sheaf_cpu *sc)
{
	void *object = atomic_load_relaxed(&c->head);

	main_set(c, sc, sheaf_next(s, object), sheaf_main_size(c) - 1);
	return object;
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

	return sheaf ? sheaf : sheaf_new();
}

/* ---- flushing: objects back to their slabs ---- */

/* The `n` objects of the list at `object` go back to their slabs, those
 * of one slab in a row chained and freed with one compare-and-swap (as
 * __kmem_cache_free_bulk does). Each was checked as it came in, and none
 * is in two places. */
static void sheaf_flush_list(struct kmem_cache *s, void *object, unsigned int n)
{
	if (!n)
		return;
	count_event(EV_sheaf_flush);
	while (n) {
		void *head = object, *tail = object;
		struct page *slab = object_head_page(head);
		unsigned int cnt = 1;

		object = sheaf_next(s, head);
		set_freepointer(s, head, NULL);
		while (--n && object_head_page(object) == slab) {
			void *next = sheaf_next(s, object);

			set_freepointer(s, object, head);
			head = object;
			object = next;
			cnt++;
		}
		cpu_free_slow(s, slab, head, tail, cnt);
	}
}

static void sheaf_flush(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	sheaf_flush_list(s, sheaf->head, sheaf->size);
	sheaf->head = NULL;
	sheaf->size = 0;
}

/* A sheaf off a CPU: its objects and itself go. */
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

/* Fills the main sheaf from the CPU slab, its partial slabs and the
 * node's: one claim of the CPU for the whole sheaf. Empty when a new slab
 * is needed. Each object's free pointer gives way to its link, so it
 * still reads as free. */
static void sheaf_refill_locked(struct kmem_cache *s, struct kmem_cache_cpu *c,
				struct sheaf_cpu *sc)
{
	unsigned int cap = s->sheaf_capacity, n = sheaf_main_size(c), n0 = n;
	void *head = atomic_load_relaxed(&c->head), *fl, *object;
	unsigned long tid;

	fl = cpu_claim_locked(c, &tid);
	while (n < cap && (object = cpu_take_locked(s, c, &fl))) {
		freeptr_store((unsigned long)object + s->offset, sheaf_link(s->random, head));
		head = object;
		n++;
	}
	cpu_release_locked(c, fl, tid);
	if (n != n0) {
		main_set(c, sc, head, n);
		count_event(EV_sheaf_refill);
	}
}

/* The part of the CPU the calling thread owns (or has just claimed) with
 * c->lock held, in an owner section, its main sheaf settled; else NULL,
 * and nothing held. The claim comes before the section: it may wait for
 * another owner's section. */
static struct kmem_cache_cpu *sheaf_cpu_lock(struct kmem_cache *s, struct sheaf_cpu **scp)
{
	unsigned int cpu = cpu_own_home();
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);

	if (!kmm_spin_trylock(&c->lock))
		return NULL;
	if (cpu_own_claim(cpu) && cpu_own_enter_cpu(cpu)) {
		*scp = &s->sheaf_cpu[cpu];
		sheaf_settle(c, *scp, (int)cpu);
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

/* The fast path found the main sheaf empty: the spare's objects if it has
 * some, else a full sheaf's from the barn, else a refill from the slabs.
 * Returns an object, or NULL when the caller must take the slab paths (not
 * the CPU's owner, CPU busy, a new slab needed). */
static void *sheaf_alloc_slow(struct kmem_cache *s)
{
	struct sheaf_cpu *sc;
	struct kmem_cache_cpu *c = sheaf_cpu_lock(s, &sc);
	struct slab_sheaf *spare, *full;
	void *object = NULL;

	if (!c)
		return NULL;
	spare = sc->spare;
	if (!sheaf_main_size(c)) {
		if (spare && spare->size) {
			main_swap(c, sc, spare);
		} else if ((full = barn_get(&s->barn, true))) {
			main_swap(c, sc, full);	/* `full` is empty now */
			if (!spare)
				sc->spare = full;
			else
				sheaf_put_empty(s, full);
		} else {
			sheaf_refill_locked(s, c, sc);
		}
	}
	if (sheaf_main_size(c))
		object = main_pop(s, c, sc);
	sheaf_cpu_unlock(c);
	return object;
}

/* The fast path found the main sheaf full: it trades places with an empty
 * spare, else becomes the spare (a new one) or goes into the barn for an
 * empty one, else (barn full) is flushed to its slabs after c->lock is
 * dropped. Then `object` (checked) goes on the main sheaf. False: the
 * caller frees it to its slab. */
static bool sheaf_free_slow(struct kmem_cache *s, void *object)
{
	struct sheaf_cpu *sc;
	struct kmem_cache_cpu *c = sheaf_cpu_lock(s, &sc);
	struct slab_sheaf *spare, *empty, *flush = NULL;
	bool done = false, twice = false;

	if (!c)
		return false;
	spare = sc->spare;
	if (sheaf_main_size(c) < s->sheaf_capacity)
		goto push;
	if (spare && !spare->size) {
		main_swap(c, sc, spare);
		goto push;
	}
	/* The main sheaf is full, the spare full or missing. */
	empty = sheaf_get_empty(s);
	if (!empty)
		goto out;
	main_swap(c, sc, empty);	/* `empty` holds the full sheaf now */
	if (!spare)
		sc->spare = empty;
	else if (!barn_put(&s->barn, empty, true))
		flush = empty;
push:
	done = true;
	if (unlikely(slab_object_is_free(s, NULL, object))) {
		twice = true;
		goto out;
	}
	kasan_poison(object, s->object_size);
	main_push(s, c, sc, object);
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
	struct sheaf_cpu *sc = &s->sheaf_cpu[cpu];
	unsigned long pops, pushes;

	/* c->lock keeps slow paths away while the word is read; its owner's
	 * fast paths may go on meanwhile. */
	kmm_spin_lock(&c->lock);
	if (reset) {
		sc->base = atomic_load_relaxed(&c->word);
	} else {
		sheaf_pending(c, sc, &pops, &pushes);
		counts[EV_slab_alloc_fast] += pops;
		counts[EV_slab_free_fast] += pushes;
	}
	kmm_spin_unlock(&c->lock);
}

/* ---- flushing a CPU ---- */

/* A CPU part with an empty main sheaf and no spare has nothing to flush
 * now: its owner keeps the CPU (a push that comes just after the read
 * of the word is one that came after the flush). */
void sheaf_flush_cpu(struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	struct sheaf_cpu *sc = &s->sheaf_cpu[cpu];
	struct slab_sheaf *spare;
	unsigned int n;
	void *head;

	kmm_spin_lock(&c->lock);
	if (!sheaf_main_size(c) && !sc->spare) {
		kmm_spin_unlock(&c->lock);
		return;
	}
	cpu_own_hold((unsigned int)cpu);
	sheaf_settle(c, sc, cpu);
	head = atomic_load_relaxed(&c->head);
	n = sheaf_main_size(c);
	main_set(c, sc, NULL, 0);
	spare = sc->spare;
	sc->spare = NULL;
	cpu_own_unhold((unsigned int)cpu);
	kmm_spin_unlock(&c->lock);
	sheaf_flush_list(s, head, n);
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

