/* Boot and teardown (DESIGN.md §2): kmm_init_early() sets up physical
 * memory and memblock; kmm_init_late() hands free memory to the buddy and
 * starts the subsystems; kmm_exit() tears down in reverse and counts leaks.
 *
 * Lock: boot_lock (LOCK_RANK_BOOT, outermost) serialises boot and exit;
 * nothing else may run inside kmm while they do. kmm_exit() refuses while
 * another thread is bound to a CPU (lib/bound.c), and binding is closed
 * while it tears down. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/page_reporting.h"
#include "buddy/phys.h"
#include "buddy/reclaim.h"
#include "buddy/vmstat.h"
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/cpu_owner.h"
#include "lib/events.h"
#include "lib/lock.h"
#include "percpu/percpu_internal.h"
#include "slub/cache.h"
#include "slub/kfree_rcu.h"
#include "slub/kmalloc.h"
#include "vmalloc/vmalloc.h"

enum boot_state { BOOT_DOWN, BOOT_EARLY, BOOT_LIVE };

static struct kmm_mutex boot_lock = KMM_MUTEX_INIT("boot_lock", LOCK_RANK_BOOT);
static enum boot_state boot_state;

/* The zones' per-CPU page lists and counters come from the per-CPU
 * allocator, which stands above the page allocator, so boot hands them
 * over (the kernel's setup_zone_pageset): from the first chunk, which
 * percpu_init() made of memblock memory. */
static int zones_percpu_init(void)
{
	struct zone *z;

	for_each_populated_zone(z) {
		z->pcp = alloc_percpu(struct per_cpu_pages);
		z->pcpstat = alloc_percpu(struct per_cpu_zonestat);
		if (!z->pcp || !z->pcpstat)
			return -ENOMEM;
		pcp_init_zone(z);
	}
	return 0;
}

static void zones_percpu_exit(void)
{
	struct zone *z;

	for_each_zone(z) {
		free_percpu(z->pcp);
		free_percpu(z->pcpstat);
		z->pcp = NULL;
		z->pcpstat = NULL;
	}
}

/* The event counters, likewise, from the first chunk. */
static int events_percpu_init(void)
{
	struct kmm_event_counts *counts = alloc_percpu(struct kmm_event_counts);

	if (!counts)
		return -ENOMEM;
	events_init(counts);
	return 0;
}

/* Frees kmm's own per-CPU data first, so percpu_exit() counts only the
 * users' allocations as leaks. */
static unsigned long teardown(void)
{
	unsigned long percpu_leak;

	atomic_store_release(&kmm_mem.live, false);
	cpu_owner_exit();
	free_percpu(events_exit());
	zones_percpu_exit();
	zones_exit();
	percpu_leak = percpu_exit();
	memblock_exit();
	phys_exit();
	return percpu_leak;
}

static int init_early_locked(const char *cmdline)
{
	struct kmm_config cfg;
	int err;

	if (boot_state != BOOT_DOWN) {
		kmm_warn("kmm_init_early: kmm is already booted");
		return -EBUSY;
	}
	if (!cmdline)
		cmdline = getenv("KMM_CMDLINE");
	if (kmm_cmdline_parse(cmdline, &cfg))
		return -EINVAL;
	kmm_config = cfg;
	cpu_model_init(cfg.nr_cpus);
	err = phys_init();
	if (err) {
		fprintf(stderr, "kmm: cannot set up %lu bytes of physical memory: error %d\n",
			cfg.mem, err);
		return err;
	}
	err = zones_layout();
	memblock_init();
	if (!err)
		err = percpu_init();
	if (!err)
		err = events_percpu_init();
	if (err) {
		teardown();
		return err;
	}
	cpu_owner_init();
	fault_attr_setup(&fail_page_alloc, cfg.fail_page_alloc);
	boot_state = BOOT_EARLY;
	return 0;
}

int kmm_init_early(const char *cmdline)
{
	int err;

	kmm_mutex_lock(&boot_lock);
	err = init_early_locked(cmdline);
	kmm_mutex_unlock(&boot_lock);
	return err;
}

