/* The C allocator's entry points (docs/malloc.md).
 *
 * malloc and free first try kmm's inline fast paths, which need no entry
 * (shim.h, "fast paths"). Every other call, and theirs when the fast path
 * fails, is an entry (shim_enter: the thread is registered, not nested,
 * the gate is open), the kmm call of alloc.c, and leave(); anything
 * else goes to a noinline slow function that asks shim_enter_slow() how
 * to serve the call. Frees of host blocks (from before boot, or from a
 * nested call) need no entry: host memory takes no kmm lock. A kmm
 * object freed by a nested call (a signal handler interrupting malloc) or
 * by the forking thread during a fork is deferred: pushed on the thread's
 * list, freed when the thread next leaves an entry (a call the fast paths
 * do not serve).
 *
 * errno: ENOMEM when memory is exhausted, EINVAL for an alignment that is
 * not a power of two; posix_memalign returns the code instead. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "slub/kmalloc_fast.h"
#include "shim.h"

#define SHIM_API	__attribute__((visibility("default")))

/* ---- deferred frees ---- */

/* Pushes p (a live kmm object: its first word is the link) on the list.
 * Atomic: a signal handler may push while the thread drains. */
static void defer_free(struct shim_thread *t, void *p)
{
	void *head = atomic_load_relaxed(&t->deferred);

	if (atomic_load_relaxed(&shim_gate) & SHIM_GATE_DETACHED)
		return;		/* a detached child leaves kmm's objects alone */
	do {
		*(void **)p = head;
	} while (!atomic_cas_acq_rel(&t->deferred, &head, p));
}

static noinline void drain_deferred(struct shim_thread *t)
{
	void *p = atomic_xchg_acq_rel(&t->deferred, NULL);

	while (p) {
		void *next = *(void **)p;

		MALLOC_NAME(free)(p);
		p = next;
	}
}

/* Release: a forking thread that sees depth 0 sees the call's writes. */
static always_inline void leave(struct shim_thread *t)
{
	atomic_store_release(&t->depth, 0);
	if (unlikely(atomic_load_relaxed(&t->deferred) != NULL))
		drain_deferred(t);
}

static void leave_straggler(struct shim_thread *t)
{
	shim_leave_straggler(t);
	if (atomic_load_relaxed(&t->deferred))
		drain_deferred(t);
}

/* ---- allocation ---- */

enum alloc_kind { ALLOC_PLAIN, ALLOC_ZERO, ALLOC_ALIGNED };

static void *alloc_in_kmm(enum alloc_kind kind, size_t align, size_t size)
{
	switch (kind) {
	case ALLOC_ZERO:
		return kmm_zalloc(size);
	case ALLOC_ALIGNED:
		return kmm_alloc_aligned(align, size);
	default:
		return kmm_alloc(size);
	}
}

static void *alloc_in_host(enum alloc_kind kind, size_t align, size_t size)
{
	switch (kind) {
	case ALLOC_ZERO:
		return host_zalloc(size);
	case ALLOC_ALIGNED:
		return host_aligned_alloc(align, size);
	default:
		return host_alloc(size);
	}
}

static noinline void *alloc_slow(enum alloc_kind kind, size_t align, size_t size)
{
	struct shim_thread *t = &shim_self;
	void *p;

	switch (shim_enter_slow(t)) {
	case SHIM_KMM:
		p = alloc_in_kmm(kind, align, size);
		leave(t);
		break;
	case SHIM_STRAGGLER:
		p = alloc_in_kmm(kind, align, size);
		leave_straggler(t);
		break;
	default:
		p = alloc_in_host(kind, align, size);
		break;
	}
	if (unlikely(!p))
		errno = ENOMEM;
	return p;
}

static noinline void *alloc_failed(void)
{
	errno = ENOMEM;
	return NULL;
}

static always_inline void *alloc(enum alloc_kind kind, size_t align, size_t size)
{
	struct shim_thread *t = &shim_self;
	void *p;

	if (unlikely(!shim_enter(t)))
		return alloc_slow(kind, align, size);
	p = alloc_in_kmm(kind, align, size);
	leave(t);
	if (unlikely(!p))
		return alloc_failed();
	return p;
}

