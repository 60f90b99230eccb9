/* The per-CPU batching engine RCU's clients share (see rcu_batch.h): the
 * hand-over of a queue to liburcu, back-pressure (a bound on what a client
 * has pending, and the batches run here after a grace period of their
 * own), the monitor thread, rcu_barrier() and the flush under memory
 * pressure. It names no client: each registers.
 *
 * Locks: each queue's run_lock, then its lock (the client's rank; see
 * rcu_batch.h), and mon_lock (LOCK_RANK_RCU_MONITOR, taken after a queue's
 * lock is dropped), which guards starting the monitor, its flags and its
 * condition variable. The list of clients only grows, by compare-and-swap,
 * and is read lockless. */
#include <limits.h>
#include <stddef.h>
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
		kmm_mutex_init(&q->run_lock, "rcu_run_lock", LOCK_RANK_RCU_RUN);
		q->batcher = b;
		q->cpu = cpu;
		b->init_cpu(q);
		for (int i = 0; i < RCU_QUEUE_SLOTS; i++)
			q->slot[i]->queue = q;
	}
	if (!atomic_load_relaxed(&b->limit))
		atomic_store_relaxed(&b->step, ULONG_MAX);
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

/* A batch after its grace period. `nr`, `weight` and the queue are read
 * first: run() frees the slot, which may be reused at once. */
static void batch_run(struct rcu_batch *b)
{
	struct rcu_queue *q = b->queue;
	unsigned long nr = b->nr, weight = b->weight;

	q->batcher->run(b);
	atomic_add_relaxed(&q->done, nr);
	atomic_add_relaxed(&q->done_weight, weight);
}

/* The same on a liburcu thread. */
static void batch_gp_done(struct rcu_gp_head *gp)
{
	batch_run(container_of(gp, struct rcu_batch, gp));
}

/* Moves what `q` gathered into `b` (lock held, q->nr > 0). */
static void queue_detach_locked(struct rcu_queue *q, struct rcu_batch *b)
{
	q->batcher->detach(q, b);
	b->nr = q->nr;
	b->weight = q->queued_weight - q->detached_weight;
	q->nr = 0;
	q->detached_weight = q->queued_weight;
	atomic_store_relaxed(&b->busy, true);
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
		queue_detach_locked(q, b);
		rcu_gp_call(&b->gp, batch_gp_done);
		atomic_store_relaxed(&q->handed, q->queued);
		return true;
	}
	return false;
}

/* Runs what `q` gathered here, after a grace period of its own: the
 * expedited path. run_lock keeps the slot and tells rcu_barrier() that a
 * batch is on its way; waiting for it is the back-pressure on callers of
 * the same CPU. Returns whether there was anything to run. */
