/* Static per-CPU variables in a program linked to the shared kmm, in a
 * shared library it links, and in a module it loads with dlopen() before
 * and after boot: one shift for all, copies mapped and unmapped with the
 * modules. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <kmm/kmm.h>
#include "pcpu_lib.h"

static DEFINE_PER_CPU(unsigned long, program_counter) = 1;

#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#ifndef TEST_TSAN
#define TEST_TSAN 0
#endif

/* Whether `p` is mapped readable (a copy kmm mapped for a module). */
static bool mapped(void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, a = (unsigned long)p;
	char perms[8], line[512];
	bool r = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 && lo <= a && a < hi)
			r = perms[0] == 'r';
	fclose(f);
	return r;
}

static void test_program_and_library(void **state)
{
	long *lib_counter = pcpu_lib_counter_ptr();
	int cpu;

	(void)state;
	assert_int_equal(kmm_init("mem=64M nr_cpus=4 kswapd=off"), 0);
	for_each_possible_cpu(cpu) {
		kmm_cpu_bind(cpu);
		for (int i = 0; i <= cpu; i++)
			pcpu_lib_event();
		this_cpu_add(program_counter, cpu);
		kmm_cpu_unbind();
	}
	for_each_possible_cpu(cpu) {
		assert_int_equal(pcpu_lib_events(cpu), cpu + 1);
		assert_int_equal(*per_cpu_ptr(lib_counter, cpu), 5 + 10 * (cpu + 1));
		assert_int_equal(per_cpu(program_counter, cpu), 1 + cpu);
		/* the same offsets for the program's and the library's */
		assert_int_equal((unsigned long)per_cpu_ptr(lib_counter, cpu) - (unsigned long)lib_counter,
				 (unsigned long)per_cpu_ptr(&program_counter, cpu) -
				 (unsigned long)&program_counter);
	}
	assert_int_equal(kmm_exit(), 0);
}

struct plugin {
	void *handle;
	int *(*value)(void);
	int (*bump)(void);
};

static void plugin_load(struct plugin *pl)
{
	pl->handle = dlopen(PCPU_PLUGIN_PATH, RTLD_NOW);
	assert_non_null(pl->handle);
	pl->value = (int *(*)(void))dlsym(pl->handle, "pcpu_plugin_value");
	pl->bump = (int (*)(void))dlsym(pl->handle, "pcpu_plugin_bump");
	assert_true(pl->value && pl->bump);
}

/* With kmm's shadow reservation (docs/percpu.md) a module loaded after
 * boot always finds its copies' place free. ThreadSanitizer's fixed
 * layout leaves no room for the shadow, so there it is not guaranteed. */
static void test_dlopen_after_boot(void **state)
{
	struct plugin pl;
	int *v;

	(void)state;
	if (TEST_TSAN)
		skip();
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	plugin_load(&pl);
	v = pl.value();
	kmm_cpu_bind(1);
	assert_int_equal(pl.bump(), 43);
	assert_int_equal(pl.bump(), 44);
	kmm_cpu_unbind();
	assert_int_equal(per_cpu(*v, 0), 42);
	assert_int_equal(per_cpu(*v, 1), 44);
	void *copy = per_cpu_ptr(v, 1);
	assert_true(mapped(copy));
	assert_int_equal(dlclose(pl.handle), 0);
	assert_false(mapped(copy));	/* its copies went with it */
	assert_int_equal(kmm_exit(), 0);
}

/* Loaded while kmm is down: its copies come with the next boot. */
static void test_dlopen_before_boot(void **state)
{
	struct plugin pl;
	int *v;

	(void)state;
	plugin_load(&pl);
	v = pl.value();
	assert_int_equal(kmm_init("mem=64M nr_cpus=2 kswapd=off"), 0);
	assert_int_equal(per_cpu(*v, 1), 42);
	kmm_cpu_bind(0);
	assert_int_equal(pl.bump(), 43);
	kmm_cpu_unbind();
	assert_int_equal(per_cpu(*v, 0), 43);
	assert_int_equal(per_cpu(*v, 1), 42);
	assert_int_equal(kmm_exit(), 0);
	assert_int_equal(dlclose(pl.handle), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_and_library),
		cmocka_unit_test(test_dlopen_after_boot),
		cmocka_unit_test(test_dlopen_before_boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
