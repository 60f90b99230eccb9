/* The boot command line: kernel-style "name=value" words, parsed into
 * kmm_config, which boot writes (under its lock, before anything runs)
 * and everything else only reads. */
#ifndef KMM_LIB_CMDLINE_H
#define KMM_LIB_CMDLINE_H

#include <stdbool.h>
#include "lib/compiler.h"

#define KMM_MAX_ZONES 4
/* nr_cpus= at most: a per-CPU chunk's units, one per CPU and the null
 * unit, fit one max-order block at 4 KiB each (percpu/percpu_space.c). */
#define KMM_MAX_CPUS 1023

enum kmm_layout { LAYOUT_64BIT, LAYOUT_32BIT };

struct kmm_config {
	unsigned long mem;		/* mem=: bytes of physical memory */
	unsigned int nr_cpus;		/* nr_cpus= */
	enum kmm_layout layout;		/* layout=64bit|32bit */
	long min_free_kbytes;		/* -1: the kernel's formula */
	unsigned int watermark_scale_factor;
	unsigned int lowmem_reserve_ratio[KMM_MAX_ZONES];
	bool lowmem_reserve_ratio_set;
	unsigned int percpu_pagelist_high_fraction;
	bool pcp;			/* pcp=on|off: per-CPU page lists */
	int populate;			/* populate=0|1; -1: auto (on first use) */
	int page_reporting;		/* page_reporting=0|1; -1: auto (unless populate=1) */
	unsigned int page_reporting_order;	/* page_reporting.page_reporting_order= */
	unsigned int page_reporting_delay_ms;	/* page_reporting.delay_ms= */
	unsigned long vmalloc_cache;	/* vmalloc_cache=: bytes kept per CPU; ~0: auto */
	unsigned long kfree_rcu_max_pending;	/* kfree_rcu.max_pending=: bytes; ~0: auto, 0: none */
	bool kswapd;			/* kswapd=on|off */
	char slub_debug[256];		/* slub_debug=, empty when not given */
	bool slub_debug_set;
	unsigned int slub_min_order, slub_max_order, slub_min_objects;
	bool slab_freelist_random;	/* slab_freelist_random=1 */
	bool init_on_alloc, init_on_free;
	bool shuffle;			/* page_alloc.shuffle=1 */
	char fail_page_alloc[96];	/* interval,probability,space,times */
	bool fail_page_alloc_ignore_gfp_wait;
	unsigned int fail_page_alloc_min_order;
	char failslab[96];
	bool failslab_ignore_gfp_wait;
	bool failslab_cache_filter;	/* failslab.cache-filter=1 */
	unsigned long vmalloc_size;	/* vmalloc=: size of vmalloc space */
	bool panic_on_warn;
};

extern struct kmm_config kmm_config KMM_HIDDEN;

/* Parses `cmdline` into `out` (defaults first). On an unknown or malformed
 * parameter prints a message naming it and returns -EINVAL; `out` is then
 * unspecified and nothing else has changed. */
int kmm_cmdline_parse(const char *cmdline, struct kmm_config *out);

/* "64M", "1G", "4096": bytes; false on garbage or overflow. */
bool kmm_parse_size(const char *s, unsigned long *out);

#endif
