/* /proc/slabinfo (slabinfo.c; it takes slab_mutex and each list_lock). */
#ifndef KMM_SLUB_SLABINFO_H
#define KMM_SLUB_SLABINFO_H

#include <stdio.h>

int slabinfo_show(FILE *m);

#endif
