/* memblock/bootmem between early and late boot, and late frees. */
#include "kmm_test.h"
#include "buddy/buddy.h"

static void test_boot_allocations(void **state)
{
	unsigned long managed_before;
	unsigned char *a, *b, *low;

	(void)state;
	assert_int_equal(kmm_init_early("mem=64M nr_cpus=2 kswapd=off"), 0);
	a = memblock_alloc(3 * PAGE_SIZE + 100, PAGE_SIZE);
	b = alloc_bootmem_pages(5 * PAGE_SIZE);
	low = alloc_bootmem_low_pages(PAGE_SIZE);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(low);
	assert_int_equal((unsigned long)a & (PAGE_SIZE - 1), 0);
	/* zeroed, physically contiguous, direct-mapped */
	for (int i = 0; i < 3 * (int)PAGE_SIZE + 100; i++)
		assert_int_equal(a[i], 0);
	memset(b, 0x5a, 5 * PAGE_SIZE);
	assert_true(__pa(low) < (4ULL << 30));
	/* a small allocation freed before late boot simply goes away */
	unsigned char *tmp = memblock_alloc(200, 64);
	assert_non_null(tmp);
	memset(tmp, 0x77, 200);
	memblock_free(tmp, 200);
	EXPECT_ONE_REPORT("was not allocated at boot", memblock_free(tmp, 200));
	/* and its range, handed out again, comes zeroed like fresh memory */
	unsigned char *again = memblock_alloc(200, 64);
	assert_ptr_equal(again, tmp);
	for (int i = 0; i < 200; i++)
		assert_int_equal(again[i], 0);
	memblock_free(again, 200);

	assert_int_equal(kmm_init_late(), 0);
	/* boot allocations stay allocated after late init */
	for (int i = 0; i < 5 * (int)PAGE_SIZE; i++)
		assert_int_equal(b[i], 0x5a);
	EXPECT_ONE_REPORT("boot memory", __free_pages(virt_to_page(b), 0));
	EXPECT_ONE_REPORT("called after kmm_init_late", assert_null(memblock_alloc(64, 64)));

	/* freeing them now hands their pages to the buddy */
	drain_all_pages(NULL);
	managed_before = totalram_pages();
	unsigned long free_before = nr_free_pages();
	free_bootmem((unsigned long)__pa(b), 5 * PAGE_SIZE);
	assert_int_equal(totalram_pages(), managed_before + 5);
	assert_int_equal(nr_free_pages(), free_before + 5);
	EXPECT_ONE_REPORT("was not allocated at boot", free_bootmem((unsigned long)__pa(b), 5 * PAGE_SIZE));
	assert_int_equal(nr_free_pages(), free_before + 5);
	memblock_free(a, 3 * PAGE_SIZE + 100);
	memblock_free(low, PAGE_SIZE);
	assert_int_equal(totalram_pages(), managed_before + 5 + 3 + 1);
	EXPECT_ONE_REPORT("not a direct-map address", memblock_free((void *)&managed_before, 8));
	assert_int_equal(kmm_exit(), 0);
}

static void test_low_pages_below_4g(void **state)
{
	void *p;

	(void)state;
	assert_int_equal(kmm_init_early("mem=6G nr_cpus=2 kswapd=off"), 0);
	p = alloc_bootmem_low_pages(1 << 20);
	assert_non_null(p);
	assert_true(__pa(p) + (1 << 20) <= (4ULL << 30));
	/* top-down: ordinary boot memory comes from the top of lowmem */
	void *q = alloc_bootmem_pages(PAGE_SIZE);
	assert_true(__pa(q) >= (4ULL << 30));
	assert_int_equal(kmm_init_late(), 0);
	assert_int_equal(kmm_exit(), 0);
}

static void test_calls_out_of_phase(void **state)
{
	(void)state;
	EXPECT_ONE_REPORT("kmm_init_early() has not run", assert_null(memblock_alloc(64, 64)));
	EXPECT_ONE_REPORT("kmm_init_early() has not run", assert_int_equal(kmm_init_late(), -EINVAL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_allocations),
		cmocka_unit_test(test_low_pages_below_4g),
		cmocka_unit_test(test_calls_out_of_phase),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
