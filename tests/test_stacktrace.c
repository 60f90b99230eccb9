/* Call traces: frames named by function+offset/size, object and source
 * line; a frame no object holds prints in glibc's form. */
#include "kmm_test.h"
#include "lib/stacktrace.h"

static char *trace_of(void *const *frames, int nr)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	stacktrace_print(f, frames, nr);
	fclose(f);
	return buf;
}

static void test_frames_named(void **state)
{
	/* a return address 0x10 bytes into kmalloc, one into this test */
	void *frames[2] = { (char *)(void *)kmalloc + 0x10,
			    (char *)(void *)test_frames_named + 0x8 };
	char *t = trace_of(frames, 2);

	(void)state;
	if (!strstr(t, " kmalloc+0x10/0x") || !strstr(t, " test_frames_named+0x8/0x") ||
	    !strstr(t, "[test_stacktrace]") || !strstr(t, ".c:"))
		fail_msg("trace lacks names, objects or lines:\n%s", t);
	free(t);
}

/* No object holds 0x1000: the frame still prints (glibc's form, with the
 * address), and the frames after it are named again. */
static void test_unknown_frame_degrades(void **state)
{
	void *frames[2] = { (void *)0x1000, (char *)(void *)kfree + 0x4 };
	char *t = trace_of(frames, 2);

	(void)state;
	if (!strstr(t, "0x1000") || !strstr(t, " kfree+0x4/0x") || strstr(t, "(null)"))
		fail_msg("unexpected trace:\n%s", t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_named),
		cmocka_unit_test(test_unknown_frame_degrades),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
