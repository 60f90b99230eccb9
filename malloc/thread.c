/* Threads as kmm CPUs (docs/malloc.md, "Threads").
 *
 * kmm's CPUs 0 .. nr_pool-1 form a pool. A thread's first call claims one
 * (the most recently released first, whose per-CPU caches are warm) and
 * binds to it with kmm_cpu_bind(); a thread-specific-data destructor gives
 * it back when the thread exits. The CPU's cached objects (sheaves, the
 * CPU slab and partial slabs, page lists) stay with the CPU for the next
 * thread that claims it: nothing is stranded beyond the pool's CPUs, and
 * reclaim drains every CPU's caches under memory pressure. When the pool
 * is empty, a thread binds to one of the shared CPUs nr_pool ..
 * nr_cpu_ids-1 (round robin), which any number of threads may use at once
 * (the per-CPU structures' shared mode).
 *
 * After its destructor a thread may still call malloc or free (later
 * destructors, the C library's own thread teardown): it is then a
 * straggler, bound to a shared CPU, counted in `stragglers` while inside
 * kmm so that a fork waits for it, and never registered again.
 *
 * Locks (pthread mutexes, never taken inside kmm), in this order:
 *   fork_lock      held by a forking thread from prepare to parent/child
 *                  (fork.c); a thread that meets the raised gate waits on it
 *   registry_lock  the registry (every thread holding a CPU, for fork's
 *                  quiescence), the pool and the shared CPUs' round robin;
 *                  taken at a thread's first call and at its exit, and by
 *                  fork's handlers */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <kmm/kmm.h>
#include "lib/cmdline.h"
#include "shim.h"

__thread struct shim_thread shim_self __attribute__((tls_model("initial-exec"))) = {
	.depth = SHIM_NEW,
	.cpu = -1,
};

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static struct shim_thread registry = { .prev = &registry, .next = &registry };
static int pool[KMM_MAX_CPUS];		/* free CPUs; the top is the warmest */
static unsigned int pool_top, nr_pool, nr_shared, next_shared;
static unsigned long stragglers;	/* atomic: stragglers inside kmm */
static pthread_key_t thread_key;

static void thread_exit(void *arg);

/* After boot, with nr_cpu_ids known: all of it when there is a single CPU
 * (everyone shares it), else all but the last host-CPU-count CPUs (at
 * least one, at most half). */
static void pool_init(void)
{
	cpu_set_t set;
	unsigned int host = 1;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		host = (unsigned int)CPU_COUNT(&set);
	if (nr_cpu_ids < 2) {
		nr_shared = 1;
		nr_pool = 0;
	} else {
		nr_shared = MAX(1u, MIN(host, nr_cpu_ids / 2));
		nr_pool = nr_cpu_ids - nr_shared;
	}
	/* Popped from the top: CPU 0 first. */
	for (pool_top = 0; pool_top < nr_pool; pool_top++)
		pool[pool_top] = (int)(nr_pool - 1 - pool_top);
	pthread_key_create(&thread_key, thread_exit);
}

static int shared_cpu_locked(void)
{
	int cpu = (int)(nr_pool + next_shared);

	next_shared = (next_shared + 1) % nr_shared;
	return cpu;
}

static void registry_add_locked(struct shim_thread *t)
{
	t->next = registry.next;
	t->prev = &registry;
	registry.next->prev = t;
	registry.next = t;
}

static void registry_del_locked(struct shim_thread *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->prev = t->next = NULL;
}

/* With depth SHIM_NEW, outside the allocator. Nested calls while it runs
 * (pthread_setspecific may allocate, booting allocates) see depth 1 and
 * take host memory. */
bool shim_thread_register(struct shim_thread *t)
{
	atomic_store_relaxed(&t->depth, 1);
	if (!shim_boot()) {
		atomic_store_relaxed(&t->depth, SHIM_NEW);
		return false;
	}
	pthread_once(&pool_once, pool_init);
	pthread_mutex_lock(&registry_lock);
	t->owns_cpu = pool_top > 0;
	t->cpu = t->owns_cpu ? pool[--pool_top] : shared_cpu_locked();
	registry_add_locked(t);
	pthread_mutex_unlock(&registry_lock);
	kmm_cpu_bind(t->cpu);
	pthread_setspecific(thread_key, t);
	atomic_store_release(&t->depth, 0);
	return true;
}

/* The thread-specific-data destructor: the thread is outside the
 * allocator (a destructor runs between calls). */
