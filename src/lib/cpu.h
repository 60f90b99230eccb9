/* The CPU model (DESIGN.md §4): which CPU a thread stands in for, and the
 * state of its context. The data every layer reads; the kernel's API over
 * it, with its misuse reports, is context.c.
 *
 * A thread stands in for the CPU it bound with kmm_cpu_bind(), otherwise
 * for the host CPU it runs on (sched_getcpu() modulo nr_cpu_ids, read from
 * rseq without a system call). Several threads may be on one CPU at once,
 * so no per-CPU structure is assumed exclusive: see lock.h and each user.
 *
 * No locks: the context is thread-local; nr_cpu_ids and the per-CPU offset
 * table are written only while kmm is not booted. */
#ifndef KMM_LIB_CPU_H
#define KMM_LIB_CPU_H

#include <stdbool.h>
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
	unsigned int irq_excess;	/* kmm_irq_enter() beyond irq_depth's range */
	bool bound_counted;		/* counted by bound.c */
	/* CPU ownership (cpu_owner.h): this record's address is the thread's
	 * owner token. Another thread writes own_delta and reads own_busy
	 * only while it holds the owned CPU's owner lock. */
	bool own_done;			/* its end has begun: it claims no more */
	int own_busy;			/* atomic: inside an owner section */
	unsigned int own_cpu;		/* the CPU it owns, when own_delta != 0 */
	long own_delta;			/* atomic: the owned CPU's per-CPU offset less
					 * the null unit's; 0: it owns none */
};

/* The per-CPU offset table (the per-CPU address space fills it at boot,
 * percpu/percpu_space.c) under its hidden name, for the library's own fast
 * paths; programs read the same table through kmm_per_cpu_offset. */
extern unsigned long kmm_cpu_offsets[KMM_CPU_UNBOUND + 1] KMM_HIDDEN;
/* The offset of the null unit: one unit more in every per-CPU chunk, that
 * no CPU uses. Owner fast paths of a thread that owns no CPU land there
 * (cpu_owner.h), in copies that the layers keep empty. */
extern unsigned long cpu_null_offset KMM_HIDDEN;

/* The null unit's copy of per-CPU pointer `pcpu` (integer arithmetic: a
 * per-CPU pointer itself points nowhere). */
static always_inline void *cpu_null_ptr(const void *pcpu)
{
	return (void *)((unsigned long)pcpu + cpu_null_offset);
}

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

static always_inline bool cpu_in_irq(void)
{
	return kmm_current.irq_depth > 0;
}

/* Threads bound to CPUs (bound.c). cpu_bound_enter() binds the calling
 * thread to `cpu` and counts it there (false while kmm_exit() tears down),
 * cpu_bound_leave() stops counting it (the caller unbinds it after).
 * cpu_bound_threads() is how many count on `cpu`. cpu_bound_close()
 * returns how many other threads count; when none, binding stays closed
 * until cpu_bound_reopen(). */
bool cpu_bound_enter(unsigned int cpu);
void cpu_bound_leave(void);
unsigned int cpu_bound_threads(unsigned int cpu);
unsigned int cpu_bound_close(void);
void cpu_bound_reopen(void);

/* kmm's own threads (kswapd) stand in for a CPU without counting. */
static inline void cpu_bind_own_thread(unsigned int cpu)
{
	kmm_current.cpu = cpu;
}

/* Boot-time setup of the CPU model for nr_cpus CPUs. */
void cpu_model_init(unsigned int nr_cpus);

#endif
