/* /proc views: one show function per file, in the kernel's formats. */
#ifndef KMM_LIB_PROC_H
#define KMM_LIB_PROC_H

#include <stdio.h>

int buddyinfo_show(FILE *m);
int pagetypeinfo_show(FILE *m);
int zoneinfo_show(FILE *m);
int meminfo_show(FILE *m);
int slabinfo_show(FILE *m);
int vmallocinfo_show(FILE *m);	/* src/vmalloc/vmallocinfo.c */

#endif
