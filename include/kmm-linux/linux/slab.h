/* <linux/slab.h> on kmm: slab caches (kmem_cache_*, KMEM_CACHE), the
 * kmalloc family, kvmalloc, kfree_rcu/kvfree_rcu, with the kernel's node
 * variants (kmm has one node). */
#ifndef KMM_LINUX_SLAB_H
#define KMM_LINUX_SLAB_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/overflow.h>
#include <kmm/slab.h>

/* A cache named after a structure, sized and aligned for it. */
#define KMEM_CACHE(type, flags) \
	kmem_cache_create(#type, sizeof(struct type), __alignof__(struct type), (flags), NULL)

#define kmalloc_node(size, gfp, nid)		((void)(nid), kmalloc(size, gfp))
#define kzalloc_node(size, gfp, nid)		((void)(nid), kzalloc(size, gfp))
#define kcalloc_node(n, size, gfp, nid)		((void)(nid), kcalloc(n, size, gfp))
#define kmalloc_array_node(n, size, gfp, nid)	((void)(nid), kmalloc_array(n, size, gfp))
#define kvmalloc_node(size, gfp, nid)		((void)(nid), kvmalloc(size, gfp))
#define kvzalloc_node(size, gfp, nid)		((void)(nid), kvzalloc(size, gfp))
#define kmem_cache_alloc_node(s, gfp, nid)	((void)(nid), kmem_cache_alloc(s, gfp))
#define kmem_cache_zalloc_node(s, gfp, nid)	((void)(nid), kmem_cache_zalloc(s, gfp))
#define krealloc_array(p, n, size, gfp)		krealloc(p, size_mul(n, size), gfp)

#endif
