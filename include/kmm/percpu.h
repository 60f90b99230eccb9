/* CPUs and per-CPU memory. A thread stands in for a CPU: the one it bound
 * with kmm_cpu_bind(), otherwise the host CPU it runs on. Static per-CPU
 * variables, per_cpu_ptr() and the this_cpu_* operations are in
 * <kmm/percpu-defs.h>, with the address model both kinds share. */
#ifndef KMM_PERCPU_H
#define KMM_PERCPU_H

#include <kmm/types.h>
#include <kmm/gfp.h>
#include <kmm/percpu-defs.h>

KMM_EXTERN_C_BEGIN

KMM_API int kmm_get_cpu(void);
KMM_API void kmm_put_cpu(void);

/* Zeroed per-CPU memory: at most a unit (64 KiB, less above 64 CPUs),
 * aligned to at most a page. */
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

/* This CPU's copy, with preemption off until the put (the kernel's pairs). */
#define get_cpu_ptr(ptr)	per_cpu_ptr(ptr, kmm_get_cpu())
#define put_cpu_ptr(ptr)	((void)(ptr), kmm_put_cpu())
#define get_cpu_var(var)	(*get_cpu_ptr(&(var)))
#define put_cpu_var(var)	put_cpu_ptr(&(var))

#endif
