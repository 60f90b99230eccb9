/* <kmm/rcupdate.h> on liburcu's memb flavor (DESIGN.md §9).
 *
 * call_rcu() queues on the calling CPU's list. A whole list goes to liburcu
 * as one batch, through one liburcu rcu_head kept in a batch slot of the
 * CPU: a CPU has RCU_BATCH_SLOTS slots, so one list fills while the others
 * wait for their grace period, like the kernel's kfree_rcu_cpu channels. A
 * list is handed over when it reaches a multiple of RCU_BATCH_MAX callbacks,
 * by the monitor thread RCU_MONITOR_DELAY_US after it became non-empty, by
 * the kfree_rcu shrinker under memory pressure, and by rcu_barrier(). While
 * every slot of a CPU waits for a grace period its list keeps growing, and
 * the monitor keeps retrying.
 *
 * Lock (one per CPU, LOCK_RANK_RCU: innermost but for reports, so call_rcu()
 * works under any kmm lock; only liburcu's call_rcu is called under it):
 *   rcu_cpu.lock   the CPU's list and counters, and taking a free slot
 * A slot is taken under the lock and freed (busy = false, release) by its
 * batch callback once it has taken the list. `queued` counts callbacks ever
 * queued on the CPU and `handed` how many of them are in liburcu's hands;
 * both move under the lock, `handed` only once liburcu's call_rcu has
 * returned, so rcu_barrier() can snapshot `queued` and wait for `handed`.
 *
 * Threads are registered with liburcu the first time they read, queue or
 * wait, and unregistered by a thread-specific-data destructor when they
 * exit; liburcu registers its own call_rcu threads.
 *
 * ThreadSanitizer cannot see liburcu's grace periods or its callback queue,
 * so every edge goes through one address, rcu_gp_edge: released by each
 * rcu_read_unlock(), each hand-over and after each batch's callbacks;
 * acquired after synchronize_rcu() and rcu_barrier() and before every
 * callback. */
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
#include "lib/lock.h"
#include "lib/rcu.h"
#include "lib/cpu.h"

#ifdef KMM_RCU_NO_GRACE
#define RCU_NO_GRACE 1		/* negative control: callbacks run at once */
#else
#define RCU_NO_GRACE 0
#endif

#define RCU_BATCH_SLOTS	2
#define RCU_BATCH_MAX	256

_Static_assert(sizeof(struct urcu_lib_rcu_head) <= sizeof(((struct rcu_gp_head *)0)->urcu_head),
	       "liburcu's rcu_head fits in struct rcu_gp_head");
_Static_assert(offsetof(struct rcu_gp_head, urcu_head) == 0,
	       "liburcu's rcu_head opens struct rcu_gp_head");

struct rcu_batch {
	struct rcu_gp_head gp;
	struct rcu_head *list;		/* callbacks waiting for this grace period */
	bool busy;			/* atomic: handed to liburcu, not yet run */
};

struct rcu_cpu {
	struct kmm_spinlock lock;
	struct rcu_head *head;		/* callbacks not yet handed over, oldest first */
	struct rcu_head **tail;
	unsigned long nr;		/* on the list */
	unsigned long queued;		/* atomic stores: ever queued on this CPU */
	unsigned long handed;		/* atomic stores: of those, given to liburcu */
	struct rcu_batch batch[RCU_BATCH_SLOTS];
} cacheline_aligned;

static struct rcu_cpu rcu_cpus[RCU_MAX_CPUS];
unsigned int rcu_cpus_seen;
static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static pthread_key_t rcu_key;
__thread struct rcu_task rcu_task __attribute__((tls_model("initial-exec")));
static char rcu_gp_edge;

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
	for (int i = 0; i < RCU_MAX_CPUS; i++) {
		kmm_spin_init(&rcu_cpus[i].lock, "rcu_cpu", LOCK_RANK_RCU);
		rcu_cpus[i].tail = &rcu_cpus[i].head;
	}
	kvfree_rcu_cpus_init();
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
static bool rcu_may_wait(const char *caller)
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

