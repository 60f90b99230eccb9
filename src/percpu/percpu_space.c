/* The per-CPU address space (docs/percpu.md): the unit, the shift, the
 * offset table every per_cpu_ptr() reads, and the copies of the static
 * per-CPU variables of each program and shared library.
 *
 *	offset[c] = shift + c * unit	(c < nr_cpu_ids; CPU 0's past it)
 *	cpu_null_offset = shift + nr_cpu_ids * unit
 *
 * A dynamic chunk holds its units one after another (percpu_alloc.c), so a
 * dynamic per-CPU pointer is CPU 0's address minus the shift. After the
 * CPUs' units every dynamic chunk has one more, the null unit, that no CPU
 * uses: owner fast paths of threads that own no CPU read their copies
 * there (lib/cpu_owner.h). Static variables have no null copy. A module's
 * section of static variables, [start, start + len), is the template of
 * its copies at start + offset[c]: private anonymous pages mapped at boot,
 * or when dlopen() loads the module later, each copy filled from the
 * template. A section must fit in a unit, so its copies never overlap;
 * the copies of two modules interleave and may share a page, never a
 * byte.
 *
 * Static variables force the shift: it cannot be 0 (the copies would fall
 * on the module's own image), and it must find free address space at one
 * distance from every module — the executable's image and the shared
 * libraries', loaded before boot or by dlopen() after it. The host places
 * new mappings top-down, in the highest hole that fits, so a library comes
 * to lie anywhere among the top of the address space: between libraries,
 * beside kmm's physical memory or below its vmalloc space. So the shift is
 * first one far below (16 TiB and more), with the whole top of the space,
 * PCPU_SHADOW_SPAN below the highest mapping, mirrored there as one
 * PROT_NONE reservation (the shadow): the copies of a module that lies in
 * that top map inside the shadow whenever it loads, and nothing else can
 * take their place. A module lower down (the executable's image) maps its
 * copies with MAP_FIXED_NOREPLACE beside the shadow. When that fails (a
 * non-PIE executable sits at the bottom of the address space; sanitizers
 * and valgrind keep their own layouts), the shift is the first plain
 * candidate, below before above, at which every registered section maps
 * with MAP_FIXED_NOREPLACE: nothing is ever overwritten, and a module
 * loaded after boot whose copies' place is taken gets a report; its
 * variables must not be used.
 *
 * Lock: pcpu_sections_lock (LOCK_RANK_PERCPU_SECTIONS, a mutex ready before
 * boot, since module constructors register) protects the section list, the
 * shift and the mappings; boot_lock is taken outside it. The offset table
 * (lib/cpu.c) is written only at boot and exit, when nothing else runs in
 * kmm. */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/lock.h"
#include "lib/cpu.h"
#include "percpu/percpu_internal.h"

#define PCPU_UNIT_MAX		(64UL << 10)
#define PCPU_CHUNK_MAX		(PAGE_SIZE << MAX_PAGE_ORDER)
#define PCPU_MAX_SECTIONS	64

unsigned long pcpu_unit_size;

struct pcpu_section {
	char *start;		/* the template */
	unsigned long len;
	unsigned int users;	/* translation units that registered it */
	bool mapped;
};

static struct kmm_mutex pcpu_sections_lock =
	KMM_MUTEX_INIT("pcpu_sections_lock", LOCK_RANK_PERCPU_SECTIONS);
static struct pcpu_section pcpu_sections[PCPU_MAX_SECTIONS];
static unsigned int pcpu_nr_sections;
static unsigned int pcpu_nr_units;	/* nr_cpu_ids while booted, else 0 */
static unsigned long pcpu_shift;
static unsigned long pcpu_shadow_lo, pcpu_shadow_hi;	/* [lo, hi), 0 when none */

#define PCPU_GIB		(1UL << 30)
#define PCPU_TIB		(1UL << 40)
#define PCPU_SHADOW_SPAN	(2 * PCPU_TIB)
/* How far below the top the shadow may mirror it; then plain shifts, below
 * the modules first (negative, as unsigned), then above them. */
