/* kmap/kunmap and kmap_local_page/kunmap_local in both layouts, and
 * vmalloc's HighMem pages. */
#include <pthread.h>
#include <unistd.h>
#include "kmm_test.h"
#include <kmm/highmem.h>
#include "buddy/mmzone.h"
#include "vmalloc/vmalloc.h"

#define LAST_PKMAP	512
#define KM_MAX_IDX	16

static unsigned long boot_free;

static int boot(const char *cmdline)
{
	if (kmm_init(cmdline))
		return -1;
	drain_all_pages(NULL);
	boot_free = nr_free_pages();
	return 0;
}

static int setup64(void **state)
{
	(void)state;
	return boot("mem=64M nr_cpus=2");
}

static int setup32(void **state)
{
	(void)state;
	return boot("layout=32bit mem=1G nr_cpus=2 populate=0");
}

static int teardown(void **state)
{
	(void)state;
	vm_unmap_aliases();
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), boot_free);
	assert_int_equal(kmm_exit(), 0);
	return 0;
}

static void test_kmap_lowmem(void **state)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_HIGHMEM);
	void *addr;

	(void)state;
	assert_non_null(page);
	/* 64-bit layout: no HighMem, both calls give the direct map. */
	assert_false(PageHighMem(page));
	addr = page_address(page);
	assert_non_null(addr);
	assert_ptr_equal(kmap(page), addr);
	assert_ptr_equal(kmap_local_page(page), addr);
	kunmap_local(addr);
	kunmap(page);
	assert_ptr_equal(page_address(page), addr);
	__free_page(page);
}

static void test_kmap_highmem(void **state)
{
	struct page *page = alloc_pages(GFP_HIGHUSER, 0);
	char *a, *b;

	(void)state;
	assert_non_null(page);
	assert_true(PageHighMem(page));
	assert_null(page_address(page));
	a = kmap(page);
	assert_non_null(a);
	assert_ptr_equal(page_address(page), a);
	assert_false(is_vmalloc_addr(a));
	memset(a, 0x77, PAGE_SIZE);
	/* A second kmap of a mapped page shares the slot. */
	b = kmap(page);
	assert_ptr_equal(a, b);
	kunmap(page);
	kunmap(page);
	EXPECT_ONE_REPORT("is not kmapped", kunmap(page));
	/* Unused slots stay mapped until the window wraps: the data is in
	 * the page whatever the address. */
	b = kmap_local_page(page);
	assert_non_null(b);
	assert_int_equal(b[PAGE_SIZE - 1], 0x77);
	kunmap_local(b);
	__free_page(page);
}

static void test_kmap_local_nesting(void **state)
{
	struct page *pages[KM_MAX_IDX + 1];
	char *addr[KM_MAX_IDX + 1];
	void *extra;

	(void)state;
	for (int i = 0; i <= KM_MAX_IDX; i++) {
		pages[i] = alloc_pages(GFP_HIGHUSER, 0);
		assert_non_null(pages[i]);
		assert_true(PageHighMem(pages[i]));
	}
	for (int i = 0; i < KM_MAX_IDX; i++) {
		addr[i] = kmap_local_page(pages[i]);
		assert_non_null(addr[i]);
		memset(addr[i], 'a' + i, PAGE_SIZE);
	}
	EXPECT_ONE_REPORT("nested kmap_local", extra = kmap_local_page(pages[KM_MAX_IDX]));
	assert_null(extra);
	for (int i = 0; i < KM_MAX_IDX; i++)
		assert_int_equal(addr[i][100], 'a' + i);
	/* Strict LIFO: unmapping an outer one is refused. */
	EXPECT_ONE_REPORT("out of order", kunmap_local(addr[3]));
	assert_int_equal(addr[3][5], 'a' + 3);
	for (int i = KM_MAX_IDX - 1; i >= 0; i--)
		kunmap_local(addr[i] + 123);	/* any address inside the page */
	EXPECT_ONE_REPORT("is not mapped", kunmap_local(addr[0]));
	EXPECT_ONE_REPORT("not mapped by kmap_local_page", kunmap_local(&extra));
	/* The data went to the pages: read it back through kmap. */
	for (int i = 0; i <= KM_MAX_IDX; i++) {
		char *k = kmap(pages[i]);

		if (i < KM_MAX_IDX)
			assert_int_equal(k[PAGE_SIZE - 1], 'a' + i);
		kunmap(pages[i]);
		__free_page(pages[i]);
	}
}

static void *kmap_one(void *arg)
{
	return kmap(arg);
}

/* Every slot in use: kmap sleeps until a kunmap. */
static void test_kmap_window_full(void **state)
{
	struct page *pages[LAST_PKMAP + 1];
	pthread_t t;
	void *res;

	(void)state;
	for (int i = 0; i <= LAST_PKMAP; i++) {
		pages[i] = alloc_pages(GFP_HIGHUSER, 0);
		assert_non_null(pages[i]);
	}
	for (int i = 0; i < LAST_PKMAP; i++)
		assert_non_null(kmap(pages[i]));
	assert_int_equal(pthread_create(&t, NULL, kmap_one, pages[LAST_PKMAP]), 0);
	usleep(20000);
	kunmap(pages[0]);
	assert_int_equal(pthread_join(t, &res), 0);
	assert_non_null(res);
	assert_ptr_equal(page_address(pages[LAST_PKMAP]), res);
	kunmap(pages[LAST_PKMAP]);
	for (int i = 1; i < LAST_PKMAP; i++)
		kunmap(pages[i]);
	for (int i = 0; i <= LAST_PKMAP; i++)
		__free_page(pages[i]);
}

static void test_kmap_atomic_context(void **state)
{
	struct page *page = alloc_pages(GFP_HIGHUSER, 0);
	void *a = page;

	(void)state;
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context", a = kmap(page));
	assert_null(a);
	/* kmap_local_page is fine in any context. */
	a = kmap_local_page(page);
	assert_non_null(a);
	kunmap_local(a);
	kmm_irq_exit();
	__free_page(page);
}

/* vmalloc takes HighMem pages in the 32-bit layout; vmalloc_32 does not. */
static void test_vmalloc_highmem(void **state)
{
	unsigned long nr = 32;
	char *p = vmalloc(nr * PAGE_SIZE), *q = vmalloc_32(nr * PAGE_SIZE);

	(void)state;
	assert_non_null(p);
	assert_non_null(q);
	for (unsigned long i = 0; i < nr; i++) {
		struct page *page = vmalloc_to_page(p + i * PAGE_SIZE);
		char *k;

		assert_true(PageHighMem(page));
		assert_false(PageHighMem(vmalloc_to_page(q + i * PAGE_SIZE)));
		p[i * PAGE_SIZE + 9] = (char)i;
		k = kmap_local_page(page);
		assert_int_equal(k[9], (char)i);
		kunmap_local(k);
	}
	vfree(p);
	vfree(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kmap_lowmem, setup64, teardown),
		cmocka_unit_test_setup_teardown(test_kmap_highmem, setup32, teardown),
		cmocka_unit_test_setup_teardown(test_kmap_local_nesting, setup32, teardown),
		cmocka_unit_test_setup_teardown(test_kmap_window_full, setup32, teardown),
		cmocka_unit_test_setup_teardown(test_kmap_atomic_context, setup32, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_highmem, setup32, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
