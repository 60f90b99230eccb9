/* The kernel's API of CPUs and contexts (DESIGN.md §4) over the CPU model
 * (cpu.h): smp_processor_id, binding, interrupt context, preemption,
 * local_irq, might_sleep, and the users' spinlock_t, with the reports for
 * their misuse.
 *
 * No locks of its own: all state is the calling thread's. A user's
 * spinlock_t is Concurrency Kit's lock word with the one spin-then-yield
 * loop of lib/lock.c; it has no rank (see lock.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/cpu_owner.h"
#include "lib/lock.h"

int kmm_smp_processor_id(void)
{
	return cpu_id();
}

int kmm_get_cpu(void)
{
	kmm_current.preempt_count++;
	return cpu_id();
}

void kmm_put_cpu(void)
{
	kmm_current.preempt_count--;
}

int kmm_cpu_bind(int cpu)
{
	if (cpu < 0 || (unsigned int)cpu >= nr_cpu_ids) {
		kmm_warn("kmm_cpu_bind: CPU %d out of range (nr_cpu_ids %u)", cpu, nr_cpu_ids);
		return -EINVAL;
	}
	if (!cpu_bound_enter((unsigned int)cpu)) {
		kmm_warn("kmm_cpu_bind: kmm_exit() is tearing kmm down");
		return -EBUSY;
	}
	cpu_own_rebind();
	return 0;
}

void kmm_cpu_unbind(void)
{
	cpu_bound_leave();
	kmm_current.cpu = KMM_CPU_UNBOUND;
	cpu_own_release();
}

/* Nesting deeper than irq_depth counts is reported once; the excess is
 * counted apart, so the thread stays in interrupt context and each exit
 * still pairs with its enter. */
void kmm_irq_enter(void)
{
	if (likely(kmm_current.irq_depth < SHRT_MAX)) {
		kmm_current.irq_depth++;
		return;
	}
	if (!kmm_current.irq_excess++)
		kmm_warn("kmm_irq_enter: interrupts nested deeper than %d", SHRT_MAX);
}

void kmm_irq_exit(void)
{
	if (kmm_current.irq_excess) {
		kmm_current.irq_excess--;
		return;
	}
	if (kmm_current.irq_depth <= 0) {
		kmm_warn("kmm_irq_exit: not in interrupt context");
		return;
	}
	kmm_current.irq_depth--;
}

int in_interrupt(void) { return cpu_in_irq(); }
int in_irq(void) { return cpu_in_irq(); }
int in_task(void) { return !cpu_in_irq(); }
int in_atomic(void) { return cpu_in_atomic(); }
int irqs_disabled(void) { return kmm_current.irqs_off > 0 || kmm_current.irq_depth > 0; }

void preempt_disable(void)
{
	kmm_current.preempt_count++;
}

void preempt_enable(void)
{
	if (kmm_current.preempt_count <= 0) {
		kmm_warn("preempt_enable: preempt count underflow");
		return;
	}
	kmm_current.preempt_count--;
}

unsigned long kmm_local_irq_save(void)
{
	return (unsigned long)kmm_current.irqs_off++;
}

void kmm_local_irq_restore(unsigned long flags)
{
	kmm_current.irqs_off = (short)flags;
}

void local_irq_disable(void)
{
	kmm_current.irqs_off = 1;
}

void local_irq_enable(void)
{
	kmm_current.irqs_off = 0;
}

bool might_alloc_slow(gfp_t gfp, const char *caller)
{
	kmm_bug("sleeping function called from invalid context at %s (gfp %#x)", caller, gfp);
	kmm_report_cont("in_atomic(): %d, irqs_disabled(): %d, in_interrupt(): %d, preempt_count: %d",
			in_atomic(), irqs_disabled(), in_interrupt(), kmm_current.preempt_count);
	return false;
}

void might_sleep(void)
{
	if (cpu_in_atomic())
		might_alloc_slow(__GFP_DIRECT_RECLAIM, "might_sleep");
}

/* spinlock_t for users: Concurrency Kit's lock word inside, and holding
 * one makes the context atomic, as in the kernel. */
static ck_spinlock_fas_t *user_lock_word(spinlock_t *lock)
{
	return (ck_spinlock_fas_t *)&lock->locked;
}

void spin_lock_init(spinlock_t *lock)
{
	ck_spinlock_fas_init(user_lock_word(lock));
}

int spin_trylock(spinlock_t *lock)
{
	kmm_current.preempt_count++;
	if (ck_spinlock_fas_trylock(user_lock_word(lock))) {
		tsan_acquire(lock);
		return 1;
	}
	kmm_current.preempt_count--;
	return 0;
}

void spin_lock(spinlock_t *lock)
{
	kmm_current.preempt_count++;
	if (!ck_spinlock_fas_trylock(user_lock_word(lock)))
		fas_lock_slow(user_lock_word(lock));
	tsan_acquire(lock);
}

void spin_unlock(spinlock_t *lock)
{
	tsan_release(lock);
	ck_spinlock_fas_unlock(user_lock_word(lock));
	kmm_current.preempt_count--;
}

unsigned long kmm_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = kmm_local_irq_save();

	spin_lock(lock);
	return flags;
}

void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock(lock);
	kmm_local_irq_restore(flags);
}
