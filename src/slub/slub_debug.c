/* slub_debug (mm/slub.c's CONFIG_SLUB_DEBUG part) and failslab
 * (mm/failslab.c): the boot parameters, red zones, poisoning, owner
 * tracking, the checks, and reports in the kernel's shape:
 *
 *   BUG kmalloc-64 (Not tainted): Right Redzone overwritten
 *   0x...-0x... @offset=64. First byte 0x0 instead of 0xcc
 *   Allocated in caller+0x1c age=3 cpu=0 pid=1234
 *   Slab 0x... objects=51 used=1 fp=0x... flags=0x...
 *   Object 0x... @offset=0 fp=0x...
 *   ... hex dumps ...
 *   FIX kmalloc-64: Restoring Right Redzone 0x...-0x...=0xcc
 *
 * Debug caches take the locked single-object path (slab_page.c), so the
 * checks here run under the cache's list_lock (LOCK_RANK_SLAB_NODE); this
 * file takes no other lock. Where the kernel leaks an object
 * whose red zone was overwritten, kmm restores the bytes and completes the
 * free, and a poison overwrite found at allocation is restored and the
 * object handed out: the report is the signal, and the memory stays
 * accounted so kmm_exit() still balances. A corrupt free pointer isolates
 * the rest of its slab ("Marking all objects used"), as the kernel does.
 * The kernel checks only with F; kmm checks every debug cache.
 *
 * Poisoned caches fill each slab's tail, after its last slot, with
 * POISON_INUSE; it is checked when the slab goes back to the buddy and by
 * slab_validate() ("Padding overwritten"). kmalloc caches keep the
 * requested size (orig_size) and red-zone the rest of the size class
 * ("kmalloc Redzone overwritten"): the kernel with U, kmm with U or Z.
 * ksize() makes the whole class the caller's, as the kernel's
 * skip_orig_size_check().
 *
 * In ASan builds a slot's red zones and metadata are poisoned for ASan; this
 * file unpoisons a slot while it works on it. */
#include <ctype.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/fault_inject.h"
#include "lib/host_mem.h"
#include "slub/slub_debug.h"

#define MAX_DEBUG_BLOCKS	8
#define NO_ASAN		__attribute__((no_sanitize("address")))

static slab_flags_t debug_global;
static struct {
	slab_flags_t flags;
	char names[256];	/* comma-separated, '*' suffix globs */
} debug_blocks[MAX_DEBUG_BLOCKS];
static int nr_debug_blocks;

static struct fault_attr failslab;

/* ---- failslab ---- */

bool failslab_applies(const struct kmem_cache *s)
{
	return failslab.enabled && (!kmm_config.failslab_cache_filter ||
				    (s->flags & SLAB_FAILSLAB));
}

