/* The per-CPU batching engine that RCU's clients share (rcu_batch.c).
 *
 * A client (call_rcu, kfree_rcu) is a struct rcu_batcher: a per-CPU array
 * of its own state, each element opening with a struct rcu_queue, and two
 * callbacks. The client gathers items on the calling CPU's queue under the
 * queue's lock; the engine hands what a queue gathered to liburcu as one
 * batch, in one of the queue's RCU_BATCH_SLOTS slots, when the client asks
 * (a batch worth gathered), when the monitor thread runs
 * RCU_MONITOR_DELAY_US after a queue's first item, under memory pressure
 * (rcu_batchers_flush()), and in rcu_barrier(). While every slot of a queue
 * waits for its grace period the queue keeps growing, and the monitor
 * retries. After the grace period the client's run() gets the batch on a
 * liburcu thread.
 *
 * Back-pressure. Each item has a weight (kfree_rcu: the object's bytes).
 * A client may bound the weight it has pending (`limit`); the engine then
 * checks the bound each time a queue gathered `step` weight or the client
 * asks for a hand-over. Over the bound it expedites: instead of waiting for
 * liburcu's call_rcu thread (which takes a batch every 10 ms), a batch is
 * run right after a grace period of its own (synchronize_rcu()) by
 *   - the caller itself, when the client says it may sleep: it waits for
 *     that grace period rather than queue more, so a flood of sleepable
 *     callers cannot outrun the frees;
 *   - the monitor, woken at once, for every queue that has items (what
 *     callers that may not sleep queued).
 * A batch run so uses the queue's slot RCU_SLOT_HERE, under its run_lock.
 *
 * Locks, outermost first: a queue's run_lock (LOCK_RANK_RCU_RUN, a mutex
 * held across the grace period and the run; taken with no other kmm lock
 * held); each queue's lock, of the rank the client gives (LOCK_RANK_RCU
 * for call_rcu, which may be called under any kmm lock; LOCK_RANK_KFREE_RCU
 * for kfree_rcu, which allocates array pages under it). A slot is taken
 * under the lock and freed (busy = false, release) by rcu_batch_release()
 * once run() has taken what it holds. The counters:
 *   queued   items ever queued on the CPU (atomic stores, under the lock)
 *   handed   of those, handed over: in liburcu's hands (moves only once
 *            liburcu's call_rcu returned), or detached by a run here
 *            (under run_lock); so rcu_barrier() can snapshot `queued`,
 *            wait for `handed`, then for liburcu and each run_lock
 *   done     of those, finished by run() (atomic adds)
 *   queued_weight, done_weight  the same in weight
 * queued - done is what a client has pending; queued_weight - done_weight
 * is what its bound reads. */
#ifndef KMM_LIB_RCU_BATCH_H
#define KMM_LIB_RCU_BATCH_H

#include <stdbool.h>
#include "lib/lock.h"
#include "lib/rcu.h"

#define RCU_BATCH_SLOTS	2			/* batches a queue may have in liburcu */
#define RCU_SLOT_HERE	RCU_BATCH_SLOTS		/* the batch a run here uses */
#define RCU_QUEUE_SLOTS	(RCU_BATCH_SLOTS + 1)

struct rcu_queue;
struct rcu_batcher;

/* A batch waiting for one grace period: a client's slot structure opens
 * with it. */
struct rcu_batch {
	struct rcu_gp_head gp;
	struct rcu_queue *queue;
	unsigned long nr;		/* items in the batch */
	unsigned long weight;		/* their weight */
	bool busy;			/* atomic: handed to liburcu, not yet taken */
};

/* One CPU's queue of one client. */
struct rcu_queue {
	struct kmm_spinlock lock;
	unsigned long nr;		/* gathered, not handed over */
	unsigned long detached_weight;	/* queued_weight at the last hand-over */
	unsigned long checked_weight;	/* queued_weight at the last check */
	unsigned long queued;		/* atomic stores */
	unsigned long handed;		/* atomic stores */
	unsigned long done;		/* atomic */
	unsigned long queued_weight;	/* atomic stores */
	unsigned long done_weight;	/* atomic */
	struct rcu_batcher *batcher;
	unsigned int cpu;
	struct rcu_batch *slot[RCU_QUEUE_SLOTS];	/* the client's slots */
	struct kmm_mutex run_lock;	/* slot[RCU_SLOT_HERE] and its run */
};

