/* Who owns a CPU (docs/design.md §2.3).
 *
 * The kernel's per-CPU operations need no lock because a CPU runs one
 * thing at a time. Here that holds while one thread owns the CPU: its
 * owner sections (cpu_owner.h) mark the thread busy in its own record,
 * read the delta of the CPU it owns, and then work on that CPU's copies
 * with plain (relaxed atomic) loads and stores, no locked instruction at
 * all. A thread that owns no CPU has delta 0 and lands on the null unit,
 * whose copies say "empty" to every fast path. Anyone else touches an
 * owned CPU's copies only after taking the CPU away: owner's delta = 0,
 * membarrier() (an asymmetric fence: it makes the owner's busy store and
 * the revoker's delta store visible to each other, the Dekker pattern with
 * the owner's side reduced to a compiler barrier), then it waits until
 * the old owner is not busy. Without membarrier no thread owns a CPU.
 *
 * Who owns: a thread bound alone to its CPU (kmm_cpu_bind(), and no other
 * thread bound there) owns it from the bind on, for frees as well as for
 * allocations; the claim policy's claims leave it. Any other thread claims
 * the CPU it stands in for once that CPU's misses (refills by threads
 * that did not own it) since the last change of owner reach claim_after;
 * a claim that takes the CPU from another owner within a millisecond of
 * the last change doubles claim_after (at most 4096), so threads that
 * really share a CPU settle where one owns and the others take the slab
 * paths; a later one resets it to 1. A thread owns one CPU at a time.
 *
 * Release: kmm_cpu_unbind(), a bind to another CPU, and the thread's end
 * (a pthread key's destructor; after it the thread claims no more) give
 * the CPU up. A CPU is never left to a thread that is gone, so the owner
 * a revoker reads is a live thread's record (the revoker holds the owner
 * lock, which the owner's own release must take). A forked child has the
 * forking thread alone: the CPUs other threads owned have no owner there.
 *
 * A flush (kmem_cache_shrink, destroy, the shrinker) takes the CPU away
 * and holds it ownerless while it empties the CPU's copies of one cache;
 * its owner claims it again at its next slow path.
 *
 * Lock: each CPU's o->lock (LOCK_RANK_CPU_OWNER) for every change of
 * o->owner, o->holds and o->owner_bound, and for every write of an owner's
 * own_delta. A claim takes it under a cache's CPU lock; the old owner's
 * sections, which the claim waits for, never wait for an owner lock. */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include "lib/bug.h"
#include "lib/cpu_owner.h"
#include "lib/lock.h"

struct cpu_owner {
	struct kmm_spinlock lock;
	struct kmm_task *owner;		/* atomic: the owning thread's record, or NULL */
	unsigned int holds;		/* flushes holding the CPU ownerless */
	bool owner_bound;		/* atomic: the owner is bound to the CPU alone */
	unsigned int misses;		/* atomic: non-owners' refills since the last change */
	unsigned int claim_after;	/* atomic: the misses a claim needs */
	unsigned long last_change_ns;
} cacheline_aligned;

bool cpu_owner_mode;
static struct cpu_owner cpu_owners[KMM_MAX_CPUS];
static pthread_key_t own_key;
static pthread_once_t own_once = PTHREAD_ONCE_INIT;

static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
}

/* ---- changes of owner (o->lock held) ---- */

/* Takes the CPU from its owner: after the asymmetric fence the owner either
 * is seen busy (and we wait for it) or sees delta 0. `contended`: a claim
 * by a thread of the policy, which updates it. */
static void own_revoke_locked(struct cpu_owner *o, bool contended)
{
	struct kmm_task *old = o->owner;
	unsigned long now = now_ns();

	lock_assert_held(&o->lock);
	atomic_store_relaxed(&o->owner, NULL);
	atomic_store_relaxed(&o->owner_bound, false);
	atomic_store_relaxed(&old->own_delta, 0L);
	/* The caller itself is in no owner section. The expedited form needs
	 * the registration cpu_owner_init() made (a forked child may lack
	 * it); the global form needs none. */
	if (old != &kmm_current) {
		if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) &&
		    syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
			kmm_bug("cpu_owner: membarrier failed while taking a CPU from its owner");
		while (atomic_load_acquire(&old->own_busy))
			sched_yield();
	}
	if (contended && now - o->last_change_ns < 1000000UL)
		atomic_store_relaxed(&o->claim_after, MIN(o->claim_after * 2, 4096u));
	else if (contended)
		atomic_store_relaxed(&o->claim_after, 1u);
	o->last_change_ns = now;
}

static void own_key_init(void);

static void own_set_locked(struct cpu_owner *o, unsigned int cpu, bool alone)
{
	lock_assert_held(&o->lock);
	atomic_store_relaxed(&o->owner, &kmm_current);
	atomic_store_relaxed(&o->owner_bound, alone);
	atomic_store_relaxed(&o->misses, 0u);
	kmm_current.own_cpu = cpu;
	atomic_store_relaxed(&kmm_current.own_delta,
			     (long)(kmm_cpu_offsets[cpu] - cpu_null_offset));
}

/* ---- the calling thread ---- */

bool cpu_own_enter_cpu(unsigned int cpu)
{
	long delta = cpu_own_enter();

	if (delta && kmm_current.own_cpu == cpu)
		return true;
	cpu_own_exit();
	return false;
}

static bool own_bound_alone(unsigned int cpu)
{
	return kmm_current.bound_counted && kmm_current.cpu == cpu &&
	       cpu_bound_threads(cpu) == 1;
}

