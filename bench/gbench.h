/* gbench: a thin C API over Google Benchmark, so every kmm benchmark is C.
 *
 * A benchmark is a C function run by each of its threads:
 *
 *	static void bm_pair(struct gb_state *st)
 *	{
 *		int64_t n = 1000;
 *		while (gb_keep_running_batch(st, &n))
 *			for (int64_t i = 0; i < n; i++)
 *				...one operation...
 *	}
 *	struct gb_bench *b = gb_register("kmm/pair", bm_pair);
 *	gb_threads(b, 2); gb_use_real_time(b);
 *
 * Batches keep the C++ call out of nanosecond loops: each call to
 * gb_keep_running_batch() grants *n iterations. The work before the first
 * call and after the last one is untimed; all threads of a run start and
 * stop together (Google Benchmark's start/stop barrier), so thread 0 may
 * set up shared state before its loop and read it after. */
#ifndef KMM_BENCH_GBENCH_H
#define KMM_BENCH_GBENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct gb_state;
struct gb_bench;
typedef void (*gb_fn)(struct gb_state *st);

/* Counter flags: Google Benchmark's benchmark::Counter::Flags. A counter
 * set by several threads is summed over them, then the flags apply. */
#define GB_COUNTER_DEFAULT	0u
#define GB_COUNTER_RATE		(1u << 0)	/* divided by the run's time: per second */
#define GB_COUNTER_AVG_THREADS	(1u << 1)	/* divided by the thread count */
#define GB_COUNTER_PER_ITERATION (1u << 3)	/* divided by the iterations */
#define GB_COUNTER_INVERT	(1u << 31)	/* 1/value: a rate becomes seconds per item */

/* Registration: call before gb_main(). */
struct gb_bench *gb_register(const char *name, gb_fn fn);
void gb_arg(struct gb_bench *b, int64_t arg);
void gb_args(struct gb_bench *b, const int64_t *args, int nargs);
void gb_range(struct gb_bench *b, int64_t lo, int64_t hi, int multiplier);
void gb_threads(struct gb_bench *b, int threads);
void gb_thread_range(struct gb_bench *b, int lo, int hi);	/* lo, 2lo, 4lo ... hi */
void gb_use_real_time(struct gb_bench *b);
/* Time a run from the first thread's start to the last thread's end: the
 * elapsed time even when threads outnumber cores (Google Benchmark's own
 * real time averages per-thread times, which then undercounts). Reported
 * as Google Benchmark's manual time ("/manual_time" in the name). */
void gb_use_span_time(struct gb_bench *b);
void gb_min_time(struct gb_bench *b, double seconds);
void gb_iterations(struct gb_bench *b, int64_t iterations);
void gb_repetitions(struct gb_bench *b, int repetitions);

/* Inside a benchmark function. */
bool gb_keep_running(struct gb_state *st);
bool gb_keep_running_batch(struct gb_state *st, int64_t *n);
int64_t gb_range_arg(const struct gb_state *st, int index);
int gb_thread_index(const struct gb_state *st);
int gb_thread_count(const struct gb_state *st);
int64_t gb_iteration_count(const struct gb_state *st);
void gb_pause_timing(struct gb_state *st);
void gb_resume_timing(struct gb_state *st);
void gb_counter(struct gb_state *st, const char *name, double value, unsigned int flags);
void gb_items_processed(struct gb_state *st, int64_t items);
void gb_label(struct gb_state *st, const char *label);
void gb_skip_with_error(struct gb_state *st, const char *msg);

/* A key/value shown in the output's context (console header, JSON). */
void gb_add_context(const char *key, const char *value);

/* Parses Google Benchmark's own flags (--benchmark_filter,
 * --benchmark_out=FILE --benchmark_out_format=json, --benchmark_min_time,
 * ...), runs the matching benchmarks, returns 0 or 1 on a bad flag. */
int gb_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
