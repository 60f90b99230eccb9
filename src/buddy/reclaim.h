/* Reclaim: kswapd, direct reclaim, shrinkers, waiting for frees. Locks:
 * shrinker_lock and reclaim_lock, inside reclaim.c; waiting for frees
 * takes none (a futex). */
#ifndef KMM_BUDDY_RECLAIM_H
#define KMM_BUDDY_RECLAIM_H

#include <stdbool.h>
#include <kmm/gfp.h>
#include "buddy/mmzone.h"

extern unsigned int reclaim_nr_waiters;	/* atomic */

int kswapd_start(void);
void kswapd_stop(void);
void wakeup_kswapd(struct zone *z, unsigned int order);
/* Direct reclaim: drain pcp lists, run the shrinkers. Returns the pages
 * it made free (progress). */
unsigned long try_to_free_pages(gfp_t gfp, unsigned int order);
/* Sleeps until pages are freed or `timeout_us` passes. */
void reclaim_wait_for_free(unsigned long timeout_us);
void reclaim_wake_waiters_slow(void);
static inline void reclaim_wake_waiters(void)
{
	if (__builtin_expect(atomic_load_relaxed(&reclaim_nr_waiters) != 0, 0))
		reclaim_wake_waiters_slow();
}
unsigned long shrink_slab(gfp_t gfp, unsigned long nr_to_scan);
void shrinkers_exit(void);

#endif
