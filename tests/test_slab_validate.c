/* validate_slab_cache(), the kernel's per-error count (kmm_bug_count())
 * beside the per-report one (kmm_report_count()), __kmalloc_cache_noprof()
 * and SLAB_KMALLOC caches made by users: the cases of the kernel's own
 * slub_kunit, each with the count the kernel expects, and their misuse. */
#include <pthread.h>
#include "kmm_test.h"
#include "slub/kmalloc.h"
#include "slub/slab.h"

/* Writes the test makes on purpose into red zones and freed objects,
 * which ASan builds poison. */
noinline __attribute__((no_sanitize("address")))
static void poke(void *p, long off, unsigned char v)
{
	((volatile unsigned char *)p)[off] = v;
}

struct counts {
	unsigned long reports, errors;
};

static struct counts counts_now(void)
{
	return (struct counts){ kmm_report_count(), kmm_bug_count() };
}

/* Since `c`: `reports` reports naming `errors` errors. */
static void expect_counts(struct counts c, unsigned long reports, unsigned long errors)
{
	assert_int_equal(kmm_report_count() - c.reports, reports);
	assert_int_equal(kmm_bug_count() - c.errors, errors);
}

/* Validates `s` with reports silenced: one report, two errors (the damage
 * and its repair), and `first` in the report; a second walk finds nothing. */
static void validate_finds(struct kmem_cache *s, const char *first)
{
	struct counts c = counts_now();
	char rep[256];

	kmm_report_quiet(true);
	assert_true(validate_slab_cache(s) >= 1);
	kmm_report_quiet(false);
	expect_counts(c, 1, 2);
	kmm_last_report(rep, sizeof(rep));
	if (!strstr(rep, first))
		fail_msg("report '%s' lacks '%s'", rep, first);
	c = counts_now();
	assert_true(validate_slab_cache(s) >= 1);
	expect_counts(c, 0, 0);
}

/* slub_kunit's cases: each damage is two errors, as SLUB counts them. */
static void test_validate_kunit_cases(void **state)
{
	struct kmem_cache *s;
	unsigned char *p;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(0);

	/* test_clobber_zone: the right red zone of a live object */
	s = kmem_cache_create("rz_alloc", 64, 0, SLAB_RED_ZONE, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	poke(p, 64, 0x12);
	validate_finds(s, "BUG rz_alloc (Not tainted): Right Redzone overwritten");
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);

	/* test_first_word, test_clobber_50th_byte: a freed object's poison */
	for (int off = 0; off <= 50; off += 50) {
		s = kmem_cache_create("poison_free", 64, 0, SLAB_POISON, NULL);
		p = kmem_cache_alloc(s, GFP_KERNEL);
		kmem_cache_free(s, p);
		poke(p, off, 0x78);
		validate_finds(s, "BUG poison_free (Not tainted): Poison overwritten");
		kmem_cache_destroy(s);
	}

	/* test_clobber_redzone_free: a freed object's red zone */
	s = kmem_cache_create("rz_free", 64, 0, SLAB_RED_ZONE, NULL);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, p);
	poke(p, 64, 0xab);
	validate_finds(s, "BUG rz_free (Not tainted): Right Redzone overwritten");
	kmem_cache_destroy(s);

	/* test_kmalloc_redzone_access: past the requested size of a kmalloc */
	s = kmem_cache_create("rz_kmalloc", 32, 0,
			      SLAB_KMALLOC | SLAB_STORE_USER | SLAB_RED_ZONE, NULL);
	p = __kmalloc_cache_noprof(s, GFP_KERNEL, 18);
	poke(p, 18, 0xab);
	poke(p, 19, 0xab);
	validate_finds(s, "BUG rz_kmalloc (Not tainted): kmalloc Redzone overwritten");
	kmem_cache_free(s, p);
	kmem_cache_destroy(s);

	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

/* test_krealloc_redzone_zeroing: krealloc within the object moves the
 * red zone, __GFP_ZERO zeroes what the caller gains, a larger size moves
 * the object to kmalloc's own caches; validation finds nothing. */
