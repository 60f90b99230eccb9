/* Booting kmm inside a process that uses it as its malloc (docs/malloc.md,
 * "Boot").
 *
 * The first call of the first thread boots kmm with the defaults below,
 * then whatever KMM_CMDLINE says (a later word overrides an earlier one):
 *   nr_cpus=  five per host CPU: four per host CPU that threads claim for
 *             themselves (thread.c) and one per host CPU shared by threads
 *             beyond those. Each CPU costs about 64 KiB of per-CPU memory
 *             at boot, so a small program pays for few.
 *   kswapd=0  no background reclaim thread in every process: direct
 *             reclaim serves allocations that find memory low
 * and kmm's own defaults otherwise: mem= the host's memory (or the
 * cgroup's limit), populated on first use, free pages reported back to
 * the host (docs/footprint.md).
 * While it boots, that thread's allocations (kmm's own, the C library's)
 * are nested and other threads' calls find the boot in progress: both are
 * served from host memory. kmm is never shut down; the process's exit
 * ends it.
 *
 * Lock: none. The boot state moves DOWN -> BOOTING by compare-and-swap
 * (one thread boots), then to UP or FAILED. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "shim.h"

enum boot_state { BOOT_DOWN, BOOT_BOOTING, BOOT_UP, BOOT_FAILED };

unsigned long shim_gate KMM_HIDDEN;
static int boot_state;		/* atomic */
static char boot_cmdline[4096];

#define CPUS_PER_HOST_CPU	5

bool shim_booted(void)
{
	return atomic_load_acquire(&boot_state) == BOOT_UP;
}

static unsigned int host_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 1)
		return 1;
	return (unsigned int)CPU_COUNT(&set);
}

/* The defaults, then KMM_CMDLINE; false (with a report) when it does not
 * fit the buffer. */
static bool build_cmdline(void)
{
	unsigned int cpus = MIN(host_cpus() * CPUS_PER_HOST_CPU, (unsigned int)KMM_MAX_CPUS);
	const char *user = getenv("KMM_CMDLINE");
	int n;

	n = snprintf(boot_cmdline, sizeof(boot_cmdline), "nr_cpus=%u kswapd=0 %s", cpus,
		     user ? user : "");
	if (n < 0 || (size_t)n >= sizeof(boot_cmdline)) {
		kmm_warn("kmm-malloc: KMM_CMDLINE is longer than %zu bytes",
			 sizeof(boot_cmdline) - 64);
		return false;
	}
	return true;
}

/* Without membarrier(2) a fork could not see other threads' entries
 * (shim.h): every entry then fences. kmm's slab_init registered the
 * process already when it could; registering again is harmless. */
static void check_membarrier(void)
{
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0))
		__atomic_fetch_or(&shim_gate, SHIM_GATE_FENCE, __ATOMIC_RELAXED);
}

static noinline bool boot(void)
{
	int err;

	if (!build_cmdline())
		return false;
	/* Bound to CPU 0 (the first the pool hands out), boot's per-CPU
	 * counters need no sched_getcpu() each. */
	kmm_cpu_bind(0);
	err = kmm_init(boot_cmdline);
	if (err) {
		kmm_warn("kmm-malloc: kmm_init(\"%s\") failed with error %d; the process's "
			 "allocations are served from host memory", boot_cmdline, err);
		return false;
	}
	shim_pow2_classes = kmm_config.slub_debug_set;
	if (shim_pow2_classes)
		__atomic_fetch_or(&shim_gate, SHIM_GATE_DEBUG, __ATOMIC_RELAXED);
	check_membarrier();
	return true;
}

bool shim_boot(void)
{
	int st = atomic_load_acquire(&boot_state);

	if (likely(st == BOOT_UP))
		return true;
	if (st != BOOT_DOWN || !atomic_cas_acq_rel(&boot_state, &st, BOOT_BOOTING))
		return false;
	atomic_store_release(&boot_state, boot() ? BOOT_UP : BOOT_FAILED);
	return atomic_load_relaxed(&boot_state) == BOOT_UP;
}
