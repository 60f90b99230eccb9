/* The per-CPU slab (cpu_slab.c): c->freelist + c->tid, c->slab and the
 * per-CPU partial slabs, with the kernel's lockless fast paths
 * (slab_alloc_node/do_slab_free before sheaves). The protocol and its
 * state table are in docs/design.md §2.2.
 *
 * Every change of c->freelist also changes c->tid, tids never repeat, and
 * one double-word compare-and-swap compares both, so a fast path commits
 * only if nothing happened to the CPU's freelist since it read tid. That
 * holds however many threads share the CPU. A slow path that changes
 * c->slab first swaps c->freelist for CPU_SLAB_BUSY under c->lock (a
 * "claim"): fast paths then fail their compare-and-swap or see BUSY and
 * take the slow path, so c->slab is stable for any fast path that
 * commits. Budget of a fast path: cpu_id(), per_cpu_ptr, two loads, one
 * free pointer, one lock cmpxchg16b, a relaxed counter. */
#ifndef KMM_SLUB_CPU_SLAB_H
#define KMM_SLUB_CPU_SLAB_H

#include "lib/cpu.h"
#include "lib/events.h"
#include "slub/slab.h"
#include "slub/slab_check.h"

/* The kernel's TID_STEP: the tid's low bits name the CPU. */
extern unsigned long slab_tid_step KMM_HIDDEN;

static always_inline unsigned long next_tid(unsigned long tid)
{
	return tid + slab_tid_step;
}

static always_inline bool cpu_pair_cas(struct kmem_cache_cpu *c, void *fl_old, unsigned long tid,
				       void *fl_new, unsigned long tid_new)
{
	return cmpxchg16(&c->freelist_tid, pair_make(fl_old, tid), pair_make(fl_new, tid_new));
}

/* The CPU slab's slow path: one object, refilling the CPU slab (its own
 * remote frees, the CPU's partial slabs, the node's, a new slab). */
void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, unsigned long addr);

/* The fast path: pop the CPU freelist, retrying until a compare-and-swap
 * commits; anything else through slab_alloc_slow(). */
static always_inline void *slab_alloc_any(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	void *object, *next;
	int cpu;

	for (;;) {
		struct kmem_cache_cpu *c;
		unsigned long tid;

		cpu = cpu_id();
		c = per_cpu_ptr(s->cpu_slab, cpu);
		tid = atomic_load_relaxed(&c->tid);
		/* Acquire: pairs with the release of whoever put `object`
		 * there, so its free pointer is visible. */
		object = atomic_load_acquire(&c->freelist);
		if (unlikely((uintptr_t)object <= (uintptr_t)CPU_SLAB_BUSY))
			return slab_alloc_slow(s, gfp, addr);
		next = get_freepointer(s, object);
		if (likely(cpu_pair_cas(c, object, tid, next, next_tid(tid))))
			break;
	}
	count_event_cpu(cpu, EV_slab_alloc_fast, 1);
	return slab_post_alloc(s, gfp, object);
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
	for (;;) {
		int cpu = cpu_id();
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		unsigned long tid;
		void *fl;

		tid = atomic_load_relaxed(&c->tid);
		/* Acquire: c->slab read below is the one published with this
		 * freelist (see the claim). */
		fl = atomic_load_acquire(&c->freelist);
		/* SLAB_FREELIST_HARDENED's naive double-free check. */
		if (unlikely(fl == head))
			return PUSH_DOUBLE_FREE;
		if (unlikely(slab != atomic_load_relaxed(&c->slab) || fl == CPU_SLAB_BUSY))
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

/* Frees head..tail (`cnt` objects of `slab`, through slab_pre_free()) to
 * their slab, and parks the slab on this CPU's partial list when it just
 * stopped being full. */
void cpu_free_slow(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		   unsigned int cnt);

/* The general free of one object: the CPU freelist, else its slab. */
static always_inline void slab_free_any(struct kmem_cache *s, struct page *slab, void *object)
{
	enum cpu_push r = cpu_free_push(s, slab, object, object, 1, true);

	if (unlikely(r != PUSH_DONE)) {
		if (r == PUSH_DOUBLE_FREE) {
			slab_report_double_free(s, slab, object);
		} else {
			slab_pre_free(s, object);
			cpu_free_slow(s, slab, object, object, 1);
		}
	}
}

/* Claiming the CPU slab, c->lock held: swaps c->freelist for
 * CPU_SLAB_BUSY (no fast path on this CPU can commit until the release)
 * and returns the freelist it held; the release publishes `fl` with the
 * next tid (and any change of c->slab made meanwhile). */
void *cpu_claim_locked(struct kmem_cache_cpu *c, unsigned long *tidp);
void cpu_release_locked(struct kmem_cache_cpu *c, void *fl, unsigned long tid);
/* ___slab_alloc() with the CPU claimed: an object from the CPU's freelist
 * (*flp, in and out), its slab's remote frees, its partial slabs, or the
 * node partial list. NULL: a new slab is needed. */
void *cpu_take_locked(struct kmem_cache *s, struct kmem_cache_cpu *c, void **flp);
/* One object without the post-allocation hooks (a new slab if needed). */
void *slab_alloc_refill(struct kmem_cache *s, gfp_t gfp, unsigned long addr);
/* Up to `nr` objects under one claim of this CPU, without hooks; 0 when
 * its lock is busy or a new slab is needed. */
size_t cpu_take_bulk(struct kmem_cache *s, size_t nr, void **p);
/* A chain of `cnt` objects of one slab, through slab_pre_free(): one
 * compare-and-swap onto the CPU freelist or the slab. */
void cpu_free_chain(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		    unsigned int cnt);
/* Takes a CPU's slab and partial slabs away (from any thread) and gives
 * them back to the node. */
void cpu_slab_flush(struct kmem_cache *s, int cpu);
/* Boot and cache creation. */
void cpu_slab_init(unsigned int nr_cpus);
void cpu_slab_init_cpu(struct kmem_cache_cpu *c, int cpu);

#endif
