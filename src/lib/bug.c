/* BUG/WARNING reports. One lock, report_lock (LOCK_RANK_REPORT, innermost),
 * keeps the lines of concurrent reports from interleaving and guards the
 * copy of the last report; the counts are relaxed atomics.
 *
 * Two counts: reports (kmm_report_count()) and errors (kmm_bug_count()).
 * A report is one error, as a report of the kernel's SLUB is; some of
 * slub_debug's reports name more, which the kernel counts one by one in a
 * KUnit test (mm/slub.c, slab_add_kunit_errors): each repair it makes (a
 * "FIX" line, kmm_report_cont_error()) and each object a leak report
 * finds (kmm_report_errors()). */
#include <execinfo.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/lock.h"
#include "lib/stacktrace.h"

static struct kmm_mutex report_lock = KMM_MUTEX_INIT("report_lock", LOCK_RANK_REPORT);
static unsigned long error_count;	/* atomic */
static unsigned long report_count;	/* atomic */
static char last_report[512];
static bool quiet;

unsigned long kmm_bug_count(void)
{
	return atomic_load_relaxed(&error_count);
}

unsigned long kmm_report_count(void)
{
	return atomic_load_relaxed(&report_count);
}

void kmm_report_errors(unsigned long nr)
{
	atomic_add_relaxed(&error_count, nr);
}

void kmm_report_quiet(bool q)
{
	atomic_store_relaxed(&quiet, q);
}

void kmm_last_report(char *buf, unsigned long len)
{
	kmm_mutex_lock(&report_lock);
	snprintf(buf, len, "%s", last_report);
	kmm_mutex_unlock(&report_lock);
}

/* `from` is the return address into the function that reported: the
 * trace starts there, whatever frames the reporting itself added (a
 * sanitizer's interceptor of backtrace() adds one). */
static noinline void report(const char *prefix, const char *fmt, va_list ap, void *from)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s", prefix);

	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	kmm_mutex_lock(&report_lock);
	snprintf(last_report, sizeof(last_report), "%s", line);
	atomic_add_relaxed(&report_count, 1);
	atomic_add_relaxed(&error_count, 1);
	if (!atomic_load_relaxed(&quiet)) {
		void *frames[32];
		int nr = backtrace(frames, 32), skip = 0;

		while (skip < nr && frames[skip] != from)
			skip++;
		if (skip == nr)
			skip = 0;

		fprintf(stderr, "%s\n", line);
		fprintf(stderr, "CPU: %d PID: %ld Comm: kmm %s\n", cpu_id(),
			(long)syscall(SYS_gettid), cpu_in_irq() ? "(irq)" : "");
		fprintf(stderr, "Call Trace:\n");
		stacktrace_print(stderr, frames + skip, nr - skip);
	}
	kmm_mutex_unlock(&report_lock);
	if (kmm_config.panic_on_warn) {
		fprintf(stderr, "Kernel panic - not syncing: panic_on_warn set\n");
		abort();
	}
}

void kmm_bug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("BUG: ", fmt, ap, __builtin_return_address(0));
	va_end(ap);
}

void kmm_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("WARNING: ", fmt, ap, __builtin_return_address(0));
	va_end(ap);
}

void kmm_report_raw(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report("", fmt, ap, __builtin_return_address(0));
	va_end(ap);
}

static void report_line(const char *fmt, va_list ap)
{
	if (atomic_load_relaxed(&quiet))
		return;
	kmm_mutex_lock(&report_lock);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	kmm_mutex_unlock(&report_lock);
}

void kmm_report_cont(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_line(fmt, ap);
	va_end(ap);
}

void kmm_report_cont_error(const char *fmt, ...)
{
	va_list ap;

	atomic_add_relaxed(&error_count, 1);
	va_start(ap, fmt);
	report_line(fmt, ap);
	va_end(ap);
}

void kmm_pr_info(const char *fmt, ...)
{
	va_list ap;

	if (atomic_load_relaxed(&quiet))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
