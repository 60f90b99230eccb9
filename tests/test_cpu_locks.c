/* The CPU model, user spinlocks, and the debug-build lock-rank checker. */
#include <signal.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kmm_test.h"
#include "lib/lock.h"
#include "lib/cpu.h"

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

/* Runs child(locks) in a forked child with stderr silenced: it must abort
 * (the lock-rank checker's verdict). */
static void expect_abort(void (*child)(struct kmm_spinlock *locks), struct kmm_spinlock *locks)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open("/dev/null", 1);

		dup2(fd, 2);
		child(locks);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/* locks[0]: a zone lock, locks[1]: a pcp lock, locks[2]: a slab CPU lock */
static void lock_zone_then_pcp(struct kmm_spinlock *locks)
{
	kmm_spin_lock(&locks[0]);
	kmm_spin_lock(&locks[1]);	/* inversion */
}

static void assert_zone_held(struct kmm_spinlock *locks)
{
	lock_assert_held(&locks[0]);
}

static void trylock_pcp_then_lock_slab(struct kmm_spinlock *locks)
{
	if (kmm_spin_trylock(&locks[1]))
		kmm_spin_lock(&locks[2]);	/* below a held lock: inversion */
}

static void init_test_locks(struct kmm_spinlock *locks)
{
	kmm_spin_init(&locks[0], "test zone", LOCK_RANK_ZONE);
	kmm_spin_init(&locks[1], "test pcp", LOCK_RANK_PCP);
	kmm_spin_init(&locks[2], "test slab", LOCK_RANK_SLAB_CPU);
}

/* Taking a lock of lower rank while holding a higher one aborts at once,
 * naming both, in debug builds. */
static void test_lock_rank_inversion_aborts(void **state)
{
	struct kmm_spinlock locks[3];

	(void)state;
	if (!KMM_DEBUG_ON)
		skip();
	init_test_locks(locks);
	/* the right order is fine */
	kmm_spin_lock(&locks[1]);
	kmm_spin_lock(&locks[0]);
	lock_assert_held(&locks[0]);
	kmm_spin_unlock(&locks[0]);
	kmm_spin_unlock(&locks[1]);
	expect_abort(lock_zone_then_pcp, locks);
	/* lock_assert_held on a lock not held aborts too */
	expect_abort(assert_zone_held, locks);
}

/* A trylock cannot deadlock, so it is not rank-checked: a lower-ranked
 * lock may be tried while a higher one is held. Once it succeeds it counts
 * as held: waiting for a lock ranked below it aborts. */
static void test_trylock_not_rank_checked(void **state)
{
	struct kmm_spinlock locks[3];
	struct kmm_mutex shrinker_lock;

	(void)state;
	if (!KMM_DEBUG_ON)
		skip();
	init_test_locks(locks);
	kmm_mutex_init(&shrinker_lock, "test shrinker", LOCK_RANK_SHRINKER);
	kmm_spin_lock(&locks[0]);
	assert_true(kmm_spin_trylock(&locks[1]));
	lock_assert_held(&locks[1]);
	assert_true(kmm_mutex_trylock(&shrinker_lock));
	lock_assert_held(&shrinker_lock);
	kmm_mutex_unlock(&shrinker_lock);
	kmm_spin_unlock(&locks[1]);
	kmm_spin_unlock(&locks[0]);
	expect_abort(trylock_pcp_then_lock_slab, locks);
	kmm_mutex_destroy(&shrinker_lock);
}

struct rank_obj {
	struct rcu_head rh;
	long payload;
};

#define container_of_obj(h)	((struct rank_obj *)((char *)(h) - offsetof(struct rank_obj, rh)))

static void rank_rcu_cb(struct rcu_head *head)
{
	container_of_obj(head)->payload = 1;
}

/* Every rank of the global order names a lock kmm really has: after a
 * boot that reaches every subsystem, each rank has been bound by a lock's
 * set-up or first acquisition. Statically initialised locks bind when they
 * are first taken, so the test takes each path once: a report, an early
 * memblock allocation, kswapd, a device, call_rcu and kfree_rcu, vmalloc
 * and its purge, kmap of a HighMem page, a slab owner (with membarrier). */
static void test_every_rank_bound(void **state)
{
	struct rank_obj mine = { .payload = 0 }, *obj;
	struct device *dev;
	struct kmem_cache *s;
	struct page *page;
	unsigned long bound;
	void *p, *v;

	(void)state;
	assert_int_equal(kmm_init_early("mem=1G nr_cpus=2 layout=32bit kswapd=on"), 0);
	p = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	assert_non_null(p);
	assert_int_equal(kmm_init_late(), 0);
	kmm_cpu_bind(0);
	dev = kmm_device_create("ranks");
	assert_non_null(devm_kmalloc(dev, 100, GFP_KERNEL));
	kmm_device_destroy(dev);
	s = kmem_cache_create("ranks", 64, 0, 0, NULL);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	obj = kmalloc(sizeof(*obj), GFP_KERNEL);
	kfree_rcu(obj, rh);
	call_rcu(&mine.rh, rank_rcu_cb);
	rcu_barrier();
	assert_int_equal(mine.payload, 1);
	v = vmalloc(1 << 20);
	vfree(v);
	vm_unmap_aliases();
	page = alloc_page(GFP_HIGHUSER);
	assert_non_null(page);
	assert_non_null(kmap(page));
	kunmap(page);
	__free_page(page);
	EXPECT_ONE_REPORT("out of range", kmm_cpu_bind(99));
	kmem_cache_destroy(s);
	kmm_cpu_unbind();
	bound = lock_ranks_bound();
	assert_true(kmm_exit() >= 0);
	for (int r = LOCK_RANK_NONE + 1; r < LOCK_RANK_COUNT; r++) {
		/* without membarrier no thread ever owns a CPU's slab state */
		if (r == LOCK_RANK_CPU_OWNER &&
		    syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) <= 0)
			continue;
		if (!(bound & (1UL << r)))
			fail_msg("lock rank %d (%s) has no lock", r, lock_rank_name(r));
		if (!strcmp(lock_rank_name(r), "?"))
			fail_msg("lock rank %d has no name", r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_binding),
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_irq_nesting_limit),
		cmocka_unit_test(test_lock_rank_inversion_aborts),
		cmocka_unit_test(test_trylock_not_rank_checked),
		cmocka_unit_test(test_every_rank_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
