/* Zone counters as per-CPU deltas folded into the zone at a threshold
 * (the kernel's vmstat). Several threads may share a CPU, so the delta is
 * updated with compare-and-swap, as the kernel's this_cpu_cmpxchg path.
 * No locks: atomics on the CPU's delta and on the zone total. */
#ifndef KMM_PERCPU_VMSTAT_H
#define KMM_PERCPU_VMSTAT_H

#include "buddy/mmzone.h"
#include "lib/cpu.h"

void vmstat_fold_slow(struct zone *z, enum zone_stat_item item, signed char *diff, long delta);

static always_inline void mod_zone_page_state(struct zone *z, enum zone_stat_item item, long delta)
{
	struct per_cpu_zonestat *st = per_cpu_ptr(z->pcpstat, cpu_id());
	signed char *diff = &st->vm_stat_diff[item];
	signed char old = atomic_load_relaxed(diff);
	long t = atomic_load_relaxed(&st->stat_threshold);
	long n = old + delta;

	if (likely(n > -t && n < t && atomic_cas_relaxed(diff, &old, (signed char)n)))
		return;
	vmstat_fold_slow(z, item, diff, delta);
}

/* Approximate (zone total only), as the kernel's zone_page_state(). */
static inline long zone_page_state(const struct zone *z, enum zone_stat_item item)
{
	long v = atomic_load_relaxed(&z->vm_stat[item]);

	return v < 0 ? 0 : v;
}

/* Exact: the zone total plus every CPU's delta. */
long zone_page_state_snapshot(const struct zone *z, enum zone_stat_item item);
long global_zone_page_state(enum zone_stat_item item);
/* Free pages of a zone, exact (the zone's counter and every CPU's delta). */
unsigned long zone_free_pages_exact(struct zone *z);
int vmstat_threshold(const struct zone *z);

#endif
