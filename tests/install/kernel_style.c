/* Kernel-style code outside the project: it includes only the kernel's
 * header names and builds with one flag (pkg-config kmm-linux, or CMake's
 * kmm::linux). It uses every macro those headers define — check.sh fails
 * when a new one is not used here — and, beside them, a host header that
 * includes the system's own <linux/types.h>. */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/sizes.h>
#include <linux/overflow.h>
#include <linux/gfp_types.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <linux/mmzone.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/percpu-defs.h>
#include <linux/percpu.h>
#include <linux/highmem.h>
#include <linux/mempool.h>
#include <linux/rcupdate.h>
#include <linux/memblock.h>
#include <linux/shrinker.h>
#include <linux/device.h>
#include <linux/futex.h>	/* the host's, through its own <linux/types.h> */
#include <kmm/kmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAILED: %s (line %d)\n", #c, __LINE__); exit(1); } } while (0)

struct item {
	u32 id;
	struct rcu_head rcu;
	u8 payload[];
};

struct wire {
	u8 tag;
	u32 value;
} __packed;

struct aligned_pair {
	u64 a __aligned(16);
	s8 b;
};

static DEFINE_PER_CPU(unsigned long, hits);
EXPORT_PER_CPU_SYMBOL(hits);
EXPORT_PER_CPU_SYMBOL_GPL(hits);

static unsigned long __percpu *dyn_counter;
static struct item __rcu *current_item;

static __always_inline int twice(int x)
{
	return 2 * x;
}

static __must_check int checked(void)
{
	return 1;
}

static void kernel_h_and_types(void)
{
	int calls = 0, a = 3, b = 9;
	u16 w = 0xffff;
	s64 neg = -1;
	ulong ul = 7;
	uint ui = 5;
	resource_size_t rs = SZ_4K;
	dma_addr_t dma = 0;
	pgoff_t off = 1;
	char __user *up = NULL;
	void __iomem *io = NULL;
	__maybe_unused u32 __bitwise le = (__force u32)1;
	struct aligned_pair pair;
	struct item *it;

	(void)up;
	(void)io;
	CHECK(checked() && twice(2) == 4);
	CHECK(min(a++, b) == 3 && a == 4 && max(calls++, 1) == 1 && calls == 1);
	CHECK(min_t(u8, 300, 2) == 2 && max_t(int, -1, neg) == -1);
	CHECK(clamp(15, 0, 10) == 10 && clamp_t(long, -5, 0, 10) == 0);
	swap(a, b);
	CHECK(a == 9 && b == 4);
	CHECK(ALIGN(5UL, 4) == 8 && ALIGN_DOWN(5UL, 4) == 4 && IS_ALIGNED(8UL, 4) && !IS_ALIGNED(6UL, 4));
	CHECK(round_up(9, 8) == 16 && round_down(9, 8) == 8 && DIV_ROUND_UP(9, 4) == 3);
	CHECK(PTR_ALIGN((char *)0x1001, 16) == (char *)0x1010 && offset_in_page(0x1234) == 0x234);
	int seven[7];
	CHECK(ARRAY_SIZE(seven) == 7);
	CHECK(BITS_PER_LONG == 64 && w == 0xffff && ul + ui == 12 && rs == 4096 && !dma && off);
	CHECK((unsigned long)&pair.a % 16 == 0 && sizeof(struct wire) == 5);
	BUILD_BUG_ON(sizeof(u64) != 8);
	WRITE_ONCE(calls, 5);
	barrier();
	CHECK(READ_ONCE(calls) == 5 && likely(calls) && !unlikely(!calls));
	it = kmalloc(struct_size(it, payload, 4), GFP_KERNEL);
	CHECK(it && container_of(&it->rcu, struct item, rcu) == it);
	kfree(it);
}

