/* The CPU model's state (see cpu.h): the thread's context, nr_cpu_ids and
 * the per-CPU offset table. No locks: thread-local, or written only while
 * kmm is not booted. */
#include <sched.h>
#include "lib/cpu.h"

__thread struct kmm_task kmm_current __attribute__((tls_model("initial-exec"))) = {
	.cpu = KMM_CPU_UNBOUND,
};

unsigned int nr_cpu_ids = 1;
unsigned long *kmm_per_cpu_offset;
extern unsigned long *kmm_cpu_offsets __attribute__((alias("kmm_per_cpu_offset")));
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
