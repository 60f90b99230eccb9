/* The allocation patterns through malloc/free (malloc_suite.c). */
#ifndef KMM_BENCH_MALLOC_SUITE_H
#define KMM_BENCH_MALLOC_SUITE_H

#include "bench.h"

/* Registers every pattern under "<label>/...". */
void malloc_suite_register(const char *label);

/* Callgrind cases: malloc+free of 64 bytes (for both cache_pair and
 * kmalloc_pair) and of one aligned page (page_pair). */
extern const struct bench_cg_case malloc_cg_cases[];
extern const int malloc_cg_nr_cases;

#endif
