/* <linux/device.h> on kmm, the devres part: devm_kmalloc and its kin and
 * devm_add_action, on devices made with kmm_device_create(); a device's
 * resources are released, newest first, when it detaches. */
#ifndef KMM_LINUX_DEVICE_H
#define KMM_LINUX_DEVICE_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <kmm/device.h>

#endif
