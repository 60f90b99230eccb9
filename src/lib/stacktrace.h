/* Call traces for reports (stacktrace.c). */
#ifndef KMM_LIB_STACKTRACE_H
#define KMM_LIB_STACKTRACE_H

#include <stdio.h>

/* Prints `nr` return addresses (from backtrace()), one frame a line:
 * "function+0xoff/0xsize [object] file:line", or glibc's form for a frame
 * libdw cannot name. Callers serialise (the report lock). */
void stacktrace_print(FILE *f, void *const *frames, int nr);

#endif
