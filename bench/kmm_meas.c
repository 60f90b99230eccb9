/* What every kmm benchmark reports beside its operations: the thread's lock
 * acquisitions and atomic read-modify-writes and, from thread 0 over the whole run, the path counters of
 * the subsystem measured and the reports kmm made. Below the suites;
 * kmm_main.c sets kmm_label and registers the suites. */
#include "kmm_bench.h"

const char *kmm_label = "kmm";

void kmm_meas_begin(struct gb_state *st, struct kmm_meas *m)
{
	kmm_cpu_bind(gb_thread_index(st));
	m->locks = kmm_thread_lock_acquisitions();
	m->rmws = kmm_thread_atomic_rmws();
	if (gb_thread_index(st) == 0) {
		m->reports = kmm_bug_count();
		kmm_stats_read(&m->stats);
	}
}

static void counter(struct gb_state *st, const char *name, unsigned long v)
{
	gb_counter(st, name, (double)v, GB_COUNTER_DEFAULT);
}

void kmm_meas_end(struct gb_state *st, struct kmm_meas *m, int64_t ops,
		  enum kmm_meas_kind kind)
{
	struct kmm_stats s, *b = &m->stats;

	bench_report(st, ops);
	counter(st, "locks", kmm_thread_lock_acquisitions() - m->locks);
	counter(st, "rmws", kmm_thread_atomic_rmws() - m->rmws);
	if (gb_thread_index(st) != 0)
		return;
	/* Thread 0 reads after the stop barrier: every thread's loop is over. */
	kmm_stats_read(&s);
	counter(st, "kmm_reports", kmm_bug_count() - m->reports);
	switch (kind) {
	case MEAS_PAGES:
		counter(st, "fast", s.pgalloc_pcp - b->pgalloc_pcp);
		counter(st, "slow", (s.pgalloc_pcp_refill - b->pgalloc_pcp_refill) +
			(s.pgalloc_buddy - b->pgalloc_buddy));
		counter(st, "shard_locks", s.zone_lock - b->zone_lock);
		break;
	case MEAS_SLAB:
		counter(st, "fast", s.slab_alloc_fast - b->slab_alloc_fast);
		counter(st, "slow", s.slab_alloc_slow - b->slab_alloc_slow);
		counter(st, "slab_new", s.slab_new - b->slab_new);
		break;
	case MEAS_VMALLOC:
		counter(st, "vmalloc", s.vmalloc - b->vmalloc);
		counter(st, "vmap_mmap", s.vmap_mmap - b->vmap_mmap);
		break;
	case MEAS_RCU:
		counter(st, "kfree_rcu", s.kfree_rcu - b->kfree_rcu);
		counter(st, "rcu_batches", s.kfree_rcu_batches - b->kfree_rcu_batches);
		break;
	}
}
