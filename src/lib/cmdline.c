/* Parsing of the boot command line (DESIGN.md §2). Parameter names are the
 * kernel's wherever the kernel has one. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/cmdline.h"
#include "lib/compiler.h"

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

/* Kernel syntax of fault-injection attributes: interval,probability,space,times */
static bool valid_fault_attr(const char *s)
{
	unsigned long v;
	char buf[96], *save, *tok;
	int n = 0;

	if (!parse_string(s, buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == 3) {	/* times may be -1: unlimited */
			if (strcmp(tok, "-1") && !parse_uint(tok, LONG_MAX, &v))
				return false;
		} else if (!parse_uint(tok, n == 1 ? 100 : ULONG_MAX, &v)) {
			return false;
		}
		n++;
	}
	return n == 4;
}

static void set_defaults(struct kmm_config *c)
{
	static const unsigned int ratio[KMM_MAX_ZONES] = { 256, 256, 32, 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->mem = 1UL << 30;
	c->nr_cpus = cpus > 0 ? (unsigned int)cpus : 1;
	c->layout = LAYOUT_64BIT;
	c->min_free_kbytes = -1;
	c->watermark_scale_factor = 10;
	memcpy(c->lowmem_reserve_ratio, ratio, sizeof(ratio));
	c->pcp = true;
	c->populate = -1;
	c->kswapd = true;
	c->slub_max_order = 3;
	c->vmalloc_size = 1UL << 40;
	/* The kernel's fault-injection defaults: only non-sleeping
	 * allocations, and for pages only order >= 1. */
	c->fail_page_alloc_ignore_gfp_wait = true;
	c->fail_page_alloc_min_order = 1;
	c->failslab_ignore_gfp_wait = true;
}

#define MAX_CPUS 1024

static int parse_one(struct kmm_config *c, const char *name, const char *val)
{
	unsigned long v;

#define NEED_VAL() do { if (!val) return -1; } while (0)
	if (!strcmp(name, "mem")) {
		NEED_VAL();
		/* at least 16 MiB (the DMA zone), at most 1 TiB */
		if (!kmm_parse_size(val, &v) || v < (16UL << 20) || v > (1UL << 40))
			return -1;
		c->mem = v & ~((1UL << 12) - 1);
	} else if (!strcmp(name, "nr_cpus")) {
		NEED_VAL();
		if (!parse_uint(val, MAX_CPUS, &v) || v == 0)
			return -1;
		c->nr_cpus = (unsigned int)v;
	} else if (!strcmp(name, "layout")) {
		NEED_VAL();
		if (!strcmp(val, "64bit"))
			c->layout = LAYOUT_64BIT;
		else if (!strcmp(val, "32bit"))
			c->layout = LAYOUT_32BIT;
		else
			return -1;
	} else if (!strcmp(name, "min_free_kbytes")) {
		NEED_VAL();
		if (!parse_uint(val, 1UL << 30, &v))
			return -1;
		c->min_free_kbytes = (long)v;
	} else if (!strcmp(name, "watermark_scale_factor")) {
		NEED_VAL();
		if (!parse_uint(val, 3000, &v) || v < 1)
			return -1;
		c->watermark_scale_factor = (unsigned int)v;
	} else if (!strcmp(name, "lowmem_reserve_ratio")) {
		char buf[64], *save, *tok;
		int n = 0;

		NEED_VAL();
		if (!parse_string(val, buf, sizeof(buf)))
			return -1;
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (n >= KMM_MAX_ZONES || !parse_uint(tok, 1UL << 20, &v))
				return -1;
			c->lowmem_reserve_ratio[n++] = (unsigned int)v;
		}
		if (n == 0)
			return -1;
		c->lowmem_reserve_ratio_set = true;
	} else if (!strcmp(name, "percpu_pagelist_high_fraction")) {
		NEED_VAL();
		/* 0 (the default) or at least 8, as the kernel's sysctl */
		if (!parse_uint(val, 1UL << 20, &v) || (v && v < 8))
			return -1;
		c->percpu_pagelist_high_fraction = (unsigned int)v;
	} else if (!strcmp(name, "pcp")) {
		NEED_VAL();
		if (!parse_bool(val, &c->pcp))
			return -1;
	} else if (!strcmp(name, "populate")) {
		bool b;

		NEED_VAL();
		if (!strcmp(val, "auto"))
			c->populate = -1;
		else if (parse_bool(val, &b))
			c->populate = b;
		else
			return -1;
	} else if (!strcmp(name, "kswapd")) {
		NEED_VAL();
		if (!parse_bool(val, &c->kswapd))
			return -1;
	} else if (!strcmp(name, "slub_debug") || !strcmp(name, "slab_debug")) {
		c->slub_debug_set = true;
		if (val && !parse_string(val, c->slub_debug, sizeof(c->slub_debug)))
			return -1;
	} else if (!strcmp(name, "slub_min_order") || !strcmp(name, "slub_max_order")) {
		NEED_VAL();
		if (!parse_uint(val, 10, &v))
			return -1;
		if (name[5] == 'm' && name[6] == 'i')
			c->slub_min_order = (unsigned int)v;
		else
			c->slub_max_order = (unsigned int)v;
	} else if (!strcmp(name, "slub_min_objects")) {
		NEED_VAL();
		if (!parse_uint(val, 1024, &v))
			return -1;
		c->slub_min_objects = (unsigned int)v;
	} else if (!strcmp(name, "slab_freelist_random")) {
		NEED_VAL();
		if (!parse_bool(val, &c->slab_freelist_random))
			return -1;
	} else if (!strcmp(name, "init_on_alloc")) {
		NEED_VAL();
		if (!parse_bool(val, &c->init_on_alloc))
			return -1;
	} else if (!strcmp(name, "init_on_free")) {
		NEED_VAL();
		if (!parse_bool(val, &c->init_on_free))
			return -1;
	} else if (!strcmp(name, "page_alloc.shuffle")) {
		NEED_VAL();
		if (!parse_bool(val, &c->shuffle))
			return -1;
	} else if (!strcmp(name, "fail_page_alloc")) {
		NEED_VAL();
		if (!valid_fault_attr(val))
			return -1;
		parse_string(val, c->fail_page_alloc, sizeof(c->fail_page_alloc));
	} else if (!strcmp(name, "fail_page_alloc.ignore-gfp-wait")) {
		NEED_VAL();
		if (!parse_bool(val, &c->fail_page_alloc_ignore_gfp_wait))
			return -1;
	} else if (!strcmp(name, "fail_page_alloc.min-order")) {
		NEED_VAL();
		if (!parse_uint(val, 10, &v))
			return -1;
		c->fail_page_alloc_min_order = (unsigned int)v;
	} else if (!strcmp(name, "failslab")) {
		NEED_VAL();
		if (!valid_fault_attr(val))
			return -1;
		parse_string(val, c->failslab, sizeof(c->failslab));
	} else if (!strcmp(name, "failslab.ignore-gfp-wait")) {
		NEED_VAL();
		if (!parse_bool(val, &c->failslab_ignore_gfp_wait))
			return -1;
	} else if (!strcmp(name, "vmalloc")) {
		NEED_VAL();
		if (!kmm_parse_size(val, &v) || v < (16UL << 20) || v > (1UL << 44))
			return -1;
		c->vmalloc_size = v;
	} else if (!strcmp(name, "panic_on_warn")) {
		NEED_VAL();
		if (!parse_bool(val, &c->panic_on_warn))
			return -1;
	} else {
		return -2;
	}
	return 0;
#undef NEED_VAL
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
