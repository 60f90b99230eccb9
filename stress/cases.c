/* The workloads this build has: the slab, vmalloc, kfree_rcu and devres
 * ones are compiled only when kmm has that subsystem (stress/CMakeLists.txt
 * defines STRESS_HAVE_*). Order matters: steps run in this order and
 * teardowns in reverse. */
#include <string.h>
#include "stress.h"

extern const struct stress_case case_pages, case_remote, case_pressure;
#ifdef STRESS_HAVE_SLAB
extern const struct stress_case case_kmalloc, case_caches, case_bulk, case_cachechurn;
#endif
#ifdef STRESS_HAVE_VMALLOC
extern const struct stress_case case_vmalloc;
#endif
#ifdef STRESS_HAVE_KFREE_RCU
extern const struct stress_case case_rcu, case_rcuflood;
#endif
#ifdef STRESS_HAVE_DEVRES
extern const struct stress_case case_devres;
#endif

const struct stress_case *const stress_cases[] = {
	&case_pages,
	&case_remote,
#ifdef STRESS_HAVE_SLAB
	&case_kmalloc,
	&case_caches,
	&case_bulk,
	&case_cachechurn,
#endif
#ifdef STRESS_HAVE_VMALLOC
	&case_vmalloc,
#endif
#ifdef STRESS_HAVE_KFREE_RCU
	&case_rcu,
	&case_rcuflood,
#endif
#ifdef STRESS_HAVE_DEVRES
	&case_devres,
#endif
	&case_pressure,
};

int stress_nr_cases = (int)(sizeof(stress_cases) / sizeof(stress_cases[0]));
bool case_enabled[STRESS_MAX_CASES];

int case_index(const char *name)
{
	for (int c = 0; c < stress_nr_cases; c++)
		if (!strcmp(stress_cases[c]->name, name))
			return c;
	return -1;
}
