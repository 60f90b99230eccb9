/* kfree_rcu()/kvfree_rcu() (test_kfree_rcu_program.c: an object outlives
 * its reader, then is reused): frees from interrupt context; objects of many
 * caches and large kmalloc freed in bulk; vmalloc'ed objects; the rcu_head
 * fallback when no array page can be had; the shrinker; kmem_cache_destroy()
 * right after kfree_rcu(); SLAB_TYPESAFE_BY_RCU slabs; bad input. Every page
 * back at the end. */
#include <pthread.h>
#include <sched.h>
#include "kmm_test.h"
#include "buddy/buddy.h"
#include "buddy/page.h"
#include "buddy/reclaim.h"
#include "lib/fault_inject.h"
#include "lib/rcu_batch.h"

struct obj {
	unsigned long magic;
	struct rcu_head rh;
	unsigned long data[6];
};

#define OBJ_MAGIC 0x6f626a6f626a6f62UL

static int boot(void **state)
{
	(void)state;
	return kmm_test_boot("mem=64M nr_cpus=1 kswapd=off");
}

static int shutdown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

static struct obj *obj_new(gfp_t gfp)
{
	struct obj *o = kmalloc(sizeof(*o), gfp);

	if (o) {
		o->magic = OBJ_MAGIC;
		for (int i = 0; i < 6; i++)
			o->data[i] = (unsigned long)o + (unsigned long)i;
	}
	return o;
}

static bool obj_intact(const struct obj *o)
{
	if (o->magic != OBJ_MAGIC)
		return false;
	for (int i = 0; i < 6; i++)
		if (o->data[i] != (unsigned long)o + (unsigned long)i)
			return false;
	return true;
}

static unsigned long waiting_total(void)
{
	return rcu_batchers_waiting();
}

static int step;
static int reader_ok;

static void wait_step(int s)
{
	while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) < s)
		sched_yield();
}

/* --- from interrupt context, many threads -------------------------------------- */

#define IRQ_THREADS	4
#define IRQ_FREES	5000

static void *irq_freer(void *arg)
{
	(void)arg;
	for (int i = 0; i < IRQ_FREES; i++) {
		struct obj *o;

		kmm_irq_enter();
		o = obj_new(GFP_ATOMIC);
		if (o)
			kfree_rcu(o, rh);
		else
			i--;
		kmm_irq_exit();
	}
	return NULL;
}

static void test_kfree_rcu_from_interrupts(void **state)
{
	pthread_t t[IRQ_THREADS];
	struct kmm_stats st;
	unsigned long bugs = kmm_bug_count();

	(void)state;
	kmm_stats_reset();
	kmm_kfree_rcu_peak_reset();
	for (int i = 0; i < IRQ_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, irq_freer, NULL), 0);
	for (int i = 0; i < IRQ_THREADS; i++)
		pthread_join(t[i], NULL);
	rcu_barrier();
	kmm_stats_read(&st);
	assert_int_equal(kmm_bug_count(), bugs);
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_true(kmm_kfree_rcu_peak() > 0);
	assert_true(kmm_kfree_rcu_peak() <= IRQ_THREADS * IRQ_FREES);
	assert_true(st.kfree_rcu > 0);
	assert_true(st.kfree_rcu_batches > 0 && st.kfree_rcu_batches < st.kfree_rcu);
}

/* The peak is never below what kmm_kfree_rcu_pending() showed before it:
 * right after a burst (before any batch went to liburcu), and sampled
 * while interrupt threads free. */
static void *peak_sampler(void *arg)
{
	int *bad = arg;

	for (int i = 0; i < 2000; i++) {
		unsigned long pending = kmm_kfree_rcu_pending();

		if (kmm_kfree_rcu_peak() < pending)
			(*bad)++;
	}
	return NULL;
}

