/* <linux/kernel.h> on kmm, the memory-related part: array and container
 * arithmetic, min/max, alignment and rounding, branch hints, READ_ONCE,
 * and the page size. Printing, WARN_ON and the rest of the kernel's
 * kernel.h stay the program's business (none of it is defined here, so a
 * program's own definitions do not clash). The host's user-space
 * <linux/kernel.h> comes first when there is one. */
#ifndef KMM_LINUX_KERNEL_H
#define KMM_LINUX_KERNEL_H

#if defined(__has_include_next)
#if __has_include_next(<linux/kernel.h>)
#include_next <linux/kernel.h>
#endif
#endif
#include <limits.h>
#include <linux/types.h>
#include <kmm/mm.h>

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#ifndef READ_ONCE
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#endif
#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#endif
#ifndef barrier
#define barrier()	__asm__ __volatile__("" ::: "memory")
#endif

#ifndef BITS_PER_LONG
#define BITS_PER_LONG	(__SIZEOF_LONG__ * 8)
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))
#endif
#ifndef BUILD_BUG_ON
#define BUILD_BUG_ON(cond) ((void)sizeof(char[1 - 2 * !!(cond)]))
#endif

/* min/max evaluate each argument once, as the kernel's do. */
#ifndef min
#define min(x, y) __extension__ ({ __typeof__(x) kmm_min_x_ = (x); \
	__typeof__(y) kmm_min_y_ = (y); kmm_min_x_ < kmm_min_y_ ? kmm_min_x_ : kmm_min_y_; })
#endif
#ifndef max
#define max(x, y) __extension__ ({ __typeof__(x) kmm_max_x_ = (x); \
	__typeof__(y) kmm_max_y_ = (y); kmm_max_x_ > kmm_max_y_ ? kmm_max_x_ : kmm_max_y_; })
#endif
#ifndef min_t
#define min_t(type, x, y) min((type)(x), (type)(y))
#endif
#ifndef max_t
#define max_t(type, x, y) max((type)(x), (type)(y))
#endif
#ifndef clamp
#define clamp(val, lo, hi) min(max(val, lo), hi)
#endif
#ifndef clamp_t
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#endif
#ifndef swap
#define swap(a, b) do { __typeof__(a) kmm_swap_t_ = (a); (a) = (b); (b) = kmm_swap_t_; } while (0)
#endif

/* Alignment and rounding; `a` is a power of two where the kernel's is. */
#ifndef ALIGN
#define ALIGN(x, a)	(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#endif
#ifndef ALIGN_DOWN
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#endif
#ifndef IS_ALIGNED
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#endif
#ifndef PTR_ALIGN
#define PTR_ALIGN(p, a)	((__typeof__(p))ALIGN((unsigned long)(p), (a)))
#endif
#ifndef round_up
#define round_up(x, y)	((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#endif
#ifndef round_down
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
#endif
#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
#ifndef offset_in_page
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#endif

#endif
