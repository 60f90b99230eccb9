/* slab_verify(): the node-list invariants hold after slabs are built and
 * objects are freed from another CPU, in plain and debug caches; one
 * damaged slab gives exactly one report, and nothing changes. */
#include <pthread.h>
#include "kmm_test.h"
#include "slub/slab_verify.h"

#define NR_OBJECTS	3000

struct remote {
	void **objects;
	int first, step, cpu;
};

/* Frees every step-th object from another CPU: remote frees onto the
 * slabs' own freelists. */
static void *remote_free(void *arg)
{
	struct remote *r = arg;

	kmm_cpu_bind(r->cpu);
	for (int i = r->first; i < NR_OBJECTS; i += r->step)
		kmem_cache_free(atomic_load_relaxed(&object_head_page(r->objects[i])->slab_cache),
				r->objects[i]);
	kmm_cpu_unbind();
	return NULL;
}

static void free_remotely(void **objects, int first, int step)
{
	struct remote r = { objects, first, step, 1 };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, remote_free, &r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void build_and_verify(const char *cmdline, unsigned int size)
{
	struct kmem_cache *s;
	void **objects = calloc(NR_OBJECTS, sizeof(void *));
	unsigned long before;

	assert_non_null(objects);
	assert_int_equal(kmm_init(cmdline), 0);
	s = kmem_cache_create("verify", size, 0, 0, NULL);
	before = kmm_bug_count();
	kmm_cpu_bind(0);
	for (int i = 0; i < NR_OBJECTS; i++)
		assert_non_null(objects[i] = kmem_cache_alloc(s, GFP_KERNEL));
	assert_int_equal(slab_verify(s), 0);
	/* every third object from CPU 1: slabs become partial remotely */
	free_remotely(objects, 0, 3);
	assert_int_equal(slab_verify(s), 0);
	/* and some locally, then everything back to the node lists */
	for (int i = 1; i < NR_OBJECTS; i += 3)
		kmem_cache_free(s, objects[i]);
	assert_int_equal(slab_verify(s), 0);
	kmem_cache_shrink(s);
	assert_true(atomic_load_relaxed(&s->node.nr_partial) > 0);
	assert_int_equal(slab_verify(s), 0);
	assert_int_equal(slab_validate(s, NULL), 0);
	free_remotely(objects, 2, 3);
	kmem_cache_shrink(s);
	assert_int_equal(slab_verify(s), 0);
	assert_int_equal(kmm_bug_count(), before);
	kmm_cpu_unbind();
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
	free(objects);
}

static void test_verify_plain(void **state)
{
	(void)state;
	build_and_verify("mem=128M nr_cpus=2 kswapd=off", 64);
}

static void test_verify_debug(void **state)
{
	(void)state;
	build_and_verify("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU", 100);
}

static void test_verify_kmalloc_debug(void **state)
{
	void **objects = calloc(NR_OBJECTS, sizeof(void *));
	struct kmem_cache *s;

	(void)state;
	assert_non_null(objects);
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off slub_debug=ZU"), 0);
	for (int i = 0; i < NR_OBJECTS; i++)
		assert_non_null(objects[i] = kmalloc(40 + i % 20, GFP_KERNEL));
	s = atomic_load_relaxed(&object_head_page(objects[0])->slab_cache);
	free_remotely(objects, 0, 2);
	assert_int_equal(slab_validate(s, NULL), 0);
	free_remotely(objects, 1, 2);
	assert_int_equal(slab_validate(s, NULL), 0);
	assert_int_equal(kmm_exit(), 0);
	free(objects);
}

struct churn {
	struct kmem_cache *s;
	int cpu, stop;
	unsigned long rounds;	/* atomic */
};

/* Allocates and frees (kmalloc'ed and cache objects, some freed by the
 * other churner's CPU through a shared ring) until told to stop. */
static void *churn(void *arg)
{
	static void *ring[64];
	struct churn *c = arg;
	unsigned int i = 0;

	kmm_cpu_bind(c->cpu);
	while (!atomic_load_acquire(&c->stop)) {
		void *keep[16], *old;

		for (int j = 0; j < 16; j++) {
			keep[j] = kmem_cache_alloc(c->s, GFP_KERNEL);
			assert_non_null(keep[j]);
		}
		old = atomic_xchg_acq_rel(&ring[i % 64], kmalloc(24 + i % 40, GFP_KERNEL));
		i++;
		/* krealloc within the object moves its red zone, ksize drops it */
		old = krealloc(old, 30 + i % 34, GFP_KERNEL | __GFP_ZERO);
		if (i % 3 == 0)
			memset(old, 5, ksize(old));
		kfree(old);
		for (int j = 0; j < 16; j += 1 + c->cpu)
			kmem_cache_free(c->s, keep[j]);
		for (int j = 1; c->cpu && j < 16; j += 2)
			kmem_cache_free(c->s, keep[j]);
		atomic_add_relaxed(&c->rounds, 1);
	}
	kmm_cpu_unbind();
	for (int j = 0; j < 64; j++)
		kfree(atomic_xchg_acq_rel(&ring[j], NULL));
	return NULL;
}

/* The walks run beside allocations and remote frees without a false
 * report (and, under TSan, without a race). */
static void walk_beside_churn(const char *cmdline)
{
	struct churn c[2];
	pthread_t t[2];
	unsigned long before;
	struct kmem_cache *s, *k;
	void *probe;

	assert_int_equal(kmm_init(cmdline), 0);
	s = kmem_cache_create("churn", 72, 0, 0, NULL);
	probe = kmalloc(24, GFP_KERNEL);
	k = atomic_load_relaxed(&object_head_page(probe)->slab_cache);
	kfree(probe);
	before = kmm_bug_count();
	for (int i = 0; i < 2; i++) {
		c[i] = (struct churn){ s, i, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, churn, &c[i]), 0);
	}
	for (int i = 0; i < 300 || atomic_load_relaxed(&c[0].rounds) < 1500 ||
			atomic_load_relaxed(&c[1].rounds) < 1500; i++) {
		slab_verify(s);
		slab_validate(s, NULL);
		slab_validate(k, NULL);
	}
	for (int i = 0; i < 2; i++)
		atomic_store_release(&c[i].stop, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(kmm_bug_count(), before);
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

static void test_walk_beside_churn(void **state)
{
	(void)state;
	walk_beside_churn("mem=128M nr_cpus=2 kswapd=off");
	walk_beside_churn("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
}

/* One partial slab claims one more object in use than it has: one report,
 * and the walk itself changes nothing. */
static void test_verify_corrupt_counters(void **state)
{
	struct kmem_cache *s;
	struct page *slab;
	void *objects[256];
	union slab_counters good, bad;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	s = kmem_cache_create("corrupt", 128, 0, 0, NULL);
	kmm_cpu_bind(0);
	for (int i = 0; i < 256; i++)
		objects[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 256; i += 2)
		kmem_cache_free(s, objects[i]);
	kmem_cache_shrink(s);
	assert_int_equal(slab_verify(s), 0);

	kmm_spin_lock(&s->node.list_lock);
	assert_false(list_empty(&s->node.partial));
	slab = list_entry(s->node.partial.next, struct page, slab_list);
	good.counters = slab_counters_read(slab);
	bad = good;
	bad.inuse++;
	atomic_store_relaxed(&slab->counters, bad.counters);
	kmm_spin_unlock(&s->node.list_lock);

	EXPECT_ONE_REPORT("slab_verify: corrupt: slab", slab_verify(s));
	assert_int_equal(slab_counters_read(slab), bad.counters);

	kmm_spin_lock(&s->node.list_lock);
	atomic_store_relaxed(&slab->counters, good.counters);
	kmm_spin_unlock(&s->node.list_lock);
	assert_int_equal(slab_verify(s), 0);

	for (int i = 1; i < 256; i += 2)
		kmem_cache_free(s, objects[i]);
	kmm_cpu_unbind();
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_plain),
		cmocka_unit_test(test_verify_debug),
		cmocka_unit_test(test_verify_kmalloc_debug),
		cmocka_unit_test(test_verify_corrupt_counters),
		cmocka_unit_test(test_walk_beside_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
