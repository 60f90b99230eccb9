/* The CPU model's state (see cpu.h): the thread's context, nr_cpu_ids and
 * the per-CPU offset table. No locks: thread-local, or written only while
 * kmm is not booted. */
#include <sched.h>
#include "lib/cpu.h"

__thread struct kmm_task kmm_current __attribute__((tls_model("initial-exec"))) = {
	.cpu = KMM_CPU_UNBOUND,
};

unsigned int nr_cpu_ids = 1;

/* The offset table lives in the library; the per-CPU address space writes
 * its entries at boot and exit. Programs reach it through
 * kmm_per_cpu_offset, a constant pointer set at load time: an executable
 * that reads it gets a copy relocation of the pointer (non-PIC and PIE code
 * reading a shared library's variable), and that copy holds the same
 * address as the library's own, because nothing writes the pointer after
 * load. */
unsigned long kmm_cpu_offsets[KMM_CPU_UNBOUND + 1];
unsigned long *const kmm_per_cpu_offset = kmm_cpu_offsets;
unsigned long cpu_null_offset;

noinline int cpu_id_slow(void)
{
	int c = sched_getcpu();

	if (c < 0)
		c = 0;
	return (int)((unsigned int)c % nr_cpu_ids);
}

void cpu_model_init(unsigned int nr_cpus)
{
	nr_cpu_ids = nr_cpus;
}
