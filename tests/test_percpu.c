/* alloc_percpu: one zeroed unit per CPU, on separate cache lines. */
#include <pthread.h>
#include <time.h>
#include "kmm_test.h"
#include "percpu/percpu_internal.h"

struct counters {
	unsigned long hits;
	int id;
};

static void test_units_distinct_zeroed_separated(void **state)
{
	struct counters *c;
	int cpu;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=8 kswapd=off"), 0);
	c = alloc_percpu(struct counters);
	assert_non_null(c);
	for_each_possible_cpu(cpu) {
		struct counters *u = per_cpu_ptr(c, cpu);

		assert_int_equal(u->hits, 0);
		assert_int_equal(u->id, 0);
		u->id = cpu;
		for (int other = 0; other < cpu; other++) {
			char *a = (char *)per_cpu_ptr(c, other), *b = (char *)u;
			/* never on the same cache line */
			assert_true((unsigned long)(b - a) >= 64);
			assert_true(((unsigned long)a >> 6) != ((unsigned long)b >> 6));
		}
	}
	for_each_possible_cpu(cpu)
		assert_int_equal(per_cpu_ptr(c, cpu)->id, cpu);
	kmm_cpu_bind(5);
	this_cpu_inc(c->hits);
	this_cpu_add(c->hits, 4);
	assert_int_equal(this_cpu_read(c->hits), 5);
	assert_int_equal(per_cpu_ptr(c, 5)->hits, 5);
	assert_ptr_equal(this_cpu_ptr(c), per_cpu_ptr(c, 5));
	kmm_cpu_unbind();
	free_percpu(c);

	/* freed memory comes back zeroed */
	c = alloc_percpu(struct counters);
	for_each_possible_cpu(cpu)
		assert_int_equal(per_cpu_ptr(c, cpu)->id, 0);
	EXPECT_ONE_REPORT("not the start of a live percpu", free_percpu((char *)c + 4));
	free_percpu(c);
	EXPECT_ONE_REPORT("not the start of a live percpu", free_percpu(c));
	int local;
	EXPECT_ONE_REPORT("was not allocated by alloc_percpu", free_percpu(&local));
	EXPECT_ONE_REPORT("illegal size", assert_null(__alloc_percpu(1 << 30, 8)));
	assert_int_equal(kmm_exit(), 0);
}

/* Many allocations spill into new chunks from the buddy; all come back. */
static void test_many_chunks(void **state)
{
	enum { N = 3000 };
	void **p = calloc(N, sizeof(void *));

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=4 kswapd=off"), 0);
	for (int i = 0; i < N; i++) {
		p[i] = __alloc_percpu(128, 64);
		assert_non_null(p[i]);
		assert_int_equal((unsigned long)p[i] & 63, 0);
	}
	for (int i = 0; i < N; i++)
		free_percpu(p[i]);
	free(p);
	assert_int_equal(kmm_exit(), 0);
}

static struct counters *shared;

static void *bump(void *arg)
{
	kmm_cpu_bind((int)(long)arg);
	for (int i = 0; i < 10000; i++)
		this_cpu_inc(shared->hits);
	return NULL;
}

/* this_cpu ops are safe with several threads on one CPU. */
static void test_this_cpu_ops_shared_cpu(void **state)
{
	pthread_t th[4];
	int cpu;
	unsigned long sum = 0;

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2 kswapd=off"), 0);
	shared = alloc_percpu(struct counters);
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, bump, (void *)(i % 2));
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(shared, cpu)->hits;
	assert_int_equal(sum, 40000);
	free_percpu(shared);
	assert_int_equal(kmm_exit(), 0);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* 35,000 live objects of mixed sizes and alignments: alloc_percpu does not
 * slow down with what is live. Then half are freed in a scattered order and
 * allocated again into the holes; everything comes back at the end. The
 * bound is ten times the 2 us target, for a busy machine, in builds without
 * sanitizers or debug walks; the figure is printed. */
