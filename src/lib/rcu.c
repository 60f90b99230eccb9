/* <kmm/rcupdate.h>: liburcu's memb flavor with ThreadSanitizer edges.
 *
 * A thread is registered with liburcu the first time it enters an RCU
 * read-side section or queues a callback, and unregistered by a
 * thread-specific-data destructor when it exits. */
#include <pthread.h>
#include <kmm/kmm.h>
#include "lib/compiler.h"

static pthread_key_t rcu_key;
static pthread_once_t rcu_key_once = PTHREAD_ONCE_INIT;
static __thread bool rcu_registered;
/* One address for every grace-period edge TSan should see. */
static char rcu_gp_edge;

static void rcu_thread_exit(void *arg)
{
	(void)arg;
	if (rcu_registered) {
		urcu_memb_unregister_thread();
		rcu_registered = false;
	}
}

static void rcu_key_init(void)
{
	pthread_key_create(&rcu_key, rcu_thread_exit);
}

void kmm_rcu_register_thread(void)
{
	if (likely(rcu_registered))
		return;
	pthread_once(&rcu_key_once, rcu_key_init);
	urcu_memb_register_thread();
	rcu_registered = true;
	pthread_setspecific(rcu_key, &rcu_registered);
}

void kmm_rcu_unregister_thread(void)
{
	rcu_thread_exit(NULL);
}

void kmm_rcu_read_lock(void)
{
	kmm_rcu_register_thread();
	urcu_memb_read_lock();
}

void kmm_rcu_read_unlock(void)
{
	/* The reader's accesses happen before the grace period ends. */
	tsan_release(&rcu_gp_edge);
	urcu_memb_read_unlock();
}

void kmm_synchronize_rcu(void)
{
	urcu_memb_synchronize_rcu();
	tsan_acquire(&rcu_gp_edge);
}

void kmm_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	kmm_rcu_register_thread();
	tsan_release(&rcu_gp_edge);
	urcu_memb_call_rcu(head, func);
}

void kmm_rcu_barrier(void)
{
	kmm_rcu_register_thread();
	urcu_memb_barrier();
	tsan_acquire(&rcu_gp_edge);
}
