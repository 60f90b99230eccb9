/* RCU's core (rcu.c) for the batching engine and its clients: thread
 * registration, the hand-over of one batch to liburcu, the
 * ThreadSanitizer edge. No locks.
 *
 * struct rcu_gp_head is the handle kmm gives liburcu for one whole batch:
 * liburcu's own struct rcu_head lives in its first bytes (rcu.c checks the
 * size), so nothing outside rcu.c includes liburcu's headers, whose struct
 * rcu_head would clash with the kernel-shaped one in <kmm/rcupdate.h>. */
#ifndef KMM_LIB_RCU_H
#define KMM_LIB_RCU_H

#include <stdbool.h>
#include <kmm/rcupdate.h>
#include "lib/cmdline.h"
#include "lib/compiler.h"
#include "lib/cpu.h"

/* Every CPU nr_cpus= allows: the per-CPU RCU state is static so RCU works
 * before boot and across reboots with other CPU counts. */
#define RCU_MAX_CPUS	KMM_MAX_CPUS

/* How long the monitor lets callbacks and kfree_rcu objects gather before
 * handing them to liburcu (the kernel's KFREE_DRAIN_JIFFIES). */
#define RCU_MONITOR_DELAY_US	5000

/* Per-thread RCU state. */
enum rcu_reg { RCU_UNREGISTERED, RCU_BY_KMM, RCU_BY_LIBURCU };
struct rcu_task {
	enum rcu_reg registered;	/* with liburcu, and by whom */
	int nesting;			/* rcu_read_lock() depth */
	bool in_callback;		/* running a batch on a liburcu thread */
};
extern __thread struct rcu_task rcu_task __attribute__((tls_model("initial-exec")));

/* Registers the calling thread with liburcu on its first use of RCU. */
void rcu_register_slow(void);
static always_inline void rcu_register(void)
{
	if (unlikely(rcu_task.registered == RCU_UNREGISTERED))
		rcu_register_slow();
}

struct rcu_gp_head {
	void *urcu_head[2];		/* liburcu's struct rcu_head */
	void (*func)(struct rcu_gp_head *gp);
};

/* Hands one batch to liburcu: func(gp) runs on a liburcu thread after a
 * grace period, with the TSan acquire already done. Call from a registered
 * thread (kmm_rcu_register_thread()). */
void rcu_gp_call(struct rcu_gp_head *gp, void (*func)(struct rcu_gp_head *gp));

/* Waits for every batch handed to liburcu so far to have run. */
void rcu_gp_barrier(void);

/* Waits for one grace period (synchronize_rcu() without its checks: the
 * caller made them), with the TSan acquire. */
void rcu_gp_sync(void);

/* Whether a caller may sleep for RCU here: not inside a read-side
 * section, not from a callback, not in atomic context (each reported). */
bool rcu_may_wait(const char *caller);

/* The same question asked silently: true when the calling thread may
 * sleep for a grace period (not in atomic context, no read-side section,
 * not running RCU callbacks). */
static always_inline bool rcu_can_wait(void)
{
	return !rcu_task.nesting && !rcu_task.in_callback && !cpu_in_atomic();
}

/* The one address ThreadSanitizer's RCU edges go through (rcu.c). */
extern char rcu_gp_edge KMM_HIDDEN;
#define rcu_tsan_release()	tsan_release(&rcu_gp_edge)
#define rcu_tsan_acquire()	tsan_acquire(&rcu_gp_edge)

#ifdef KMM_RCU_NO_GRACE
#define RCU_NO_GRACE 1		/* negative control: no grace period at all */
#else
#define RCU_NO_GRACE 0
#endif

#endif
