/* RCU internals shared by lib/rcu.c and slub/kfree_rcu.c.
 *
 * struct rcu_gp_head is the handle kmm gives liburcu for one whole batch:
 * liburcu's own struct rcu_head lives in its first bytes (rcu.c checks the
 * size), so nothing outside rcu.c includes liburcu's headers, whose struct
 * rcu_head would clash with the kernel-shaped one in <kmm/rcupdate.h>. */
#ifndef KMM_LIB_RCU_H
#define KMM_LIB_RCU_H

#include <stdbool.h>
#include <kmm/rcupdate.h>
#include "lib/compiler.h"

/* nr_cpus= is at most this (cmdline.c); the per-CPU RCU state is static so
 * RCU works before boot and across reboots with other CPU counts. */
#define RCU_MAX_CPUS	1024

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

/* Wakes the monitor: something waits on a per-CPU list (cheap when it is
 * already awake). */
void rcu_monitor_kick(void);

/* Highest CPU id that ever queued work, plus one (grows, never shrinks). */
extern unsigned int rcu_cpus_seen;
static inline void rcu_note_cpu(int cpu)
{
	unsigned int seen = atomic_load_relaxed(&rcu_cpus_seen);

	while ((unsigned int)cpu >= seen &&
	       !atomic_cas_relaxed(&rcu_cpus_seen, &seen, (unsigned int)cpu + 1))
		;
}

/* kfree_rcu.c's side of the monitor, the barrier and memory pressure. */
void kvfree_rcu_cpus_init(void);
/* Hands the CPU's waiting objects to RCU if a batch slot is free; true when
 * everything queued up to `seq` is in liburcu's hands. */
bool kvfree_rcu_flush_cpu(int cpu, unsigned long seq);
unsigned long kvfree_rcu_queued_seq(int cpu);
/* Objects queued on the CPU and not yet handed over. */
unsigned long kvfree_rcu_waiting(int cpu);

/* call_rcu's side of the same. */
bool rcu_flush_cpu(int cpu, unsigned long seq);
unsigned long rcu_queued_seq(int cpu);
unsigned long rcu_waiting(int cpu);

/* Boot and exit (boot.c): the kfree_rcu shrinker; at exit every pending
 * callback and kfree_rcu object is run and freed. */
int kvfree_rcu_init(void);
void kvfree_rcu_exit(void);

#endif
