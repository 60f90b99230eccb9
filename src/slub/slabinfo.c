/* /proc/slabinfo, version 2.1, exactly as SLUB prints it (mm/slab_common.c
 * and get_slabinfo in mm/slub.c): newest cache first; active objects are
 * all objects minus the free ones on node partial slabs (objects on CPU
 * slabs count as active, as in the kernel); SLUB has no tunables, so those
 * columns are 0, and active_slabs equals num_slabs. Caches are never
 * merged, so there are no aliases to show. Locks: slab_mutex for the list
 * of caches, each cache's list_lock while its partial slabs are counted. */
#include <errno.h>
#include <kmm/kmm.h>
#include "lib/list.h"
#include "slub/cache.h"
#include "slub/slab_page.h"
#include "slub/slabinfo.h"

static void print_slabinfo_header(FILE *m)
{
	fputs("slabinfo - version: 2.1\n", m);
	fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>", m);
	fputs(" : tunables <limit> <batchcount> <sharedfactor>", m);
	fputs(" : slabdata <active_slabs> <num_slabs> <sharedavail>", m);
	fputc('\n', m);
}

int slabinfo_show(FILE *m)
{
	struct list_head *pos;

	if (!atomic_load_acquire(&slab_up))
		return -ENODEV;
	print_slabinfo_header(m);
	kmm_mutex_lock(&slab_mutex);
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);
		struct kmem_cache_node *n = &s->node;
		unsigned long nr_slabs, nr_objs, nr_free;

		kmm_spin_lock(&n->list_lock);
		nr_slabs = atomic_load_relaxed(&n->nr_slabs);
		nr_objs = atomic_load_relaxed(&n->total_objects);
		nr_free = count_partial_free(n);
		kmm_spin_unlock(&n->list_lock);
		fprintf(m, "%-17s %6lu %6lu %6u %4u %4d", s->name, nr_objs - nr_free, nr_objs,
			s->size, s->oo.objects, 1 << s->oo.order);
		fprintf(m, " : tunables %4u %4u %4u", 0u, 0u, 0u);
		fprintf(m, " : slabdata %6lu %6lu %6lu", nr_slabs, nr_slabs, 0UL);
		fputc('\n', m);
	}
	kmm_mutex_unlock(&slab_mutex);
	return 0;
}
