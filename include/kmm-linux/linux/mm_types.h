/* <linux/mm_types.h> on kmm: struct page and struct folio, both opaque:
 * kernel code reaches them through the calls of <linux/mm.h>. */
#ifndef KMM_LINUX_MM_TYPES_H
#define KMM_LINUX_MM_TYPES_H

#include <linux/types.h>
#include <kmm/mm.h>

#endif
