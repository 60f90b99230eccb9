/* Where each malloc request goes in kmm, between shim_enter() and
 * api.c's leave() (the enter/leave protocol of shim.h).
 *
 *   up to 8 KiB            kmalloc's caches (kmalloc-8 ... kmalloc-8k)
 *   8 KiB .. 4 MiB         kmalloc's compound pages from the buddy; when no
 *                          block of that order is free, vmalloc
 *   above 4 MiB            vmalloc (__vmalloc_node for an alignment above a page)
 *
 * Every request is GFP_KERNEL with __GFP_NORETRY (one pass of direct
 * reclaim, then failure: malloc returns NULL promptly instead of waiting
 * for frees that may never come) and __GFP_NOWARN (a C program learns of
 * exhaustion from NULL and errno, not from a report).
 *
 * Alignment: kmalloc gives 8 bytes below 16 and 16 from there up (its
 * power-of-two classes are naturally aligned; kmalloc-96 and -192 are 32-
 * and 64-byte aligned unless slub_debug's layout moves their objects, and
 * then requests of those sizes take the next power of two). An aligned
 * request takes the power-of-two class at least as large as both its size
 * and its alignment.
 *
 * No locks of its own. */
#include <errno.h>
#include <string.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "vmalloc/vmalloc.h"
#include "shim.h"

bool shim_pow2_classes KMM_HIDDEN;

static noinline size_t pow2_class_size(size_t size)
{
	if ((size > 64 && size <= 96) || (size > 128 && size <= 192))
		return 1UL << (64 - __builtin_clzl(size - 1));
	return size;
}

static noinline void *alloc_large(size_t size, gfp_t gfp)
{
	void *p = NULL;

	if (size <= KMALLOC_MAX_SIZE)
		p = kmalloc(size, gfp);
	if (!p)
		p = __vmalloc(size, gfp);
	return p;
}

void *kmm_alloc(size_t size)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE)) {
		if (unlikely(shim_pow2_classes))
			size = pow2_class_size(size);
		return kmalloc(size, SHIM_GFP);
	}
	return alloc_large(size ? size : 1, SHIM_GFP);
}

/* After kmalloc(size) gave NULL or ZERO_SIZE_PTR: size 0 gets the
 * smallest object, a large block goes to vmalloc, and a request that
 * still fails sets ENOMEM. */
noinline void *kmm_alloc_retry(size_t size)
{
	void *p = NULL;

	if (!size)
		p = kmalloc(1, SHIM_GFP);
	else if (size > KMALLOC_MAX_CACHE_SIZE)
		p = __vmalloc(size, SHIM_GFP);
	if (!p)
		errno = ENOMEM;
	return p;
}

void *kmm_zalloc(size_t size)
{
	if (likely(size - 1 < KMALLOC_MAX_CACHE_SIZE)) {
		if (unlikely(shim_pow2_classes))
			size = pow2_class_size(size);
		return kmalloc(size, SHIM_GFP | __GFP_ZERO);
	}
	return alloc_large(size ? size : 1, SHIM_GFP | __GFP_ZERO);
}

/* align: a power of two. */
void *kmm_alloc_aligned(size_t align, size_t size)
{
	size_t n;
	void *p;

	if (align <= 16)
		return kmm_alloc(size < align ? align : size);
	n = size > align ? size : align;
	if (n <= KMALLOC_MAX_SIZE) {
		p = kmalloc(1UL << (64 - __builtin_clzl(n - 1)), SHIM_GFP);
		if (p || n <= PAGE_SIZE)
			return p;
	}
	if (align <= PAGE_SIZE)
		return __vmalloc(n, SHIM_GFP);
	return __vmalloc_node(n, align, SHIM_GFP, NUMA_NO_NODE, __builtin_return_address(0));
}

/* The bytes of the vmalloc area starting at p; 0 and one report if p is
 * not the start of a live area. */
static size_t vmalloc_usable(const void *p, const char *fn)
{
	size_t size = vmalloc_area_pages(p) << PAGE_SHIFT;

	if (!size)
		kmm_bug("%s: %p is not the start of a live vmalloc area", fn, p);
	return size;
}

void shim_report_bad_free(const char *fn, void *p, int why)
{
	if (why == HOST_DOUBLE_FREE)
		kmm_bug("%s: %p was freed already (double free)", fn, p);
	else
		kmm_bug("%s: %p is not memory malloc handed out", fn, p);
}

void kmm_free_object(void *p)
{
	enum host_free_result r;

	if (unlikely(host_owns(p))) {
		r = host_free_quiet(p);
		if (r != HOST_FREED)
			shim_report_bad_free("free", p, r);
		return;
	}
	if (unlikely(is_vmalloc_addr(p))) {
		vfree(p);
		return;
	}
	kfree(p);
}

size_t kmm_usable_size(void *p)
{
	if (host_owns(p))
		return host_usable_size(p);
	if (is_vmalloc_addr(p))
		return vmalloc_usable(p, "malloc_usable_size");
	return ksize(p);
}

/* realloc of a kmm object p to size >= 1. In place when the new size fits
 * and would not fit a class less than half as large (krealloc moves
 * slub_debug's red zone to the new end); otherwise a new block, the
 * contents copied, the old one freed. NULL with *err ENOMEM (p untouched)
 * or EINVAL (p is not a live block: reported). */
void *kmm_resize(void *p, size_t size, int *err)
{
	size_t old;
	void *q;

	*err = ENOMEM;
	old = is_vmalloc_addr(p) ? vmalloc_usable(p, "realloc") : ksize(p);
	if (!old) {
		*err = EINVAL;
		return NULL;
	}
	if (size <= old && (size > old / 2 || old <= 16))
		return is_vmalloc_addr(p) ? p : krealloc(p, size, SHIM_GFP);
	q = kmm_alloc(size);
	if (q) {
		memcpy(q, p, MIN(old, size));
		kmm_free_object(p);
	}
	return q;
}
