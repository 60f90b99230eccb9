/* Execution contexts: preemption, interrupts, atomic context. */
#ifndef KMM_PREEMPT_H
#define KMM_PREEMPT_H

#include <kmm/types.h>

KMM_EXTERN_C_BEGIN
KMM_API int in_interrupt(void);
KMM_API int in_irq(void);
KMM_API int in_task(void);
KMM_API int in_atomic(void);
KMM_API int irqs_disabled(void);
KMM_API void preempt_disable(void);
KMM_API void preempt_enable(void);
KMM_API unsigned long kmm_local_irq_save(void);
KMM_API void kmm_local_irq_restore(unsigned long flags);
KMM_API void local_irq_disable(void);
KMM_API void local_irq_enable(void);
KMM_API void might_sleep(void);
KMM_EXTERN_C_END

#define local_irq_save(flags)	((flags) = kmm_local_irq_save())
#define local_irq_restore(flags) kmm_local_irq_restore(flags)

#endif
