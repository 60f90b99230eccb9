/* The test library's interface (pcpu_lib.c). */
#ifndef PCPU_LIB_H
#define PCPU_LIB_H

void pcpu_lib_event(void);
unsigned long pcpu_lib_events(int cpu);
/* A per-CPU pointer to the library's counter (per_cpu_ptr() it). */
long *pcpu_lib_counter_ptr(void);

#endif
