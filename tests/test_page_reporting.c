/* Free page reporting: free blocks of the reporting order go back to the
 * host (a hole in the physical-memory memfd), stay correct when handed out
 * again, and only as the boot parameters say. */
#include <pthread.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kmm_test.h"
#include "buddy/buddy.h"
#include "buddy/page_reporting.h"

/* Does the memfd hold memory anywhere in [pfn, pfn + nr)? */
static bool backed(unsigned long pfn, unsigned long nr)
{
	off_t off = (off_t)(pfn << PAGE_SHIFT), data = lseek(kmm_mem.memfd, off, SEEK_DATA);

	return data >= 0 && data < off + (off_t)(nr << PAGE_SHIFT);
}

static bool reads_zero(unsigned long pfn, unsigned long nr)
{
	static char buf[PAGE_SIZE];

	for (unsigned long i = 0; i < nr; i++) {
		if (pread(kmm_mem.memfd, buf, sizeof(buf), (off_t)((pfn + i) << PAGE_SHIFT)) != PAGE_SIZE)
			return false;
		for (size_t j = 0; j < sizeof(buf); j++)
			if (buf[j])
				return false;
	}
	return true;
}

static unsigned long meminfo_kb(const char *key)
{
	char *text = proc_text("meminfo"), *line = strstr(text, key);
	unsigned long v = line ? strtoul(line + strlen(key), NULL, 10) : ~0UL;

	free(text);
	return v;
}

/* A touched block that is freed is released by the reporter thread after
 * its delay; meminfo counts it, the struct pages stay consistent, and the
 * memory reads back as zeroes. */
static void test_reporter_releases_freed_block(void **state)
{
	struct page *p;
	unsigned long pfn, before;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 page_reporting.delay_ms=20"), 0);
	/* At boot nothing was touched: free memory is reported already. */
	assert_true(meminfo_kb("FreeReported:") + 4096 >= meminfo_kb("MemFree:"));
	p = alloc_pages(GFP_KERNEL, 9);
	assert_non_null(p);
	pfn = page_to_pfn(p);
	memset(page_address(p), 0x5a, PAGE_SIZE << 9);
	assert_true(backed(pfn, 512));
	before = meminfo_kb("FreeReported:");
	__free_pages(p, 9);
	/* The hole comes first, the block is listed reported after. */
	for (int i = 0; i < 500 && (backed(pfn, 512) ||
				    meminfo_kb("FreeReported:") < before + 2048); i++)
		usleep(10000);
	assert_false(backed(pfn, 512));
	assert_true(reads_zero(pfn, 512));
	assert_true(meminfo_kb("FreeReported:") >= before + 2048);
	assert_int_equal(buddy_verify(), 0);
	/* Handed out again, the memory is usable. */
	p = alloc_pages(GFP_KERNEL, 10);
	assert_non_null(p);
	memset(page_address(p), 0xa5, PAGE_SIZE << 10);
	__free_pages(p, 10);
	assert_int_equal(kmm_exit(), 0);
}

/* Only blocks of page_reporting_order or more: a lone order-9 block is
 * kept with order 10, and reported once it merges into one. */
static void test_reporting_order(void **state)
{
	struct page *x, *a, *b;
	unsigned long pfn;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=1 page_reporting.delay_ms=600000 "
				  "page_reporting.page_reporting_order=10"), 0);
	x = alloc_pages(GFP_KERNEL, 10);
	assert_non_null(x);
	pfn = page_to_pfn(x);
	__free_pages(x, 10);
	a = alloc_pages(GFP_KERNEL, 9);
	b = alloc_pages(GFP_KERNEL, 9);
	assert_int_equal(page_to_pfn(a), pfn);
	assert_int_equal(page_to_pfn(b), pfn + 512);
	memset(page_address(a), 1, PAGE_SIZE << 9);
	memset(page_address(b), 2, PAGE_SIZE << 9);
	__free_pages(a, 9);
	page_reporting_run();
	assert_true(backed(pfn, 512));
	__free_pages(b, 9);
	assert_true(page_reporting_run() >= 1024);
	assert_false(backed(pfn, 1024));
	assert_int_equal(buddy_verify(), 0);
	assert_int_equal(kmm_exit(), 0);
}

/* page_reporting=0, and populate=1 by default: nothing is released. */
static void test_reporting_off(void **state)
{
	static const char *const lines[] = {
		"mem=64M nr_cpus=1 page_reporting=0 page_reporting.delay_ms=0",
		"mem=32M nr_cpus=1 populate=1 page_reporting.delay_ms=0",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct page *p;
		unsigned long pfn;

		assert_int_equal(kmm_init(lines[i]), 0);
		p = alloc_pages(GFP_KERNEL, 10);
		assert_non_null(p);
		pfn = page_to_pfn(p);
		memset(page_address(p), 3, PAGE_SIZE << 10);
		__free_pages(p, 10);
		usleep(20000);
		assert_int_equal(page_reporting_run(), 0);
		assert_true(backed(pfn, 1024));
		if (i == 1)
			assert_int_equal(meminfo_kb("FreeReported:"), 0);
		assert_int_equal(kmm_exit(), 0);
	}
}

/* Workers allocate blocks of every order, fill them with a pattern of
 * their pfn and check it before freeing, while the reporter runs without
 * delay and another thread forces passes: no allocated page is ever
 * released, no free block is lost. */
#define NR_WORKERS	3
#define WORKER_ITERS	3000
#define HELD		8

struct worker {
	int cpu;
	unsigned int seed;
	int bad;
};

static void fill(struct page *p, unsigned int order)
{
	unsigned long pfn = page_to_pfn(p);

	for (unsigned long i = 0; i < (1UL << order); i++)
		*(unsigned long *)page_address(p + i) = pfn + i;
}

