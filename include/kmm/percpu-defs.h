/* Per-CPU variables and the operations on them: static ones
 * (DEFINE_PER_CPU), pointers from alloc_percpu(), per_cpu_ptr() and the
 * this_cpu_* family.
 *
 * The address model (docs/percpu.md): a per-CPU pointer is not an address
 * to dereference. CPU c's copy of what it names is at
 *
 *	pointer + kmm_per_cpu_offset[c],	offset[c] = shift + c * unit
 *
 * for static and dynamic per-CPU pointers alike. A static variable's
 * pointer is its address in the program (or shared library) that defines
 * it, and that storage is only the template of every CPU's copy; kmm maps
 * the copies at the variable's address plus each CPU's offset when it
 * boots. A dynamic pointer is the chunk address of CPU 0's copy minus the
 * shift. Before kmm_init() and after kmm_exit() every offset is 0, so a
 * static variable's accesses reach its template.
 *
 * Context: several threads may run on one CPU at once (interrupt threads,
 * host preemption), so every operation below is one relaxed atomic on this
 * CPU's copy — no lost update, no ordering beyond the location itself.
 * this_cpu_*, __this_cpu_* and raw_cpu_* therefore behave alike; the
 * kernel's distinction (whether preemption or interrupts must be off) is
 * the caller's to keep. The value is converted to the variable's type
 * before the operation, and *_sub negates the converted value, as the
 * kernel's generic code does: this_cpu_sub(long_var, 1u) subtracts 1. */
#ifndef KMM_PERCPU_DEFS_H
#define KMM_PERCPU_DEFS_H

#include <kmm/types.h>

KMM_EXTERN_C_BEGIN

KMM_API extern unsigned int nr_cpu_ids;
/* Offset of each CPU's copies (see above); entries past nr_cpu_ids are
 * CPU 0's. The pointer is constant from load time on, only the entries
 * change, so a copy of it made by the dynamic linker stays right. */
KMM_API extern unsigned long *const kmm_per_cpu_offset;

KMM_API int kmm_smp_processor_id(void);

/* The static per-CPU variables of one program or shared library, [start,
 * end): called by the constructor below, once per translation unit. */
KMM_API void kmm_percpu_section_register(void *start, void *end);
KMM_API void kmm_percpu_section_unregister(void *start);

KMM_EXTERN_C_END

/* Static per-CPU variables live in the section "kmm_percpu" of the module
 * that defines them; the linker brackets it with __start_kmm_percpu and
 * __stop_kmm_percpu. */
#define KMM_PERCPU_ATTRS(align) __attribute__((section("kmm_percpu"), aligned(align)))

#define DEFINE_PER_CPU(type, name) \
	KMM_PERCPU_ATTRS(__alignof__(type)) __typeof__(type) name
#define DECLARE_PER_CPU(type, name) \
	extern KMM_PERCPU_ATTRS(__alignof__(type)) __typeof__(type) name
/* On a cache line of its own, so CPUs writing neighbours do not share it. */
#define DEFINE_PER_CPU_ALIGNED(type, name) \
	KMM_PERCPU_ATTRS(64) __typeof__(type) name
#define DECLARE_PER_CPU_ALIGNED(type, name) \
	extern KMM_PERCPU_ATTRS(64) __typeof__(type) name
#define DEFINE_PER_CPU_SHARED_ALIGNED(type, name)	DEFINE_PER_CPU_ALIGNED(type, name)
#define DECLARE_PER_CPU_SHARED_ALIGNED(type, name)	DECLARE_PER_CPU_ALIGNED(type, name)
#define DEFINE_PER_CPU_READ_MOSTLY(type, name)	DEFINE_PER_CPU(type, name)
#define DECLARE_PER_CPU_READ_MOSTLY(type, name)	DECLARE_PER_CPU(type, name)
#define DEFINE_PER_CPU_PAGE_ALIGNED(type, name) \
	KMM_PERCPU_ATTRS(4096) __typeof__(type) name
#define DECLARE_PER_CPU_PAGE_ALIGNED(type, name) \
	extern KMM_PERCPU_ATTRS(4096) __typeof__(type) name

