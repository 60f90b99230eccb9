/* kvmalloc: kmalloc when it is cheap, vmalloc when it is not (the
 * kernel's mm/util.c rules).
 *
 * - A gfp that is not GFP_KERNEL-compatible (GFP_ATOMIC, GFP_NOWAIT,
 *   GFP_NOFS, ...) gets kmalloc only: vmalloc sleeps and allocates with
 *   GFP_KERNEL internally.
 * - Above a page, kmalloc is tried without warning and without retrying
 *   hard (__GFP_NORETRY, unless the caller asked for __GFP_RETRY_MAYFAIL),
 *   and without __GFP_NOFAIL, which the vmalloc fallback provides: a large
 *   physically contiguous block is taken only if it is there.
 * - Up to a page the kmalloc result stands (falling back makes no sense).
 * kvfree tells the two apart by address (is_vmalloc_addr). */
#include <limits.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>
#include "lib/bug.h"
#include "lib/context.h"
#include "vmalloc/vmalloc.h"

static void *kvmalloc_caller(size_t size, gfp_t flags, const void *caller)
{
	gfp_t kmalloc_flags = flags;
	void *ret = NULL;

	if ((flags & GFP_KERNEL) != GFP_KERNEL)
		return kmalloc(size, flags);
	/* One report for the misuse, not one from kmalloc and one from vmalloc. */
	if (!might_alloc(flags, "kvmalloc"))
		return NULL;
	if (size > PAGE_SIZE) {
		kmalloc_flags |= __GFP_NOWARN;
		if (!(kmalloc_flags & __GFP_RETRY_MAYFAIL))
			kmalloc_flags |= __GFP_NORETRY;
		kmalloc_flags &= ~__GFP_NOFAIL;
	}
	/* Above KMALLOC_MAX_SIZE kmalloc can only fail: skip it. */
	if (size <= KMALLOC_MAX_SIZE)
		ret = kmalloc(size, kmalloc_flags);
	if (ret || size <= PAGE_SIZE)
		return ret;
	/* Don't even allow crazy sizes. */
	if (unlikely(size > INT_MAX)) {
		WARN_ON_ONCE(!(flags & __GFP_NOWARN));
		return NULL;
	}
	return vmalloc_with_caller(size, flags, caller);
}

void *kvmalloc(size_t size, gfp_t flags)
{
	return kvmalloc_caller(size, flags, __builtin_return_address(0));
}

void *kvzalloc(size_t size, gfp_t flags)
{
	return kvmalloc_caller(size, flags | __GFP_ZERO, __builtin_return_address(0));
}

void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kvmalloc_caller(bytes, flags, __builtin_return_address(0));
}

void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kvmalloc_caller(bytes, flags | __GFP_ZERO, __builtin_return_address(0));
}

void kvfree(const void *addr)
{
	if (is_vmalloc_addr(addr))
		vfree(addr);
	else
		kfree(addr);
}
