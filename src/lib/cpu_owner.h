/* Who owns a CPU (cpu_owner.c): the one thread that may use the CPU's
 * per-CPU caches (the slab caches' sheaves) with plain loads and stores,
 * as the kernel does with the CPU to itself. The protocol and its state
 * table are in docs/design.md §2.3.
 *
 * An owner section is what a CPU's owner runs on those caches: it marks
 * the thread busy, then reads the delta of the CPU it owns (the CPU's
 * per-CPU offset less the null unit's, so that a thread owning no CPU,
 * delta 0, lands on the null unit, whose copies the layers keep empty:
 * its fast paths fail to their slow paths without a test of ownership).
 * Anyone taking a CPU away (a claim, a flush) clears the owner's delta,
 * runs membarrier() and waits until the owner is not busy.
 *
 * Lock: each CPU's owner lock (LOCK_RANK_CPU_OWNER) for every change of
 * its owner; owner sections take none. */
#ifndef KMM_LIB_CPU_OWNER_H
#define KMM_LIB_CPU_OWNER_H

#include "lib/cpu.h"

/* membarrier() works: threads may own CPUs. */
extern bool cpu_owner_mode KMM_HIDDEN;

/* Opens an owner section: returns the delta of the CPU the calling thread
 * owns, 0 when none. The signal fence keeps the compiler from loading the
 * delta before the busy store; the hardware order comes from the
 * revoker's membarrier(). */
static always_inline long cpu_own_enter(void)
{
	atomic_store_relaxed(&kmm_current.own_busy, 1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return atomic_load_relaxed(&kmm_current.own_delta);
}

/* Closes it: whatever the section did is visible to a revoker that sees
 * the thread not busy. */
static always_inline void cpu_own_exit(void)
{
	atomic_store_release(&kmm_current.own_busy, 0);
}

/* Nonzero when the calling thread is inside an owner section: code that may
 * run in the middle of one (a signal handler) must not open another. */
static always_inline int cpu_own_busy(void)
{
	return atomic_load_relaxed(&kmm_current.own_busy);
}

/* The CPU whose caches the calling thread's slow paths fill: the one it
 * owns, else the one it stands in for. */
static always_inline unsigned int cpu_own_home(void)
{
	return atomic_load_relaxed(&kmm_current.own_delta) ? kmm_current.own_cpu
							   : (unsigned int)cpu_id();
}

/* The slow paths, with no owner section open. */

/* Opens an owner section on `cpu`: false (and no section) when the calling
 * thread does not own it. */
bool cpu_own_enter_cpu(unsigned int cpu);
/* Whether the calling thread owns `cpu`, taking it (from its owner, if
 * any) when it is bound there alone or the claim policy allows; may wait
 * for the old owner to leave its section, so the caller must not be in
 * one. */
bool cpu_own_claim(unsigned int cpu);
/* A lockless hint: the calling thread owns `cpu` or cpu_own_claim() may
 * give it. */
bool cpu_own_may_claim(unsigned int cpu);
/* A thread that did not own `cpu` refilled one of its caches (the claim
 * policy counts these). */
void cpu_own_note_miss(unsigned int cpu);
/* The calling thread gives its CPU up, if it owns one. */
void cpu_own_release(void);
/* A flush of `cpu`'s caches from any thread: cpu_own_hold() takes the CPU
 * from its owner and keeps claims out until cpu_own_unhold(). */
void cpu_own_hold(unsigned int cpu);
void cpu_own_unhold(unsigned int cpu);
/* kmm_cpu_bind() and kmm_cpu_unbind(), after the binding changed: a thread
 * alone on its CPU owns it; one that leaves its CPU gives it up. */
void cpu_own_rebind(void);

/* For views and tests: the record of the thread that owns `cpu`, NULL for
 * none (a lockless read). */
struct kmm_task *cpu_owner_of(unsigned int cpu);

/* Boot: registers the process for expedited membarrier() (owner mode is on
 * when that works) and starts every CPU with no owner. Exit takes every
 * CPU from its owner. */
void cpu_owner_init(void);
void cpu_owner_exit(void);

#endif
