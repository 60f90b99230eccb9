/* What the vmalloc test programs share: the small machine they boot, the
 * check after each test, and counters they read. */
#ifndef KMM_TEST_VMALLOC_COMMON_H
#define KMM_TEST_VMALLOC_COMMON_H

#include "kmm_test.h"
#include "vmalloc/vmalloc.h"

static __attribute__((unused)) int setup(void **state)
{
	(void)state;
	return kmm_test_boot("mem=64M nr_cpus=2");
}

/* After every test: the trees are sound, everything purged, every page
 * is back, nothing leaked. */
static __attribute__((unused)) int teardown(void **state)
{
	(void)state;
	assert_true(vmap_check_invariants());
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
	return 0;
}

/* mmap() calls vmalloc made (mappings and unmappings). */
static __attribute__((unused)) unsigned long mmap_calls(void)
{
	struct kmm_stats st;

	kmm_stats_read(&st);
	return st.vmap_mmap;
}

#endif