/* Runs one CPU's batch after its grace period, on a liburcu thread. */
static void rcu_batch_done(struct rcu_gp_head *gp)
{
	struct rcu_batch *b = container_of(gp, struct rcu_batch, gp);
	struct rcu_head *h = b->list, *next;

	b->list = NULL;
	atomic_store_release(&b->busy, false);
	rcu_task.in_callback = true;
	for (; h; h = next) {
		next = h->next;
		tsan_acquire(&rcu_gp_edge);
		h->func(h);
	}
	rcu_task.in_callback = false;
}

/* Hands the CPU's list to liburcu in a free slot; false when every slot
 * still waits for its grace period. */
static bool rcu_flush_locked(struct rcu_cpu *rcp)
{
	lock_assert_held(&rcp->lock);
	if (!rcp->head)
		return true;
	for (int i = 0; i < RCU_BATCH_SLOTS; i++) {
		struct rcu_batch *b = &rcp->batch[i];

		if (atomic_load_acquire(&b->busy))
			continue;
		b->list = rcp->head;
		rcp->head = NULL;
		rcp->tail = &rcp->head;
		rcp->nr = 0;
		atomic_store_relaxed(&b->busy, true);
		rcu_gp_call(&b->gp, rcu_batch_done);
		atomic_store_relaxed(&rcp->handed, rcp->queued);
		return true;
	}
	return false;
}

/* The calling CPU's list, locked; another CPU's when this one is busy
 * (another thread on the same CPU), never a spin while one is free. */
static always_inline struct rcu_cpu *rcu_cpu_lock(int cpu)
{
	return &rcu_cpus[kmm_spin_lock_slot(&rcu_cpus[0].lock, sizeof(rcu_cpus[0]), nr_cpu_ids,
					    (unsigned int)cpu)];
}

static noinline void call_rcu_slow(struct rcu_cpu *rcp, unsigned long nr)
{
	if (nr >= RCU_BATCH_MAX)
		rcu_flush_locked(rcp);
	kmm_spin_unlock(&rcp->lock);
	rcu_note_cpu((int)(rcp - rcu_cpus));
	if (nr == 1)
		rcu_monitor_kick();
}

/* Budget: one trylock, five stores; the slow path on the first callback of
 * a list (wake the monitor) and on every RCU_BATCH_MAX-th (hand over). */
void kmm_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct rcu_cpu *rcp;
	unsigned long nr;

	if (unlikely(!head || !func)) {
		kmm_bug("call_rcu: NULL %s", head ? "callback" : "rcu_head");
		return;
	}
	if (RCU_NO_GRACE) {
		func(head);
		return;
	}
	rcu_register();
	tsan_release(&rcu_gp_edge);
	head->next = NULL;
	head->func = func;
	rcp = rcu_cpu_lock(cpu_id());
	*rcp->tail = head;
	rcp->tail = &head->next;
	nr = ++rcp->nr;
	atomic_store_relaxed(&rcp->queued, rcp->queued + 1);
	if (unlikely(nr == 1 || nr % RCU_BATCH_MAX == 0)) {
		call_rcu_slow(rcp, nr);
		return;
	}
	kmm_spin_unlock(&rcp->lock);
}

bool rcu_flush_cpu(int cpu, unsigned long seq)
{
	struct rcu_cpu *rcp = &rcu_cpus[cpu];
	bool done;

	kmm_spin_lock(&rcp->lock);
	rcu_flush_locked(rcp);
	done = rcp->handed >= seq;
	kmm_spin_unlock(&rcp->lock);
	return done;
}

unsigned long rcu_queued_seq(int cpu)
{
	return atomic_load_relaxed(&rcu_cpus[cpu].queued);
}

unsigned long rcu_waiting(int cpu)
{
	return atomic_load_relaxed(&rcu_cpus[cpu].queued) -
	       atomic_load_relaxed(&rcu_cpus[cpu].handed);
}

