/* The shared part of the benchmark programs: flags, registration, the
 * kmalloc size mix, the producer/consumer rings, the callgrind mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#include "patterns.h"

struct bench_opts bench_opts = {
	.threads = { 1, 2, 4, 8, 16, 32 },
	.nr_threads = 6,
	.callgrind_iters = 100000,
};

uint32_t pat_mix_sizes[PAT_MIX_LEN];
struct pat_ring pat_rings[PAT_MAX_THREADS / 2];

static int parse_threads(const char *s)
{
	int n = 0;

	while (*s) {
		char *end;
		long t = strtol(s, &end, 10);

		if (end == s || t < 1 || t > BENCH_MAX_THREADS || n == 16)
			return -1;
		bench_opts.threads[n++] = (int)t;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	bench_opts.nr_threads = n;
	return n ? 0 : -1;
}

int bench_parse_args(int *argc, char **argv, const char *default_label)
{
	int out = 1;

	bench_opts.label = default_label;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--label=", 8)) {
			bench_opts.label = a + 8;
		} else if (!strncmp(a, "--threads=", 10)) {
			if (parse_threads(a + 10)) {
				fprintf(stderr, "bad %s: want counts 1..%d, comma-separated\n",
					a, BENCH_MAX_THREADS);
				return -1;
			}
		} else if (!strncmp(a, "--callgrind=", 12)) {
			bench_opts.callgrind = a + 12;
		} else if (!strncmp(a, "--iters=", 8)) {
			bench_opts.callgrind_iters = atol(a + 8);
		} else {
			argv[out++] = argv[i];
			continue;
		}
	}
	*argc = out;
	argv[out] = NULL;
	pat_mix_init();
	return 0;
}

int bench_max_threads(void)
{
	int m = 1;

	for (int i = 0; i < bench_opts.nr_threads; i++)
		if (bench_opts.threads[i] > m)
			m = bench_opts.threads[i];
	return m;
}

void bench_add(const char *label, const char *pattern, gb_fn fn, int64_t arg,
	       int min_threads, int max_threads)
{
	char name[128];
	struct gb_bench *b;
	int any = 0;

	for (int i = 0; i < bench_opts.nr_threads; i++)
		any |= bench_opts.threads[i] >= min_threads &&
		       bench_opts.threads[i] <= max_threads;
	if (!any)
		return;
	snprintf(name, sizeof(name), "%s/%s", label, pattern);
	b = gb_register(name, fn);
	if (arg >= 0)
		gb_arg(b, arg);
	gb_use_span_time(b);
	for (int i = 0; i < bench_opts.nr_threads; i++)
		if (bench_opts.threads[i] >= min_threads && bench_opts.threads[i] <= max_threads)
			gb_threads(b, bench_opts.threads[i]);
}

void bench_report(struct gb_state *st, int64_t ops)
{
	if (ops < 0) {
		gb_skip_with_error(st, "allocation failed");
		return;
	}
	gb_counter(st, "ops", (double)ops, GB_COUNTER_DEFAULT);
	gb_counter(st, "ops_s", (double)ops, GB_COUNTER_RATE);
}

/* xorshift32: the same sequence on every machine and every run. */
static uint32_t mix_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Shaped like kmalloc traffic of a running kernel (most requests are small
 * structures, a few are buffers): 45% 8-64 bytes, 30% 65-256, 15% 257-512,
 * 7% 513-2048, 3% 2049-8192. */
void pat_mix_init(void)
{
	static const struct { uint32_t pct, lo, hi; } bands[] = {
		{ 45, 8, 64 }, { 30, 65, 256 }, { 15, 257, 512 },
		{ 7, 513, 2048 }, { 3, 2049, 8192 },
	};
	uint32_t x = 0x2545f491u;

	for (int i = 0; i < PAT_MIX_LEN; i++) {
		uint32_t r = mix_next(&x) % 100, acc = 0;

		for (unsigned int b = 0; b < sizeof(bands) / sizeof(bands[0]); b++) {
			acc += bands[b].pct;
			if (r < acc) {
				pat_mix_sizes[i] = bands[b].lo +
					mix_next(&x) % (bands[b].hi - bands[b].lo + 1);
				break;
			}
		}
	}
}

__attribute__((noinline)) void bench_cg_measure(const struct bench_cg_case *c, long iters)
{
	c->run(iters);
}

int bench_callgrind(const struct bench_cg_case *cases, int nr_cases)
{
	for (int i = 0; i < nr_cases; i++) {
		if (strcmp(cases[i].name, bench_opts.callgrind))
			continue;
		cases[i].run(1000);	/* warm up: first slabs, first pages */
		bench_cg_measure(&cases[i], bench_opts.callgrind_iters);
		printf("%s %s %ld\n", bench_opts.label, cases[i].name, bench_opts.callgrind_iters);
		return 0;
	}
	fprintf(stderr, "%s: no callgrind case '%s'; cases:", bench_opts.label,
		bench_opts.callgrind);
	for (int i = 0; i < nr_cases; i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
	return 1;
}
