/* <linux/types.h> on kmm: the kernel's fixed-width names (u8 ... s64),
 * the allocator's types (gfp_t, slab_flags_t, phys_addr_t, struct
 * list_head, struct rcu_head) and the kernel's address-space annotations,
 * which mean nothing to a C compiler. The host's user-space
 * <linux/types.h> (__u8 ... __u64, __le32, ...) comes first when there is
 * one, so system headers that include it keep working. */
#ifndef KMM_LINUX_TYPES_H
#define KMM_LINUX_TYPES_H

#if defined(__has_include_next)
#if __has_include_next(<linux/types.h>)
#include_next <linux/types.h>
#endif
#endif
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kmm/types.h>
#include <kmm/rcupdate.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned long ulong;
typedef unsigned int uint;
typedef phys_addr_t resource_size_t;
typedef u64 dma_addr_t;
typedef unsigned long pgoff_t;

#ifndef __percpu
#define __percpu
#endif
#ifndef __rcu
#define __rcu
#endif
#ifndef __user
#define __user
#endif
#ifndef __iomem
#define __iomem
#endif
#ifndef __force
#define __force
#endif
#ifndef __bitwise
#define __bitwise
#endif
#ifndef __must_check
#define __must_check __attribute__((warn_unused_result))
#endif
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __maybe_unused
#define __maybe_unused __attribute__((unused))
#endif
#ifndef __aligned
#define __aligned(x) __attribute__((aligned(x)))
#endif
#ifndef __packed
#define __packed __attribute__((packed))
#endif

#endif
