/* SLUB's lockless fast paths (slab_alloc_node/do_slab_free in mm/slub.c).
 *
 * Budget of each: cpu_id() (a TLS load and a compare), per_cpu_ptr, the
 * loads of tid and freelist, one free pointer, one double-word cmpxchg of
 * (freelist, tid), a relaxed counter bump. No locks, no other atomics, no
 * system calls. Everything else is one unlikely() exit to a noinline slow
 * path in slub.c.
 *
 * Why it is correct with several threads on one CPU: every change of
 * c->freelist also changes c->tid, tids never repeat, and the cmpxchg
 * compares both, so a fast path commits only if nothing happened to the
 * CPU's freelist since it read tid. A slow path that changes c->slab first
 * swaps c->freelist for CPU_SLAB_BUSY (bumping tid): fast paths then fail
 * their cmpxchg or see BUSY and leave, so c->slab is stable for any fast
 * path that commits. */
#ifndef KMM_SLUB_FAST_H
#define KMM_SLUB_FAST_H

#include <string.h>
#include "slub/slab.h"
#include "percpu/cpu.h"
#include "percpu/events.h"

/* The kernel's TID_STEP: the tid's low bits name the CPU. */
extern unsigned long slab_tid_step;

static always_inline unsigned long next_tid(unsigned long tid)
{
	return tid + slab_tid_step;
}

static always_inline bool cpu_pair_cas(struct kmem_cache_cpu *c, void *fl_old, unsigned long tid,
				       void *fl_new, unsigned long tid_new)
{
	return cmpxchg16(&c->freelist_tid, pair_make(fl_old, tid), pair_make(fl_new, tid_new));
}

/* After an object is taken: the hooks the kernel runs in slab_post_alloc_hook. */
static always_inline void *slab_post_alloc(struct kmem_cache *s, gfp_t gfp, void *object)
{
	kasan_unpoison(object, s->object_size);
	if (unlikely(s->zero_on_alloc || (gfp & __GFP_ZERO)))
		memset(object, 0, s->object_size);
	return object;
}

static always_inline void *slab_alloc(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	struct kmem_cache_cpu *c;
	unsigned long tid;
	void *object, *next;
	int cpu;

	if (unlikely(s->special))
		return slab_alloc_special(s, gfp, addr);
	do {
		cpu = cpu_id();
		c = per_cpu_ptr(s->cpu_slab, cpu);
		tid = atomic_load_relaxed(&c->tid);
		/* Acquire: pairs with the release of whoever put `object`
		 * there, so its free pointer is visible. */
		object = atomic_load_acquire(&c->freelist);
		if (unlikely((uintptr_t)object <= (uintptr_t)CPU_SLAB_BUSY))
			return slab_alloc_slow(s, gfp, addr);
		next = get_freepointer(s, object);
	} while (unlikely(!cpu_pair_cas(c, object, tid, next, next_tid(tid))));
	count_event_cpu(cpu, EV_slab_alloc_fast, 1);
	return slab_post_alloc(s, gfp, object);
}

/* Before an object becomes free: init_on_free and ASan poisoning. */
static always_inline void slab_pre_free(struct kmem_cache *s, void *object)
{
	if (unlikely(s->zero_on_free))
		memset(object, 0, s->object_size);
	kasan_poison(object, s->object_size);
}

/* do_slab_free() for one object of `slab` (a non-debug cache). */
static always_inline void slab_free_fastpath(struct kmem_cache *s, struct page *slab,
					     void *object, unsigned long addr)
{
	struct kmem_cache_cpu *c;
	unsigned long tid;
	void *fl;
	int cpu;

	do {
		cpu = cpu_id();
		c = per_cpu_ptr(s->cpu_slab, cpu);
		tid = atomic_load_relaxed(&c->tid);
		/* Acquire: c->slab read below is the one installed with
		 * this freelist (see the BUSY protocol above). */
		fl = atomic_load_acquire(&c->freelist);
		/* SLAB_FREELIST_HARDENED's naive double-free check. */
		if (unlikely(fl == object)) {
			slab_report_double_free(s, slab, object);
			return;
		}
		slab_pre_free(s, object);
		if (unlikely(slab != atomic_load_relaxed(&c->slab) || fl == CPU_SLAB_BUSY)) {
			slab_free_slow(s, slab, object, object, 1, addr);
			return;
		}
		set_freepointer(s, object, fl);
	} while (unlikely(!cpu_pair_cas(c, fl, tid, object, next_tid(tid))));
	count_event_cpu(cpu, EV_slab_free_fast, 1);
}

static always_inline void slab_free(struct kmem_cache *s, struct page *slab, void *object,
				    unsigned long addr)
{
	if (unlikely(s->special)) {
		slab_free_special(s, slab, object, addr);
		return;
	}
	slab_free_fastpath(s, slab, object, addr);
}

#endif
