/* Memory pools (mm/mempool.c): a reserve of min_nr preallocated elements
 * in front of an element source (a slab cache, kmalloc, the page
 * allocator or the caller's own), for allocations that must make forward
 * progress under memory pressure. It sits above slub and buddy and uses
 * only their public calls.
 *
 * The protocol, as the kernel's:
 *   mempool_alloc(): the source first, without direct reclaim or I/O; then
 *     the reserve; then, if gfp allows reclaim, the source with it; then,
 *     the reserve still empty, sleep until mempool_free() returns an
 *     element (at most five seconds, then try the source again). So an
 *     allocation that may sleep never fails; one that may not returns NULL.
 *   mempool_free(): back into the reserve while it is below min_nr (or,
 *     for a pool with min_nr 0, while it is empty), waking the sleepers;
 *     otherwise to the source.
 *
 * Lock: pool->lock (a spinlock_t: taking it makes the context atomic)
 * guards elements[], curr_nr and min_nr; the element source is never
 * called under it. Sleepers wait on a futex word, pool->wait_seq: a
 * sleeper counts itself in pool->waiters and reads the sequence while it
 * holds pool->lock, having seen the reserve empty; mempool_free() bumps
 * the sequence after it has added an element under the lock, and wakes
 * when it sees a waiter. Whatever the order, a sleeper either sees the
 * sequence move before it sleeps or is woken. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <kmm/kmm.h>
#include <kmm/mempool.h>
#include "lib/bug.h"
#include "lib/context.h"

/* How long a sleeper waits before it tries the source again (the kernel's
 * io_schedule_timeout(5*HZ)). */
#define MEMPOOL_WAIT_SEC 5

/* Under pool->lock; curr_nr and min_nr are stored atomically because
 * mempool_free() peeks at them without it. */
static void add_element(mempool_t *pool, void *element)
{
	pool->elements[pool->curr_nr] = element;
	atomic_store_relaxed(&pool->curr_nr, pool->curr_nr + 1);
}

static void *remove_element(mempool_t *pool)
{
	atomic_store_relaxed(&pool->curr_nr, pool->curr_nr - 1);
	return pool->elements[pool->curr_nr];
}

static void mempool_wake(mempool_t *pool)
{
	count_rmw();
	__atomic_add_fetch(&pool->wait_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&pool->waiters, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &pool->wait_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

bool mempool_initialized(const mempool_t *pool)
{
	return pool->elements != NULL;
}

void mempool_exit(mempool_t *pool)
{
	while (pool->curr_nr)
		pool->free(remove_element(pool), pool->pool_data);
	kfree(pool->elements);
	pool->elements = NULL;
}

static int mempool_init_gfp(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn,
			    mempool_free_t *free_fn, void *pool_data, gfp_t gfp)
{
	if (!pool || min_nr < 0 || !alloc_fn || !free_fn) {
		kmm_bug("mempool_init: bad pool %p, min_nr %d or element functions %p/%p",
			(void *)pool, min_nr, (void *)alloc_fn, (void *)free_fn);
		return -EINVAL;
	}
	memset(pool, 0, sizeof(*pool));
	spin_lock_init(&pool->lock);
	pool->min_nr = min_nr;
	pool->pool_data = pool_data;
	pool->alloc = alloc_fn;
	pool->free = free_fn;
	pool->elements = kmalloc_array((size_t)MAX(min_nr, 1), sizeof(void *), gfp);
	if (!pool->elements)
		return -ENOMEM;
	while (pool->curr_nr < pool->min_nr) {
		void *element = pool->alloc(gfp, pool->pool_data);

		if (!element) {
			mempool_exit(pool);
			return -ENOMEM;
		}
		add_element(pool, element);
	}
	return 0;
}

int mempool_init(mempool_t *pool, int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
		 void *pool_data)
{
	return mempool_init_gfp(pool, min_nr, alloc_fn, free_fn, pool_data, GFP_KERNEL);
}

mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
			       void *pool_data, gfp_t gfp, int nid)
{
	mempool_t *pool;

	if (nid != NUMA_NO_NODE && nid != 0) {
		kmm_bug("mempool_create_node: node %d (kmm has node 0)", nid);
		return NULL;
	}
	pool = kzalloc(sizeof(*pool), gfp);
	if (!pool)
		return NULL;
	if (mempool_init_gfp(pool, min_nr, alloc_fn, free_fn, pool_data, gfp)) {
		kfree(pool);
		return NULL;
	}
	return pool;
}

mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn, mempool_free_t *free_fn,
			  void *pool_data)
{
	return mempool_create_node(min_nr, alloc_fn, free_fn, pool_data, GFP_KERNEL, NUMA_NO_NODE);
}

