/* vmalloc, vmap, lazy purge, vmallocinfo and the misuse reports. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kmm_test.h"
#include <kmm/preempt.h>
#include "buddy/mmzone.h"
#include "buddy/reclaim.h"
#include "vmalloc/purge.h"
#include "vmalloc/vcache.h"
#include "vmalloc/vmalloc.h"
#include "test_vmalloc_common.h"
#include "test_vmalloc_frag.h"

static int boot(const char *cmdline)
{
	return kmm_test_boot(cmdline);
}

static int setup_big(void **state)
{
	(void)state;
	return boot("mem=256M nr_cpus=2");
}

static unsigned long count_pfn_runs(const char *p, unsigned long nr)
{
	unsigned long runs = 1;

	for (unsigned long i = 1; i < nr; i++)
		runs += vmalloc_to_pfn(p + i * PAGE_SIZE) != vmalloc_to_pfn(p + (i - 1) * PAGE_SIZE) + 1;
	return runs;
}

static void test_contiguity_and_aliasing(void **state)
{
	unsigned long size = (1UL << 20) + 123, nr = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned long before = mmap_calls();
	unsigned char *p = vmalloc(size);

	(void)state;
	assert_non_null(p);
	assert_true(is_vmalloc_addr(p));
	assert_true(is_vmalloc_addr(p + size - 1));
	assert_false(is_vmalloc_addr(&size));
	/* Unfragmented memory: one mmap per contiguous run, few runs. */
	assert_int_equal(mmap_calls() - before, count_pfn_runs((char *)p, nr));
	assert_true(count_pfn_runs((char *)p, nr) <= 4);

	for (unsigned long i = 0; i < size; i++)
		p[i] = (unsigned char)(i * 7 + 3);
	for (unsigned long off = 0; off < size; off += 511) {
		struct page *pg = vmalloc_to_page(p + off);
		unsigned char *direct;

		assert_non_null(pg);
		assert_int_equal(page_to_pfn(pg), vmalloc_to_pfn(p + off));
		direct = (unsigned char *)page_address(pg) + (off & (PAGE_SIZE - 1));
		assert_int_equal(*direct, (unsigned char)(off * 7 + 3));
		/* ...and back: the direct map writes show through vmalloc. */
		*direct = 0x5a;
		assert_int_equal(p[off], 0x5a);
	}
	assert_null(vmalloc_to_page(&size));
	vfree(p);
}

static unsigned long meminfo_kb(const char *key)
{
	static char text[16384];
	FILE *f = fmemopen(text, sizeof(text) - 1, "w");
	char *line;

	assert_non_null(f);
	assert_int_equal(kmm_proc_show(f, "meminfo"), 0);
	fclose(f);
	line = strstr(text, key);
	return line ? strtoul(line + strlen(key), NULL, 10) : ~0UL;
}

static void test_vzalloc_and_meminfo(void **state)
{
	unsigned long size = 300 * PAGE_SIZE;
	unsigned char *p = vmalloc(size), *z;

	(void)state;
	assert_non_null(p);
	memset(p, 0xaa, size);
	assert_int_equal(meminfo_kb("VmallocUsed:"), size >> 10);
	assert_int_equal(meminfo_kb("VmallocTotal:"), (vmalloc_end - vmalloc_start) >> 10);
	vfree(p);
	vm_unmap_aliases();
	/* The same dirty pages come back zeroed. */
	z = vzalloc(size);
	assert_non_null(z);
	for (unsigned long i = 0; i < size; i++)
		assert_int_equal(z[i], 0);
	vfree(z);
	vm_unmap_aliases();
	assert_int_equal(meminfo_kb("VmallocUsed:"), 0);
}

static int setup_8g(void **state)
{
	(void)state;
	return boot("mem=8G nr_cpus=2 populate=0");
}

/* With memory above 4 GiB, vmalloc takes Normal pages first and
 * vmalloc_32 only pages below 4 GiB. */
static void test_vmalloc_32(void **state)
{
	unsigned long nr = 64, limit = (4UL << 30) >> PAGE_SHIFT;
	char *p = vmalloc_32(nr * PAGE_SIZE), *q = vmalloc(nr * PAGE_SIZE);

	(void)state;
	assert_non_null(p);
	assert_non_null(q);
	for (unsigned long i = 0; i < nr; i++) {
		assert_true(vmalloc_to_pfn(p + i * PAGE_SIZE) < limit);
		assert_true(vmalloc_to_pfn(q + i * PAGE_SIZE) >= limit);
		p[i * PAGE_SIZE] = q[i * PAGE_SIZE] = 1;
	}
	vfree(p);
	vfree(q);
}

