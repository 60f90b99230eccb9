/* Every macro of the installed headers, used by a program outside the
 * project. check.sh builds it once for each way a program links kmm
 * (shared or static library; PIE, non-PIE and -fPIC code) and fails when
 * an installed header defines a macro that this file does not name. */
#include <kmm/kmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAILED: %s (line %d)\n", #c, __LINE__); exit(1); } } while (0)

struct item {
	long v;
	struct rcu_head rh;
};

static struct item *published;
static DEFINE_SPINLOCK(lock);

DECLARE_PER_CPU(long, pcpu_long);
DEFINE_PER_CPU(long, pcpu_long) = -3;
DECLARE_PER_CPU_ALIGNED(unsigned long, pcpu_aligned);
DEFINE_PER_CPU_ALIGNED(unsigned long, pcpu_aligned);
DECLARE_PER_CPU_SHARED_ALIGNED(unsigned int, pcpu_shared);
DEFINE_PER_CPU_SHARED_ALIGNED(unsigned int, pcpu_shared);
DECLARE_PER_CPU_READ_MOSTLY(int, pcpu_read_mostly);
DEFINE_PER_CPU_READ_MOSTLY(int, pcpu_read_mostly) = 9;
DECLARE_PER_CPU_PAGE_ALIGNED(char, pcpu_page[64]);
DEFINE_PER_CPU_PAGE_ALIGNED(char, pcpu_page[64]);

static void rcu_cb(struct rcu_head *head)
{
	(void)head;
}

static unsigned long count_cb(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return SHRINK_EMPTY;
}

static unsigned long scan_cb(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return SHRINK_STOP;
}

/* GFP flags and their combinations keep the kernel's values. */
static void gfp_values(void)
{
	static const unsigned int bits[] = {
		__GFP_DMA, __GFP_HIGHMEM, __GFP_DMA32, __GFP_MOVABLE, __GFP_RECLAIMABLE,
		__GFP_HIGH, __GFP_IO, __GFP_FS, __GFP_ZERO, __GFP_DIRECT_RECLAIM,
		__GFP_KSWAPD_RECLAIM, __GFP_WRITE, __GFP_NOWARN, __GFP_RETRY_MAYFAIL,
		__GFP_NOFAIL, __GFP_NORETRY, __GFP_MEMALLOC, __GFP_COMP, __GFP_NOMEMALLOC,
		__GFP_HARDWALL, __GFP_THISNODE, __GFP_ACCOUNT, __GFP_NO_OBJ_EXT,
	};
	unsigned int all = 0;

	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		CHECK(bits[i] && !(bits[i] & (bits[i] - 1)) && !(all & bits[i]));
		all |= bits[i];
	}
	CHECK(__GFP_RECLAIM == (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM));
	CHECK(GFP_ZONEMASK == 0x0fu && GFP_MOVABLE_MASK == 0x18u);
	CHECK(GFP_ATOMIC == 0x820u && GFP_KERNEL == 0xcc0u && GFP_NOWAIT == 0x800u);
	CHECK(GFP_KERNEL_ACCOUNT == 0x400cc0u && GFP_NOIO == 0xc00u && GFP_NOFS == 0xc40u);
	CHECK(GFP_USER == 0x100cc0u && GFP_DMA == 1u && GFP_DMA32 == 4u);
	CHECK(GFP_HIGHUSER == 0x100cc2u && GFP_HIGHUSER_MOVABLE == 0x100ccau);
}

static void page_macros(void)
{
	struct page *p;

	CHECK(PAGE_SHIFT == 12 && PAGE_SIZE == 4096 && PAGE_MASK == ~4095UL);
	CHECK(PAGE_ALIGN(1UL) == PAGE_SIZE && MAX_PAGE_ORDER == 10);
	CHECK(MAX_ORDER_NR_PAGES == 1024 && SMP_CACHE_BYTES == 64);
	p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	CHECK(p && *(long *)page_address(p) == 0);
	long *v = vmap(&p, 1, VM_MAP, PAGE_KERNEL);
	CHECK(v);
	*v = 42;
	CHECK(*(long *)page_address(p) == 42);
	vunmap(v);
	__free_pages(p, 0);
	CHECK(VM_IOREMAP == 1 && VM_ALLOC == 2 && NUMA_NO_NODE == -1);
	CHECK(VM_NO_GUARD == 0x40 && VM_ALLOW_HUGE_VMAP == 0x400);
	CHECK(PAGE_KERNEL_RO.pgprot == 1 && PAGE_KERNEL_EXEC.pgprot == 7);
	v = vmalloc(PAGE_SIZE);
	CHECK(v && (unsigned long)v >= VMALLOC_START && (unsigned long)v < VMALLOC_END);
	vfree(v);
}

