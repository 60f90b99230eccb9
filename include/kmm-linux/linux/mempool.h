/* <linux/mempool.h> on kmm: memory pools — mempool_create and its kmalloc,
 * page and slab forms, mempool_init/exit, mempool_alloc (a GFP_KERNEL
 * allocation waits for an element rather than fail), mempool_free,
 * mempool_resize, mempool_destroy. */
#ifndef KMM_LINUX_MEMPOOL_H
#define KMM_LINUX_MEMPOOL_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <kmm/mempool.h>

#endif
