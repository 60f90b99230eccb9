/* liburcu's suppressions for ThreadSanitizer, linked into every program
 * that links kmm (docs/reliability.md says why liburcu needs them and
 * why they live in the program, not in the library). */
const char *__tsan_default_suppressions(void);

const char *__tsan_default_suppressions(void)
{
	return "race:urcu_memb_barrier\n"
	       "race:urcu_common_wake_up_gp\n";
}
