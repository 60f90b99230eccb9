/* The kernel's context checks (might_alloc, might_sleep): a sleeping call
 * in atomic context is reported and refused. The rest of the kernel's CPU
 * and context API is public (<kmm/preempt.h>, <kmm/spinlock.h>) and lives
 * in context.c. No locks. */
#ifndef KMM_LIB_CONTEXT_H
#define KMM_LIB_CONTEXT_H

#include <kmm/gfp.h>
#include "lib/cpu.h"

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

#endif
