/* The bounds of the vmalloc space, read by every part that must tell a
 * vmalloc address from a direct-map one (kfree's checks, kvfree), and the
 * reservation behind them: PROT_NONE and MAP_NORESERVE, so the default
 * 1 TiB costs page-table space only where something is mapped. No locks:
 * the bounds are written only while kmm is not booted. */
#include <errno.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "vmalloc/space.h"

#define VMALLOC_MIN_SIZE	(16UL << 20)

char *vmalloc_start;
char *vmalloc_end;

int is_vmalloc_addr(const void *addr)
{
	return addr_in_vmalloc_space(addr);
}

int vmalloc_space_init(unsigned long size)
{
	unsigned long want = size;
	char *base;

	/* The address space may have no hole that large (sanitizer runtimes
	 * take most of it): halve until it fits, as a smaller VMALLOC_END. */
	for (;;) {
		base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			    -1, 0);
		if (base != MAP_FAILED)
			break;
		if (errno != ENOMEM || size / 2 < VMALLOC_MIN_SIZE)
			return -errno;
		size /= 2;
	}
	if (size != want)
		kmm_pr_info("kmm: vmalloc space reduced to %lu MiB: no room for %lu MiB of "
			    "address space", size >> 20, want >> 20);
	/* Start first, end last: a reader between the two sees an empty
	 * space, never one that begins at address 0. */
	atomic_store_release(&vmalloc_start, base);
	atomic_store_release(&vmalloc_end, base + size);
	return 0;
}

void vmalloc_space_exit(void)
{
	char *start = atomic_load_relaxed(&vmalloc_start);
	char *end = atomic_load_relaxed(&vmalloc_end);

	if (!start)
		return;
	atomic_store_release(&vmalloc_end, NULL);
	atomic_store_release(&vmalloc_start, NULL);
	munmap(start, (size_t)(end - start));
}