static void test_scattered_pages(void **state)
{
	struct fragmented f;
	unsigned long nr = 512, before, runs;
	char *p;

	(void)state;
	fragment_memory(&f);
	before = mmap_calls();
	p = vmalloc(nr * PAGE_SIZE);
	assert_non_null(p);
	runs = count_pfn_runs(p, nr);
	/* One mmap per physically contiguous run, and nearly every page is
	 * a run of its own. */
	assert_int_equal(mmap_calls() - before, runs);
	assert_true(runs >= nr * 3 / 4);
	for (unsigned long i = 0; i < nr * PAGE_SIZE; i++)
		p[i] = (char)i;
	for (unsigned long i = 0; i < nr; i++)
		assert_int_equal(*(char *)page_address(vmalloc_to_page(p + i * PAGE_SIZE)), 0);
	vfree(p);
	vm_unmap_aliases();
	unfragment_memory(&f);
}

static void segv_exit(int sig)
{
	(void)sig;
	_exit(42);
}

static void test_guard_page(void **state)
{
	unsigned long size = 4 * PAGE_SIZE;
	volatile char *p = vmalloc(size);
	int status;
	pid_t pid;

	(void)state;
	assert_non_null((void *)p);
	p[size - 1] = 1;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = segv_exit };

		sigaction(SIGSEGV, &sa, NULL);
		p[size] = 1;	/* the guard page */
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true((WIFEXITED(status) && WEXITSTATUS(status) == 42) ||
		    (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV));
	vfree((void *)p);
}

static void test_lazy_purge_and_reuse(void **state)
{
	/* Above the vmap cache's 1 MiB per CPU at mem=64M: freed lazily. */
	unsigned long size = 512 * PAGE_SIZE, free_before;
	char *p, *q, *text;

	(void)state;
	kmm_cpu_bind(0);
	drain_all_pages(NULL);
	free_before = nr_free_pages();
	p = vmalloc(size);
	assert_non_null(p);
	vfree(p);
	/* Lazily freed: no longer usable, still mapped, pages not back. */
	assert_null(vmalloc_to_page(p));
	text = proc_text("vmallocinfo");
	assert_non_null(strstr(text, "unpurged vm_area"));
	free(text);
	drain_all_pages(NULL);
	assert_true(nr_free_pages() < free_before);
	assert_int_equal(atomic_load_relaxed(&vmap_lazy_nr), 513);
	assert_int_equal(atomic_load_relaxed(&vcache_nr_pages), 0);
	vm_unmap_aliases();
	assert_int_equal(atomic_load_relaxed(&vmap_lazy_nr), 0);
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), free_before);
	/* The address space is reused: lowest fit in this CPU's node. */
	q = vmalloc(size);
	assert_ptr_equal(q, p);
	vfree(q);

	/* Memory pressure: the shrinker purges. */
	p = vmalloc(size);
	vfree(p);
	assert_true(atomic_load_relaxed(&vmap_lazy_nr) > 0);
	shrink_slab(GFP_KERNEL, 128);
	assert_int_equal(atomic_load_relaxed(&vmap_lazy_nr), 0);
	kmm_cpu_unbind();
}

/* A freed area of cacheable size stays mapped in its CPU's vmap cache: the
 * same size comes back at the same address without a new mapping, is
 * still refused a double vfree, and the purge, the shrinker and exit
 * give it back. */
static void test_vmap_cache(void **state)
{
	unsigned long size = 64 * PAGE_SIZE, free_before, mmaps;
	char *p, *q, *r, *text;

	(void)state;
	kmm_cpu_bind(0);
	vm_unmap_aliases();
	drain_all_pages(NULL);
	free_before = nr_free_pages();
	p = vmalloc(size);
	assert_non_null(p);
	memset(p, 0x77, size);
	vfree(p);
	assert_int_equal(atomic_load_relaxed(&vcache_nr_pages), 64);
	assert_int_equal(atomic_load_relaxed(&vmap_lazy_nr), 0);
	assert_null(vmalloc_to_page(p));
	EXPECT_ONE_REPORT("double vfree", vfree(p));
	text = proc_text("vmallocinfo");
	assert_non_null(strstr(text, "unpurged vm_area"));
	free(text);
	/* Reused as it is: no mapping made, the old bytes still there. */
	mmaps = mmap_calls();
	q = vmalloc(size);
	assert_ptr_equal(q, p);
	assert_int_equal(mmap_calls(), mmaps);
	assert_int_equal(atomic_load_relaxed(&vcache_nr_pages), 0);
	assert_int_equal(q[size - 1], 0x77);
	assert_non_null(vmalloc_to_page(q + size - 1));
	/* A different size does not take it. */
	vfree(q);
	r = vmalloc(size + PAGE_SIZE);
	assert_ptr_not_equal(r, p);
	vfree(r);
	/* vzalloc zeroes what it takes back. */
	q = vzalloc(size);
	assert_ptr_equal(q, p);
	for (unsigned long i = 0; i < size; i += 97)
		assert_int_equal(q[i], 0);
	vfree(q);
	/* The shrinker empties the cache. */
	assert_true(atomic_load_relaxed(&vcache_nr_pages) > 0);
	shrink_slab(GFP_KERNEL, 128);
	assert_int_equal(atomic_load_relaxed(&vcache_nr_pages), 0);
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), free_before);
	kmm_cpu_unbind();
}