static int init_late_locked(void)
{
	int err;

	if (boot_state != BOOT_EARLY) {
		kmm_warn("kmm_init_late: %s", boot_state == BOOT_LIVE ?
			 "kmm is already live" : "kmm_init_early() has not run");
		return -EINVAL;
	}
	err = zones_init();
	if (!err)
		err = zones_percpu_init();
	if (err)
		return err;
	memblock_free_all();
	if (kmm_config.shuffle)
		buddy_shuffle_free_lists();
	atomic_store_release(&kmm_mem.live, true);
	setup_watermarks();
	err = vmalloc_init();
	if (err)
		return err;
	slab_init();
	err = kmalloc_init();
	if (!err && kmm_config.kswapd)
		err = kswapd_start();
	if (!err)
		err = kvfree_rcu_init();
	if (err) {
		kswapd_stop();
		kmalloc_exit();
		slab_exit();
		vmalloc_exit();
		return err;
	}
	page_reporting_start();
	boot_state = BOOT_LIVE;
	return 0;
}

int kmm_init_late(void)
{
	int err;

	kmm_mutex_lock(&boot_lock);
	err = init_late_locked();
	kmm_mutex_unlock(&boot_lock);
	return err;
}

int kmm_init(const char *cmdline)
{
	int err = kmm_init_early(cmdline);

	if (err)
		return err;
	err = kmm_init_late();
	if (err)
		kmm_exit();
	return err;
}

/* Prints the first leaked blocks, walking heads of allocated blocks. */
static void report_page_leaks(unsigned long leaked)
{
	struct zone *z;
	int shown = 0;

	kmm_pr_info("kmm: %lu pages still allocated at exit", leaked);
	for_each_populated_zone(z) {
		unsigned long end = z->zone_start_pfn + z->spanned_pages;

		for (unsigned long pfn = z->zone_start_pfn; pfn < end && shown < 16;) {
			uint32_t st = page_state_read(pfn_page(pfn));

			if (PAGE_STATE_KIND(st) == PS_ALLOC) {
				kmm_pr_info("kmm:   leaked block pfn %#lx order %u (zone %s)", pfn,
					    PAGE_STATE_ORDER(st), z->name);
				shown++;
				pfn += 1UL << PAGE_STATE_ORDER(st);
			} else {
				pfn++;
			}
		}
	}
}

static long exit_locked(void)
{
	long leaked_pages = 0, leaked_objects = 0;
	unsigned long percpu_leak;
	unsigned int others;

	if (boot_state == BOOT_DOWN) {
		kmm_warn("kmm_exit: kmm is not booted");
		return 0;
	}
	/* Another thread may be inside kmm: refuse, change nothing. */
	others = cpu_bound_close();
	if (others) {
		kmm_warn("kmm_exit: %u other threads are still bound to CPUs (kmm_cpu_bind); "
			 "nothing torn down", others);
		return -EBUSY;
	}
	if (boot_state == BOOT_LIVE) {
		page_reporting_stop();
		kvfree_rcu_exit();
		kswapd_stop();
		kmalloc_exit();
		leaked_objects = slab_exit();
		rcu_barrier();	/* SLAB_TYPESAFE_BY_RCU slabs go back now */
		/* After slab_exit: pending kvfree_rcu frees may vfree. */
		vmalloc_exit();
		shrinkers_exit();
		percpu_release_empty_chunks();
		drain_all_pages(NULL);
		leaked_pages = (long)totalram_pages() - (long)nr_free_pages();
	}
	if (leaked_pages > 0)
		report_page_leaks((unsigned long)leaked_pages);
	percpu_leak = teardown();
	if (percpu_leak)
		kmm_pr_info("kmm: %lu bytes of per-CPU memory still allocated at exit", percpu_leak);
	boot_state = BOOT_DOWN;
	cpu_bound_reopen();
	return leaked_objects + (leaked_pages > 0 ? leaked_pages : 0);
}

long kmm_exit(void)
{
	long leaked;

	kmm_mutex_lock(&boot_lock);
	leaked = exit_locked();
	kmm_mutex_unlock(&boot_lock);
	return leaked;
}
