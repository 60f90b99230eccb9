/* Workload "rcuflood" (off by default: --cases rcuflood): every worker
 * allocates with GFP_KERNEL and kfree_rcu()s flat out, 64-byte objects
 * with every sixteenth a 64 KiB one (a costly order, which GFP_KERNEL
 * tries once); interrupt threads do the same with GFP_ATOMIC.
 *
 * It measures what back-pressure promises: GFP_KERNEL failures (the case's
 * failure count in the summary), and the most kfree_rcu objects and bytes
 * pending at once, sampled by every worker after each burst, printed at
 * teardown beside kfree_rcu's bound. With no interrupt threads (their
 * frees may not wait, so nothing bounds them) pending bytes past the
 * bound and its slack — two checking steps per CPU, a large object per
 * worker — are a violation. */
#include "stress.h"
#include "lib/rcu_batch.h"
#include "slub/kfree_rcu.h"

#define FLOOD_BURST	256
#define FLOOD_LARGE	(64UL << 10)
#define FLOOD_LARGE_EVERY 16

struct flood_obj {
	struct rcu_head rh;
	uint64_t seq;
};

static int flood_idx;
static unsigned long peak_objects, peak_bytes;	/* stat_*: most pending seen */

static void note_max(unsigned long *peak, unsigned long v)
{
	unsigned long old = stat_get(peak);

	while (v > old && !__atomic_compare_exchange_n(peak, &old, v, false, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

static void flood_burst(struct worker *w, gfp_t gfp, int burst)
{
	for (int i = 0; i < burst; i++) {
		bool large = rnd_below(&w->rng, FLOOD_LARGE_EVERY) == 0;
		unsigned long mark = injected_mark();
		struct flood_obj *o = kmalloc(large ? FLOOD_LARGE : sizeof(*o), gfp | __GFP_NOWARN);

		stat_add(&w->ops[flood_idx], 1);
		if (!o) {
			if (injected_since(mark))
				continue;
			if (w->irq)
				count_atomic_fail();
			else
				count_fail(flood_idx);
			continue;
		}
		o->seq = w->ops[flood_idx];
		kfree_rcu(o, rh);
	}
	note_max(&peak_objects, kmm_kfree_rcu_pending());
	note_max(&peak_bytes, rcu_batcher_pending_weight(&kfree_rcu_batcher));
}

static void flood_step(struct worker *w, void *arg)
{
	flood_burst(w, GFP_KERNEL, FLOOD_BURST);
}

static void flood_irq_step(struct worker *w, void *arg)
{
	flood_burst(w, GFP_ATOMIC, 4);
}

static int flood_setup(void)
{
	flood_idx = case_index("rcuflood");
	stat_set(&peak_objects, 0);
	stat_set(&peak_bytes, 0);
	return 0;
}

static void flood_teardown(void)
{
	unsigned long limit = kfree_rcu_batcher.limit;
	unsigned long bound = limit + 2 * kfree_rcu_batcher.step * nr_cpu_ids +
			      (unsigned long)opts.cpus * FLOOD_LARGE;

	printf("rcuflood: pending at most %lu objects, %lu KiB; bound %lu KiB (%.2fx), "
	       "with slack %lu KiB\n", stat_get(&peak_objects), stat_get(&peak_bytes) >> 10,
	       limit >> 10, limit ? (double)stat_get(&peak_bytes) / (double)limit : 0.0,
	       bound >> 10);
	if (limit && !opts.irqs && stat_get(&peak_bytes) > bound)
		violation("rcuflood: %lu KiB pending, past the bound with its slack (%lu KiB)",
			  stat_get(&peak_bytes) >> 10, bound >> 10);
}

const struct stress_case case_rcuflood = {
	.name = "rcuflood",
	.help = "GFP_KERNEL kmalloc + kfree_rcu flat out (64 B, some 64 KiB); irqs with GFP_ATOMIC",
	.default_on = false,
	.setup = flood_setup,
	.step = flood_step,
	.irq_step = flood_irq_step,
	.teardown = flood_teardown,
};
