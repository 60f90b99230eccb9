/* Call traces for reports, with names as the kernel prints them:
 *
 *   kmem_cache_free+0x4a/0x90 [libkmm.so.0] slub.c:1702
 *
 * Frames come from glibc's backtrace(); function names, offsets, sizes
 * and source lines from elfutils' libdw, which reads the symbol tables
 * (hidden functions included) and the DWARF of every object loaded in the
 * process. When libdw cannot help (no session, or a frame in no known
 * object or symbol), the frame prints as glibc's backtrace_symbols().
 *
 * libdw is loaded (dlopen) at the first trace, not linked: it and the
 * compression libraries it needs would cost every process half a
 * megabyte of resident memory for reports that most never print.
 *
 * Lock: the caller's (the report lock) serialises every use of the one
 * libdw session, created at the first trace and created again when a
 * frame lies in no known object (a library loaded since). */
#include <dlfcn.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elfutils/libdwfl.h>
#include "lib/stacktrace.h"

#define LIBDW_SONAME	"libdw.so.1"

#define DW_FUNCTIONS(X) X(dwfl_begin) X(dwfl_end) X(dwfl_linux_proc_report) \
	X(dwfl_report_end) X(dwfl_addrmodule) X(dwfl_module_info) X(dwfl_module_addrinfo) \
	X(dwfl_module_getsrc) X(dwfl_lineinfo) X(dwfl_linux_proc_find_elf) \
	X(dwfl_standard_find_debuginfo)

static struct {
#define DW_FIELD(fn) __typeof__(fn) *fn;
	DW_FUNCTIONS(DW_FIELD)
#undef DW_FIELD
} dw;

static Dwfl *session;
static bool session_failed;

/* libdw's functions; false (for good) when it cannot be loaded. */
static bool libdw_load(void)
{
	void *h = dlopen(LIBDW_SONAME, RTLD_LAZY | RTLD_LOCAL);

	if (!h)
		return false;
#define DW_LOAD(fn) if (!(*(void **)&dw.fn = dlsym(h, #fn))) goto fail;
	DW_FUNCTIONS(DW_LOAD)
#undef DW_LOAD
	return true;
fail:
	memset(&dw, 0, sizeof(dw));
	dlclose(h);
	return false;
}

static Dwfl *session_open(void)
{
	static char *debuginfo_path;
	static Dwfl_Callbacks callbacks = { .debuginfo_path = &debuginfo_path };
	Dwfl *d;

	if (!dw.dwfl_begin && !libdw_load())
		return NULL;
	callbacks.find_elf = dw.dwfl_linux_proc_find_elf;
	callbacks.find_debuginfo = dw.dwfl_standard_find_debuginfo;
	d = dw.dwfl_begin(&callbacks);
	if (!d)
		return NULL;
	if (dw.dwfl_linux_proc_report(d, getpid()) != 0 || dw.dwfl_report_end(d, NULL, NULL) != 0) {
		dw.dwfl_end(d);
		return NULL;
	}
	return d;
}

/* The object holding `addr`, reopening the session once if none does. */
static Dwfl_Module *module_of(unsigned long addr, bool *reopened)
{
	Dwfl_Module *m;

	if (!session && !session_failed) {
		session = session_open();
		session_failed = !session;
	}
	if (!session)
		return NULL;
	m = dw.dwfl_addrmodule(session, addr);
	if (!m && !*reopened) {
		*reopened = true;
		dw.dwfl_end(session);
		session = session_open();
		session_failed = !session;
		m = session ? dw.dwfl_addrmodule(session, addr) : NULL;
	}
	return m;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* One frame; false when libdw could not name it. */
static bool print_named(FILE *f, unsigned long addr, bool *reopened)
{
	Dwfl_Module *m = module_of(addr, reopened);
	const char *obj, *fn, *src;
	GElf_Off off;
	GElf_Sym sym;
	Dwfl_Line *line;
	int lineno = 0;

	if (!m)
		return false;
	obj = base_name(dw.dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
	fn = dw.dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
	if (!fn)
		return false;
	/* "name@@VERSION" (glibc's default versions): the name alone */
	fprintf(f, " %.*s+%#lx/%#lx [%s]", (int)strcspn(fn, "@"), fn, (unsigned long)off,
		(unsigned long)sym.st_size, obj ? obj : "?");
	/* A return address: the call is the instruction before it. */
	line = dw.dwfl_module_getsrc(m, addr - 1);
	src = line ? dw.dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (src)
		fprintf(f, " %s:%d", base_name(src), lineno);
	fputc('\n', f);
	return true;
}

/* What glibc can say: "object(symbol+0xoff) [0xaddr]" for exported
 * symbols, "object(+0xoff) [0xaddr]" otherwise. */
static void print_plain(FILE *f, void *frame)
{
	char **s = backtrace_symbols(&frame, 1);

	if (s)
		fprintf(f, " %s\n", s[0]);
	else
		fprintf(f, " [%p]\n", frame);
	free(s);
}

void stacktrace_print(FILE *f, void *const *frames, int nr)
{
	bool reopened = false;

	for (int i = 0; i < nr; i++)
		if (!print_named(f, (unsigned long)frames[i], &reopened))
			print_plain(f, frames[i]);
	fflush(f);
}
