/* Shared helpers for the unit tests. */
#ifndef KMM_TEST_H
#define KMM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <cmocka.h>
#include <kmm/kmm.h>
#include "buddy/reclaim.h"

/* Runs `stmt`, which must produce exactly one report whose first line
 * contains `needle`; reports are silenced while it runs. */
void kmm_last_report(char *buf, unsigned long len);
void kmm_report_quiet(bool quiet);

#define EXPECT_ONE_REPORT(needle, stmt) do {				\
	unsigned long before_ = kmm_report_count();		\
	char rep_[256];							\
	kmm_report_quiet(true);						\
	stmt;								\
	kmm_report_quiet(false);					\
	assert_int_equal(kmm_report_count() - before_, 1);		\
	kmm_last_report(rep_, sizeof(rep_));				\
	if (!strstr(rep_, (needle)))					\
		fail_msg("report '%s' lacks '%s'", rep_, (needle));	\
} while (0)

/* Captures a /proc view into a malloc'ed string. */
static __attribute__((__noinline__, unused)) char *proc_text(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(kmm_proc_show(f, name), 0);
	fclose(f);
	return buf;
}

/* A new temporary file holding `len` bytes of `data`; the caller unlinks
 * it and frees the returned path. */
static __attribute__((unused)) char *write_temp(const void *data, size_t len)
{
	char *path = strdup("/tmp/kmm-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

/* The process's resident set, in KiB. */
static __attribute__((unused)) long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* The free pages right after boot, compared with at the end. */
static unsigned long boot_free;

static __attribute__((unused)) int kmm_test_boot(const char *cmdline)
{
	if (kmm_init(cmdline))
		return -1;
	drain_all_pages(NULL);
	boot_free = nr_free_pages();
	return 0;
}

/* Everything given back — RCU frees done, slab caches shrunk, lazy vmalloc
 * areas purged, pcp lists drained — and the free pages equal the boot count. */
static __attribute__((unused)) void assert_every_page_back(void)
{
	rcu_barrier();
	shrink_slab(GFP_KERNEL, 1UL << 20);
	vm_unmap_aliases();
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), boot_free);
}

/* The same, as a cmocka test to run last in a group. */
static __attribute__((unused)) void test_every_page_back(void **state)
{
	(void)state;
	assert_every_page_back();
}

#endif