bool should_failslab(struct kmem_cache *s, gfp_t gfp)
{
	if (!failslab.enabled || (gfp & __GFP_NOFAIL))
		return false;
	if (kmm_config.failslab_ignore_gfp_wait && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	if (kmm_config.failslab_cache_filter && !(s->flags & SLAB_FAILSLAB))
		return false;
	return should_fail(&failslab, s->object_size);
}

/* ---- the slub_debug= parameter ---- */

static slab_flags_t parse_debug_flags(const char *str, size_t len)
{
	slab_flags_t flags = 0;

	if (!len)
		return SLUB_DEBUG_DEFAULT;
	for (size_t i = 0; i < len; i++) {
		switch (tolower((unsigned char)str[i])) {
		case '-': flags = 0; break;
		case 'f': flags |= SLAB_CONSISTENCY_CHECKS; break;
		case 'z': flags |= SLAB_RED_ZONE; break;
		case 'p': flags |= SLAB_POISON; break;
		case 'u': flags |= SLAB_STORE_USER; break;
		case 't': flags |= SLAB_TRACE; break;
		case 'a': flags |= SLAB_FAILSLAB; break;
		case 'o': break;	/* higher-order caches stay debugged here */
		default:
			kmm_pr_info("slab_debug option '%c' unknown. skipped", str[i]);
		}
	}
	return flags;
}

/* failslab= sets the fault attributes; slub_debug=<flags>[,<cache>[,<cache>...]]
 * [;<flags>[,<cache>...]]...:
 * a block without caches sets the flags of every cache. */
void slub_debug_parse(void)
{
	const char *p = kmm_config.slub_debug;

	fault_attr_setup(&failslab, kmm_config.failslab);
	debug_global = 0;
	nr_debug_blocks = 0;
	if (!kmm_config.slub_debug_set)
		return;
	if (!*p) {
		debug_global = SLUB_DEBUG_DEFAULT;
		return;
	}
	while (*p) {
		size_t len = strcspn(p, ";"), flen = strcspn(p, ",;");
		slab_flags_t flags = parse_debug_flags(p, MIN(flen, len));

		if (flen < len && nr_debug_blocks < MAX_DEBUG_BLOCKS) {
			size_t nlen = MIN(len - flen - 1, sizeof(debug_blocks[0].names) - 1);

			debug_blocks[nr_debug_blocks].flags = flags;
			memcpy(debug_blocks[nr_debug_blocks].names, p + flen + 1, nlen);
			debug_blocks[nr_debug_blocks].names[nlen] = '\0';
			nr_debug_blocks++;
		} else if (flen >= len) {
			debug_global = flags;
		}
		p += len;
		if (*p == ';')
			p++;
	}
}

static bool name_in_list(const char *name, const char *list)
{
	size_t nlen = strlen(name);

	while (*list) {
		size_t len = strcspn(list, ",");

		while (len && isspace((unsigned char)*list)) {
			list++;
			len--;
		}
		if (len && list[len - 1] == '*') {
			if (!strncmp(name, list, len - 1))
				return true;
		} else if (len == nlen && !strncmp(name, list, len)) {
			return true;
		}
		list += len;
		if (*list == ',')
			list++;
	}
	return false;
}

/* kmem_cache_flags(): the debug flags slub_debug gives cache `name`. */
slab_flags_t slub_debug_flags(const char *name, slab_flags_t flags)
{
	for (int i = 0; i < nr_debug_blocks; i++)
		if (name_in_list(name, debug_blocks[i].names))
			return flags | debug_blocks[i].flags;
	return flags | debug_global;
}

/* ---- slot layout helpers ---- */

unsigned int slab_info_end(const struct kmem_cache *s)
{
	return s->offset >= s->inuse ? s->inuse + (unsigned int)sizeof(void *) : s->inuse;
}

static struct slab_track *get_track(struct kmem_cache *s, void *object, enum track_item item)
{
	return (struct slab_track *)((char *)object + slab_info_end(s)) + item;
}

/* orig_size: after the tracks, or where they would be. */
static unsigned int *orig_size_slot(struct kmem_cache *s, const void *object)
{
	unsigned int off = slab_info_end(s);

	if (s->flags & SLAB_STORE_USER)
		off += 2 * sizeof(struct slab_track);
	return (unsigned int *)((char *)object + off);
}

/* Where a slot's padding starts: after the metadata (check_pad_bytes). */
static unsigned int slot_pad_start(struct kmem_cache *s)
{
	unsigned int off = slab_info_end(s);

	if (s->flags & SLAB_STORE_USER)
		off += 2 * sizeof(struct slab_track);
	if (slub_debug_orig_size(s))
		off += sizeof(unsigned int);
	return off;
}

/* The size kmalloc was asked for; the object size for other caches. Only
 * the object's owner writes it, so the owner may read it without a lock.
 * It lives in the slot's metadata, poisoned for ASan. */
NO_ASAN unsigned int slab_get_orig_size(struct kmem_cache *s, const void *object)
{
	if (!slub_debug_orig_size(s))
		return s->object_size;
	return atomic_load_relaxed(orig_size_slot(s, object));
}

static NO_ASAN void set_orig_size(struct kmem_cache *s, void *object, unsigned int orig_size)
{
	if (slub_debug_orig_size(s))
		atomic_store_relaxed(orig_size_slot(s, object), orig_size);
}

static void slot_unpoison(struct kmem_cache *s, void *object)
{
	kasan_unpoison((char *)object - s->red_left_pad, s->size);
}

void slab_debug_poison_slot(struct kmem_cache *s, void *object, bool allocated)
{
	kasan_poison((char *)object - s->red_left_pad, s->size);
	if (allocated)
		kasan_unpoison(object, s->object_size);
}

static unsigned long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000 + (unsigned long)ts.tv_nsec / 1000000;
}

