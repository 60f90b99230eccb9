/* Every function of the API contract (../shared/API.md) exists under its
 * name and links; the macros expand. Nothing here may be renamed. */
#include "kmm_test.h"

struct obj {
	long v;
	struct rcu_head rh;
};

static void test_every_api_name_links(void **state)
{
	void *fns[] = {
		(void *)kmm_init, (void *)kmm_init_early, (void *)kmm_init_late, (void *)kmm_exit,
		(void *)kmm_cpu_bind, (void *)kmm_cpu_unbind, (void *)kmm_irq_enter, (void *)kmm_irq_exit,
		(void *)kmm_bug_count, (void *)kmm_proc_show,
		(void *)alloc_pages, (void *)alloc_page, (void *)__get_free_pages, (void *)__get_free_page,
		(void *)get_zeroed_page, (void *)__free_pages, (void *)__free_page, (void *)free_pages,
		(void *)free_page, (void *)alloc_pages_exact, (void *)free_pages_exact,
		(void *)page_address, (void *)virt_to_page, (void *)page_to_pfn, (void *)pfn_to_page,
		(void *)__pa, (void *)virt_to_phys, (void *)__va, (void *)phys_to_virt,
		(void *)PageHighMem, (void *)totalram_pages, (void *)nr_free_pages, (void *)drain_all_pages,
		(void *)kmap, (void *)kunmap, (void *)kmap_local_page, (void *)kunmap_local,
		(void *)kmem_cache_create, (void *)kmem_cache_alloc, (void *)kmem_cache_zalloc,
		(void *)kmem_cache_free, (void *)kmem_cache_alloc_bulk, (void *)kmem_cache_free_bulk,
		(void *)kmem_cache_shrink, (void *)kmem_cache_destroy,
		(void *)kmalloc, (void *)kzalloc, (void *)kmalloc_array, (void *)kcalloc, (void *)krealloc,
		(void *)kfree, (void *)ksize, (void *)kvmalloc, (void *)kvzalloc, (void *)kvmalloc_array,
		(void *)kvcalloc, (void *)kvfree,
		(void *)vmalloc, (void *)vzalloc, (void *)vmalloc_32, (void *)__vmalloc, (void *)vfree,
		(void *)vmap, (void *)vunmap, (void *)vmalloc_to_page, (void *)vmalloc_to_pfn,
		(void *)is_vmalloc_addr, (void *)vm_unmap_aliases,
		(void *)__alloc_percpu, (void *)free_percpu,
		(void *)kmm_device_create, (void *)kmm_device_detach, (void *)kmm_device_destroy,
		(void *)devm_kmalloc, (void *)devm_kzalloc, (void *)devm_kmalloc_array, (void *)devm_kcalloc,
		(void *)devm_kstrdup, (void *)devm_kfree, (void *)devm_add_action,
		(void *)memblock_alloc, (void *)memblock_free, (void *)alloc_bootmem_pages,
		(void *)alloc_bootmem_low_pages, (void *)free_bootmem,
		(void *)shrinker_alloc, (void *)shrinker_register, (void *)shrinker_free,
		/* page references, folios, bulk and nolock pages */
		(void *)get_page, (void *)put_page, (void *)page_ref_count, (void *)get_page_unless_zero,
		(void *)folio_alloc, (void *)folio_get, (void *)folio_put, (void *)folio_ref_count,
		(void *)page_folio, (void *)folio_page, (void *)virt_to_folio, (void *)folio_address,
		(void *)folio_order, (void *)folio_size, (void *)folio_nr_pages,
		(void *)folio_test_large, (void *)folio_test_slab,
		(void *)alloc_pages_bulk, (void *)alloc_pages_bulk_node, (void *)alloc_pages_nolock,
		(void *)free_pages_nolock,
		/* slab calls of kernel code and its self-tests, the two report counts */
		(void *)validate_slab_cache, (void *)__kmalloc_cache_noprof, (void *)kmalloc_nolock,
		(void *)kfree_nolock, (void *)kmm_report_count,
		/* static per-CPU sections */
		(void *)kmm_percpu_section_register, (void *)kmm_percpu_section_unregister,
		/* mempool */
		(void *)mempool_create, (void *)mempool_create_node, (void *)mempool_init,
		(void *)mempool_exit, (void *)mempool_initialized, (void *)mempool_resize,
		(void *)mempool_destroy, (void *)mempool_alloc, (void *)mempool_alloc_preallocated,
		(void *)mempool_free, (void *)mempool_alloc_slab, (void *)mempool_free_slab,
		(void *)mempool_kmalloc, (void *)mempool_kfree, (void *)mempool_alloc_pages,
		(void *)mempool_free_pages, (void *)mempool_create_slab_pool,
		(void *)mempool_create_kmalloc_pool, (void *)mempool_create_page_pool,
		(void *)mempool_init_slab_pool, (void *)mempool_init_kmalloc_pool,
		(void *)mempool_init_page_pool,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		assert_non_null(fns[i]);
	/* the macros and constants */
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	long *pc = alloc_percpu(long);
	long *pg = alloc_percpu_gfp(long, GFP_KERNEL);
	int cpu, n = 0;
	for_each_possible_cpu(cpu)
		n++;
	assert_int_equal(n, nr_cpu_ids);
	cpu = get_cpu();
	assert_int_equal(cpu, smp_processor_id());
	put_cpu();
	this_cpu_write(*pc, 5);
	this_cpu_add(*pc, 2);
	this_cpu_inc(*pc);
	this_cpu_dec(*pc);
	assert_int_equal(this_cpu_read(*pc), 7);
	assert_ptr_equal(this_cpu_ptr(pc), per_cpu_ptr(pc, smp_processor_id()));
	free_percpu(pc);
	free_percpu(pg);
	struct obj *o = kmalloc(sizeof(*o), GFP_KERNEL), *q = kvmalloc(sizeof(*q), GFP_KERNEL);
	kfree_rcu(o, rh);
	kvfree_rcu(q, rh);
	rcu_read_lock();
	rcu_read_unlock();
	synchronize_rcu();
	rcu_barrier();
	assert_true(ZERO_OR_NULL_PTR(kmalloc(0, GFP_KERNEL)));
	assert_ptr_equal(kmalloc(0, GFP_KERNEL), ZERO_SIZE_PTR);
	assert_int_equal(KMALLOC_MAX_SIZE, 4UL << 20);
	assert_int_equal(PAGE_SIZE, 1UL << PAGE_SHIFT);
	assert_int_equal(MAX_PAGE_ORDER, 10);
	struct page *pages[2] = { alloc_page(GFP_KERNEL), alloc_page(GFP_KERNEL) };
	char *v = vmap(pages, 2, VM_MAP, PAGE_KERNEL);
	assert_non_null(v);
	v[PAGE_SIZE] = 1;
	assert_int_equal(*(char *)page_address(pages[1]), 1);
	vunmap(v);
	__free_page(pages[0]);
	__free_page(pages[1]);
	(void)(SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU | SLAB_POISON | SLAB_RED_ZONE |
	       SLAB_STORE_USER | SLAB_PANIC | SLAB_RECLAIM_ACCOUNT);
	(void)(GFP_KERNEL | GFP_ATOMIC | GFP_NOWAIT | GFP_NOIO | GFP_NOFS | GFP_USER | GFP_DMA |
	       GFP_DMA32 | GFP_HIGHUSER | GFP_HIGHUSER_MOVABLE | __GFP_DMA | __GFP_DMA32 |
	       __GFP_HIGHMEM | __GFP_MOVABLE | __GFP_RECLAIMABLE | __GFP_HIGH | __GFP_IO | __GFP_FS |
	       __GFP_ZERO | __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_RECLAIM |
	       __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC |
	       __GFP_NOMEMALLOC | __GFP_COMP);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_api_name_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
