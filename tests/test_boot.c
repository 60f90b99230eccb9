/* Boot, the command line, zone layouts and teardown. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "kmm_test.h"
#include "buddy/buddy.h"
#include "lib/cmdline.h"

static void test_bad_parameters_boot_nothing(void **state)
{
	static const char *const bad[] = {
		"mem=", "mem=12Q", "mem=1M", "nr_cpus=0", "nr_cpus=abc", "layout=16bit",
		"frobnicate=1", "min_free_kbytes=-5", "watermark_scale_factor=0",
		"lowmem_reserve_ratio=1,x", "percpu_pagelist_high_fraction=3",
		"fail_page_alloc=1,2,3", "fail_page_alloc=1,200,0,1", "panic_on_warn=maybe",
		"init_on_alloc", "pcp=sometimes", "populate=sometimes", "page_reporting=2",
		"vmalloc_cache=lots",
		/* an empty field is malformed, not skipped */
		"failslab=1,,100,0,-1", "failslab=,1,100,0", "failslab=1,100,0,",
		"fail_page_alloc=1,100,,0,-1", "fail_page_alloc=1,100,0,-1,",
		"fail_page_alloc=,,,", "lowmem_reserve_ratio=256,,32",
		"lowmem_reserve_ratio=256,", "lowmem_reserve_ratio=,256",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (kmm_init(bad[i]) != -EINVAL) {
			if (kmm_mem.live)
				kmm_exit();
			fail_msg("'%s' is not -EINVAL", bad[i]);
		}
		/* nothing booted: a good boot still works */
		assert_false(kmm_mem.live);
	}
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	assert_int_equal(kmm_exit(), 0);
}

/* Every parameter in one line, parsed into the configuration. */
static void test_every_parameter_accepted(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=3 layout=32bit min_free_kbytes=2048 "
				  "watermark_scale_factor=20 lowmem_reserve_ratio=128,64,16 "
				  "percpu_pagelist_high_fraction=16 pcp=on populate=1 kswapd=off "
				  "slub_debug=FZPU,kmalloc-64 slub_min_order=0 slub_max_order=2 "
				  "slub_min_objects=8 slab_freelist_random=1 init_on_alloc=1 "
				  "init_on_free=0 page_alloc.shuffle=1 fail_page_alloc=10,5,0,-1 "
				  "fail_page_alloc.ignore-gfp-wait=0 fail_page_alloc.min-order=0 "
				  "failslab=100,1,4096,10 failslab.ignore-gfp-wait=1 vmalloc=64G "
				  "panic_on_warn=0"), 0);
	assert_int_equal(kmm_config.layout, LAYOUT_32BIT);
	assert_int_equal(kmm_config.min_free_kbytes, 2048);
	assert_int_equal(kmm_config.watermark_scale_factor, 20);
	assert_int_equal(kmm_config.lowmem_reserve_ratio[1], 64);
	assert_true(kmm_config.lowmem_reserve_ratio_set && kmm_config.slub_debug_set);
	assert_string_equal(kmm_config.slub_debug, "FZPU,kmalloc-64");
	assert_int_equal(kmm_config.slub_max_order, 2);
	assert_true(kmm_config.slab_freelist_random && kmm_config.init_on_alloc && kmm_config.shuffle);
	assert_false(kmm_config.fail_page_alloc_ignore_gfp_wait);
	assert_string_equal(kmm_config.failslab, "100,1,4096,10");
	assert_int_equal(kmm_config.vmalloc_size, 64UL << 30);
	/* min_free_kbytes=2048: 512 pages of min over the lowmem zones */
	unsigned long min = 0;
	struct zone *z;
	for_each_populated_zone(z)
		if (!z->highmem)
			min += z->watermark[WMARK_MIN];
	assert_true(min >= 510 && min <= 512);
	assert_int_equal(kmm_exit(), 0);
}

static void test_cmdline_from_environment(void **state)
{
	(void)state;
	setenv("KMM_CMDLINE", "mem=48M nr_cpus=3", 1);
	assert_int_equal(kmm_init(NULL), 0);
	assert_int_equal(nr_cpu_ids, 3);
	assert_int_equal(totalram_pages() <= (48UL << 20) / PAGE_SIZE, 1);
	assert_true(totalram_pages() > (40UL << 20) / PAGE_SIZE);
	assert_int_equal(kmm_exit(), 0);
	unsetenv("KMM_CMDLINE");
}

static void test_boot_twice_is_refused(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	EXPECT_ONE_REPORT("already booted", assert_int_equal(kmm_init("mem=32M"), -EBUSY));
	assert_int_equal(kmm_exit(), 0);
}

