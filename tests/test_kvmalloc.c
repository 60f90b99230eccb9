/* kvmalloc: kmalloc first, vmalloc when a large block is not there. */
#include <limits.h>
#include "kmm_test.h"
#include <kmm/slab.h>
#include "buddy/reclaim.h"
#include "vmalloc/vmalloc.h"
#include "test_vmalloc_frag.h"

static unsigned long boot_free;

static int setup(void **state)
{
	(void)state;
	if (kmm_init("mem=64M nr_cpus=2"))
		return -1;
	drain_all_pages(NULL);
	boot_free = nr_free_pages();
	return 0;
}

/* Every page back once the slab and vmalloc shrinkers ran. */
static int teardown(void **state)
{
	(void)state;
	shrink_slab(GFP_KERNEL, 1UL << 20);
	vm_unmap_aliases();
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), boot_free);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kmalloc_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overflow_and_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_frees, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
