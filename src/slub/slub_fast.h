/* SLUB's lockless fast paths (slab_alloc_node/do_slab_free in mm/slub.c).
 *
 * Two modes per CPU and cache, both without locks:
 *
 * Shared (c->owner == 0): the kernel's scheme. Every change of c->freelist
 *   also changes c->tid, tids never repeat, and one double-word cmpxchg
 *   compares both, so a fast path commits only if nothing happened to the
 *   CPU's freelist since it read tid. Correct however many threads share
 *   the CPU. Budget: cpu_id(), per_cpu_ptr, two loads, one free pointer,
 *   one lock cmpxchg16b, a relaxed counter.
 *
 * Owned (c->owner == this thread's struct slab_thread): the kernel's
 *   per-CPU operations need no lock prefix because a CPU runs one thing at
 *   a time; here that holds while one thread owns the CPU's slab state. The
 *   owner marks itself busy (in its own record, so a former owner never
 *   touches the flag of the next), re-checks ownership and then updates
 *   the freelist with plain (relaxed atomic) loads and stores: no locked
 *   instruction at all.
 *   A slow path of any other thread revokes ownership under c->lock:
 *   owner = 0, membarrier() (an asymmetric fence: it makes the owner's busy
 *   store and the revoker's owner store visible to each other, the
 *   Dekker pattern with the owner's side reduced to a compiler barrier),
 *   then waits until the owner is not busy. A slow path may hand ownership
 *   to its thread after a few refills without contention (slub.c).
 *
 * Sheaves (sheaf.c): an owner's fast paths pop from and push onto the
 *   CPU's main sheaf instead of the freelist; the freelist then feeds
 *   sheaf refills, shared mode and caches without sheaves.
 *
 * A slow path that changes c->slab first swaps c->freelist for
 * CPU_SLAB_BUSY (bumping tid): shared fast paths then fail their cmpxchg
 * or see BUSY and leave, and an owner never runs concurrently with
 * another thread's slow path, so c->slab is stable for any fast path that
 * commits. Everything else is one unlikely() exit to a noinline slow path
 * in slub.c. */
#ifndef KMM_SLUB_FAST_H
#define KMM_SLUB_FAST_H

#include <string.h>
#include "slub/slab.h"
#include "percpu/cpu.h"
#include "percpu/events.h"

/* The kernel's TID_STEP: the tid's low bits name the CPU. */
extern unsigned long slab_tid_step KMM_HIDDEN;

static always_inline unsigned long next_tid(unsigned long tid)
{
	return tid + slab_tid_step;
}

/* The calling thread's owner token: its struct slab_thread (never 0). */
static always_inline unsigned long slab_token(void)
{
	return (unsigned long)slab_self;
}

static always_inline int *slab_busy(unsigned long tok)
{
	return &((struct slab_thread *)tok)->busy;
}

static always_inline bool cpu_pair_cas(struct kmem_cache_cpu *c, void *fl_old, unsigned long tid,
				       void *fl_new, unsigned long tid_new)
{
	return cmpxchg16(&c->freelist_tid, pair_make(fl_old, tid), pair_make(fl_new, tid_new));
}

/* Owner mode: mark busy, then re-check ownership. The signal fence keeps
 * the compiler from moving the check above the store; the hardware order
 * comes from the revoker's membarrier(). */
