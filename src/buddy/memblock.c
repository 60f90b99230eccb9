/* memblock: the boot-time allocator, between kmm_init_early() and
 * kmm_init_late() (mm/memblock.c). One memory region, [0, mem); a sorted
 * array of reserved regions; allocation is top-down below a limit, as the
 * kernel's default. memblock_free_all() hands every unreserved range to
 * the buddy; reserved pages stay allocated (state PS_BOOT, PG_reserved)
 * until free_bootmem()/memblock_free() returns them. Allocations come
 * zeroed, as the kernel's; memory is zero until first handed out (the
 * memfd is new at every boot), so only a boot that gave some back before
 * late init writes the zeroes: pages nobody writes stay off the host.
 *
 * Lock: memblock_lock (LOCK_RANK_MEMBLOCK) protects the reserved array.
 * memblock_free_all() holds it while it hands ranges to the buddy, so the
 * buddy's locks nest inside; a late free drops it before freeing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/phys.h"
#include "lib/bug.h"

#define MEMBLOCK_MAX_REGIONS 1024

struct memblock_region {
	phys_addr_t base, size;
};

static struct {
	struct memblock_region r[MEMBLOCK_MAX_REGIONS];
	int cnt;
} reserved;
static bool memblock_recycled;	/* a range went back before late init (lock) */

static struct kmm_mutex memblock_lock = KMM_MUTEX_INIT("memblock_lock", LOCK_RANK_MEMBLOCK);

int memblock_init(void)
{
	reserved.cnt = 0;
	memblock_recycled = false;
	return 0;
}

void memblock_exit(void)
{
	reserved.cnt = 0;
}

static void insert_region(int i, phys_addr_t base, phys_addr_t size)
{
	memmove(&reserved.r[i + 1], &reserved.r[i], sizeof(reserved.r[0]) * (size_t)(reserved.cnt - i));
	reserved.r[i] = (struct memblock_region){ base, size };
	reserved.cnt++;
}

/* Adds [base, base+size) to the reserved array, merging neighbours. */
static int reserve_locked(phys_addr_t base, phys_addr_t size)
{
	int i = 0;

	while (i < reserved.cnt && reserved.r[i].base < base)
		i++;
	if (reserved.cnt >= MEMBLOCK_MAX_REGIONS)
		return -ENOSPC;
	insert_region(i, base, size);
	/* merge with the previous and next regions where they touch */
	if (i > 0 && reserved.r[i - 1].base + reserved.r[i - 1].size == base) {
		reserved.r[i - 1].size += size;
		memmove(&reserved.r[i], &reserved.r[i + 1], sizeof(reserved.r[0]) * (size_t)(reserved.cnt - i - 1));
		reserved.cnt--;
		i--;
	}
	if (i + 1 < reserved.cnt && reserved.r[i].base + reserved.r[i].size == reserved.r[i + 1].base) {
		reserved.r[i].size += reserved.r[i + 1].size;
		memmove(&reserved.r[i + 1], &reserved.r[i + 2], sizeof(reserved.r[0]) * (size_t)(reserved.cnt - i - 2));
		reserved.cnt--;
	}
	return 0;
}

/* Removes [base, base+size) when it lies wholly inside one reserved
 * region; false (nothing changed) otherwise. */
static bool unreserve_locked(phys_addr_t base, phys_addr_t size)
{
	for (int i = 0; i < reserved.cnt; i++) {
		struct memblock_region *r = &reserved.r[i];
		phys_addr_t end = base + size, rend = r->base + r->size;

		if (base < r->base || end > rend)
			continue;
		if (base == r->base && end == rend) {
			memmove(r, r + 1, sizeof(*r) * (size_t)(reserved.cnt - i - 1));
			reserved.cnt--;
		} else if (base == r->base) {
			r->base = end;
			r->size = rend - end;
		} else if (end == rend) {
			r->size = base - r->base;
		} else {
			if (reserved.cnt >= MEMBLOCK_MAX_REGIONS)
				return false;
			r->size = base - r->base;
			insert_region(i + 1, end, rend - end);
		}
		return true;
	}
	return false;
}

/* Top-down: the highest aligned free range of `size` below `limit`. */
static phys_addr_t find_free_locked(phys_addr_t size, phys_addr_t align, phys_addr_t limit)
{
	phys_addr_t hi = limit;

	for (int i = reserved.cnt; i >= 0; i--) {
		phys_addr_t lo = i > 0 ? reserved.r[i - 1].base + reserved.r[i - 1].size : 0;
		phys_addr_t top = hi;

		if (i < reserved.cnt && reserved.r[i].base < top)
			top = reserved.r[i].base;
		if (top > lo && top - lo >= size) {
			phys_addr_t cand = (top - size) & ~(align - 1);

			if (cand >= lo)
				return cand;
		}
		if (i > 0 && reserved.r[i - 1].base < hi)
			hi = reserved.r[i - 1].base;
	}
	return (phys_addr_t)-1;
}

static phys_addr_t memblock_alloc_range(phys_addr_t size, phys_addr_t align,
					phys_addr_t limit, const char *caller)
{
	phys_addr_t base;

	if (!kmm_mem.mem_map) {
		kmm_warn("%s: kmm_init_early() has not run", caller);
		return (phys_addr_t)-1;
	}
	if (kmm_mem.live) {
		kmm_warn("%s: called after kmm_init_late(); use kmalloc or alloc_pages", caller);
		return (phys_addr_t)-1;
	}
	if (!size || (align & (align - 1))) {
		kmm_warn("%s: bad size %#llx or alignment %#llx", caller,
			 (unsigned long long)size, (unsigned long long)align);
		return (phys_addr_t)-1;
	}
	if (align < SMP_CACHE_BYTES)
		align = SMP_CACHE_BYTES;
	size = (size + SMP_CACHE_BYTES - 1) & ~(phys_addr_t)(SMP_CACHE_BYTES - 1);
	kmm_mutex_lock(&memblock_lock);
	base = find_free_locked(size, align, limit);
	if (base != (phys_addr_t)-1 && reserve_locked(base, size))
		base = (phys_addr_t)-1;
	kmm_mutex_unlock(&memblock_lock);
	if (base != (phys_addr_t)-1 && memblock_recycled)
		memset(__va(base), 0, size);
	return base;
}

