/* Slab caches (SLUB), the kmalloc family and kvmalloc. */
#ifndef KMM_SLAB_H
#define KMM_SLAB_H

#include <kmm/types.h>
#include <kmm/gfp.h>

#define SLAB_CONSISTENCY_CHECKS	0x00000100u
#define SLAB_RED_ZONE		0x00000400u
#define SLAB_POISON		0x00000800u
#define SLAB_KMALLOC		0x00001000u
#define SLAB_HWCACHE_ALIGN	0x00002000u
#define SLAB_CACHE_DMA		0x00004000u
#define SLAB_CACHE_DMA32	0x00008000u
#define SLAB_STORE_USER		0x00010000u
#define SLAB_PANIC		0x00040000u
#define SLAB_TYPESAFE_BY_RCU	0x00080000u
#define SLAB_NOLEAKTRACE	0x00800000u
#define SLAB_ACCOUNT		0x04000000u
#define SLAB_RECLAIM_ACCOUNT	0x00020000u

#define KMALLOC_SHIFT_HIGH	13
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE	(1UL << 22)
#define KMALLOC_MIN_SIZE	8

#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(x)	((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

struct kmem_cache;
struct rcu_head;

KMM_EXTERN_C_BEGIN

KMM_API struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
		unsigned int align, slab_flags_t flags, void (*ctor)(void *));
KMM_API void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
KMM_API void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp);
KMM_API void kmem_cache_free(struct kmem_cache *s, void *obj);
KMM_API int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p);
KMM_API void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p);
KMM_API int kmem_cache_shrink(struct kmem_cache *s);
KMM_API void kmem_cache_destroy(struct kmem_cache *s);
KMM_API unsigned int kmem_cache_size(struct kmem_cache *s);
/* The kernel's slub_debug validation (/sys/kernel/slab/<cache>/validate):
 * every slab of the cache is checked as slub_debug would check it, each
 * damage reported (and repaired) as slub_debug reports it. Returns the
 * number of slabs walked; kmm_bug_count() counts the errors. Sleeps. */
KMM_API long validate_slab_cache(struct kmem_cache *s);

KMM_API void *kmalloc(size_t size, gfp_t gfp);
KMM_API void *kzalloc(size_t size, gfp_t gfp);
KMM_API void *kmalloc_array(size_t n, size_t size, gfp_t gfp);
KMM_API void *kcalloc(size_t n, size_t size, gfp_t gfp);
KMM_API void *krealloc(const void *p, size_t new_size, gfp_t gfp);
KMM_API void kfree(const void *p);
KMM_API size_t ksize(const void *p);
KMM_API void *kmemdup(const void *src, size_t len, gfp_t gfp);
KMM_API char *kstrdup(const char *s, gfp_t gfp);
/* What the kernel's kmalloc() inlines for a constant size: `size` bytes
 * (at most the cache's object size) from cache `s`; a SLAB_KMALLOC cache
 * under slub_debug Z or U red-zones the rest of the object. */
KMM_API void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t gfp, size_t size);

/* kmalloc from any context, an interrupt included (kernels 6.15+): `gfp`
 * may hold only __GFP_ACCOUNT, __GFP_ZERO and __GFP_NO_OBJ_EXT; it never
 * sleeps or reclaims, never waits for the bucket's per-CPU lock (a held
 * one sends it to the next larger bucket, once), serves up to
 * KMALLOC_MAX_CACHE_SIZE; NULL means no memory. `node`: 0 or
 * NUMA_NO_NODE. kfree(), kfree_rcu() and kfree_nolock() free the object. */
KMM_API void *kmalloc_nolock(size_t size, gfp_t gfp, int node);
/* kfree() for any context, of a slab object (not a large kmalloc). */
KMM_API void kfree_nolock(const void *p);

KMM_API void *kvmalloc(size_t size, gfp_t gfp);
KMM_API void *kvzalloc(size_t size, gfp_t gfp);
KMM_API void *kvmalloc_array(size_t n, size_t size, gfp_t gfp);
KMM_API void *kvcalloc(size_t n, size_t size, gfp_t gfp);
KMM_API void kvfree(const void *p);

/* Frees `ptr` (kmalloc'ed, slab or vmalloc'ed) after an RCU grace period;
 * `head` is the struct rcu_head embedded in it, or NULL (the headless
 * form: the caller may sleep). */
KMM_API void kvfree_call_rcu(struct rcu_head *head, void *ptr);

KMM_EXTERN_C_END

/* As the kernel's: `ptr` is evaluated once, and NULL is a no-op.
 *   kfree_rcu(ptr, rhf), kvfree_rcu(ptr, rhf): `rhf` names the struct
 *     rcu_head member; callable from any context. Where the caller may
 *     sleep and kfree_rcu's pending bytes are past its bound, the call
 *     waits for a grace period (back-pressure).
 *   kfree_rcu_mightsleep(ptr), kvfree_rcu_mightsleep(ptr), and the older
 *     one-argument kfree_rcu(ptr), kvfree_rcu(ptr): no rcu_head; the
 *     caller must be where it may sleep (not in atomic context, not in an
 *     RCU read-side section or callback), since without memory for its
 *     bookkeeping the call waits for a grace period and frees at once. */
#define kvfree_rcu_arg_2(ptr, rhf) do {					\
	__typeof__(ptr) kvfree_rcu_p_ = (ptr);				\
	if (kvfree_rcu_p_)						\
		kvfree_call_rcu(&kvfree_rcu_p_->rhf, (void *)kvfree_rcu_p_); \
} while (0)
#define kvfree_rcu_arg_1(ptr) do {					\
	__typeof__(ptr) kvfree_rcu_p_ = (ptr);				\
	if (kvfree_rcu_p_)						\
		kvfree_call_rcu(NULL, (void *)kvfree_rcu_p_);		\
} while (0)
#define KVFREE_GET_MACRO(arg1, arg2, name, ...) name
#define kvfree_rcu(...) KVFREE_GET_MACRO(__VA_ARGS__, kvfree_rcu_arg_2, kvfree_rcu_arg_1, )(__VA_ARGS__)
#define kfree_rcu(...)	kvfree_rcu(__VA_ARGS__)
#define kvfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)
#define kfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)

#endif