static const unsigned long pcpu_shadow_depths[] = { 16 * PCPU_TIB, 24 * PCPU_TIB };
static const unsigned long pcpu_shift_candidates[] = {
	-(4 * PCPU_GIB), -(64 * PCPU_GIB), -(1024 * PCPU_GIB), -PCPU_GIB, -(PCPU_GIB / 4),
	4 * PCPU_GIB, PCPU_GIB, 16 * PCPU_GIB, PCPU_GIB / 4, 64 * PCPU_GIB, PCPU_GIB / 16,
};

static const char *section_owner(const struct pcpu_section *s)
{
	Dl_info info;

	if (dladdr(s->start, &info) && info.dli_fname && info.dli_fname[0])
		return info.dli_fname;
	return "the program";
}

/* CPU c's copy of `s` is [copy(s, c), copy(s, c) + len), at the shift in
 * use. Copies are mapped page by page: the copies of two modules a few
 * kilobytes apart interleave, U bytes apart each, and may share pages. */
static unsigned long copy_addr(const struct pcpu_section *s, unsigned long shift, unsigned int c)
{
	return (unsigned long)s->start + shift + c * pcpu_unit_size;
}

/* Whether a copy of `o` has bytes in [lo, hi) (at most U long). */
static bool copies_touch(const struct pcpu_section *o, unsigned long shift, unsigned long lo,
			 unsigned long hi)
{
	unsigned long base = copy_addr(o, shift, 0);
	unsigned long c0 = lo >= base ? (lo - base) / pcpu_unit_size : 0;

	for (unsigned long c = c0 ? c0 - 1 : 0; c <= c0 + 1 && c < pcpu_nr_units; c++) {
		unsigned long a = base + c * pcpu_unit_size;

		if (a < hi && lo < a + o->len)
			return true;
	}
	return false;
}

/* Another mapped section with a copy in [lo, hi): its bytes, or its page. */
static bool others_touch_locked(const struct pcpu_section *s, unsigned long shift,
				unsigned long lo, unsigned long hi)
{
	for (unsigned int i = 0; i < pcpu_nr_sections; i++) {
		const struct pcpu_section *o = &pcpu_sections[i];

		if (o != s && o->mapped && copies_touch(o, shift, lo, hi))
			return true;
	}
	return false;
}

static bool in_shadow(unsigned long page)
{
	return page >= pcpu_shadow_lo && page < pcpu_shadow_hi;
}

/* Gives back the pages of `s`'s first `ncopies` copies, and of copy
 * `ncopies` those below `end`, that no other section's copy uses: inside
 * the shadow to the reservation, elsewhere to the host. */
static void copies_unmap_locked(struct pcpu_section *s, unsigned long shift,
				unsigned int ncopies, unsigned long end)
{
	for (unsigned int c = 0; c <= ncopies && c < pcpu_nr_units; c++) {
		unsigned long a = copy_addr(s, shift, c);

		for (unsigned long pg = a & PAGE_MASK; pg < a + s->len; pg += PAGE_SIZE) {
			if (c == ncopies && pg >= end)
				break;
			if (others_touch_locked(s, shift, pg, pg + PAGE_SIZE))
				continue;
			if (in_shadow(pg))
				mmap((void *)pg, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
				     MAP_NORESERVE | MAP_FIXED, -1, 0);
			else
				munmap((void *)pg, PAGE_SIZE);
		}
	}
}

/* Maps one page for a copy: already there when another section's copy
 * uses it; inside the shadow over the reservation; elsewhere only where
 * nothing is mapped. */
static int copy_page_map_locked(const struct pcpu_section *s, unsigned long shift, unsigned long pg)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *p;

	if (others_touch_locked(s, shift, pg, pg + PAGE_SIZE))
		return 0;
	flags |= in_shadow(pg) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	p = mmap((void *)pg, PAGE_SIZE, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if ((unsigned long)p != pg) {	/* a kernel that took the address as a hint */
		munmap(p, PAGE_SIZE);
		return -EEXIST;
	}
	return 0;
}

/* Maps the copies of `s` at `shift` and fills them from its template; on
 * failure maps nothing. Copies of two sections never share a byte. */
