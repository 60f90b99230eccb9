/* kmalloc_nolock() and kfree_nolock(): the kernel's classes and rules,
 * an interrupt thread allocating while the thread it interrupted holds the
 * bucket's per-CPU lock (the next larger bucket, once, then NULL), the
 * objects freed by kfree(), kfree_rcu() and kfree_nolock() alike, misuse,
 * and interrupt threads churning beside task threads and flushes. */
#include <pthread.h>
#include "kmm_test.h"
#include "slub/kmalloc.h"
#include "slub/slab.h"

noinline __attribute__((no_sanitize("address")))
static void poke(void *p, long off, unsigned char v)
{
	((volatile unsigned char *)p)[off] = v;
}

struct with_rcu {
	struct rcu_head rcu;
	char data[];
};

/* Every size gets kmalloc's class; __GFP_ZERO zeroes; each object goes
 * back by one of the three frees. */
static void test_nolock_classes_and_frees(void **state)
{
	unsigned long before;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(0);
	before = kmm_bug_count();
	for (size_t n = 1; n <= KMALLOC_MAX_CACHE_SIZE; n += n < 256 ? 1 : 37) {
		unsigned char *dirty = kmalloc(n, GFP_KERNEL), *p;
		size_t class = ksize(dirty);

		memset(dirty, 0xff, n);
		kfree(dirty);
		p = kmalloc_nolock(n, __GFP_ZERO, NUMA_NO_NODE);
		assert_non_null(p);
		assert_int_equal(ksize(p), class);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0x5a, class);
		switch (n % 3) {
		case 0:
			kfree_nolock(p);
			break;
		case 1:
			kfree(p);
			break;
		default:
			if (n >= sizeof(struct with_rcu))
				kfree_rcu((struct with_rcu *)p, rcu);
			else
				kfree_nolock(p);
		}
	}
	/* node 0 is the node; __GFP_ACCOUNT and __GFP_NO_OBJ_EXT are taken */
	kfree_nolock(kmalloc_nolock(64, __GFP_ACCOUNT | __GFP_NO_OBJ_EXT, 0));
	assert_ptr_equal(kmalloc_nolock(0, 0, NUMA_NO_NODE), ZERO_SIZE_PTR);
	kfree_nolock(ZERO_SIZE_PTR);
	kfree_nolock(NULL);
	/* no large kmalloc, and no report for asking */
	assert_null(kmalloc_nolock(KMALLOC_MAX_CACHE_SIZE + 1, 0, NUMA_NO_NODE));
	assert_int_equal(kmm_bug_count(), before);
	kmm_cpu_unbind();
	rcu_barrier();
	assert_int_equal(kmm_exit(), 0);
}

static void test_nolock_bad_input(void **state)
{
	unsigned char *p, *large;
	char on_stack[16];
	void *q = NULL;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	EXPECT_ONE_REPORT("kmalloc_nolock: gfp 0xcc0: only __GFP_ACCOUNT, __GFP_ZERO and "
			  "__GFP_NO_OBJ_EXT are allowed", q = kmalloc_nolock(8, GFP_KERNEL, 0));
	assert_null(q);
	EXPECT_ONE_REPORT("only __GFP_ACCOUNT", q = kmalloc_nolock(8, GFP_ATOMIC, 0));
	assert_null(q);
	EXPECT_ONE_REPORT("kmalloc_nolock: node 1 does not exist", q = kmalloc_nolock(8, 0, 1));
	assert_null(q);

	large = kmalloc(3 * KMALLOC_MAX_CACHE_SIZE, GFP_KERNEL);
	EXPECT_ONE_REPORT("kfree_nolock: ", kfree_nolock(large));
	memset(large, 1, 3 * KMALLOC_MAX_CACHE_SIZE);	/* still the caller's */
	kfree(large);

	p = kmalloc_nolock(64, 0, NUMA_NO_NODE);
	EXPECT_ONE_REPORT("Invalid object pointer", kfree_nolock(p + 8));
	EXPECT_ONE_REPORT("kfree_nolock: ", kfree_nolock(on_stack));
	kfree_nolock(p);
	EXPECT_ONE_REPORT("Object already free", kfree_nolock(p));
	assert_int_equal(kmm_exit(), 0);
}

