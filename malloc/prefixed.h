/* The kmm_-prefixed entry points of the kmm_malloc_prefixed library: the
 * C allocator's functions under other names, for test programs that run
 * under a sanitizer, which owns the process's own malloc. */
#ifndef KMM_MALLOC_PREFIXED_H
#define KMM_MALLOC_PREFIXED_H

#include <stddef.h>

void *kmm_malloc(size_t size);
void *kmm_calloc(size_t n, size_t size);
void *kmm_realloc(void *p, size_t size);
void *kmm_reallocarray(void *p, size_t n, size_t size);
void kmm_free(void *p);
void *kmm_memalign(size_t align, size_t size);
int kmm_posix_memalign(void **out, size_t align, size_t size);
void *kmm_aligned_alloc(size_t align, size_t size);
void *kmm_valloc(size_t size);
void *kmm_pvalloc(size_t size);
size_t kmm_malloc_usable_size(void *p);

#endif
