/* The kmalloc family: size classes and ksize against the kernel's table,
 * alignment, the 4 MiB limit, ZERO_SIZE_PTR, overflow, krealloc, kmemdup,
 * kstrdup, GFP_DMA, meminfo's Slab lines, and every kfree misuse. */
#include "kmm_test.h"
#include "slub/slab.h"
#include "vmalloc/space.h"
#include "buddy/mmzone.h"
#include "buddy/reclaim.h"

/* What Linux's kmalloc gives for n bytes (x86-64, SLUB, KMALLOC_MIN_SIZE 8). */
static size_t kernel_ksize(size_t n)
{
	static const size_t small[] = { 8, 16, 32, 64, 96, 128, 192 };

	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (n <= small[i])
			return small[i];
	size_t c = 256;
	while (c < n)
		c <<= 1;
	return c;
}

static int setup(void **state)
{
	(void)state;
	return kmm_init("mem=256M nr_cpus=2 kswapd=off");
}

static int teardown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

static void test_every_size(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 8192; n++) {
		unsigned char *p = kmalloc(n, GFP_KERNEL);
		size_t ks = kernel_ksize(n);

		assert_non_null(p);
		if (ksize(p) != ks)
			fail_msg("ksize(kmalloc(%zu)) = %zu, the kernel gives %zu", n, ksize(p), ks);
		/* power-of-two classes are naturally aligned, all at least 8 */
		if (!(ks & (ks - 1)))
			assert_int_equal((uintptr_t)p % ks, 0);
		assert_int_equal((uintptr_t)p % 8, 0);
		memset(p, 0xa5, ks);
		kfree(p);
	}
}

static void test_large_and_limits(void **state)
{
	unsigned long before = kmm_bug_count();
	void *p;

	(void)state;
	p = kmalloc(8193, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(ksize(p), 16384);
	assert_true(PageLargeKmalloc(virt_to_page(p)));
	kfree(p);

	p = kmalloc(KMALLOC_MAX_SIZE, GFP_KERNEL);
	assert_non_null(p);
	assert_int_equal(ksize(p), KMALLOC_MAX_SIZE);
	memset(p, 1, KMALLOC_MAX_SIZE);
	kfree(p);
	assert_int_equal(kmm_bug_count(), before);

	EXPECT_ONE_REPORT("KMALLOC_MAX_SIZE", p = kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL));
	assert_null(p);
	assert_null(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN));
	assert_int_equal(kmm_bug_count(), before + 1);
}

static void test_zero_and_overflow(void **state)
{
	unsigned long before = kmm_bug_count();
	int *a;

	(void)state;
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	assert_int_equal(ksize(ZERO_SIZE_PTR), 0);
	assert_null(kmalloc_array(SIZE_MAX / 2, 3, GFP_KERNEL));
	assert_null(kcalloc(SIZE_MAX / 4, 8, GFP_KERNEL));
	a = kcalloc(100, sizeof(int), GFP_KERNEL);
	assert_non_null(a);
	for (int i = 0; i < 100; i++)
		assert_int_equal(a[i], 0);
	kfree(a);
	a = kmalloc_array(10, sizeof(int), GFP_KERNEL);
	assert_int_equal(ksize(a), 64);
	kfree(a);
	assert_int_equal(kmm_bug_count(), before);
}

static void test_krealloc(void **state)
{
	unsigned char *p, *q;

	(void)state;
	p = kmalloc(20, GFP_KERNEL);
	for (int i = 0; i < 20; i++)
		p[i] = (unsigned char)i;
	/* grows within the class: same object */
	q = krealloc(p, 30, GFP_KERNEL);
	assert_ptr_equal(p, q);
	/* grows past it: new object, contents kept */
	q = krealloc(p, 5000, GFP_KERNEL);
	assert_non_null(q);
	for (int i = 0; i < 20; i++)
		assert_int_equal(q[i], i);
	/* into a large kmalloc and back down */
	p = krealloc(q, 100000, GFP_KERNEL);
	for (int i = 0; i < 20; i++)
		assert_int_equal(p[i], i);
	q = krealloc(p, 10, GFP_KERNEL);	/* shrink keeps the block */
	assert_ptr_equal(p, q);
	for (int i = 0; i < 10; i++)
		assert_int_equal(q[i], i);
	p = krealloc(NULL, 8, GFP_KERNEL);
	assert_int_equal(ksize(p), 8);
	assert_ptr_equal(krealloc(p, 0, GFP_KERNEL), ZERO_SIZE_PTR);
	kfree(q);
}

static void test_dup(void **state)
{
	const char msg[] = "slub and kmalloc";
	char *s = kstrdup(msg, GFP_KERNEL);
	void *d = kmemdup(msg, 5, GFP_KERNEL);

	(void)state;
	assert_string_equal(s, msg);
	assert_memory_equal(d, msg, 5);
	assert_null(kstrdup(NULL, GFP_KERNEL));
	kfree(s);
	kfree(d);
}

