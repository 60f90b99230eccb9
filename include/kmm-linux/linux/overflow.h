/* <linux/overflow.h> on kmm: checked arithmetic for allocation sizes. The
 * check_*_overflow() helpers store the wrapped result and return true on
 * overflow; size_add/size_mul/size_sub and the array and struct sizes
 * saturate at SIZE_MAX, which every kmm allocator refuses. */
#ifndef KMM_LINUX_OVERFLOW_H
#define KMM_LINUX_OVERFLOW_H

#include <stdint.h>
#include <linux/types.h>

#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

static inline size_t size_add(size_t a, size_t b)
{
	size_t r;

	return __builtin_add_overflow(a, b, &r) ? SIZE_MAX : r;
}

static inline size_t size_sub(size_t a, size_t b)
{
	size_t r;

	if (a == SIZE_MAX || b == SIZE_MAX)
		return SIZE_MAX;
	return __builtin_sub_overflow(a, b, &r) ? SIZE_MAX : r;
}

static inline size_t size_mul(size_t a, size_t b)
{
	size_t r;

	return __builtin_mul_overflow(a, b, &r) ? SIZE_MAX : r;
}

#define array_size(a, b)	size_mul(a, b)
#define array3_size(a, b, c)	size_mul(size_mul(a, b), c)
/* Bytes of the flexible array `member` of `p` with `count` elements, and
 * of the whole structure with it. */
#define flex_array_size(p, member, count) size_mul(count, sizeof(*(p)->member))
#define struct_size(p, member, count) \
	size_add(sizeof(*(p)), flex_array_size(p, member, count))
#define struct_size_t(type, member, count) struct_size((type *)NULL, member, count)

#endif