struct rcu_batcher {
	const char *name;
	enum lock_rank rank;
	/* RCU_MAX_CPUS elements `stride` bytes apart, each opening with its
	 * struct rcu_queue; slots[] point into the element. */
	void *cpus;
	size_t stride;
	/* Sets each queue's slot pointers (at registration). */
	void (*init_cpu)(struct rcu_queue *q);
	/* Moves what `q` gathered into `b` (q's lock held, q->nr > 0). */
	void (*detach)(struct rcu_queue *q, struct rcu_batch *b);
	/* After the grace period: takes what `b` holds, calls
	 * rcu_batch_release(b), then processes it. */
	void (*run)(struct rcu_batch *b);
	/* Back-pressure (atomic; set by the client, 0 / ULONG_MAX: none):
	 * the most weight pending before callers are made to wait, and the
	 * weight a queue gathers between two checks of it. */
	unsigned long limit;
	unsigned long step;
	bool over;			/* atomic: the last check found it past limit */
	unsigned long ran_here;		/* atomic: batches callers ran */
	unsigned long expedited;	/* atomic: batches the monitor ran */
	struct rcu_batcher *next;	/* the engine's list */
	bool registered;		/* atomic */
};

/* Adds the client to the engine: call it once (pthread_once), before the
 * client's first use of its queues. */
void rcu_batcher_register(struct rcu_batcher *b);

static always_inline struct rcu_queue *rcu_queue_of(const struct rcu_batcher *b, unsigned int cpu)
{
	return (struct rcu_queue *)((char *)b->cpus + cpu * b->stride);
}

/* The calling CPU's queue, locked; another CPU's when another thread on
 * this CPU holds it, never a spin while one is free. */
static always_inline struct rcu_queue *rcu_queue_lock(struct rcu_batcher *b, int cpu)
{
	struct rcu_queue *q0 = rcu_queue_of(b, 0);

	return rcu_queue_of(b, kmm_spin_lock_slot(&q0->lock, b->stride, nr_cpu_ids,
						  (unsigned int)cpu));
}

/* The client added one item of `weight` (lock held): true when the
 * engine's slow path is due, for the queue's first item (the monitor must
 * know), a step's weight since the last check, or while over the bound. */
static always_inline bool rcu_queue_added_locked(struct rcu_queue *q, unsigned long weight)
{
	const struct rcu_batcher *b = q->batcher;

	unsigned long queued_weight = q->queued_weight + weight;

	atomic_store_relaxed(&q->queued, q->queued + 1);
	atomic_store_relaxed(&q->queued_weight, queued_weight);
	return ++q->nr == 1 || queued_weight - q->checked_weight >= atomic_load_relaxed(&b->step) ||
	       atomic_load_relaxed(&b->over);
}

/* The slow part of queueing (lock held; unlocks it). `flush`: the client
 * has a batch worth; a step's weight counts as one too. Checks the bound
 * and hands the queue over, or, over the bound, runs it here after a grace
 * period when `may_wait` (the caller may sleep for one), else wakes the
 * monitor to do so; wakes the monitor for a queue's first item. Between
 * checks over the bound, a caller that may wait waits for the queue's run
 * under way, if any. */
void rcu_queue_unlock_slow(struct rcu_queue *q, bool flush, bool may_wait);

/* Sets a client's bound: pending weight past `limit` makes callers that
 * may sleep wait, checked every `step` of a queue's weight (0: no bound). */
void rcu_batcher_set_limit(struct rcu_batcher *b, unsigned long limit, unsigned long step);

/* Hands what `q` gathered to liburcu in a free slot (lock held); false
 * when every slot still waits for its grace period. */
bool rcu_queue_flush_locked(struct rcu_queue *q);

/* The batch's slot is free again (run() has taken what it holds). */
static always_inline void rcu_batch_release(struct rcu_batch *b)
{
	atomic_store_release(&b->busy, false);
}

/* Items a client queued and its run() has not finished, and their weight. */
unsigned long rcu_batcher_pending(const struct rcu_batcher *b);
unsigned long rcu_batcher_pending_weight(const struct rcu_batcher *b);

/* Every client's items queued and not finished. */
unsigned long rcu_batchers_pending(void);

/* Every client's items gathered and not yet handed over. */
unsigned long rcu_batchers_waiting(void);

/* Hands every client's queues over where a slot is free (memory
 * pressure); returns how many items went. */
unsigned long rcu_batchers_flush(void);

#endif