bool cpu_own_may_claim(unsigned int cpu)
{
	struct cpu_owner *o = &cpu_owners[cpu];
	struct kmm_task *owner = atomic_load_relaxed(&o->owner);

	if (owner == &kmm_current)
		return atomic_load_relaxed(&kmm_current.own_delta) != 0;
	if (!cpu_owner_mode || kmm_current.own_done)
		return false;
	if (own_bound_alone(cpu))
		return true;
	return !(owner && atomic_load_relaxed(&o->owner_bound)) &&
	       atomic_load_relaxed(&o->misses) + 1 >= atomic_load_relaxed(&o->claim_after);
}

bool cpu_own_claim(unsigned int cpu)
{
	struct cpu_owner *o = &cpu_owners[cpu];
	struct kmm_task *owner;
	bool alone, ok = false;

	if (atomic_load_relaxed(&kmm_current.own_delta) && kmm_current.own_cpu == cpu)
		return true;
	if (!cpu_owner_mode || kmm_current.own_done)
		return false;
	alone = own_bound_alone(cpu);
	if (!alone && atomic_add_relaxed(&o->misses, 1u) + 1 < atomic_load_relaxed(&o->claim_after))
		return false;
	if (atomic_load_relaxed(&kmm_current.own_delta))
		cpu_own_release();
	kmm_spin_lock(&o->lock);
	owner = o->owner;
	if (o->holds || (owner && o->owner_bound && !alone))
		goto out;
	if (owner)
		own_revoke_locked(o, !alone);
	own_set_locked(o, cpu, alone);
	ok = true;
out:
	kmm_spin_unlock(&o->lock);
	if (ok) {
		/* any non-NULL value: the destructor runs at the thread's end */
		pthread_once(&own_once, own_key_init);
		pthread_setspecific(own_key, &own_key);
	}
	return ok;
}

void cpu_own_note_miss(unsigned int cpu)
{
	struct cpu_owner *o = &cpu_owners[cpu];

	if (cpu_owner_mode && atomic_load_relaxed(&o->owner) != &kmm_current)
		atomic_add_relaxed(&o->misses, 1u);
}

void cpu_own_release(void)
{
	struct cpu_owner *o;

	if (!atomic_load_relaxed(&kmm_current.own_delta))
		return;
	o = &cpu_owners[kmm_current.own_cpu];
	kmm_spin_lock(&o->lock);
	if (o->owner == &kmm_current) {
		atomic_store_relaxed(&o->owner, NULL);
		atomic_store_relaxed(&o->owner_bound, false);
		o->last_change_ns = now_ns();
	}
	atomic_store_relaxed(&kmm_current.own_delta, 0L);
	kmm_spin_unlock(&o->lock);
}

/* The thread's end: it gives its CPU up and claims no more (destructors
 * of other keys may still allocate and free, on the slab paths). */
static void own_thread_end(void *value)
{
	(void)value;
	kmm_current.own_done = true;
	cpu_own_release();
}

static void own_key_init(void)
{
	pthread_key_create(&own_key, own_thread_end);
}

void cpu_own_rebind(void)
{
	unsigned int cpu = kmm_current.cpu;

	if (atomic_load_relaxed(&kmm_current.own_delta) && kmm_current.own_cpu != cpu)
		cpu_own_release();
	if (cpu < nr_cpu_ids && own_bound_alone(cpu))
		cpu_own_claim(cpu);
}

/* ---- flushes ---- */

void cpu_own_hold(unsigned int cpu)
{
	struct cpu_owner *o = &cpu_owners[cpu];

	kmm_spin_lock(&o->lock);
	if (o->owner)
		own_revoke_locked(o, false);
	o->holds++;
	kmm_spin_unlock(&o->lock);
}

void cpu_own_unhold(unsigned int cpu)
{
	struct cpu_owner *o = &cpu_owners[cpu];

	kmm_spin_lock(&o->lock);
	o->holds--;
	kmm_spin_unlock(&o->lock);
}

struct kmm_task *cpu_owner_of(unsigned int cpu)
{
	return atomic_load_relaxed(&cpu_owners[cpu].owner);
}

/* ---- boot and fork ---- */

/* In a forked child only the forking thread exists: it keeps its CPU,
 * every other CPU has no owner and no flush. */
static void own_fork_child(void)
{
	for (unsigned int cpu = 0; cpu < KMM_MAX_CPUS; cpu++) {
		struct cpu_owner *o = &cpu_owners[cpu];

		kmm_spin_init(&o->lock, "cpu_owner_lock", LOCK_RANK_CPU_OWNER);
		o->holds = 0;
		if (o->owner != &kmm_current) {
			o->owner = NULL;
			o->owner_bound = false;
		}
	}
}

static void own_atfork_init(void)
{
	pthread_atfork(NULL, NULL, own_fork_child);
}

void cpu_owner_init(void)
{
	static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

	pthread_once(&atfork_once, own_atfork_init);
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct cpu_owner *o = &cpu_owners[cpu];

		kmm_spin_init(&o->lock, "cpu_owner_lock", LOCK_RANK_CPU_OWNER);
		o->owner = NULL;
		o->holds = 0;
		o->owner_bound = false;
		o->misses = 0;
		o->claim_after = 1;
		o->last_change_ns = 0;
	}
	atomic_store_relaxed(&kmm_current.own_delta, 0L);
	cpu_owner_mode = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
				 0, 0) == 0;
}

void cpu_owner_exit(void)
{
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct cpu_owner *o = &cpu_owners[cpu];

		kmm_spin_lock(&o->lock);
		if (o->owner)
			own_revoke_locked(o, false);
		kmm_spin_unlock(&o->lock);
	}
	cpu_owner_mode = false;
}
