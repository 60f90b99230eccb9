/* Host memory (host_mem.h): a small lock-free allocator over one reserved
 * range of the address space.
 *
 * The range is reserved once (PROT_NONE, nothing committed) and made
 * writable 2 MiB at a time as a bump offset moves through it. Every block
 * is a 16-byte header and a payload of its size class (16-byte steps up to
 * 128, then four classes per power of two); a freed block goes on its
 * class's free list and is never returned to the bump range. Payloads of
 * HOST_RELEASE_MIN and above are given back to the host (MADV_DONTNEED)
 * while they are free.
 *
 * No locks:
 *   - the reservation: whoever publishes host_range first wins, the loser
 *     unmaps;
 *   - the bump offset: compare-and-swap; a thread that moves it past the
 *     writable part makes the pages it needs writable itself (mprotect is
 *     idempotent, so two threads doing it for one range is harmless);
 *   - each free list: a Treiber stack whose head is one 64-bit word, the
 *     block's offset in 16-byte units (32 bits: the range is at most
 *     64 GiB) and a 32-bit tag bumped by every push and pop against ABA.
 *     A pop reads the head block's `next` while another thread may pop
 *     and reuse that block: the read is of mapped memory (the range is
 *     never unmapped, and `next` lives in the header, which is never given
 *     back), and the tag makes the compare-and-swap fail.
 * A block's state is its header's magic, changed by atomic exchange, so of
 * two racing frees of one block exactly one sees it allocated. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "lib/bug.h"
#include "lib/host_mem.h"

#define HOST_UNIT		16UL
#ifdef KMM_TSAN
/* ThreadSanitizer leaves programs a few TiB of address space, which kmm's
 * physical memory, vmalloc space and per-CPU shadow already crowd. */
#define HOST_RANGE_MAX		(4UL << 30)
#else
#define HOST_RANGE_MAX		(64UL << 30)	/* offsets fit 32 bits of 16-byte units */
#endif
#define HOST_COMMIT_STEP	(2UL << 20)
#define HOST_RELEASE_MIN	(256UL << 10)
#define HOST_NR_CLASSES		(8 + 4 * 30)	/* classes up to 2^37, beyond the range */

#define MAGIC_LIVE	0x6b6d6d68u	/* "hmmk" */
#define MAGIC_FREE	0x65657266u	/* "free" */
#define MAGIC_INNER	0x6e6e6e69u	/* an aligned block's inner header */

struct host_hdr {
	uint32_t magic;
	uint32_t cls;		/* size class; MAGIC_INNER: unused */
	uint64_t next;		/* free: the next block's unit offset + 1 (0: none);
				 * MAGIC_INNER: bytes back to the outer header */
};

_Static_assert(sizeof(struct host_hdr) == HOST_UNIT, "a header is one unit");

unsigned long host_range KMM_HIDDEN = HOST_RANGE_BASE_MASK;
static unsigned long host_bump;		/* atomic: bytes handed out from host_base */
static unsigned long host_committed;	/* atomic: bytes made writable */
static uint64_t host_free_head[HOST_NR_CLASSES];	/* atomic: tag << 32 | (offset unit + 1) */

/* ---- size classes ---- */

static unsigned int host_class_of(size_t size)
{
	unsigned int b;

	if (size <= 128)
		return size ? (unsigned int)((size + 15) / 16) - 1 : 0;
	b = 63 - (unsigned int)__builtin_clzl(size - 1);	/* size in (2^b, 2^(b+1)] */
	return 8 + (b - 7) * 4 + (unsigned int)(((size - 1) >> (b - 2)) & 3);
}

static size_t host_class_size(unsigned int cls)
{
	unsigned int b;

	if (cls < 8)
		return (cls + 1) * 16UL;
	b = (cls - 8) / 4 + 7;
	return (size_t)(5 + (cls - 8) % 4) << (b - 2);
}

/* ---- the range ---- */

static char *host_base(void)
{
	return (char *)(atomic_load_acquire(&host_range) & HOST_RANGE_BASE_MASK);
}

static unsigned long host_span(void)
{
	return 1UL << (atomic_load_acquire(&host_range) & HOST_RANGE_SHIFT_MASK);
}