/* init_on_free: a cached area is zeroed as it is freed. */
static void test_vmap_cache_init_on_free(void **state)
{
	unsigned long size = 16 * PAGE_SIZE;
	char *p, *q;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=1 init_on_free=1"), 0);
	p = vmalloc(size);
	memset(p, 0x31, size);
	vfree(p);
	q = vmalloc(size);
	assert_ptr_equal(q, p);
	for (unsigned long i = 0; i < size; i += 61)
		assert_int_equal(q[i], 0);
	vfree(q);
}

/* vmalloc_cache=0: no cache, every vfree is lazy. */
static void test_vmap_cache_off(void **state)
{
	char *p;

	(void)state;
	assert_int_equal(kmm_test_boot("mem=64M nr_cpus=1 vmalloc_cache=0"), 0);
	p = vmalloc(16 * PAGE_SIZE);
	vfree(p);
	assert_int_equal(atomic_load_relaxed(&vcache_nr_pages), 0);
	assert_int_equal(atomic_load_relaxed(&vmap_lazy_nr), 17);
}

/* Past lazy_max_pages() a vfree purges on its own. */
static void test_lazy_threshold(void **state)
{
	unsigned long size = 1UL << 20, max = lazy_max_pages();
	unsigned long n = max / (size >> PAGE_SHIFT) + 2;

	(void)state;
	for (unsigned long i = 0; i < n; i++) {
		char *p = vmalloc(size);

		assert_non_null(p);
		p[0] = 1;
		vfree(p);
		assert_true((unsigned long)atomic_load_relaxed(&vmap_lazy_nr) <= max);
	}
}

static void *irq_vfree(void *arg)
{
	kmm_cpu_bind(1);
	kmm_irq_enter();
	vfree(arg);
	kmm_irq_exit();
	return NULL;
}

static void *irq_double_vfree(void *arg)
{
	kmm_irq_enter();
	EXPECT_ONE_REPORT("double vfree", vfree(arg));
	kmm_irq_exit();
	return NULL;
}

