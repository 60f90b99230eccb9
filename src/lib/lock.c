/* Lock wrappers and the debug-build lock-rank checker (see lock.h). The
 * checker's state is per thread (the locks it holds); the set of bound
 * ranks is one word of relaxed atomic ORs. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/lock.h"

__thread unsigned long kmm_lock_acquisitions __attribute__((tls_model("initial-exec")));
__thread unsigned int kmm_mutexes_held __attribute__((tls_model("initial-exec")));

#define LOCKDEP_DEPTH 32

struct held_lock {
	void *lock;
	const char *name;
	enum lock_rank rank;
};

static __thread struct held_lock held[LOCKDEP_DEPTH];
static __thread int nr_held;
static unsigned long ranks_bound;	/* atomic */

_Static_assert(LOCK_RANK_COUNT <= 64, "one bit per rank");

static void rank_bind(enum lock_rank rank)
{
	unsigned long bit = 1UL << rank;

	if (!(atomic_load_relaxed(&ranks_bound) & bit))
		__atomic_fetch_or(&ranks_bound, bit, __ATOMIC_RELAXED);
}

unsigned long lock_ranks_bound(void)
{
	return atomic_load_relaxed(&ranks_bound);
}

const char *lock_rank_name(enum lock_rank r)
{
	static const char *const names[LOCK_RANK_COUNT] = {
		[LOCK_RANK_NONE] = "none", [LOCK_RANK_BOOT] = "boot",
		[LOCK_RANK_RCU_RUN] = "rcu_run",
		[LOCK_RANK_PERCPU_SECTIONS] = "percpu_sections",
		[LOCK_RANK_DEVICE] = "device", [LOCK_RANK_SHRINKER] = "shrinker",
		[LOCK_RANK_SLAB_MUTEX] = "slab_mutex",
		[LOCK_RANK_KFREE_RCU] = "kfree_rcu", [LOCK_RANK_VMAP_PURGE] = "vmap_purge",
		[LOCK_RANK_VMAP_CACHE] = "vmap_cache", [LOCK_RANK_VMAP] = "vmap",
		[LOCK_RANK_VMAP_BLOCK] = "vmap_block", [LOCK_RANK_KMAP] = "kmap",
		[LOCK_RANK_PERCPU] = "percpu", [LOCK_RANK_SLAB_CPU] = "slab_cpu",
		[LOCK_RANK_CPU_OWNER] = "cpu_owner",
		[LOCK_RANK_SLAB_BARN] = "slab_barn", [LOCK_RANK_SLAB_NODE] = "slab_node",
		[LOCK_RANK_PCP] = "pcp",
		[LOCK_RANK_ZONE] = "zone", [LOCK_RANK_RECLAIM] = "reclaim",
		[LOCK_RANK_MEMBLOCK] = "memblock", [LOCK_RANK_RCU_MONITOR] = "rcu_monitor",
		[LOCK_RANK_RCU] = "rcu", [LOCK_RANK_REPORT] = "report",
	};
	return r < LOCK_RANK_COUNT && names[r] ? names[r] : "?";
}

/* Aborts unless waiting for a lock of this rank is allowed. */
void lockdep_check(const char *name, enum lock_rank rank)
{
	if (!KMM_DEBUG_ON)
		return;
	if (rank != LOCK_RANK_NONE && nr_held > 0) {
		struct held_lock *top = NULL;

		for (int i = 0; i < nr_held; i++)
			if (held[i].rank != LOCK_RANK_NONE &&
			    (!top || held[i].rank >= top->rank))
				top = &held[i];
		if (top && top->rank >= rank) {
			fprintf(stderr,
				"BUG: lock rank inversion: taking %s (rank %s) while holding %s (rank %s)\n",
				name ? name : "?", lock_rank_name(rank),
				top->name ? top->name : "?", lock_rank_name(top->rank));
			abort();
		}
	}
}

/* Records a lock this thread now holds. */
void lockdep_acquire(void *lock, const char *name, enum lock_rank rank)
{
	if (!KMM_DEBUG_ON)
		return;
	if (nr_held >= LOCKDEP_DEPTH) {
		fprintf(stderr, "BUG: more than %d locks held\n", LOCKDEP_DEPTH);
		abort();
	}
	held[nr_held++] = (struct held_lock){ lock, name, rank };
}