static void test_reboot_many_times(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(kmm_init(i & 1 ? "mem=64M layout=32bit nr_cpus=4" : "mem=32M nr_cpus=2"), 0);
		struct page *p = alloc_pages(GFP_KERNEL, 2);
		assert_non_null(p);
		__free_pages(p, 2);
		assert_int_equal(kmm_exit(), 0);
	}
}

static void test_exit_counts_leaked_pages(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	assert_non_null(alloc_pages(GFP_KERNEL, 3));
	assert_non_null(alloc_page(GFP_KERNEL));
	kmm_report_quiet(true);
	assert_int_equal(kmm_exit(), 9);
	kmm_report_quiet(false);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The seed's 8 GB slide: zone names and boundaries in buddyinfo/zoneinfo. */
static void test_zones_64bit_8g(void **state)
{
	double t0 = now();

	(void)state;
	assert_int_equal(kmm_init("mem=8G nr_cpus=2"), 0);
	/* sparse above 2 GiB: booting must not touch 8 GiB */
	assert_true(now() - t0 < 1.0);
	char *bi = proc_text("buddyinfo");
	assert_non_null(strstr(bi, "Node 0, zone      DMA "));
	assert_non_null(strstr(bi, "Node 0, zone    DMA32 "));
	assert_non_null(strstr(bi, "Node 0, zone   Normal "));
	assert_null(strstr(bi, "HighMem"));
	free(bi);
	char *zi = proc_text("zoneinfo");
	assert_non_null(strstr(zi, "Node 0, zone      DMA\n"));
	/* DMA [0,16M) DMA32 [16M,4G) Normal [4G,8G) */
	assert_int_equal(kmm_mem.zones[ZONE_DMA].zone_start_pfn, 0);
	assert_int_equal(kmm_mem.zones[ZONE_DMA].spanned_pages, 4096);
	assert_int_equal(kmm_mem.zones[ZONE_DMA32].zone_start_pfn, 4096);
	assert_int_equal(kmm_mem.zones[ZONE_DMA32].spanned_pages, (4UL << 18) - 4096);
	assert_int_equal(kmm_mem.zones[ZONE_NORMAL].zone_start_pfn, 1UL << 20);
	assert_int_equal(kmm_mem.zones[ZONE_NORMAL].spanned_pages, 1UL << 20);
	assert_non_null(strstr(zi, "start_pfn:           4096\n"));
	assert_non_null(strstr(zi, "start_pfn:           1048576\n"));
	free(zi);
	/* Normal pages have direct-map addresses in the 64-bit layout */
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	assert_true(page_to_pfn(p) >= 1UL << 20);
	assert_non_null(page_address(p));
	assert_false(PageHighMem(p));
	__free_pages(p, 0);
	assert_int_equal(kmm_exit(), 0);
}

static void test_zones_32bit_8g(void **state)
{
	double t0 = now();

	(void)state;
	assert_int_equal(kmm_init("mem=8G layout=32bit nr_cpus=2"), 0);
	assert_true(now() - t0 < 1.0);
	char *bi = proc_text("buddyinfo");
	assert_non_null(strstr(bi, "Node 0, zone      DMA "));
	assert_non_null(strstr(bi, "Node 0, zone   Normal "));
	assert_non_null(strstr(bi, "Node 0, zone  HighMem "));
	assert_null(strstr(bi, "DMA32"));
	free(bi);
	/* DMA [0,16M) Normal [16M,896M) HighMem [896M,8G) */
	assert_int_equal(kmm_mem.zones[ZONE_NORMAL].zone_start_pfn, 4096);
	assert_int_equal(kmm_mem.zones[ZONE_NORMAL].spanned_pages, (896UL << 8) - 4096);
	assert_int_equal(kmm_mem.zones[ZONE_HIGHMEM].zone_start_pfn, 896UL << 8);
	assert_int_equal(kmm_mem.zones[ZONE_HIGHMEM].spanned_pages, (8UL << 18) - (896UL << 8));
	char *zi = proc_text("zoneinfo");
	assert_non_null(strstr(zi, "Node 0, zone  HighMem\n"));
	assert_non_null(strstr(zi, "start_pfn:           229376\n"));
	free(zi);
	/* HighMem pages are not in the direct map */
	struct page *hp = alloc_pages(GFP_HIGHUSER, 0);
	assert_non_null(hp);
	assert_true(PageHighMem(hp));
	assert_null(page_address(hp));
	__free_pages(hp, 0);
	/* without __GFP_HIGHMEM nothing comes from HighMem */
	struct page *lp = alloc_pages(GFP_KERNEL, 0);
	assert_false(PageHighMem(lp));
	assert_non_null(page_address(lp));
	__free_pages(lp, 0);
	assert_int_equal(kmm_exit(), 0);
}

/* Memory is populated on first use, at every mem=: booting 64 GiB touches
 * neither the memory nor its struct pages, the buddy lists max-order
 * blocks as they are first needed, and all of it can be handed out. */
static void test_lazy_boot_64g(void **state)
{
	long rss0 = rss_kb();
	double t0 = now();
	unsigned long free0, blocks = 0;
	struct page *held = NULL;
	char *bi;

	(void)state;
	assert_int_equal(kmm_init("mem=64G nr_cpus=2 kswapd=off"), 0);
	assert_true(now() - t0 < 0.5);
	assert_true(rss_kb() - rss0 < 10 * 1024);
	assert_false(kmm_mem.populated);
	bi = proc_text("buddyinfo");
	{
		/* Normal [4G, 64G): 15360 max-order blocks, listed or not,
		 * but what boot itself took */
		unsigned long nr[NR_PAGE_ORDERS];
		char *line = strstr(bi, "zone   Normal ");

		assert_non_null(line);
		line += strlen("zone   Normal ");
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			nr[o] = strtoul(line, &line, 10);
		assert_true(nr[MAX_PAGE_ORDER] >= 15359);
	}
	free(bi);
	free0 = nr_free_pages();
	assert_true(free0 > (63UL << 18));
	/* 4 GiB of max-order blocks, each written at its head only */
	for (int i = 0; i < 1024; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER);

		assert_non_null(p);
		*(struct page **)page_address(p) = held;
		held = p;
		blocks++;
	}
	assert_int_equal(nr_free_pages(), free0 - (blocks << MAX_PAGE_ORDER));
	assert_int_equal(buddy_verify(), 0);
	while (held) {
		struct page *next = *(struct page **)page_address(held);

		__free_pages(held, MAX_PAGE_ORDER);
		held = next;
	}
	assert_int_equal(nr_free_pages(), free0);
	assert_int_equal(buddy_verify(), 0);
	assert_int_equal(kmm_exit(), 0);
}

