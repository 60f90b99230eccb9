/* libkmm-malloc: kmm as a whole process's malloc (docs/malloc.md).
 *
 * Glossary:
 *   shim thread   the per-thread record below (thread-local storage): how
 *                 deep the thread is inside the allocator, which kmm CPU
 *                 it holds, the frees it deferred
 *   entry         what every call but malloc's and free's fast paths
 *                 makes before it enters kmm: its depth raised, the gate
 *                 read (shim_enter below)
 *   depth         0 outside an entry; 1 inside one; more when a call
 *                 nests (a signal handler, or a C library function kmm
 *                 calls that allocates): nested calls are served from
 *                 host memory (src/lib/host_mem.h), which needs no kmm
 *                 lock. SHIM_NEW and SHIM_EXITED mark a thread that has no
 *                 CPU yet or whose CPU went back at thread exit; every
 *                 call of such a thread takes the slow path (thread.c).
 *   gate          one word every entry reads after raising its depth:
 *                 nonzero while a fork quiesces the allocator (fork.c),
 *                 when the host has no membarrier(2) and calls must fence,
 *                 under slub_debug, or in a forked child that must leave
 *                 kmm alone
 *   host block    memory from host_mem: what was allocated before kmm was
 *                 up or by a nested call; free() tells it by address
 *
 * Layers, each calling only those below it: new.cc (C++) and api.c (the
 * C entry points, the enter/leave protocol); fork.c (fork handlers,
 * registered by a constructor); thread.c (threads' CPUs, the slow entry);
 * boot.c (boots kmm, owns the gate); alloc.c (where each size goes in
 * kmm). Nothing here is called by kmm. */
#ifndef KMM_MALLOC_SHIM_H
#define KMM_MALLOC_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/compiler.h"
#include "lib/cpu_owner.h"

/* Entry points are the C library's names, or kmm_-prefixed ones in the
 * build the sanitizer presets test (a sanitizer owns the process's malloc). */
#ifdef KMM_MALLOC_PREFIX
#include "prefixed.h"
#define MALLOC_NAME(n)	kmm_##n
#else
#include <malloc.h>
#include <stdlib.h>
#define MALLOC_NAME(n)	n
#endif

#define SHIM_NEW	(1UL << 40)	/* no CPU yet: register on first call */
#define SHIM_EXITED	(1UL << 41)	/* past thread exit; + nesting depth */

struct shim_thread {
	unsigned long depth;		/* atomic: read by a forking thread */
	void *deferred;			/* atomic: kmm objects a nested call freed */
	struct shim_thread *prev, *next;	/* the registry (thread.c) */
	int cpu;			/* the kmm CPU bound, -1 none */
	bool owns_cpu;			/* from the pool (else a shared CPU) */
	bool forking;			/* this thread runs fork()'s handlers */
};

extern __thread struct shim_thread shim_self __attribute__((tls_model("initial-exec")));

#define SHIM_GATE_FORK	1UL	/* a fork is quiescing the allocator */
#define SHIM_GATE_FENCE	2UL	/* no membarrier: entries fence */
#define SHIM_GATE_DETACHED 4UL	/* a forked child that could not copy kmm's memory */
#define SHIM_GATE_DEBUG	8UL	/* slub_debug: every call through alloc.c's size fixes */
extern unsigned long shim_gate KMM_HIDDEN;

/* How a call that could not take the fast entry is served. */
enum shim_mode {
	SHIM_KMM,		/* entered: kmm, then leave (api.c) */
	SHIM_HOST,		/* nested or forking: host memory, nothing to leave */
	SHIM_STRAGGLER,		/* past thread exit: kmm, then shim_leave_straggler() */
};

enum shim_mode shim_enter_slow(struct shim_thread *t);
void shim_leave_straggler(struct shim_thread *t);

/* Fast paths: malloc's and free's owner pop and push (slub/kmalloc_fast.h)
 * run with no entry. They are owner sections (lib/cpu_owner.h), and what
 * the entry's depth and gate would keep out already keeps them to
 * themselves: a thread owns no CPU (its owner sections land on the null
 * unit's empty sheaves and fail to the entry) before its first call,
 * after its exit, in a detached child, without membarrier, and while a
 * fork holds every CPU (fork.c). What is left is nesting: a call that
 * finds its thread inside an entry (depth) or inside an owner section (a
 * signal handler that interrupted one) must not open another, and enters
 * instead, where it is served from host memory. Budget: two thread-local
 * loads. */
static always_inline bool shim_fast_ok(struct shim_thread *t)
{
	return !(atomic_load_relaxed(&t->depth) | (unsigned int)cpu_own_busy());
}

/* The entry: the depth store is ordered before the gate load by a
 * compiler barrier only; a forking thread's membarrier() supplies the
 * hardware half (the asymmetric Dekker pattern of the slab owner
 * protocol). A thread inside an owner section is nested. */
static always_inline bool shim_enter(struct shim_thread *t)
{
	if (unlikely(!shim_fast_ok(t)))
		return false;
	atomic_store_relaxed(&t->depth, 1);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (likely(!atomic_load_relaxed(&shim_gate)))
		return true;
	atomic_store_release(&t->depth, 0);
	return false;
}

/* alloc.c: where each request goes in kmm; called between enter and
 * leave. NULL only when memory is exhausted (errno is left to the caller). */
#define SHIM_GFP	(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)
void *kmm_alloc(size_t size);
/* After kmalloc(size) failed on the fast path; sets ENOMEM itself. */
void *kmm_alloc_retry(size_t size);
void *kmm_zalloc(size_t size);
void *kmm_alloc_aligned(size_t align, size_t size);
void *kmm_resize(void *p, size_t size, int *err);
void kmm_free_object(void *p);
size_t kmm_usable_size(void *p);
/* A pointer free() got that is not kmm's: report it (one report, nothing
 * changes). */
void shim_report_bad_free(const char *fn, void *p, int why);

/* boot.c (it also owns shim_gate) */
bool shim_booted(void);
/* Boots kmm if nobody has; false while another thread boots it or when
 * booting failed (then the caller serves the call from host memory). */
bool shim_boot(void);
/* Sizes 65..96 and 129..192 go to a power-of-two class when slub_debug's
 * layout leaves the 96 and 192 classes only 8-byte aligned (the gate's
 * DEBUG bit keeps such calls off the fast paths). */
extern bool shim_pow2_classes KMM_HIDDEN;

/* thread.c */
/* Gives the calling thread a kmm CPU; false when kmm is not up. */
bool shim_thread_register(struct shim_thread *t);
/* For fork.c, from prepare to parent/child: the fork lock (threads that
 * meet the raised gate wait on it), then the registry lock. */
void shim_fork_lock(void);
void shim_fork_unlock(void);
void shim_registry_lock(void);
void shim_registry_unlock(void);
/* Waits until no registered thread and no straggler is inside kmm. */
void shim_wait_quiescent(const struct shim_thread *self);
/* In a forked child: the calling thread is the only one. */
void shim_threads_after_fork_child(struct shim_thread *self);

#endif
