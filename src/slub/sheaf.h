/* The owner's sheaves (sheaf.c): the fast paths of the thread that owns
 * the CPU (lib/cpu_owner.h), inline, and the slow paths every other case
 * takes. The protocol and its state table are in docs/design.md §2.4.
 * Locks: none on the owner's fast paths; the slow paths take c->lock and
 * the barn's lock (sheaf.c).
 *
 * The owner pops from and pushes onto its CPU part's main sheaf, a list
 * in the part itself (slab.h), with plain stores, whatever slab an object
 * is from, counted by the part's word. A thread that owns no CPU reads the
 * null unit's part, as does every CPU of a cache with no sheaves: no
 * objects and no room there, so one test sends every case that is not the
 * owner's plain pop or push (not the owner, an empty or full sheaf, a
 * debug or zeroing cache, kmm not booted) to a noinline slow path, by a
 * tail call, so the inline part needs no saved registers. Budget of a pop:
 * the busy store, the owned CPU's delta, the part's word and head, the
 * head's link, the word's and the head's stores, the object's free
 * pointer slot cleared, the release of busy; a push adds the double-free
 * check (slab.h) and the object-start check its callers make. */
#ifndef KMM_SLUB_SHEAF_H
#define KMM_SLUB_SHEAF_H

#include "lib/cpu_owner.h"
#include "slub/slab.h"
#include "slub/slab_check.h"

/* The paths of a thread that is not the CPU's owner, or whose main sheaf
 * is empty or full: the sheaves' slow paths when it may own the CPU, else
 * the CPU slab's (cpu_slab.h). */
void *slab_alloc_shared(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
void slab_free_shared(struct kmem_cache *s, void *object);

/* This CPU part of `s` for an owner section's delta (the null unit's for
 * 0). */
static always_inline struct kmem_cache_cpu *sheaf_cpu_part(struct kmem_cache *s, long delta)
{
	return (struct kmem_cache_cpu *)((char *)s->cpu_fast + delta);
}

/* The pop of an owner section from the main sheaf of CPU part `c` of a
 * cache with the free pointer offset, random value and object size given
 * (the cache's, or its null unit copy's): false when it is empty (or `c`
 * the null unit's). The head's link names the next head; the object's
 * slot is cleared as it is handed out. */
static always_inline bool sheaf_pop_fast(struct kmem_cache_cpu *c, unsigned int offset,
					 unsigned long random, unsigned int object_size,
					 void **objectp)
{
	unsigned long word = sheaf_word_owner(c);
	void *object = atomic_load_relaxed(&c->head);
	unsigned long slot;

	if (unlikely(!object))
		return false;
	slot = (unsigned long)object + offset;
	atomic_store_relaxed(&c->head, (void *)(freeptr_load(slot) ^ random));
	sheaf_word_set(c, word + SHEAF_POP);
	freeptr_store(slot, 0);
	kasan_unpoison(object, object_size);
	*objectp = object;
	return true;
}

/* The owner's pop from its main sheaf of `s`: false to take the slow
 * paths. */
static always_inline bool slab_alloc_owner(struct kmem_cache *s, void **objectp)
{
	bool ok = sheaf_pop_fast(sheaf_cpu_part(s, cpu_own_enter()), s->offset, s->random,
				 s->object_size, objectp);

	cpu_own_exit();
	return ok;
}

/* do_slab_free() for one checked object, as a try: false (nothing
 * changed) when the main sheaf is full (or the CPU part the null unit's),
 * or when the object's free pointer slot may hold a link
 * (freeptr_maybe_free()); the slow path checks that slot in full. Unlike
 * the kernel's free_to_pcs() it looks at the slot, which the link then
 * fills, so a double free is refused at the second free whether the first
 * put the object in a sheaf or on a freelist. */
static always_inline bool sheaf_push_owner(struct kmem_cache *s, void *object)
{
	struct kmem_cache_cpu *c = sheaf_cpu_part(s, cpu_own_enter());
	unsigned long word = sheaf_word_owner(c), n = word & SHEAF_SIZE_MASK;
	unsigned long slot = (unsigned long)object + s->offset;

	if (unlikely(n >= s->sheaf_capacity || freeptr_maybe_free(s, freeptr_load(slot)))) {
		cpu_own_exit();
		return false;
	}
	freeptr_store(slot, sheaf_link(s->random, atomic_load_relaxed(&c->head)));
	kasan_poison(object, s->object_size);
	atomic_store_relaxed(&c->head, object);
	sheaf_word_set(c, word + SHEAF_PUSH);
	cpu_own_exit();
	return true;
}

/* The owner's push, else the slow paths. The slab is not carried along:
 * the exits find it again. */
static always_inline void slab_free_owner(struct kmem_cache *s, void *object)
{
	if (unlikely(!sheaf_push_owner(s, object)))
		slab_free_shared(s, object);
}

/* Cache creation: the sheaf capacity, the barn and the sheaves' per-CPU
 * records (-ENOMEM); the null unit's copy of a CPU part (no objects, no
 * room, the cache's constants). Every other part starts zeroed: an empty
 * main sheaf. */
int sheaf_cache_init(struct kmem_cache *s);
void sheaf_cache_exit(struct kmem_cache *s);
void sheaf_null_init(struct kmem_cache *s, struct kmem_cache_cpu *c);
/* Takes a CPU's sheaves away (from any thread) and gives their objects
 * back to their slabs. */
void sheaf_flush_cpu(struct kmem_cache *s, int cpu);
/* kmem_cache_shrink and memory pressure: every sheaf in the barn goes. */
void barn_shrink(struct kmem_cache *s);
/* For kmm_stats: the fast-path operations not yet settled of `cpu`'s main
 * sheaf, added to `counts`; with `reset` they are dropped instead. */
void sheaf_cpu_pending(struct kmem_cache *s, int cpu, unsigned long *counts, bool reset);

#endif
