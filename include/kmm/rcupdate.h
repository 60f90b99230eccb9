/* RCU with the kernel's names, on liburcu's memb flavor.
 *
 * ThreadSanitizer cannot see liburcu's grace periods (membarrier, futexes,
 * inline asm), so the kmm_rcu_* calls add happens-before edges: a reader's
 * unlock and a call_rcu() release; synchronize_rcu()'s return and each
 * callback acquire. rcu_assign_pointer/rcu_dereference are C11-style
 * release/acquire, which TSan understands directly. Threads are registered
 * with liburcu on first use and unregistered at thread exit. */
#ifndef KMM_RCUPDATE_H
#define KMM_RCUPDATE_H

#include <kmm/types.h>
#include <urcu/urcu-memb.h>
#include <urcu/map/clear.h>	/* drop liburcu's flavor-mapping macros */

#undef rcu_dereference
#undef rcu_assign_pointer

KMM_EXTERN_C_BEGIN
KMM_API void kmm_rcu_read_lock(void);
KMM_API void kmm_rcu_read_unlock(void);
KMM_API void kmm_synchronize_rcu(void);
KMM_API void kmm_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
KMM_API void kmm_rcu_barrier(void);
KMM_API void kmm_rcu_register_thread(void);
KMM_API void kmm_rcu_unregister_thread(void);
KMM_EXTERN_C_END

#define rcu_read_lock()		kmm_rcu_read_lock()
#define rcu_read_unlock()	kmm_rcu_read_unlock()
#define synchronize_rcu()	kmm_synchronize_rcu()
#define call_rcu(head, func)	kmm_call_rcu((head), (func))
#define rcu_barrier()		kmm_rcu_barrier()

#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_raw(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_access_pointer(p)	__atomic_load_n(&(p), __ATOMIC_RELAXED)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

#endif
