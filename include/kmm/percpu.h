/* CPUs and per-CPU memory. A thread stands in for a CPU: the one it bound
 * with kmm_cpu_bind(), otherwise the host CPU it runs on. */
#ifndef KMM_PERCPU_H
#define KMM_PERCPU_H

#include <kmm/types.h>
#include <kmm/gfp.h>

KMM_EXTERN_C_BEGIN

KMM_API extern unsigned int nr_cpu_ids;
/* Per-CPU pointers point into CPU 0's unit; unit c is at offset[c]. The
 * pointer is constant from load time on (only the table's entries change),
 * so a copy of it made by the dynamic linker stays right. */
KMM_API extern unsigned long *const kmm_per_cpu_offset;

KMM_API int kmm_smp_processor_id(void);
KMM_API int kmm_get_cpu(void);
KMM_API void kmm_put_cpu(void);

KMM_API void *__alloc_percpu(size_t size, size_t align);
KMM_API void *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp);
KMM_API void free_percpu(void *ptr);

KMM_EXTERN_C_END

#define smp_processor_id()	kmm_smp_processor_id()
#define raw_smp_processor_id()	kmm_smp_processor_id()
#define get_cpu()		kmm_get_cpu()
#define put_cpu()		kmm_put_cpu()
#define for_each_possible_cpu(cpu) \
	for ((cpu) = 0; (cpu) < (int)nr_cpu_ids; (cpu)++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu)

#define alloc_percpu(type) \
	((__typeof__(type) *)__alloc_percpu(sizeof(type), __alignof__(type)))
#define alloc_percpu_gfp(type, gfp) \
	((__typeof__(type) *)__alloc_percpu_gfp(sizeof(type), __alignof__(type), (gfp)))

#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((char *)(ptr) + kmm_per_cpu_offset[(cpu)]))
#define this_cpu_ptr(ptr)	per_cpu_ptr(ptr, kmm_smp_processor_id())
#define raw_cpu_ptr(ptr)	this_cpu_ptr(ptr)

/* More than one thread may run on a CPU (interrupt threads, host
 * preemption), so each operation is a relaxed atomic on this CPU's unit:
 * no lost updates, no ordering beyond the location itself. */
#define this_cpu_read(pcp) \
	__atomic_load_n(this_cpu_ptr(&(pcp)), __ATOMIC_RELAXED)
#define this_cpu_write(pcp, val) \
	__atomic_store_n(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED)
#define this_cpu_add(pcp, val) \
	((void)__atomic_fetch_add(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_sub(pcp, val) \
	((void)__atomic_fetch_sub(this_cpu_ptr(&(pcp)), (val), __ATOMIC_RELAXED))
#define this_cpu_inc(pcp)	this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)	this_cpu_sub(pcp, 1)
#define per_cpu(var_ptr_deref, cpu) (*per_cpu_ptr(&(var_ptr_deref), cpu))

#endif
