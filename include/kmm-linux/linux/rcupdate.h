/* <linux/rcupdate.h> on kmm: rcu_read_lock/unlock, synchronize_rcu,
 * call_rcu, rcu_barrier, rcu_dereference and rcu_assign_pointer and their
 * kin, on liburcu, annotated for ThreadSanitizer; kfree_rcu and
 * kvfree_rcu come with <linux/slab.h>. */
#ifndef KMM_LINUX_RCUPDATE_H
#define KMM_LINUX_RCUPDATE_H

#include <linux/types.h>
#include <kmm/rcupdate.h>

#endif
