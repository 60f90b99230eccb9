/* devres (drivers/base/devres.c): allocations and actions owned by a
 * device, released newest first when it detaches.
 *
 * Each resource is one kmalloc block: a struct devres header, then the
 * caller's data (aligned as kmalloc's). Lock: dev->lock
 * (LOCK_RANK_DEVICE) guards the device's list; release callbacks and
 * kfree run after the nodes are off the list, outside the lock, so a
 * release may itself use devm_* on other devices. */
#include <errno.h>
#include <string.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/list.h"
#include "lib/lock.h"

struct device {
	struct kmm_spinlock lock;
	struct list_head devres;	/* newest first */
	char name[48];
};

struct devres {
	struct list_head entry;
	void (*action)(void *data);	/* devm_add_action */
	void *action_data;
	size_t size;
	/* kmalloc's minimum alignment for the data that follows */
	unsigned long long data[] __attribute__((aligned(8)));
};

struct device *kmm_device_create(const char *name)
{
	struct device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);

	if (!dev)
		return NULL;
	kmm_spin_init(&dev->lock, "devres_lock", LOCK_RANK_DEVICE);
	INIT_LIST_HEAD(&dev->devres);
	snprintf(dev->name, sizeof(dev->name), "%s", name ? name : "(unnamed)");
	return dev;
}

static struct devres *devres_alloc(size_t size, gfp_t gfp)
{
	struct devres *dr;
	size_t total;

	if (__builtin_add_overflow(sizeof(*dr), size, &total))
		return NULL;
	dr = kmalloc(total, gfp);
	if (!dr)
		return NULL;
	memset(dr, 0, sizeof(*dr));
	INIT_LIST_HEAD(&dr->entry);
	dr->size = size;
	return dr;
}

static void devres_add(struct device *dev, struct devres *dr)
{
	kmm_spin_lock(&dev->lock);
	list_add(&dr->entry, &dev->devres);
	kmm_spin_unlock(&dev->lock);
}

/* Releases every resource, newest first. */
void kmm_device_detach(struct device *dev)
{
	struct list_head todo = LIST_HEAD_INIT(todo);

	if (!dev)
		return;
	kmm_spin_lock(&dev->lock);
	if (!list_empty(&dev->devres)) {
		/* Move the whole list: todo.next is the newest. */
		todo.next = dev->devres.next;
		todo.prev = dev->devres.prev;
		todo.next->prev = &todo;
		todo.prev->next = &todo;
		INIT_LIST_HEAD(&dev->devres);
	}
	kmm_spin_unlock(&dev->lock);
	while (!list_empty(&todo)) {
		struct devres *dr = list_first_entry(&todo, struct devres, entry);

		list_del(&dr->entry);
		if (dr->action)
			dr->action(dr->action_data);
		kfree(dr);
	}
}

void kmm_device_destroy(struct device *dev)
{
	if (!dev)
		return;
	kmm_device_detach(dev);
	kfree(dev);
}

void *devm_kmalloc(struct device *dev, size_t size, gfp_t gfp)
{
	struct devres *dr;

	if (!dev) {
		kmm_warn("devm_kmalloc: no device");
		return NULL;
	}
	if (!size)
		return ZERO_SIZE_PTR;
	dr = devres_alloc(size, gfp);
	if (!dr)
		return NULL;
	devres_add(dev, dr);
	return dr->data;
}

void *devm_kzalloc(struct device *dev, size_t size, gfp_t gfp)
{
	return devm_kmalloc(dev, size, gfp | __GFP_ZERO);
}

void *devm_kmalloc_array(struct device *dev, size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return devm_kmalloc(dev, bytes, gfp);
}

void *devm_kcalloc(struct device *dev, size_t n, size_t size, gfp_t gfp)
{
	return devm_kmalloc_array(dev, n, size, gfp | __GFP_ZERO);
}

void *devm_kmemdup(struct device *dev, const void *src, size_t len, gfp_t gfp)
{
	void *p = devm_kmalloc(dev, len, gfp);

	if (p && !ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}

char *devm_kstrdup(struct device *dev, const char *s, gfp_t gfp)
{
	return s ? devm_kmemdup(dev, s, strlen(s) + 1, gfp) : NULL;
}

/* Frees one devm allocation early; a pointer the device does not own is
 * reported and left alone (the kernel's WARN_ON in devm_kfree). */
void devm_kfree(struct device *dev, const void *p)
{
	struct devres *found = NULL;
	struct list_head *pos;

	if (ZERO_OR_NULL_PTR(p))
		return;
	if (!dev) {
		kmm_warn("devm_kfree: no device for %p", p);
		return;
	}
	kmm_spin_lock(&dev->lock);
	list_for_each(pos, &dev->devres) {
		struct devres *dr = list_entry(pos, struct devres, entry);

		if (!dr->action && (const void *)dr->data == p) {
			list_del(&dr->entry);
			found = dr;
			break;
		}
	}
	kmm_spin_unlock(&dev->lock);
	if (!found) {
		kmm_warn("devm_kfree: %p is not a devm allocation of device %s", p, dev->name);
		return;
	}
	kfree(found);
}

int devm_add_action(struct device *dev, void (*action)(void *), void *data)
{
	struct devres *dr;

	if (!dev || !action) {
		kmm_warn("devm_add_action: %s", dev ? "no action" : "no device");
		return -EINVAL;
	}
	dr = devres_alloc(0, GFP_KERNEL);
	if (!dr)
		return -ENOMEM;
	dr->action = action;
	dr->action_data = data;
	devres_add(dev, dr);
	return 0;
}
