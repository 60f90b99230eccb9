/* The kernel's printk rate limit (lib/ratelimit.c) for messages that a
 * flood of failures could repeat: at most `burst` per second from one
 * call site. Lockless: the counters are relaxed atomics, so a race across
 * a second's edge may let a message or two more through, which a message
 * limit can afford. */
#ifndef KMM_LIB_RATELIMIT_H
#define KMM_LIB_RATELIMIT_H

#include <stdbool.h>

struct ratelimit {
	long sec;		/* atomic: the second being counted */
	long printed;		/* atomic: messages let through in it */
	long burst;
};

#define RATELIMIT_INIT(b)	{ .sec = 0, .printed = 0, .burst = (b) }

/* True when the caller may print (the kernel's __ratelimit()). */
bool ratelimit_ok(struct ratelimit *rl);

#endif
