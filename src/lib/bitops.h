/* Bit operations on unsigned long, with the kernel's names and meanings
 * (include/linux/bitops.h, log2.h). No locks, no state. */
#ifndef KMM_LIB_BITOPS_H
#define KMM_LIB_BITOPS_H

#include "lib/compiler.h"

/* fls64(): the 1-based position of the highest set bit; 0 for 0. */
static always_inline unsigned int fls_ul(unsigned long x)
{
	return x ? 64 - (unsigned int)__builtin_clzl(x) : 0;
}

/* __ffs(): the 0-based position of the lowest set bit; x must not be 0. */
static always_inline unsigned int ffs_ul(unsigned long x)
{
	return (unsigned int)__builtin_ctzl(x);
}

/* ilog2(): floor(log2(x)); x must not be 0. */
static always_inline unsigned int ilog2_ul(unsigned long x)
{
	return fls_ul(x) - 1;
}

/* The smallest power of two >= x (x >= 1). */
static always_inline unsigned long roundup_pow_of_two(unsigned long x)
{
	return 1UL << fls_ul(x - 1);
}

#endif