/* --- the monitor ----------------------------------------------------------
 * One thread for the process, started by the first callback or kfree_rcu
 * object queued, asleep while nothing waits. mon_lock (LOCK_RANK_RCU_MONITOR,
 * taken after a CPU's list lock is dropped) guards starting it and its
 * condition variable. */

static struct kmm_mutex mon_lock = KMM_MUTEX_INIT("rcu_monitor_lock", LOCK_RANK_RCU_MONITOR);
static pthread_cond_t mon_wake = PTHREAD_COND_INITIALIZER;
static bool mon_started;
static bool mon_armed;		/* atomic: a flush is due */

/* Hands every CPU's callbacks and kfree_rcu objects to liburcu; false
 * when some still wait for a free slot. */
static bool rcu_flush_all(void)
{
	unsigned int n = atomic_load_relaxed(&rcu_cpus_seen);
	bool done = true;

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		rcu_flush_cpu((int)cpu, 0);
		kvfree_rcu_flush_cpu((int)cpu, 0);
		if (rcu_waiting((int)cpu) || kvfree_rcu_waiting((int)cpu))
			done = false;
	}
	return done;
}

static void *rcu_monitor_main(void *arg)
{
	const struct timespec delay = { 0, RCU_MONITOR_DELAY_US * 1000L };

	kmm_rcu_register_thread();
	for (;;) {
		kmm_mutex_lock(&mon_lock);
		while (!atomic_load_relaxed(&mon_armed))
			pthread_cond_wait(&mon_wake, &mon_lock.mutex);
		kmm_mutex_unlock(&mon_lock);
		nanosleep(&delay, NULL);
		/* Disarm before flushing: whatever is queued after the flush
		 * passed its CPU re-arms it. */
		atomic_store_relaxed(&mon_armed, false);
		if (!rcu_flush_all())
			atomic_store_relaxed(&mon_armed, true);
	}
	return NULL;
}

void rcu_monitor_kick(void)
{
	pthread_t t;
	pthread_attr_t attr;

	if (likely(atomic_load_relaxed(&mon_armed)))
		return;
	kmm_mutex_lock(&mon_lock);
	if (!mon_started) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, rcu_monitor_main, NULL) == 0)
			mon_started = true;
		else
			kmm_warn("rcu: cannot start the monitor thread; batches go to liburcu when full or at rcu_barrier()");
		pthread_attr_destroy(&attr);
	}
	atomic_store_relaxed(&mon_armed, true);
	pthread_cond_signal(&mon_wake);
	kmm_mutex_unlock(&mon_lock);
}

/* --- rcu_barrier ----------------------------------------------------------- */

/* Waits until every callback and kfree_rcu object queued before the call
 * has been run or freed. Each round hands over what it can (a CPU whose
 * slots are all busy must wait for them) and waits for liburcu's queue. */
static void rcu_barrier_all(void)
{
	unsigned int n = atomic_load_relaxed(&rcu_cpus_seen);
	unsigned long cb_seq[RCU_MAX_CPUS], kv_seq[RCU_MAX_CPUS];

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		cb_seq[cpu] = rcu_queued_seq((int)cpu);
		kv_seq[cpu] = kvfree_rcu_queued_seq((int)cpu);
	}
	for (;;) {
		bool done = true;

		for (unsigned int cpu = 0; cpu < n; cpu++) {
			done &= rcu_flush_cpu((int)cpu, cb_seq[cpu]);
			done &= kvfree_rcu_flush_cpu((int)cpu, kv_seq[cpu]);
		}
		urcu_memb_barrier();
		if (done)
			return;
	}
}

void kmm_rcu_barrier(void)
{
	if (!rcu_may_wait("rcu_barrier"))
		return;
	rcu_register();
	rcu_barrier_all();
	tsan_acquire(&rcu_gp_edge);
}
