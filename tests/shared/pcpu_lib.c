/* A shared library with static per-CPU variables of its own, linked to the
 * shared kmm, as a kernel subsystem ported to user space would be. */
#include <kmm/kmm.h>
#include "pcpu_lib.h"

DEFINE_PER_CPU(long, pcpu_lib_counter) = 5;
static DEFINE_PER_CPU_ALIGNED(unsigned long, lib_events);

void pcpu_lib_event(void)
{
	this_cpu_inc(lib_events);
	this_cpu_add(pcpu_lib_counter, 10);
}

unsigned long pcpu_lib_events(int cpu)
{
	return per_cpu(lib_events, cpu);
}

long *pcpu_lib_counter_ptr(void)
{
	return &pcpu_lib_counter;
}