static void set_track(struct kmem_cache *s, void *object, enum track_item item,
		      unsigned long addr)
{
	struct slab_track *t = get_track(s, object, item);

	t->addr = addr;
	t->when = now_ms();
	t->cpu = cpu_id();
	t->pid = (int)syscall(SYS_gettid);
}

/* %pS: "function+0xoff" when the symbol is known, else the address. */
static void format_site(char *buf, size_t len, unsigned long addr)
{
	Dl_info info;

	if (dladdr((void *)addr, &info) && info.dli_sname)
		snprintf(buf, len, "%s+%#lx", info.dli_sname, addr - (unsigned long)info.dli_saddr);
	else if (dladdr((void *)addr, &info) && info.dli_fname)
		snprintf(buf, len, "%s+%#lx", strrchr(info.dli_fname, '/') ?
			 strrchr(info.dli_fname, '/') + 1 : info.dli_fname,
			 addr - (unsigned long)info.dli_fbase);
	else
		snprintf(buf, len, "%#lx", addr);
}

static void print_track(const char *what, const struct slab_track *t, unsigned long now)
{
	char site[160];

	if (!t->addr)
		return;
	format_site(site, sizeof(site), t->addr);
	kmm_report_cont("%s in %s age=%lu cpu=%d pid=%d", what, site, now - t->when, t->cpu,
			t->pid);
}

void slab_print_object_tracks(struct kmem_cache *s, void *object)
{
	unsigned long now = now_ms();

	if (!(s->flags & SLAB_STORE_USER))
		return;
	print_track("Allocated", get_track(s, object, TRACK_ALLOC), now);
	print_track("Freed", get_track(s, object, TRACK_FREE), now);
}

/* ---- reports ---- */

static void slab_bug(struct kmem_cache *s, const char *fmt, va_list ap)
{
	char msg[192];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	kmm_report_cont("=============================================================================");
	kmm_report_raw("BUG %s (Not tainted): %s", s->name, msg);
	kmm_report_cont("-----------------------------------------------------------------------------\n");
}

static void print_slab_info(struct page *slab)
{
	union slab_counters c = { .counters = slab_counters_read(slab) };

	kmm_report_cont("Slab %p objects=%u used=%u fp=%p flags=%#lx", (void *)slab, c.objects,
			c.inuse, atomic_load_relaxed(&slab->freelist),
			atomic_load_relaxed(&slab->flags));
}

void slab_err(struct kmem_cache *s, struct page *slab, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	slab_bug(s, fmt, ap);
	va_end(ap);
	if (slab)
		print_slab_info(slab);
}

/* The repair a report made: an error of its own, as the kernel counts it. */
void slab_fix(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmm_report_cont_error("FIX %s: %s\n", s->name, msg);
}

static void print_section(const char *text, const uint8_t *addr, unsigned int len)
{
	for (unsigned int i = 0; i < len; i += 16) {
		char line[128];
		int n = snprintf(line, sizeof(line), "%s%p: ", text, (const void *)(addr + i));

		for (unsigned int j = i; j < MIN(len, i + 16); j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x ", addr[j]);
		kmm_report_cont("%s", line);
	}
}

static void print_trailer(struct kmem_cache *s, struct page *slab, uint8_t *p)
{
	uint8_t *start = slab_address(slab);
	unsigned int off = slot_pad_start(s);

	slab_print_object_tracks(s, p);
	print_slab_info(slab);
	kmm_report_cont("Object %p @offset=%lu fp=%p\n", (void *)p,
			(unsigned long)(p - start), get_freepointer(s, p));
	if (s->flags & SLAB_RED_ZONE)
		print_section("Redzone  ", p - s->red_left_pad, s->red_left_pad);
	print_section("Object   ", p, MIN(s->object_size, 128u));
	if (s->flags & SLAB_RED_ZONE)
		print_section("Redzone  ", p + s->object_size, s->inuse - s->object_size);
	if (off < s->size - s->red_left_pad)
		print_section("Padding  ", p + off, s->size - s->red_left_pad - off);
}

static void object_err(struct kmem_cache *s, struct page *slab, void *object, const char *reason,
		       ...)
{
	va_list ap;

	va_start(ap, reason);
	slab_bug(s, reason, ap);
	va_end(ap);
	print_trailer(s, slab, object);
}

/* ---- checks ---- */

/* The first byte that is not `value`, or NULL. Thirty-two bytes at a time
 * while they match, as the kernel's memchr_inv() goes a word at a time:
 * poison is checked over the whole object at every allocation and free, so
 * this loop is most of what slub_debug costs. */
static uint8_t *check_bytes(uint8_t *start, uint8_t value, size_t len)
{
	const uint64_t pattern = 0x0101010101010101ULL * value;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		uint64_t w[4];

		memcpy(w, start + i, sizeof(w));
		if ((w[0] ^ pattern) | (w[1] ^ pattern) | (w[2] ^ pattern) | (w[3] ^ pattern))
			break;
	}
	for (; i < len; i++)
		if (start[i] != value)
			return start + i;
	return NULL;
}

