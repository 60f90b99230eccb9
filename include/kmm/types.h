/* Basic kernel types shared by every public header. */
#ifndef KMM_TYPES_H
#define KMM_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
#define KMM_EXTERN_C_BEGIN extern "C" {
#define KMM_EXTERN_C_END }
#else
#define KMM_EXTERN_C_BEGIN
#define KMM_EXTERN_C_END
#endif

#if defined(KMM_BUILDING)
#define KMM_API __attribute__((visibility("default")))
#else
#define KMM_API
#endif

typedef unsigned int gfp_t;
typedef unsigned int slab_flags_t;
typedef uint64_t phys_addr_t;
typedef struct { unsigned long pgprot; } pgprot_t;

struct page;
struct zone;

#endif
