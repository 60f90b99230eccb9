/* kfree_rcu at boot and exit (kfree_rcu.c): boot registers its shrinker;
 * exit runs every pending callback and frees every pending object. Called
 * under the boot lock, with no other kmm lock held. */
#ifndef KMM_SLUB_KFREE_RCU_H
#define KMM_SLUB_KFREE_RCU_H

int kvfree_rcu_init(void);
void kvfree_rcu_exit(void);

#endif
