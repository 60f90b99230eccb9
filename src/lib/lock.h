/* kmm's locks: every lock kmm takes is a struct kmm_spinlock or a struct
 * kmm_mutex of this file, with a rank.
 *
 * Spinlocks are Concurrency Kit's fetch-and-store lock behind this wrapper:
 * spin briefly, then yield the host CPU, because more threads than cores is
 * normal here and a preempted holder must get to run. ck's inline assembly
 * is invisible to ThreadSanitizer, so each acquire is followed by
 * tsan_acquire() and each release preceded by tsan_release() on the lock.
 *
 * Lock ranks (debug builds): a thread may only wait for a lock whose rank
 * is higher than every lock it holds; a violation aborts at once naming
 * both locks. A trylock cannot deadlock, so it is not checked: once it
 * succeeds the lock counts as held for the locks taken after it.
 * The users' spinlock_t (lib/context.c) has no rank: their order is the
 * users' business, and kmm never calls back into user code (shrinkers,
 * RCU callbacks, devres actions) while it holds a lock of its own.
 *
 * The global order, outermost first: */
#ifndef KMM_LIB_LOCK_H
#define KMM_LIB_LOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <ck_spinlock.h>
#include "lib/compiler.h"

enum lock_rank {
	LOCK_RANK_NONE = 0,
	LOCK_RANK_BOOT,		/* boot/exit serialisation */
	LOCK_RANK_RCU_RUN,	/* an RCU queue's batch run here, across its grace period */
	LOCK_RANK_PERCPU_SECTIONS, /* modules' static per-CPU variables */
	LOCK_RANK_DEVICE,	/* a device's devres list */
	LOCK_RANK_SHRINKER,	/* the shrinker list */
	LOCK_RANK_SLAB_MUTEX,	/* the list of caches (the slab shrinker walks it) */
	LOCK_RANK_KFREE_RCU,	/* a CPU's kfree_rcu batch */
	LOCK_RANK_VMAP_PURGE,	/* lazy-free list of vmap areas */
	LOCK_RANK_VMAP_CACHE,	/* a CPU's cache of freed vmalloc areas */
	LOCK_RANK_VMAP,		/* a vmap node's busy/free trees */
	LOCK_RANK_VMAP_BLOCK,	/* a CPU's vmap blocks */
	LOCK_RANK_KMAP,		/* the pkmap window */
	LOCK_RANK_PERCPU,	/* the percpu chunk allocator */
	LOCK_RANK_SLAB_CPU,	/* a cache's per-CPU local lock */
	LOCK_RANK_CPU_OWNER,	/* who owns a CPU (a claim runs under a cache's CPU lock) */
	LOCK_RANK_SLAB_BARN,	/* a cache's barn of spare sheaves */
	LOCK_RANK_SLAB_NODE,	/* a cache's node list_lock */
	LOCK_RANK_MEMBLOCK,	/* memblock regions (held while boot frees into the buddy) */
	LOCK_RANK_PCP,		/* a CPU's per-CPU page lists */
	LOCK_RANK_ZONE,		/* a buddy shard */
	LOCK_RANK_RECLAIM,	/* kswapd's wake flag: taken by any allocation */
	LOCK_RANK_RCU_MONITOR,	/* waking the RCU monitor (after a CPU's list lock) */
	LOCK_RANK_RCU,		/* a CPU's call_rcu list: calls nothing but liburcu */
	LOCK_RANK_REPORT,	/* printing a report: innermost */
	LOCK_RANK_COUNT
};

struct kmm_spinlock {
	ck_spinlock_fas_t lock;
#if KMM_DEBUG_ON
	const char *name;
	enum lock_rank rank;
#endif
};

/* Mutexes are few and never on a fast path: they keep name and rank in
 * every build. KMM_MUTEX_INIT is the static initializer, for locks that
 * must work before anything is set up (boot, reports). */
struct kmm_mutex {
	pthread_mutex_t mutex;
	const char *name;
	enum lock_rank rank;
};

#define KMM_MUTEX_INIT(n, r)	{ PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP, (n), (r) }