/* One report per damaged area, then the bytes are restored. */
static bool check_bytes_and_report(struct kmem_cache *s, struct page *slab, uint8_t *object,
				   const char *what, uint8_t *start, uint8_t value, size_t bytes)
{
	uint8_t *fault = check_bytes(start, value, bytes), *end = start + bytes;

	if (!fault)
		return true;
	while (end > fault && end[-1] == value)
		end--;
	object_err(s, slab, object, "%s overwritten", what);
	kmm_report_cont("%p-%p @offset=%ld. First byte 0x%x instead of 0x%x", (void *)fault,
			(void *)(end - 1), (long)(fault - object), fault[0], value);
	memset(fault, value, (size_t)(end - fault));
	slab_fix(s, "Restoring %s %p-%p=0x%x", what, (void *)fault, (void *)(end - 1), value);
	return false;
}

/* An allocated kmalloc object is red-zoned from its requested size on,
 * and its poison ends there. */
static void init_object(struct kmem_cache *s, void *object, uint8_t val)
{
	uint8_t *p = object;
	unsigned int poison_size = s->object_size;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, val, s->red_left_pad);
		if (val == SLUB_RED_ACTIVE)
			poison_size = slab_get_orig_size(s, object);
	}
	if (s->flags & OBJECT_POISON) {
		memset(p, POISON_FREE, poison_size - 1);
		p[poison_size - 1] = POISON_END;
	}
	if (s->flags & SLAB_RED_ZONE)
		memset(p + poison_size, val, s->inuse - poison_size);
}

static bool check_object(struct kmem_cache *s, struct page *slab, void *object, uint8_t val)
{
	uint8_t *p = object, *endobject = p + s->object_size;
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		if (!check_bytes_and_report(s, slab, p, "Left Redzone", p - s->red_left_pad, val,
					    s->red_left_pad))
			ok = false;
		if (!check_bytes_and_report(s, slab, p, "Right Redzone", endobject, val,
					    s->inuse - s->object_size))
			ok = false;
		if (val == SLUB_RED_ACTIVE && slub_debug_orig_size(s)) {
			unsigned int orig_size = slab_get_orig_size(s, p);

			if (orig_size < s->object_size &&
			    !check_bytes_and_report(s, slab, p, "kmalloc Redzone", p + orig_size,
						    val, s->object_size - orig_size))
				ok = false;
		}
	} else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
		if (!check_bytes_and_report(s, slab, p, "Alignment padding", endobject,
					    POISON_INUSE, s->inuse - s->object_size))
			ok = false;
	}
	if ((s->flags & SLAB_POISON) && val != SLUB_RED_ACTIVE && (s->flags & OBJECT_POISON)) {
		if (!check_bytes_and_report(s, slab, p, "Poison", p, POISON_FREE,
					    s->object_size - 1))
			ok = false;
		if (!check_bytes_and_report(s, slab, p, "End Poison", endobject - 1, POISON_END, 1))
			ok = false;
	}
	if (s->flags & SLAB_POISON) {
		unsigned int off = slot_pad_start(s), end = s->size - s->red_left_pad;

		if (off < end && !check_bytes_and_report(s, slab, p, "Object padding", p + off,
							 POISON_INUSE, end - off))
			ok = false;
	}
	return ok;
}

/* on_freelist(): is `search` already free in its slab? Also validates the
 * chain; a corrupt link is reported and the chain cut there. */
