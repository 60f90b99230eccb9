/* The per-CPU allocator's boot hooks and accounting (percpu_alloc.c,
 * whose pcpu_lock guards the chunks). */
#ifndef KMM_PERCPU_INTERNAL_H
#define KMM_PERCPU_INTERNAL_H

#include <stddef.h>
#include "lib/compiler.h"

/* The address space (percpu_space.c): the unit, the offset table and the
 * copies of every module's static per-CPU variables, for nr_cpus CPUs. */
int percpu_space_init(unsigned int nr_cpus);
void percpu_space_exit(void);
/* Bytes between two CPUs' copies (0 while kmm is down). */
extern unsigned long pcpu_unit_size KMM_HIDDEN;

/* setup_per_cpu_areas(): the address space, then the first chunk, from
 * memblock. */
int percpu_init(void);
/* Frees the dynamic chunks; returns the bytes still allocated (leaks). */
unsigned long percpu_exit(void);
/* Bytes of all chunks (meminfo's Percpu). */
unsigned long percpu_total_bytes(void);
/* Releases empty dynamic chunks to the buddy (a shrinker calls it). */
unsigned long percpu_release_empty_chunks(void);

#endif