static always_inline bool cpu_owner_enter(struct kmem_cache_cpu *c, unsigned long tok)
{
	atomic_store_relaxed(slab_busy(tok), 1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (likely(atomic_load_relaxed(&c->owner) == tok))
		return true;
	atomic_store_release(slab_busy(tok), 0);
	return false;
}

/* Owner mode: publish the new freelist (release: a revoker acquires it).
 * tid stays: no shared fast path can commit while a thread owns the CPU,
 * and every way in and out of owner mode (claim and release under c->lock)
 * bumps tid, so a stale (freelist, tid) read across owner-mode operations
 * still fails its cmpxchg. */
static always_inline void cpu_owner_commit(struct kmem_cache_cpu *c, unsigned long tok, void *fl)
{
	atomic_store_relaxed(&c->freelist, fl);
	atomic_store_release(slab_busy(tok), 0);
}

/* After an object is taken: the hooks the kernel runs in slab_post_alloc_hook. */
static always_inline void *slab_post_alloc(struct kmem_cache *s, gfp_t gfp, void *object)
{
	clear_freepointer(s, object);
	kasan_unpoison(object, s->object_size);
	if (unlikely(s->zero_on_alloc || (gfp & __GFP_ZERO)))
		memset(object, 0, s->object_size);
	return object;
}

/* Both modes, retrying: the body of slab_alloc_shared() in slub.c. */
static always_inline void *slab_alloc_any(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	unsigned long tok = slab_token();
	void *object, *next;
	int cpu;

	for (;;) {
		struct kmem_cache_cpu *c;
		unsigned long tid;

		cpu = cpu_id();
		c = per_cpu_ptr(s->cpu_slab, cpu);
		if (likely(atomic_load_relaxed(&c->owner) == tok)) {
			if (unlikely(!cpu_owner_enter(c, tok)))
				continue;
			object = atomic_load_relaxed(&c->freelist);
			if (unlikely((uintptr_t)object <= (uintptr_t)CPU_SLAB_BUSY)) {
				atomic_store_release(slab_busy(tok), 0);
				return slab_alloc_slow(s, gfp, addr);
			}
			cpu_owner_commit(c, tok, get_freepointer(s, object));
			break;
		}
		tid = atomic_load_relaxed(&c->tid);
		/* Acquire: pairs with the release of whoever put `object`
		 * there, so its free pointer (and c->owner) are visible. */
		object = atomic_load_acquire(&c->freelist);
		if (unlikely((uintptr_t)object <= (uintptr_t)CPU_SLAB_BUSY ||
			     atomic_load_relaxed(&c->owner)))
			return slab_alloc_slow(s, gfp, addr);
		next = get_freepointer(s, object);
		if (likely(cpu_pair_cas(c, object, tid, next, next_tid(tid))))
			break;
	}
	count_event_cpu(cpu, EV_slab_alloc_fast, 1);
	return slab_post_alloc(s, gfp, object);
}

/* The owner's path inline: the top object of the CPU's main sheaf
 * (sheaf.c), counted by the sheaf's own word. Anything else (an unbound
 * thread, shared mode, a lost ownership, an empty sheaf, a cache without
 * sheaves, a debug cache, zeroing) leaves by a tail call, so the inline
 * part needs no saved registers. */
static always_inline void *slab_alloc_owner(struct kmem_cache *s, gfp_t gfp, unsigned long addr,
					    bool zero)
{
	unsigned long tok = slab_token(), w;
	unsigned int cpu = kmm_current.cpu;
	struct kmem_cache_cpu *c;
	struct slab_sheaf *sheaf;
	void *object;

	/* An unbound thread (or one bound in an earlier boot) gets CPU 0's
	 * part here, and goes on only if it owns CPU 0: ownership, not the
	 * CPU number, is what makes the plain stores safe. */
	c = (struct kmem_cache_cpu *)((unsigned long)s->cpu_slab + kmm_cpu_offsets[cpu]);
	/* Busy before the ownership check (slub.c's revoke waits on it);
	 * harmless when the thread turns out not to own this CPU. */
	atomic_store_relaxed(slab_busy(tok), 1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (unlikely(atomic_load_relaxed(&c->owner) != tok))
		goto leave;
	sheaf = atomic_load_relaxed(&c->main);
	if (unlikely(!sheaf))
		goto leave;
	w = atomic_load_relaxed(&sheaf->word);
	if (unlikely(!(w & SHEAF_SIZE_MASK)))
		goto leave;
	object = sheaf->slots[w & SHEAF_SIZE_MASK];
	atomic_store_relaxed(&sheaf->word, w + SHEAF_POP);
	atomic_store_release(slab_busy(tok), 0);
	if (zero)
		return slab_zero_object(s, object);
	kasan_unpoison(object, s->object_size);
	return object;
leave:
	atomic_store_release(slab_busy(tok), 0);
	return slab_alloc_shared(s, gfp, addr);
}

static always_inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (unlikely(s->special || s->zero_on_alloc || (gfp & __GFP_ZERO)))
		return slab_alloc_hooked(s, gfp, addr);
	return slab_alloc_owner(s, gfp, addr, false);
}

/* Before an object becomes free: init_on_free and ASan poisoning. */
static always_inline void slab_pre_free(struct kmem_cache *s, void *object)
{
	if (unlikely(s->zero_on_free))
		memset(object, 0, s->object_size);
	kasan_poison(object, s->object_size);
}

enum cpu_push { PUSH_DONE, PUSH_SLOW, PUSH_DOUBLE_FREE };

/* Pushes head..tail, `cnt` objects of `slab`, on this CPU's freelist when
 * `slab` is its CPU slab. With `prefree` the single object goes through
 * slab_pre_free() here, after the double-free check; otherwise the caller
 * did that for each object. */
static always_inline enum cpu_push cpu_free_push(struct kmem_cache *s, struct page *slab,
						 void *head, void *tail, unsigned int cnt,
						 bool prefree)
{
	unsigned long tok = slab_token();

	for (;;) {
		int cpu = cpu_id();
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		unsigned long tid;
		void *fl;

		if (likely(atomic_load_relaxed(&c->owner) == tok)) {
			if (unlikely(!cpu_owner_enter(c, tok)))
				continue;
			fl = atomic_load_relaxed(&c->freelist);
			if (unlikely(fl == head || slab != atomic_load_relaxed(&c->slab) ||
				     fl == CPU_SLAB_BUSY)) {
				atomic_store_release(slab_busy(tok), 0);
				return fl == head ? PUSH_DOUBLE_FREE : PUSH_SLOW;
			}
			if (prefree)
				slab_pre_free(s, head);
			set_freepointer(s, tail, fl);
			cpu_owner_commit(c, tok, head);
			count_event_cpu(cpu, EV_slab_free_fast, cnt);
			return PUSH_DONE;
		}
		tid = atomic_load_relaxed(&c->tid);
		/* Acquire: c->slab and c->owner read below are the ones
		 * published with this freelist (see the BUSY protocol). */
		fl = atomic_load_acquire(&c->freelist);
		/* SLAB_FREELIST_HARDENED's naive double-free check. */
		if (unlikely(fl == head))
			return PUSH_DOUBLE_FREE;
		if (unlikely(slab != atomic_load_relaxed(&c->slab) || fl == CPU_SLAB_BUSY ||
			     atomic_load_relaxed(&c->owner)))
			return PUSH_SLOW;
		if (prefree)
			slab_pre_free(s, head);
		set_freepointer(s, tail, fl);
		if (likely(cpu_pair_cas(c, fl, tid, head, next_tid(tid)))) {
			count_event_cpu(cpu, EV_slab_free_fast, cnt);
			return PUSH_DONE;
		}
	}
}

/* do_slab_free() for one object of `slab`: the owner's path inline, onto
 * the CPU's main sheaf whatever slab the object is from, counted by the
 * sheaf's word; anything else (not the owner, a full sheaf) through
 * slab_free_shared(). As the kernel's free_to_pcs() it writes nothing into
 * the object; its double-free check is the kernel's naive one, against
 * the sheaf's top. A copy deeper in the sheaf, or of an object on a
 * freelist, is found when the sheaf is flushed (sheaf.c), and the slow
 * paths check the slot (slab_object_is_free()) before anything else. */
static always_inline void slab_free_owner(struct kmem_cache *s, struct page *slab, void *object,
					  unsigned long addr)
{
	unsigned long tok = slab_token(), w;
	unsigned int cpu = kmm_current.cpu, n;
	struct kmem_cache_cpu *c;
	struct slab_sheaf *sheaf;

	c = (struct kmem_cache_cpu *)((unsigned long)s->cpu_slab + kmm_cpu_offsets[cpu]);
	atomic_store_relaxed(slab_busy(tok), 1);	/* as in slab_alloc() */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (likely(atomic_load_relaxed(&c->owner) == tok)) {
		sheaf = atomic_load_relaxed(&c->main);
		if (likely(sheaf)) {
			w = atomic_load_relaxed(&sheaf->word);
			n = w & SHEAF_SIZE_MASK;
			if (likely(n < s->sheaf_capacity)) {
				if (unlikely(sheaf->slots[n] == object)) {
					atomic_store_release(slab_busy(tok), 0);
					return slab_report_double_free(s, slab, object);
				}
				kasan_poison(object, s->object_size);
				sheaf->slots[n + 1] = object;
				atomic_store_relaxed(&sheaf->word, w + SHEAF_PUSH);
				atomic_store_release(slab_busy(tok), 0);
				return;
			}
		}
	}
	atomic_store_release(slab_busy(tok), 0);
	return slab_free_shared(s, slab, object, addr);
}

/* Whether an object at direct-map offset `doff` in the head page of a
 * slab of `s` needs the full start check and the hooks before it is freed.
 * Not when the cache is not a debug, fault-injected or init_on_free one
 * (so it has no left red zone) and the index from the offset in the page,
 * over the size, is one every slab of `s` starts in its first page: then
 * slab_free_owner() may take it. */
static always_inline bool slab_head_object_needs_check(const struct kmem_cache *s,
						       unsigned long doff)
{
	return s->special || s->zero_on_free ||
	       slab_object_index_off(s, doff & (PAGE_SIZE - 1)) >= s->head_objects;
}

static always_inline void slab_free(struct kmem_cache *s, struct page *slab, void *object,
				    unsigned long addr)
{
	if (unlikely(s->special || s->zero_on_free))
		return slab_free_hooked(s, slab, object, addr);
	slab_free_owner(s, slab, object, addr);
}

/* The general free: both modes, the double-free check, the slow path. */
static always_inline void slab_free_any(struct kmem_cache *s, struct page *slab,
					void *object, unsigned long addr)
{
	enum cpu_push r = cpu_free_push(s, slab, object, object, 1, true);

	if (unlikely(r != PUSH_DONE)) {
		if (r == PUSH_DOUBLE_FREE) {
			slab_report_double_free(s, slab, object);
		} else {
			slab_pre_free(s, object);
			slab_free_slow(s, slab, object, object, 1, addr);
		}
	}
}

#endif
