/* Host memory (lib/host_mem.c): blocks without kmm booted, their classes
 * and alignment, misuse reported, concurrent use. */
#include <pthread.h>
#include "kmm_test.h"
#include "lib/host_mem.h"

static void fill(unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static void check(const unsigned char *p, size_t n, unsigned char seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			fail_msg("byte %zu of %zu changed", i, n);
}

/* Every size up to 1 MiB in steps, usable at least as asked, 16-byte
 * aligned, contents intact, and host_owns() agrees. No boot needed. */
static void test_sizes(void **state)
{
	static void *blocks[600];
	size_t sizes[600];
	int n = 0;

	(void)state;
	assert_false(host_owns(&n));
	for (size_t size = 0; size <= (1UL << 20) && n < 600; size += size < 512 ? 1 : size / 5) {
		void *p = host_alloc(size);

		assert_non_null(p);
		assert_true(host_owns(p));
		assert_int_equal((unsigned long)p % 16, 0);
		assert_true(host_usable_size(p) >= size);
		/* classes are at most 25% above the request past 128 bytes */
		if (size > 128)
			assert_true(host_usable_size(p) <= size + size / 4);
		fill(p, size, (unsigned char)n);
		blocks[n] = p;
		sizes[n++] = size;
	}
	for (int i = 0; i < n; i++) {
		check(blocks[i], sizes[i], (unsigned char)i);
		host_free(blocks[i]);
	}
	assert_false(host_owns(&n));
	assert_false(host_owns(NULL));
}

static void test_zero_and_strings(void **state)
{
	unsigned char *p;
	char *s;

	(void)state;
	/* A freed block comes back dirty; host_zalloc must zero it. */
	p = host_alloc(300);
	memset(p, 0xab, 300);
	host_free(p);
	p = host_zalloc(300);
	for (int i = 0; i < 300; i++)
		assert_int_equal(p[i], 0);
	host_free(p);
	/* A fresh block (a class nothing used yet) is zero without a write:
	 * carved from memory the host mapped zeroed. */
	p = host_zalloc(777777);
	for (int i = 0; i < 777777; i += 97)
		assert_int_equal(p[i], 0);
	host_free(p);
	assert_null(host_calloc(SIZE_MAX / 2, 4));
	assert_int_equal(errno, ENOMEM);
	s = host_strdup("host memory");
	assert_string_equal(s, "host memory");
	s = host_realloc(s, 5000);
	assert_string_equal(s, "host memory");
	assert_true(host_usable_size(s) >= 5000);
	s = host_realloc(s, 12);
	assert_string_equal(s, "host memory");
	host_free(s);
	host_free(NULL);
}

static void test_aligned(void **state)
{
	(void)state;
	for (size_t align = 1; align <= (1UL << 16); align <<= 1) {
		for (size_t size = 1; size < 10000; size = size * 3 + 1) {
			unsigned char *p = host_aligned_alloc(align, size);

			assert_non_null(p);
			assert_int_equal((unsigned long)p % align, 0);
			assert_true(host_usable_size(p) >= size);
			fill(p, size, 3);
			check(p, size, 3);
			host_free(p);
		}
	}
}

/* Large blocks go back to the host while free and come back usable. */
static void test_large_reuse(void **state)
{
	size_t size = 3UL << 20;
	unsigned char *p = host_alloc(size), *q;

	(void)state;
	fill(p, size, 9);
	host_free(p);
	q = host_alloc(size);
	assert_ptr_equal(p, q);		/* the class's free list is LIFO */
	fill(q, size, 10);
	check(q, size, 10);
	host_free(q);
}

static void test_misuse(void **state)
{
	int local;
	char *p = host_alloc(64);

	(void)state;
	host_free(p);
	EXPECT_ONE_REPORT("double free", host_free(p));
	assert_int_equal(host_free_quiet(p), HOST_DOUBLE_FREE);
	EXPECT_ONE_REPORT("not a block", host_free(&local));
	p = host_alloc(64);
	/* inside a block, not its start */
	EXPECT_ONE_REPORT("not a block", host_free(p + 16));
	assert_int_equal(host_usable_size(p + 16), 0);
	host_free(p);
	assert_int_equal(host_usable_size(p), 0);
}

#define THREADS 4
#define ROUNDS 20000

static void *worker(void *arg)
{
	unsigned long seed = (unsigned long)arg * 2654435761UL + 1;
	void *held[64] = { 0 };
	size_t held_size[64];

	for (int r = 0; r < ROUNDS; r++) {
		unsigned int slot;
		size_t size;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		slot = (unsigned int)(seed % 64);
		if (held[slot]) {
			check(held[slot], held_size[slot], (unsigned char)slot);
			host_free(held[slot]);
			held[slot] = NULL;
			continue;
		}
		size = (seed >> 8) % (seed & 1 ? 200 : 20000);
		held[slot] = host_alloc(size);
		if (!held[slot])
			return (void *)1;
		held_size[slot] = size;
		fill(held[slot], size, (unsigned char)slot);
	}
	for (int i = 0; i < 64; i++)
		host_free(held[i]);
	return NULL;
}

/* Threads allocating and freeing at once (the free lists' compare-and-swap
 * and tags): every block keeps its contents. */
static void test_threads(void **state)
{
	pthread_t t[THREADS];
	unsigned long bugs = kmm_bug_count();

	(void)state;
	for (long i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		void *rc;

		pthread_join(t[i], &rc);
		assert_null(rc);
	}
	assert_int_equal(kmm_bug_count(), bugs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_zero_and_strings),
		cmocka_unit_test(test_aligned),
		cmocka_unit_test(test_large_reuse),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