static int check(struct page *p, unsigned int order)
{
	unsigned long pfn = page_to_pfn(p);

	for (unsigned long i = 0; i < (1UL << order); i++)
		if (*(unsigned long *)page_address(p + i) != pfn + i)
			return 1;
	return 0;
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	struct page *held[HELD] = { 0 };
	unsigned int order[HELD];

	kmm_cpu_bind(w->cpu);
	for (int it = 0; it < WORKER_ITERS; it++) {
		int slot = rand_r(&w->seed) % HELD;

		if (held[slot]) {
			w->bad += check(held[slot], order[slot]);
			__free_pages(held[slot], order[slot]);
			held[slot] = NULL;
			continue;
		}
		order[slot] = (unsigned int)(rand_r(&w->seed) % (MAX_PAGE_ORDER + 1));
		held[slot] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order[slot]);
		if (held[slot])
			fill(held[slot], order[slot]);
	}
	for (int s = 0; s < HELD; s++) {
		if (held[s]) {
			w->bad += check(held[s], order[s]);
			__free_pages(held[s], order[s]);
		}
	}
	kmm_cpu_unbind();
	return NULL;
}

static int workers_done;

static void *forcer(void *arg)
{
	unsigned long *passes = arg;

	while (!__atomic_load_n(&workers_done, __ATOMIC_ACQUIRE)) {
		page_reporting_run();
		(*passes)++;
	}
	return NULL;
}

static void test_concurrent_alloc_free(void **state)
{
	pthread_t t[NR_WORKERS], f;
	struct worker w[NR_WORKERS];
	unsigned long passes = 0;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=128M nr_cpus=2 page_reporting.delay_ms=0 "
				       "page_reporting.page_reporting_order=6"), 0);
	workers_done = 0;
	assert_int_equal(pthread_create(&f, NULL, forcer, &passes), 0);
	for (int i = 0; i < NR_WORKERS; i++) {
		w[i] = (struct worker){ .cpu = i % 2, .seed = 77u + (unsigned int)i };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < NR_WORKERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	__atomic_store_n(&workers_done, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(f, NULL), 0);
	assert_true(passes > 0);
	assert_int_equal(buddy_verify(), 0);
	assert_every_page_back();
	page_reporting_run();
	assert_int_equal(buddy_verify(), 0);
	assert_int_equal(kmm_exit(), 0);
}

/* What the host holds of the physical-memory memfd, in KiB (the
 * process's RSS would count a sanitizer's shadow of it too, which no
 * hole punched in the memfd gives back). */
static long memfd_kb(void)
{
	struct stat st;

	assert_int_equal(fstat(kmm_mem.memfd, &st), 0);
	return (long)st.st_blocks / 2;
}

/* kmalloc-64's active objects (slabinfo). */
static long kmalloc64_active(void)
{
	char *text = proc_text("slabinfo"), *line = strstr(text, "\nkmalloc-64 ");
	long active = line ? strtol(line + 12, NULL, 10) : -1;

	free(text);
	return active;
}

/* Memory kmalloc'ed in small objects and freed goes back to the host,
 * although no program can name a kmalloc cache to shrink: before each
 * pass the reporter has every cache shrunk, so what kmalloc-64 keeps in
 * its sheaves, barn and per-CPU slabs pins no block. */
static void test_kmalloc_memory_goes_back(void **state)
{
	void **head = NULL;
	long base, base_active, peak, held = -1;

	(void)state;
	assert_int_equal(kmm_init("mem=128M nr_cpus=2 page_reporting.delay_ms=20"), 0);
	kmm_cpu_bind(0);
	base = memfd_kb();
	base_active = kmalloc64_active();
	for (unsigned long i = 0; i < (48UL << 20) / 64; i++) {
		void **p = kmalloc(64, GFP_KERNEL);

		assert_non_null(p);
		memset(p, 1, 64);
		*p = head;
		head = p;
	}
	peak = memfd_kb();
	assert_true(peak > base + (40L << 10));
	while (head) {
		void **next = *head;

		kfree(head);
		head = next;
	}
	drain_all_pages(NULL);
	/* Back within a fiftieth of what the allocation added: the blocks that
	 * kmalloc-64's sheaves, barn and per-CPU slabs would pin are released. */
	for (int i = 0; i < 300; i++) {
		held = memfd_kb();
		if (held - base <= (peak - base) / 50 && kmalloc64_active() <= base_active)
			break;
		usleep(10000);
	}
	print_message("memfd holds %ld KiB before, %ld KiB at the peak, %ld KiB after; "
		      "kmalloc-64 active %ld -> %ld\n", base, peak, held, base_active,
		      kmalloc64_active());
	assert_true(held - base <= (peak - base) / 50);
	assert_true(kmalloc64_active() <= base_active);
	assert_int_equal(buddy_verify(), 0);
	kmm_cpu_unbind();
	assert_int_equal(kmm_exit(), 0);
}

static void test_bad_parameters(void **state)
{
	static const char *const bad[] = {
		"page_reporting=maybe", "page_reporting.page_reporting_order=11",
		"page_reporting.page_reporting_order=x", "page_reporting.delay_ms=-1",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(kmm_init(bad[i]), -EINVAL);
		assert_false(kmm_mem.live);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reporter_releases_freed_block),
		cmocka_unit_test(test_reporting_order),
		cmocka_unit_test(test_reporting_off),
		cmocka_unit_test(test_concurrent_alloc_free),
		cmocka_unit_test(test_kmalloc_memory_goes_back),
		cmocka_unit_test(test_bad_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
