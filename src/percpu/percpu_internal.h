/* The per-CPU allocator's boot hooks and accounting (percpu_alloc.c). */
#ifndef KMM_PERCPU_INTERNAL_H
#define KMM_PERCPU_INTERNAL_H

#include <stddef.h>
#include <kmm/gfp.h>
#include "lib/compiler.h"

/* The address space (percpu_space.c): the unit, the offset table and the
 * copies of every module's static per-CPU variables, for nr_cpus CPUs. */
int percpu_space_init(unsigned int nr_cpus);
void percpu_space_exit(void);
/* Bytes between two CPUs' copies (0 while kmm is down). */
extern unsigned long pcpu_unit_size KMM_HIDDEN;

/* Where chunks come from. The page allocator sits above the per-CPU
 * allocator and itself uses per-CPU memory, so it hands its calls down at
 * boot, as the kernel's percpu allocator gets its first chunk from
 * memblock and later ones from the page allocator. */
struct percpu_chunk_source {
	void *(*first_chunk)(unsigned long bytes);	/* at boot, never freed */
	/* Zeroed memory of 2^order pages; *cookie is given back to free(). */
	void *(*alloc)(gfp_t gfp, unsigned int order, void **cookie);
	void (*free)(void *cookie, unsigned int order);
};

/* setup_per_cpu_areas(): the address space, then the first chunk. */
int percpu_init(const struct percpu_chunk_source *src);
/* Frees the dynamic chunks; returns the bytes still allocated (leaks). */
unsigned long percpu_exit(void);
/* Bytes of all chunks (meminfo's Percpu). */
unsigned long percpu_total_bytes(void);
/* Releases empty dynamic chunks to the buddy (a shrinker calls it). */
unsigned long percpu_release_empty_chunks(void);

#endif
