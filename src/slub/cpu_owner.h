/* Who owns a CPU's sheaves (cpu_owner.c): the owner token, the busy mark
 * the owner's fast paths set, and the claim policy. The protocol and its
 * state table are in docs/design.md §2.3. Lock: c->lock for
 * every change of ownership; the owner's fast paths take none. */
#ifndef KMM_SLUB_CPU_OWNER_H
#define KMM_SLUB_CPU_OWNER_H

#include "slub/slab.h"

/* membarrier() works here: threads may own a CPU's sheaves. */
extern bool slab_owner_mode KMM_HIDDEN;

/* The record of a thread that has none yet: never an owner. */
extern struct slab_thread slab_thread_none KMM_HIDDEN;
extern __thread struct slab_thread *slab_self __attribute__((tls_model("initial-exec")));

/* The calling thread's owner token: its struct slab_thread (never 0). */
static always_inline unsigned long slab_token(void)
{
	return (unsigned long)slab_self;
}

static always_inline int *slab_busy(unsigned long tok)
{
	return &((struct slab_thread *)tok)->busy;
}

/* The owner's side of the handshake: mark busy, then check ownership. The
 * signal fence keeps the compiler from moving the check above the store;
 * the hardware order comes from the revoker's membarrier(). */
static always_inline bool cpu_owner_enter(struct kmem_cache_cpu *c, unsigned long tok)
{
	atomic_store_relaxed(slab_busy(tok), 1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return atomic_load_relaxed(&c->owner) == tok;
}

/* Release: whatever the owner did to its sheaves is visible to a revoker
 * that sees it not busy. */
static always_inline void cpu_owner_exit(unsigned long tok)
{
	atomic_store_release(slab_busy(tok), 0);
}

/* Gives the calling thread a record, when owner mode is on: from then on
 * it may own CPUs. */
void slab_thread_register(void);
static always_inline void slab_thread_ensure(void)
{
	if (unlikely(slab_self == &slab_thread_none) && slab_owner_mode)
		slab_thread_register();
}

/* A lockless hint: the calling thread owns the CPU, or would become its
 * owner at its next slow path (cpu_own_locked() decides). */
static always_inline bool cpu_may_own(struct kmem_cache_cpu *c)
{
	unsigned long owner = atomic_load_relaxed(&c->owner);

	return owner == slab_token() ||
	       (slab_owner_mode && slab_self != &slab_thread_none &&
		atomic_load_relaxed(&c->refills) + 1 >= atomic_load_relaxed(&c->claim_after));
}

/* With c->lock held: whether the calling thread owns the CPU's sheaves,
 * taking them (from their owner, if any) when the claim policy allows. */
bool cpu_own_locked(struct kmem_cache_cpu *c);
/* With c->lock held: takes the sheaves from their owner, for a flush; the
 * CPU has no owner afterwards. */
void cpu_disown_locked(struct kmem_cache_cpu *c);

/* With c->lock held: a thread other than the owner refilled the CPU slab
 * (the claim policy counts these). */
static always_inline void cpu_note_refill_locked(struct kmem_cache_cpu *c)
{
	lock_assert_held(&c->lock);
	if (atomic_load_relaxed(&c->owner) != slab_token())
		atomic_store_relaxed(&c->refills, c->refills + 1);
}

/* Boot: registers the process for expedited membarrier(); owner mode is on
 * when that works. */
void cpu_owner_init(void);
/* A CPU part's initial policy state. */
void cpu_owner_init_cpu(struct kmem_cache_cpu *c);

#endif
