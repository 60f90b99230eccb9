/* Simulated physical memory (DESIGN.md §3): one memfd of mem= bytes, the
 * direct map of low memory, and mem_map, the array of struct page.
 *
 * Populating: by default (populate=auto or 0) everything is sparse and is
 * populated on first use, at every mem=: boot is a few system calls and
 * writes no struct page (the buddy defers whole max-order blocks, and a
 * zeroed struct page is a valid "inside a block" page, state PS_NONE), so
 * a program pays for the memory it uses, not for mem=. A first touch of a
 * page costs a host page fault (3-5 us here) whether it comes then or from
 * a pre-fault, so pre-faulting in advance would save the hot paths little
 * and cost every program its whole mem= in RSS. populate=1 allocates the
 * memfd and pre-faults the direct map and mem_map at boot, for those who
 * want no fault later (free page reporting is then off by default).
 *
 * No locks: set up before any other thread may use kmm, torn down after. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "buddy/phys.h"
#include "lib/bug.h"

struct kmm_mem kmm_mem = { .memfd = -1 };

#define LOWMEM_32BIT_END	(896UL << 20)

static bool want_populate(void)
{
	return kmm_config.populate > 0;
}

int phys_init(void)
{
	unsigned long mem = kmm_config.mem;
	unsigned long lowmem = mem;
	size_t map_bytes;
	bool populate = want_populate();
	int populate_flag = populate ? MAP_POPULATE : 0;

	if (kmm_config.layout == LAYOUT_32BIT && lowmem > LOWMEM_32BIT_END)
		lowmem = LOWMEM_32BIT_END;

	kmm_mem.memfd = memfd_create("kmm-physmem", MFD_CLOEXEC);
	if (kmm_mem.memfd < 0)
		return -errno;
	if (ftruncate(kmm_mem.memfd, (off_t)mem) < 0)
		goto fail;
	if (populate && fallocate(kmm_mem.memfd, 0, 0, (off_t)mem) < 0 && errno != EOPNOTSUPP)
		goto fail;

	/* Aligned to a max-order block, as the kernel's direct map is to huge
	 * pages: a block of 2^n pages is then 2^n-page aligned virtually too,
	 * which kmalloc's natural alignment of kmalloc-8k relies on. */
	{
		unsigned long block = PAGE_SIZE << MAX_PAGE_ORDER;
		char *resv = mmap(NULL, lowmem + block, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		char *aligned;

		if (resv == MAP_FAILED)
			goto fail;
		aligned = (char *)(((unsigned long)resv + block - 1) & ~(block - 1));
		if (aligned > resv)
			munmap(resv, (size_t)(aligned - resv));
		munmap(aligned + lowmem, (size_t)(resv + block - aligned));
		kmm_mem.direct_map = mmap(aligned, lowmem, PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_FIXED | populate_flag, kmm_mem.memfd, 0);
	}
	if (kmm_mem.direct_map == MAP_FAILED) {
		kmm_mem.direct_map = NULL;
		goto fail;
	}
	kmm_mem.populated = populate;
	kmm_mem.nr_pages = mem >> PAGE_SHIFT;
	kmm_mem.lowmem_pages = lowmem >> PAGE_SHIFT;
	kmm_mem.lowmem_bytes = kmm_mem.lowmem_pages << PAGE_SHIFT;

	map_bytes = kmm_mem.nr_pages * sizeof(struct page);
	kmm_mem.mem_map = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | populate_flag, -1, 0);
	if (kmm_mem.mem_map == MAP_FAILED) {
		kmm_mem.mem_map = NULL;
		goto fail;
	}
	return 0;
fail:
	{
		int err = -errno;

		phys_exit();
		return err ? err : -ENOMEM;
	}
}

void phys_exit(void)
{
	if (kmm_mem.mem_map)
		munmap(kmm_mem.mem_map, kmm_mem.nr_pages * sizeof(struct page));
	/* zones_exit() cleaned the ASan shadow of what the buddy used. */
	if (kmm_mem.direct_map)
		munmap(kmm_mem.direct_map, kmm_mem.lowmem_pages << PAGE_SHIFT);
	if (kmm_mem.memfd >= 0)
		close(kmm_mem.memfd);
	memset(&kmm_mem, 0, sizeof(kmm_mem));
	kmm_mem.memfd = -1;
}

/* Zeroes pages through the direct map, or for HighMem pages (not mapped)
 * by writing zeroes into the memfd. The zeroes are writable data (.bss,
 * never written), not constant: constant, they would be 64 KiB of the
 * library's file that the host maps into every process. */
void phys_zero_pages(unsigned long pfn, unsigned long nr)
{
	static char zeros[64 << 10];

	if (pfn + nr <= kmm_mem.lowmem_pages) {
		memset(pfn_to_virt(pfn), 0, nr << PAGE_SHIFT);
		return;
	}
	for (unsigned long off = pfn << PAGE_SHIFT, end = (pfn + nr) << PAGE_SHIFT; off < end;) {
		size_t len = MIN(sizeof(zeros), end - off);
		ssize_t n = pwrite(kmm_mem.memfd, zeros, len, (off_t)off);

		if (n <= 0) {
			kmm_warn("phys_zero_pages: pwrite at %#lx failed", off);
			return;
		}
		off += (unsigned long)n;
	}
}

/* ---- address conversion (the kernel's O(1) arithmetic) ---- */

void *page_address(const struct page *page)
{
	unsigned long pfn;

	if (!page_valid(page))
		return NULL;
	pfn = pfn_of(page);
	if (pfn >= kmm_mem.lowmem_pages)
		return atomic_load_relaxed(&((struct page *)page)->virtual);
	return pfn_to_virt(pfn);
}

struct page *virt_to_page(const void *addr)
{
	if (!virt_in_direct_map(addr))
		return NULL;
	return pfn_page((unsigned long)((const char *)addr - kmm_mem.direct_map) >> PAGE_SHIFT);
}

unsigned long page_to_pfn(const struct page *page)
{
	return pfn_of(page);
}

struct page *pfn_to_page(unsigned long pfn)
{
	return pfn_valid(pfn) ? pfn_page(pfn) : NULL;
}

phys_addr_t __pa(const void *addr)
{
	return (phys_addr_t)((const char *)addr - kmm_mem.direct_map);
}

void *__va(phys_addr_t phys)
{
	return kmm_mem.direct_map + phys;
}

phys_addr_t virt_to_phys(const void *addr)
{
	return __pa(addr);
}

void *phys_to_virt(phys_addr_t phys)
{
	return __va(phys);
}

int PageHighMem(const struct page *page)
{
	return page_valid(page) && pfn_of(page) >= kmm_mem.lowmem_pages;
}

int page_count(const struct page *page)
{
	return atomic_load_relaxed(&page_compound_head(page)->refcount);
}

struct page *compound_head(const struct page *page)
{
	return page_compound_head(page);
}

unsigned int compound_order(const struct page *page)
{
	if (!PageHead(page))
		return 0;
	return PAGE_STATE_ORDER(page_state_read(page));
}

unsigned long totalram_pages(void)
{
	return atomic_load_relaxed(&kmm_mem.totalram);
}

