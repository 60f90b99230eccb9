/* slub_debug's detectors, each provoked on purpose: exactly the expected
 * report, then the allocator keeps working. Also the slub_debug= syntax,
 * hardening boot parameters, failslab and its cache filter, and kmm_exit's
 * leak count. */
#include "kmm_test.h"
#include "slub/slab_verify.h"

/* Writes the test makes on purpose into red zones and freed objects,
 * which ASan builds poison. */
noinline __attribute__((no_sanitize("address")))
static void poke(void *p, long off, unsigned char v)
{
	((volatile unsigned char *)p)[off] = v;
}

noinline __attribute__((no_sanitize("address")))
static unsigned long peek_ul(const void *p)
{
	return *(const volatile unsigned long *)p;
}

static void boot(const char *cmdline)
{
	assert_int_equal(kmm_init(cmdline), 0);
}

static void test_right_redzone(void **state)
{
	unsigned char *p;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
	p = kmalloc(64, GFP_KERNEL);
	memset(p, 1, 64);
	poke(p, 64, 0);
	EXPECT_ONE_REPORT("BUG kmalloc-64 (Not tainted): Right Redzone overwritten", kfree(p));
	/* repaired and freed: the cache keeps working and nothing leaks */
	p = kmalloc(64, GFP_KERNEL);
	kfree(p);
	assert_int_equal(kmm_exit(), 0);
}

static void test_left_redzone(void **state)
{
	unsigned char *p;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=Z");
	p = kmalloc(100, GFP_KERNEL);
	poke(p, -1, 0x77);
	EXPECT_ONE_REPORT("BUG kmalloc-128 (Not tainted): Left Redzone overwritten", kfree(p));
	assert_int_equal(kmm_exit(), 0);
}

static void test_write_after_free(void **state)
{
	unsigned char *p, *q;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=P");
	p = kmalloc(64, GFP_KERNEL);
	kfree(p);
	poke(p, 10, 0x00);
	/* the freed object is the next one handed out: its poison is checked */
	EXPECT_ONE_REPORT("BUG kmalloc-64 (Not tainted): Poison overwritten",
			  q = kmalloc(64, GFP_KERNEL));
	assert_ptr_equal(p, q);
	kfree(q);
	assert_int_equal(kmm_exit(), 0);
}

