/* kmm_proc_show(): the /proc files by name, each shown by the layer it
 * describes. No locks of its own: each view takes what it needs. */
#include <errno.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "init/meminfo.h"
#include "slub/slabinfo.h"
#include "vmalloc/vmallocinfo.h"

static const struct {
	const char *name;
	int (*show)(FILE *m);
} views[] = {
	{ "buddyinfo", buddyinfo_show },
	{ "pagetypeinfo", pagetypeinfo_show },
	{ "zoneinfo", zoneinfo_show },
	{ "meminfo", meminfo_show },
	{ "slabinfo", slabinfo_show },
	{ "vmallocinfo", vmallocinfo_show },
};

int kmm_proc_show(FILE *out, const char *name)
{
	if (!out || !name)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		if (strcmp(views[i].name, name))
			continue;
		if (!kmm_mem.live)
			return -ENODEV;
		return views[i].show(out);
	}
	return -ENOENT;
}