static void sizes_and_overflow(void)
{
	static const unsigned long long sz[] = {
		SZ_1, SZ_2, SZ_4, SZ_8, SZ_16, SZ_32, SZ_64, SZ_128, SZ_256, SZ_512,
		SZ_1K, SZ_2K, SZ_4K, SZ_8K, SZ_16K, SZ_32K, SZ_64K, SZ_128K, SZ_256K, SZ_512K,
		SZ_1M, SZ_2M, SZ_4M, SZ_8M, SZ_16M, SZ_32M, SZ_64M, SZ_128M, SZ_256M, SZ_512M,
		SZ_1G, SZ_2G, SZ_4G, SZ_8G, SZ_16G, SZ_32G, SZ_64G, SZ_128G, SZ_256G, SZ_512G,
		SZ_1T,
	};
	size_t r;
	struct item *p = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(sz); i++)
		CHECK(sz[i] == 1ULL << i);
	CHECK(SZ_64T == 1ULL << 46);
	CHECK(!check_add_overflow((size_t)1, (size_t)2, &r) && r == 3);
	CHECK(check_sub_overflow((size_t)1, (size_t)2, &r));
	CHECK(check_mul_overflow(SIZE_MAX, (size_t)2, &r));
	CHECK(array_size(SIZE_MAX, 2) == SIZE_MAX && array_size(3, 4) == 12);
	CHECK(array3_size(2, 3, 4) == 24 && size_add(SIZE_MAX, 1) == SIZE_MAX);
	CHECK(size_sub(5, 3) == 2 && size_sub(3, 5) == SIZE_MAX && size_mul(2, 3) == 6);
	CHECK(flex_array_size(p, payload, 5) == 5);
	CHECK(struct_size(p, payload, 5) == sizeof(*p) + 5);
	CHECK(struct_size_t(struct item, payload, SIZE_MAX) == SIZE_MAX);
	CHECK(kmalloc(struct_size(p, payload, SIZE_MAX), GFP_KERNEL | __GFP_NOWARN) == NULL);
}

static void pages_and_folios(void)
{
	struct page *pages[4] = { 0 }, *p;
	struct folio *f;
	char *addr;

	CHECK(NR_PAGE_ORDERS == 11 && PAGE_ALLOC_COSTLY_ORDER == 3);
	CHECK(pageblock_order == 9 && pageblock_nr_pages == 512);
	p = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL | __GFP_COMP, 1);
	CHECK(p && page_size(p) == 2 * PAGE_SIZE && page_to_virt(p) == page_address(p));
	addr = page_address(p);
	CHECK(virt_to_head_page(addr + PAGE_SIZE + 5) == p);
	__free_pages(p, 1);
	p = __alloc_pages_node(0, GFP_KERNEL, 0);
	clear_highpage(p);
	memcpy_to_page(p, 10, "kmm", 4);
	char buf[4];
	memcpy_from_page(buf, p, 10, 4);
	CHECK(!strcmp(buf, "kmm"));
	struct page *q = alloc_page(GFP_HIGHUSER);
	copy_highpage(q, p);
	memzero_page(q, 0, 16);
	__free_page(q);
	__free_page(p);
	f = folio_alloc_node(GFP_KERNEL, 2, NUMA_NO_NODE);
	CHECK(f && folio_pfn(f) == page_to_pfn(folio_page(f, 0)));
	folio_ref_inc(f);
	CHECK(folio_ref_count(f) == 2);
	folio_put(f);
	folio_put(f);
	CHECK(alloc_pages_bulk_array(GFP_KERNEL, 2, pages) == 2);
	CHECK(alloc_pages_bulk_array_node(GFP_KERNEL, 0, 4, pages) == 4);
	for (int i = 0; i < 4; i++)
		put_page(pages[i]);
}

