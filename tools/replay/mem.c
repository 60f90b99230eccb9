/* Large arrays in their own mappings (see mem.h). mremap grows them in
 * place or moves their pages without copying. */
#include <stdlib.h>
#include <sys/mman.h>
#include "mem.h"

static size_t map_bytes(size_t n, size_t size)
{
	size_t b = n * size;

	return (b + 4095) & ~(size_t)4095;
}

void rp_big_reserve(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n, old, new;
	void *q;

	if (need <= *cap && *p)
		return;
	n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	old = *p ? map_bytes(*cap, size) : 0;
	new = map_bytes(n, size);
	if (*p)
		q = mremap(*p, old, new, MREMAP_MAYMOVE);
	else
		q = mmap(NULL, new, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		abort();
	*p = q;
	*cap = n;
}

void rp_big_free(void *p, size_t cap, size_t size)
{
	if (p)
		munmap(p, map_bytes(cap, size));
}

/* One mapping per block, its size in the 16 bytes before it. */
void *rp_big_malloc(size_t bytes)
{
	size_t len = map_bytes(bytes + 16, 1);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	*(size_t *)p = len;
	return p + 16;
}

void rp_big_release(void *p)
{
	if (p)
		munmap((char *)p - 16, *(size_t *)((char *)p - 16));
}
