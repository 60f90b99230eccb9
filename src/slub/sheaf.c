/* Per-CPU sheaves of free objects and each cache's barn (mm/slub.c of
 * kernels 6.18+).
 *
 * A sheaf is an array of free objects. Each CPU of a cache has a main
 * sheaf and a spare. The fast paths (slub_fast.h) pop from and push onto
 * the main sheaf, with plain stores, when the calling thread owns the CPU;
 * so a free costs the same whichever slab the object came from, and a
 * batch of frees needs no compare-and-swap per object. The slow paths here
 * swap main and spare, trade a full or an empty sheaf with the barn, fill
 * a sheaf from the CPU slab, or flush one back to its slabs.
 *
 * Lock order (ranks in lib/lock.h):
 *   c->lock (LOCK_RANK_SLAB_CPU)  c->main and c->spare for anyone but the
 *       CPU's owner thread; the owner takes it for every change of which
 *       sheaf is main or spare, so a revoke (slub.c) always finds them
 *       whole
 *   barn->lock (LOCK_RANK_SLAB_BARN)  the barn's two lists and counts
 *   n->list_lock and the page allocator's locks, when a sheaf is flushed
 *
 * Objects in sheaves count as in use in their slabs' counters, as on a
 * CPU freelist. Their free-pointer slot holds an encoded NULL, so a second
 * free of an object in a sheaf is caught (slab_object_is_free()).
 * Sheaves themselves are the library's own metadata, like struct
 * kmem_cache: they come from the C library, so no sheaf allocation ever
 * recurses into a cache. */
#include <stdlib.h>
#include <string.h>
#include "slub/slab.h"
#include "slub/slub_fast.h"
#include "lib/bug.h"

/* Objects per sheaf: SHEAF_BYTES worth, between 4 and SHEAF_MAX_CAPACITY,
 * so that a CPU's main and spare sheaves absorb a burst of a thousand small
 * frees without the barn (the peers' per-thread and per-CPU caches hold as
 * much). Debug and fault-injecting caches have none. */
void sheaf_cache_init(struct kmem_cache *s)
{
	unsigned int cap = SHEAF_BYTES / s->size;

	kmm_spin_init(&s->barn.lock, "slab_barn_lock", LOCK_RANK_SLAB_BARN);
	s->sheaf_capacity = s->special ? 0 : MIN(MAX(cap, 4u), (unsigned int)SHEAF_MAX_CAPACITY);
}

static struct slab_sheaf *sheaf_new(struct kmem_cache *s)
{
	struct slab_sheaf *sheaf = malloc(sizeof(*sheaf) + s->sheaf_capacity * sizeof(void *));

	if (sheaf) {
		sheaf->next = NULL;
		sheaf->size = 0;
	}
	return sheaf;
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
		free(sheaf);
}

static struct slab_sheaf *sheaf_get_empty(struct kmem_cache *s)
{
	struct slab_sheaf *sheaf = barn_get(&s->barn, false);

	return sheaf ? sheaf : sheaf_new(s);
}

/* ---- flushing: objects back to their slabs ---- */

/* The sheaf's objects go back to their slabs, those of one slab chained
 * and freed with one compare-and-swap (as __kmem_cache_free_bulk does).
 * The objects were checked when they were freed into the sheaf. */
static void sheaf_flush(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	unsigned int n = sheaf->size;

	if (!n)
		return;
	count_event(EV_sheaf_flush);
	while (n) {
		void *head = sheaf->objects[--n], *tail = head;
		struct page *slab = object_head_page(head);
		unsigned int cnt = 1;

		while (n && object_head_page(sheaf->objects[n - 1]) == slab) {
			void *object = sheaf->objects[--n];

			set_freepointer(s, object, head);
			head = object;
			cnt++;
		}
		slab_free_slow(s, slab, head, tail, cnt, 0);
	}
	sheaf->size = 0;
}