static void slabs_and_pools(void)
{
	struct kmem_cache *cache = KMEM_CACHE(item, SLAB_HWCACHE_ALIGN);
	void *objs[10];
	mempool_t *pool;
	int i = 0;

	CHECK(cache);
	objs[i++] = kmem_cache_alloc_node(cache, GFP_KERNEL, NUMA_NO_NODE);
	objs[i++] = kmem_cache_zalloc_node(cache, GFP_KERNEL, 0);
	objs[i++] = kmalloc_node(40, GFP_KERNEL, 0);
	objs[i++] = kzalloc_node(40, GFP_KERNEL, 0);
	objs[i++] = kcalloc_node(4, 10, GFP_KERNEL, 0);
	objs[i++] = kmalloc_array_node(4, 10, GFP_KERNEL, 0);
	objs[i++] = kvmalloc_node(SZ_64K, GFP_KERNEL, 0);
	objs[i++] = kvzalloc_node(SZ_1M, GFP_KERNEL, 0);
	objs[i] = krealloc_array(NULL, 8, 16, GFP_KERNEL);
	CHECK(ksize(objs[i]) >= 128);
	CHECK(!krealloc_array(objs[i], SIZE_MAX, 2, GFP_KERNEL | __GFP_NOWARN));
	i++;
	kmem_cache_free(cache, objs[0]);
	kmem_cache_free(cache, objs[1]);
	for (int k = 2; k < i; k++)
		kvfree(objs[k]);
	kmem_cache_destroy(cache);

	pool = mempool_create_kmalloc_pool(2, 100);
	void *e = mempool_alloc(pool, GFP_KERNEL);
	mempool_free(e, pool);
	mempool_destroy(pool);

	void *v = vmalloc(SZ_8K);
	CHECK(is_vmalloc_addr(v));
	vfree(v);
}

static void percpu_and_rcu(void)
{
	int cpu;
	unsigned long sum = 0;

	CHECK(num_possible_cpus() == 2 && num_online_cpus() == 2);
	CHECK(cpu_possible(1) && !cpu_possible(2) && cpu_online(0));
	dyn_counter = alloc_percpu(unsigned long);
	for_each_possible_cpu(cpu) {
		kmm_cpu_bind(cpu);
		this_cpu_inc(hits);
		this_cpu_add(*dyn_counter, 2);
		kmm_cpu_unbind();
	}
	for_each_possible_cpu(cpu)
		sum += per_cpu(hits, cpu) + *per_cpu_ptr(dyn_counter, cpu);
	CHECK(sum == 6);
	free_percpu(dyn_counter);

	struct item *it = kzalloc(sizeof(*it), GFP_KERNEL);
	rcu_assign_pointer(current_item, it);
	rcu_read_lock();
	CHECK(rcu_dereference(current_item) == it);
	rcu_read_unlock();
	RCU_INIT_POINTER(current_item, NULL);
	kfree_rcu(it, rcu);
	rcu_barrier();
}

static unsigned long count_none(struct shrinker *s, struct shrink_control *sc)
{
	return 0;
}

static void devres_and_shrinkers(void)
{
	struct device *dev = kmm_device_create("kernel-style");
	struct shrinker *s = shrinker_alloc(0, "kernel-style");

	CHECK(devm_kzalloc(dev, 100, GFP_KERNEL));
	kmm_device_destroy(dev);
	s->count_objects = count_none;
	s->scan_objects = count_none;
	shrinker_register(s);
	shrinker_free(s);
	CHECK(FUTEX_WAKE == 1);		/* the host's header is whole */
}

int main(void)
{
	void *boot;

	CHECK(kmm_init_early("mem=64M nr_cpus=2") == 0);
	boot = memblock_alloc(SZ_64K, PAGE_SIZE);
	CHECK(boot && memblock_end_of_DRAM() == SZ_64M);
	CHECK(kmm_init_late() == 0);
	kernel_h_and_types();
	sizes_and_overflow();
	pages_and_folios();
	slabs_and_pools();
	percpu_and_rcu();
	devres_and_shrinkers();
	CHECK(kmm_exit() == 0);
	puts("kernel-style: every <linux/...> header and macro used");
	return 0;
}
