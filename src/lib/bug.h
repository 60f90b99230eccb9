/* BUG/WARNING reports: one clear, counted report per misuse. Lock:
 * report_lock (bug.c, LOCK_RANK_REPORT), the innermost of all, so any
 * code may report with any lock held. */
#ifndef KMM_LIB_BUG_H
#define KMM_LIB_BUG_H

#include <stdbool.h>
#include "lib/compiler.h"

/* Prints "BUG: <message>" or "WARNING: <message>" with the CPU, the thread
 * and a backtrace, bumps kmm_report_count() and kmm_bug_count(), and aborts
 * under panic_on_warn=1. */
void kmm_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2), cold));
void kmm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2), cold));
/* A report of the kernel's own shape whose first line the caller writes
 * whole (slub_debug's "BUG kmalloc-64 (Not tainted): ..."). */
void kmm_report_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2), cold));
/* Extra lines belonging to the report in progress (no count, no trace). */
void kmm_report_cont(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line of the report in progress that names one more error: slub_debug's
 * "FIX" lines (the kernel's slab_fix()). Counted by kmm_bug_count(), not by
 * kmm_report_count(). */
void kmm_report_cont_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* `nr` more errors of the report in progress, printed (or not) by the
 * caller with kmm_report_cont(): the objects a leak report finds. */
void kmm_report_errors(unsigned long nr);
/* Informational message, not counted. */
void kmm_pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The first line of the newest report, for tests. */
void kmm_last_report(char *buf, unsigned long len);
/* Tests that provoke reports on purpose can silence stderr's copy. */
void kmm_report_quiet(bool quiet);

#define WARN_ON_ONCE(cond) ({						\
	static int warned_;						\
	bool c_ = !!(cond);						\
	if (unlikely(c_) && !__atomic_exchange_n(&warned_, 1, __ATOMIC_RELAXED)) \
		kmm_warn("%s:%d: WARN_ON_ONCE(%s)", __FILE__, __LINE__, #cond); \
	c_;								\
})

#endif
