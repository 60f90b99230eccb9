/* A report from the shared library names kmm's own frames (hidden
 * functions included) as function+offset/size [libkmm.so...], not as
 * libkmm.so.0(+0x...). Public API only: stderr is read back from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <kmm/kmm.h>

int main(void)
{
	char path[] = "/tmp/kmm-trace-XXXXXX", text[8192];
	int fd = mkstemp(path), saved = dup(2);
	size_t len;
	void *p;
	FILE *f;

	if (fd < 0 || saved < 0 || kmm_init("mem=32M nr_cpus=2 kswapd=off"))
		return 2;
	unlink(path);
	dup2(fd, 2);
	kmm_irq_enter();
	p = kmalloc(100, GFP_KERNEL);	/* sleeping allocation in interrupt context */
	kmm_irq_exit();
	fflush(stderr);
	dup2(saved, 2);
	f = fdopen(fd, "r");
	rewind(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	fclose(f);
	fputs(text, stderr);
	if (p || kmm_bug_count() != 1 || kmm_exit() != 0)
		return 1;
	/* might_alloc_slow is hidden: only the symbol table names it. The
	 * trace starts at the function that reported. */
	if (!strstr(text, "Call Trace:\n might_alloc_slow+0x") || !strstr(text, " [libkmm.so") ||
	    !strstr(text, " main+0x") || strstr(text, "libkmm.so.0(+0x")) {
		fprintf(stderr, "trace_shared: the trace does not name kmm's frames\n");
		return 1;
	}
	return 0;
}
