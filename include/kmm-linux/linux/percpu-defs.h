/* <linux/percpu-defs.h> on kmm: static per-CPU variables
 * (DEFINE_PER_CPU and its variants, DECLARE_PER_CPU), per_cpu_ptr,
 * this_cpu_ptr, per_cpu and every this_cpu_* / __this_cpu_* / raw_cpu_*
 * operation (docs/percpu.md). */
#ifndef KMM_LINUX_PERCPU_DEFS_H
#define KMM_LINUX_PERCPU_DEFS_H

#include <linux/types.h>
#include <kmm/percpu-defs.h>

#ifndef EXPORT_PER_CPU_SYMBOL
#define EXPORT_PER_CPU_SYMBOL(var)	extern int kmm_export_per_cpu_unused
#endif
#ifndef EXPORT_PER_CPU_SYMBOL_GPL
#define EXPORT_PER_CPU_SYMBOL_GPL(var)	extern int kmm_export_per_cpu_unused
#endif

#endif