static bool queue_run_here(struct rcu_queue *q, bool wait)
{
	struct rcu_batch *b = q->slot[RCU_SLOT_HERE];
	bool ran;

	if (wait)
		kmm_mutex_lock(&q->run_lock);
	else if (!kmm_mutex_trylock(&q->run_lock))
		return false;
	kmm_spin_lock(&q->lock);
	ran = q->nr != 0;
	if (ran) {
		queue_detach_locked(q, b);
		atomic_store_relaxed(&q->handed, q->queued);
	}
	kmm_spin_unlock(&q->lock);
	if (ran) {
		rcu_gp_sync();
		batch_run(b);
	}
	kmm_mutex_unlock(&q->run_lock);
	return ran;
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

/* Over every CPU's queue: the counter at `queued_off` less the one at
 * `done_off` (offsets in struct rcu_queue). */
static unsigned long batcher_pending_sum(const struct rcu_batcher *b, size_t queued_off,
					 size_t done_off)
{
	unsigned long queued = 0, done = 0;

	if (!atomic_load_acquire(&b->registered))
		return 0;
	for (unsigned int cpu = 0; cpu < nr_cpus_seen(); cpu++) {
		const char *q = (const char *)rcu_queue_of(b, cpu);

		queued += atomic_load_relaxed((const unsigned long *)(q + queued_off));
		done += atomic_load_relaxed((const unsigned long *)(q + done_off));
	}
	return queued > done ? queued - done : 0;
}

unsigned long rcu_batcher_pending(const struct rcu_batcher *b)
{
	return batcher_pending_sum(b, offsetof(struct rcu_queue, queued),
				   offsetof(struct rcu_queue, done));
}

unsigned long rcu_batcher_pending_weight(const struct rcu_batcher *b)
{
	return batcher_pending_sum(b, offsetof(struct rcu_queue, queued_weight),
				   offsetof(struct rcu_queue, done_weight));
}

static bool batcher_over_limit(const struct rcu_batcher *b)
{
	unsigned long limit = atomic_load_relaxed(&b->limit);

	return limit && rcu_batcher_pending_weight(b) > limit;
}

void rcu_batcher_set_limit(struct rcu_batcher *b, unsigned long limit, unsigned long step)
{
	atomic_store_relaxed(&b->limit, limit);
	atomic_store_relaxed(&b->step, limit ? MAX(step, 1UL) : ULONG_MAX);
	atomic_store_relaxed(&b->over, false);
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
 * while nothing waits. Woken by a queue's first item it flushes
 * RCU_MONITOR_DELAY_US later; woken by a client over its bound
 * (mon_expedite) it goes at once and runs that client's queues here. */

static struct kmm_mutex mon_lock = KMM_MUTEX_INIT("rcu_monitor_lock", LOCK_RANK_RCU_MONITOR);
static pthread_cond_t mon_wake = PTHREAD_COND_INITIALIZER;
static bool mon_started;
static bool mon_armed;		/* atomic: a flush is due */
static bool mon_expedite;	/* atomic: a client is over its bound */

/* Every queue of a client over its bound that has items runs here, each
 * after a grace period; a queue a caller is running already is skipped. */
static void expedite_over_limit(void)
{
	struct rcu_batcher *b;

	for_each_batcher(b) {
		bool over = batcher_over_limit(b);

		atomic_store_relaxed(&b->over, over);
		if (!over)
			continue;
		for (unsigned int cpu = 0; cpu < nr_cpus_seen(); cpu++) {
			struct rcu_queue *q = rcu_queue_of(b, cpu);

			if (queue_waiting(q) && queue_run_here(q, false))
				atomic_add_relaxed(&b->expedited, 1);
		}
	}
}

/* Until the delay passes or an expedite request comes (mon_lock held). */
static void monitor_delay_locked(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += RCU_MONITOR_DELAY_US * 1000L;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	while (!atomic_load_relaxed(&mon_expedite) &&
	       pthread_cond_timedwait(&mon_wake, &mon_lock.mutex, &ts) == 0)
		;
}

static void *monitor_main(void *arg)
{
	kmm_rcu_register_thread();
	for (;;) {
		kmm_mutex_lock(&mon_lock);
		while (!atomic_load_relaxed(&mon_armed) && !atomic_load_relaxed(&mon_expedite))
			pthread_cond_wait(&mon_wake, &mon_lock.mutex);
		monitor_delay_locked();
		/* Disarm before flushing: whatever is queued after the flush
		 * passed its CPU re-arms it. */
		atomic_store_relaxed(&mon_armed, false);
		atomic_store_relaxed(&mon_expedite, false);
		kmm_mutex_unlock(&mon_lock);
		expedite_over_limit();
		rcu_batchers_flush();
		if (rcu_batchers_waiting())
			atomic_store_relaxed(&mon_armed, true);
	}
	return NULL;
}

/* Starts the monitor on first use; wakes it. */
static void monitor_wake(bool expedite)
{
	pthread_t t;
	pthread_attr_t attr;

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
	if (expedite)
		atomic_store_relaxed(&mon_expedite, true);
	pthread_cond_signal(&mon_wake);
	kmm_mutex_unlock(&mon_lock);
}

static void monitor_kick(void)
{
	if (likely(atomic_load_relaxed(&mon_armed)))
		return;
	monitor_wake(false);
}

static void monitor_expedite(void)
{
	if (atomic_load_relaxed(&mon_expedite))
		return;
	monitor_wake(true);
}

void rcu_queue_unlock_slow(struct rcu_queue *q, bool flush, bool may_wait)
{
	struct rcu_batcher *b = q->batcher;
	bool first = q->nr == 1, check, over;

	note_cpu(q->cpu);
	check = flush || q->queued_weight - q->checked_weight >= atomic_load_relaxed(&b->step);
	if (check) {
		q->checked_weight = q->queued_weight;
		over = batcher_over_limit(b);
		atomic_store_relaxed(&b->over, over);
	} else {
		over = atomic_load_relaxed(&b->over);
	}
	if (over && may_wait) {
		/* Wait rather than queue more: at a check this CPU's batch
		 * runs here after a grace period; between checks the caller
		 * waits for the run under way on this queue. */
		kmm_spin_unlock(&q->lock);
		if (!check) {
			kmm_mutex_lock(&q->run_lock);
			kmm_mutex_unlock(&q->run_lock);
		} else if (queue_run_here(q, true)) {
			atomic_add_relaxed(&b->ran_here, 1);
		}
		return;
	}
	if (check)
		rcu_queue_flush_locked(q);
	kmm_spin_unlock(&q->lock);
	if (over)
		monitor_expedite();
	else if (first)
		monitor_kick();
}

/* ---- rcu_barrier ---- */

/* Waits until everything one client queued before the call has been
 * handed over and run. Each round hands over what it can (a CPU whose
 * slots are all busy must wait for them) and waits for liburcu's queue;
 * then each queue's run here, if one is under way. */
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
			break;
	}
	/* What a run here detached before `handed` passed the snapshot is
	 * done once its run_lock is free. */
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		kmm_mutex_lock(&rcu_queue_of(b, cpu)->run_lock);
		kmm_mutex_unlock(&rcu_queue_of(b, cpu)->run_lock);
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
