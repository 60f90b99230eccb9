/* <linux/shrinker.h> on kmm: struct shrinker and shrink_control,
 * shrinker_alloc, shrinker_register, shrinker_free, SHRINK_STOP. */
#ifndef KMM_LINUX_SHRINKER_H
#define KMM_LINUX_SHRINKER_H

#include <linux/types.h>
#include <kmm/shrinker.h>

#endif
