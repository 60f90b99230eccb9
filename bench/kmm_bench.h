/* What bench_kmm's suites share: booting is done by kmm_main.c; each
 * benchmark thread binds to the CPU numbered by its thread index and
 * brackets its loop with kmm_meas_begin()/kmm_meas_end() (kmm_meas.c),
 * which report the operations, the thread's lock acquisitions and (thread
 * 0, over the whole run) the path counters of the subsystem measured and
 * the reports kmm made ("kmm_reports", from kmm_bug_count()). */
#ifndef KMM_BENCH_KMM_BENCH_H
#define KMM_BENCH_KMM_BENCH_H

#include <kmm/kmm.h>
#include "bench.h"

enum kmm_meas_kind {
	MEAS_PAGES,	/* fast: pgalloc_pcp, slow: refill + buddy, shard_locks: zone_lock */
	MEAS_SLAB,	/* fast: slab_alloc_fast, slow: slab_alloc_slow */
	MEAS_VMALLOC,	/* vmalloc, vmap_mmap */
	MEAS_RCU,	/* kfree_rcu, kfree_rcu_batches */
};

struct kmm_meas {
	unsigned long locks;
	unsigned long rmws;
	unsigned long reports;
	struct kmm_stats stats;
};

void kmm_meas_begin(struct gb_state *st, struct kmm_meas *m);
void kmm_meas_end(struct gb_state *st, struct kmm_meas *m, int64_t ops,
		  enum kmm_meas_kind kind);

/* The label of this process's kmm runs ("kmm", or "kmm_nopcp" when booted
 * with pcp=off). */
extern const char *kmm_label;

void suite_pages_register(void);
extern const struct bench_cg_case suite_pages_cg[];
/* mmap+munmap always; vmalloc+vfree when kmm has vmalloc. */
void suite_vmalloc_register(void);

#ifdef KMM_BENCH_HAVE_SLUB
void suite_slab_register(void);
extern const struct bench_cg_case suite_slab_cg[];
#endif
#ifdef KMM_BENCH_HAVE_KFREE_RCU
void suite_rcu_register(void);
#endif

#endif
