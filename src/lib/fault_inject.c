/* should_fail(): the kernel's fault-injection decision. Counters are
 * atomics; the random draw is the calling thread's (lib/random.h). No
 * locks. */
#include <stdio.h>
#include <string.h>
#include "lib/fault_inject.h"
#include "lib/compiler.h"
#include "lib/random.h"

__thread unsigned long fault_injected_on_thread;

void fault_attr_setup(struct fault_attr *attr, const char *spec)
{
	memset(attr, 0, sizeof(*attr));
	if (!spec || !*spec)
		return;
	if (sscanf(spec, "%lu,%lu,%ld,%ld", &attr->interval, &attr->probability,
		   &attr->space, &attr->times) == 4)
		attr->enabled = true;
}

bool should_fail(struct fault_attr *attr, long size)
{
	long times, space;

	if (!attr->enabled)
		return false;
	times = atomic_load_relaxed(&attr->times);
	if (times == 0)
		return false;
	space = atomic_load_relaxed(&attr->space);
	if (space > size) {
		atomic_sub_relaxed(&attr->space, size);
		return false;
	}
	if (attr->interval > 1 && atomic_add_acq_rel(&attr->count, 1) % attr->interval)
		return false;
	if (attr->probability <= prandom_below(100))
		return false;
	if (times != -1)
		atomic_sub_relaxed(&attr->times, 1);
	fault_injected_on_thread++;
	return true;
}
