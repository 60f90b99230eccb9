/* bench_peer_<name>: the patterns through one peer's malloc, in a process
 * of its own. PEER_GLIBC / PEER_JEMALLOC / PEER_TCMALLOC / PEER_MIMALLOC
 * says which; the program asks that allocator for its version, which both
 * proves it is the malloc in use and goes into the output's context. */
#include <stdio.h>
#include <string.h>
#include "bench.h"
#include "malloc_suite.h"

#if defined(PEER_JEMALLOC)
#include <jemalloc/jemalloc.h>
#define PEER_NAME "jemalloc"
static const char *peer_version(void)
{
	const char *v = "?";
	size_t len = sizeof(v);

	return mallctl("version", &v, &len, NULL, 0) ? "?" : v;
}
#elif defined(PEER_TCMALLOC)
#include <gperftools/tcmalloc.h>
#define PEER_NAME "tcmalloc"
static const char *peer_version(void)
{
	return tc_version(NULL, NULL, NULL);
}
#elif defined(PEER_MIMALLOC)
#include <mimalloc.h>
#define PEER_NAME "mimalloc"
static const char *peer_version(void)
{
	static char v[16];

	snprintf(v, sizeof(v), "%d", mi_version());
	return v;
}
#else
#include <gnu/libc-version.h>
#define PEER_NAME "glibc"
static const char *peer_version(void)
{
	return gnu_get_libc_version();
}
#endif

int main(int argc, char **argv)
{
	if (bench_parse_args(&argc, argv, PEER_NAME))
		return 2;
	if (bench_opts.callgrind)
		return bench_callgrind(malloc_cg_cases, malloc_cg_nr_cases);
	gb_add_context("allocator", PEER_NAME);
	gb_add_context("allocator_version", peer_version());
	malloc_suite_register(bench_opts.label);
	return gb_main(argc, argv);
}