static void test_peak_covers_pending(void **state)
{
	pthread_t t[IRQ_THREADS], sampler;
	unsigned long pending;
	int bad = 0;

	(void)state;
	rcu_barrier();
	kmm_kfree_rcu_peak_reset();
	for (int i = 0; i < 100; i++)
		kfree_rcu(obj_new(GFP_KERNEL), rh);
	pending = kmm_kfree_rcu_pending();
	assert_true(pending > 0);
	assert_true(kmm_kfree_rcu_peak() >= pending);
	assert_int_equal(pthread_create(&sampler, NULL, peak_sampler, &bad), 0);
	for (int i = 0; i < IRQ_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, irq_freer, NULL), 0);
	for (int i = 0; i < IRQ_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_join(sampler, NULL);
	assert_int_equal(bad, 0);
	rcu_barrier();
}

/* --- many caches, large kmalloc, kmem_cache_destroy right after ----------------- */

static void test_bulk_by_cache_and_destroy(void **state)
{
	struct kmem_cache *a = kmem_cache_create("rcu_a", sizeof(struct obj), 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("rcu_b", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	unsigned long bugs = kmm_bug_count();

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (int i = 0; i < 3000; i++) {
		struct obj *x = kmem_cache_alloc(i % 3 ? a : b, GFP_KERNEL);
		struct obj *k = kmalloc(16 + (size_t)(i % 9) * 64, GFP_KERNEL);

		assert_non_null(x);
		assert_non_null(k);
		kfree_rcu(x, rh);
		kfree_rcu(k, rh);
		if (i % 500 == 0) {
			struct obj *big = kmalloc(3 * PAGE_SIZE + 100, GFP_KERNEL);

			assert_non_null(big);
			kvfree_rcu(big, rh);
		}
	}
	/* The objects are still queued: destroy waits for them. */
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	assert_int_equal(kmm_bug_count(), bugs);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

/* --- vmalloc'ed objects go back with vfree -------------------------------------- */

struct vbig {
	unsigned long words[1000];
	struct rcu_head rh;	/* deep inside: kvfree_rcu allows that */
	char data[60 << 10];
};

static void test_kvfree_rcu_vmalloc(void **state)
{
	unsigned long bugs = kmm_bug_count();

	(void)state;
	for (int i = 0; i < 20; i++) {
		struct vbig *v = vmalloc(sizeof(*v));
		struct obj *k = kvmalloc(sizeof(*k), GFP_KERNEL);

		assert_non_null(v);
		assert_non_null(k);
		assert_true(is_vmalloc_addr(v));
		memset(v->data, i, sizeof(v->data));
		kvfree_rcu(v, rh);
		kvfree_rcu(k, rh);
	}
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* --- no array page: the rcu_head chain, and without an rcu_head -------------- */

static void test_fallback_without_array_pages(void **state)
{
	struct obj *o[300];
	unsigned long bugs = kmm_bug_count();

	(void)state;
	rcu_barrier();
	for (int i = 0; i < 300; i++)
		assert_non_null(o[i] = obj_new(GFP_KERNEL));
	fault_attr_setup(&fail_page_alloc, "1,100,0,-1");
	for (int i = 0; i < 299; i++)
		kfree_rcu(o[i], rh);
	assert_int_equal(kmm_kfree_rcu_pending(), 299);
	/* No rcu_head either: it waits for a grace period itself. */
	kvfree_call_rcu(NULL, o[299]);
	__atomic_store_n(&fail_page_alloc.enabled, false, __ATOMIC_RELAXED);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* --- memory pressure hands everything over at once ------------------------------- */

static void test_shrinker_hands_over(void **state)
{
	(void)state;
	rcu_barrier();
	for (int i = 0; i < 100; i++)
		kfree_rcu(obj_new(GFP_KERNEL), rh);
	assert_true(waiting_total() > 0);
	shrink_slab(GFP_KERNEL, 1UL << 20);
	assert_int_equal(waiting_total(), 0);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

/* --- SLAB_TYPESAFE_BY_RCU ---------------------------------------------------------- */

static struct obj *typesafe_obj;

static void *typesafe_reader(void *arg)
{
	(void)arg;
	rcu_read_lock();
	__atomic_store_n(&step, 1, __ATOMIC_RELEASE);
	wait_step(2);
	/* The slab is gone but its memory is not back in the buddy. */
	__atomic_store_n(&reader_ok,
			 PAGE_STATE_KIND(page_state_read(virt_to_page(typesafe_obj))) == PS_ALLOC,
			 __ATOMIC_RELAXED);
	rcu_read_unlock();
	return NULL;
}

static void test_typesafe_by_rcu_defers_slab_pages(void **state)
{
	struct kmem_cache *s = kmem_cache_create("rcu_typesafe", sizeof(struct obj), 0,
						 SLAB_TYPESAFE_BY_RCU, NULL);
	struct obj *o, *o2;
	struct page *page;
	pthread_t t;

	(void)state;
	assert_non_null(s);
	o = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(o);
	/* Objects are reused at once. */
	kmem_cache_free(s, o);
	o2 = kmem_cache_alloc(s, GFP_KERNEL);
	assert_ptr_equal(o2, o);
	typesafe_obj = o2;
	page = virt_to_page(o2);

	step = 0;
	reader_ok = 0;
	assert_int_equal(pthread_create(&t, NULL, typesafe_reader, NULL), 0);
	wait_step(1);
	kmem_cache_free(s, o2);
	kmem_cache_shrink(s);
	assert_false(PageSlab(page));
	__atomic_store_n(&step, 2, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(reader_ok);
	rcu_barrier();
	assert_int_not_equal(PAGE_STATE_KIND(page_state_read(page)), PS_ALLOC);
	kmem_cache_destroy(s);
}

/* --- bad input --------------------------------------------------------------------- */

static void test_bad_input_is_reported(void **state)
{
	struct obj on_stack;
	struct obj *o = obj_new(GFP_KERNEL);

	(void)state;
	kfree_rcu((struct obj *)NULL, rh);	/* no-op, as kfree(NULL) */
	EXPECT_ONE_REPORT("was not allocated by kmm", kfree_rcu(&on_stack, rh));
	EXPECT_ONE_REPORT("is not inside object", kvfree_call_rcu(&on_stack.rh, o));
	/* nothing changed: o is still allocated and can be freed */
	assert_true(obj_intact(o));
	kfree_rcu(o, rh);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

/* kfree() then kfree_rcu() of the same object: refused with one report
 * at the kfree_rcu(), and nothing is freed twice after the grace period
 * (the next allocations give distinct objects). */
static void test_kfree_then_kfree_rcu(void **state)
{
	struct obj *a = obj_new(GFP_KERNEL), *b = obj_new(GFP_KERNEL), *v[8];

	(void)state;
	kfree(a);
	kfree(b);
	EXPECT_ONE_REPORT("Object already free", kfree_rcu(a, rh));
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	for (int i = 0; i < 8; i++) {
		v[i] = obj_new(GFP_KERNEL);
		assert_non_null(v[i]);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(v[i], v[j]);
	}
	for (int i = 0; i < 8; i++)
		kfree(v[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kfree_rcu_from_interrupts),
		cmocka_unit_test(test_peak_covers_pending),
		cmocka_unit_test(test_bulk_by_cache_and_destroy),
		cmocka_unit_test(test_kvfree_rcu_vmalloc),
		cmocka_unit_test(test_fallback_without_array_pages),
		cmocka_unit_test(test_shrinker_hands_over),
		cmocka_unit_test(test_typesafe_by_rcu_defers_slab_pages),
		cmocka_unit_test(test_bad_input_is_reported),
		cmocka_unit_test(test_kfree_then_kfree_rcu),
		cmocka_unit_test(test_every_page_back),
	};

	return cmocka_run_group_tests(tests, boot, shutdown);
}
