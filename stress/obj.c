/* Objects the program owns: a magic header and a seeded payload written
 * when a block is allocated and checked before it is freed, so a block
 * handed to two owners, or written by someone else, is caught.
 *
 * Layout of a block of at least 32 bytes:
 *   [0] MAGIC_LIVE  [1] seed  [2] size  [3] kind<<32 | cpu
 *   then a payload of up to 224 bytes derived from the seed,
 *   and, for blocks of several pages, a 16-byte stamp at the start of each
 *   later page: MAGIC_PAGE ^ index, seed.
 * Smaller blocks hold only payload. Before a free the header becomes
 * MAGIC_DEAD, so a header still live at allocation time means the block
 * has another owner. HighMem pages are reached through kmap_local_page(),
 * when kmm has it; otherwise only their struct page is checked. */
#include <stdio.h>
#include <string.h>
#include "stress.h"

#define PAYLOAD_MAX	224

uint64_t seed_mix(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b + 0x9E3779B97F4A7C15ULL + (a << 6) + (a >> 2));

	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 29;
	return x ? x : 1;
}

void payload_fill(void *p, size_t size, uint64_t seed)
{
	unsigned char *c = p;
	uint64_t s = seed | 1;
	size_t i = 0;

	for (; i + 8 <= size; i += 8) {
		uint64_t v = rnd_next(&s);

		memcpy(c + i, &v, 8);
	}
	if (i < size) {
		uint64_t v = rnd_next(&s);

		memcpy(c + i, &v, size - i);
	}
}

bool payload_check(const void *p, size_t size, uint64_t seed, const char *what)
{
	const unsigned char *c = p;
	uint64_t s = seed | 1;
	size_t i = 0;

	for (; i < size; i += 8) {
		uint64_t v = rnd_next(&s);
		size_t n = size - i < 8 ? size - i : 8;

		if (memcmp(c + i, &v, n)) {
			violation("%s: payload of %p (%zu bytes) corrupted at offset %zu",
				  what, p, size, i);
			return false;
		}
	}
	return true;
}

/* A constructed cache object keeps its constructor's mark in its first 8
 * bytes (the kernel keeps objects of ctor caches constructed while free);
 * the stamp covers the rest. */
static size_t hdr_off(const struct obj *o)
{
	return (o->flags & OBJ_F_CTOR) ? 8 : 0;
}

static size_t stamped_size(const struct obj *o)
{
	return o->size - hdr_off(o);
}

/* Pages after the first carry a stamp only where 16 bytes fit. */
static size_t stamped_pages(const struct obj *o)
{
	size_t size = stamped_size(o);

	return size < 16 ? 1 : (size - 16) / PAGE_SIZE + 1;
}

static bool highmem_unmapped(const struct obj *o)
{
	return o->kind == OBJ_PAGES && !o->addr;
}

#ifdef STRESS_HAVE_KMAP
#define page_map(pg)		kmap_local_page(pg)
#define page_unmap(v)		kunmap_local(v)
#else
#define page_map(pg)		((void)(pg), (void *)NULL)
#define page_unmap(v)		((void)(v))
#endif

/* The page `i` of `o`, mapped; `put_page_va` undoes it. */
static unsigned char *get_page_va(const struct obj *o, size_t i)
{
	if (!highmem_unmapped(o))
		return (unsigned char *)o->addr + hdr_off(o) + i * PAGE_SIZE;
	return page_map(page_nth(o->page, i));
}

static void put_page_va(const struct obj *o, unsigned char *va)
{
	if (highmem_unmapped(o) && va)
		page_unmap(va);
}

/* Every page of a block in the direct map; for HighMem, where each page
 * costs a kmap (an mmap call), the first and last and every eighth. */
static bool page_stamped(const struct obj *o, size_t i, size_t npages)
{
	return !highmem_unmapped(o) || npages <= 9 || i == npages - 1 || i % (npages / 8) == 0;
}

static void write_header(unsigned char *p, const struct obj *o, uint64_t magic)
{
	uint64_t h[4] = { magic, o->seed, o->size, ((uint64_t)o->kind << 32) | o->cpu };

	memcpy(p, h, sizeof(h));
}

void obj_stamp(struct obj *o, uint64_t *rng)
{
	size_t size = stamped_size(o);
	size_t npages = stamped_pages(o);
	unsigned char *p;
	uint64_t old;

	o->seed = rnd_next(rng) | 1;
	if (size < 32) {
		if (o->addr)
			payload_fill((char *)o->addr + hdr_off(o), size, o->seed);
		return;
	}
	p = get_page_va(o, 0);
	if (!p)
		return;
	memcpy(&old, p, 8);
	if (old == MAGIC_LIVE) {
		uint64_t h[4];

		memcpy(h, p, sizeof(h));
		violation("kind %u at %p (%zu bytes) still carries a live header: seed %#llx, "
			  "size %llu, allocated on CPU %llu: two owners", o->kind,
			  o->addr ? o->addr : (void *)o->page, o->size, (unsigned long long)h[1],
			  (unsigned long long)h[2], (unsigned long long)(h[3] & 0xffff));
	}
	write_header(p, o, MAGIC_LIVE);
	payload_fill(p + 32, size - 32 < PAYLOAD_MAX ? size - 32 : PAYLOAD_MAX, o->seed);
	put_page_va(o, p);
	for (size_t i = 1; i < npages; i++) {
		uint64_t st[2] = { MAGIC_PAGE ^ i, o->seed };

		if (!page_stamped(o, i, npages))
			continue;
		p = get_page_va(o, i);
		if (!p)
			continue;
		memcpy(p, st, sizeof(st));
		put_page_va(o, p);
	}
}

