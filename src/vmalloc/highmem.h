/* Temporary mappings of HighMem pages (highmem.c): boot and exit. */
#ifndef KMM_VMALLOC_HIGHMEM_H
#define KMM_VMALLOC_HIGHMEM_H

int kmap_init(void);
void kmap_exit(void);

#endif