static void test_poison_patterns(void **state)
{
	struct kmem_cache *s;
	unsigned char *p;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
	s = kmem_cache_create("patterns", 40, 0, 0, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	/* an allocated object still shows the free poison (as in the kernel)
	 * and is bounded by active red zones */
	for (int i = 0; i < 39; i++)
		assert_int_equal(p[i], POISON_FREE);
	assert_int_equal(p[39], POISON_END);
#ifndef KMM_ASAN
	assert_int_equal(p[40], SLUB_RED_ACTIVE);
	assert_int_equal(p[-1], SLUB_RED_ACTIVE);
#endif
	kmem_cache_free(s, p);
#ifndef KMM_ASAN
	assert_int_equal(p[40], SLUB_RED_INACTIVE);
	assert_int_equal(p[0], POISON_FREE);
#endif
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

static void test_double_free_and_wrong_cache(void **state)
{
	struct kmem_cache *a, *b;
	void *p, *q;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
	a = kmem_cache_create("dbg-a", 32, 0, 0, NULL);
	b = kmem_cache_create("dbg-b", 32, 0, 0, NULL);
	p = kmem_cache_alloc(a, GFP_KERNEL);
	q = kmem_cache_alloc(a, GFP_KERNEL);
	kmem_cache_free(a, p);
	/* p is not the freelist head any more: only the debug walk finds it */
	kmem_cache_free(a, q);
	EXPECT_ONE_REPORT("BUG dbg-a (Not tainted): Object already free", kmem_cache_free(a, p));
	p = kmem_cache_alloc(a, GFP_KERNEL);
	EXPECT_ONE_REPORT("Wrong slab cache. dbg-b but object is from dbg-a", kmem_cache_free(b, p));
	kmem_cache_free(a, p);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	assert_int_equal(kmm_exit(), 0);
}

static void test_named_caches_only(void **state)
{
	struct kmem_cache *a, *b;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=ZU,foo*,kmalloc-64");
	a = kmem_cache_create("foobar", 32, 0, 0, NULL);
	b = kmem_cache_create("other", 32, 0, 0, NULL);
	assert_true(a->flags & SLAB_RED_ZONE);
	assert_true(a->flags & SLAB_STORE_USER);
	assert_false(b->flags & (SLAB_RED_ZONE | SLAB_STORE_USER | SLAB_POISON));
	assert_true(a->special);
	assert_false(b->special);
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
	assert_int_equal(kmm_exit(), 0);
}

static void test_hardening(void **state)
{
	struct kmem_cache *s;
	void *p[64];
	bool in_order = true;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off init_on_alloc=1 init_on_free=1 slab_freelist_random=1");
	s = kmem_cache_create("hard", 64, 0, 0, NULL);
	kmm_cpu_bind(0);
	for (int i = 0; i < 64; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		for (int j = 0; j < 64; j++)
			assert_int_equal(((unsigned char *)p[i])[j], 0);
		memset(p[i], 0xee, 64);
		if (i && p[i] != (char *)p[i - 1] + 64)
			in_order = false;
	}
	/* a shuffled freelist does not hand out consecutive slots */
	assert_false(in_order);
	for (int i = 0; i < 64; i++)
		kmem_cache_free(s, p[i]);
	kmm_cpu_unbind();
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

static void test_freelist_pointer_obfuscated(void **state)
{
	struct kmem_cache *s;
	void *a, *b;
	unsigned long stored;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off");
	s = kmem_cache_create("obf", 64, 0, 0, NULL);
	kmm_cpu_bind(0);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	void *pair[2] = { a, b };

	/* The bulk free chains them on a freelist (a single free would go
	 * onto the CPU's sheaf). */
	kmem_cache_free_bulk(s, 2, pair);
	/* a's free pointer (mid-object) names b, but not in the clear */
	stored = peek_ul((char *)a + s->offset);
	assert_true(stored != (unsigned long)b);
	assert_ptr_equal(get_freepointer(s, a), b);
	kmm_cpu_unbind();
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

static void test_failslab(void **state)
{
	void *p;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off failslab=1,100,0,2");
	/* the kernel's default ignores sleeping allocations */
	p = kmalloc(32, GFP_KERNEL);
	assert_non_null(p);
	kfree(p);
	assert_null(kmalloc(32, GFP_ATOMIC));
	assert_null(kmalloc(32, GFP_ATOMIC));
	p = kmalloc(32, GFP_ATOMIC);	/* times=2 used up */
	assert_non_null(p);
	kfree(p);
	assert_int_equal(kmm_exit(), 0);
}

/* The slab tail after the last slot of a poisoned cache: checked by
 * validation and when the slab goes back to the buddy, then restored. */
static void test_slab_padding(void **state)
{
	struct kmem_cache *s;
	struct page *slab;
	unsigned char *p, *end;
	unsigned long length;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=P");
	s = kmem_cache_create("pad", 40, 0, 0, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	slab = object_head_page(p);
	length = PAGE_SIZE << compound_order(slab);
	assert_true(length % s->size > 0);
	end = (unsigned char *)slab_address(slab) + length;
	assert_int_equal(slab_validate(s, NULL), 0);

	poke(end, -1, 0x11);
	EXPECT_ONE_REPORT("BUG pad (Not tainted): Padding overwritten", slab_validate(s, NULL));
	assert_int_equal(slab_validate(s, NULL), 0);	/* restored */

	poke(end, -(long)(length % s->size), 0x22);
	kmem_cache_free(s, p);
	/* the empty slab goes back to the buddy: its tail is checked */
	EXPECT_ONE_REPORT("BUG pad (Not tainted): Padding overwritten", kmem_cache_shrink(s));
	p = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

/* Validation of live and free objects of every debug layout finds nothing
 * when nothing is wrong, and a damaged free object once. */
static void test_validate_clean_and_damaged(void **state)
{
	struct kmem_cache *s;
	void *obj[64], *k[8];
	unsigned long before;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
	s = kmem_cache_create("valid", 100, 0, 0, NULL);
	for (int i = 0; i < 64; i++)
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 64; i += 2)
		kmem_cache_free(s, obj[i]);
	for (int i = 0; i < 8; i++)
		k[i] = kmalloc(1 + 37 * i, GFP_KERNEL);
	before = kmm_bug_count();
	assert_int_equal(slab_validate(s, NULL), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(slab_validate(object_head_page(k[i])->slab_cache, NULL), 0);
	assert_int_equal(kmm_bug_count(), before);

	poke(obj[0], 3, 0);	/* write after free */
	EXPECT_ONE_REPORT("BUG valid (Not tainted): Poison overwritten", slab_validate(s, NULL));
	assert_int_equal(slab_validate(s, NULL), 0);
	for (int i = 1; i < 64; i += 2)
		kmem_cache_free(s, obj[i]);
	for (int i = 0; i < 8; i++)
		kfree(k[i]);
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

/* The padding between a slot's metadata and the next slot
 * (check_pad_bytes), after the tracks and, in kmalloc caches, orig_size. */
static void test_object_padding(void **state)
{
	struct kmem_cache *s;
	unsigned char *p;
	unsigned int pad;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
	s = kmem_cache_create("objpad", 100, 0, 0, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	/* object 100 + red zone 4 | free pointer | 2 tracks | padding */
	pad = s->inuse + sizeof(void *) + 2 * sizeof(struct slab_track);
	assert_true(pad < s->size - s->red_left_pad);
	poke(p, pad, 0);
	EXPECT_ONE_REPORT("BUG objpad (Not tainted): Object padding overwritten",
			  kmem_cache_free(s, p));
	kmem_cache_destroy(s);

	p = kmalloc(20, GFP_KERNEL);
	s = object_head_page(p)->slab_cache;
	pad = s->inuse + sizeof(void *) + 2 * sizeof(struct slab_track) + sizeof(unsigned int);
	assert_true(pad < s->size - s->red_left_pad);
	poke(p, pad, 0);
	EXPECT_ONE_REPORT("BUG kmalloc-32 (Not tainted): Object padding overwritten", kfree(p));
	assert_int_equal(kmm_exit(), 0);
}

/* kmalloc(20) from kmalloc-32: bytes 20..31 are red zone (the kernel's
 * orig_size), with Z alone and with everything on. */
static void test_kmalloc_redzone(void **state)
{
	static const char *const cmdlines[] = {
		"mem=128M nr_cpus=2 kswapd=off slub_debug=Z",
		"mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU",
	};
	unsigned char *p;

	(void)state;
	for (int c = 0; c < 2; c++) {
		boot(cmdlines[c]);
		p = kmalloc(20, GFP_KERNEL);
		memset(p, 1, 20);
		poke(p, 20, 1);
		EXPECT_ONE_REPORT("BUG kmalloc-32 (Not tainted): kmalloc Redzone overwritten",
				  kfree(p));
		/* the last byte of the class too, and found by validation */
		p = kmalloc(20, GFP_KERNEL);
		poke(p, 31, 0);
		EXPECT_ONE_REPORT("BUG kmalloc-32 (Not tainted): kmalloc Redzone overwritten",
				  slab_validate(object_head_page(p)->slab_cache, NULL));
		kfree(p);
		/* kzalloc zeroes the request; the slack stays red zone */
		p = kzalloc(20, GFP_KERNEL);
		for (int i = 0; i < 20; i++)
			assert_int_equal(p[i], 0);
#ifndef KMM_ASAN
		for (int i = 20; i < 32; i++)
			assert_int_equal(p[i], SLUB_RED_ACTIVE);
#endif
		kfree(p);
		/* a full class has no kmalloc red zone */
		p = kmalloc(32, GFP_KERNEL);
		memset(p, 2, 32);
		kfree(p);
		assert_int_equal(kmm_exit(), 0);
	}
}

/* ksize() hands the whole class to the caller; krealloc within the object
 * moves the red zone to the new size. */
static void test_kmalloc_redzone_ksize_krealloc(void **state)
{
	unsigned long before, errors;
	unsigned char *p, *q;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=FZPU");
	before = kmm_report_count();
	errors = kmm_bug_count();
	p = kmalloc(20, GFP_KERNEL);
	assert_int_equal(ksize(p), 32);
	memset(p, 3, 32);
	kfree(p);
	assert_int_equal(kmm_report_count(), before);

	p = kmalloc(20, GFP_KERNEL);
	memset(p, 'a', 20);
	q = krealloc(p, 28, GFP_KERNEL);	/* grows within kmalloc-32 */
	assert_ptr_equal(p, q);
	for (int i = 0; i < 20; i++)
		assert_int_equal(q[i], 'a');
	memset(q, 'b', 28);
	q = krealloc(q, 10, GFP_KERNEL);	/* shrinks: 10..31 is red zone */
	assert_ptr_equal(p, q);
	assert_int_equal(kmm_report_count(), before);
	poke(q, 12, 0);
	EXPECT_ONE_REPORT("BUG kmalloc-32 (Not tainted): kmalloc Redzone overwritten",
			  q = krealloc(q, 100, GFP_KERNEL));
	/* moved to kmalloc-128 with the 10 requested bytes */
	assert_ptr_not_equal(p, q);
	for (int i = 0; i < 10; i++)
		assert_int_equal(q[i], 'b');
	q = krealloc(q, 64, GFP_KERNEL | __GFP_ZERO);
	q = krealloc(q, 100, GFP_KERNEL | __GFP_ZERO);	/* 64..99 zeroed again */
	for (int i = 64; i < 100; i++)
		assert_int_equal(q[i], 0);
	kfree(q);
	/* one report, two errors as the kernel counts them: the overwrite
	 * and its repair (FIX) */
	assert_int_equal(kmm_report_count(), before + 1);
	assert_int_equal(kmm_bug_count(), errors + 2);
	/* ksize() is still the class, the kernel's table, and after it the
	 * whole class may be written */
	for (size_t n = 1; n <= 8192; n += n < 512 ? 1 : 61) {
		size_t class = n <= 8 ? 8 : n <= 64 ? 1UL << (64 - __builtin_clzl(n - 1)) :
			       n <= 96 ? 96 : n <= 128 ? 128 : n <= 192 ? 192 :
			       1UL << (64 - __builtin_clzl(n - 1));

		p = kmalloc(n, GFP_KERNEL);
		assert_int_equal(ksize(p), class);
		memset(p, 4, class);
		kfree(p);
	}
	assert_int_equal(kmm_report_count(), before + 1);
	assert_int_equal(kmm_exit(), 0);
}

/* slub_debug=A marks caches for failslab; with the cache filter on only
 * those fail, and the others keep their fast paths. */
static void test_failslab_cache_filter(void **state)
{
	struct kmem_cache *foo, *bar;
	void *p;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off failslab=1,100,0,1000 failslab.cache-filter=1 "
	     "slub_debug=A,foo");
	foo = kmem_cache_create("foo", 64, 0, 0, NULL);
	bar = kmem_cache_create("bar", 64, 0, 0, NULL);
	assert_true(foo->flags & SLAB_FAILSLAB);
	assert_false(bar->flags & SLAB_FAILSLAB);
	assert_false(bar->special);
	for (int i = 0; i < 100; i++) {
		assert_null(kmem_cache_alloc(foo, GFP_ATOMIC));
		p = kmem_cache_alloc(bar, GFP_ATOMIC);
		assert_non_null(p);
		kmem_cache_free(bar, p);
		p = kmalloc(64, GFP_ATOMIC);
		assert_non_null(p);
		kfree(p);
	}
	/* ignore-gfp-wait still applies to the filtered cache */
	p = kmem_cache_alloc(foo, GFP_KERNEL);
	assert_non_null(p);
	kmem_cache_free(foo, p);
	kmem_cache_destroy(foo);
	kmem_cache_destroy(bar);
	assert_int_equal(kmm_exit(), 0);

	/* the same flags without the filter: every cache may fail */
	boot("mem=128M nr_cpus=2 kswapd=off failslab=1,100,0,1000 slub_debug=A,foo");
	assert_null(kmalloc(64, GFP_ATOMIC));
	assert_int_equal(kmm_exit(), 0);
}

static void test_exit_counts_leaks(void **state)
{
	struct kmem_cache *s;
	unsigned int order;

	(void)state;
	boot("mem=128M nr_cpus=2 kswapd=off slub_debug=U");
	s = kmem_cache_create("leak", 512, 0, 0, NULL);
	order = s->oo.order;
	assert_non_null(kmem_cache_alloc(s, GFP_KERNEL));
	kmm_report_quiet(true);
	/* one object, plus the slab pages under it */
	assert_int_equal(kmm_exit(), 1 + (1 << order));
	kmm_report_quiet(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_right_redzone),
		cmocka_unit_test(test_left_redzone),
		cmocka_unit_test(test_write_after_free),
		cmocka_unit_test(test_poison_patterns),
		cmocka_unit_test(test_double_free_and_wrong_cache),
		cmocka_unit_test(test_named_caches_only),
		cmocka_unit_test(test_hardening),
		cmocka_unit_test(test_freelist_pointer_obfuscated),
		cmocka_unit_test(test_failslab),
		cmocka_unit_test(test_slab_padding),
		cmocka_unit_test(test_validate_clean_and_damaged),
		cmocka_unit_test(test_object_padding),
		cmocka_unit_test(test_kmalloc_redzone),
		cmocka_unit_test(test_kmalloc_redzone_ksize_krealloc),
		cmocka_unit_test(test_failslab_cache_filter),
		cmocka_unit_test(test_exit_counts_leaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