/* Every size through kmalloc (an open gate means no slub_debug size fix
 * is needed); what kmalloc cannot serve comes back as NULL or
 * ZERO_SIZE_PTR (size 0, a large block the buddy lacks, above
 * KMALLOC_MAX_SIZE) and goes to alloc.c inside the same entry. */
static noinline void *malloc_slow(size_t size)
{
	struct shim_thread *t = &shim_self;
	void *p;

	if (unlikely(!shim_enter(t)))
		return alloc_slow(ALLOC_PLAIN, 0, size);
	p = kmalloc(size, SHIM_GFP);
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		p = kmm_alloc_retry(size);
	leave(t);
	return p;
}

/* The fast path: the owner's pop from its CPU's main sheaf of the class,
 * with no entry (shim.h, "fast paths"); anything else enters. */
SHIM_API void *MALLOC_NAME(malloc)(size_t size)
{
	void *p;

	if (likely(shim_fast_ok(&shim_self)) && likely(kmalloc_try(size, SHIM_GFP, &p)))
		return p;
	return malloc_slow(size);
}

/* The fast path as malloc's, then the zeroing: a cache that zeroes by
 * itself (init_on_alloc) or checks its objects (slub_debug) has no
 * sheaves, so its requests enter and take kmalloc's __GFP_ZERO. */
SHIM_API void *MALLOC_NAME(calloc)(size_t n, size_t size)
{
	size_t bytes;
	void *p;

	if (unlikely(__builtin_mul_overflow(n, size, &bytes)))
		return alloc_failed();
	if (likely(shim_fast_ok(&shim_self)) && likely(kmalloc_try(bytes, SHIM_GFP, &p)))
		return memset(p, 0, bytes);
	return alloc(ALLOC_ZERO, 0, bytes);
}

/* align: a power of two. */
static void *alloc_aligned(size_t align, size_t size)
{
	return alloc(ALLOC_ALIGNED, align, size);
}

static bool power_of_two(size_t x)
{
	return x && !(x & (x - 1));
}

