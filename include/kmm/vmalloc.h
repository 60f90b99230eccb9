/* Virtually contiguous memory from physically scattered pages. */
#ifndef KMM_VMALLOC_H
#define KMM_VMALLOC_H

#include <kmm/mm.h>

#define VM_IOREMAP		0x00000001ul
#define VM_ALLOC		0x00000002ul
#define VM_MAP			0x00000004ul
#define VM_NO_GUARD		0x00000040ul	/* no guard page after the area */
#define VM_ALLOW_HUGE_VMAP	0x00000400ul	/* PMD-aligned and sized (vmalloc_huge) */
/* Mapping protections: read, write and execute bits. */
#define PAGE_KERNEL		((pgprot_t){ 0x3 })
#define PAGE_KERNEL_RO		((pgprot_t){ 0x1 })
#define PAGE_KERNEL_EXEC	((pgprot_t){ 0x7 })
#ifndef NUMA_NO_NODE
#define NUMA_NO_NODE		(-1)
#endif
/* The vmalloc space, for __vmalloc_node_range() (set at boot). */
#define VMALLOC_START		kmm_vmalloc_start()
#define VMALLOC_END		kmm_vmalloc_end()

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
/* align: a power of two (bytes); node: 0 or NUMA_NO_NODE; caller: the
 * return address vmallocinfo shows. */
KMM_API void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp, int node,
			     const void *caller);
KMM_API void *__vmalloc_node_range(unsigned long size, unsigned long align, unsigned long start,
				   unsigned long end, gfp_t gfp, pgprot_t prot,
				   unsigned long vm_flags, int node, const void *caller);
KMM_API void *vmalloc_huge(unsigned long size, gfp_t gfp);
/* Maps count pages; vm_unmap_ram must be given the same count. */
KMM_API void *vm_map_ram(struct page **pages, unsigned int count, int node);
KMM_API void vm_unmap_ram(const void *mem, unsigned int count);
KMM_API unsigned long kmm_vmalloc_start(void);
KMM_API unsigned long kmm_vmalloc_end(void);
KMM_EXTERN_C_END

#endif