bool obj_check(const struct obj *o, const char *when)
{
	size_t size = stamped_size(o);
	size_t npages = stamped_pages(o);
	unsigned char *p;
	uint64_t h[4];
	bool ok = true;

	if (size < 32)
		return o->addr ? payload_check((char *)o->addr + hdr_off(o), size, o->seed, when) : true;
	p = get_page_va(o, 0);
	if (!p)
		return true;
	memcpy(h, p, sizeof(h));
	if (h[0] != MAGIC_LIVE || h[1] != o->seed || h[2] != o->size) {
		violation("%s: kind %u at %p (%zu bytes, CPU %u): header %#llx seed %#llx size %llu, "
			  "expected seed %#llx: corrupted or owned twice", when, o->kind,
			  o->addr ? o->addr : (void *)o->page, o->size, o->cpu,
			  (unsigned long long)h[0], (unsigned long long)h[1],
			  (unsigned long long)h[2], (unsigned long long)o->seed);
		ok = false;
	} else {
		ok = payload_check(p + 32, size - 32 < PAYLOAD_MAX ? size - 32 : PAYLOAD_MAX,
				   o->seed, when);
	}
	put_page_va(o, p);
	for (size_t i = 1; ok && i < npages; i++) {
		uint64_t st[2];

		if (!page_stamped(o, i, npages))
			continue;
		p = get_page_va(o, i);
		if (!p)
			continue;
		memcpy(st, p, sizeof(st));
		put_page_va(o, p);
		if (st[0] != (MAGIC_PAGE ^ i) || st[1] != o->seed) {
			violation("%s: kind %u at %p: page %zu of %zu overwritten (%#llx %#llx)",
				  when, o->kind, o->addr ? o->addr : (void *)o->page, i, npages,
				  (unsigned long long)st[0], (unsigned long long)st[1]);
			ok = false;
		}
	}
	return ok;
}

bool obj_check_zero(const struct obj *o)
{
	size_t size = stamped_size(o);
	size_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	bool ok = true;

	for (size_t i = 0; ok && i < npages; i++) {
		size_t len = size - i * PAGE_SIZE < PAGE_SIZE ? size - i * PAGE_SIZE : PAGE_SIZE;
		unsigned char *p;

		if (!page_stamped(o, i, npages))
			continue;
		p = get_page_va(o, i);

		if (!p)
			continue;
		for (size_t b = 0; b < len; b++) {
			if (b == 64 && len > 128)
				b = len - 64;	/* the first and last 64 bytes */
			if (p[b]) {
				violation("kind %u at %p (%zu bytes) asked zeroed, byte %zu is %#x",
					  o->kind, o->addr ? o->addr : (void *)o->page, o->size,
					  i * PAGE_SIZE + b, p[b]);
				ok = false;
				break;
			}
		}
		put_page_va(o, p);
	}
	return ok;
}

void obj_mark_dead(const struct obj *o)
{
	unsigned char *p;

	if (stamped_size(o) < 32)
		return;
	p = get_page_va(o, 0);
	if (!p)
		return;
	write_header(p, o, MAGIC_DEAD);
	put_page_va(o, p);
}

void obj_free(struct obj *o)
{
	obj_check(o, "before free");
	obj_mark_dead(o);
	switch (o->kind) {
	case OBJ_PAGES:
		__free_pages(o->page, o->order);
		break;
	case OBJ_FREE_PAGES:
		free_pages((unsigned long)o->addr, o->order);
		break;
	case OBJ_EXACT:
		free_pages_exact(o->addr, o->size);
		break;
#ifdef STRESS_HAVE_SLAB
	case OBJ_KMALLOC:
		kfree(o->addr);
		break;
	case OBJ_CACHE:
		kmem_cache_free(o->cache, o->addr);
		break;
#endif
#ifdef STRESS_HAVE_VMALLOC
	case OBJ_VMALLOC:
		vfree(o->addr);
		break;
#endif
#ifdef STRESS_HAVE_KVMALLOC
	case OBJ_KVMALLOC:
		kvfree(o->addr);
		break;
#endif
	default:
		violation("obj_free: unknown kind %u at %p", o->kind, o->addr);
		return;
	}
	o->kind = OBJ_NONE;
}