SHIM_API int MALLOC_NAME(posix_memalign)(void **out, size_t align, size_t size)
{
	int saved = errno;
	void *p;

	if (!power_of_two(align) || align % sizeof(void *))
		return EINVAL;
	p = alloc_aligned(align, size);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

SHIM_API void *MALLOC_NAME(aligned_alloc)(size_t align, size_t size)
{
	if (!power_of_two(align)) {
		errno = EINVAL;
		return NULL;
	}
	return alloc_aligned(align, size);
}

/* glibc's memalign: an alignment that is not a power of two is rounded up
 * to one. */
SHIM_API void *MALLOC_NAME(memalign)(size_t align, size_t size)
{
	if (align > (SIZE_MAX >> 1) + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (!power_of_two(align))
		align = align ? 1UL << (64 - __builtin_clzl(align)) : 1;
	return alloc_aligned(align, size);
}

SHIM_API void *MALLOC_NAME(valloc)(size_t size)
{
	return alloc_aligned(PAGE_SIZE, size);
}

SHIM_API void *MALLOC_NAME(pvalloc)(size_t size)
{
	size_t rounded;

	if (__builtin_add_overflow(size, PAGE_SIZE - 1, &rounded))
		return alloc_failed();
	rounded &= ~(PAGE_SIZE - 1);
	return alloc_aligned(PAGE_SIZE, rounded ? rounded : PAGE_SIZE);
}

/* ---- free ---- */

static noinline void free_slow(void *p)
{
	struct shim_thread *t = &shim_self;
	enum host_free_result r;

	if (host_owns(p)) {
		r = host_free_quiet(p);
		if (r != HOST_FREED)
			shim_report_bad_free("free", p, r);
		return;
	}
	switch (shim_enter_slow(t)) {
	case SHIM_KMM:
		kmm_free_object(p);
		leave(t);
		return;
	case SHIM_STRAGGLER:
		kmm_free_object(p);
		leave_straggler(t);
		return;
	default:
		if (shim_booted())
			defer_free(t, p);
		else
			shim_report_bad_free("free", p, HOST_NOT_A_BLOCK);
		return;
	}
}

/* A direct-map address goes to kfree; host blocks, vmalloc areas and
 * foreign pointers through kmm_free_object(). */
static noinline void free_entered(void *p)
{
	struct shim_thread *t = &shim_self;

	if (unlikely(!p))
		return;
	if (unlikely(!shim_enter(t)))
		return free_slow(p);
	if (likely((unsigned long)p - (unsigned long)kmm_mem.direct_map < kmm_mem.lowmem_bytes))
		kfree(p);
	else
		kmm_free_object(p);
	leave(t);
}

/* The fast path: the owner's push onto its CPU's main sheaf, with no
 * entry (shim.h, "fast paths"); NULL and everything else enter. */
SHIM_API void MALLOC_NAME(free)(void *p)
{
	if (likely(shim_fast_ok(&shim_self)) && likely(kfree_try(p)))
		return;
	free_entered(p);
}

/* ---- realloc ---- */

/* A host block into a new block (kmm's when the thread may enter). */
static void *realloc_host_block(void *p, size_t size)
{
	size_t old = host_usable_size(p);
	void *q;

	if (!old) {
		shim_report_bad_free("realloc", p, HOST_DOUBLE_FREE);
		errno = EINVAL;
		return NULL;
	}
	q = MALLOC_NAME(malloc)(size);
	if (q) {
		memcpy(q, p, MIN(old, size));
		host_free_quiet(p);
	}
	return q;
}

static noinline void *realloc_slow(void *p, size_t size)
{
	struct shim_thread *t = &shim_self;
	int err = 0;
	void *q;

	if (host_owns(p))
		return realloc_host_block(p, size);
	switch (shim_enter_slow(t)) {
	case SHIM_KMM:
		q = kmm_resize(p, size, &err);
		leave(t);
		break;
	case SHIM_STRAGGLER:
		q = kmm_resize(p, size, &err);
		leave_straggler(t);
		break;
	default:
		/* Nested: a host block, the kmm object freed later. ksize()
		 * only reads (its slub_debug bookkeeping aside). */
		if (!shim_booted()) {
			shim_report_bad_free("realloc", p, HOST_NOT_A_BLOCK);
			err = EINVAL;
			q = NULL;
			break;
		}
		q = host_alloc(size);
		if (q) {
			memcpy(q, p, MIN(size, ksize(p)));
			defer_free(t, p);
		}
		err = ENOMEM;
		break;
	}
	if (!q)
		errno = err;
	return q;
}

SHIM_API void *MALLOC_NAME(realloc)(void *p, size_t size)
{
	struct shim_thread *t = &shim_self;
	int err;
	void *q;

	if (!p)
		return MALLOC_NAME(malloc)(size);
	if (!size) {
		/* glibc's choice: the block is freed, NULL returned. */
		MALLOC_NAME(free)(p);
		return NULL;
	}
	if (unlikely(host_owns(p) || !shim_enter(t)))
		return realloc_slow(p, size);
	q = kmm_resize(p, size, &err);
	leave(t);
	if (unlikely(!q))
		errno = err;
	return q;
}

SHIM_API void *MALLOC_NAME(reallocarray)(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return alloc_failed();
	return MALLOC_NAME(realloc)(p, bytes);
}

/* ---- sizes ---- */

SHIM_API size_t MALLOC_NAME(malloc_usable_size)(void *p)
{
	struct shim_thread *t = &shim_self;
	size_t n;

	if (!p)
		return 0;
	if (host_owns(p))
		return host_usable_size(p);
	switch (shim_enter(t) ? SHIM_KMM : shim_enter_slow(t)) {
	case SHIM_KMM:
		n = kmm_usable_size(p);
		leave(t);
		return n;
	case SHIM_STRAGGLER:
		n = kmm_usable_size(p);
		leave_straggler(t);
		return n;
	default:
		return shim_booted() ? ksize(p) : 0;
	}
}
