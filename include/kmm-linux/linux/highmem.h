/* <linux/highmem.h> on kmm: kmap, kunmap, kmap_local_page, kunmap_local,
 * and the page clearing and copying helpers built on them. */
#ifndef KMM_LINUX_HIGHMEM_H
#define KMM_LINUX_HIGHMEM_H

#include <string.h>
#include <linux/mm.h>
#include <kmm/highmem.h>

static inline void clear_highpage(struct page *page)
{
	void *addr = kmap_local_page(page);

	memset(addr, 0, PAGE_SIZE);
	kunmap_local(addr);
}

static inline void copy_highpage(struct page *to, struct page *from)
{
	void *src = kmap_local_page(from), *dst = kmap_local_page(to);

	memcpy(dst, src, PAGE_SIZE);
	kunmap_local(dst);
	kunmap_local(src);
}

static inline void memcpy_to_page(struct page *page, size_t offset, const char *from, size_t len)
{
	char *to = kmap_local_page(page);

	memcpy(to + offset, from, len);
	kunmap_local(to);
}

static inline void memcpy_from_page(char *to, struct page *page, size_t offset, size_t len)
{
	char *from = kmap_local_page(page);

	memcpy(to, from + offset, len);
	kunmap_local(from);
}

static inline void memzero_page(struct page *page, size_t offset, size_t len)
{
	char *addr = kmap_local_page(page);

	memset(addr + offset, 0, len);
	kunmap_local(addr);
}

#endif
