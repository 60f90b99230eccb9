/* The /proc views of the init layer itself: those over every layer. Each
 * subsystem declares its own views in its own header. */
#ifndef KMM_INIT_PROC_H
#define KMM_INIT_PROC_H

#include <stdio.h>

int meminfo_show(FILE *m);

#endif
