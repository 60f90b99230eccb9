/* __vmalloc_node (alignment), __vmalloc_node_range (address range,
 * protection, VM_NO_GUARD), vmalloc_huge, vm_map_ram and vm_unmap_ram. */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kmm_test.h"
#include "buddy/mmzone.h"
#include "vmalloc/vmalloc.h"
#include "test_vmalloc_common.h"

static char *info_line(const void *addr)
{
	char *text = proc_text("vmallocinfo"), want[32], *line, *nl, *copy;

	snprintf(want, sizeof(want), "0x%016lx-", (unsigned long)addr);
	line = strstr(text, want);
	if (!line) {
		free(text);
		return NULL;
	}
	nl = strchr(line, '\n');
	copy = strndup(line, nl ? (size_t)(nl - line) : strlen(line));
	free(text);
	return copy;
}

static void test_vmalloc_node_alignment(void **state)
{
	static const unsigned long aligns[] = { 1, 64, PAGE_SIZE, 64UL << 10, 1UL << 20, 2UL << 20 };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(aligns); i++) {
		unsigned long size = 3 * PAGE_SIZE + 5;
		char *p = __vmalloc_node(size, aligns[i], GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE,
					 (void *)test_vmalloc_node_alignment);
		char *line;

		assert_non_null(p);
		assert_int_equal((unsigned long)p % MAX(aligns[i], PAGE_SIZE), 0);
		for (unsigned long j = 0; j < size; j++)
			assert_int_equal(p[j], 0);
		memset(p, (int)i, size);
		assert_int_equal(*(char *)page_address(vmalloc_to_page(p + 3 * PAGE_SIZE)), (char)i);
		line = info_line(p);
		assert_non_null(line);
		assert_non_null(strstr(line, " pages=4 vmalloc"));
		assert_non_null(strstr(line, "test_vmalloc_node_alignment+0x0/") ||
				strstr(line, "0x"));
		free(line);
		vfree(p);
	}
	/* node 0 is the one node */
	vfree(__vmalloc_node(PAGE_SIZE, 1, GFP_KERNEL, 0, NULL));
}

static void test_vmalloc_node_bad_input(void **state)
{
	void *p = (void *)1;

	(void)state;
	EXPECT_ONE_REPORT("not a power of two",
			  p = __vmalloc_node(PAGE_SIZE, 3 * PAGE_SIZE, GFP_KERNEL, NUMA_NO_NODE, NULL));
	assert_null(p);
	EXPECT_ONE_REPORT("not a power of two",
			  p = __vmalloc_node(PAGE_SIZE, 0, GFP_KERNEL, NUMA_NO_NODE, NULL));
	assert_null(p);
	EXPECT_ONE_REPORT("node 1 does not exist",
			  p = __vmalloc_node(PAGE_SIZE, 1, GFP_KERNEL, 1, NULL));
	assert_null(p);
	EXPECT_ONE_REPORT("not inside the vmalloc space",
			  p = __vmalloc_node_range(PAGE_SIZE, 1, 4096, 8192, GFP_KERNEL, PAGE_KERNEL,
						   0, NUMA_NO_NODE, NULL));
	assert_null(p);
	EXPECT_ONE_REPORT("not inside the vmalloc space",
			  p = __vmalloc_node_range(PAGE_SIZE, 1, VMALLOC_START + (2UL << 20),
						   VMALLOC_START + (1UL << 20), GFP_KERNEL,
						   PAGE_KERNEL, 0, NUMA_NO_NODE, NULL));
	assert_null(p);
	EXPECT_ONE_REPORT("protection",
			  p = __vmalloc_node_range(PAGE_SIZE, 1, VMALLOC_START, VMALLOC_END,
						   GFP_KERNEL, (pgprot_t){ 0x2 }, 0, NUMA_NO_NODE,
						   NULL));
	assert_null(p);
	/* A range too small is a failure, not a bug. */
	{
		unsigned long bugs = kmm_bug_count();

		p = __vmalloc_node_range(8 * PAGE_SIZE, 1, VMALLOC_START, VMALLOC_START + 4 * PAGE_SIZE,
					 GFP_KERNEL | __GFP_NOWARN, PAGE_KERNEL, 0, NUMA_NO_NODE, NULL);
		assert_null(p);
		assert_int_equal(kmm_bug_count(), bugs);
	}
}

