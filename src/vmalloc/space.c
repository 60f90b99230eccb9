/* The bounds of the vmalloc space, read by every part that must tell a
 * vmalloc address from a direct-map one (kfree's checks, kvfree). */
#include <kmm/vmalloc.h>
#include "vmalloc/space.h"

char *vmalloc_start;
char *vmalloc_end;

int is_vmalloc_addr(const void *addr)
{
	return addr_in_vmalloc_space(addr);
}
