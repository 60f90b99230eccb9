/* The per-CPU batching engine RCU's clients share (see rcu_batch.h): the
 * hand-over of a queue to liburcu, the monitor thread, rcu_barrier() and
 * the flush under memory pressure. It names no client: each registers.
 *
 * Locks: each queue's lock (the client's rank; see rcu_batch.h), and
 * mon_lock (LOCK_RANK_RCU_MONITOR, taken after a queue's lock is dropped),
 * which guards starting the monitor and its condition variable. The list
 * of clients only grows, by compare-and-swap, and is read lockless. */
#include <pthread.h>
#include <time.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/rcu_batch.h"

static struct rcu_batcher *batchers;	/* atomic: the registered clients */
static unsigned int cpus_seen;		/* atomic: highest CPU that queued, + 1 */

/* ---- clients ---- */

/* Called once per client (the client's pthread_once); the push onto the
 * list is a compare-and-swap, so two clients may register at once. */
void rcu_batcher_register(struct rcu_batcher *b)
{
	struct rcu_batcher *head;

	for (unsigned int cpu = 0; cpu < RCU_MAX_CPUS; cpu++) {
		struct rcu_queue *q = rcu_queue_of(b, cpu);

		kmm_spin_init(&q->lock, b->name, b->rank);
		q->batcher = b;
		q->cpu = cpu;
		b->init_cpu(q);
		for (int i = 0; i < RCU_BATCH_SLOTS; i++)
			q->slot[i]->queue = q;
	}
	atomic_store_release(&b->registered, true);
	head = atomic_load_relaxed(&batchers);
	do
		b->next = head;
	while (!atomic_cas_acq_rel(&batchers, &head, b));
}

static struct rcu_batcher *first_batcher(void)
{
	return atomic_load_acquire(&batchers);
}

#define for_each_batcher(b)	for ((b) = first_batcher(); (b); (b) = (b)->next)

static void note_cpu(unsigned int cpu)
{
	unsigned int seen = atomic_load_relaxed(&cpus_seen);

	while (cpu >= seen && !atomic_cas_relaxed(&cpus_seen, &seen, cpu + 1))
		;
}

static unsigned int nr_cpus_seen(void)
{
	return atomic_load_relaxed(&cpus_seen);
}

/* ---- handing over ---- */

/* A batch after its grace period, on a liburcu thread. `nr` and the queue
 * are read first: run() frees the slot, which may be reused at once. */
static void batch_gp_done(struct rcu_gp_head *gp)
{
	struct rcu_batch *b = container_of(gp, struct rcu_batch, gp);
	struct rcu_queue *q = b->queue;
	unsigned long nr = b->nr;

	q->batcher->run(b);
	atomic_add_relaxed(&q->done, nr);
}

bool rcu_queue_flush_locked(struct rcu_queue *q)
{
	lock_assert_held(&q->lock);
	if (!q->nr)
		return true;
	for (int i = 0; i < RCU_BATCH_SLOTS; i++) {
		struct rcu_batch *b = q->slot[i];

		if (atomic_load_acquire(&b->busy))
			continue;
		q->batcher->detach(q, b);
		b->nr = q->nr;
		q->nr = 0;
		atomic_store_relaxed(&b->busy, true);
		rcu_gp_call(&b->gp, batch_gp_done);
		atomic_store_relaxed(&q->handed, q->queued);
		return true;
	}
	return false;
}

/* A queue's hand-over; true when everything queued on it up to `seq` is in
 * liburcu's hands. */
static bool queue_flush(struct rcu_queue *q, unsigned long seq)
{
	bool done;

	kmm_spin_lock(&q->lock);
	rcu_queue_flush_locked(q);
	done = q->handed >= seq;
	kmm_spin_unlock(&q->lock);
	return done;
}

static unsigned long queue_waiting(const struct rcu_queue *q)
{
	return atomic_load_relaxed(&q->queued) - atomic_load_relaxed(&q->handed);
}