void mempool_destroy(mempool_t *pool)
{
	if (!pool)
		return;
	mempool_exit(pool);
	kfree(pool);
}

/* Grows or shrinks the reserve to new_min_nr elements; may sleep. Growing
 * allocates the new elements with GFP_KERNEL; if the source fails part
 * way, the reserve fills up later from mempool_free(). */
int mempool_resize(mempool_t *pool, int new_min_nr)
{
	unsigned long flags;
	void **new_elements;
	void *element;

	if (new_min_nr <= 0) {
		kmm_bug("mempool_resize: new_min_nr %d is not positive", new_min_nr);
		return -EINVAL;
	}
	if (!might_alloc(GFP_KERNEL, "mempool_resize"))
		return -EINVAL;
	spin_lock_irqsave(&pool->lock, flags);
	if (new_min_nr <= pool->min_nr) {
		while (new_min_nr < pool->curr_nr) {
			element = remove_element(pool);
			spin_unlock_irqrestore(&pool->lock, flags);
			pool->free(element, pool->pool_data);
			spin_lock_irqsave(&pool->lock, flags);
		}
		atomic_store_relaxed(&pool->min_nr, new_min_nr);
		spin_unlock_irqrestore(&pool->lock, flags);
		return 0;
	}
	spin_unlock_irqrestore(&pool->lock, flags);

	new_elements = kmalloc_array((size_t)new_min_nr, sizeof(*new_elements), GFP_KERNEL);
	if (!new_elements)
		return -ENOMEM;
	spin_lock_irqsave(&pool->lock, flags);
	if (new_min_nr <= pool->min_nr) {
		/* a concurrent resize grew it meanwhile */
		spin_unlock_irqrestore(&pool->lock, flags);
		kfree(new_elements);
		return 0;
	}
	memcpy(new_elements, pool->elements, (size_t)pool->curr_nr * sizeof(*new_elements));
	kfree(pool->elements);
	pool->elements = new_elements;
	atomic_store_relaxed(&pool->min_nr, new_min_nr);
	while (pool->curr_nr < pool->min_nr) {
		spin_unlock_irqrestore(&pool->lock, flags);
		element = pool->alloc(GFP_KERNEL, pool->pool_data);
		if (!element)
			return 0;
		spin_lock_irqsave(&pool->lock, flags);
		if (pool->curr_nr >= pool->min_nr) {
			spin_unlock_irqrestore(&pool->lock, flags);
			pool->free(element, pool->pool_data);
			return 0;
		}
		add_element(pool, element);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return 0;
}

/* Sleeps until mempool_free() bumps the sequence read under the lock, or
 * the timeout passes. Called with pool->lock held (flags); drops it. */
static void mempool_sleep(mempool_t *pool, unsigned long flags)
{
	struct timespec ts = { MEMPOOL_WAIT_SEC, 0 };
	unsigned int seq;

	__atomic_add_fetch(&pool->waiters, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&pool->wait_seq, __ATOMIC_SEQ_CST);
	spin_unlock_irqrestore(&pool->lock, flags);
	syscall(SYS_futex, &pool->wait_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
	__atomic_sub_fetch(&pool->waiters, 1, __ATOMIC_SEQ_CST);
}

void *mempool_alloc(mempool_t *pool, gfp_t gfp)
{
	unsigned long flags;
	gfp_t gfp_temp;
	void *element;

	if (!might_alloc(gfp, "mempool_alloc"))
		return NULL;
	gfp |= __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
	gfp_temp = gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
	for (;;) {
		element = pool->alloc(gfp_temp, pool->pool_data);
		if (likely(element))
			return element;
		spin_lock_irqsave(&pool->lock, flags);
		if (likely(pool->curr_nr)) {
			element = remove_element(pool);
			spin_unlock_irqrestore(&pool->lock, flags);
			return element;
		}
		/* the reserve is empty: the source again, with reclaim */
		if (gfp_temp != gfp) {
			spin_unlock_irqrestore(&pool->lock, flags);
			gfp_temp = gfp;
			continue;
		}
		if (!(gfp & __GFP_DIRECT_RECLAIM)) {
			spin_unlock_irqrestore(&pool->lock, flags);
			return NULL;
		}
		mempool_sleep(pool, flags);
	}
}

/* An element of the reserve, never the source; NULL when it is empty. */
void *mempool_alloc_preallocated(mempool_t *pool)
{
	unsigned long flags;
	void *element = NULL;

	spin_lock_irqsave(&pool->lock, flags);
	if (pool->curr_nr)
		element = remove_element(pool);
	spin_unlock_irqrestore(&pool->lock, flags);
	return element;
}

void mempool_free(void *element, mempool_t *pool)
{
	unsigned long flags;
	int curr_nr, min_nr;

	if (unlikely(!element))
		return;
	curr_nr = atomic_load_relaxed(&pool->curr_nr);
	min_nr = atomic_load_relaxed(&pool->min_nr);
	if (unlikely(curr_nr < min_nr || (min_nr == 0 && curr_nr == 0))) {
		spin_lock_irqsave(&pool->lock, flags);
		if (pool->curr_nr < pool->min_nr || (pool->min_nr == 0 && pool->curr_nr == 0)) {
			add_element(pool, element);
			spin_unlock_irqrestore(&pool->lock, flags);
			mempool_wake(pool);
			return;
		}
		spin_unlock_irqrestore(&pool->lock, flags);
	}
	pool->free(element, pool->pool_data);
}

/* ---- the kernel's element sources ---- */

void *mempool_alloc_slab(gfp_t gfp, void *pool_data)
{
	return kmem_cache_alloc(pool_data, gfp);
}

void mempool_free_slab(void *element, void *pool_data)
{
	kmem_cache_free(pool_data, element);
}

void *mempool_kmalloc(gfp_t gfp, void *pool_data)
{
	return kmalloc((size_t)pool_data, gfp);
}

void mempool_kfree(void *element, void *pool_data)
{
	kfree(element);
}

void *mempool_alloc_pages(gfp_t gfp, void *pool_data)
{
	return alloc_pages(gfp, (unsigned int)(unsigned long)pool_data);
}

void mempool_free_pages(void *element, void *pool_data)
{
	__free_pages(element, (unsigned int)(unsigned long)pool_data);
}

mempool_t *mempool_create_slab_pool(int min_nr, struct kmem_cache *cache)
{
	return mempool_create(min_nr, mempool_alloc_slab, mempool_free_slab, cache);
}

mempool_t *mempool_create_kmalloc_pool(int min_nr, size_t size)
{
	return mempool_create(min_nr, mempool_kmalloc, mempool_kfree, (void *)size);
}

mempool_t *mempool_create_page_pool(int min_nr, int order)
{
	return mempool_create(min_nr, mempool_alloc_pages, mempool_free_pages,
			      (void *)(unsigned long)order);
}

int mempool_init_slab_pool(mempool_t *pool, int min_nr, struct kmem_cache *cache)
{
	return mempool_init(pool, min_nr, mempool_alloc_slab, mempool_free_slab, cache);
}

int mempool_init_kmalloc_pool(mempool_t *pool, int min_nr, size_t size)
{
	return mempool_init(pool, min_nr, mempool_kmalloc, mempool_kfree, (void *)size);
}

int mempool_init_page_pool(mempool_t *pool, int min_nr, int order)
{
	return mempool_init(pool, min_nr, mempool_alloc_pages, mempool_free_pages,
			    (void *)(unsigned long)order);
}
