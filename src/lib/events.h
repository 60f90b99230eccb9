/* Per-CPU event counters: which path ran (vm_event_states in the kernel),
 * summed over CPUs by kmm_stats_read().
 *
 * The counters are per-CPU memory that boot takes from the per-CPU
 * allocator (which stands above the buddy) and hands over here before
 * anything counts, so every layer, the buddy included, counts without
 * calling up. Bumped with a relaxed load and store, no lock prefix: two
 * threads on one CPU may rarely lose a count, which statistics can
 * afford. */
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

struct kmm_event_counts {
	unsigned long count[NR_KMM_EVENTS];
};

extern struct kmm_event_counts *kmm_events KMM_HIDDEN;	/* percpu pointer */

static always_inline void count_event_cpu(int cpu, enum kmm_event ev, unsigned long n)
{
	unsigned long *c = &per_cpu_ptr(kmm_events, cpu)->count[ev];

	atomic_store_relaxed(c, atomic_load_relaxed(c) + n);
}

static always_inline void count_event(enum kmm_event ev)
{
	count_event_cpu(cpu_id(), ev, 1);
}

/* Boot hands over the counters (zeroed per-CPU memory) and takes them
 * back at exit. */
void events_init(struct kmm_event_counts *counts);
struct kmm_event_counts *events_exit(void);
void events_set_pending(void (*fn)(unsigned long *counts, bool reset));

#endif
