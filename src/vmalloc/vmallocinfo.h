/* /proc/vmallocinfo (vmallocinfo.c). */
#ifndef KMM_VMALLOC_VMALLOCINFO_H
#define KMM_VMALLOC_VMALLOCINFO_H

#include <stddef.h>
#include <stdio.h>

int vmallocinfo_show(FILE *m);
/* "name+0xoff/0xsize" (the kernel's %pS) or the raw address. */
void vmap_caller_name(const void *caller, char *buf, size_t len);

#endif
