/* vmap blocks: small vmalloc areas packed into blocks mapped once, so that
 * far more areas than vm.max_map_count can be live, each with its own
 * contents, aliasing the direct map both ways, freed and reported as any
 * other area. */
#include <pthread.h>
#include <unistd.h>
#include "kmm_test.h"
#include "buddy/mmzone.h"
#include "vmalloc/vblock.h"
#include "vmalloc/vmalloc.h"
#include "test_vmalloc_common.h"
#include "test_vmalloc_frag.h"

static unsigned long host_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long n = 0;
	int c;

	assert_non_null(f);
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static unsigned long max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	unsigned long v = 65530;

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 65530;
		fclose(f);
	}
	return v;
}

/* 65,536 one-page areas live at once: more than vm.max_map_count allows
 * mappings (65530 by default), each holding its own page of data. */
static void test_65536_live_one_page_areas(void **state)
{
	enum { N = 65536 };
	unsigned long **areas = malloc(N * sizeof(*areas));
	unsigned long before;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=320M nr_cpus=2"), 0);
	before = atomic_load_relaxed(&vmap_nr_mappings);
	assert_non_null(areas);
	for (unsigned long i = 0; i < N; i++) {
		areas[i] = vmalloc(PAGE_SIZE);
		assert_non_null(areas[i]);
		/* the whole page: a pattern of the area's index */
		for (unsigned long w = 0; w < PAGE_SIZE / sizeof(long); w += 64)
			areas[i][w] = i * 131 + w;
		areas[i][PAGE_SIZE / sizeof(long) - 1] = ~i;
	}
	/* Far fewer host mappings than areas, and under the host's limit. */
	assert_true(atomic_load_relaxed(&vmap_nr_mappings) - before <= 2 * (N / VMAP_BLOCK_PAGES) + 8);
	assert_true(host_mappings() < max_map_count());
	for (unsigned long i = 0; i < N; i++) {
		struct page *pg = vmalloc_to_page(areas[i]);

		for (unsigned long w = 0; w < PAGE_SIZE / sizeof(long); w += 64)
			assert_int_equal(areas[i][w], i * 131 + w);
		assert_int_equal(areas[i][PAGE_SIZE / sizeof(long) - 1], ~i);
		assert_non_null(pg);
		/* the same page through the direct map */
		assert_int_equal(((unsigned long *)page_address(pg))[PAGE_SIZE / sizeof(long) - 1], ~i);
	}
	for (unsigned long i = 0; i < N; i++)
		vfree(areas[i]);
	free(areas);
}

/* Small areas share a block: consecutive addresses, one mapping for all,
 * physically contiguous pages that alias the direct map both ways. */
static void test_small_areas_share_a_block(void **state)
{
	unsigned long mmaps;
	char *a, *b, *c;

	(void)state;
	kmm_cpu_bind(0);
	a = vmalloc(PAGE_SIZE);
	assert_non_null(a);
	mmaps = mmap_calls();
	b = vmalloc(2 * PAGE_SIZE);
	c = vzalloc(100);
	assert_int_equal(mmap_calls(), mmaps);
	assert_ptr_equal(b, a + PAGE_SIZE);
	assert_ptr_equal(c, b + 2 * PAGE_SIZE);
	assert_int_equal(vmalloc_to_pfn(b), vmalloc_to_pfn(a) + 1);
	for (int i = 0; i < 100; i++)
		assert_int_equal(c[i], 0);
	memset(b, 0x42, 2 * PAGE_SIZE);
	assert_int_equal(*((char *)page_address(vmalloc_to_page(b + PAGE_SIZE)) + 7), 0x42);
	*(char *)page_address(vmalloc_to_page(a)) = 0x17;
	assert_int_equal(a[0], 0x17);
	/* Pages of the block not handed out have no page. */
	assert_null(vmalloc_to_page(c + PAGE_SIZE));
	vfree(b);
	assert_null(vmalloc_to_page(b));
	/* The freed run is reused. */
	assert_ptr_equal(vmalloc(2 * PAGE_SIZE), b);
	vfree(b);
	vfree(a);
	vfree(c);
	kmm_cpu_unbind();
}