static bool host_reserved(void)
{
	return atomic_load_acquire(&host_range) != HOST_RANGE_BASE_MASK;
}

static bool host_reserve(void)
{
	unsigned long none = HOST_RANGE_BASE_MASK, shift = 63 - __builtin_clzl(HOST_RANGE_MAX);
	char *mine;

	if (host_reserved())
		return true;
	/* Less address space when the host limits it (RLIMIT_AS). */
	for (;;) {
		mine = mmap(NULL, 1UL << shift, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (mine != MAP_FAILED)
			break;
		if (shift <= 26)
			return false;
		shift -= 2;
	}
	if (!atomic_cas_acq_rel(&host_range, &none, (unsigned long)mine | shift))
		munmap(mine, 1UL << shift);
	return true;
}

/* Makes [0, end) of the range writable. */
static bool host_commit(unsigned long end)
{
	unsigned long done = atomic_load_acquire(&host_committed), want;

	if (end <= done)
		return true;
	want = MIN(ALIGN_UP(end, HOST_COMMIT_STEP), host_span());
	if (mprotect(host_base() + done, want - done, PROT_READ | PROT_WRITE))
		return false;
	while (done < want && !atomic_cas_acq_rel(&host_committed, &done, want))
		;
	return true;
}

/* A fresh block of `bytes` (header included) from the bump offset. */
static struct host_hdr *host_carve(size_t bytes)
{
	unsigned long off, end;

	if (!host_reserve())
		return NULL;
	off = atomic_load_relaxed(&host_bump);
	do {
		end = off + bytes;
		if (end < off || end > host_span())
			return NULL;
	} while (!atomic_cas_acq_rel(&host_bump, &off, end));
	if (!host_commit(end))
		return NULL;	/* the carved bytes stay unused */
	return (struct host_hdr *)(host_base() + off);
}

/* ---- free lists ---- */

static uint64_t host_unit_of(const struct host_hdr *h)
{
	return (uint64_t)((const char *)h - host_base()) / HOST_UNIT + 1;
}

static struct host_hdr *host_hdr_of_unit(uint64_t unit)
{
	return (struct host_hdr *)(host_base() + (unit - 1) * HOST_UNIT);
}

static struct host_hdr *host_pop(unsigned int cls)
{
	uint64_t head = atomic_load_acquire(&host_free_head[cls]), next;
	struct host_hdr *h;

	for (;;) {
		if (!(uint32_t)head)
			return NULL;
		h = host_hdr_of_unit((uint32_t)head);
		next = atomic_load_relaxed(&h->next);
		if (__atomic_compare_exchange_n(&host_free_head[cls], &head,
						((head >> 32) + 1) << 32 | (uint32_t)next, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return h;
	}
}

static void host_push(unsigned int cls, struct host_hdr *h)
{
	uint64_t head = atomic_load_relaxed(&host_free_head[cls]);

	do {
		atomic_store_relaxed(&h->next, (uint32_t)head);
	} while (!__atomic_compare_exchange_n(&host_free_head[cls], &head,
					      ((head >> 32) + 1) << 32 | host_unit_of(h), false,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
}

/* ---- the API ---- */

/* *fresh: the block was carved from the bump range, never used, so its
 * payload is still the zeroes the host mapped it with. */
static void *host_alloc_block(size_t size, bool *fresh)
{
	unsigned int cls;
	struct host_hdr *h;

	if (size > HOST_RANGE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	cls = host_class_of(size);
	h = host_pop(cls);
	*fresh = !h;
	if (!h)
		h = host_carve(HOST_UNIT + host_class_size(cls));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	atomic_store_relaxed(&h->cls, cls);
	atomic_store_release(&h->magic, MAGIC_LIVE);
	return h + 1;
}

void *host_alloc(size_t size)
{
	bool fresh;

	return host_alloc_block(size, &fresh);
}

/* Zeroes only a block that was used before: writing zeroes over fresh
 * ones would make a large, sparsely used table resident all at once. */
void *host_zalloc(size_t size)
{
	bool fresh;
	void *p = host_alloc_block(size, &fresh);

	if (p && !fresh)
		memset(p, 0, size);
	return p;
}

void *host_calloc(size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return host_zalloc(bytes);
}

/* An inner header just below the aligned pointer leads back to the block. */
void *host_aligned_alloc(size_t align, size_t size)
{
	char *outer, *p;
	struct host_hdr *inner;

	if (align <= HOST_UNIT)
		return host_alloc(size);
	if (size > HOST_RANGE_MAX || align > HOST_RANGE_MAX) {
		errno = ENOMEM;
		return NULL;
	}
	outer = host_alloc(size + align);
	if (!outer)
		return NULL;
	p = (char *)ALIGN_UP((unsigned long)outer, align);
	if (p == outer)
		return p;
	inner = (struct host_hdr *)p - 1;
	inner->cls = 0;
	inner->next = (uint64_t)(p - outer);
	atomic_store_release(&inner->magic, MAGIC_INNER);
	return p;
}

/* The outer header of the block at p, NULL if p is not a block's start. */
static struct host_hdr *host_block_of(const void *p, size_t *skip)
{
	const struct host_hdr *h;
	uint32_t magic;

	*skip = 0;
	if (!host_owns(p) || ((unsigned long)p & (HOST_UNIT - 1)) ||
	    (const char *)p < host_base() + HOST_UNIT ||
	    (const char *)p > host_base() + atomic_load_relaxed(&host_bump))
		return NULL;
	h = (const struct host_hdr *)p - 1;
	magic = atomic_load_acquire(&h->magic);
	if (magic == MAGIC_INNER) {
		*skip = atomic_load_relaxed(&h->next);
		if (*skip > (size_t)((const char *)p - host_base()) - HOST_UNIT)
			return NULL;
		h = (const struct host_hdr *)((const char *)p - *skip) - 1;
		magic = atomic_load_acquire(&h->magic);
	}
	if (magic != MAGIC_LIVE && magic != MAGIC_FREE)
		return NULL;
	return (struct host_hdr *)h;
}

size_t host_usable_size(const void *p)
{
	size_t skip;
	struct host_hdr *h = host_block_of(p, &skip);

	if (!h || atomic_load_relaxed(&h->magic) != MAGIC_LIVE)
		return 0;
	return host_class_size(atomic_load_relaxed(&h->cls)) - skip;
}

enum host_free_result host_free_quiet(void *p)
{
	size_t skip, size;
	struct host_hdr *h;
	unsigned int cls;

	if (!p)
		return HOST_FREED;
	h = host_block_of(p, &skip);
	if (!h)
		return HOST_NOT_A_BLOCK;
	if (atomic_xchg_acq_rel(&h->magic, MAGIC_FREE) != MAGIC_LIVE)
		return HOST_DOUBLE_FREE;
	cls = atomic_load_relaxed(&h->cls);
	size = host_class_size(cls);
	if (size >= HOST_RELEASE_MIN) {
		/* The header's page stays: it holds the free-list link. */
		unsigned long from = ALIGN_UP((unsigned long)(h + 1), 4096UL);
		unsigned long to = ((unsigned long)(h + 1) + size) & ~4095UL;

		if (to > from)
			madvise((void *)from, to - from, MADV_DONTNEED);
	}
	host_push(cls, h);
	return HOST_FREED;
}

void host_free(void *p)
{
	switch (host_free_quiet(p)) {
	case HOST_FREED:
		return;
	case HOST_NOT_A_BLOCK:
		kmm_bug("host_free: %p is not a block of host memory", p);
		return;
	case HOST_DOUBLE_FREE:
		kmm_bug("host_free: double free of %p", p);
		return;
	}
}

void *host_realloc(void *p, size_t size)
{
	size_t old;
	void *q;

	if (!p)
		return host_alloc(size);
	old = host_usable_size(p);
	if (!old) {
		kmm_bug("host_realloc: %p is not a live block of host memory", p);
		errno = EINVAL;
		return NULL;
	}
	if (size <= old && size >= old / 2)
		return p;
	q = host_alloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, MIN(old, size));
	host_free(p);
	return q;
}

char *host_strdup(const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = host_alloc(len);

	return p ? memcpy(p, s, len) : NULL;
}
