/* Per-CPU event counters: which path ran (vm_event_states in the kernel),
 * summed over CPUs by kmm_stats_read().
 *
 * The counters are a static table with a row per CPU (the kernel's
 * DEFINE_PER_CPU), so every layer can count from the first boot step on,
 * the buddy included, without the per-CPU allocator that sits above it.
 * Bumped with a relaxed load and store, no lock prefix: two threads on one
 * CPU may rarely lose a count, which statistics can afford. */
#ifndef KMM_LIB_EVENTS_H
#define KMM_LIB_EVENTS_H

#include <kmm/kmm.h>
#include "lib/cpu.h"

enum kmm_event {
#define EV(name) EV_##name,
#include "lib/events.def"
#undef EV
	NR_KMM_EVENTS
};

/* One CPU's row, a whole number of cache lines so that rows of two CPUs
 * never share one. */
struct kmm_event_counts {
	unsigned long count[NR_KMM_EVENTS];
} cacheline_aligned;

extern struct kmm_event_counts kmm_events[KMM_MAX_CPUS] KMM_HIDDEN;

static always_inline void count_event_cpu(int cpu, enum kmm_event ev, unsigned long n)
{
	unsigned long *c = &kmm_events[cpu].count[ev];

	atomic_store_relaxed(c, atomic_load_relaxed(c) + n);
}

static always_inline void count_event(enum kmm_event ev)
{
	count_event_cpu(cpu_id(), ev, 1);
}

/* Boot: every CPU's counts start at 0. */
void events_init(void);
void events_set_pending(void (*fn)(unsigned long *counts, bool reset));

#endif