static bool on_freelist(struct kmem_cache *s, struct page *slab, void *search)
{
	unsigned int objects = slab_objects(slab), nr = 0;
	void *fp = atomic_load_relaxed(&slab->freelist), *prev = NULL;

	while (fp && nr <= objects) {
		if (fp == search)
			return true;
		if (!slab_object_start(s, slab, fp)) {
			slab_err(s, slab, "Freechain corrupt");
			slab_fix(s, "Cutting the freelist at %p", prev);
			if (prev)
				set_freepointer(s, prev, NULL);
			else
				atomic_store_relaxed(&slab->freelist, NULL);
			return false;
		}
		prev = fp;
		fp = get_freepointer(s, fp);
		nr++;
	}
	return false;
}

/* setup_slab_debug + setup_object_debug for every slot of a new slab. */
void slab_debug_init_slab(struct kmem_cache *s, struct page *slab)
{
	unsigned int objects = (unsigned int)((PAGE_SIZE << compound_order(slab)) / s->size);

	if (s->flags & SLAB_POISON)
		memset(slab_address(slab), POISON_INUSE, PAGE_SIZE << compound_order(slab));
	for (unsigned int i = 0; i < objects; i++) {
		void *object = slab_object(s, slab, i);

		init_object(s, object, SLUB_RED_INACTIVE);
		if (s->flags & SLAB_STORE_USER)
			memset(get_track(s, object, TRACK_ALLOC), 0, 2 * sizeof(struct slab_track));
	}
}

/* alloc_debug_processing(), list_lock held. */
bool slab_debug_alloc_checks(struct kmem_cache *s, struct page *slab, void *object,
			     unsigned long addr)
{
	lock_assert_held(&s->node.list_lock);
	slot_unpoison(s, object);
	check_object(s, slab, object, SLUB_RED_INACTIVE);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, object, TRACK_ALLOC, addr);
	if (s->flags & SLAB_TRACE)
		kmm_pr_info("TRACE %s alloc %p", s->name, object);
	/* kmalloc sets the requested size once it has the object */
	set_orig_size(s, object, s->object_size);
	init_object(s, object, SLUB_RED_ACTIVE);
	slab_debug_poison_slot(s, object, true);
	return true;
}

/* free_debug_processing(), list_lock held: false means "do not free". */
bool slab_debug_free_checks(struct kmem_cache *s, struct page *slab, void *object,
			    unsigned long addr)
{
	lock_assert_held(&s->node.list_lock);
	slot_unpoison(s, object);
	if (on_freelist(s, slab, object)) {
		object_err(s, slab, object, "Object already free");
		slab_debug_poison_slot(s, object, false);
		return false;
	}
	check_object(s, slab, object, SLUB_RED_ACTIVE);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, object, TRACK_FREE, addr);
	if (s->flags & SLAB_TRACE)
		kmm_pr_info("TRACE %s free %p", s->name, object);
	init_object(s, object, SLUB_RED_INACTIVE);
	slab_debug_poison_slot(s, object, false);
	return true;
}

/* set_orig_size() for kmalloc (`poison_end`: the object is poisoned, not
 * zeroed, and its poison now ends at the requested size), krealloc within
 * the object and ksize (the whole class): the slack after `orig_size`
 * becomes red zone. Under list_lock, which slab_validate() holds while it
 * reads the size. */
void slab_debug_set_orig_size(struct kmem_cache *s, void *object, unsigned int orig_size,
			      bool poison_end)
{
	uint8_t *p = object;

	if (!slub_debug_orig_size(s) || !orig_size || orig_size > s->object_size)
		return;
	kmm_spin_lock(&s->node.list_lock);
	set_orig_size(s, object, orig_size);
	if (s->flags & SLAB_RED_ZONE) {
		if (poison_end && (s->flags & OBJECT_POISON))
			p[orig_size - 1] = POISON_END;
		memset(p + orig_size, SLUB_RED_ACTIVE, s->object_size - orig_size);
	}
	kmm_spin_unlock(&s->node.list_lock);
}

/* slab_pad_check(): the tail of a poisoned cache's slab, after its last
 * slot, still holds POISON_INUSE. */
