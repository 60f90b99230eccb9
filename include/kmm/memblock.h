/* Boot-time memory: between kmm_init_early() and kmm_init_late(). */
#ifndef KMM_MEMBLOCK_H
#define KMM_MEMBLOCK_H

#include <kmm/types.h>

#define SMP_CACHE_BYTES 64

KMM_EXTERN_C_BEGIN
KMM_API void *memblock_alloc(phys_addr_t size, phys_addr_t align);
KMM_API void memblock_free(void *ptr, size_t size);
KMM_API phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align);
KMM_API phys_addr_t memblock_start_of_DRAM(void);
KMM_API phys_addr_t memblock_end_of_DRAM(void);
KMM_EXTERN_C_END

#endif
