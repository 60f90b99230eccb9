/* Kernel-style spinlocks for users: taking one makes the context atomic
 * (a sleeping allocation inside is reported and refused). */
#ifndef KMM_SPINLOCK_H
#define KMM_SPINLOCK_H

#include <kmm/preempt.h>

typedef struct {
	unsigned int locked;
} spinlock_t;

#define DEFINE_SPINLOCK(x)	spinlock_t x = { 0 }

KMM_EXTERN_C_BEGIN
KMM_API void spin_lock_init(spinlock_t *lock);
KMM_API void spin_lock(spinlock_t *lock);
KMM_API int spin_trylock(spinlock_t *lock);
KMM_API void spin_unlock(spinlock_t *lock);
KMM_API unsigned long kmm_spin_lock_irqsave(spinlock_t *lock);
KMM_API void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);
KMM_EXTERN_C_END

#define spin_lock_irqsave(lock, flags) ((flags) = kmm_spin_lock_irqsave(lock))

#endif
