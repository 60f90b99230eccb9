/* What the benchmark programs share: their command line, registration of a
 * pattern across thread counts, and the callgrind mode.
 *
 * Every benchmark is named "<allocator>/<pattern>[/<arg>]/manual_time/threads:<n>"
 * (Google Benchmark appends the last two), so one pattern run by kmm and by
 * each peer has one key, (allocator, pattern, threads), under which
 * bench/driver/collect.py files the counters of Google Benchmark's JSON. */
#ifndef KMM_BENCH_BENCH_H
#define KMM_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include "gbench.h"

#define BENCH_MAX_THREADS 64

struct bench_opts {
	const char *label;		/* --label=: the allocator's name */
	int threads[16];		/* --threads=1,2,4: thread counts */
	int nr_threads;
	const char *callgrind;		/* --callgrind=PATTERN: no Google Benchmark */
	long callgrind_iters;		/* --iters=N for --callgrind */
};
extern struct bench_opts bench_opts;

/* Takes our own flags out of argv (the rest is Google Benchmark's);
 * returns -1 after a message on a bad one. */
int bench_parse_args(int *argc, char **argv, const char *default_label);

/* The largest thread count asked for. */
int bench_max_threads(void);

/* Registers "<label>/<pattern>" (with arg unless it is negative) for each
 * asked thread count in [min_threads, max_threads], timed by span
 * (gb_use_span_time). */
void bench_add(const char *label, const char *pattern, gb_fn fn, int64_t arg,
	       int min_threads, int max_threads);

/* After a thread's loop: its operations as the raw counter "ops" and the
 * rate "ops_s" (summed over the threads: the run's throughput); a negative
 * count marks the run failed. */
void bench_report(struct gb_state *st, int64_t ops);

/* Callgrind mode: one single-threaded pattern, `iters` operations, inside
 * bench_cg_measure() (valgrind --toggle-collect=bench_cg_measure counts
 * exactly that function and what it calls). */
struct bench_cg_case {
	const char *name;
	void (*run)(long iters);
};
int bench_callgrind(const struct bench_cg_case *cases, int nr_cases);

#endif