static void slab_pad_check(struct kmem_cache *s, struct page *slab)
{
	uint8_t *start = slab_address(slab), *end, *pad, *fault;
	unsigned long length = PAGE_SIZE << compound_order(slab);
	unsigned int remainder = (unsigned int)(length % s->size);

	if (!(s->flags & SLAB_POISON) || !remainder)
		return;
	end = start + length;
	pad = end - remainder;
	kasan_unpoison(pad, remainder);
	fault = check_bytes(pad, POISON_INUSE, remainder);
	if (fault) {
		while (end > fault && end[-1] == POISON_INUSE)
			end--;
		slab_err(s, slab, "Padding overwritten. %p-%p @offset=%lu", (void *)fault,
			 (void *)(end - 1), (unsigned long)(fault - start));
		print_section("Padding ", pad, remainder);
		memset(fault, POISON_INUSE, (size_t)(end - fault));
		slab_fix(s, "Restoring slab padding %p-%p=0x%x", (void *)fault, (void *)(end - 1),
			 POISON_INUSE);
	}
	kasan_poison(pad, remainder);
}

/* free_slab()'s checks: an empty slab on its way back to the buddy, on no
 * list and held by no CPU, so no lock is needed. */
void slab_debug_discard(struct kmem_cache *s, struct page *slab)
{
	unsigned int objects = slab_objects(slab);

	slab_pad_check(s, slab);
	for (unsigned int i = 0; i < objects; i++) {
		void *object = slab_object(s, slab, i);

		slot_unpoison(s, object);
		check_object(s, slab, object, SLUB_RED_INACTIVE);
		slab_debug_poison_slot(s, object, false);
	}
}

/* The metadata around an allocated object, for ASan: the object itself
 * stays addressable, its owner may be using it. */
static void slot_meta_poison(struct kmem_cache *s, uint8_t *object, bool poison)
{
	uint8_t *tail = object + s->object_size;
	size_t tail_len = s->size - s->red_left_pad - s->object_size;

	if (poison) {
		kasan_poison(object - s->red_left_pad, s->red_left_pad);
		kasan_poison(tail, tail_len);
	} else {
		kasan_unpoison(object - s->red_left_pad, s->red_left_pad);
		kasan_unpoison(tail, tail_len);
	}
}

/* validate_slab(): every slot of a slab on a node list, free ones against
 * the free patterns and allocated ones against the active red zones, and
 * the slab's tail. list_lock held, so no debug operation runs meanwhile. */
void slab_debug_validate_slab(struct kmem_cache *s, struct page *slab)
{
	unsigned int objects = slab_objects(slab), nr = 0;
	unsigned char *is_free = host_calloc(objects, 1);
	void *fp = atomic_load_relaxed(&slab->freelist);

	lock_assert_held(&s->node.list_lock);
	if (!is_free)
		return;
	slab_pad_check(s, slab);
	while (fp && nr++ < objects && slab_object_start(s, slab, fp)) {
		is_free[((char *)fp - (char *)slab_object(s, slab, 0)) / s->size] = 1;
		fp = get_freepointer(s, fp);
	}
	for (unsigned int i = 0; i < objects; i++) {
		uint8_t *object = slab_object(s, slab, i);

		if (is_free[i]) {
			slot_unpoison(s, object);
			check_object(s, slab, object, SLUB_RED_INACTIVE);
			slab_debug_poison_slot(s, object, false);
		} else {
			slot_meta_poison(s, object, false);
			check_object(s, slab, object, SLUB_RED_ACTIVE);
			slot_meta_poison(s, object, true);
		}
	}
	host_free(is_free);
}

/* Lists the objects of `slab` not on its freelist (leak and shutdown
 * reports), up to `max_shown` lines in all. */
void slab_list_objects(struct kmem_cache *s, struct page *slab, unsigned int *shown,
		       unsigned int max_shown)
{
	unsigned int objects = slab_objects(slab), nr = 0;
	unsigned char *is_free = host_calloc(objects, 1);
	void *fp = atomic_load_relaxed(&slab->freelist);

	if (!is_free)
		return;
	while (fp && nr++ <= objects && slab_object_start(s, slab, fp)) {
		is_free[((char *)fp - (char *)slab_object(s, slab, 0)) / s->size] = 1;
		fp = get_freepointer(s, fp);
	}
	for (unsigned int i = 0; i < objects && *shown < max_shown; i++) {
		char *object = slab_object(s, slab, i);

		if (is_free[i])
			continue;
		(*shown)++;
		kmm_report_cont("Object %p @offset=%lu (cache %s)", (void *)object,
				(unsigned long)(object - (char *)slab_address(slab)), s->name);
		if (s->flags & SLAB_STORE_USER) {
			slot_unpoison(s, object);
			slab_print_object_tracks(s, object);
			slab_debug_poison_slot(s, object, true);
		}
	}
	host_free(is_free);
}
