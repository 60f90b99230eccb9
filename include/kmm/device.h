/* Resource-managed (devres) allocations, released when a device detaches. */
#ifndef KMM_DEVICE_H
#define KMM_DEVICE_H

#include <kmm/types.h>
#include <kmm/gfp.h>

struct device;

KMM_EXTERN_C_BEGIN
KMM_API struct device *kmm_device_create(const char *name);
KMM_API void kmm_device_detach(struct device *dev);
KMM_API void kmm_device_destroy(struct device *dev);
KMM_API void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp);
KMM_API void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp);
KMM_API void *devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t gfp);
KMM_API void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t gfp);
KMM_API void *devm_kmemdup(struct device *dev, const void *src, size_t len, gfp_t gfp);
KMM_API char *devm_kstrdup(struct device *dev, const char *s, gfp_t gfp);
KMM_API void devm_kfree(struct device *dev, const void *p);
KMM_API int devm_add_action(struct device *dev, void (*action)(void *), void *data);
KMM_EXTERN_C_END

#endif
