/* The kmalloc family's caches (kmalloc.c), made at boot after the slab
 * allocator is up and forgotten before it goes, under the boot lock. */
#ifndef KMM_SLUB_KMALLOC_H
#define KMM_SLUB_KMALLOC_H

int kmalloc_init(void);
void kmalloc_exit(void);

#endif