static void test_misuse(void **state)
{
	char *a = vmalloc(2 * PAGE_SIZE), *b = vmalloc(PAGE_SIZE);

	(void)state;
	EXPECT_ONE_REPORT("bad address", vfree(a + PAGE_SIZE));
	EXPECT_ONE_REPORT("bad address", vfree(a + 5));
	EXPECT_ONE_REPORT("mapped with vmalloc", vunmap(a));
	EXPECT_ONE_REPORT("mapped with vmalloc", vm_unmap_ram(a, 2));
	/* Nothing changed. */
	assert_non_null(vmalloc_to_page(a + PAGE_SIZE));
	a[2 * PAGE_SIZE - 1] = 1;
	vfree(a);
	EXPECT_ONE_REPORT("double vfree", vfree(a));
	EXPECT_ONE_REPORT("nonexistent vm area", vfree(b + 8 * PAGE_SIZE));
	assert_non_null(vmalloc_to_page(b));
	vfree(b);
	EXPECT_ONE_REPORT("double vfree", vfree(b));
}

/* vmallocinfo: a line per live area, its size without a guard page. */
static void test_vmallocinfo(void **state)
{
	char *a = vmalloc(PAGE_SIZE), *b = vmalloc(2 * PAGE_SIZE), *text;
	char want[96];

	(void)state;
	text = proc_text("vmallocinfo");
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx    4096 ", (unsigned long)a,
		 (unsigned long)a + PAGE_SIZE);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx    8192 ", (unsigned long)b,
		 (unsigned long)b + 2 * PAGE_SIZE);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, " pages=2 vmalloc N0=2"));
	free(text);
	vfree(a);
	text = proc_text("vmallocinfo");
	snprintf(want, sizeof(want), "0x%016lx-", (unsigned long)a);
	assert_null(strstr(text, want));
	free(text);
	vfree(b);
}

/* Freed from interrupt context and from another CPU. */
static void *irq_free(void *arg)
{
	kmm_cpu_bind(1);
	kmm_irq_enter();
	vfree(arg);
	kmm_irq_exit();
	kmm_cpu_unbind();
	return NULL;
}

static void test_free_from_irq_and_other_cpu(void **state)
{
	pthread_t t;
	char *p[VMAP_BLOCK_PAGES];

	(void)state;
	kmm_cpu_bind(0);
	for (unsigned int i = 0; i < VMAP_BLOCK_PAGES; i++)
		p[i] = vmalloc(PAGE_SIZE);
	for (unsigned int i = 1; i < VMAP_BLOCK_PAGES; i++)
		vfree(p[i]);
	assert_int_equal(pthread_create(&t, NULL, irq_free, p[0]), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_null(vmalloc_to_page(p[0]));
	kmm_cpu_unbind();
}

/* Fragmented memory: no block can be had, small areas are mapped on
 * their own from scattered pages, as before. */
static void test_fragmented_memory(void **state)
{
	struct fragmented f;
	char *p[40];

	(void)state;
	fragment_memory(&f);
	for (int i = 0; i < 40; i++) {
		p[i] = vmalloc(PAGE_SIZE);
		assert_non_null(p[i]);
		p[i][0] = (char)i;
	}
	for (int i = 1; i < 40; i++)
		assert_int_not_equal(vmalloc_to_pfn(p[i]), vmalloc_to_pfn(p[i - 1]) + 1);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(*(char *)page_address(vmalloc_to_page(p[i])), (char)i);
		vfree(p[i]);
	}
	vm_unmap_aliases();
	unfragment_memory(&f);
}

/* Out of host mappings: the allocation fails cleanly, counted and
 * reported as a vmalloc error (not a bug), and succeeds once there is
 * room again. */
static void test_no_mapping_left(void **state)
{
	unsigned long saved = atomic_load_relaxed(&vmap_max_mappings);
	unsigned long bugs = kmm_bug_count();
	char *p;

	(void)state;
	vm_unmap_aliases();
	atomic_store_relaxed(&vmap_max_mappings, atomic_load_relaxed(&vmap_nr_mappings));
	p = vmalloc(PAGE_SIZE);
	assert_null(p);
	assert_int_equal(kmm_bug_count(), bugs);
	atomic_store_relaxed(&vmap_max_mappings, saved);
	p = vmalloc(PAGE_SIZE);
	assert_non_null(p);
	vfree(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_65536_live_one_page_areas, teardown),
		cmocka_unit_test_setup_teardown(test_small_areas_share_a_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmallocinfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_from_irq_and_other_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fragmented_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_mapping_left, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
