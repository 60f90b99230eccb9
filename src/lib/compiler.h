/* Compiler helpers shared by every part of kmm: branch hints, atomics with
 * their memory order in the name, sanitizer hooks. No locks. */
#ifndef KMM_LIB_COMPILER_H
#define KMM_LIB_COMPILER_H

#include <stddef.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define noinline	__attribute__((noinline))
#define always_inline	inline __attribute__((always_inline))
/* Library-internal data: addressed directly, not through the GOT, in the
 * position-independent objects both libraries are linked from. */
#define KMM_HIDDEN	__attribute__((visibility("hidden")))
#define cold_path	__attribute__((cold, noinline))
#define cacheline_aligned __attribute__((aligned(64)))
#define CACHELINE	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
/* The kernel's _RET_IP_: the caller's address, for reports. */
#define RET_IP		((unsigned long)__builtin_return_address(0))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#if defined(__SANITIZE_THREAD__)
#define KMM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KMM_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define KMM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMM_ASAN 1
#endif
#endif

#ifdef KMM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define tsan_acquire(a)	__tsan_acquire((void *)(a))
#define tsan_release(a)	__tsan_release((void *)(a))
#else
#define tsan_acquire(a)	((void)(a))
#define tsan_release(a)	((void)(a))
#endif

#ifdef KMM_ASAN
#include <sanitizer/asan_interface.h>
#define kasan_poison(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define kasan_unpoison(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define kasan_poison(p, n)	((void)(p), (void)(n))
#define kasan_unpoison(p, n)	((void)(p), (void)(n))
#endif

#ifdef KMM_DEBUG
#define KMM_DEBUG_ON 1
#else
#define KMM_DEBUG_ON 0
#endif

/* Atomic read-modify-writes made by this thread outside lock words (locks
 * are counted apart, lib/lock.h): each writes a cache line other CPUs
 * also write, the benchmarks' machine-independent measure of what more
 * cores would contend on. Every RMW helper below counts one; code that
 * uses a builtin directly counts with count_rmw(). */
extern __thread unsigned long kmm_atomic_rmws __attribute__((tls_model("initial-exec")));
#define count_rmw()	((void)kmm_atomic_rmws++)

/* Memory order is in the name of every atomic helper. */
#define atomic_load_relaxed(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define atomic_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store_relaxed(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define atomic_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_add_relaxed(p, v)	(count_rmw(), __atomic_fetch_add((p), (v), __ATOMIC_RELAXED))
#define atomic_sub_relaxed(p, v)	(count_rmw(), __atomic_fetch_sub((p), (v), __ATOMIC_RELAXED))
#define atomic_add_acq_rel(p, v)	(count_rmw(), __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL))
#define atomic_xchg_acq_rel(p, v)	(count_rmw(), __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL))
#define atomic_cas_acq_rel(p, expp, v) (count_rmw(), \
	__atomic_compare_exchange_n((p), (expp), (v), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
#define atomic_cas_relaxed(p, expp, v) (count_rmw(), \
	__atomic_compare_exchange_n((p), (expp), (v), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))

#endif
