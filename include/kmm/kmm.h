/* kmm: the Linux kernel's memory subsystem as a user-space library.
 * Boot, CPUs, interrupt context, reports and /proc views; includes every
 * other public header. */
#ifndef KMM_KMM_H
#define KMM_KMM_H

#include <stdio.h>
#include <kmm/types.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/highmem.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>
#include <kmm/percpu.h>
#include <kmm/preempt.h>
#include <kmm/spinlock.h>
#include <kmm/device.h>
#include <kmm/memblock.h>
#include <kmm/bootmem.h>
#include <kmm/rcupdate.h>
#include <kmm/shrinker.h>
#include <kmm/mempool.h>

KMM_EXTERN_C_BEGIN

KMM_API int kmm_init(const char *cmdline);
KMM_API int kmm_init_early(const char *cmdline);
KMM_API int kmm_init_late(void);
KMM_API long kmm_exit(void);

KMM_API int kmm_cpu_bind(int cpu);
KMM_API void kmm_cpu_unbind(void);
KMM_API void kmm_irq_enter(void);
KMM_API void kmm_irq_exit(void);

/* Errors reported so far, counted as the kernel's SLUB counts them for a
 * KUnit test: one per BUG:/WARNING: report, and within slub_debug's
 * reports one more for each repair made (a "FIX" line) and one for each
 * object a leak report on kmem_cache_destroy() finds. */
KMM_API unsigned long kmm_bug_count(void);
/* BUG:/WARNING: reports so far, each counted once. */
KMM_API unsigned long kmm_report_count(void);

/* Which paths ran, summed over CPUs since boot (kmm_stats_reset() zeroes). */
struct kmm_stats {
	unsigned long pgalloc_pcp;	/* order <= 3 served from a pcp list */
	unsigned long pgalloc_pcp_refill; /* pcp list refilled from the buddy */
	unsigned long pgalloc_buddy;	/* served by the buddy directly */
	unsigned long pgfree_pcp;	/* freed onto a pcp list */
	unsigned long pgfree_buddy;	/* freed into the buddy directly */
	unsigned long pcp_drain;	/* batches drained from pcp to buddy */
	unsigned long pcp_trylock_fail;	/* pcp busy: fell back to the buddy */
	unsigned long zone_lock;	/* buddy shard lock acquisitions */
	unsigned long slab_alloc_fast;	/* lockless per-CPU sheaf or freelist hit */
	unsigned long slab_alloc_slow;
	unsigned long slab_free_fast;	/* lockless free to the per-CPU sheaf or slab */
	unsigned long slab_free_slow;	/* free to a slab's own freelist (remote, partial) */
	unsigned long slab_new;		/* slabs allocated from the buddy */
	unsigned long slab_discard;	/* slabs given back to the buddy */
	unsigned long sheaf_refill;	/* a CPU's sheaf filled from its slabs */
	unsigned long sheaf_flush;	/* a sheaf's objects given back to their slabs */
	unsigned long barn_get;		/* a sheaf taken from a cache's barn */
	unsigned long barn_put;		/* a sheaf left in a cache's barn */
	unsigned long kswapd_wake;
	unsigned long direct_reclaim;
	unsigned long alloc_fail;
	unsigned long vmalloc;
	unsigned long vmap_mmap;	/* mmap calls made for vmalloc/vmap */
	unsigned long kfree_rcu;
	unsigned long kfree_rcu_batches;
};
KMM_API void kmm_stats_read(struct kmm_stats *out);
KMM_API void kmm_stats_reset(void);
/* Spinlock and mutex acquisitions made by the calling thread. */
KMM_API unsigned long kmm_thread_lock_acquisitions(void);
/* Atomic read-modify-writes (outside lock words) made by the calling
 * thread: writes to cache lines that other CPUs also write. */
KMM_API unsigned long kmm_thread_atomic_rmws(void);
KMM_API int kmm_proc_show(FILE *out, const char *name);
/* kfree_rcu() objects queued and not yet freed; the most waiting at once
 * since boot or since kmm_kfree_rcu_peak_reset(). */
KMM_API unsigned long kmm_kfree_rcu_pending(void);
KMM_API unsigned long kmm_kfree_rcu_peak(void);
KMM_API void kmm_kfree_rcu_peak_reset(void);

KMM_EXTERN_C_END

#endif
