/* The few host files kmm reads (limits under /proc and /sys), read with
 * plain system calls: stdio's buffers come from malloc, which kmm may
 * itself be (libkmm-malloc). */
#ifndef KMM_LIB_HOST_FILE_H
#define KMM_LIB_HOST_FILE_H

#include <stdbool.h>

/* The decimal number a file starts with; false when there is none. */
bool host_read_ulong(const char *path, unsigned long *out);
/* The number of lines of a file (0 when it cannot be read). */
unsigned long host_count_lines(const char *path);

#endif