static void test_vfree_from_interrupt(void **state)
{
	char *p = vmalloc(8 * PAGE_SIZE);
	pthread_t t;

	(void)state;
	assert_non_null(p);
	assert_int_equal(pthread_create(&t, NULL, irq_vfree, p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* Deferred: on the lock-free list, not yet counted as lazy. */
	assert_non_null(atomic_load_relaxed(&vmap_deferred));
	assert_null(vmalloc_to_page(p));
	assert_int_equal(pthread_create(&t, NULL, irq_double_vfree, p), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	/* The next process-context vfree drains the list. */
	vfree(vmalloc(PAGE_SIZE));
	assert_null(atomic_load_relaxed(&vmap_deferred));
	assert_true(atomic_load_relaxed(&vmap_lazy_nr) >= 9);
}

static void test_atomic_context(void **state)
{
	char *p = vmalloc(PAGE_SIZE);
	void *q = p;

	(void)state;
	preempt_disable();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  q = vmalloc(PAGE_SIZE));
	assert_null(q);
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  q = __vmalloc(PAGE_SIZE, GFP_ATOMIC));
	assert_null(q);
	/* vfree in atomic context: reported, and deferred all the same. */
	EXPECT_ONE_REPORT("sleeping function called from invalid context", vfree(p));
	preempt_enable();
	assert_null(vmalloc_to_page(p));
}

static void test_misuse(void **state)
{
	char *p = vmalloc(4 * PAGE_SIZE), *q;
	struct page *pg = alloc_page(GFP_KERNEL), *pages[2];
	void *heap = malloc(64);
	unsigned long bugs;

	(void)state;
	assert_non_null(p);
	EXPECT_ONE_REPORT("not a vmalloc address", vfree(page_address(pg)));
	EXPECT_ONE_REPORT("not a vmalloc address", vfree(heap));
	EXPECT_ONE_REPORT("bad address", vfree(p + PAGE_SIZE));
	EXPECT_ONE_REPORT("bad address", vfree(p + 5));
	EXPECT_ONE_REPORT("nonexistent vm area", vfree(p + 64 * PAGE_SIZE));
	EXPECT_ONE_REPORT("mapped with vmalloc", vunmap(p));
	/* Nothing changed: the area is intact. */
	assert_non_null(vmalloc_to_page(p + 3 * PAGE_SIZE));
	p[4 * PAGE_SIZE - 1] = 1;
	vfree(p);
	EXPECT_ONE_REPORT("double vfree", vfree(p));
	vm_unmap_aliases();
	EXPECT_ONE_REPORT("nonexistent vm area", vfree(p));

	pages[0] = pg;
	pages[1] = (struct page *)heap;
	EXPECT_ONE_REPORT("not a kmm struct page", q = vmap(pages, 2, VM_MAP, PAGE_KERNEL));
	assert_null(q);
	q = vmap(pages, 1, VM_MAP, PAGE_KERNEL);
	assert_non_null(q);
	EXPECT_ONE_REPORT("mapped with vmap", vfree(q));
	vunmap(q);
	EXPECT_ONE_REPORT("double vunmap", vunmap(q));

	bugs = kmm_bug_count();
	vfree(NULL);
	vunmap(NULL);
	assert_int_equal(kmm_bug_count(), bugs);
	__free_page(pg);
	free(heap);
}

static void test_vmap(void **state)
{
	struct page *pages[8];
	unsigned long before;
	char *v;

	(void)state;
	for (int i = 0; i < 8; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		assert_non_null(pages[i]);
		memset(page_address(pages[i]), 'a' + i, PAGE_SIZE);
	}
	/* Reverse order: never contiguous, so one mmap per page. */
	for (int i = 0; i < 4; i++) {
		struct page *t = pages[i];

		pages[i] = pages[7 - i];
		pages[7 - i] = t;
	}
	before = mmap_calls();
	v = vmap(pages, 8, VM_MAP, PAGE_KERNEL);
	assert_non_null(v);
	assert_int_equal(mmap_calls() - before, count_pfn_runs(v, 8));
	for (int i = 0; i < 8; i++) {
		assert_ptr_equal(vmalloc_to_page(v + i * PAGE_SIZE), pages[i]);
		assert_int_equal(v[i * PAGE_SIZE + 17], *(char *)page_address(pages[i]));
		v[i * PAGE_SIZE] = 'Z';
	}
	vunmap(v);
	/* The pages are still the caller's, with what was written. */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(*(char *)page_address(pages[i]), 'Z');
		__free_page(pages[i]);
	}
}

static void test_vmallocinfo(void **state)
{
	char *a = vmalloc(3 * PAGE_SIZE), *b = vzalloc(PAGE_SIZE), *text, *line;
	struct page *pg = alloc_page(GFP_KERNEL);
	char *v = vmap(&pg, 1, VM_MAP, PAGE_KERNEL);
	unsigned long start, end, size, prev = 0;
	int lines = 0;

	(void)state;
	text = proc_text("vmallocinfo");
	for (line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char rest[256];

		assert_int_equal(sscanf(line, "0x%lx-0x%lx %lu %255[^\n]", &start, &end, &size, rest),
				 4);
		assert_int_equal(end - start, size);
		assert_true(start > prev);
		prev = start;
		if (start == (unsigned long)a) {
			assert_int_equal(size, 4 * PAGE_SIZE);
			assert_non_null(strstr(rest, " pages=3 vmalloc N0=3"));
			assert_non_null(strstr(rest, "test_vmallocinfo+0x") || strstr(rest, "0x"));
		} else if (start == (unsigned long)b) {
			assert_non_null(strstr(rest, " pages=1 vmalloc N0=1"));
		} else if (start == (unsigned long)v) {
			assert_non_null(strstr(rest, " vmap"));
			assert_null(strstr(rest, "pages="));
		}
		lines++;
	}
	assert_int_equal(lines, 3);
	free(text);
	vfree(a);
	vfree(b);
	vunmap(v);
	__free_page(pg);
}

