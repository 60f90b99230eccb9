/* Host memory: what kmm allocates for its own bookkeeping (cache
 * descriptors, sheaves, vmap areas, zone tables), from the host's mmap, not
 * from the C library's malloc, so that kmm can itself be a process's malloc.
 *
 * Usable before boot and after exit, from any thread and from a signal
 * handler: no lock and no kmm state. Blocks come from one reserved range of
 * the address space, so whether a pointer is host memory is a range check
 * (host_owns). */
#ifndef KMM_LIB_HOST_MEM_H
#define KMM_LIB_HOST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/compiler.h"

/* NULL with errno ENOMEM only when the host refuses memory or the reserved
 * range is used up. */
void *host_alloc(size_t size);
void *host_zalloc(size_t size);
void *host_calloc(size_t n, size_t size);
/* align: a power of two */
void *host_aligned_alloc(size_t align, size_t size);
void *host_realloc(void *p, size_t size);
char *host_strdup(const char *s);

enum host_free_result { HOST_FREED, HOST_NOT_A_BLOCK, HOST_DOUBLE_FREE };
/* host_free(NULL) does nothing. A pointer host_alloc did not return, or a
 * block already free, is reported once and changes nothing. */
void host_free(void *p);
/* The same without the report, for callers that report it their own way. */
enum host_free_result host_free_quiet(void *p);

/* Bytes the caller may use at p, a live block. */
size_t host_usable_size(const void *p);

/* The reserved range in one word, so that it is read whole: its base
 * (page aligned) | log2 of its size. Before the first host allocation the
 * word names one byte at the top of the address space, which no pointer
 * of a process can reach. */
extern unsigned long host_range KMM_HIDDEN;

#define HOST_RANGE_SHIFT_MASK	63UL
#define HOST_RANGE_BASE_MASK	(~4095UL)

/* Whether p lies in host memory (a block's start or not). */
static always_inline bool host_owns(const void *p)
{
	unsigned long r = atomic_load_relaxed(&host_range);

	return (unsigned long)p - (r & HOST_RANGE_BASE_MASK) < 1UL << (r & HOST_RANGE_SHIFT_MASK);
}

#endif