static int section_map_locked(struct pcpu_section *s, unsigned long shift)
{
	unsigned long pg = 0;
	unsigned int c;
	int err = 0;

	lock_assert_held(&pcpu_sections_lock);
	for (c = 0; c < pcpu_nr_units; c++) {
		unsigned long a = copy_addr(s, shift, c);

		pg = a & PAGE_MASK;
		if (a + s->len < a || others_touch_locked(s, shift, a, a + s->len))
			err = -EEXIST;
		for (; !err && pg < a + s->len; pg += PAGE_SIZE)
			if ((err = copy_page_map_locked(s, shift, pg)))
				break;
		if (err) {
			copies_unmap_locked(s, shift, c, pg);
			return err;
		}
	}
	for (c = 0; c < pcpu_nr_units; c++)
		memcpy((char *)copy_addr(s, shift, c), s->start, s->len);
	s->mapped = true;
	return 0;
}

static void section_unmap_locked(struct pcpu_section *s)
{
	lock_assert_held(&pcpu_sections_lock);
	if (!s->mapped)
		return;
	s->mapped = false;
	copies_unmap_locked(s, pcpu_shift, pcpu_nr_units, 0);
}

/* The top of the address space in use: above every module, the library
 * itself and the highest hole a new mapping would take. */
static unsigned long space_top_locked(void)
{
	unsigned long top = (unsigned long)&pcpu_nr_sections;
	void *probe = mmap(NULL, PAGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (probe != MAP_FAILED) {
		top = MAX(top, (unsigned long)probe);
		munmap(probe, PAGE_SIZE);
	}
	for (unsigned int i = 0; i < pcpu_nr_sections; i++)
		top = MAX(top, (unsigned long)pcpu_sections[i].start);
	return ALIGN_UP(top, PCPU_GIB) + PCPU_GIB;
}

/* Reserves the mirror of [top - span, top) at `depth` below it. */
static bool shadow_reserve_locked(unsigned long depth)
{
	unsigned long top = space_top_locked();
	unsigned long lo = top - PCPU_SHADOW_SPAN - depth;
	void *p;

	if (top < PCPU_SHADOW_SPAN + depth + PCPU_GIB)
		return false;
	p = mmap((void *)lo, PCPU_SHADOW_SPAN, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	if ((unsigned long)p != lo) {
		munmap(p, PCPU_SHADOW_SPAN);
		return false;
	}
	pcpu_shadow_lo = lo;
	pcpu_shadow_hi = lo + PCPU_SHADOW_SPAN;
	return true;
}

static void shadow_release_locked(void)
{
	if (!pcpu_shadow_hi)
		return;
	munmap((void *)pcpu_shadow_lo, pcpu_shadow_hi - pcpu_shadow_lo);
	pcpu_shadow_lo = pcpu_shadow_hi = 0;
}

static bool section_fits_unit(const struct pcpu_section *s)
{
	if (s->len <= pcpu_unit_size)
		return true;
	kmm_pr_info("kmm: the per-CPU variables of %s take %lu bytes, more than a per-CPU unit "
		    "(%lu bytes at nr_cpus=%u)", section_owner(s), s->len, pcpu_unit_size,
		    pcpu_nr_units);
	return false;
}

/* Maps every section's copies at `shift`, or none. */
static bool sections_map_at_locked(unsigned long shift, unsigned int *failed)
{
	unsigned int i, mapped;

	pcpu_shift = shift;
	for (mapped = 0; mapped < pcpu_nr_sections; mapped++)
		if (section_map_locked(&pcpu_sections[mapped], shift))
			break;
	if (mapped == pcpu_nr_sections)
		return true;
	for (i = 0; i < mapped; i++)
		section_unmap_locked(&pcpu_sections[i]);
	*failed = mapped;
	return false;
}

/* The shift (and its shadow, if any) at which every section's copies map. */
static int sections_map_all_locked(void)
{
	unsigned int i, failed = 0;

	for (i = 0; i < pcpu_nr_sections; i++)
		if (!section_fits_unit(&pcpu_sections[i]))
			return -EINVAL;
	for (size_t k = 0; k < ARRAY_SIZE(pcpu_shadow_depths); k++) {
		if (!shadow_reserve_locked(pcpu_shadow_depths[k]))
			continue;
		if (sections_map_at_locked(-pcpu_shadow_depths[k], &failed))
			return 0;
		shadow_release_locked();
	}
	for (size_t k = 0; k < ARRAY_SIZE(pcpu_shift_candidates); k++)
		if (sections_map_at_locked(pcpu_shift_candidates[k], &failed))
			return 0;
	kmm_pr_info("kmm: no room for the per-CPU copies of %s's variables (%p..%p) at any shift",
		    section_owner(&pcpu_sections[failed]), (void *)pcpu_sections[failed].start,
		    (void *)(pcpu_sections[failed].start + pcpu_sections[failed].len));
	return -ENOMEM;
}

int percpu_space_init(unsigned int nr_cpus)
{
	unsigned long unit = PCPU_UNIT_MAX;
	int err;

	/* Shrink units until a chunk (the CPUs' units and the null unit)
	 * fits one max-order block. */
	while (unit > PAGE_SIZE && unit * (nr_cpus + 1) > PCPU_CHUNK_MAX)
		unit >>= 1;
	if (unit * (nr_cpus + 1) > PCPU_CHUNK_MAX)
		return -EINVAL;
	kmm_mutex_lock(&pcpu_sections_lock);
	pcpu_unit_size = unit;
	pcpu_nr_units = nr_cpus;
	err = sections_map_all_locked();
	if (err) {
		pcpu_nr_units = 0;
		pcpu_unit_size = 0;
	} else {
		for (unsigned int c = 0; c <= KMM_CPU_UNBOUND; c++)
			kmm_cpu_offsets[c] = pcpu_shift + (c < nr_cpus ? c * unit : 0);
		cpu_null_offset = pcpu_shift + nr_cpus * unit;
	}
	kmm_mutex_unlock(&pcpu_sections_lock);
	return err;
}

void percpu_space_exit(void)
{
	kmm_mutex_lock(&pcpu_sections_lock);
	memset(kmm_cpu_offsets, 0, sizeof(kmm_cpu_offsets));
	cpu_null_offset = 0;
	for (unsigned int i = 0; i < pcpu_nr_sections; i++)
		section_unmap_locked(&pcpu_sections[i]);
	shadow_release_locked();
	pcpu_nr_units = 0;
	pcpu_unit_size = 0;
	kmm_mutex_unlock(&pcpu_sections_lock);
}

static struct pcpu_section *section_find_locked(void *start)
{
	for (unsigned int i = 0; i < pcpu_nr_sections; i++)
		if (pcpu_sections[i].start == start)
			return &pcpu_sections[i];
	return NULL;
}

void kmm_percpu_section_register(void *start, void *end)
{
	struct pcpu_section *s;
	int err;

	if (!start || (char *)end <= (char *)start) {
		kmm_bug("percpu: bad static per-CPU section %p..%p", start, end);
		return;
	}
	kmm_mutex_lock(&pcpu_sections_lock);
	s = section_find_locked(start);
	if (s) {
		s->users++;
		kmm_mutex_unlock(&pcpu_sections_lock);
		return;
	}
	if (pcpu_nr_sections == PCPU_MAX_SECTIONS) {
		kmm_mutex_unlock(&pcpu_sections_lock);
		kmm_bug("percpu: more than %d modules with static per-CPU variables",
			PCPU_MAX_SECTIONS);
		return;
	}
	s = &pcpu_sections[pcpu_nr_sections++];
	*s = (struct pcpu_section){ .start = start, .len = (unsigned long)((char *)end - (char *)start),
				    .users = 1 };
	/* Loaded after boot (dlopen): copies now, at the shift chosen then. */
	if (pcpu_nr_units) {
		err = section_fits_unit(s) ? section_map_locked(s, pcpu_shift) : -EINVAL;
		if (err)
			kmm_bug("percpu: cannot map the per-CPU copies of %s's variables (%p..%p, "
				"error %d): they must not be used", section_owner(s), start, end, err);
	}
	kmm_mutex_unlock(&pcpu_sections_lock);
}

void kmm_percpu_section_unregister(void *start)
{
	struct pcpu_section *s;

	kmm_mutex_lock(&pcpu_sections_lock);
	s = section_find_locked(start);
	if (s && --s->users == 0) {
		section_unmap_locked(s);
		*s = pcpu_sections[--pcpu_nr_sections];
	}
	kmm_mutex_unlock(&pcpu_sections_lock);
}
