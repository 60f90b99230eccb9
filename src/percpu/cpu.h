/* The CPU model: which CPU a thread stands in for, and its context. */
#ifndef KMM_PERCPU_CPU_H
#define KMM_PERCPU_CPU_H

#include <stdbool.h>
#include <kmm/gfp.h>
#include <kmm/percpu.h>
#include "lib/cmdline.h"
#include "lib/compiler.h"

/* kmm_task.cpu of a thread bound to no CPU. kmm_per_cpu_offset has an
 * entry (CPU 0's offset) for it and for every CPU number a former boot may
 * have bound, so the slab fast paths index it without a range check. */
#define KMM_CPU_UNBOUND KMM_MAX_CPUS

/* Per-thread context, the user-space stand-in for the kernel's
 * current->preempt_count and the CPU's interrupt state. */
struct kmm_task {
	union {
		struct {
			int preempt_count;	/* preempt_disable(), spin_lock() */
			short irq_depth;	/* nesting of kmm_irq_enter() */
			short irqs_off;		/* local_irq_disable()/save() nesting */
		};
		unsigned long atomic_ctx;	/* all three, for one load */
	};
	unsigned int cpu;	/* bound CPU, or KMM_CPU_UNBOUND */
};

/* The per-CPU offset table (percpu_alloc.c) under its hidden name, for the
 * library's own fast paths; programs read the same table through
 * kmm_per_cpu_offset. */
extern unsigned long kmm_cpu_offsets[KMM_CPU_UNBOUND + 1] KMM_HIDDEN;

extern __thread struct kmm_task kmm_current __attribute__((tls_model("initial-exec")));

int cpu_id_slow(void);

/* The calling thread's CPU: its binding, else the host CPU it runs on. */
static always_inline int cpu_id(void)
{
	unsigned int c = kmm_current.cpu;

	if (likely(c < nr_cpu_ids))
		return (int)c;
	return cpu_id_slow();
}

static always_inline bool cpu_in_atomic(void)
{
	return kmm_current.atomic_ctx != 0;
}

/* might_alloc(): a sleeping allocation in atomic context is a bug. Reports
 * it ("sleeping function called from invalid context") and returns false so
 * the caller refuses the allocation. */
bool might_alloc_slow(gfp_t gfp, const char *caller);
static always_inline bool might_alloc(gfp_t gfp, const char *caller)
{
	if (likely(!(gfp & __GFP_DIRECT_RECLAIM) || !cpu_in_atomic()))
		return true;
	return might_alloc_slow(gfp, caller);
}

/* Boot-time setup of the CPU model for nr_cpus CPUs. */
void cpu_model_init(unsigned int nr_cpus);

#endif