static void test_map_count_limit(void **state)
{
	unsigned long saved = atomic_load_relaxed(&vmap_max_mappings);
	unsigned long bugs = kmm_bug_count();
	char *p;

	(void)state;
	/* Room for one mapping: any area needs at least two (its run and the
	 * split of the reservation). */
	atomic_store_relaxed(&vmap_max_mappings, atomic_load_relaxed(&vmap_nr_mappings) + 1);
	p = vmalloc(16 * PAGE_SIZE);
	assert_null(p);
	assert_int_equal(kmm_bug_count(), bugs);	/* a warning, not a bug */
	atomic_store_relaxed(&vmap_max_mappings, saved);
	p = vmalloc(16 * PAGE_SIZE);
	assert_non_null(p);
	vfree(p);
}

static int setup_small_space(void **state)
{
	(void)state;
	return boot("mem=64M nr_cpus=2 vmalloc=16M");
}

/* Out of address space: NULL; a lazily freed area's range is reclaimed by
 * the purge the allocation runs before giving up. */
static void test_space_exhausted(void **state)
{
	char *a = vmalloc(8UL << 20), *b, *c;

	(void)state;
	assert_int_equal(nr_vmap_nodes, 1);
	assert_non_null(a);
	b = vmalloc(8UL << 20);
	assert_null(b);
	vfree(a);
	c = vmalloc(8UL << 20);
	assert_ptr_equal(c, a);
	vfree(c);
}

static void test_invalid_sizes(void **state)
{
	(void)state;
	assert_null(vmalloc(0));
	assert_null(vmalloc(~0UL));
	assert_null(vmalloc(totalram_pages() * PAGE_SIZE + 1));
}

#define NR_THREADS	4
#define NR_ITERS	300

struct worker_arg {
	int cpu;
	unsigned int seed;
	int failures;
};

static void *worker(void *argp)
{
	struct worker_arg *arg = argp;
	unsigned long *live[4] = { 0 };
	unsigned long live_nr[4] = { 0 };

	kmm_cpu_bind(arg->cpu);
	for (int it = 0; it < NR_ITERS; it++) {
		int slot = rand_r(&arg->seed) % 4;
		unsigned long nr = 1 + rand_r(&arg->seed) % 24;

		if (live[slot]) {
			unsigned long *p = live[slot];

			for (unsigned long i = 0; i < live_nr[slot]; i++)
				if (p[i * PAGE_SIZE / sizeof(long)] != (unsigned long)p + i ||
				    !vmalloc_to_page((char *)p + i * PAGE_SIZE))
					arg->failures++;
			/* Some frees come from interrupt context. */
			if (it % 5 == 0)
				kmm_irq_enter();
			vfree(p);
			if (it % 5 == 0)
				kmm_irq_exit();
			live[slot] = NULL;
			continue;
		}
		live[slot] = vmalloc(nr * PAGE_SIZE);
		if (!live[slot]) {
			arg->failures++;
			continue;
		}
		live_nr[slot] = nr;
		for (unsigned long i = 0; i < nr; i++)
			live[slot][i * PAGE_SIZE / sizeof(long)] = (unsigned long)live[slot] + i;
	}
	for (int s = 0; s < 4; s++)
		vfree(live[s]);
	kmm_cpu_unbind();
	return NULL;
}

static int workers_done;

/* Purges and reads vmallocinfo while the workers run. */
static void *purger(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&workers_done, __ATOMIC_ACQUIRE)) {
		FILE *f = fopen("/dev/null", "w");

		vm_unmap_aliases();
		kmm_proc_show(f, "vmallocinfo");
		fclose(f);
		usleep(200);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	pthread_t t[NR_THREADS], p;
	struct worker_arg args[NR_THREADS];

	(void)state;
	workers_done = 0;
	assert_int_equal(pthread_create(&p, NULL, purger, NULL), 0);
	for (int i = 0; i < NR_THREADS; i++) {
		args[i] = (struct worker_arg){ .cpu = i % 2, .seed = 1234u + (unsigned int)i };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < NR_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	__atomic_store_n(&workers_done, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(p, NULL), 0);
	assert_true(vmap_check_invariants());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_contiguity_and_aliasing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vzalloc_and_meminfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_32, setup_8g, teardown),
		cmocka_unit_test_setup_teardown(test_scattered_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_purge_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmap_cache, setup, teardown),
		cmocka_unit_test_teardown(test_vmap_cache_init_on_free, teardown),
		cmocka_unit_test_teardown(test_vmap_cache_off, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_threshold, setup_big, teardown),
		cmocka_unit_test_setup_teardown(test_vfree_from_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_atomic_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmallocinfo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_count_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_space_exhausted, setup_small_space, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
