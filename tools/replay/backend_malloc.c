/* The replay through the process's malloc (glibc's, or whichever
 * LD_PRELOAD puts in front of it): slab objects through malloc of the
 * requested size (calloc for __GFP_ZERO), page blocks through
 * aligned_alloc of a page-aligned block (zeroed for __GFP_ZERO), every
 * free through free. The threads, order and windows are the engine's, as
 * for kmm; there are no CPUs to bind nor contexts to enter. */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/gfp.h>
#include "backend.h"

/* Which malloc answers this process's calls, by a function only it
 * defines: so a report names the allocator that ran, and an LD_PRELOAD
 * that did not take shows as glibc. */
const char *rp_malloc_name(void)
{
	static const struct { const char *symbol, *name; } marks[] = {
		{ "mallctl", "jemalloc" },
		{ "tc_malloc", "tcmalloc" },
		{ "mi_malloc", "mimalloc" },
	};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (dlsym(RTLD_DEFAULT, marks[i].symbol))
			return marks[i].name;
	return "glibc";
}

/* Its version, asked of it the way each one answers. */
void rp_malloc_version(char *buf, size_t len)
{
	const char *name = rp_malloc_name();
	union {
		void *p;
		int (*mallctl)(const char *, void *, size_t *, void *, size_t);
		const char *(*tc_version)(int *, int *, int *);
		int (*mi_version)(void);
	} fn;

	snprintf(buf, len, "?");
	if (!strcmp(name, "jemalloc")) {
		const char *v;
		size_t n = sizeof(v);

		fn.p = dlsym(RTLD_DEFAULT, "mallctl");
		if (!fn.mallctl("version", &v, &n, NULL, 0))
			snprintf(buf, len, "%s", v);
	} else if (!strcmp(name, "tcmalloc")) {
		fn.p = dlsym(RTLD_DEFAULT, "tc_version");
		if (fn.p)
			snprintf(buf, len, "%s", fn.tc_version(NULL, NULL, NULL));
	} else if (!strcmp(name, "mimalloc")) {
		fn.p = dlsym(RTLD_DEFAULT, "mi_version");
		if (fn.p)
			snprintf(buf, len, "%d", fn.mi_version());
	} else {
		snprintf(buf, len, "%s", gnu_get_libc_version());
	}
}

static int mb_setup(struct rp_engine *e)
{
	(void)e;
	return 0;
}

static void mb_thread_enter(struct rp_engine *e, int cpu)
{
	(void)e;
	(void)cpu;
}

static void mb_thread_exit(struct rp_engine *e)
{
	(void)e;
}

static void *mb_alloc(struct rp_engine *e, const struct rp_slot *s, void **mem)
{
	bool zero = s->gfp & __GFP_ZERO;
	void *p;

	(void)e;
	if (s->kind == RP_SLOT_PAGES) {
		p = aligned_alloc(RP_PAGE_SIZE, s->bytes_alloc);
		if (p && zero)
			memset(p, 0, s->bytes_alloc);
	} else {
		size_t n = s->bytes_req ? s->bytes_req : 1;

		p = zero ? calloc(1, n) : malloc(n);
	}
	return *mem = p;
}

static void mb_free(struct rp_engine *e, const struct rp_slot *s, void *h)
{
	(void)e;
	(void)s;
	free(h);
}

static void mb_finish(struct rp_engine *e, void **live, const uint32_t *live_slots, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		mb_free(e, &e->tr->slots[live_slots[i]], live[i]);
}

const struct rp_backend rp_backend_malloc = {
	.name = "malloc",
	.setup = mb_setup,
	.thread_enter = mb_thread_enter,
	.thread_exit = mb_thread_exit,
	.alloc = mb_alloc,
	.free = mb_free,
	.finish = mb_finish,
};