unsigned long rcu_batcher_pending(const struct rcu_batcher *b)
{
	unsigned long queued = 0, done = 0;

	if (!atomic_load_acquire(&b->registered))
		return 0;
	for (unsigned int cpu = 0; cpu < nr_cpus_seen(); cpu++) {
		queued += atomic_load_relaxed(&rcu_queue_of(b, cpu)->queued);
		done += atomic_load_relaxed(&rcu_queue_of(b, cpu)->done);
	}
	return queued > done ? queued - done : 0;
}

unsigned long rcu_batchers_pending(void)
{
	struct rcu_batcher *b;
	unsigned long n = 0;

	for_each_batcher(b)
		n += rcu_batcher_pending(b);
	return n;
}

unsigned long rcu_batchers_waiting(void)
{
	struct rcu_batcher *b;
	unsigned long n = 0;

	for_each_batcher(b)
		for (unsigned int cpu = 0; cpu < nr_cpus_seen(); cpu++)
			n += queue_waiting(rcu_queue_of(b, cpu));
	return n;
}

unsigned long rcu_batchers_flush(void)
{
	struct rcu_batcher *b;
	unsigned long handed = 0;

	for_each_batcher(b) {
		for (unsigned int cpu = 0; cpu < nr_cpus_seen(); cpu++) {
			struct rcu_queue *q = rcu_queue_of(b, cpu);
			unsigned long before = queue_waiting(q);

			queue_flush(q, 0);
			handed += before - MIN(before, queue_waiting(q));
		}
	}
	return handed;
}

/* ---- the monitor ----
 * One thread for the process, started by the first item queued, asleep
 * while nothing waits. */

static struct kmm_mutex mon_lock = KMM_MUTEX_INIT("rcu_monitor_lock", LOCK_RANK_RCU_MONITOR);
static pthread_cond_t mon_wake = PTHREAD_COND_INITIALIZER;
static bool mon_started;
static bool mon_armed;		/* atomic: a flush is due */

static void *monitor_main(void *arg)
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
		rcu_batchers_flush();
		if (rcu_batchers_waiting())
			atomic_store_relaxed(&mon_armed, true);
	}
	return NULL;
}

static void monitor_kick(void)
{
	pthread_t t;
	pthread_attr_t attr;

	if (likely(atomic_load_relaxed(&mon_armed)))
		return;
	kmm_mutex_lock(&mon_lock);
	if (!mon_started) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, monitor_main, NULL) == 0)
			mon_started = true;
		else
			kmm_warn("rcu: cannot start the monitor thread; batches go to liburcu when full or at rcu_barrier()");
		pthread_attr_destroy(&attr);
	}
	atomic_store_relaxed(&mon_armed, true);
	pthread_cond_signal(&mon_wake);
	kmm_mutex_unlock(&mon_lock);
}

void rcu_queue_unlock_slow(struct rcu_queue *q, unsigned long nr, bool flush)
{
	if (flush)
		rcu_queue_flush_locked(q);
	kmm_spin_unlock(&q->lock);
	note_cpu(q->cpu);
	if (nr == 1)
		monitor_kick();
}

/* ---- rcu_barrier ---- */

/* Waits until everything one client queued before the call has been
 * handed over and run. Each round hands over what it can (a CPU whose
 * slots are all busy must wait for them) and waits for liburcu's queue. */
static void batcher_barrier(struct rcu_batcher *b)
{
	unsigned int n = nr_cpus_seen();
	unsigned long seq[RCU_MAX_CPUS];

	for (unsigned int cpu = 0; cpu < n; cpu++)
		seq[cpu] = atomic_load_relaxed(&rcu_queue_of(b, cpu)->queued);
	for (;;) {
		bool done = true;

		for (unsigned int cpu = 0; cpu < n; cpu++)
			done &= queue_flush(rcu_queue_of(b, cpu), seq[cpu]);
		rcu_gp_barrier();
		if (done)
			return;
	}
}

void kmm_rcu_barrier(void)
{
	struct rcu_batcher *b;

	if (!rcu_may_wait("rcu_barrier"))
		return;
	rcu_register();
	for_each_batcher(b)
		batcher_barrier(b);
	/* What the callbacks did happens before rcu_barrier() returns. */
	rcu_tsan_acquire();
}