static void test_krealloc_redzone_zeroing(void **state)
{
	struct kmem_cache *s;
	struct counts c;
	unsigned char *p;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	c = counts_now();
	s = kmem_cache_create("krealloc", 64, 0,
			      SLAB_KMALLOC | SLAB_STORE_USER | SLAB_RED_ZONE, NULL);
	p = __kmalloc_cache_noprof(s, GFP_KERNEL, 48);
	memset(p, 0xff, 48);
	p = krealloc(p, 40, GFP_KERNEL | __GFP_ZERO);
#ifndef KMM_ASAN
	for (int i = 40; i < 64; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
#endif
	p = krealloc(p, 56, GFP_KERNEL | __GFP_ZERO);
	for (int i = 40; i < 56; i++)
		assert_int_equal(p[i], 0);
#ifndef KMM_ASAN
	for (int i = 56; i < 64; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
#endif
	assert_true(validate_slab_cache(s) >= 1);
	memset(p, 0xff, 56);
	p = krealloc(p, 112, GFP_KERNEL | __GFP_ZERO);
	assert_int_equal(ksize(p), 128);
	for (int i = 0; i < 56; i++)
		assert_int_equal(p[i], 0xff);
	for (int i = 56; i < 112; i++)
		assert_int_equal(p[i], 0);
	kfree(p);
	kmem_cache_destroy(s);
	expect_counts(c, 0, 0);
	assert_int_equal(kmm_exit(), 0);
}

/* test_leak_destroy: the report, and each object left, are errors. */
static void test_leak_on_destroy_counts_each_object(void **state)
{
	struct kmem_cache *s;
	struct counts c;
	void *p[3];

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	s = kmem_cache_create("leaky", 64, 0, 0, NULL);
	for (int i = 0; i < 3; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	c = counts_now();
	kmm_report_quiet(true);
	kmem_cache_destroy(s);
	kmm_report_quiet(false);
	expect_counts(c, 1, 4);
	/* the cache stays, usable, and goes once it is empty */
	for (int i = 0; i < 3; i++)
		kmem_cache_free(s, p[i]);
	c = counts_now();
	kmem_cache_destroy(s);
	expect_counts(c, 0, 0);
	assert_int_equal(kmm_exit(), 0);
}

/* A plain cache: validation first brings every CPU's slab back to the
 * node, so a slab a CPU was using is walked too. */
static void test_validate_flushes_cpu_slabs(void **state)
{
	struct kmem_cache *s;
	struct counts c;
	void *p[200];
	long walked;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	kmm_cpu_bind(0);
	s = kmem_cache_create("plain", 96, 0, 0, NULL);
	for (int i = 0; i < 200; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 200; i += 2)
		kmem_cache_free(s, p[i]);
	c = counts_now();
	walked = validate_slab_cache(s);
	expect_counts(c, 0, 0);
	assert_true(walked >= 1);
	assert_int_equal(walked, (long)atomic_load_relaxed(&s->node.nr_partial));
	assert_null(atomic_load_relaxed(&per_cpu_ptr(s->cpu_slab, 0)->slab));
	for (int i = 1; i < 200; i += 2)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

static void test_validate_bad_input(void **state)
{
	struct kmem_cache *s;
	long ret = 0;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	EXPECT_ONE_REPORT("validate_slab_cache: (nil) is not a live cache",
			  ret = validate_slab_cache(NULL));
	assert_int_equal(ret, -EINVAL);
	s = kmem_cache_create("gone", 64, 0, 0, NULL);
	kmem_cache_destroy(s);
	EXPECT_ONE_REPORT("is not a live cache", ret = validate_slab_cache(s));
	assert_int_equal(ret, -EINVAL);
	s = kmem_cache_create("atomic", 64, 0, 0, NULL);
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  ret = validate_slab_cache(s));
	kmm_irq_exit();
	assert_int_equal(ret, -EINVAL);
	kmem_cache_destroy(s);
	assert_int_equal(kmm_exit(), 0);
}

/* A SLAB_KMALLOC cache of the caller's: the requested size is kept, the
 * rest of the object is red zone; kmalloc's own caches are never
 * destroyed, the caller's are. */
static void test_kmalloc_cache_noprof(void **state)
{
	struct kmem_cache *s, *bucket;
	unsigned char *p;
	void *q = NULL;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	s = kmem_cache_create("mine", 64, 0, SLAB_KMALLOC | SLAB_RED_ZONE, NULL);
	assert_true(s->flags & SLAB_KMALLOC);
	p = __kmalloc_cache_noprof(s, GFP_KERNEL | __GFP_ZERO, 40);
	for (int i = 0; i < 40; i++)
		assert_int_equal(p[i], 0);
#ifndef KMM_ASAN
	for (int i = 40; i < 64; i++)
		assert_int_equal(p[i], SLUB_RED_ACTIVE);
#endif
	poke(p, 45, 0);
	EXPECT_ONE_REPORT("BUG mine (Not tainted): kmalloc Redzone overwritten",
			  kmem_cache_free(s, p));
	/* ksize() gives the caller the whole object */
	p = __kmalloc_cache_noprof(s, GFP_KERNEL, 40);
	assert_int_equal(ksize(p), 64);
	memset(p, 1, 64);
	kfree(p);
	EXPECT_ONE_REPORT("__kmalloc_cache_noprof: 65 bytes from mine, whose objects are 64 bytes",
			  q = __kmalloc_cache_noprof(s, GFP_KERNEL, 65));
	assert_null(q);
	EXPECT_ONE_REPORT("__kmalloc_cache_noprof: no cache",
			  q = __kmalloc_cache_noprof(NULL, GFP_KERNEL, 8));
	assert_null(q);
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  q = __kmalloc_cache_noprof(s, GFP_KERNEL, 8));
	assert_null(q);
	q = __kmalloc_cache_noprof(s, GFP_ATOMIC, 8);
	assert_non_null(q);
	kfree(q);
	kmm_irq_exit();
	kmem_cache_destroy(s);

	/* one of kmalloc's caches, as the kernel's kmalloc() picks it */
	bucket = kmalloc_slab(100, GFP_KERNEL);
	q = __kmalloc_cache_noprof(bucket, GFP_KERNEL, 100);
	assert_int_equal(ksize(q), 128);
	kfree(q);
	EXPECT_ONE_REPORT("kmem_cache_destroy: kmalloc-128 is a kmalloc cache",
			  kmem_cache_destroy(bucket));
	assert_int_equal(kmm_exit(), 0);
}

struct churn {
	struct kmem_cache *s[2];
	int cpu, stop;		/* atomic stop */
	unsigned long rounds;	/* atomic */
};

/* Allocates, fills and frees objects of both caches, keeping some live,
 * until told to stop. */
static void *churn(void *arg)
{
	struct churn *c = arg;
	void *live[2][32] = { { NULL } };

	kmm_cpu_bind(c->cpu);
	for (unsigned long r = 0; !atomic_load_acquire(&c->stop); r++) {
		for (int k = 0; k < 2; k++) {
			unsigned int slot = (unsigned int)(r * 7 + (unsigned long)k) % 32;

			if (live[k][slot])
				kmem_cache_free(c->s[k], live[k][slot]);
			live[k][slot] = kmem_cache_alloc(c->s[k], GFP_KERNEL);
			memset(live[k][slot], (int)r, 80);
		}
		atomic_store_relaxed(&c->rounds, r + 1);
	}
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 32; i++)
			if (live[k][i])
				kmem_cache_free(c->s[k], live[k][i]);
	kmm_cpu_unbind();
	return NULL;
}

/* Validation beside allocations and frees on every CPU, of a plain and
 * a debug cache: it flushes the CPUs under their feet and finds nothing. */
static void test_validate_beside_churn(void **state)
{
	struct churn c[2];
	pthread_t t[2];
	struct kmem_cache *s[2];
	struct counts before;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 kswapd=off"), 0);
	s[0] = kmem_cache_create("churn_plain", 80, 0, 0, NULL);
	s[1] = kmem_cache_create("churn_debug", 80, 0,
				 SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER, NULL);
	before = counts_now();
	for (int i = 0; i < 2; i++) {
		c[i] = (struct churn){ { s[0], s[1] }, i, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, churn, &c[i]), 0);
	}
	for (int i = 0; i < 100 || atomic_load_relaxed(&c[0].rounds) < 2000 ||
			atomic_load_relaxed(&c[1].rounds) < 2000; i++) {
		assert_true(validate_slab_cache(s[0]) >= 0);
		assert_true(validate_slab_cache(s[1]) >= 0);
	}
	for (int i = 0; i < 2; i++)
		atomic_store_release(&c[i].stop, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	expect_counts(before, 0, 0);
	kmem_cache_destroy(s[0]);
	kmem_cache_destroy(s[1]);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_kunit_cases),
		cmocka_unit_test(test_krealloc_redzone_zeroing),
		cmocka_unit_test(test_leak_on_destroy_counts_each_object),
		cmocka_unit_test(test_validate_flushes_cpu_slabs),
		cmocka_unit_test(test_validate_bad_input),
		cmocka_unit_test(test_kmalloc_cache_noprof),
		cmocka_unit_test(test_validate_beside_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
