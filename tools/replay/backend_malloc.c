/* The replay through the process's malloc (glibc's, or whichever
 * LD_PRELOAD puts in front of it): slab objects through malloc of the
 * requested size (calloc for __GFP_ZERO), page blocks through
 * aligned_alloc of a page-aligned block (zeroed for __GFP_ZERO), every
 * free through free. The threads, order and windows are the engine's, as
 * for kmm; there are no CPUs to bind nor contexts to enter. */
#include <stdlib.h>
#include <string.h>
#include <kmm/gfp.h>
#include "backend.h"

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