#ifndef KMM_BUILDING
/* Each module (program or shared library) hands its section to kmm before
 * main() or when dlopen() loads it, and takes it back when it is unloaded.
 * A module without per-CPU variables has no section: both are NULL. */
extern char kmm_percpu_section_start[] __asm__("__start_kmm_percpu")
	__attribute__((weak, visibility("hidden")));
extern char kmm_percpu_section_end[] __asm__("__stop_kmm_percpu")
	__attribute__((weak, visibility("hidden")));

static void __attribute__((constructor, used)) kmm_percpu_module_load(void)
{
	if ((unsigned long)kmm_percpu_section_start != (unsigned long)kmm_percpu_section_end)
		kmm_percpu_section_register(kmm_percpu_section_start, kmm_percpu_section_end);
}

static void __attribute__((destructor, used)) kmm_percpu_module_unload(void)
{
	if ((unsigned long)kmm_percpu_section_start != (unsigned long)kmm_percpu_section_end)
		kmm_percpu_section_unregister(kmm_percpu_section_start);
}
#endif

/* Integer arithmetic: a dynamic pointer plus its offset may cross the
 * address space's midpoint, which pointer arithmetic may not. */
#define per_cpu_ptr(ptr, cpu) \
	((__typeof__(ptr))((unsigned long)(ptr) + kmm_per_cpu_offset[(cpu)]))
#define this_cpu_ptr(ptr)	per_cpu_ptr(ptr, kmm_smp_processor_id())
#define raw_cpu_ptr(ptr)	this_cpu_ptr(ptr)
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), cpu))
#define per_cpu_offset(cpu)	(kmm_per_cpu_offset[(cpu)])

/* The operations, on an lvalue `pcp` naming a per-CPU scalar (1, 2, 4 or
 * 8 bytes) and its this-CPU copy `p`. */
#define kmm_pcp_read(pcp) \
	__atomic_load_n(this_cpu_ptr(&(pcp)), __ATOMIC_RELAXED)
#define kmm_pcp_write(pcp, val) \
	__atomic_store_n(this_cpu_ptr(&(pcp)), (__typeof__(pcp))(val), __ATOMIC_RELAXED)
#define kmm_pcp_add_return(pcp, val) \
	__atomic_add_fetch(this_cpu_ptr(&(pcp)), (__typeof__(pcp))(val), __ATOMIC_RELAXED)
#define kmm_pcp_add(pcp, val)	((void)kmm_pcp_add_return(pcp, val))
#define kmm_pcp_and(pcp, val) \
	((void)__atomic_fetch_and(this_cpu_ptr(&(pcp)), (__typeof__(pcp))(val), __ATOMIC_RELAXED))
#define kmm_pcp_or(pcp, val) \
	((void)__atomic_fetch_or(this_cpu_ptr(&(pcp)), (__typeof__(pcp))(val), __ATOMIC_RELAXED))
#define kmm_pcp_xchg(pcp, nval) \
	__atomic_exchange_n(this_cpu_ptr(&(pcp)), (__typeof__(pcp))(nval), __ATOMIC_RELAXED)
/* Returns the value found; stores nval only if it was oval. */
#define kmm_pcp_cmpxchg(pcp, oval, nval) __extension__ ({			\
	__typeof__(pcp) kmm_pcp_old_ = (__typeof__(pcp))(oval);		\
	__atomic_compare_exchange_n(this_cpu_ptr(&(pcp)), &kmm_pcp_old_,	\
				    (__typeof__(pcp))(nval), 0,			\
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);	\
	kmm_pcp_old_;								\
})
/* True if *ovalp was found and nval stored; else *ovalp gets the value. */
#define kmm_pcp_try_cmpxchg(pcp, ovalp, nval) \
	__atomic_compare_exchange_n(this_cpu_ptr(&(pcp)), (ovalp), (__typeof__(pcp))(nval), 0, \
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED)

