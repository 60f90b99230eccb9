/* kvmalloc: kmalloc first, vmalloc when a large block is not there. */
#include <limits.h>
#include "kmm_test.h"
#include <kmm/slab.h>
#include "buddy/reclaim.h"
#include "vmalloc/vmalloc.h"
#include "test_vmalloc_frag.h"

static int setup(void **state)
{
	(void)state;
	return kmm_test_boot("mem=64M nr_cpus=2");
}

/* Every page back once the slab and vmalloc shrinkers ran. */
static int teardown(void **state)
{
	(void)state;
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
	return 0;
}

static void check_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i], 0);
}

static void test_kmalloc_first(void **state)
{
	void *small = kvmalloc(100, GFP_KERNEL);
	void *two_pages = kvzalloc(2 * PAGE_SIZE, GFP_KERNEL);
	void *huge = kvmalloc(2 * KMALLOC_MAX_SIZE, GFP_KERNEL);

	(void)state;
	assert_non_null(small);
	assert_false(is_vmalloc_addr(small));
	assert_true(ksize(small) >= 100);
	/* Memory is not fragmented: the kmalloc attempt succeeds. */
	assert_non_null(two_pages);
	assert_false(is_vmalloc_addr(two_pages));
	check_zero(two_pages, 2 * PAGE_SIZE);
	/* Above KMALLOC_MAX_SIZE only vmalloc can serve. */
	assert_non_null(huge);
	assert_true(is_vmalloc_addr(huge));
	memset(huge, 1, 2 * KMALLOC_MAX_SIZE);
	kvfree(small);
	kvfree(two_pages);
	kvfree(huge);
	kvfree(NULL);
}

static void test_vmalloc_fallback(void **state)
{
	struct fragmented f;
	unsigned long bugs;
	void *p, *z, *atomic;

	(void)state;
	fragment_memory(&f);
	bugs = kmm_bug_count();
	/* No order-4 block anywhere: kmalloc fails quietly, vmalloc serves. */
	p = kvmalloc(64 << 10, GFP_KERNEL);
	assert_non_null(p);
	assert_true(is_vmalloc_addr(p));
	memset(p, 0x3c, 64 << 10);
	z = kvcalloc(16, 4096, GFP_KERNEL);
	assert_non_null(z);
	assert_true(is_vmalloc_addr(z));
	check_zero(z, 64 << 10);
	assert_int_equal(kmm_bug_count(), bugs);
	/* Not GFP_KERNEL-compatible: kmalloc only, so nothing here. */
	atomic = kvmalloc(64 << 10, GFP_ATOMIC | __GFP_NOWARN);
	assert_null(atomic);
	atomic = kvmalloc(64 << 10, GFP_NOFS | __GFP_NOWARN);
	assert_null(atomic);
	kvfree(p);
	kvfree(z);
	vm_unmap_aliases();
	unfragment_memory(&f);
}

static void test_overflow_and_sizes(void **state)
{
	(void)state;
	assert_null(kvmalloc_array(SIZE_MAX / 2, 3, GFP_KERNEL));
	assert_null(kvcalloc(SIZE_MAX / 8, 16, GFP_KERNEL));
	EXPECT_ONE_REPORT("WARN_ON_ONCE", assert_null(kvmalloc((size_t)INT_MAX + 1, GFP_KERNEL)));
	assert_null(kvmalloc((size_t)INT_MAX + 1, GFP_KERNEL | __GFP_NOWARN));
}

static void test_cross_frees(void **state)
{
	void *v = vmalloc(4 * PAGE_SIZE), *k = kmalloc(64, GFP_KERNEL);

	(void)state;
	EXPECT_ONE_REPORT("vmalloc address", kfree(v));
	EXPECT_ONE_REPORT("not a vmalloc address", vfree(k));
	/* kvfree frees either. */
	kvfree(v);
	kvfree(k);
}

/* A sleeping kvmalloc in interrupt context: one report, whether kmalloc
 * alone or kmalloc then vmalloc would have served it; GFP_ATOMIC is fine. */
static void test_irq_context_one_report(void **state)
{
	static const size_t sizes[] = { 64, 3 * PAGE_SIZE, 1UL << 20 };
	void *p;

	(void)state;
	kmm_irq_enter();
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_ONE_REPORT("sleeping function called from invalid context",
				  assert_null(kvmalloc(sizes[i], GFP_KERNEL)));
		EXPECT_ONE_REPORT("sleeping function called from invalid context",
				  assert_null(kvzalloc(sizes[i], GFP_KERNEL)));
	}
	unsigned long bugs = kmm_bug_count();
	p = kvmalloc(64, GFP_ATOMIC);
	assert_non_null(p);
	kvfree(p);
	assert_int_equal(kmm_bug_count(), bugs);
	kmm_irq_exit();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kmalloc_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_and_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_frees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irq_context_one_report, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
