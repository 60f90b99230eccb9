/* kfree_rcu at boot and exit (kfree_rcu.c): boot registers its shrinker
 * and sets the bound on pending bytes; exit runs every pending callback
 * and frees every pending object. Called under the boot lock, with no
 * other kmm lock held. */
#ifndef KMM_SLUB_KFREE_RCU_H
#define KMM_SLUB_KFREE_RCU_H

#include "lib/rcu_batch.h"

int kvfree_rcu_init(void);
void kvfree_rcu_exit(void);

/* The client of RCU's batching engine: its bound (`limit`, in bytes),
 * its counters and rcu_batcher_pending_weight() are the views of it. */
extern struct rcu_batcher kfree_rcu_batcher;

#endif