/* slub_debug: the same red zone after the requested size as kmalloc(). */
static void test_nolock_debug_cache(void **state)
{
	unsigned char *p;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off slub_debug=ZU"), 0);
	p = kmalloc_nolock(20, 0, NUMA_NO_NODE);
	assert_int_equal(ksize(p), 32);
	kfree_nolock(p);
	p = kmalloc_nolock(20, 0, NUMA_NO_NODE);
	memset(p, 1, 20);
	poke(p, 20, 0);
	EXPECT_ONE_REPORT("BUG kmalloc-32 (Not tainted): kmalloc Redzone overwritten",
			  kfree_nolock(p));
	p = kmalloc_nolock(20, __GFP_ZERO, NUMA_NO_NODE);
	for (int i = 0; i < 20; i++)
		assert_int_equal(p[i], 0);
	kfree_nolock(p);
	EXPECT_ONE_REPORT("Object already free", kfree_nolock(p));
	assert_int_equal(kmm_exit(), 0);
}

/* cmocka's assertions belong to the main thread: other threads return the
 * line of the first check that failed. */
#define CHECK(c) do { if (!(c)) return (void *)(uintptr_t)__LINE__; } while (0)

static void join_ok(pthread_t t)
{
	void *line;

	assert_int_equal(pthread_join(t, &line), 0);
	if (line)
		fail_msg("check at line %lu failed", (unsigned long)(uintptr_t)line);
}

static struct kmm_spinlock *bucket_lock(size_t size, int cpu)
{
	return &per_cpu_ptr(kmalloc_slab(size, 0)->cpu_slab, cpu)->lock;
}

/* The interrupt: a thread of CPU 0 in interrupt context. */
static void *irq_on_cpu0(void *arg)
{
	unsigned char *p, *q;

	(void)arg;
	kmm_cpu_bind(0);
	kmm_irq_enter();
	/* kmalloc-64's lock is held: kmalloc-96 serves, whatever the size */
	p = kmalloc_nolock(64, __GFP_ZERO, NUMA_NO_NODE);
	CHECK(p);
	CHECK(ksize(p) == 96);
	for (int i = 0; i < 64; i++)
		CHECK(p[i] == 0);
	q = kmalloc_nolock(40, 0, NUMA_NO_NODE);
	CHECK(ksize(q) == 96);
	/* freeing needs no bucket lock */
	kfree_nolock(p);
	kfree(q);
	/* CPU 1's lock is no concern of CPU 0's */
	kmm_spin_lock(bucket_lock(96, 1));
	p = kmalloc_nolock(96, 0, NUMA_NO_NODE);
	CHECK(ksize(p) == 96);
	kfree_nolock(p);
	kmm_spin_unlock(bucket_lock(96, 1));
	/* a plain atomic kmalloc takes the locked node path instead */
	p = kmalloc(64, GFP_ATOMIC);
	CHECK(ksize(p) == 64);
	kfree_nolock(p);
	kmm_irq_exit();
	kmm_cpu_unbind();
	return NULL;
}

/* The same, with kmalloc-96's lock held too: one retry only. */
static void *irq_on_cpu0_both_held(void *arg)
{
	void *p;

	(void)arg;
	kmm_cpu_bind(0);
	kmm_irq_enter();
	CHECK(!kmalloc_nolock(64, 0, NUMA_NO_NODE));
	/* from kmalloc-96 the next bucket, kmalloc-128, is free */
	p = kmalloc_nolock(96, 0, NUMA_NO_NODE);
	CHECK(ksize(p) == 128);
	kfree_nolock(p);
	kmm_irq_exit();
	kmm_cpu_unbind();
	return NULL;
}

/* The task on CPU 0 holds the bucket's per-CPU lock (as if inside its
 * slow path) when the interrupt comes and allocates. */
