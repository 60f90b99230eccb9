/* <linux/vmalloc.h> on kmm: vmalloc, vzalloc, vmalloc_32, __vmalloc and
 * their node and range forms, vfree, vmap/vunmap, vm_map_ram, vmalloc_to_page,
 * is_vmalloc_addr, vm_unmap_aliases. */
#ifndef KMM_LINUX_VMALLOC_H
#define KMM_LINUX_VMALLOC_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <kmm/vmalloc.h>

#endif