/* With no mem=, memory is the host's (or the cgroup's limit). */
static void test_default_mem_is_the_hosts(void **state)
{
	long pages = sysconf(_SC_PHYS_PAGES);

	(void)state;
	unsetenv("KMM_CMDLINE");
	assert_int_equal(kmm_init("nr_cpus=2"), 0);
	assert_true(kmm_config.mem <= (unsigned long)pages * PAGE_SIZE);
	assert_true(kmm_config.mem >= (64UL << 20));
	assert_int_equal(kmm_config.mem % (4UL << 20), 0);
	assert_int_equal(kmm_exit(), 0);
}

/* Small memory: a zone that would start above the end is empty and absent. */
static void test_empty_zone_absent(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=2"), 0);
	char *bi = proc_text("buddyinfo");
	assert_null(strstr(bi, "Normal"));
	free(bi);
	char *zi = proc_text("zoneinfo");
	/* zoneinfo shows the configured zone, with nothing in it */
	assert_non_null(strstr(zi, "Node 0, zone   Normal\n  pages free     0"));
	free(zi);
	assert_int_equal(kmm_exit(), 0);
}

/* Every size the parser accepts boots, whatever its alignment: the last
 * max-order block may be partial, with or without a zone above it. Each
 * boot is sparse (populate=0), so the sweep takes a moment. */
static void test_odd_sizes_boot(void **state)
{
	static const char *const sizes[] = {
		"16777217", "16781311", "16M", "17M", "18M", "19M", "20484K", "65M",
		"127M", "1001M", "1500000K", "895M", "897M", "899M", "900M", "4095M",
		"4097M", "4099M", "4294971392", "5000M",
	};
	static const char *const layouts[] = { "64bit", "32bit" };
	char cmd[128];

	(void)state;
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			unsigned long spanned = 0, managed = 0;
			struct zone *z;

			snprintf(cmd, sizeof(cmd), "mem=%s layout=%s nr_cpus=2 populate=0 kswapd=off",
				 sizes[i], layouts[l]);
			if (kmm_init(cmd))
				fail_msg("'%s' did not boot", cmd);
			/* the zones tile the memory and own every page of it */
			for_each_zone(z) {
				spanned += z->spanned_pages;
				managed += z->managed_pages;
				if (z->spanned_pages)
					assert_true(z->zone_start_pfn + z->spanned_pages <= kmm_mem.nr_pages);
			}
			assert_int_equal(spanned, kmm_mem.nr_pages);
			assert_true(managed > 0 && managed <= spanned);
			struct page *p = alloc_pages(GFP_KERNEL, 0);
			assert_non_null(p);
			__free_pages(p, 0);
			if (kmm_exit() != 0)
				fail_msg("'%s' leaked at exit", cmd);
		}
	}
}

