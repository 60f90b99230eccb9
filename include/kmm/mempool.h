/* Memory pools (mempool): a reserve of preallocated elements that keeps
 * an allocation path going under memory pressure, as the kernel's block
 * and network drivers use it.
 *
 * mempool_alloc() tries the allocator first (without reclaim), then takes
 * a reserved element, then — with __GFP_DIRECT_RECLAIM — tries again with
 * reclaim and, the pool empty, sleeps until mempool_free() gives an
 * element back (or five seconds pass, and it tries again). So a
 * GFP_KERNEL mempool_alloc() never fails; without __GFP_DIRECT_RECLAIM it
 * returns NULL when the allocator and the pool have nothing. mempool_free()
 * refills the reserve before it gives anything to the allocator. Elements
 * of a page pool are struct page pointers. */
#ifndef KMM_MEMPOOL_H
#define KMM_MEMPOOL_H

#include <kmm/types.h>
#include <kmm/gfp.h>
#include <kmm/spinlock.h>

struct kmem_cache;

typedef void *(mempool_alloc_t)(gfp_t gfp_mask, void *pool_data);
typedef void (mempool_free_t)(void *element, void *pool_data);

typedef struct mempool {
	spinlock_t lock;		/* elements and curr_nr */
	int min_nr;			/* elements the reserve holds when full */
	int curr_nr;			/* elements in it now */
	void **elements;
	void *pool_data;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
	/* kmm's wait queue: mempool_free() bumps the sequence and wakes */
	unsigned int wait_seq;
	unsigned int waiters;
} mempool_t;

KMM_EXTERN_C_BEGIN

KMM_API mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
				  void *pool_data);
KMM_API mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn,
				       mempool_free_t *free_fn, void *pool_data, gfp_t gfp, int nid);
KMM_API int mempool_init(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
			 mempool_free_t *free_fn, void *pool_data);
KMM_API void mempool_exit(mempool_t *pool);
KMM_API bool mempool_initialized(const mempool_t *pool);
KMM_API int mempool_resize(mempool_t *pool, int new_min_nr);
KMM_API void mempool_destroy(mempool_t *pool);
KMM_API void *mempool_alloc(mempool_t *pool, gfp_t gfp);
KMM_API void *mempool_alloc_preallocated(mempool_t *pool);
KMM_API void mempool_free(void *element, mempool_t *pool);

/* The kernel's ready-made element sources. */
KMM_API void *mempool_alloc_slab(gfp_t gfp, void *pool_data);	/* pool_data: kmem_cache */
KMM_API void mempool_free_slab(void *element, void *pool_data);
KMM_API void *mempool_kmalloc(gfp_t gfp, void *pool_data);	/* pool_data: size */
KMM_API void mempool_kfree(void *element, void *pool_data);
KMM_API void *mempool_alloc_pages(gfp_t gfp, void *pool_data);	/* pool_data: order */
KMM_API void mempool_free_pages(void *element, void *pool_data);

KMM_API mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *cache);
KMM_API mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size);
KMM_API mempool_t *mempool_create_page_pool(int min_nr, int order);
KMM_API int mempool_init_slab_pool(mempool_t *pool, int min_nr, struct kmem_cache *cache);
KMM_API int mempool_init_kmalloc_pool(mempool_t *pool, int min_nr, size_t size);
KMM_API int mempool_init_page_pool(mempool_t *pool, int min_nr, int order);

KMM_EXTERN_C_END

#endif