#define this_cpu_read(pcp)		kmm_pcp_read(pcp)
#define this_cpu_write(pcp, val)	kmm_pcp_write(pcp, val)
#define this_cpu_add(pcp, val)		kmm_pcp_add(pcp, val)
#define this_cpu_sub(pcp, val)		kmm_pcp_add(pcp, -(__typeof__(pcp))(val))
#define this_cpu_inc(pcp)		kmm_pcp_add(pcp, 1)
#define this_cpu_dec(pcp)		kmm_pcp_add(pcp, -1)
#define this_cpu_and(pcp, val)		kmm_pcp_and(pcp, val)
#define this_cpu_or(pcp, val)		kmm_pcp_or(pcp, val)
#define this_cpu_add_return(pcp, val)	kmm_pcp_add_return(pcp, val)
#define this_cpu_sub_return(pcp, val)	kmm_pcp_add_return(pcp, -(__typeof__(pcp))(val))
#define this_cpu_inc_return(pcp)	kmm_pcp_add_return(pcp, 1)
#define this_cpu_dec_return(pcp)	kmm_pcp_add_return(pcp, -1)
#define this_cpu_xchg(pcp, nval)	kmm_pcp_xchg(pcp, nval)
#define this_cpu_cmpxchg(pcp, oval, nval) kmm_pcp_cmpxchg(pcp, oval, nval)
#define this_cpu_try_cmpxchg(pcp, ovalp, nval) kmm_pcp_try_cmpxchg(pcp, ovalp, nval)

#define __this_cpu_read(pcp)		kmm_pcp_read(pcp)
#define __this_cpu_write(pcp, val)	kmm_pcp_write(pcp, val)
#define __this_cpu_add(pcp, val)	kmm_pcp_add(pcp, val)
#define __this_cpu_sub(pcp, val)	kmm_pcp_add(pcp, -(__typeof__(pcp))(val))
#define __this_cpu_inc(pcp)		kmm_pcp_add(pcp, 1)
#define __this_cpu_dec(pcp)		kmm_pcp_add(pcp, -1)
#define __this_cpu_and(pcp, val)	kmm_pcp_and(pcp, val)
#define __this_cpu_or(pcp, val)		kmm_pcp_or(pcp, val)
#define __this_cpu_add_return(pcp, val)	kmm_pcp_add_return(pcp, val)
#define __this_cpu_sub_return(pcp, val)	kmm_pcp_add_return(pcp, -(__typeof__(pcp))(val))
#define __this_cpu_inc_return(pcp)	kmm_pcp_add_return(pcp, 1)
#define __this_cpu_dec_return(pcp)	kmm_pcp_add_return(pcp, -1)
#define __this_cpu_xchg(pcp, nval)	kmm_pcp_xchg(pcp, nval)
#define __this_cpu_cmpxchg(pcp, oval, nval) kmm_pcp_cmpxchg(pcp, oval, nval)
#define __this_cpu_try_cmpxchg(pcp, ovalp, nval) kmm_pcp_try_cmpxchg(pcp, ovalp, nval)

#define raw_cpu_read(pcp)		kmm_pcp_read(pcp)
#define raw_cpu_write(pcp, val)		kmm_pcp_write(pcp, val)
#define raw_cpu_add(pcp, val)		kmm_pcp_add(pcp, val)
#define raw_cpu_sub(pcp, val)		kmm_pcp_add(pcp, -(__typeof__(pcp))(val))
#define raw_cpu_inc(pcp)		kmm_pcp_add(pcp, 1)
#define raw_cpu_dec(pcp)		kmm_pcp_add(pcp, -1)
#define raw_cpu_and(pcp, val)		kmm_pcp_and(pcp, val)
#define raw_cpu_or(pcp, val)		kmm_pcp_or(pcp, val)
#define raw_cpu_add_return(pcp, val)	kmm_pcp_add_return(pcp, val)
#define raw_cpu_sub_return(pcp, val)	kmm_pcp_add_return(pcp, -(__typeof__(pcp))(val))
#define raw_cpu_inc_return(pcp)		kmm_pcp_add_return(pcp, 1)
#define raw_cpu_dec_return(pcp)		kmm_pcp_add_return(pcp, -1)
#define raw_cpu_xchg(pcp, nval)		kmm_pcp_xchg(pcp, nval)
#define raw_cpu_cmpxchg(pcp, oval, nval) kmm_pcp_cmpxchg(pcp, oval, nval)
#define raw_cpu_try_cmpxchg(pcp, ovalp, nval) kmm_pcp_try_cmpxchg(pcp, ovalp, nval)

#endif