void lockdep_release(void *lock)
{
	if (!KMM_DEBUG_ON)
		return;
	for (int i = nr_held - 1; i >= 0; i--) {
		if (held[i].lock == lock) {
			for (int j = i; j < nr_held - 1; j++)
				held[j] = held[j + 1];
			nr_held--;
			return;
		}
	}
	fprintf(stderr, "BUG: releasing a lock that is not held (%p)\n", lock);
	abort();
}

void lockdep_assert_held(void *lock, const char *name)
{
	if (!KMM_DEBUG_ON)
		return;
	for (int i = 0; i < nr_held; i++)
		if (held[i].lock == lock)
			return;
	fprintf(stderr, "BUG: lock %s is not held here\n", name ? name : "?");
	abort();
}

void kmm_spin_init(struct kmm_spinlock *l, const char *name, enum lock_rank rank)
{
	ck_spinlock_fas_init(&l->lock);
	rank_bind(rank);
#if KMM_DEBUG_ON
	l->name = name;
	l->rank = rank;
#else
	(void)name;
	(void)rank;
#endif
}

/* Contended: spin on the lock word for a while, then yield so that a
 * preempted holder (more threads than cores) can run and release it. */
noinline void fas_lock_slow(ck_spinlock_fas_t *lock)
{
	unsigned int spins = 0;

	for (;;) {
		while (ck_spinlock_fas_locked(lock)) {
			if (++spins < 64)
				ck_pr_stall();
			else
				sched_yield();
		}
		if (ck_spinlock_fas_trylock(lock))
			return;
	}
}

void kmm_mutex_init(struct kmm_mutex *m, const char *name, enum lock_rank rank)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m->mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	m->name = name;
	m->rank = rank;
	rank_bind(rank);
}

void kmm_mutex_destroy(struct kmm_mutex *m)
{
	pthread_mutex_destroy(&m->mutex);
}

/* Statically initialised mutexes bind their rank when first taken. */
static void mutex_acquired(struct kmm_mutex *m)
{
	rank_bind(m->rank);
	lockdep_acquire(m, m->name, m->rank);
	kmm_lock_acquisitions++;
	kmm_mutexes_held++;
}

void kmm_mutex_lock(struct kmm_mutex *m)
{
	lockdep_check(m->name, m->rank);
	if (pthread_mutex_lock(&m->mutex) != 0) {
		fprintf(stderr, "BUG: mutex lock failed (recursive locking?)\n");
		abort();
	}
	mutex_acquired(m);
}

bool kmm_mutex_trylock(struct kmm_mutex *m)
{
	if (pthread_mutex_trylock(&m->mutex) != 0)
		return false;
	mutex_acquired(m);
	return true;
}

/* A try cannot deadlock, so this one skips the rank check: for a report,
 * which may come from any context. The caller takes no lock before the
 * matching unlock (the mutex is held unranked). */
bool kmm_mutex_trylock_unranked(struct kmm_mutex *m)
{
	if (pthread_mutex_trylock(&m->mutex) != 0)
		return false;
#if KMM_DEBUG_ON
	lockdep_acquire(m, m->name, LOCK_RANK_NONE);
#endif
	kmm_lock_acquisitions++;
	kmm_mutexes_held++;
	return true;
}

void kmm_mutex_unlock(struct kmm_mutex *m)
{
	lockdep_release(m);
	kmm_mutexes_held--;
	pthread_mutex_unlock(&m->mutex);
}

noinline unsigned int kmm_spin_lock_slot_slow(struct kmm_spinlock *lock0, size_t stride,
					      unsigned int n, unsigned int first)
{
	for (unsigned int i = 1; i < n; i++) {
		unsigned int k = (first + i) % n;

		if (kmm_spin_trylock((struct kmm_spinlock *)((char *)lock0 + k * stride)))
			return k;
	}
	kmm_spin_lock((struct kmm_spinlock *)((char *)lock0 + first * stride));
	return first;
}