/* A sheaf taken off a CPU (flush_cpu_slab): its objects and itself go. */
void sheaf_discard(struct kmem_cache *s, struct slab_sheaf *sheaf)
{
	if (!sheaf)
		return;
	sheaf_flush(s, sheaf);
	free(sheaf);
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

		free(empty);
		empty = next;
	}
}

/* ---- the CPU's sheaves (c->lock held by their owner) ---- */

/* Fills `sheaf` from the CPU slab, its partial slabs and the node's: one
 * claim of the CPU for the whole sheaf. Empty when a new slab is needed. */
static void sheaf_refill_locked(struct kmem_cache *s, struct kmem_cache_cpu *c,
				struct slab_sheaf *sheaf)
{
	unsigned int cap = s->sheaf_capacity;
	unsigned long tid;
	void *fl, *object;

	fl = cpu_claim_locked(c, &tid, true);
	while (sheaf->size < cap && (object = cpu_take_locked(s, c, &fl)))
		sheaf->objects[sheaf->size++] = object;
	cpu_release_locked(c, fl, tid, true);
	if (sheaf->size)
		count_event(EV_sheaf_refill);
}

static void cpu_set_sheaves(struct kmem_cache_cpu *c, struct slab_sheaf *main,
			    struct slab_sheaf *spare)
{
	atomic_store_relaxed(&c->main, main);
	atomic_store_relaxed(&c->spare, spare);
}

/* This CPU's part with c->lock held, when the calling thread owns the CPU
 * (or has just become its owner); else NULL, and nothing held. */
static struct kmem_cache_cpu *sheaf_cpu_lock(struct kmem_cache *s)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu_id());

	if (!kmm_spin_trylock(&c->lock))
		return NULL;
	if (cpu_own_locked(c))
		return c;
	kmm_spin_unlock(&c->lock);
	return NULL;
}

/* The fast path found the main sheaf empty (or none): the spare if it has
 * objects, else a full sheaf from the barn, else a refill from the slabs.
 * Returns an object, or NULL when the caller must take the slab paths (not
 * the CPU's owner, CPU busy, a new slab needed, no memory for a sheaf). */
void *sheaf_alloc_slow(struct kmem_cache *s)
{
	struct kmem_cache_cpu *c = sheaf_cpu_lock(s);
	struct slab_sheaf *main, *spare, *full;
	void *object = NULL;

	if (!c)
		return NULL;
	main = atomic_load_relaxed(&c->main);
	spare = atomic_load_relaxed(&c->spare);
	if (!main || !main->size) {
		if (spare && spare->size) {
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
	if (main && main->size)
		object = main->objects[--main->size];
	kmm_spin_unlock(&c->lock);
	return object;
}

/* The fast path found the main sheaf full (or none): an empty spare, else
 * the full sheaf becomes the spare or goes into the barn for an empty one,
 * else (barn full) it is flushed to its slabs after c->lock is dropped.
 * Then `object` (checked, marked free) goes on the main sheaf. False: the
 * caller frees it to its slab. */
bool sheaf_free_slow(struct kmem_cache *s, void *object)
{
	struct kmem_cache_cpu *c = sheaf_cpu_lock(s);
	struct slab_sheaf *main, *spare, *empty, *flush = NULL;
	bool done = false;

	if (!c)
		return false;
	main = atomic_load_relaxed(&c->main);
	spare = atomic_load_relaxed(&c->spare);
	if (main && main->size < s->sheaf_capacity)
		goto push;
	if (spare && (!main || !spare->size)) {
		struct slab_sheaf *t = main;

		main = spare;
		spare = t;
		if (main->size < s->sheaf_capacity)
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
	if (unlikely(s->zero_on_free))
		memset(object, 0, s->object_size);
	set_freepointer(s, object, NULL);
	kasan_poison(object, s->object_size);
	main->objects[main->size++] = object;
	done = true;
out:
	kmm_spin_unlock(&c->lock);
	if (flush) {
		sheaf_flush(s, flush);
		sheaf_put_empty(s, flush);
	}
	return done;
}
