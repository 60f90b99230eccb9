/* <kmm/rcupdate.h> on liburcu's memb flavor (DESIGN.md §9): threads, the
 * read side, grace periods and the hand-over of one batch to liburcu. The
 * only file that includes liburcu's headers. Callbacks and kfree_rcu
 * objects gather per CPU and reach liburcu in batches through the batching
 * engine (rcu_batch.c); this file names none of its clients.
 *
 * Threads are registered with liburcu the first time they read, queue or
 * wait, and unregistered by a thread-specific-data destructor when they
 * exit; liburcu registers its own call_rcu threads. No locks of its own:
 * the per-thread state is thread-local, the key is created once
 * (pthread_once).
 *
 * ThreadSanitizer cannot see liburcu's grace periods or its callback queue,
 * so every edge goes through one address, rcu_gp_edge: released by each
 * rcu_read_unlock(), each hand-over and after each batch; acquired after
 * synchronize_rcu() and rcu_barrier() and before every batch (the clients
 * acquire it again before each of their callbacks). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>

/* liburcu's struct rcu_head gets another tag in this file only, so the
 * kernel-shaped struct rcu_head of <kmm/rcupdate.h> can be used here too. */
#define rcu_head urcu_lib_rcu_head
#include <urcu/urcu-memb.h>
#undef rcu_head
#undef rcu_dereference		/* <kmm/rcupdate.h> has its own */
#undef rcu_assign_pointer

#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/rcu.h"

_Static_assert(sizeof(struct urcu_lib_rcu_head) <= sizeof(((struct rcu_gp_head *)0)->urcu_head),
	       "liburcu's rcu_head fits in struct rcu_gp_head");
_Static_assert(offsetof(struct rcu_gp_head, urcu_head) == 0,
	       "liburcu's rcu_head opens struct rcu_gp_head");

static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_key;
__thread struct rcu_task rcu_task __attribute__((tls_model("initial-exec")));
char rcu_gp_edge;

/* --- threads ----------------------------------------------------------- */

static void rcu_thread_exit(void *arg)
{
	if (rcu_task.registered != RCU_BY_KMM)
		return;
	if (rcu_task.nesting) {
		kmm_bug("thread exits inside an RCU read-side critical section (depth %d)",
			rcu_task.nesting);
		for (; rcu_task.nesting; rcu_task.nesting--)
			urcu_memb_read_unlock();
	}
	urcu_memb_unregister_thread();
	rcu_task.registered = RCU_UNREGISTERED;
}

static void rcu_init_once(void)
{
	pthread_key_create(&rcu_key, rcu_thread_exit);
}

noinline void rcu_register_slow(void)
{
	pthread_once(&rcu_once, rcu_init_once);
	urcu_memb_register_thread();
	rcu_task.registered = RCU_BY_KMM;
	pthread_setspecific(rcu_key, &rcu_task);
}

void kmm_rcu_register_thread(void)
{
	rcu_register();
}

void kmm_rcu_unregister_thread(void)
{
	if (rcu_task.nesting) {
		kmm_bug("kmm_rcu_unregister_thread: inside an RCU read-side critical section");
		return;
	}
	if (rcu_task.registered != RCU_BY_KMM)
		return;
	urcu_memb_unregister_thread();
	rcu_task.registered = RCU_UNREGISTERED;
	pthread_setspecific(rcu_key, NULL);
}

/* --- read side and grace periods ---------------------------------------- */

void kmm_rcu_read_lock(void)
{
	rcu_register();
	urcu_memb_read_lock();
	rcu_task.nesting++;
}

void kmm_rcu_read_unlock(void)
{
	if (unlikely(rcu_task.nesting <= 0)) {
		kmm_bug("rcu_read_unlock: not inside an RCU read-side critical section");
		return;
	}
	rcu_task.nesting--;
	/* Everything this reader did happens before the grace period ends. */
	tsan_release(&rcu_gp_edge);
	urcu_memb_read_unlock();
}

/* synchronize_rcu() and rcu_barrier() sleep: not inside a read-side
 * section, not in atomic context, not from a callback. */
bool rcu_may_wait(const char *caller)
{
	if (unlikely(rcu_task.nesting)) {
		kmm_bug("%s: called inside an RCU read-side critical section", caller);
		return false;
	}
	if (unlikely(rcu_task.in_callback)) {
		kmm_bug("%s: called from an RCU callback", caller);
		return false;
	}
	return might_alloc(GFP_KERNEL, caller);
}

void kmm_synchronize_rcu(void)
{
	if (!rcu_may_wait("synchronize_rcu") || RCU_NO_GRACE)
		return;
	rcu_register();
	urcu_memb_synchronize_rcu();
	tsan_acquire(&rcu_gp_edge);
}

/* --- batches handed to liburcu ------------------------------------------- */

static void rcu_gp_trampoline(struct urcu_lib_rcu_head *uh)
{
	struct rcu_gp_head *gp = (struct rcu_gp_head *)uh;

	if (rcu_task.registered == RCU_UNREGISTERED)
		rcu_task.registered = RCU_BY_LIBURCU;
	tsan_acquire(&rcu_gp_edge);
	gp->func(gp);
	/* What the callbacks did happens before rcu_barrier() returns. */
	tsan_release(&rcu_gp_edge);
}

void rcu_gp_call(struct rcu_gp_head *gp, void (*func)(struct rcu_gp_head *gp))
{
	gp->func = func;
	/* What the caller did (unlinking, filling the batch) happens before
	 * the batch callback. */
	tsan_release(&rcu_gp_edge);
	urcu_memb_call_rcu((struct urcu_lib_rcu_head *)gp, rcu_gp_trampoline);
}

void rcu_gp_barrier(void)
{
	urcu_memb_barrier();
}

void rcu_gp_sync(void)
{
	if (RCU_NO_GRACE)
		return;
	rcu_register();
	urcu_memb_synchronize_rcu();
	tsan_acquire(&rcu_gp_edge);
}
