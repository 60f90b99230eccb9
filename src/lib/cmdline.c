/* Parsing of the boot command line (DESIGN.md §2). Parameter names are the
 * kernel's wherever the kernel has one. No locks: boot parses into a
 * local struct under the boot lock, then publishes it. */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/cmdline.h"
#include "lib/compiler.h"
#include "lib/host_file.h"

struct kmm_config kmm_config;

bool kmm_parse_size(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v, mult = 1;

	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno)
		return false;
	switch (*end) {
	case 'k': case 'K': mult = 1UL << 10; end++; break;
	case 'm': case 'M': mult = 1UL << 20; end++; break;
	case 'g': case 'G': mult = 1UL << 30; end++; break;
	case 't': case 'T': mult = 1UL << 40; end++; break;
	default: break;
	}
	if (*end || (v && mult > ULONG_MAX / v))
		return false;
	*out = v * mult;
	return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "1") || !strcmp(s, "on") || !strcmp(s, "y") || !strcmp(s, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "0") || !strcmp(s, "off") || !strcmp(s, "n") || !strcmp(s, "no")) {
		*out = false;
		return true;
	}
	return false;
}

static bool parse_string(const char *s, char *dst, size_t len)
{
	if (strlen(s) >= len)
		return false;
	strcpy(dst, s);
	return true;
}

/* Splits a comma-separated list in place into at most `max` fields.
 * Returns the number of fields, or -1 when there are more or one is
 * empty ("1,,2", ",1", "1,"): an empty field is malformed, not skipped. */
static int split_fields(char *buf, char **fields, int max)
{
	int n = 0;

	for (char *f = buf; f; n++) {
		if (n == max)
			return -1;
		fields[n] = strsep(&f, ",");
		if (!*fields[n])
			return -1;
	}
	return n;
}

/* Kernel syntax of fault-injection attributes: interval,probability,space,times */
static bool valid_fault_attr(const char *s)
{
	static const unsigned long max[3] = { ULONG_MAX, 100, LONG_MAX };
	unsigned long v;
	char buf[96], *f[4];

	if (!parse_string(s, buf, sizeof(buf)) || split_fields(buf, f, 4) != 4)
		return false;
	for (int i = 0; i < 3; i++)
		if (!parse_uint(f[i], max[i], &v))
			return false;
	/* times may be -1: unlimited */
	return !strcmp(f[3], "-1") || parse_uint(f[3], LONG_MAX, &v);
}

/* The default mem=: the host's memory, or the cgroup's limit when lower,
 * as a malloc user gets. Memory is populated on first use and free
 * memory goes back to the host, so what is not used costs address space
 * only. */
static unsigned long default_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	unsigned long mem = pages > 0 && psize > 0 ? (unsigned long)pages * (unsigned long)psize
						   : 1UL << 30;
	unsigned long limit;

	if (host_read_ulong("/sys/fs/cgroup/memory.max", &limit) && limit < mem)
		mem = limit;
	mem &= ~((4UL << 20) - 1);	/* whole max-order blocks */
	return MIN(MAX(mem, 64UL << 20), 1UL << 40);
}

