/* /proc/meminfo, character for character in the kernel's format
 * (fs/proc/meminfo.c): a view over every layer, the page allocator's zone
 * counters, slab and vmalloc pages, the per-CPU allocator's chunks. No
 * locks: every figure is a relaxed read of a counter. */
#include <stdio.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/page_reporting.h"
#include "buddy/vmstat.h"
#include "init/meminfo.h"
#include "percpu/percpu_internal.h"

static void show_val_kb(FILE *m, const char *label, unsigned long pages)
{
	fprintf(m, "%s%8lu kB\n", label, pages << (PAGE_SHIFT - 10));
}

/* si_mem_available(): free pages above the reserves, plus the part of
 * reclaimable slab that could be given back. */
static unsigned long mem_available(unsigned long free, unsigned long sreclaimable)
{
	long totalreserve = 0, wmark_low = 0, avail;
	struct zone *z;

	for_each_populated_zone(z) {
		long max = 0;

		for (int j = 0; j < MAX_NR_ZONES; j++)
			max = MAX(max, z->lowmem_reserve[j]);
		max += (long)z->watermark[WMARK_HIGH];
		totalreserve += MIN(max, (long)atomic_load_relaxed(&z->managed_pages));
		wmark_low += (long)z->watermark[WMARK_LOW];
	}
	avail = (long)free - totalreserve;
	avail += (long)sreclaimable - MIN((long)sreclaimable / 2, wmark_low);
	return avail < 0 ? 0 : (unsigned long)avail;
}

int meminfo_show(FILE *m)
{
	unsigned long total = totalram_pages(), free = nr_free_pages();
	unsigned long srecl = (unsigned long)global_zone_page_state(NR_SLAB_RECLAIMABLE);
	unsigned long sunrecl = (unsigned long)global_zone_page_state(NR_SLAB_UNRECLAIMABLE);
	unsigned long highfree = 0, hightotal = 0;
	struct zone *z;

	for_each_populated_zone(z) {
		if (!z->highmem)
			continue;
		hightotal += atomic_load_relaxed(&z->managed_pages);
		highfree += zone_free_pages_exact(z);
	}
	show_val_kb(m, "MemTotal:       ", total);
	show_val_kb(m, "MemFree:        ", free);
	show_val_kb(m, "MemAvailable:   ", mem_available(free, srecl));
	show_val_kb(m, "Buffers:        ", 0);
	show_val_kb(m, "Cached:         ", 0);
	show_val_kb(m, "SwapCached:     ", 0);
	show_val_kb(m, "Active:         ", 0);
	show_val_kb(m, "Inactive:       ", 0);
	if (kmm_config.layout == LAYOUT_32BIT) {
		show_val_kb(m, "HighTotal:      ", hightotal);
		show_val_kb(m, "HighFree:       ", highfree);
		show_val_kb(m, "LowTotal:       ", total - hightotal);
		show_val_kb(m, "LowFree:        ", free - highfree);
	}
	show_val_kb(m, "SwapTotal:      ", 0);
	show_val_kb(m, "SwapFree:       ", 0);
	show_val_kb(m, "Dirty:          ", 0);
	show_val_kb(m, "Writeback:      ", 0);
	show_val_kb(m, "AnonPages:      ", 0);
	show_val_kb(m, "Mapped:         ", 0);
	show_val_kb(m, "Shmem:          ", 0);
	show_val_kb(m, "KReclaimable:   ", srecl);
	show_val_kb(m, "Slab:           ", srecl + sunrecl);
	show_val_kb(m, "SReclaimable:   ", srecl);
	show_val_kb(m, "SUnreclaim:     ", sunrecl);
	show_val_kb(m, "KernelStack:    ", 0);
	show_val_kb(m, "PageTables:     ", 0);
	show_val_kb(m, "Bounce:         ", 0);
	show_val_kb(m, "CommitLimit:    ", total);
	show_val_kb(m, "Committed_AS:   ", total - free);
	show_val_kb(m, "VmallocTotal:   ", kmm_config.vmalloc_size >> PAGE_SHIFT);
	show_val_kb(m, "VmallocUsed:    ", (unsigned long)global_zone_page_state(NR_VMALLOC));
	show_val_kb(m, "VmallocChunk:   ", 0);
	show_val_kb(m, "Percpu:         ", percpu_total_bytes() >> PAGE_SHIFT);
	/* Not in Linux's meminfo: free memory the host does not hold. */
	show_val_kb(m, "FreeReported:   ", page_reporting_free_reported());
	return 0;
}
