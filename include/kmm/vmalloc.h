/* Virtually contiguous memory from physically scattered pages. */
#ifndef KMM_VMALLOC_H
#define KMM_VMALLOC_H

#include <kmm/mm.h>

#define VM_IOREMAP	0x00000001ul
#define VM_ALLOC	0x00000002ul
#define VM_MAP		0x00000004ul
#define PAGE_KERNEL	((pgprot_t){ 0x3 })

KMM_EXTERN_C_BEGIN
KMM_API void *vmalloc(unsigned long size);
KMM_API void *vzalloc(unsigned long size);
KMM_API void *vmalloc_32(unsigned long size);
KMM_API void *__vmalloc(unsigned long size, gfp_t gfp);
KMM_API void vfree(const void *addr);
KMM_API void vfree_atomic(const void *addr);
KMM_API void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot);
KMM_API void vunmap(const void *addr);
KMM_API struct page *vmalloc_to_page(const void *addr);
KMM_API unsigned long vmalloc_to_pfn(const void *addr);
KMM_API int is_vmalloc_addr(const void *addr);
KMM_API void vm_unmap_aliases(void);
KMM_EXTERN_C_END

#endif
