/* Large areas: vmalloc + touch every page + vfree of 64 KiB, 1 MiB and
 * 16 MiB, against mmap + touch + munmap of the same sizes (label "mmap"),
 * in the same process. 1 MiB runs at every thread count, the others at 1
 * and 2 threads (16 MiB per thread at 32 threads would not fit in mem=). */
#include <sys/mman.h>
#include "kmm_bench.h"
#include "patterns.h"

static void *mm_alloc(void *ctx, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void mm_free(void *ctx, void *p, size_t size)
{
	munmap(p, size);
}

static void bm_mmap(struct gb_state *st)
{
	bench_report(st, pat_big(st, mm_alloc, mm_free, NULL, (size_t)gb_range_arg(st, 0)));
}

#ifdef KMM_BENCH_HAVE_VMALLOC
static void *vm_alloc(void *ctx, size_t size)
{
	return vmalloc(size);
}

static void vm_free(void *ctx, void *p, size_t size)
{
	vfree(p);
}

static void bm_vmalloc(struct gb_state *st)
{
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	kmm_meas_end(st, &m, pat_big(st, vm_alloc, vm_free, NULL, (size_t)gb_range_arg(st, 0)),
		     MEAS_VMALLOC);
}
#endif

void suite_vmalloc_register(void)
{
	for (int64_t size = 64 << 10; size <= 16 << 20; size <<= 4) {
		int max = size == 1 << 20 ? BENCH_MAX_THREADS : 2;

#ifdef KMM_BENCH_HAVE_VMALLOC
		bench_add(kmm_label, "vmalloc", bm_vmalloc, size, 1, max);
#endif
		bench_add("mmap", "vmalloc", bm_mmap, size, 1, max);
	}
}
