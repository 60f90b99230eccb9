/* Threads bound to CPUs, counted so that kmm_exit() can refuse to tear
 * kmm down while another thread may still be using it, and per CPU, so
 * that a thread alone on its CPU can own it (cpu_owner.c).
 *
 * A thread counts from its first kmm_cpu_bind() until kmm_cpu_unbind() or
 * its end (a pthread key's destructor), on the CPU it is bound to. kmm's
 * own threads (kswapd) bind with cpu_bind_own_thread() and do not count.
 * While kmm_exit() tears down, binding is closed: kmm_cpu_bind() is
 * refused.
 *
 * Lock: bound_lock (a pthread mutex outside the lock ranks: taken only by
 * the bind calls, at thread exit and by kmm_exit(), never with a kmm lock
 * held) protects nr_bound, the per-CPU counts (read lockless) and
 * closed. */
#include <pthread.h>
#include <kmm/kmm.h>
#include "lib/cpu.h"

static pthread_mutex_t bound_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int nr_bound;
static unsigned int nr_bound_cpu[KMM_MAX_CPUS];	/* atomic stores */
static bool closed;
static pthread_key_t bound_key;
static pthread_once_t bound_once = PTHREAD_ONCE_INIT;

static void bound_cpu_add(unsigned int cpu, int n)
{
	if (cpu < KMM_MAX_CPUS)
		atomic_store_relaxed(&nr_bound_cpu[cpu], nr_bound_cpu[cpu] + (unsigned int)n);
}

static void bound_thread_end(void *value)
{
	(void)value;
	pthread_mutex_lock(&bound_lock);
	nr_bound--;
	bound_cpu_add(kmm_current.cpu, -1);
	pthread_mutex_unlock(&bound_lock);
}

static void bound_key_init(void)
{
	pthread_key_create(&bound_key, bound_thread_end);
}

bool cpu_bound_enter(unsigned int cpu)
{
	bool counted = kmm_current.bound_counted;

	pthread_once(&bound_once, bound_key_init);
	pthread_mutex_lock(&bound_lock);
	if (closed && !counted) {
		pthread_mutex_unlock(&bound_lock);
		return false;
	}
	if (counted)
		bound_cpu_add(kmm_current.cpu, -1);
	else
		nr_bound++;
	bound_cpu_add(cpu, 1);
	kmm_current.cpu = cpu;
	pthread_mutex_unlock(&bound_lock);
	if (!counted) {
		/* any non-NULL value: the destructor runs at the thread's end */
		pthread_setspecific(bound_key, &bound_key);
		kmm_current.bound_counted = true;
	}
	return true;
}

void cpu_bound_leave(void)
{
	if (!kmm_current.bound_counted)
		return;
	pthread_setspecific(bound_key, NULL);
	kmm_current.bound_counted = false;
	pthread_mutex_lock(&bound_lock);
	nr_bound--;
	bound_cpu_add(kmm_current.cpu, -1);
	pthread_mutex_unlock(&bound_lock);
}

unsigned int cpu_bound_threads(unsigned int cpu)
{
	return cpu < KMM_MAX_CPUS ? atomic_load_relaxed(&nr_bound_cpu[cpu]) : 0;
}

unsigned int cpu_bound_close(void)
{
	unsigned int others;

	pthread_mutex_lock(&bound_lock);
	others = nr_bound - (kmm_current.bound_counted ? 1 : 0);
	if (!others)
		closed = true;
	pthread_mutex_unlock(&bound_lock);
	return others;
}

void cpu_bound_reopen(void)
{
	pthread_mutex_lock(&bound_lock);
	closed = false;
	pthread_mutex_unlock(&bound_lock);
}
