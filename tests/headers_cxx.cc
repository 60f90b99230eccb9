// Every public header, included from C++: they must compile and link.
#include <kmm/kmm.h>
#include <kmm/bootmem.h>
#include <kmm/device.h>
#include <kmm/gfp.h>
#include <kmm/highmem.h>
#include <kmm/memblock.h>
#include <kmm/mempool.h>
#include <kmm/mm.h>
#include <kmm/percpu.h>
#include <kmm/percpu-defs.h>
#include <kmm/preempt.h>
#include <kmm/rcupdate.h>
#include <kmm/shrinker.h>
#include <kmm/slab.h>
#include <kmm/spinlock.h>
#include <kmm/types.h>
#include <kmm/vmalloc.h>

struct rcu_item {
	struct rcu_head rh;
	long value;
};

static DEFINE_PER_CPU(long, cxx_counter) = 2;

int main()
{
	if (kmm_init("mem=64M nr_cpus=2") != 0)
		return 1;
	this_cpu_add(cxx_counter, 3);
	if (this_cpu_read(cxx_counter) != 5 || this_cpu_cmpxchg(cxx_counter, 5, 1) != 5)
		return 4;
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	if (!p || !page_address(p))
		return 2;
	__free_pages(p, 0);
	// Every form of kfree_rcu expands in C++ too.
	struct rcu_item *a = static_cast<struct rcu_item *>(kmalloc(sizeof(*a), GFP_KERNEL));
	struct rcu_item *b = static_cast<struct rcu_item *>(kmalloc(sizeof(*b), GFP_KERNEL));
	struct rcu_item *c = static_cast<struct rcu_item *>(kvmalloc(sizeof(*c), GFP_KERNEL));
	struct rcu_item *d = static_cast<struct rcu_item *>(kmalloc(sizeof(*d), GFP_KERNEL));
	kfree_rcu(a, rh);
	kfree_rcu(b);
	kvfree_rcu(c, rh);
	kvfree_rcu_mightsleep(d);
	rcu_barrier();
	return kmm_exit() == 0 ? 0 : 3;
}
