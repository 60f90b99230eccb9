/* The ThreadSanitizer suppressions for liburcu, built into every program
 * that links kmm, so that a TSan build of that program needs no options.
 * They live in the program, not in the library, because the TSan runtime
 * asks the program and never sees a definition in a shared library.
 *
 * liburcu 0.13 is not built for TSan. It hands heap blocks and wake-ups
 * between threads through membarrier, futexes and inline assembly, which
 * TSan cannot see, so it reports the block that urcu_memb_barrier()
 * allocates and the call_rcu thread of liburcu frees, and the futex word
 * that urcu_common_wake_up_gp() wakes. Only functions of liburcu itself
 * are listed here; the annotations of kmm (lib/rcu.c) cover what kmm
 * hands through RCU.
 *
 * A program with its own __tsan_default_suppressions links a duplicate
 * definition and should add these two lines to its own list instead. */
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void)
{
	return "race:urcu_memb_barrier\n"
	       "race:urcu_common_wake_up_gp\n";
}
