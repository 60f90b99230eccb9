/* Large arrays kept outside malloc (anonymous mappings), so that the
 * trace's model and the loader's scratch neither stay in nor come from
 * the allocator that a --malloc replay measures: after loading, its heap
 * holds nothing of the trace, whichever allocator it is. */
#ifndef RP_MEM_H
#define RP_MEM_H

#include <stddef.h>

/* Room for `need` elements of `size` bytes at *p (zeroed when new),
 * doubling *cap; aborts when out of memory. */
void rp_big_reserve(void **p, size_t *cap, size_t need, size_t size);
void rp_big_free(void *p, size_t cap, size_t size);
/* malloc and free in mappings, for the decompressors' windows (a zstd
 * window can be 128 MiB). */
void *rp_big_malloc(size_t bytes);
void rp_big_release(void *p);

#endif
