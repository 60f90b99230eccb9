/* RCU with the kernel's names, on liburcu's memb flavor.
 *
 * struct rcu_head is kmm's own, laid out as the kernel's callback_head;
 * liburcu's headers are not part of the public API. Callbacks queued with
 * call_rcu() gather on per-CPU lists that go to liburcu in batches: when a
 * list is long, a few milliseconds after its first callback, under memory
 * pressure and in rcu_barrier().
 *
 * The contract, as in the kernel and liburcu:
 *   - rcu_read_lock()/rcu_read_unlock() nest and never sleep; any thread may
 *     use them (kmm registers it with liburcu on first use and unregisters it
 *     when it exits).
 *   - synchronize_rcu() waits for every reader that started before it; it
 *     must not be called inside a read-side section or from a callback.
 *   - call_rcu() may be called from any context, interrupts included; the
 *     callback runs after a grace period on one of liburcu's threads, may
 *     call call_rcu() and kfree_rcu(), and must not sleep for long.
 *   - rcu_barrier() waits until every callback queued before it has run
 *     (kfree_rcu() frees included); needed before unloading what callbacks
 *     use, e.g. before kmem_cache_destroy() or kmm_exit().
 *
 * ThreadSanitizer cannot see liburcu's grace periods, so kmm adds the edges
 * (DESIGN.md §9): a reader's unlock and every call_rcu() release; the end of
 * synchronize_rcu() and the start of every callback acquire.
 * rcu_assign_pointer()/rcu_dereference() are release/acquire atomics, which
 * TSan understands by itself. */
#ifndef KMM_RCUPDATE_H
#define KMM_RCUPDATE_H

#include <kmm/types.h>

/* The kernel's callback_head: embedded in the object to free or to
 * process after a grace period. */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

KMM_EXTERN_C_BEGIN
KMM_API void kmm_rcu_read_lock(void);
KMM_API void kmm_rcu_read_unlock(void);
KMM_API void kmm_synchronize_rcu(void);
KMM_API void kmm_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
KMM_API void kmm_rcu_barrier(void);
/* Explicit registration, for threads that want to pay it up front;
 * kmm_rcu_unregister_thread() must not be called inside a read-side section. */
KMM_API void kmm_rcu_register_thread(void);
KMM_API void kmm_rcu_unregister_thread(void);
KMM_EXTERN_C_END

#define rcu_read_lock()		kmm_rcu_read_lock()
#define rcu_read_unlock()	kmm_rcu_read_unlock()
#define synchronize_rcu()	kmm_synchronize_rcu()
#define synchronize_rcu_expedited() kmm_synchronize_rcu()
#define call_rcu(head, func)	kmm_call_rcu((head), (func))
#define rcu_barrier()		kmm_rcu_barrier()

/* Publication and subscription: release store, acquire load. */
#define rcu_dereference(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_raw(p)	__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define rcu_dereference_protected(p, c) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define rcu_access_pointer(p)	__atomic_load_n(&(p), __ATOMIC_RELAXED)
#define rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#define rcu_replace_pointer(p, v, c) __atomic_exchange_n(&(p), (v), __ATOMIC_ACQ_REL)

#endif