static void test_dma_and_reclaimable(void **state)
{
	void *p = kmalloc(100, GFP_KERNEL | GFP_DMA);
	void *r = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
	char *info;

	(void)state;
	assert_non_null(p);
	assert_int_equal(page_zone(virt_to_page(p))->type, ZONE_DMA);
	assert_int_equal(ksize(p), 128);
	info = proc_text("slabinfo");
	assert_non_null(strstr(info, "\ndma-kmalloc-128 "));
	assert_non_null(strstr(info, "\nkmalloc-rcl-128 "));
	assert_non_null(strstr(info, "\nkmalloc-96 "));
	free(info);
	kfree(p);
	kfree(r);
}

static long meminfo_kb(const char *field)
{
	char *text = proc_text("meminfo"), *line = strstr(text, field);
	long v = -1;

	if (line)
		sscanf(line + strlen(field), "%ld", &v);
	free(text);
	return v;
}

static void test_meminfo_slab(void **state)
{
	enum { N = 200 };
	void *p[N];
	long slab0, unrecl0, recl0;

	(void)state;
	shrink_slab(GFP_KERNEL, 1UL << 20);	/* no cached empty slabs */
	slab0 = meminfo_kb("\nSlab:");
	unrecl0 = meminfo_kb("\nSUnreclaim:");
	recl0 = meminfo_kb("\nSReclaimable:");
	for (int i = 0; i < N; i++)
		p[i] = kmalloc(4096, GFP_KERNEL);
	/* 200 objects of 4 KiB: at least 800 KiB of slab pages */
	assert_true(meminfo_kb("\nSlab:") >= slab0 + 800);
	assert_true(meminfo_kb("\nSUnreclaim:") >= unrecl0 + 800);
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	for (int i = 0; i < N; i++)
		p[i] = kmalloc(2048, GFP_KERNEL | __GFP_RECLAIMABLE);
	assert_true(meminfo_kb("\nSReclaimable:") >= recl0 + 400);
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	/* large kmalloc counts as unreclaimable slab, as in the kernel */
	p[0] = kmalloc(1 << 20, GFP_KERNEL);
	assert_true(meminfo_kb("\nSUnreclaim:") >= unrecl0 + 1024);
	kfree(p[0]);
	/* after shrinking, the accounting is back where it started */
	shrink_slab(GFP_KERNEL, 1UL << 20);
	assert_true(meminfo_kb("\nSlab:") <= slab0);
}

static char fake_vmalloc[8192] __attribute__((aligned(4096)));

static void test_kfree_misuse(void **state)
{
	char *p = kmalloc(64, GFP_KERNEL), *big = kmalloc(20000, GFP_KERNEL);
	struct page *pg = alloc_page(GFP_KERNEL);
	int on_stack;

	(void)state;
	EXPECT_ONE_REPORT("Invalid object pointer", kfree(p + 8));
	EXPECT_ONE_REPORT("not memory kmm handed out", kfree(&on_stack));
	EXPECT_ONE_REPORT("neither slab nor kmalloc", kfree(page_address(pg)));
	EXPECT_ONE_REPORT("inside a large kmalloc", kfree(big + 4096));
	EXPECT_ONE_REPORT("Invalid object pointer", ksize(p + 1));
	if (!vmalloc_start) {
		vmalloc_start = fake_vmalloc;
		vmalloc_end = fake_vmalloc + sizeof(fake_vmalloc);
		EXPECT_ONE_REPORT("vmalloc address", kfree(fake_vmalloc + 64));
		vmalloc_start = vmalloc_end = NULL;
	}
	/* nothing changed: the objects are intact and free normally */
	kfree(big);
	EXPECT_ONE_REPORT("neither slab nor kmalloc", kfree(big));
	kfree(p);
	EXPECT_ONE_REPORT("Object already free", kfree(p));
	__free_page(pg);
}

/* kfree(a); kfree(b); kfree(a): the second kfree of `a` is refused with
 * one report, bound to a CPU or not, and the next kmallocs of its class
 * never give `a` twice. */
static void double_free_once(void)
{
	void *a = kmalloc(64, GFP_KERNEL), *b = kmalloc(64, GFP_KERNEL), *v[8];

	kfree(a);
	kfree(b);
	EXPECT_ONE_REPORT("Object already free", kfree(a));
	for (int i = 0; i < 8; i++) {
		v[i] = kmalloc(64, GFP_KERNEL);
		assert_non_null(v[i]);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(v[i], v[j]);
	}
	for (int i = 0; i < 8; i++)
		kfree(v[i]);
}

static void test_double_free(void **state)
{
	(void)state;
	double_free_once();
	kmm_cpu_bind(0);
	double_free_once();
	kmm_cpu_unbind();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_size),
		cmocka_unit_test(test_large_and_limits),
		cmocka_unit_test(test_zero_and_overflow),
		cmocka_unit_test(test_krealloc),
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_dma_and_reclaimable),
		cmocka_unit_test(test_meminfo_slab),
		cmocka_unit_test(test_kfree_misuse),
		cmocka_unit_test(test_double_free),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
