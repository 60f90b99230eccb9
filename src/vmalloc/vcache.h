/* The vmap cache: per-CPU caches of freed, still mapped vmalloc areas
 * (vcache.c, which names its lock). */
#ifndef KMM_VMALLOC_VCACHE_H
#define KMM_VMALLOC_VCACHE_H

#include <stdbool.h>
#include "vmalloc/vmap_area.h"

extern unsigned long vcache_nr_pages;	/* pages cached, all CPUs */
int vcache_init(void);
void vcache_exit(void);
/* An area of exactly nr_pages from this CPU's cache (VA_LAZY still set),
 * or NULL. */
struct vmap_area *vcache_take(unsigned long nr_pages);
/* Keeps a vfree'd area (VA_LAZY, on no list). Returns what the caller
 * must put on the lazy lists (vmap_lazy_add), chained through ->chain:
 * NULL, or `va` itself when it does not fit, or the older areas it
 * evicted to make room. */
struct vmap_area *vcache_put(struct vmap_area *va);
/* Moves every cached area to its node's lazy list; returns their pages
 * (guard included), for the purge to count. */
unsigned long vcache_drain_link(void);

#endif