static void segv_exit(int sig)
{
	(void)sig;
	_exit(42);
}

/* Writes through p in a child; true when that faulted. */
static bool write_faults(volatile char *p)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = segv_exit };

		sigaction(SIGSEGV, &sa, NULL);
		*p = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return (WIFEXITED(status) && WEXITSTATUS(status) == 42) ||
	       (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

static void test_vmalloc_node_range(void **state)
{
	unsigned long lo = VMALLOC_START + (64UL << 20), hi = lo + (32UL << 20);
	char *p, *q, *r, *line;

	(void)state;
	p = __vmalloc_node_range(5 * PAGE_SIZE, 1UL << 20, lo, hi, GFP_KERNEL, PAGE_KERNEL, 0,
				 NUMA_NO_NODE, NULL);
	assert_non_null(p);
	assert_true((unsigned long)p >= lo && (unsigned long)p + 6 * PAGE_SIZE <= hi);
	assert_int_equal((unsigned long)p % (1UL << 20), 0);
	memset(p, 9, 5 * PAGE_SIZE);
	/* VM_NO_GUARD: the area's size has no guard page */
	q = __vmalloc_node_range(2 * PAGE_SIZE, 1, lo, hi, GFP_KERNEL, PAGE_KERNEL, VM_NO_GUARD,
				 NUMA_NO_NODE, NULL);
	assert_non_null(q);
	assert_true((unsigned long)q >= lo && (unsigned long)q < hi);
	line = info_line(q);
	assert_non_null(line);
	assert_non_null(strstr(line, "    8192 "));
	free(line);
	/* Read-only: reads see the page, written through the direct map;
	 * a write through the area faults. */
	r = __vmalloc_node_range(PAGE_SIZE, 1, lo, hi, GFP_KERNEL | __GFP_ZERO, PAGE_KERNEL_RO, 0,
				 NUMA_NO_NODE, NULL);
	assert_non_null(r);
	assert_int_equal(r[100], 0);
	*((char *)page_address(vmalloc_to_page(r)) + 100) = 0x66;
	assert_int_equal(r[100], 0x66);
	assert_true(write_faults(r));
	assert_false(write_faults(p));
	vfree(p);
	vfree(q);
	vfree(r);
	/* The whole space, as VMALLOC_START/VMALLOC_END name it */
	p = __vmalloc_node_range(PAGE_SIZE, 1, VMALLOC_START, VMALLOC_END, GFP_KERNEL, PAGE_KERNEL, 0,
				 NUMA_NO_NODE, __builtin_return_address(0));
	assert_true(is_vmalloc_addr(p));
	vfree(p);
}

static void test_vmalloc_huge(void **state)
{
	unsigned long size = (4UL << 20) + 1;
	char *p = vmalloc_huge(size, GFP_KERNEL), *q, *line;

	(void)state;
	assert_non_null(p);
	assert_int_equal((unsigned long)p % (2UL << 20), 0);
	memset(p, 5, size);
	line = info_line(p);
	assert_non_null(line);
	assert_non_null(strstr(line, " pages=1536 vmalloc"));
	free(line);
	assert_int_equal(*(char *)page_address(vmalloc_to_page(p + size - 1)), 5);
	/* Below the huge size: an ordinary area */
	q = vmalloc_huge(64 << 10, GFP_KERNEL | __GFP_ZERO);
	assert_non_null(q);
	assert_int_equal(q[(64 << 10) - 1], 0);
	vfree(q);
	vfree(p);
}

static void test_vm_map_ram(void **state)
{
	struct page *pages[8];
	char *v, *line;

	(void)state;
	for (int i = 0; i < 8; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		memset(page_address(pages[i]), 'a' + i, PAGE_SIZE);
	}
	v = vm_map_ram(pages, 8, NUMA_NO_NODE);
	assert_non_null(v);
	for (int i = 0; i < 8; i++) {
		assert_ptr_equal(vmalloc_to_page(v + i * PAGE_SIZE), pages[i]);
		assert_int_equal(v[i * PAGE_SIZE + 9], 'a' + i);
		v[i * PAGE_SIZE] = 'Z';
		assert_int_equal(*(char *)page_address(pages[i]), 'Z');
	}
	line = info_line(v);
	assert_non_null(line);
	assert_non_null(strstr(line, " vm_map_ram"));
	free(line);
	/* Misuse changes nothing. */
	EXPECT_ONE_REPORT("the area has 8 pages", vm_unmap_ram(v, 7));
	EXPECT_ONE_REPORT("mapped with vm_map_ram", vfree(v));
	EXPECT_ONE_REPORT("mapped with vm_map_ram", vunmap(v));
	EXPECT_ONE_REPORT("bad address", vm_unmap_ram(v + PAGE_SIZE, 7));
	assert_ptr_equal(vmalloc_to_page(v + 7 * PAGE_SIZE), pages[7]);
	vm_unmap_ram(v, 8);
	assert_null(vmalloc_to_page(v));
	EXPECT_ONE_REPORT("double vm_unmap_ram", vm_unmap_ram(v, 8));
	EXPECT_ONE_REPORT("NULL address", vm_unmap_ram(NULL, 1));
	EXPECT_ONE_REPORT("node 3 does not exist", v = vm_map_ram(pages, 8, 3));
	assert_null(v);
	/* a vmap area is not vm_map_ram's */
	v = vmap(pages, 2, VM_MAP, PAGE_KERNEL);
	EXPECT_ONE_REPORT("mapped with vmap", vm_unmap_ram(v, 2));
	vunmap(v);
	for (int i = 0; i < 8; i++)
		__free_page(pages[i]);
}

/* Threads map and unmap their own pages and vmalloc aligned areas while
 * another purges. */
static int workers_done;

struct worker_arg {
	int cpu, bad;
};

static void *worker(void *argp)
{
	struct worker_arg *arg = argp;
	struct page *pages[4];

	kmm_cpu_bind(arg->cpu);
	for (int i = 0; i < 4; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	for (int it = 0; it < 300; it++) {
		unsigned int n = 1 + (unsigned int)it % 4;
		char *v = vm_map_ram(pages, n, NUMA_NO_NODE);
		char *a = __vmalloc_node(n * PAGE_SIZE, PAGE_SIZE << (it % 5), GFP_KERNEL,
					 NUMA_NO_NODE, NULL);

		if (!v || !a || (unsigned long)a % (PAGE_SIZE << (it % 5))) {
			arg->bad++;
			break;
		}
		for (unsigned int i = 0; i < n; i++) {
			v[i * PAGE_SIZE] = (char)it;
			a[i * PAGE_SIZE] = (char)it;
			arg->bad += *(char *)page_address(pages[i]) != (char)it;
		}
		vm_unmap_ram(v, n);
		vfree(a);
	}
	for (int i = 0; i < 4; i++)
		__free_page(pages[i]);
	kmm_cpu_unbind();
	return NULL;
}

static void *purger(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&workers_done, __ATOMIC_ACQUIRE)) {
		vm_unmap_aliases();
		usleep(300);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	pthread_t t[4], p;
	struct worker_arg args[4];

	(void)state;
	workers_done = 0;
	assert_int_equal(pthread_create(&p, NULL, purger, NULL), 0);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){ .cpu = i % 2 };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(args[i].bad, 0);
	}
	__atomic_store_n(&workers_done, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(p, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vmalloc_node_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_node_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_node_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vmalloc_huge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vm_map_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
