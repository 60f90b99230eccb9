/* vmalloc_area_pages(): the size of a live area from its start, for areas
 * of their own, pieces of vmap blocks, and anything else (0). */
#include "kmm_test.h"
#include "vmalloc/vmalloc.h"

static int setup(void **state)
{
	(void)state;
	return kmm_test_boot("mem=128M nr_cpus=2");
}

static int teardown(void **state)
{
	(void)state;
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
	return 0;
}

static void test_sizes(void **state)
{
	char *piece = vmalloc(PAGE_SIZE + 1);		/* two pages: a vmap block's */
	char *own = vmalloc(3UL << 20);
	char *aligned = __vmalloc_node(5 * PAGE_SIZE, 8 * PAGE_SIZE, GFP_KERNEL, NUMA_NO_NODE,
				       NULL);
	int local;

	(void)state;
	assert_non_null(piece);
	assert_non_null(own);
	assert_non_null(aligned);
	assert_int_equal(vmalloc_area_pages(piece), 2);
	assert_int_equal(vmalloc_area_pages(own), (3UL << 20) >> PAGE_SHIFT);
	assert_int_equal(vmalloc_area_pages(aligned), 5);
	/* not an area's start */
	assert_int_equal(vmalloc_area_pages(piece + PAGE_SIZE), 0);
	assert_int_equal(vmalloc_area_pages(own + 8), 0);
	assert_int_equal(vmalloc_area_pages(own + PAGE_SIZE), 0);
	assert_int_equal(vmalloc_area_pages(&local), 0);
	assert_int_equal(vmalloc_area_pages(NULL), 0);
	vfree(piece);
	vfree(own);
	vfree(aligned);
	/* freed */
	assert_int_equal(vmalloc_area_pages(piece), 0);
	assert_int_equal(vmalloc_area_pages(own), 0);
	assert_int_equal(vmalloc_area_pages(aligned), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
