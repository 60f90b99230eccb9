/* Temporary kernel mappings of (possibly HighMem) pages. */
#ifndef KMM_HIGHMEM_H
#define KMM_HIGHMEM_H

#include <kmm/mm.h>

KMM_EXTERN_C_BEGIN
KMM_API void *kmap(struct page *page);
KMM_API void kunmap(struct page *page);
KMM_API void *kmap_local_page(struct page *page);
KMM_API void kunmap_local(const void *addr);
KMM_EXTERN_C_END

#endif