static void test_many_live_allocations(void **state)
{
	enum { N = 35000 };
	static const size_t sizes[] = { 8, 16, 24, 64, 8, 40, 128, 8 };
	void **p = calloc(N, sizeof(void *));
	double t0, t1, t2;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=256M nr_cpus=2 kswapd=off"), 0);
	t0 = now_us();
	for (int i = 0; i < N; i++) {
		size_t size = sizes[i % 8], align = i % 5 ? 8 : 64;

		p[i] = __alloc_percpu(size, align);
		assert_non_null(p[i]);
		assert_int_equal((unsigned long)p[i] % align, 0);
	}
	t1 = now_us();
	for (int i = 0; i < N; i += 2)
		free_percpu(p[(i * 7919L) % N]);
	for (int i = 0; i < N; i += 2) {
		long k = (i * 7919L) % N;

		p[k] = __alloc_percpu(sizes[k % 8], 8);
		assert_non_null(p[k]);
		*per_cpu_ptr((char *)p[k], 1) = 1;
	}
	t2 = now_us();
	print_message("alloc_percpu with up to %d live: %.2f us per call (fill), %.2f us per "
		      "free+alloc (holes)\n", N, (t1 - t0) / N, (t2 - t1) / (N / 2));
#if !defined(KMM_TSAN) && !defined(KMM_ASAN)
	/* debug builds walk a chunk's extents at every call */
	if (!KMM_DEBUG_ON)
		assert_true((t1 - t0) / N < 20.0);
#endif
	for (int i = 0; i < N; i++)
		free_percpu(p[i]);
	free(p);
	assert_true(percpu_release_empty_chunks() > 0);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* Random sizes (up to a whole unit) and alignments (up to a page), freed
 * in random order: every object is aligned, comes zeroed on every CPU and
 * keeps its contents until freed, so no two overlap; in debug builds every
 * operation also walks the chunk's extents and free lists. */
static void test_random_sizes_and_alignments(void **state)
{
	enum { SLOTS = 1500, OPS = 30000 };
	struct { unsigned char *p; size_t size; } *slot = calloc(SLOTS, sizeof(*slot));
	unsigned long rnd = 88172645463325252UL, bugs = kmm_bug_count();
	int cpu;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=256M nr_cpus=3 kswapd=off"), 0);
	for (int op = 0; op < OPS; op++) {
		int i;

		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		i = (int)(rnd % SLOTS);
		if (slot[i].p) {
			for_each_possible_cpu(cpu) {
				unsigned char *u = per_cpu_ptr(slot[i].p, cpu);

				assert_int_equal(u[0], (unsigned char)(i + cpu));
				if (slot[i].size > 1)
					assert_int_equal(u[slot[i].size - 1], (unsigned char)(i ^ cpu));
			}
			free_percpu(slot[i].p);
			slot[i].p = NULL;
			continue;
		}
		size_t size = 1 + (rnd >> 20) % ((rnd >> 40) % 16 ? 256 : (rnd >> 50) % 8 ? 4096 : 65536);
		size_t align = 1UL << ((rnd >> 32) % 13);

		slot[i].p = __alloc_percpu(size, align);
		slot[i].size = size;
		assert_non_null(slot[i].p);
		assert_int_equal((unsigned long)slot[i].p % align, 0);
		for_each_possible_cpu(cpu) {
			unsigned char *u = per_cpu_ptr(slot[i].p, cpu);

			assert_int_equal((unsigned long)u % align, 0);
			/* zeroed throughout, where earlier objects lay and past them */
			for (size_t b = 0; b < size; b++)
				assert_int_equal(u[b], 0);
			memset(u, 0x5a, size);
			u[size - 1] = (unsigned char)(i ^ cpu);
			u[0] = (unsigned char)(i + cpu);
		}
	}
	for (int i = 0; i < SLOTS; i++)
		free_percpu(slot[i].p);
	free(slot);
	assert_int_equal(kmm_bug_count(), bugs);
	percpu_release_empty_chunks();
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* A chunk is added only when no free extent fits: here the one hole that
 * fits (9 granules) lies behind twenty that do not (8 granules each), in a
 * chunk otherwise full. */
static void test_no_new_chunk_while_a_hole_fits(void **state)
{
	enum { FILL = 8192, RUN = 9 + 1 + 20 * (8 + 1) };
	unsigned long *fill = calloc(FILL, sizeof(*fill)), chunk_bytes;
	int n = 0, start = -1;
	void *p;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=2 kswapd=off"), 0);
	chunk_bytes = percpu_total_bytes();
	/* the first chunk filled granule by granule */
	for (;; n++) {
		assert_true(n < FILL);
		fill[n] = (unsigned long)__alloc_percpu(16, 16);
		if (percpu_total_bytes() != chunk_bytes)
			break;
	}
	free_percpu((void *)fill[n]);
	assert_true(percpu_release_empty_chunks() > 0);
	qsort(fill, (size_t)n, sizeof(*fill), cmp_ptr);
	for (int i = 0, len = 1; i + 1 < n && start < 0; i++) {
		len = fill[i + 1] == fill[i] + 16 ? len + 1 : 1;
		if (len == RUN)
			start = i + 2 - RUN;
	}
	assert_true(start >= 0);
	/* holes: 9 granules first, then twenty of 8, one granule apart */
	for (int g = 0; g < 9; g++)
		free_percpu((void *)fill[start + g]);
	for (int h = 0; h < 20; h++)
		for (int g = 0; g < 8; g++)
			free_percpu((void *)fill[start + 10 + 9 * h + g]);
	p = __alloc_percpu(9 * 16, 16);
	assert_int_equal((unsigned long)p, fill[start]);
	assert_int_equal(percpu_total_bytes(), chunk_bytes);
	free_percpu(p);
	for (int i = 0; i < n; i++)
		if (i < start || i >= start + RUN || (i - start >= 9 && (i - start - 9) % 9 == 0))
			free_percpu((void *)fill[i]);
	free(fill);
	assert_every_page_back();
	assert_int_equal(kmm_exit(), 0);
}

/* alloc_percpu() may sleep (the kernel's takes a mutex): in interrupt
 * context or under a spinlock it is reported and refused; the GFP_ATOMIC
 * form is allowed there. */
static void test_atomic_context(void **state)
{
	struct counters *c;

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  assert_null(alloc_percpu(struct counters)));
	unsigned long bugs = kmm_bug_count();
	c = alloc_percpu_gfp(struct counters, GFP_ATOMIC);
	assert_non_null(c);
	free_percpu(c);
	assert_int_equal(kmm_bug_count(), bugs);
	kmm_irq_exit();
	preempt_disable();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  assert_null(alloc_percpu(struct counters)));
	preempt_enable();
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_distinct_zeroed_separated),
		cmocka_unit_test(test_many_chunks),
		cmocka_unit_test(test_this_cpu_ops_shared_cpu),
		cmocka_unit_test(test_many_live_allocations),
		cmocka_unit_test(test_random_sizes_and_alignments),
		cmocka_unit_test(test_no_new_chunk_while_a_hole_fits),
		cmocka_unit_test(test_atomic_context),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
