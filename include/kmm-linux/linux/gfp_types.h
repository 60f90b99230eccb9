/* <linux/gfp_types.h> on kmm: the GFP flags, with the kernel's values. */
#ifndef KMM_LINUX_GFP_TYPES_H
#define KMM_LINUX_GFP_TYPES_H

#include <linux/types.h>
#include <kmm/gfp.h>

#endif