void kmm_spin_init(struct kmm_spinlock *l, const char *name, enum lock_rank rank);
void kmm_mutex_init(struct kmm_mutex *m, const char *name, enum lock_rank rank);
void kmm_mutex_destroy(struct kmm_mutex *m);
void kmm_mutex_lock(struct kmm_mutex *m);
void kmm_mutex_unlock(struct kmm_mutex *m);
bool kmm_mutex_trylock(struct kmm_mutex *m);
bool kmm_mutex_trylock_unranked(struct kmm_mutex *m);

/* Lock-rank bookkeeping (no-ops in non-debug builds): lockdep_check()
 * before waiting for a lock, lockdep_acquire() once it is held. */
void lockdep_check(const char *name, enum lock_rank rank);
void lockdep_acquire(void *lock, const char *name, enum lock_rank rank);
void lockdep_release(void *lock);
void lockdep_assert_held(void *lock, const char *name);

/* Bit r set: a lock of rank r was set up or taken (every build), so a
 * test can tell that each rank names a lock kmm really has. */
unsigned long lock_ranks_bound(void);
/* The rank's name in reports ("?" for a rank without one). */
const char *lock_rank_name(enum lock_rank rank);
/* Takes a contended lock word: the one spin-then-yield loop of every
 * spinlock, kmm's and the users' spinlock_t. */
void fas_lock_slow(ck_spinlock_fas_t *lock);

/* Count of spinlock acquisitions by this thread, for the benchmarks'
 * "lock acquisitions per 1000 operations". */
extern __thread unsigned long kmm_lock_acquisitions
	__attribute__((tls_model("initial-exec")));

/* Mutexes this thread holds (every build): a path that may be reached
 * with a mutex held (a shrinker, under an allocation) only tries locks
 * that could rank before it, and waits when it holds none. */
extern __thread unsigned int kmm_mutexes_held
	__attribute__((tls_model("initial-exec")));

static always_inline void kmm_spin_acquired(struct kmm_spinlock *l)
{
	tsan_acquire(l);
	kmm_lock_acquisitions++;
#if KMM_DEBUG_ON
	lockdep_acquire(l, l->name, l->rank);
#endif
}

static always_inline void kmm_spin_lock(struct kmm_spinlock *l)
{
#if KMM_DEBUG_ON
	/* Check the rank before spinning so an inversion aborts, not deadlocks. */
	lockdep_check(l->name, l->rank);
#endif
	if (unlikely(!ck_spinlock_fas_trylock(&l->lock)))
		fas_lock_slow(&l->lock);
	kmm_spin_acquired(l);
}

static always_inline bool kmm_spin_trylock(struct kmm_spinlock *l)
{
	if (!ck_spinlock_fas_trylock(&l->lock))
		return false;
	kmm_spin_acquired(l);
	return true;
}

/* Per-CPU state whose owner may be busy (another thread on the same CPU):
 * `lock0` is the lock of element 0 of an array of `n` elements `stride`
 * bytes apart. Locks element `first`, else the next free one after it,
 * and spins on `first` only when all are taken. Returns the index. */
unsigned int kmm_spin_lock_slot_slow(struct kmm_spinlock *lock0, size_t stride, unsigned int n,
				     unsigned int first);

static always_inline unsigned int kmm_spin_lock_slot(struct kmm_spinlock *lock0, size_t stride,
						     unsigned int n, unsigned int first)
{
	if (likely(kmm_spin_trylock((struct kmm_spinlock *)((char *)lock0 + first * stride))))
		return first;
	return kmm_spin_lock_slot_slow(lock0, stride, n, first);
}

static always_inline void kmm_spin_unlock(struct kmm_spinlock *l)
{
#if KMM_DEBUG_ON
	lockdep_release(l);
#endif
	tsan_release(l);
	ck_spinlock_fas_unlock(&l->lock);
}

static always_inline bool kmm_spin_is_locked(struct kmm_spinlock *l)
{
	return ck_spinlock_fas_locked(&l->lock);
}

#if KMM_DEBUG_ON
#define lock_assert_held(l)	lockdep_assert_held((l), (l)->name)
#else
#define lock_assert_held(l)	((void)(l))
#endif

#endif
