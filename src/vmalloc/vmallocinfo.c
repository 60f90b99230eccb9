/* /proc/vmallocinfo in the kernel's format, one line per area by address:
 *
 *   0x<start>-0x<end> <size> <caller> pages=<n> vmalloc N0=<n>
 *   0x<start>-0x<end> <size> <caller> vmap
 *   0x<start>-0x<end> <size> vm_map_ram
 *   0x<start>-0x<end> <size> unpurged vm_area
 *
 * end and size include the guard page, as the kernel's vm_struct size; an
 * area in a vmap block has none. Each live area of a block has a line of
 * its own, the block itself none (unless it is waiting for the purge). The
 * caller is printed as %pS would: symbol+0xoffset/0xsize, from the dynamic
 * symbol table (dladdr1), else the raw address. Each node is copied under
 * its lock and printed after, so no lock is held while writing. */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <kmm/kmm.h>
#include "vmalloc/vblock.h"
#include "vmalloc/vmallocinfo.h"
#include "vmalloc/vmap_area.h"
#include "lib/host_mem.h"

struct info_line {
	unsigned long start, end, nr_pages;
	unsigned int flags;
	const void *caller;
};

struct info_snap {
	struct info_line *lines;
	size_t n, cap;
	bool oom;
};

void vmap_caller_name(const void *caller, char *buf, size_t len)
{
	Dl_info info;
	ElfW(Sym) *sym = NULL;

	if (caller && dladdr1(caller, &info, (void **)&sym, RTLD_DL_SYMENT) && info.dli_sname &&
	    info.dli_saddr) {
		unsigned long off = (unsigned long)((const char *)caller - (const char *)info.dli_saddr);

		snprintf(buf, len, "%s+0x%lx/0x%lx", info.dli_sname, off,
			 sym ? (unsigned long)sym->st_size : 0UL);
		return;
	}
	snprintf(buf, len, "0x%lx", (unsigned long)caller);
}

static void snap_block_area(unsigned long start, unsigned long nr_pages, const void *caller,
			    void *arg)
{
	struct info_snap *s = arg;

	if (s->n == s->cap) {
		s->oom = true;
		return;
	}
	s->lines[s->n++] = (struct info_line){
		.start = start, .end = start + (nr_pages << PAGE_SHIFT), .nr_pages = nr_pages,
		.flags = VM_ALLOC, .caller = caller,
	};
}

static bool snap_one(struct vtree_node *n, void *arg)
{
	struct vmap_area *va = container_of(n, struct vmap_area, node);
	struct info_snap *s = arg;
	unsigned int flags = atomic_load_acquire(&va->flags);

	if (flags & VA_UNINITIALIZED)
		return true;
	if ((flags & (VA_BLOCK | VA_LAZY)) == VA_BLOCK) {
		vblock_for_each_area_locked(va, snap_block_area, s);
		return !s->oom;
	}
	if (s->n == s->cap) {
		s->oom = true;
		return false;
	}
	s->lines[s->n++] = (struct info_line){
		.start = va->va_start, .end = va->va_end, .nr_pages = va->nr_pages,
		.flags = flags, .caller = va->caller,
	};
	return true;
}

static void show_line(FILE *m, const struct info_line *l)
{
	char sym[192];

	if (l->flags & VA_LAZY) {
		fprintf(m, "0x%016lx-0x%016lx %7lu unpurged vm_area\n", l->start, l->end,
			l->end - l->start);
		return;
	}
	if (l->flags & VA_MAP_RAM) {
		fprintf(m, "0x%016lx-0x%016lx %7lu vm_map_ram\n", l->start, l->end,
			l->end - l->start);
		return;
	}
	fprintf(m, "0x%016lx-0x%016lx %7lu", l->start, l->end, l->end - l->start);
	if (l->caller) {
		vmap_caller_name(l->caller, sym, sizeof(sym));
		fprintf(m, " %s", sym);
	}
	if (l->flags & VM_ALLOC)
		fprintf(m, " pages=%lu", l->nr_pages);
	if (l->flags & VM_IOREMAP)
		fputs(" ioremap", m);
	if (l->flags & VM_ALLOC)
		fputs(" vmalloc", m);
	if (l->flags & VM_MAP)
		fputs(" vmap", m);
	if (l->flags & VM_ALLOC)
		fprintf(m, " N0=%lu", l->nr_pages);
	fputc('\n', m);
}

int vmallocinfo_show(FILE *m)
{
	struct info_snap s = { 0 };

	for (unsigned int i = 0; i < nr_vmap_nodes; i++) {
		struct vmap_node *vn = &vmap_nodes[i];

		s.cap = 64;
		for (;;) {
			host_free(s.lines);
			s.lines = host_alloc(s.cap * sizeof(*s.lines));
			if (!s.lines)
				return -ENOMEM;
			s.n = 0;
			s.oom = false;
			kmm_spin_lock(&vn->lock);
			vtree_walk(&vn->busy, snap_one, &s);
			kmm_spin_unlock(&vn->lock);
			if (!s.oom)
				break;
			s.cap *= 4;
		}
		for (size_t j = 0; j < s.n; j++)
			show_line(m, &s.lines[j]);
	}
	host_free(s.lines);
	return 0;
}
