/* The CPU model, user spinlocks, and the debug-build lock-rank checker. */
#include <signal.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kmm_test.h"
#include "lib/lock.h"
#include "percpu/cpu.h"

static void test_cpu_binding(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=4 kswapd=off"), 0);
	assert_int_equal(nr_cpu_ids, 4);
	assert_int_equal(kmm_cpu_bind(3), 0);
	assert_int_equal(smp_processor_id(), 3);
	assert_int_equal(get_cpu(), 3);
	assert_true(in_atomic());
	put_cpu();
	assert_false(in_atomic());
	EXPECT_ONE_REPORT("out of range", assert_int_equal(kmm_cpu_bind(4), -22));
	assert_int_equal(smp_processor_id(), 3);
	kmm_cpu_unbind();
	/* unbound: the host CPU, folded into range */
	assert_true(smp_processor_id() >= 0 && smp_processor_id() < 4);
	assert_int_equal(kmm_exit(), 0);
}

static void test_contexts(void **state)
{
	unsigned long flags;
	DEFINE_SPINLOCK(lock);

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2 kswapd=off"), 0);
	assert_true(in_task());
	kmm_irq_enter();
	kmm_irq_enter();
	assert_true(in_interrupt() && irqs_disabled() && in_atomic());
	kmm_irq_exit();
	assert_true(in_interrupt());
	kmm_irq_exit();
	assert_false(in_interrupt());
	EXPECT_ONE_REPORT("not in interrupt context", kmm_irq_exit());
	EXPECT_ONE_REPORT("preempt count underflow", preempt_enable());

	spin_lock(&lock);
	assert_true(in_atomic());
	assert_false(spin_trylock(&lock));
	EXPECT_ONE_REPORT("sleeping function called", assert_null(alloc_page(GFP_KERNEL)));
	spin_unlock(&lock);
	assert_false(in_atomic());
	spin_lock_irqsave(&lock, flags);
	assert_true(irqs_disabled());
	spin_unlock_irqrestore(&lock, flags);
	assert_false(irqs_disabled());
	assert_int_equal(kmm_exit(), 0);
}

/* Interrupt nesting past what the context can count: reported once, the
 * thread stays in interrupt context (no wrap to "in task"), and every
 * exit still pairs with its enter. */
static void test_irq_nesting_limit(void **state)
{
	const int depth = 32767, extra = 5;

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2 kswapd=off"), 0);
	for (int i = 0; i < depth; i++)
		kmm_irq_enter();
	assert_true(in_interrupt());
	EXPECT_ONE_REPORT("nested deeper than", kmm_irq_enter());
	unsigned long bugs = kmm_bug_count();
	for (int i = 1; i < extra; i++)
		kmm_irq_enter();
	assert_true(in_interrupt() && in_atomic());
	for (int i = 0; i < depth + extra - 1; i++)
		kmm_irq_exit();
	assert_true(in_interrupt());
	kmm_irq_exit();
	assert_false(in_interrupt());
	assert_int_equal(kmm_bug_count(), bugs);
	EXPECT_ONE_REPORT("not in interrupt context", kmm_irq_exit());
	assert_int_equal(kmm_exit(), 0);
}

/* Taking a lock of lower rank while holding a higher one aborts at once,
 * naming both, in debug builds. */
static void test_lock_rank_inversion_aborts(void **state)
{
	struct kmm_spinlock zone_lock, pcp_lock;
	int status;
	pid_t pid;

	(void)state;
	if (!KMM_DEBUG_ON)
		skip();
	kmm_spin_init(&zone_lock, "test zone", LOCK_RANK_ZONE);
	kmm_spin_init(&pcp_lock, "test pcp", LOCK_RANK_PCP);
	/* the right order is fine */
	kmm_spin_lock(&pcp_lock);
	kmm_spin_lock(&zone_lock);
	lock_assert_held(&zone_lock);
	kmm_spin_unlock(&zone_lock);
	kmm_spin_unlock(&pcp_lock);
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", 1);

		dup2(fd, 2);
		kmm_spin_lock(&zone_lock);
		kmm_spin_lock(&pcp_lock);	/* inversion */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	/* lock_assert_held on a lock not held aborts too */
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", 1);

		dup2(fd, 2);
		lock_assert_held(&zone_lock);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_binding),
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_irq_nesting_limit),
		cmocka_unit_test(test_lock_rank_inversion_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
