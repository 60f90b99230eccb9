/* Helpers of the malloc tests: programs run with libkmm-malloc preloaded
 * (or linked first), or linked with the kmm_-prefixed library under the
 * sanitizers (M(malloc) is then kmm_malloc). */
#ifndef KMM_MALLOC_MTEST_H
#define KMM_MALLOC_MTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>

#ifdef KMM_MALLOC_PREFIX
#include "prefixed.h"
#define M(n)	kmm_##n
#else
#define M(n)	n
#endif

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		exit(1);						\
	}								\
} while (0)

/* A block's contents: a pattern from its address and a seed. */
static inline void mt_fill(void *p, size_t n, unsigned int seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)(seed * 31 + i * 7);
}

static inline int mt_intact(const void *p, size_t n, unsigned int seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != (unsigned char)(seed * 31 + i * 7))
			return 0;
	return 1;
}

/* Whether the process's malloc is kmm's: kmalloc-128 serves 100 bytes,
 * glibc gives 104. */
static inline int mt_malloc_is_kmm(void)
{
	void *p = M(malloc)(100);
	size_t n = M(malloc_usable_size)(p);

	M(free)(p);
	return n == 128;
}

#endif
