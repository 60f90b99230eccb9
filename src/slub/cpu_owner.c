/* Who owns a CPU's sheaves (docs/design.md §2.3).
 *
 * The kernel's per-CPU operations need no lock because a CPU runs one
 * thing at a time. Here that holds while one thread owns the CPU's
 * sheaves: the owner's fast paths (sheaf.h) mark the thread busy in its
 * own record, check c->owner, and then push and pop with plain (relaxed
 * atomic) loads and stores, no locked instruction at all. Any other
 * thread touches the sheaves only under c->lock, after taking ownership
 * away: owner = 0, membarrier() (an asymmetric fence: it makes the owner's
 * busy store and the revoker's owner store visible to each other, the
 * Dekker pattern with the owner's side reduced to a compiler barrier),
 * then it waits until the old owner is not busy. Without membarrier no
 * thread owns a CPU, and every thread takes the CPU slab's paths.
 *
 * Claim policy: a thread that is not the owner claims the sheaves (from
 * their owner, if any) once the CPU's non-owner slow paths since the last
 * change of ownership reach claim_after. A claim that takes them from
 * another owner within a millisecond of the last doubles claim_after (at
 * most 4096), so threads that really share a CPU settle where one owns
 * and the others use the CPU slab; a later one resets it to 1.
 *
 * Owner records: a thread's token is the address of its struct
 * slab_thread, given out when it first needs one and recycled when it
 * exits. Records are never freed, so a token a CPU still names stays valid
 * memory; a recycled record makes its next thread the owner of whatever
 * its former thread owned, which is safe, the former thread being gone.
 *
 * Locks: c->lock (LOCK_RANK_SLAB_CPU) for every change of owner and of
 * the policy fields; slab_thread_lock (LOCK_RANK_SLAB_OWNER, a leaf) for
 * the free records. */
#include <stdlib.h>
#include <time.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include "lib/bug.h"
#include "slub/cpu_owner.h"

bool slab_owner_mode;
struct slab_thread slab_thread_none;
__thread struct slab_thread *slab_self __attribute__((tls_model("initial-exec"))) =
	&slab_thread_none;
static struct kmm_mutex slab_thread_lock = KMM_MUTEX_INIT("slab_owner_lock", LOCK_RANK_SLAB_OWNER);
static struct slab_thread *slab_thread_free;
static pthread_key_t slab_thread_key;
static pthread_once_t slab_thread_once = PTHREAD_ONCE_INIT;

/* ---- owner records ---- */

static void slab_thread_exit(void *arg)
{
	struct slab_thread *t = arg;

	kmm_mutex_lock(&slab_thread_lock);
	t->next = slab_thread_free;
	slab_thread_free = t;
	kmm_mutex_unlock(&slab_thread_lock);
}

static void slab_thread_key_init(void)
{
	pthread_key_create(&slab_thread_key, slab_thread_exit);
}

/* A recycled record first; records live as long as the process. */
noinline void slab_thread_register(void)
{
	struct slab_thread *t;

	pthread_once(&slab_thread_once, slab_thread_key_init);
	kmm_mutex_lock(&slab_thread_lock);
	t = slab_thread_free;
	if (t)
		slab_thread_free = t->next;
	kmm_mutex_unlock(&slab_thread_lock);
	if (!t) {
		static struct slab_thread *all;	/* keeps every record reachable */

		t = aligned_alloc(CACHELINE, sizeof(*t));
		if (!t)
			return;
		kmm_mutex_lock(&slab_thread_lock);
		t->next = all;
		all = t;
		kmm_mutex_unlock(&slab_thread_lock);
	}
	atomic_store_relaxed(&t->busy, 0);
	pthread_setspecific(slab_thread_key, t);
	slab_self = t;
}

/* ---- ownership (c->lock held) ---- */

static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
}

/* Takes the sheaves away from their owner: after the asymmetric fence the
 * owner either is seen busy (and we wait for it) or sees it no longer
 * owns the CPU. `contended`: a claim by another thread, which updates the
 * claim policy; a flush leaves it. */
static void cpu_revoke_locked(struct kmem_cache_cpu *c, bool contended)
{
	struct slab_thread *old = (struct slab_thread *)atomic_load_relaxed(&c->owner);
	unsigned long now = now_ns();

	lock_assert_held(&c->lock);
	atomic_store_relaxed(&c->owner, 0UL);
	/* The expedited form needs the registration cpu_owner_init() made (a
	 * forked child may lack it); the global form needs none. */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		kmm_bug("slub: membarrier failed while taking a CPU's sheaves from their owner");
	while (atomic_load_acquire(&old->busy))
		sched_yield();
	if (contended && now - c->last_revoke_ns < 1000000UL)
		atomic_store_relaxed(&c->claim_after, MIN(c->claim_after * 2, 4096u));
	else if (contended)
		atomic_store_relaxed(&c->claim_after, 1);
	c->last_revoke_ns = now;
}

bool cpu_own_locked(struct kmem_cache_cpu *c)
{
	unsigned long owner = atomic_load_relaxed(&c->owner), me = slab_token();

	lock_assert_held(&c->lock);
	if (owner == me)
		return true;
	if (!slab_owner_mode || slab_self == &slab_thread_none)
		return false;
	atomic_store_relaxed(&c->refills, c->refills + 1);
	if (c->refills < c->claim_after)
		return false;
	if (owner)
		cpu_revoke_locked(c, true);
	atomic_store_relaxed(&c->refills, 0);
	atomic_store_relaxed(&c->owner, me);
	return true;
}

void cpu_disown_locked(struct kmem_cache_cpu *c)
{
	lock_assert_held(&c->lock);
	if (atomic_load_relaxed(&c->owner))
		cpu_revoke_locked(c, false);
	atomic_store_relaxed(&c->refills, 0);
}

/* ---- boot ---- */

void cpu_owner_init(void)
{
	slab_owner_mode = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
				  0, 0) == 0;
}

void cpu_owner_init_cpu(struct kmem_cache_cpu *c)
{
	c->owner = 0;
	c->refills = 0;
	c->claim_after = 1;
	c->last_revoke_ns = 0;
}