static void thread_exit(void *arg)
{
	struct shim_thread *t = arg;

	pthread_mutex_lock(&registry_lock);
	registry_del_locked(t);
	if (t->owns_cpu)
		pool[pool_top++] = t->cpu;
	t->owns_cpu = false;
	t->cpu = shared_cpu_locked();
	atomic_store_relaxed(&t->depth, SHIM_EXITED);
	pthread_mutex_unlock(&registry_lock);
	kmm_cpu_bind(t->cpu);
}

/* A thread that met the raised gate, until the fork is done. */
static void fork_wait(void)
{
	pthread_mutex_lock(&fork_lock);
	pthread_mutex_unlock(&fork_lock);
}

enum shim_mode shim_enter_slow(struct shim_thread *t)
{
	if (cpu_own_busy())
		return SHIM_HOST;	/* nested in an owner section (shim.h) */
	for (;;) {
		unsigned long d = atomic_load_relaxed(&t->depth);

		if (d == 0) {
			unsigned long g = atomic_load_relaxed(&shim_gate);

			if (g & SHIM_GATE_DETACHED)
				return SHIM_HOST;
			if (g & SHIM_GATE_FORK) {
				if (t->forking)
					return SHIM_HOST;
				fork_wait();
				continue;
			}
			/* slub_debug, no membarrier, or a gate opened meanwhile */
			atomic_store_relaxed(&t->depth, 1);
			if (g & SHIM_GATE_FENCE)
				__atomic_thread_fence(__ATOMIC_SEQ_CST);
			else
				__atomic_signal_fence(__ATOMIC_SEQ_CST);
			if (!(atomic_load_relaxed(&shim_gate) & SHIM_GATE_FORK))
				return SHIM_KMM;
			atomic_store_release(&t->depth, 0);
			continue;
		}
		if (d == SHIM_NEW) {
			if (!shim_thread_register(t))
				return SHIM_HOST;
			continue;
		}
		if (d == SHIM_EXITED) {
			if (atomic_load_relaxed(&shim_gate) & SHIM_GATE_DETACHED)
				return SHIM_HOST;
			atomic_store_relaxed(&t->depth, SHIM_EXITED + 1);
			/* A full barrier: fork's prepare reads the count after
			 * raising the gate. */
			__atomic_fetch_add(&stragglers, 1, __ATOMIC_SEQ_CST);
			if (!(atomic_load_relaxed(&shim_gate) & SHIM_GATE_FORK))
				return SHIM_STRAGGLER;
			__atomic_fetch_sub(&stragglers, 1, __ATOMIC_RELEASE);
			atomic_store_relaxed(&t->depth, SHIM_EXITED);
			if (t->forking)
				return SHIM_HOST;
			fork_wait();
			continue;
		}
		return SHIM_HOST;	/* nested */
	}
}

void shim_leave_straggler(struct shim_thread *t)
{
	__atomic_fetch_sub(&stragglers, 1, __ATOMIC_RELEASE);
	atomic_store_relaxed(&t->depth, SHIM_EXITED);
}

void shim_fork_lock(void)
{
	pthread_mutex_lock(&fork_lock);
}

void shim_fork_unlock(void)
{
	pthread_mutex_unlock(&fork_lock);
}

void shim_registry_lock(void)
{
	pthread_mutex_lock(&registry_lock);
}

void shim_registry_unlock(void)
{
	pthread_mutex_unlock(&registry_lock);
}

/* With the gate raised and the registry locked. */
void shim_wait_quiescent(const struct shim_thread *self)
{
	for (struct shim_thread *t = registry.next; t != &registry; t = t->next) {
		if (t == self)
			continue;
		while (atomic_load_acquire(&t->depth) != 0)
			sched_yield();
	}
	while (atomic_load_acquire(&stragglers))
		sched_yield();
}

/* Only the forking thread lives on: every CPU but its own is free again.
 * (The registry lock is still held from prepare.) */
void shim_threads_after_fork_child(struct shim_thread *self)
{
	bool registered = self->prev != NULL;

	registry.prev = registry.next = &registry;
	if (registered)
		registry_add_locked(self);
	pool_top = 0;
	for (unsigned int i = nr_pool; i-- > 0;)
		if (!self->owns_cpu || (int)i != self->cpu)
			pool[pool_top++] = (int)i;
	atomic_store_relaxed(&stragglers, 0);
}
