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
 * Lock: each queue's lock, of the rank the client gives (LOCK_RANK_RCU for
 * call_rcu, which may be called under any kmm lock; LOCK_RANK_KFREE_RCU
 * for kfree_rcu, which allocates array pages under it). A slot is taken
 * under the lock and freed (busy = false, release) by rcu_batch_release()
 * once run() has taken what it holds. The counters:
 *   queued   items ever queued on the CPU (atomic stores, under the lock)
 *   handed   of those, in liburcu's hands (moves only once liburcu's
 *            call_rcu returned), so rcu_barrier() can snapshot `queued`
 *            and wait for `handed`
 *   done     of those, finished by run() (atomic adds)
 * queued - done is what a client has pending: the measure a bound on
 * queued objects (back-pressure) would read. */
#ifndef KMM_LIB_RCU_BATCH_H
#define KMM_LIB_RCU_BATCH_H

#include <stdbool.h>
#include "lib/lock.h"
#include "lib/rcu.h"

#define RCU_BATCH_SLOTS	2

struct rcu_queue;
struct rcu_batcher;

/* A batch waiting for one grace period: a client's slot structure opens
 * with it. */
struct rcu_batch {
	struct rcu_gp_head gp;
	struct rcu_queue *queue;
	unsigned long nr;		/* items in the batch */
	bool busy;			/* atomic: handed to liburcu, not yet taken */
};

/* One CPU's queue of one client. */
struct rcu_queue {
	struct kmm_spinlock lock;
	unsigned long nr;		/* gathered, not handed over */
	unsigned long queued;		/* atomic stores */
	unsigned long handed;		/* atomic stores */
	unsigned long done;		/* atomic */
	struct rcu_batcher *batcher;
	unsigned int cpu;
	struct rcu_batch *slot[RCU_BATCH_SLOTS];	/* the client's slots */
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

/* The client added one item (lock held): returns the queue's length. */
static always_inline unsigned long rcu_queue_added_locked(struct rcu_queue *q)
{
	atomic_store_relaxed(&q->queued, q->queued + 1);
	return ++q->nr;
}

/* The slow part of queueing: hands the queue over when `flush`, wakes the
 * monitor for a queue's first item, and unlocks the queue. */
void rcu_queue_unlock_slow(struct rcu_queue *q, unsigned long nr, bool flush);

/* Hands what `q` gathered to liburcu in a free slot (lock held); false
 * when every slot still waits for its grace period. */
bool rcu_queue_flush_locked(struct rcu_queue *q);

/* The batch's slot is free again (run() has taken what it holds). */
static always_inline void rcu_batch_release(struct rcu_batch *b)
{
	atomic_store_release(&b->busy, false);
}

/* Items a client queued and its run() has not finished. */
unsigned long rcu_batcher_pending(const struct rcu_batcher *b);

/* Every client's items queued and not finished. */
unsigned long rcu_batchers_pending(void);

/* Every client's items gathered and not yet handed over. */
unsigned long rcu_batchers_waiting(void);

/* Hands every client's queues over where a slot is free (memory
 * pressure); returns how many items went. */
unsigned long rcu_batchers_flush(void);

#endif
