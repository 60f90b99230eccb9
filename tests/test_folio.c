/* Page references and folios: get_page/put_page count in the head, the
 * last reference frees, free_pages() of a block someone still references
 * frees what the kernel frees (lib/test_free_pages.c's case), folios name
 * head pages, speculative references race frees safely, and misuse is
 * reported without changing anything. */
#include <pthread.h>
#include "kmm_test.h"

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages();
}

static void test_references_order0(void **state)
{
	struct page *p;
	unsigned long before;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	before = free_now();
	p = alloc_page(GFP_KERNEL);
	assert_int_equal(page_count(p), 1);
	assert_int_equal(page_ref_count(p), 1);
	get_page(p);
	get_page(p);
	assert_int_equal(page_count(p), 3);
	put_page(p);
	__free_page(p);			/* the allocator's reference */
	assert_int_equal(page_count(p), 1);
	assert_int_equal(free_now(), before - 1);
	put_page(p);			/* the last one frees */
	assert_int_equal(free_now(), before);
	assert_int_equal(page_ref_count(p), 0);
	assert_false(get_page_unless_zero(p));
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* lib/test_free_pages.c: a speculative reference outlives free_pages(). */
static void test_free_pages_with_a_reference(void **state)
{
	unsigned long before, addr;
	struct page *page;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	before = free_now();
	for (int i = 0; i < 1000; i++) {
		addr = __get_free_pages(GFP_KERNEL, 3);
		page = virt_to_page((void *)addr);
		get_page(page);
		free_pages(addr, 3);
		/* not compound: all but the first page went back at once */
		if (i == 0)
			assert_int_equal(free_now(), before - 1);
		assert_int_equal(page_count(page), 1);
		put_page(page);
	}
	assert_int_equal(free_now(), before);
	for (int i = 0; i < 1000; i++) {
		addr = __get_free_pages(GFP_KERNEL | __GFP_COMP, 3);
		page = virt_to_page((void *)addr);
		get_page(page);
		free_pages(addr, 3);
		/* compound: the folio stays whole until its last reference */
		if (i == 0)
			assert_int_equal(free_now(), before - 8);
		put_page(page);
	}
	assert_int_equal(free_now(), before);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

static void test_folios(void **state)
{
	struct folio *f, *small;
	struct page *head;
	char *addr;
	void *obj;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	f = folio_alloc(GFP_KERNEL, 2);
	assert_non_null(f);
	head = folio_page(f, 0);
	addr = folio_address(f);
	assert_ptr_equal(addr, page_address(head));
	assert_int_equal(folio_order(f), 2);
	assert_int_equal(folio_size(f), 4 * PAGE_SIZE);
	assert_int_equal(folio_nr_pages(f), 4);
	assert_true(folio_test_large(f));
	assert_false(folio_test_slab(f));
	for (unsigned long n = 0; n < 4; n++) {
		struct page *pg = folio_page(f, n);

		assert_ptr_equal(page_folio(pg), f);
		assert_ptr_equal(page_address(pg), addr + n * PAGE_SIZE);
		assert_ptr_equal(virt_to_folio(addr + n * PAGE_SIZE + 123), f);
		assert_int_equal(page_count(pg), 1);
		/* a tail's own count stays 0: references live in the head */
		assert_int_equal(page_ref_count(pg), n ? 0 : 1);
	}
	get_page(folio_page(f, 3));
	assert_int_equal(folio_ref_count(f), 2);
	assert_false(get_page_unless_zero(folio_page(f, 2)));
	assert_true(get_page_unless_zero(head));
	folio_get(f);
	assert_int_equal(folio_ref_count(f), 4);
	put_page(folio_page(f, 1));
	put_page(head);
	folio_put(f);
	assert_int_equal(folio_ref_count(f), 1);
	folio_put(f);

	small = folio_alloc(GFP_KERNEL, 0);
	assert_false(folio_test_large(small));
	assert_int_equal(folio_order(small), 0);
	assert_int_equal(folio_size(small), PAGE_SIZE);
	assert_int_equal(folio_nr_pages(small), 1);
	folio_put(small);

	obj = kmalloc(64, GFP_KERNEL);
	assert_true(folio_test_slab(virt_to_folio(obj)));
	kfree(obj);
	assert_null(virt_to_folio(&obj));	/* not kmm memory */
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

static void test_misuse_reported(void **state)
{
	struct page *p, *big;
	void *obj;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	p = alloc_page(GFP_KERNEL);
	__free_page(p);
	EXPECT_ONE_REPORT("not allocated", get_page(p));
	EXPECT_ONE_REPORT("not allocated", put_page(p));
	EXPECT_ONE_REPORT("double free", __free_page(p));

	/* the last put_page of a block allocated without __GFP_COMP would free
	 * only its first page: refused, free_pages still frees it whole */
	big = alloc_pages(GFP_KERNEL, 2);
	EXPECT_ONE_REPORT("without __GFP_COMP", put_page(big));
	assert_int_equal(page_count(big), 1);
	__free_pages(big, 2);

	/* a slab's page is its owner's */
	obj = kmalloc(64, GFP_KERNEL);
	get_page(virt_to_page(obj));
	put_page(virt_to_page(obj));
	EXPECT_ONE_REPORT("owner", put_page(virt_to_page(obj)));
	kfree(obj);
	EXPECT_ONE_REPORT("not a kmm struct page", get_page((struct page *)&obj));
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* One thread allocates and frees pages, publishing each while it holds
 * it; another takes speculative references to whatever is published.
 * A reference taken keeps the page allocated until it is dropped; the
 * free happens exactly once, by whoever drops the last reference. */
static struct page *published;
static volatile int racing;
static unsigned long got, missed;

static void *speculator(void *arg)
{
	(void)arg;
	kmm_cpu_bind(1);
	while (__atomic_load_n(&racing, __ATOMIC_ACQUIRE)) {
		struct page *p = __atomic_load_n(&published, __ATOMIC_ACQUIRE);

		if (!p)
			continue;
		if (get_page_unless_zero(p)) {
			assert_true(page_count(p) >= 1);
			*(volatile char *)page_address(p) = 1;
			put_page(p);
			got++;
		} else {
			missed++;
		}
	}
	kmm_cpu_unbind();
	return NULL;
}

static void test_speculative_references_race_frees(void **state)
{
	pthread_t th;
	unsigned long bugs = kmm_bug_count();

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	racing = 1;
	pthread_create(&th, NULL, speculator, NULL);
	kmm_cpu_bind(0);
	for (int i = 0; i < 200000; i++) {
		struct page *p = alloc_page(GFP_KERNEL);

		assert_non_null(p);
		__atomic_store_n(&published, p, __ATOMIC_RELEASE);
		if (i % 3 == 0)
			__atomic_store_n(&published, NULL, __ATOMIC_RELEASE);
		__free_page(p);
	}
	__atomic_store_n(&racing, 0, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	kmm_cpu_unbind();
	print_message("speculative references: %lu taken, %lu refused\n", got, missed);
	assert_int_equal(kmm_bug_count(), bugs);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_references_order0),
		cmocka_unit_test(test_free_pages_with_a_reference),
		cmocka_unit_test(test_folios),
		cmocka_unit_test(test_misuse_reported),
		cmocka_unit_test(test_speculative_references_race_frees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