static void set_defaults(struct kmm_config *c)
{
	static const unsigned int ratio[KMM_MAX_ZONES] = { 256, 256, 32, 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->mem = default_mem();
	c->nr_cpus = cpus > 0 ? (unsigned int)cpus : 1;
	c->layout = LAYOUT_64BIT;
	c->min_free_kbytes = -1;
	c->watermark_scale_factor = 10;
	memcpy(c->lowmem_reserve_ratio, ratio, sizeof(ratio));
	c->pcp = true;
	c->populate = -1;
	c->page_reporting = -1;
	c->page_reporting_order = 9;	/* pageblock_order */
	c->page_reporting_delay_ms = 2000;
	c->vmalloc_cache = ~0UL;
	c->kfree_rcu_max_pending = ~0UL;
	c->kswapd = true;
	c->slub_max_order = 3;
	c->vmalloc_size = 1UL << 40;
	/* The kernel's fault-injection defaults: only non-sleeping
	 * allocations, and for pages only order >= 1. */
	c->fail_page_alloc_ignore_gfp_wait = true;
	c->fail_page_alloc_min_order = 1;
	c->failslab_ignore_gfp_wait = true;
}

enum param_type {
	P_SIZE,		/* bytes with K/M/G/T suffixes, in [min, max] */
	P_UINT,		/* decimal, in [min, max] */
	P_BOOL,		/* 1/0, on/off, y/n, yes/no */
	P_STRING,	/* copied; the field is a char array */
	P_FAULT,	/* fault-injection attributes, into a string */
	P_LAYOUT,
	P_AUTO_BOOL,	/* auto (-1) or a boolean, into an int */
	P_RATIOS,
};

#define FIELD(f) offsetof(struct kmm_config, f), sizeof(((struct kmm_config *)0)->f)

static const struct param {
	const char *name;
	enum param_type type;
	size_t off, size;
	unsigned long min, max;
	size_t set_off;		/* a bool set when given (0: none) */
} params[] = {
	{ "mem", P_SIZE, FIELD(mem), 16UL << 20, 1UL << 40, 0 },
	{ "nr_cpus", P_UINT, FIELD(nr_cpus), 1, KMM_MAX_CPUS, 0 },
	{ "layout", P_LAYOUT, FIELD(layout), 0, 0, 0 },
	{ "min_free_kbytes", P_UINT, FIELD(min_free_kbytes), 0, 1UL << 30, 0 },
	{ "watermark_scale_factor", P_UINT, FIELD(watermark_scale_factor), 1, 3000, 0 },
	{ "lowmem_reserve_ratio", P_RATIOS, FIELD(lowmem_reserve_ratio), 0, 1UL << 20,
	  offsetof(struct kmm_config, lowmem_reserve_ratio_set) },
	/* 0 (the default) or at least 8, as the kernel's sysctl */
	{ "percpu_pagelist_high_fraction", P_UINT, FIELD(percpu_pagelist_high_fraction), 8, 1UL << 20, 0 },
	{ "pcp", P_BOOL, FIELD(pcp), 0, 0, 0 },
	{ "populate", P_AUTO_BOOL, FIELD(populate), 0, 0, 0 },
	{ "page_reporting", P_AUTO_BOOL, FIELD(page_reporting), 0, 0, 0 },
	{ "page_reporting.page_reporting_order", P_UINT, FIELD(page_reporting_order), 0, 10, 0 },
	{ "page_reporting.delay_ms", P_UINT, FIELD(page_reporting_delay_ms), 0, 600000, 0 },
	{ "vmalloc_cache", P_SIZE, FIELD(vmalloc_cache), 0, 1UL << 40, 0 },
	{ "kfree_rcu.max_pending", P_SIZE, FIELD(kfree_rcu_max_pending), 0, 1UL << 40, 0 },
	{ "kswapd", P_BOOL, FIELD(kswapd), 0, 0, 0 },
	{ "slub_debug", P_STRING, FIELD(slub_debug), 0, 0, offsetof(struct kmm_config, slub_debug_set) },
	{ "slab_debug", P_STRING, FIELD(slub_debug), 0, 0, offsetof(struct kmm_config, slub_debug_set) },
	{ "slub_min_order", P_UINT, FIELD(slub_min_order), 0, 10, 0 },
	{ "slub_max_order", P_UINT, FIELD(slub_max_order), 0, 10, 0 },
	{ "slub_min_objects", P_UINT, FIELD(slub_min_objects), 0, 1024, 0 },
	{ "slab_freelist_random", P_BOOL, FIELD(slab_freelist_random), 0, 0, 0 },
	{ "init_on_alloc", P_BOOL, FIELD(init_on_alloc), 0, 0, 0 },
	{ "init_on_free", P_BOOL, FIELD(init_on_free), 0, 0, 0 },
	{ "page_alloc.shuffle", P_BOOL, FIELD(shuffle), 0, 0, 0 },
	{ "fail_page_alloc", P_FAULT, FIELD(fail_page_alloc), 0, 0, 0 },
	{ "fail_page_alloc.ignore-gfp-wait", P_BOOL, FIELD(fail_page_alloc_ignore_gfp_wait), 0, 0, 0 },
	{ "fail_page_alloc.min-order", P_UINT, FIELD(fail_page_alloc_min_order), 0, 10, 0 },
	{ "failslab", P_FAULT, FIELD(failslab), 0, 0, 0 },
	{ "failslab.ignore-gfp-wait", P_BOOL, FIELD(failslab_ignore_gfp_wait), 0, 0, 0 },
	/* debugfs failslab/cache-filter: only caches with slub_debug's A fail */
	{ "failslab.cache-filter", P_BOOL, FIELD(failslab_cache_filter), 0, 0, 0 },
	{ "failslab_cache_filter", P_BOOL, FIELD(failslab_cache_filter), 0, 0, 0 },
	{ "vmalloc", P_SIZE, FIELD(vmalloc_size), 16UL << 20, 1UL << 44, 0 },
	{ "panic_on_warn", P_BOOL, FIELD(panic_on_warn), 0, 0, 0 },
};

static void store_uint(void *field, size_t size, unsigned long v)
{
	if (size == sizeof(unsigned long))
		*(unsigned long *)field = v;
	else
		*(unsigned int *)field = (unsigned int)v;
}

/* 0: stored; -1: malformed. */
static int parse_value(const struct param *p, struct kmm_config *c, const char *val)
{
	void *field = (char *)c + p->off;
	unsigned long v;
	bool b;

	if (!val && p->type != P_STRING)
		return -1;
	switch (p->type) {
	case P_SIZE:
		if (!kmm_parse_size(val, &v) || v < p->min || v > p->max)
			return -1;
		store_uint(field, p->size, v & ~((1UL << 12) - 1));
		return 0;
	case P_UINT:
		if (!parse_uint(val, p->max, &v) || (v && v < p->min) || (!v && p->min == 1))
			return -1;
		if (p->size == sizeof(long))
			*(long *)field = (long)v;
		else
			store_uint(field, p->size, v);
		return 0;
	case P_BOOL:
		if (!parse_bool(val, &b))
			return -1;
		*(bool *)field = b;
		return 0;
	case P_STRING:
		return !val || parse_string(val, field, p->size) ? 0 : -1;
	case P_FAULT:
		return valid_fault_attr(val) && parse_string(val, field, p->size) ? 0 : -1;
	case P_LAYOUT:
		if (!strcmp(val, "64bit"))
			c->layout = LAYOUT_64BIT;
		else if (!strcmp(val, "32bit"))
			c->layout = LAYOUT_32BIT;
		else
			return -1;
		return 0;
	case P_AUTO_BOOL:
		if (!strcmp(val, "auto"))
			*(int *)field = -1;
		else if (parse_bool(val, &b))
			*(int *)field = b;
		else
			return -1;
		return 0;
	case P_RATIOS: {
		char buf[64], *f[KMM_MAX_ZONES];
		int n;

		if (!parse_string(val, buf, sizeof(buf)) ||
		    (n = split_fields(buf, f, KMM_MAX_ZONES)) < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			if (!parse_uint(f[i], p->max, &v))
				return -1;
			c->lowmem_reserve_ratio[i] = (unsigned int)v;
		}
		return 0;
	}
	}
	return -1;
}

/* 0: parsed; -1: malformed; -2: unknown. */
static int parse_one(struct kmm_config *c, const char *name, const char *val)
{
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		const struct param *p = &params[i];

		if (strcmp(p->name, name))
			continue;
		if (parse_value(p, c, val))
			return -1;
		if (p->set_off)
			*(bool *)((char *)c + p->set_off) = true;
		return 0;
	}
	return -2;
}

int kmm_cmdline_parse(const char *cmdline, struct kmm_config *out)
{
	const char *p = cmdline ? cmdline : "";

	set_defaults(out);
	while (*p) {
		char word[512], *eq;
		size_t len;
		int rc;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		len = strcspn(p, " \t\n");
		if (len >= sizeof(word)) {
			fprintf(stderr, "kmm: command line parameter too long: '%.40s...'\n", p);
			return -EINVAL;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		eq = strchr(word, '=');
		if (eq)
			*eq = '\0';
		rc = parse_one(out, word, eq ? eq + 1 : NULL);
		if (rc == -2) {
			fprintf(stderr, "kmm: unknown boot parameter '%s'\n", word);
			return -EINVAL;
		}
		if (rc < 0) {
			fprintf(stderr, "kmm: malformed boot parameter '%s=%s'\n", word,
				eq ? eq + 1 : "");
			return -EINVAL;
		}
	}
	return 0;
}
