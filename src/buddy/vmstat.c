/* Per-CPU zone counters (see vmstat.h). No locks: every update is an
 * atomic on the CPU's delta or on the zone total. */
#include "lib/bitops.h"
#include "buddy/vmstat.h"

noinline void vmstat_fold_slow(struct zone *z, enum zone_stat_item item,
			       signed char *diff, long delta)
{
	signed char old = atomic_load_relaxed(diff);

	/* Take the whole delta out of the CPU and add it to the zone. */
	while (!atomic_cas_relaxed(diff, &old, 0))
		;
	atomic_add_relaxed(&z->vm_stat[item], old + delta);
}

long zone_page_state_snapshot(const struct zone *z, enum zone_stat_item item)
{
	long v = atomic_load_relaxed(&z->vm_stat[item]);
	int cpu;

	if (z->pcpstat)
		for_each_possible_cpu(cpu)
			v += atomic_load_relaxed(&per_cpu_ptr(z->pcpstat, cpu)->vm_stat_diff[item]);
	return v < 0 ? 0 : v;
}

long global_zone_page_state(enum zone_stat_item item)
{
	const struct zone *z;
	long v = 0;

	for_each_populated_zone(z)
		v += zone_page_state_snapshot(z, item);
	return v;
}

unsigned long zone_free_pages_exact(struct zone *z)
{
	return (unsigned long)zone_page_state_snapshot(z, NR_FREE_PAGES);
}

unsigned long nr_free_pages(void)
{
	return (unsigned long)global_zone_page_state(NR_FREE_PAGES);
}

/* calculate_normal_threshold(): grows with CPUs and zone size, at most 125. */
int vmstat_threshold(const struct zone *z)
{
	unsigned long mem = atomic_load_relaxed(&z->managed_pages) >> (27 - PAGE_SHIFT);
	int t = 2 * (int)fls_ul(nr_cpu_ids) * (1 + (int)fls_ul(mem));

	return t < 125 ? t : 125;
}
