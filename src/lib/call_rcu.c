/* call_rcu(): a client of the batching engine (rcu_batch.h). Each CPU
 * keeps its callbacks in a list, oldest first; a list goes to liburcu as
 * one batch when it reaches a multiple of CALL_RCU_BATCH callbacks, and
 * whenever the engine flushes it (monitor, memory pressure, rcu_barrier).
 * After the grace period the batch's callbacks run in order on a liburcu
 * thread, each with the TSan acquire of the RCU edge.
 *
 * Lock: the CPU's queue lock, LOCK_RANK_RCU, innermost but for reports,
 * so call_rcu() works under any kmm lock; only liburcu's call_rcu is
 * called under it. Callable from any context, interrupts included. */
#include <pthread.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/cpu.h"
#include "lib/rcu_batch.h"

#define CALL_RCU_BATCH	256

struct call_rcu_batch {
	struct rcu_batch b;
	struct rcu_head *list;		/* callbacks waiting for this grace period */
};

struct call_rcu_cpu {
	struct rcu_queue q;
	struct rcu_head *head;		/* not yet handed over, oldest first */
	struct rcu_head **tail;
	struct call_rcu_batch slot[RCU_QUEUE_SLOTS];
} cacheline_aligned;

static struct call_rcu_cpu call_rcu_cpus[RCU_MAX_CPUS];

static void call_rcu_init_cpu(struct rcu_queue *q)
{
	struct call_rcu_cpu *c = container_of(q, struct call_rcu_cpu, q);

	c->tail = &c->head;
	for (int i = 0; i < RCU_QUEUE_SLOTS; i++)
		q->slot[i] = &c->slot[i].b;
}

static void call_rcu_detach(struct rcu_queue *q, struct rcu_batch *b)
{
	struct call_rcu_cpu *c = container_of(q, struct call_rcu_cpu, q);

	container_of(b, struct call_rcu_batch, b)->list = c->head;
	c->head = NULL;
	c->tail = &c->head;
}

/* One CPU's callbacks, after their grace period, on a liburcu thread. */
static void call_rcu_run(struct rcu_batch *b)
{
	struct call_rcu_batch *cb = container_of(b, struct call_rcu_batch, b);
	struct rcu_head *h = cb->list, *next;

	cb->list = NULL;
	rcu_batch_release(b);
	rcu_task.in_callback = true;
	for (; h; h = next) {
		next = h->next;
		rcu_tsan_acquire();
		h->func(h);
	}
	rcu_task.in_callback = false;
}

static struct rcu_batcher call_rcu_batcher = {
	.name = "call_rcu_cpu",
	.rank = LOCK_RANK_RCU,
	.cpus = call_rcu_cpus,
	.stride = sizeof(call_rcu_cpus[0]),
	.init_cpu = call_rcu_init_cpu,
	.detach = call_rcu_detach,
	.run = call_rcu_run,
};

static pthread_once_t call_rcu_once = PTHREAD_ONCE_INIT;

static void call_rcu_register(void)
{
	rcu_batcher_register(&call_rcu_batcher);
}

/* Budget: one trylock, seven stores; the slow path on the first callback of
 * a list (wake the monitor) and on every CALL_RCU_BATCH-th (hand over). */
void kmm_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct call_rcu_cpu *c;
	struct rcu_queue *q;

	if (unlikely(!head || !func)) {
		kmm_bug("call_rcu: NULL %s", head ? "callback" : "rcu_head");
		return;
	}
	if (RCU_NO_GRACE) {
		func(head);
		return;
	}
	rcu_register();
	if (unlikely(!atomic_load_acquire(&call_rcu_batcher.registered)))
		pthread_once(&call_rcu_once, call_rcu_register);
	rcu_tsan_release();
	head->next = NULL;
	head->func = func;
	q = rcu_queue_lock(&call_rcu_batcher, cpu_id());
	c = container_of(q, struct call_rcu_cpu, q);
	*c->tail = head;
	c->tail = &head->next;
	/* No bound: callers may hold any kmm lock, so none may wait. */
	if (unlikely(rcu_queue_added_locked(q, 1) || q->nr % CALL_RCU_BATCH == 0)) {
		rcu_queue_unlock_slow(q, q->nr >= CALL_RCU_BATCH, false);
		return;
	}
	kmm_spin_unlock(&q->lock);
}
