/* The lock-split buddy: alignment, no overlap, coalescing, zones, flags,
 * every misuse reported once with nothing changed, many CPUs at once. */
#include <pthread.h>
#include "kmm_test.h"
#include "buddy/buddy.h"

static int boot(void **state)
{
	(void)state;
	return kmm_init("mem=256M nr_cpus=4 kswapd=off");
}

static int shutdown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

/* Free memory as the buddy sees it, slab caches shrunk and pcp lists
 * drained first: free page reporting shrinks every cache before its passes,
 * so a slab page idle in a cache would otherwise come back mid-test. */
static unsigned long free_now(void)
{
	shrink_slab(GFP_KERNEL, 1UL << 20);
	drain_all_pages(NULL);
	return nr_free_pages();
}

static void test_alignment_and_zero(void **state)
{
	(void)state;
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		unsigned char *va;

		assert_non_null(p);
		assert_int_equal(page_to_pfn(p) & ((1UL << order) - 1), 0);
		va = page_address(p);
		assert_non_null(va);
		for (unsigned long i = 0; i < (PAGE_SIZE << order); i += 509)
			assert_int_equal(va[i], 0);
		memset(va, 0xa5, PAGE_SIZE << order);
		assert_ptr_equal(virt_to_page(va), p);
		assert_ptr_equal(pfn_to_page(page_to_pfn(p)), p);
		assert_int_equal(__pa(va), (phys_addr_t)page_to_pfn(p) << PAGE_SHIFT);
		assert_ptr_equal(__va(__pa(va)), va);
		__free_pages(p, order);
	}
	unsigned long z = get_zeroed_page(GFP_KERNEL);
	assert_true(z != 0);
	for (unsigned long i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(((unsigned char *)z)[i], 0);
	free_page(z);
}

/* Random alloc/free: blocks never overlap, and once everything is freed
 * buddyinfo is back to its boot state (full coalescing). */
static void test_no_overlap_and_full_coalescing(void **state)
{
	enum { N = 600 };
	struct page *pages[N];
	unsigned int orders[N];
	unsigned long seed = 12345;
	char *before, *after;

	(void)state;
	drain_all_pages(NULL);
	before = proc_text("buddyinfo");
	memset(pages, 0, sizeof(pages));
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < N; i++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			if (pages[i] && (seed >> 60) < 8) {
				__free_pages(pages[i], orders[i]);
				pages[i] = NULL;
			} else if (!pages[i]) {
				orders[i] = (unsigned int)((seed >> 33) % 6);
				pages[i] = alloc_pages(GFP_KERNEL, orders[i]);
				assert_non_null(pages[i]);
			}
		}
		/* overlap check: sort-free O(n^2) over live blocks */
		for (int i = 0; i < N; i++) {
			if (!pages[i])
				continue;
			unsigned long a = page_to_pfn(pages[i]), ae = a + (1UL << orders[i]);
			for (int j = i + 1; j < N; j++) {
				if (!pages[j])
					continue;
				unsigned long b = page_to_pfn(pages[j]), be = b + (1UL << orders[j]);
				assert_true(ae <= b || be <= a);
			}
		}
	}
	assert_int_equal(buddy_verify(), 0);
	for (int i = 0; i < N; i++)
		if (pages[i])
			__free_pages(pages[i], orders[i]);
	drain_all_pages(NULL);
	assert_int_equal(buddy_verify(), 0);
	after = proc_text("buddyinfo");
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void test_zone_modifiers(void **state)
{
	struct page *p;

	(void)state;
	p = alloc_pages(GFP_DMA, 1);
	assert_non_null(p);
	assert_true(page_to_pfn(p) < 4096);
	__free_pages(p, 1);
	p = alloc_pages(GFP_DMA32, 0);
	assert_non_null(p);
	assert_true(page_to_pfn(p) < (4UL << 18));
	__free_pages(p, 0);
	/* GFP_KERNEL with 256M: Normal is empty, falls back to DMA32 then DMA */
	p = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(p);
	assert_true(page_to_pfn(p) >= 4096);
	__free_pages(p, 0);
}

