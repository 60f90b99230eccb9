/* The per-CPU allocator's boot hooks and accounting (percpu_alloc.c,
 * whose pcpu_lock guards the chunks). */
#ifndef KMM_PERCPU_INTERNAL_H
#define KMM_PERCPU_INTERNAL_H

#include <stddef.h>

/* setup_per_cpu_areas(): the first chunk, from memblock. */
int percpu_init(void);
/* Frees the dynamic chunks; returns the bytes still allocated (leaks). */
unsigned long percpu_exit(void);
/* Bytes of all chunks (meminfo's Percpu). */
unsigned long percpu_total_bytes(void);
/* Releases empty dynamic chunks to the buddy (a shrinker calls it). */
unsigned long percpu_release_empty_chunks(void);

#endif