static void slab_macros(void)
{
	static const unsigned int flags[] = {
		SLAB_CONSISTENCY_CHECKS, SLAB_RED_ZONE, SLAB_POISON, SLAB_KMALLOC,
		SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_CACHE_DMA32, SLAB_STORE_USER,
		SLAB_PANIC, SLAB_TYPESAFE_BY_RCU, SLAB_NOLEAKTRACE, SLAB_ACCOUNT,
		SLAB_RECLAIM_ACCOUNT,
	};
	unsigned int all = 0;
	struct item *a, *b;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		CHECK(!(all & flags[i]));
		all |= flags[i];
	}
	CHECK(KMALLOC_SHIFT_HIGH == 13 && KMALLOC_MAX_CACHE_SIZE == 8192);
	CHECK(KMALLOC_MAX_SIZE == 4UL << 20 && KMALLOC_MIN_SIZE == 8);
	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	a = kmalloc_nolock(sizeof(*a), __GFP_ZERO | __GFP_NO_OBJ_EXT, NUMA_NO_NODE);
	CHECK(a && !a->v);
	kfree_nolock(a);
	CHECK(ZERO_OR_NULL_PTR(ZERO_SIZE_PTR) && ZERO_OR_NULL_PTR(NULL));
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	b = kvmalloc(sizeof(*b), GFP_KERNEL);
	CHECK(a && b && !ZERO_OR_NULL_PTR(a));
	kfree_rcu(a, rh);
	kvfree_rcu(b, rh);
	a = NULL;
	kfree_rcu(a, rh);		/* NULL is a no-op */
	/* The one- and two-argument forms, picked by argument count. */
	CHECK(KVFREE_GET_MACRO(1, 2, 3, 4) == 3);
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	b = kvmalloc(sizeof(*b), GFP_KERNEL);
	CHECK(a && b);
	kvfree_rcu_arg_2(a, rh);
	kvfree_rcu_arg_1(b);
	a = kmalloc(sizeof(*a), GFP_KERNEL);
	b = kvmalloc(sizeof(*b), GFP_KERNEL);
	CHECK(a && b);
	kfree_rcu_mightsleep(a);
	kvfree_rcu_mightsleep(b);
}

static void percpu_macros(void)
{
	long *pc = alloc_percpu(long);
	long *pg = alloc_percpu_gfp(long, GFP_KERNEL);
	int cpu, n = 0;

	CHECK(pc && pg);
	for_each_possible_cpu(cpu)
		*per_cpu_ptr(pc, cpu) = cpu + 1;
	for_each_online_cpu(cpu)
		CHECK(per_cpu(*pc, cpu) == cpu + 1 && ++n);
	CHECK(n == (int)nr_cpu_ids && n == 2);
	CHECK(kmm_cpu_bind(1) == 0);
	cpu = get_cpu();
	CHECK(cpu == 1 && smp_processor_id() == 1 && raw_smp_processor_id() == 1);
	put_cpu();
	CHECK(this_cpu_ptr(pc) == per_cpu_ptr(pc, 1) && raw_cpu_ptr(pc) == this_cpu_ptr(pc));
	this_cpu_write(*pg, 10);
	this_cpu_add(*pg, 5);
	this_cpu_sub(*pg, 2);
	this_cpu_inc(*pg);
	this_cpu_dec(*pg);
	CHECK(this_cpu_read(*pg) == 13 && *per_cpu_ptr(pg, 1) == 13 && *per_cpu_ptr(pg, 0) == 0);
	kmm_cpu_unbind();
	free_percpu(pc);
	free_percpu(pg);
}

