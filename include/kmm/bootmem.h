/* The older boot allocator names, on top of memblock. */
#ifndef KMM_BOOTMEM_H
#define KMM_BOOTMEM_H

#include <kmm/memblock.h>

KMM_EXTERN_C_BEGIN
KMM_API void *alloc_bootmem_pages(unsigned long size);
KMM_API void *alloc_bootmem_low_pages(unsigned long size);
/* addr is a physical address, as in the kernel. */
KMM_API void free_bootmem(unsigned long addr, unsigned long size);
KMM_EXTERN_C_END

#endif
