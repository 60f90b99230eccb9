/* ratelimit_ok() (see ratelimit.h). No locks: relaxed atomics. */
#include <time.h>
#include "lib/compiler.h"
#include "lib/ratelimit.h"

bool ratelimit_ok(struct ratelimit *rl)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (atomic_load_relaxed(&rl->sec) != ts.tv_sec) {
		atomic_store_relaxed(&rl->sec, ts.tv_sec);
		atomic_store_relaxed(&rl->printed, 0);
	}
	return atomic_add_acq_rel(&rl->printed, 1) <= rl->burst;
}
