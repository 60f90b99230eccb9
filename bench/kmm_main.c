/* bench_kmm: kmm's suites (and the in-process glibc and mmap comparisons),
 * in one process that boots kmm once.
 *
 *	bench_kmm [--kmm_cmdline="mem=1G pcp=off"] [--label=kmm_nopcp]
 *		  [--threads=1,2,4] [Google Benchmark flags]
 *	bench_kmm --callgrind=cache_pair --iters=N
 *
 * nr_cpus is the largest thread count asked for unless the command line
 * sets it, so each benchmark thread has a CPU of its own. The callgrind
 * mode boots a small machine: nr_cpus=1 mem=64M vmalloc=256M. */
#include <stdio.h>
#include <string.h>
#include "kmm_bench.h"
#include "malloc_suite.h"

static const struct bench_cg_case *find_cg(const struct bench_cg_case *c, const char *name)
{
	for (; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	char cmdline[256] = "";
	const struct bench_cg_case *cg;
	int out = 1, rc;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--kmm_cmdline=", 14))
			snprintf(cmdline, sizeof(cmdline), "%s", argv[i] + 14);
		else
			argv[out++] = argv[i];
	}
	argc = out;
	if (bench_parse_args(&argc, argv, "kmm"))
		return 2;
	kmm_label = bench_opts.label;
	if (!strstr(cmdline, "nr_cpus=")) {
		size_t len = strlen(cmdline);

		snprintf(cmdline + len, sizeof(cmdline) - len, "%snr_cpus=%d",
			 len ? " " : "", bench_opts.callgrind ? 1 : bench_max_threads());
	}
	if (!strstr(cmdline, "mem=")) {
		size_t len = strlen(cmdline);

		snprintf(cmdline + len, sizeof(cmdline) - len, " mem=%s",
			 bench_opts.callgrind ? "64M" : "1G");
	}
	/* Valgrind cannot reserve the default 1 TiB of vmalloc space. */
	if (bench_opts.callgrind && !strstr(cmdline, "vmalloc=")) {
		size_t len = strlen(cmdline);

		snprintf(cmdline + len, sizeof(cmdline) - len, " vmalloc=256M");
	}
	if (kmm_init(cmdline)) {
		fprintf(stderr, "bench_kmm: kmm_init(\"%s\") failed\n", cmdline);
		return 2;
	}
	kmm_cpu_bind(0);
	if (bench_opts.callgrind) {
		cg = find_cg(suite_pages_cg, bench_opts.callgrind);
#ifdef KMM_BENCH_HAVE_SLUB
		if (!cg)
			cg = find_cg(suite_slab_cg, bench_opts.callgrind);
#endif
		rc = cg ? bench_callgrind(cg, 1) : bench_callgrind(suite_pages_cg, 1);
		kmm_exit();
		return rc;
	}
	gb_add_context("allocator", kmm_label);
	gb_add_context("kmm_cmdline", cmdline);

	suite_pages_register();
	suite_vmalloc_register();
#ifdef KMM_BENCH_HAVE_SLUB
	suite_slab_register();
#endif
#ifdef KMM_BENCH_HAVE_KFREE_RCU
	suite_rcu_register();
#endif
	/* kmem_cache against malloc of the same process. */
	malloc_suite_register("glibc_same");

	rc = gb_main(argc, argv);
	kmm_cpu_bind(0);
	kmm_exit();
	return rc;
}
