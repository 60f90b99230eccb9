/* <linux/memblock.h> on kmm: boot-time memory between kmm_init_early()
 * and kmm_init_late() — memblock_alloc, memblock_phys_alloc,
 * memblock_free, memblock_start/end_of_DRAM — and the older bootmem
 * names. */
#ifndef KMM_LINUX_MEMBLOCK_H
#define KMM_LINUX_MEMBLOCK_H

#include <linux/types.h>
#include <kmm/memblock.h>
#include <kmm/bootmem.h>

#endif
