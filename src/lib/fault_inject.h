/* Fault injection with the kernel's attributes (lib/fault-inject.c). No
 * locks: the counters are atomics. */
#ifndef KMM_LIB_FAULT_INJECT_H
#define KMM_LIB_FAULT_INJECT_H

#include <stdbool.h>

struct fault_attr {
	unsigned long interval;
	unsigned long probability;	/* percent */
	long space;			/* atomic */
	long times;			/* atomic; -1: unlimited */
	unsigned long count;		/* atomic */
	bool enabled;
};

/* Parses "interval,probability,space,times" (already validated). */
void fault_attr_setup(struct fault_attr *attr, const char *spec);
bool should_fail(struct fault_attr *attr, long size);

/* Failures injected into this thread's allocations so far, so that a
 * caller can tell an injected failure from a real one. */
extern __thread unsigned long fault_injected_on_thread;

#endif
