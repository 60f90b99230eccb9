/* The vmalloc space: one PROT_NONE reservation, [vmalloc_start, vmalloc_end).
 * No locks (space.c). */
#ifndef KMM_VMALLOC_SPACE_H
#define KMM_VMALLOC_SPACE_H

#include <stdbool.h>
#include "lib/compiler.h"

extern char *vmalloc_start;	/* NULL while vmalloc is not set up */
extern char *vmalloc_end;

static inline bool addr_in_vmalloc_space(const void *addr)
{
	const char *p = addr;

	return p >= atomic_load_relaxed(&vmalloc_start) && p < atomic_load_relaxed(&vmalloc_end);
}

/* Reserves `size` bytes of address space (no memory, no swap) and sets the
 * bounds; 0 or -errno. */
int vmalloc_space_init(unsigned long size);
void vmalloc_space_exit(void);

#endif