static void test_compound_and_exact(void **state)
{
	struct page *p;
	unsigned long before = free_now();
	void *v;

	(void)state;
	p = alloc_pages(GFP_KERNEL | __GFP_COMP, 4);
	assert_non_null(p);
	assert_int_equal(compound_order(p), 4);
	for (int i = 1; i < 16; i++)
		assert_ptr_equal(compound_head(p + i), p);
	__free_pages(p, 4);
	/* the tails are plain pages again */
	p = alloc_pages(GFP_KERNEL, 4);
	assert_ptr_equal(compound_head(p + 3), p + 3);
	__free_pages(p, 4);

	v = alloc_pages_exact(5 * PAGE_SIZE + 1, GFP_KERNEL);
	assert_non_null(v);
	memset(v, 1, 5 * PAGE_SIZE + 1);
	/* order 3 was allocated, two pages beyond the sixth went back */
	assert_int_equal(before - free_now(), 6);
	free_pages_exact(v, 5 * PAGE_SIZE + 1);
	assert_int_equal(free_now(), before);
}

/* Every misuse: exactly one report, and the allocator exactly as before. */
static void test_misuse_reported_and_refused(void **state)
{
	struct page *p, *q;
	unsigned long before;
	char *bi_before, *bi_after;
	int local;

	(void)state;
	p = alloc_pages(GFP_KERNEL, 3);
	q = alloc_pages(GFP_KERNEL, 0);
	assert_non_null(p);
	before = free_now();
	bi_before = proc_text("buddyinfo");

	EXPECT_ONE_REPORT("allocated with order 3", __free_pages(p, 2));
	EXPECT_ONE_REPORT("allocated with order 3", free_pages((unsigned long)page_address(p), 0));
	EXPECT_ONE_REPORT("not the head", __free_pages(p + 1, 0));
	EXPECT_ONE_REPORT("not a page kmm handed out", free_pages((unsigned long)&local, 0));
	EXPECT_ONE_REPORT("not a page kmm handed out",
			  free_pages((unsigned long)page_address(p) + 8, 3));
	EXPECT_ONE_REPORT("not a kmm struct page", __free_pages((struct page *)&local, 0));
	EXPECT_ONE_REPORT("above MAX_PAGE_ORDER", __free_pages(p, MAX_PAGE_ORDER + 1));
	EXPECT_ONE_REPORT("order 11 above MAX_PAGE_ORDER",
			  assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1)));
	EXPECT_ONE_REPORT("conflicting zone modifiers",
			  assert_null(alloc_pages(__GFP_DMA | __GFP_HIGHMEM | GFP_KERNEL, 0)));
	EXPECT_ONE_REPORT("conflicting zone modifiers",
			  assert_null(alloc_pages(__GFP_DMA | __GFP_DMA32, 0)));
	EXPECT_ONE_REPORT("__GFP_NOFAIL with order 3",
			  assert_null(alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 3)));

	assert_int_equal(free_now(), before);
	bi_after = proc_text("buddyinfo");
	assert_string_equal(bi_before, bi_after);
	free(bi_after);

	/* double free: the first free is fine, the second is refused */
	__free_pages(q, 0);
	before = free_now();
	bi_before[0] = 0;
	free(bi_before);
	bi_before = proc_text("buddyinfo");
	EXPECT_ONE_REPORT("double free", __free_pages(q, 0));
	/* the same while the page still sits on a pcp list */
	q = alloc_pages(GFP_KERNEL, 0);
	__free_pages(q, 0);
	EXPECT_ONE_REPORT("double free", __free_pages(q, 0));
	assert_int_equal(free_now(), before);
	bi_after = proc_text("buddyinfo");
	assert_string_equal(bi_before, bi_after);
	free(bi_before);
	free(bi_after);
	__free_pages(p, 3);
}

/* Pages a subsystem owns cannot be freed behind its back. */
static void test_owned_pages_refused(void **state)
{
	unsigned long before;
	void *v = vmalloc(PAGE_SIZE), *big = kmalloc(5 * PAGE_SIZE, GFP_KERNEL);
	void *obj = kmalloc(64, GFP_KERNEL);

	(void)state;
	assert_non_null(v);
	assert_non_null(big);
	before = free_now();
	EXPECT_ONE_REPORT("mapped by vmalloc", __free_pages(vmalloc_to_page(v), 0));
	EXPECT_ONE_REPORT("large kmalloc", __free_pages(virt_to_page(big), get_order(5 * PAGE_SIZE)));
	EXPECT_ONE_REPORT("belongs to a slab", __free_pages(compound_head(virt_to_page(obj)),
							    compound_order(compound_head(virt_to_page(obj)))));
	assert_int_equal(free_now(), before);
	memset(v, 1, PAGE_SIZE);
	memset(big, 2, 5 * PAGE_SIZE);
	vfree(v);
	kfree(big);
	kfree(obj);
}