/* Frees after kmm_exit: memory kmm no longer has. Each is one report
 * (no undefined behaviour on the torn-down tables). */
static void test_free_after_exit_is_reported(void **state)
{
	struct page *p;
	void *obj;

	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	p = alloc_pages(GFP_KERNEL, 1);
	obj = kmalloc(64, GFP_KERNEL);
	assert_non_null(p);
	assert_non_null(obj);
	kmm_report_quiet(true);
	assert_true(kmm_exit() > 0);
	kmm_report_quiet(false);
	EXPECT_ONE_REPORT("kmm is not booted", __free_pages(p, 1));
	EXPECT_ONE_REPORT("kmm is not booted", kfree(obj));
	/* a later boot is clean */
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	assert_int_equal(kmm_exit(), 0);
}

/* kmm_exit while other threads are bound to CPUs (and allocating): one
 * report, -EBUSY, and nothing changes; once they have unbound or ended,
 * it tears down. A thread cannot bind while kmm goes down. */
#define USERS 3

static int users_stop;

static void *kmm_user(void *arg)
{
	int cpu = (int)(long)arg;

	kmm_cpu_bind(cpu);
	while (!__atomic_load_n(&users_stop, __ATOMIC_ACQUIRE)) {
		void *p = kmalloc(64 + (size_t)cpu * 100, GFP_KERNEL);
		struct page *pg = alloc_pages(GFP_KERNEL, (unsigned int)cpu & 1);

		kfree(p);
		if (pg)
			__free_pages(pg, (unsigned int)cpu & 1);
	}
	/* the last one unbinds; the others end bound */
	if (cpu == USERS)
		kmm_cpu_unbind();
	return NULL;
}

static void test_exit_refused_while_threads_bound(void **state)
{
	pthread_t th[USERS];

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=4 kswapd=on"), 0);
	/* the caller's own binding does not count */
	assert_int_equal(kmm_cpu_bind(0), 0);
	__atomic_store_n(&users_stop, 0, __ATOMIC_RELEASE);
	for (long i = 0; i < USERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, kmm_user, (void *)(i + 1)), 0);
	usleep(50 * 1000);
	for (int round = 0; round < 3; round++) {
		EXPECT_ONE_REPORT("still bound", assert_int_equal(kmm_exit(), -EBUSY));
		/* nothing changed: kmm is live and serves this thread */
		assert_true(kmm_mem.live);
		void *p = kmalloc(100, GFP_KERNEL);
		assert_non_null(p);
		kfree(p);
		usleep(10 * 1000);
	}
	__atomic_store_n(&users_stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < USERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(kmm_exit(), 0);
	kmm_cpu_unbind();
	/* a later boot and exit work as before */
	assert_int_equal(kmm_init("mem=32M nr_cpus=2"), 0);
	assert_int_equal(kmm_exit(), 0);
}

static void test_proc_unknown_view(void **state)
{
	(void)state;
	assert_int_equal(kmm_init("mem=32M nr_cpus=1"), 0);
	assert_int_equal(kmm_proc_show(stdout, "nosuchfile"), -ENOENT);
	assert_int_equal(kmm_exit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_parameters_boot_nothing),
		cmocka_unit_test(test_every_parameter_accepted),
		cmocka_unit_test(test_cmdline_from_environment),
		cmocka_unit_test(test_boot_twice_is_refused),
		cmocka_unit_test(test_reboot_many_times),
		cmocka_unit_test(test_exit_counts_leaked_pages),
		cmocka_unit_test(test_zones_64bit_8g),
		cmocka_unit_test(test_zones_32bit_8g),
		cmocka_unit_test(test_lazy_boot_64g),
		cmocka_unit_test(test_default_mem_is_the_hosts),
		cmocka_unit_test(test_empty_zone_absent),
		cmocka_unit_test(test_free_after_exit_is_reported),
		cmocka_unit_test(test_exit_refused_while_threads_bound),
		cmocka_unit_test(test_proc_unknown_view),
		cmocka_unit_test(test_odd_sizes_boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