static void test_nolock_irq_while_bucket_locked(void **state)
{
	unsigned long before;
	pthread_t t;
	void *p;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(0);
	before = kmm_bug_count();
	kmm_spin_lock(bucket_lock(64, 0));
	assert_int_equal(pthread_create(&t, NULL, irq_on_cpu0, NULL), 0);
	join_ok(t);
	/* a second lock of the same rank: tried, as kmm's own code would */
	assert_true(kmm_spin_trylock(bucket_lock(96, 0)));
	assert_int_equal(pthread_create(&t, NULL, irq_on_cpu0_both_held, NULL), 0);
	join_ok(t);
	kmm_spin_unlock(bucket_lock(96, 0));
	kmm_spin_unlock(bucket_lock(64, 0));
	/* with the locks free, the bucket itself */
	p = kmalloc_nolock(64, 0, NUMA_NO_NODE);
	assert_int_equal(ksize(p), 64);
	kfree_nolock(p);
	assert_int_equal(kmm_bug_count(), before);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* ---- churn ---- */

#define SLOTS		256
#define MAGIC		0x6b6d6d6e6f6c6f63UL

struct obj {
	unsigned long magic;
	unsigned long size;
	unsigned char fill;
	unsigned char bytes[];
};

static struct obj *slots[SLOTS];	/* atomic: objects handed between threads */

struct worker {
	int cpu;
	bool irq;
	unsigned int seed;
	unsigned long allocs, busy;	/* busy: NULL from kmalloc_nolock */
};

static unsigned int next_rand(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Frees `o` after checking its header and payload; false when damaged. */
static bool obj_check_free(struct obj *o, unsigned int r)
{
	if (o->magic != MAGIC)
		return false;
	for (unsigned long i = 0; i < o->size - sizeof(*o); i++)
		if (o->bytes[i] != o->fill)
			return false;
	o->magic = 0;
	if (r & 1)
		kfree_nolock(o);
	else
		kfree(o);
	return true;
}

/* Interrupt threads allocate with kmalloc_nolock, task threads with
 * kmalloc; each swaps its object into a random slot and frees what was
 * there, whoever allocated it, by kfree or kfree_nolock. Task threads
 * also flush two buckets now and then, which holds their per-CPU locks. */
static void *work(void *arg)
{
	struct worker *w = arg;

	kmm_cpu_bind(w->cpu);
	if (w->irq)
		kmm_irq_enter();
	for (int i = 0; i < 20000; i++) {
		unsigned int r = next_rand(&w->seed);
		size_t size = sizeof(struct obj) + r % 500;
		struct obj *o, *old;

		o = w->irq ? kmalloc_nolock(size, 0, NUMA_NO_NODE) : kmalloc(size, GFP_KERNEL);
		if (!o) {
			CHECK(w->irq);
			w->busy++;
			continue;
		}
		w->allocs++;
		o->magic = MAGIC;
		o->size = size;
		o->fill = (unsigned char)r;
		memset(o->bytes, o->fill, size - sizeof(*o));
		old = __atomic_exchange_n(&slots[r % SLOTS], o, __ATOMIC_ACQ_REL);
		if (old)
			CHECK(obj_check_free(old, r >> 9));
		if (!w->irq && i % 1000 == 999) {
			kmem_cache_shrink(kmalloc_slab(64, 0));
			kmem_cache_shrink(kmalloc_slab(96, 0));
		}
	}
	if (w->irq)
		kmm_irq_exit();
	kmm_cpu_unbind();
	return NULL;
}

static void test_nolock_churn_beside_tasks(void **state)
{
	struct worker w[4];
	pthread_t t[4];
	unsigned long before;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	before = kmm_bug_count();
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .cpu = i / 2, .irq = i % 2, .seed = 7u + (unsigned int)i };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		join_ok(t[i]);
	for (int i = 0; i < SLOTS; i++)
		if (slots[i])
			assert_true(obj_check_free(slots[i], (unsigned int)i));
	for (int i = 0; i < 4; i++)
		assert_true(w[i].allocs > 0);
	assert_int_equal(kmm_bug_count(), before);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nolock_classes_and_frees),
		cmocka_unit_test(test_nolock_bad_input),
		cmocka_unit_test(test_nolock_debug_cache),
		cmocka_unit_test(test_nolock_irq_while_bucket_locked),
		cmocka_unit_test(test_nolock_churn_beside_tasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
