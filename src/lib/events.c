/* Per-CPU event counters and their public sum, kmm_stats (see events.h).
 * No locks: every counter is a relaxed atomic; the pending hook is an
 * atomic pointer. */
#include <string.h>
#include "lib/events.h"
#include "lib/lock.h"

struct kmm_event_counts *kmm_events;

/* A subsystem whose fast paths count in their own structures (SLUB's
 * sheaves) adds what it has not yet moved to the counters. */
static void (*events_pending)(unsigned long *counts, bool reset);

void events_set_pending(void (*fn)(unsigned long *counts, bool reset))
{
	atomic_store_release(&events_pending, fn);
}

_Static_assert(sizeof(struct kmm_stats) == NR_KMM_EVENTS * sizeof(unsigned long),
	       "struct kmm_stats lists every event, in events.def order");

void events_init(struct kmm_event_counts *counts)
{
	kmm_events = counts;
}

struct kmm_event_counts *events_exit(void)
{
	struct kmm_event_counts *counts = kmm_events;

	kmm_events = NULL;
	return counts;
}

void kmm_stats_read(struct kmm_stats *out)
{
	void (*pending)(unsigned long *counts, bool reset);
	unsigned long *dst = (unsigned long *)out;
	int cpu;

	memset(out, 0, sizeof(*out));
	if (!kmm_events)
		return;
	for_each_possible_cpu(cpu)
		for (int e = 0; e < NR_KMM_EVENTS; e++)
			dst[e] += atomic_load_relaxed(&per_cpu_ptr(kmm_events, cpu)->count[e]);
	pending = atomic_load_acquire(&events_pending);
	if (pending)
		pending(dst, false);
}

void kmm_stats_reset(void)
{
	void (*pending)(unsigned long *counts, bool reset);
	int cpu;

	if (!kmm_events)
		return;
	pending = atomic_load_acquire(&events_pending);
	if (pending)
		pending(NULL, true);
	for_each_possible_cpu(cpu)
		for (int e = 0; e < NR_KMM_EVENTS; e++)
			atomic_store_relaxed(&per_cpu_ptr(kmm_events, cpu)->count[e], 0);
}

__thread unsigned long kmm_atomic_rmws __attribute__((tls_model("initial-exec")));

unsigned long kmm_thread_lock_acquisitions(void)
{
	return kmm_lock_acquisitions;
}

unsigned long kmm_thread_atomic_rmws(void)
{
	return kmm_atomic_rmws;
}