static phys_addr_t lowmem_limit(void)
{
	return (phys_addr_t)kmm_mem.lowmem_pages << PAGE_SHIFT;
}

phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t base = memblock_alloc_range(size, align, lowmem_limit(), "memblock_phys_alloc");

	return base == (phys_addr_t)-1 ? 0 : base;
}

void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t base = memblock_alloc_range(size, align, lowmem_limit(), "memblock_alloc");

	return base == (phys_addr_t)-1 ? NULL : __va(base);
}

void *alloc_bootmem_pages(unsigned long size)
{
	phys_addr_t base = memblock_alloc_range(PAGE_ALIGN(size), PAGE_SIZE, lowmem_limit(),
						"alloc_bootmem_pages");

	return base == (phys_addr_t)-1 ? NULL : __va(base);
}

void *alloc_bootmem_low_pages(unsigned long size)
{
	phys_addr_t limit = MIN(lowmem_limit(), (phys_addr_t)4 << 30);
	phys_addr_t base = memblock_alloc_range(PAGE_ALIGN(size), PAGE_SIZE, limit,
						"alloc_bootmem_low_pages");

	return base == (phys_addr_t)-1 ? NULL : __va(base);
}

phys_addr_t memblock_start_of_DRAM(void)
{
	return 0;
}

phys_addr_t memblock_end_of_DRAM(void)
{
	return (phys_addr_t)kmm_mem.nr_pages << PAGE_SHIFT;
}

/* Frees boot memory: before late init the reservation goes away; after,
 * its whole pages go to the buddy. A range that is not (wholly) reserved
 * is reported and nothing changes. */
static void memblock_free_range(phys_addr_t base, phys_addr_t size, const char *caller)
{
	unsigned long start_pfn, end_pfn;
	bool ok;

	if (!size)
		return;
	if (!kmm_mem.mem_map || base + size > memblock_end_of_DRAM() || base + size < base) {
		kmm_bug("%s: [%#llx-%#llx] is not kmm boot memory", caller,
			(unsigned long long)base, (unsigned long long)(base + size - 1));
		return;
	}
	if (!kmm_mem.live)
		size = (size + SMP_CACHE_BYTES - 1) & ~(phys_addr_t)(SMP_CACHE_BYTES - 1);
	kmm_mutex_lock(&memblock_lock);
	ok = unreserve_locked(base, size);
	if (ok && !kmm_mem.live)
		memblock_recycled = true;
	kmm_mutex_unlock(&memblock_lock);
	if (!ok) {
		kmm_bug("%s: [%#llx-%#llx] was not allocated at boot (double free?)", caller,
			(unsigned long long)base, (unsigned long long)(base + size - 1));
		return;
	}
	if (!kmm_mem.live)
		return;
	/* Only whole pages go back, as free_reserved_area(). */
	start_pfn = (unsigned long)((base + PAGE_SIZE - 1) >> PAGE_SHIFT);
	end_pfn = (unsigned long)((base + size) >> PAGE_SHIFT);
	for (unsigned long pfn = start_pfn; pfn < end_pfn; pfn++) {
		ClearPageFlag(pfn_page(pfn), PG_reserved);
		page_state_set(pfn_page(pfn), PS_NONE, 0);
	}
	if (start_pfn < end_pfn)
		buddy_free_range_boot(start_pfn, end_pfn);
}

void memblock_free(void *ptr, size_t size)
{
	if (!ptr)
		return;
	if (!virt_in_direct_map(ptr)) {
		kmm_bug("memblock_free: %p is not a direct-map address", ptr);
		return;
	}
	memblock_free_range(__pa(ptr), size, "memblock_free");
}

void free_bootmem(unsigned long addr, unsigned long size)
{
	memblock_free_range((phys_addr_t)addr, size, "free_bootmem");
}

unsigned long memblock_reserved_pages(void)
{
	unsigned long pages = 0;

	kmm_mutex_lock(&memblock_lock);
	for (int i = 0; i < reserved.cnt; i++)
		pages += (unsigned long)((reserved.r[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	kmm_mutex_unlock(&memblock_lock);
	return pages;
}

/* memblock_free_all(): the buddy goes live with every unreserved range;
 * reserved pages are marked so a late free can find them. */
void memblock_free_all(void)
{
	unsigned long prev_end = 0;

	kmm_mutex_lock(&memblock_lock);
	for (int i = 0; i <= reserved.cnt; i++) {
		unsigned long rstart = i < reserved.cnt ?
			(unsigned long)(reserved.r[i].base >> PAGE_SHIFT) : kmm_mem.nr_pages;
		unsigned long rend = i < reserved.cnt ?
			(unsigned long)((reserved.r[i].base + reserved.r[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT) :
			kmm_mem.nr_pages;

		if (rstart > prev_end)
			buddy_free_range_boot(prev_end, rstart);
		for (unsigned long pfn = rstart; pfn < rend; pfn++) {
			SetPageFlag(pfn_page(pfn), PG_reserved);
			page_state_set(pfn_page(pfn), PS_BOOT, 0);
		}
		if (rend > prev_end)
			prev_end = rend;
	}
	kmm_mutex_unlock(&memblock_lock);
}
