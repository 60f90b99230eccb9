/* /proc/meminfo (meminfo.c), a view over every layer; the other views are
 * declared by the subsystem each describes. No locks: relaxed counters. */
#ifndef KMM_INIT_MEMINFO_H
#define KMM_INIT_MEMINFO_H

#include <stdio.h>

int meminfo_show(FILE *m);

#endif