/* Static per-CPU variables and each family of this-CPU operations. */
static void percpu_static_macros(void)
{
	unsigned long old;
	int cpu;

	for_each_possible_cpu(cpu) {
		CHECK(per_cpu(pcpu_long, cpu) == -3 && per_cpu(pcpu_read_mostly, cpu) == 9);
		CHECK((unsigned long)per_cpu_ptr(&pcpu_aligned, cpu) % 64 == 0);
		CHECK((unsigned long)per_cpu_ptr(&pcpu_shared, cpu) % 64 == 0);
		CHECK((unsigned long)per_cpu_ptr(&pcpu_page, cpu) % 4096 == 0);
		CHECK((unsigned long)per_cpu_ptr(&pcpu_long, cpu) ==
		      (unsigned long)&pcpu_long + per_cpu_offset(cpu));
	}
	CHECK(kmm_cpu_bind(1) == 0);
	CHECK(&get_cpu_var(pcpu_long) == per_cpu_ptr(&pcpu_long, 1) && in_atomic());
	put_cpu_var(pcpu_long);
	CHECK(get_cpu_ptr(&pcpu_aligned) == per_cpu_ptr(&pcpu_aligned, 1));
	put_cpu_ptr(&pcpu_aligned);
	CHECK(!in_atomic());

	this_cpu_write(pcpu_aligned, 1);
	this_cpu_add(pcpu_aligned, 2);
	this_cpu_sub(pcpu_aligned, 1u);
	this_cpu_inc(pcpu_aligned);
	this_cpu_dec(pcpu_aligned);
	this_cpu_or(pcpu_aligned, 4);
	this_cpu_and(pcpu_aligned, 6);
	CHECK(this_cpu_read(pcpu_aligned) == 6);
	CHECK(this_cpu_add_return(pcpu_aligned, 2) == 8 && this_cpu_sub_return(pcpu_aligned, 1) == 7);
	CHECK(this_cpu_inc_return(pcpu_aligned) == 8 && this_cpu_dec_return(pcpu_aligned) == 7);
	CHECK(this_cpu_xchg(pcpu_aligned, 3) == 7 && this_cpu_cmpxchg(pcpu_aligned, 3, 4) == 3);
	old = 4;
	CHECK(this_cpu_try_cmpxchg(pcpu_aligned, &old, 5) && this_cpu_read(pcpu_aligned) == 5);

	__this_cpu_write(pcpu_long, 1);
	__this_cpu_add(pcpu_long, 2);
	__this_cpu_sub(pcpu_long, 1u);
	__this_cpu_inc(pcpu_long);
	__this_cpu_dec(pcpu_long);
	__this_cpu_or(pcpu_long, 4);
	__this_cpu_and(pcpu_long, 6);
	CHECK(__this_cpu_read(pcpu_long) == 6);
	CHECK(__this_cpu_add_return(pcpu_long, 2) == 8 && __this_cpu_sub_return(pcpu_long, 9) == -1);
	CHECK(__this_cpu_inc_return(pcpu_long) == 0 && __this_cpu_dec_return(pcpu_long) == -1);
	CHECK(__this_cpu_xchg(pcpu_long, 3) == -1 && __this_cpu_cmpxchg(pcpu_long, 3, 4) == 3);
	long lold = 4;
	CHECK(__this_cpu_try_cmpxchg(pcpu_long, &lold, 5) && __this_cpu_read(pcpu_long) == 5);

	raw_cpu_write(pcpu_shared, 1);
	raw_cpu_add(pcpu_shared, 2);
	raw_cpu_sub(pcpu_shared, 1);
	raw_cpu_inc(pcpu_shared);
	raw_cpu_dec(pcpu_shared);
	raw_cpu_or(pcpu_shared, 4);
	raw_cpu_and(pcpu_shared, 6);
	CHECK(raw_cpu_read(pcpu_shared) == 6);
	CHECK(raw_cpu_add_return(pcpu_shared, 2) == 8 && raw_cpu_sub_return(pcpu_shared, 1) == 7);
	CHECK(raw_cpu_inc_return(pcpu_shared) == 8 && raw_cpu_dec_return(pcpu_shared) == 7);
	CHECK(raw_cpu_xchg(pcpu_shared, 3) == 7 && raw_cpu_cmpxchg(pcpu_shared, 3, 4) == 3);
	unsigned int uold = 4;
	CHECK(raw_cpu_try_cmpxchg(pcpu_shared, &uold, 5) && raw_cpu_read(pcpu_shared) == 5);
	kmm_cpu_unbind();
	/* only CPU 1's copies changed */
	CHECK(per_cpu(pcpu_long, 0) == -3 && per_cpu(pcpu_aligned, 0) == 0 && per_cpu(pcpu_shared, 0) == 0);
	CHECK(per_cpu(pcpu_long, 1) == 5 && per_cpu(pcpu_aligned, 1) == 5 && per_cpu(pcpu_shared, 1) == 5);
}

static void context_and_rcu_macros(void)
{
	unsigned long flags;
	struct item *it = kmalloc(sizeof(*it), GFP_KERNEL), *old;
	struct rcu_head head;
	struct shrinker *s;

	local_irq_save(flags);
	CHECK(irqs_disabled());
	local_irq_restore(flags);
	CHECK(!irqs_disabled());
	spin_lock_irqsave(&lock, flags);
	CHECK(in_atomic());
	spin_unlock_irqrestore(&lock, flags);

	it->v = 1;
	RCU_INIT_POINTER(published, NULL);
	rcu_assign_pointer(published, it);
	rcu_read_lock();
	CHECK(rcu_dereference(published) == it && rcu_dereference_raw(published) == it);
	CHECK(rcu_access_pointer(published) == it);
	rcu_read_unlock();
	CHECK(rcu_dereference_protected(published, 1) == it);
	old = rcu_replace_pointer(published, NULL, 1);
	CHECK(old == it && published == NULL);
	synchronize_rcu();
	synchronize_rcu_expedited();
	kfree(old);
	call_rcu(&head, rcu_cb);
	rcu_barrier();

	s = shrinker_alloc(SHRINKER_NUMA_AWARE, "macros");
	CHECK(s);
	s->count_objects = count_cb;
	s->scan_objects = scan_cb;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	shrinker_free(s);
}

int main(void)
{
	gfp_values();
	CHECK(kmm_init("mem=32M nr_cpus=2") == 0);
	page_macros();
	slab_macros();
	percpu_macros();
	percpu_static_macros();
	context_and_rcu_macros();
	rcu_barrier();
	CHECK(kmm_exit() == 0);
	puts("macros: every public macro used");
	return 0;
}
