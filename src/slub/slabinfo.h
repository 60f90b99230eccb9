/* /proc/slabinfo (slabinfo.c). */
#ifndef KMM_SLUB_SLABINFO_H
#define KMM_SLUB_SLABINFO_H

#include <stdio.h>

int slabinfo_show(FILE *m);

#endif
