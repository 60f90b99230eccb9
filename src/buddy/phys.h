/* Simulated physical memory: set-up and helpers (phys.c). No locks: set
 * up and torn down while kmm is not booted. */
#ifndef KMM_BUDDY_PHYS_H
#define KMM_BUDDY_PHYS_H

int phys_init(void);
void phys_exit(void);
void phys_zero_pages(unsigned long pfn, unsigned long nr);

#endif
