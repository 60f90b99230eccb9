/* kfree_rcu suite: kmalloc(64) + touch + kfree_rcu, against kmalloc(64) +
 * call_rcu with a callback that kfrees (label "call_rcu"), in the same
 * process. Thread 0 samples the kmalloc-64 objects in use every
 * RCU_SAMPLE operations (from slabinfo) and reports the peak above the
 * start as "peak_waiting": the objects waiting for a grace period. After
 * each run rcu_barrier() empties the queue (untimed). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "kmm_bench.h"
#include "patterns.h"

#define RCU_SAMPLE 32768

struct rcu_obj {
	struct rcu_head rh;
	char payload[64 - sizeof(struct rcu_head)];
};

/* kmalloc-64's active objects from slabinfo, or -1. */
static long slab_active_objs(void)
{
	static char buf[1 << 16];
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	long active = -1;
	char *line;

	if (!f)
		return -1;
	kmm_proc_show(f, "slabinfo");
	buf[ftell(f)] = 0;
	fclose(f);
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, "kmalloc-64 ", 11)) {
			sscanf(line + 11, "%ld", &active);
			break;
		}
	return active;
}

static void rcu_free_cb(struct rcu_head *head)
{
	kfree((char *)head - offsetof(struct rcu_obj, rh));
}

static void run(struct gb_state *st, int use_kfree_rcu)
{
	int64_t n = RCU_SAMPLE, ops = 0;
	long base = -1, peak = 0;
	struct kmm_meas m;

	kmm_meas_begin(st, &m);
	if (gb_thread_index(st) == 0)
		base = slab_active_objs();
	while (gb_keep_running_batch(st, &n)) {
		for (int64_t i = 0; i < n; i++) {
			struct rcu_obj *p = kmalloc(sizeof(*p), GFP_KERNEL);

			if (__builtin_expect(!p, 0)) {
				pat_fail(st, n);
				ops = -1;
				goto out;
			}
			pat_touch(p->payload, i);
			if (use_kfree_rcu)
				kfree_rcu(p, rh);
			else
				call_rcu(&p->rh, rcu_free_cb);
		}
		ops += n;
		if (base >= 0) {
			long now = slab_active_objs() - base;

			peak = now > peak ? now : peak;
		}
	}
out:
	kmm_meas_end(st, &m, ops, MEAS_RCU);
	if (gb_thread_index(st) == 0) {
		rcu_barrier();
		gb_counter(st, "peak_waiting", base >= 0 ? (double)peak : -1, GB_COUNTER_DEFAULT);
	}
}

static void bm_kfree_rcu(struct gb_state *st) { run(st, 1); }
static void bm_call_rcu(struct gb_state *st) { run(st, 0); }

void suite_rcu_register(void)
{
	bench_add(kmm_label, "kfree_rcu", bm_kfree_rcu, 64, 1, BENCH_MAX_THREADS);
	bench_add("call_rcu", "kfree_rcu", bm_call_rcu, 64, 1, BENCH_MAX_THREADS);
}
