/* kmm's one source of randomness: seeds from the kernel's entropy pool
 * (getrandom), and xorshift64 for the cheap draws made from them. No
 * locks: a state belongs to its user (a thread, or a structure under its
 * own lock). */
#ifndef KMM_LIB_RANDOM_H
#define KMM_LIB_RANDOM_H

#include "lib/compiler.h"

/* A random word from getrandom(), or from the clock when the pool is not
 * ready; never 0, so it can seed a state. */
unsigned long random_seed(void);

/* xorshift64 (Marsaglia): the next value of `*state`, which must not be 0. */
static always_inline unsigned long prandom_next(unsigned long *state)
{
	unsigned long x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

/* A draw in [0, n) from the calling thread's own state (seeded on first
 * use): no lock, no system call. */
unsigned long prandom_below(unsigned long n);

#endif
