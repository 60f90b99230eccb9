/* What the replay engine asks of an allocator (backend_kmm.c,
 * backend_malloc.c). The engine owns the threads, the order and the
 * slots; a backend allocates, frees, and enters contexts. */
#ifndef RP_BACKEND_H
#define RP_BACKEND_H

#include "replay.h"

struct rp_engine;

struct rp_backend {
	const char *name;
	/* Before the threads: boot, create caches, probe. 0, or -1 with
	 * res->error set. */
	int (*setup)(struct rp_engine *e);
	/* On a replay thread, before its first op and after its last. */
	void (*thread_enter)(struct rp_engine *e, int cpu);
	void (*thread_exit)(struct rp_engine *e);
	/* Allocates slot `s`: a handle for free (object or struct page), and
	 * in *mem the memory the caller may write; NULL on failure. */
	void *(*alloc)(struct rp_engine *e, const struct rp_slot *s, void **mem);
	void (*free)(struct rp_engine *e, const struct rp_slot *s, void *handle);
	/* The allocator's size of a slab object (ksize), 0 if it has none. */
	size_t (*obj_size)(const struct rp_slot *s, void *handle);
	/* Contexts (NULL: the allocator has none). */
	void (*irq_enter)(void);
	void (*irq_exit)(void);
	unsigned long (*irqs_save)(void);
	void (*irqs_restore)(unsigned long flags);
	void (*preempt_disable)(void);
	void (*preempt_enable)(void);
	/* Called by the main thread every sample period while threads run,
	 * and once after they end. */
	void (*sample)(struct rp_engine *e);
	/* After the threads: free what is still live (handles in live[]),
	 * tear down, fill in the result. */
	void (*finish)(struct rp_engine *e, void **live, const uint32_t *live_slots, size_t nr_live);
};

extern const struct rp_backend rp_backend_kmm;
extern const struct rp_backend rp_backend_malloc;

struct rp_engine {
	const struct rp_trace *tr;
	const struct rp_run_opts *o;
	struct rp_result *res;
	const struct rp_backend *be;
	void *be_state;
};

#endif