/* A sleeping allocation in atomic context is a bug: refused. */
static void test_sleeping_alloc_in_atomic(void **state)
{
	unsigned long flags;
	struct page *p;

	(void)state;
	preempt_disable();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  assert_null(alloc_pages(GFP_KERNEL, 0)));
	p = alloc_pages(GFP_ATOMIC, 0);
	assert_non_null(p);
	__free_pages(p, 0);
	preempt_enable();

	local_irq_save(flags);
	EXPECT_ONE_REPORT("sleeping function called", assert_null(alloc_pages(GFP_NOIO, 0)));
	local_irq_restore(flags);

	kmm_irq_enter();
	assert_true(in_interrupt());
	assert_false(in_task());
	EXPECT_ONE_REPORT("sleeping function called", assert_null(alloc_pages(GFP_KERNEL, 0)));
	p = alloc_pages(GFP_ATOMIC, 1);
	assert_non_null(p);
	__free_pages(p, 1);
	kmm_irq_exit();
	assert_true(in_task());
	assert_false(in_atomic());
}

struct mt_arg {
	int cpu;
	int iters;
	unsigned long failures;
};

static void *mt_worker(void *argp)
{
	struct mt_arg *a = argp;
	struct page *held[64] = { 0 };
	unsigned int held_order[64];
	unsigned long seed = (unsigned long)a->cpu * 7919 + 1;

	kmm_cpu_bind(a->cpu);
	for (int i = 0; i < a->iters; i++) {
		int slot;
		unsigned int order;

		seed = seed * 6364136223846793005UL + 1;
		slot = (int)((seed >> 40) % 64);
		order = (unsigned int)((seed >> 20) % 4);
		if (held[slot]) {
			unsigned char *va = page_address(held[slot]);

			/* no one else wrote to our page */
			if (va[0] != (unsigned char)a->cpu)
				a->failures++;
			__free_pages(held[slot], held_order[slot]);
			held[slot] = NULL;
		} else {
			struct page *p = alloc_pages(GFP_KERNEL, order);

			if (!p) {
				a->failures++;
				continue;
			}
			memset(page_address(p), a->cpu, PAGE_SIZE << order);
			held_order[slot] = order;
			held[slot] = p;
		}
	}
	for (int i = 0; i < 64; i++)
		if (held[i])
			__free_pages(held[i], held_order[i]);
	return NULL;
}

static void test_multithreaded_bound_cpus(void **state)
{
	enum { T = 8 };
	pthread_t th[T];
	struct mt_arg args[T];
	unsigned long before = free_now();

	(void)state;
	for (int i = 0; i < T; i++) {
		args[i] = (struct mt_arg){ .cpu = i % 4, .iters = 20000 };
		pthread_create(&th[i], NULL, mt_worker, &args[i]);
	}
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(args[i].failures, 0);
	}
	assert_int_equal(free_now(), before);
}

/* page_alloc.shuffle=1: max-order blocks are not handed out in address
 * order; without it they are. */
static void test_shuffle(void **state)
{
	struct page *p[16];
	int inversions = 0;

	(void)state;
	assert_int_equal(kmm_exit(), 0);
	assert_int_equal(kmm_init("mem=256M nr_cpus=1 kswapd=off page_alloc.shuffle=1"), 0);
	for (int i = 0; i < 16; i++)
		assert_non_null(p[i] = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER));
	for (int i = 1; i < 16; i++)
		inversions += page_to_pfn(p[i]) < page_to_pfn(p[i - 1]);
	for (int i = 0; i < 16; i++)
		__free_pages(p[i], MAX_PAGE_ORDER);
	assert_true(inversions > 0 && inversions < 15);
	assert_int_equal(kmm_exit(), 0);
	assert_int_equal(boot(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_zero),
		cmocka_unit_test(test_no_overlap_and_full_coalescing),
		cmocka_unit_test(test_zone_modifiers),
		cmocka_unit_test(test_compound_and_exact),
		cmocka_unit_test(test_misuse_reported_and_refused),
		cmocka_unit_test(test_owned_pages_refused),
		cmocka_unit_test(test_sleeping_alloc_in_atomic),
		cmocka_unit_test(test_multithreaded_bound_cpus),
		cmocka_unit_test(test_shuffle),
	};
	return cmocka_run_group_tests(tests, boot, shutdown);
}
