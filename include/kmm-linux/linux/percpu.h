/* <linux/percpu.h> on kmm: alloc_percpu, alloc_percpu_gfp,
 * __alloc_percpu, free_percpu, the CPU iterators and smp_processor_id,
 * get_cpu/put_cpu, and all of <linux/percpu-defs.h>. */
#ifndef KMM_LINUX_PERCPU_H
#define KMM_LINUX_PERCPU_H

#include <linux/percpu-defs.h>
#include <linux/gfp.h>
#include <kmm/percpu.h>
#include <kmm/preempt.h>

#define num_possible_cpus()	((unsigned int)nr_cpu_ids)
#define num_online_cpus()	((unsigned int)nr_cpu_ids)
#define cpu_possible(cpu)	((unsigned int)(cpu) < nr_cpu_ids)
#define cpu_online(cpu)		cpu_possible(cpu)

#endif
