/* Seeds and per-thread draws (see random.h). No locks: the draw state is
 * thread-local. */
#include <time.h>
#include <sys/random.h>
#include <sys/types.h>
#include "lib/random.h"

unsigned long random_seed(void)
{
	unsigned long v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (unsigned long)ts.tv_nsec * 0x9e3779b97f4a7c15UL ^ (unsigned long)&v;
	}
	return v ? v : 1;
}

unsigned long prandom_below(unsigned long n)
{
	static __thread unsigned long state;

	if (unlikely(!state))
		state = random_seed();
	return prandom_next(&state) % n;
}
