/* The allocation patterns, written once for every allocator.
 *
 * Each pattern is an always-inline function taking the allocator as a pair
 * of function pointers and a context; the callers pass constants, so after
 * inlining the calls are direct (no indirect call in the measured loop) and
 * kmm and each peer run exactly the same loop around their own calls.
 * Each returns the operations it ran (an alloc+free pair is one operation)
 * or -1 when an allocation failed (the run is then marked as an error). */
#ifndef KMM_BENCH_PATTERNS_H
#define KMM_BENCH_PATTERNS_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include "gbench.h"

#define PAT_INLINE static inline __attribute__((always_inline))

typedef void *(*pat_alloc_fn)(void *ctx, size_t size);
typedef void (*pat_free_fn)(void *ctx, void *p, size_t size);

/* Page patterns: order 9 (2 MiB) is slow for some peers (mmap each time). */
#define PAT_PAGE_BATCH(order) ((order) > 3 ? 32 : 1000)

/* Keeps the compiler from pairing up and deleting an alloc and its free. */
#define pat_escape(p) __asm__ volatile("" : : "r"(p) : "memory")

/* After a failed allocation the thread still runs out its iterations
 * (empty), so the other threads' stop barrier is reached. */
PAT_INLINE int64_t pat_fail(struct gb_state *st, int64_t n)
{
	while (gb_keep_running_batch(st, &n))
		;
	return -1;
}

/* Every object is written once, as a real user would. */
PAT_INLINE void pat_touch(void *p, int64_t v)
{
	*(volatile int64_t *)p = v;
	pat_escape(p);
}

/* alloc, touch, free: the fast path of every allocator. `batch` is the
 * operations between two calls into Google Benchmark: 1000 for nanosecond
 * paths, fewer for slow ones so the first trial of a run stays short. */
PAT_INLINE int64_t pat_pair(struct gb_state *st, pat_alloc_fn a, pat_free_fn f,
			    void *ctx, size_t size, int64_t batch)
{
	int64_t n = batch, ops = 0;

	while (gb_keep_running_batch(st, &n)) {
		for (int64_t i = 0; i < n; i++) {
			void *p = a(ctx, size);

			if (__builtin_expect(!p, 0))
				return pat_fail(st, n);
			pat_touch(p, i);
			f(ctx, p, size);
		}
		ops += n;
	}
	return ops;
}

#define PAT_BATCH 1000

/* Allocate PAT_BATCH objects, then free them in the same order (FIFO) or
 * the reverse (LIFO). */
PAT_INLINE int64_t pat_batch(struct gb_state *st, pat_alloc_fn a, pat_free_fn f,
			     void *ctx, size_t size, int lifo)
{
	void *v[PAT_BATCH];
	int64_t n = PAT_BATCH, ops = 0;

	while (gb_keep_running_batch(st, &n)) {
		for (int i = 0; i < PAT_BATCH; i++) {
			v[i] = a(ctx, size);
			if (__builtin_expect(!v[i], 0)) {
				while (i--)
					f(ctx, v[i], size);
				return pat_fail(st, n);
			}
			pat_touch(v[i], i);
		}
		if (lifo)
			for (int i = PAT_BATCH - 1; i >= 0; i--)
				f(ctx, v[i], size);
		else
			for (int i = 0; i < PAT_BATCH; i++)
				f(ctx, v[i], size);
		ops += PAT_BATCH;
	}
	return ops;
}

/* The kmalloc size mix: a fixed seeded sequence (bench_mix_init()), mostly
 * 8-512 bytes, some up to 8 KiB, shaped like a kernel's kmalloc traffic. */
#define PAT_MIX_LEN 4096
#define PAT_MIX_WINDOW 256
extern uint32_t pat_mix_sizes[PAT_MIX_LEN];
void pat_mix_init(void);

/* A window of PAT_MIX_WINDOW live objects: each operation frees the oldest
 * and allocates the next size of the sequence (each thread starts at its
 * own place in it). */
PAT_INLINE int64_t pat_mix(struct gb_state *st, pat_alloc_fn a, pat_free_fn f, void *ctx)
{
	void *w[PAT_MIX_WINDOW];
	uint32_t ws[PAT_MIX_WINDOW];
	uint32_t k = (uint32_t)gb_thread_index(st) * 997u;
	int64_t n = 1024, ops = 0;

	for (int i = 0; i < PAT_MIX_WINDOW; i++) {
		ws[i] = pat_mix_sizes[k++ % PAT_MIX_LEN];
		w[i] = a(ctx, ws[i]);
		if (!w[i]) {
			while (i--)
				f(ctx, w[i], ws[i]);
			return pat_fail(st, n);
		}
	}
	while (gb_keep_running_batch(st, &n)) {
		for (int64_t i = 0; i < n; i++) {
			unsigned int j = (unsigned int)i % PAT_MIX_WINDOW;

			f(ctx, w[j], ws[j]);
			ws[j] = pat_mix_sizes[k++ % PAT_MIX_LEN];
			w[j] = a(ctx, ws[j]);
			if (__builtin_expect(!w[j], 0)) {
				ops = pat_fail(st, n);
				goto out;
			}
			pat_touch(w[j], i);
		}
		ops += n;
	}
out:
	for (int i = 0; i < PAT_MIX_WINDOW; i++)
		if (w[i])
			f(ctx, w[i], ws[i]);
	return ops;
}

/* Producer/consumer: single-producer single-consumer rings, one per pair of
 * threads; thread i < T/2 allocates into ring i, thread i + T/2 frees what
 * it takes out, so every free is a remote free. Both run the same number of
 * iterations, so the rings are empty at the end of each run.
 *
 * Each side publishes its index every PAT_PUBLISH objects (and always
 * before it waits), so the ring costs a shared cache line per 32 objects,
 * not per object: the allocator's remote free is what is measured. */
#define PAT_RING 1024
#define PAT_PUBLISH 32
#define PAT_MAX_THREADS 64

struct pat_ring {
	_Alignas(64) uint64_t head;	/* written by the producer */
	_Alignas(64) uint64_t tail;	/* written by the consumer */
	_Alignas(64) void *slot[PAT_RING];
};
extern struct pat_ring pat_rings[PAT_MAX_THREADS / 2];

/* Waiting on a ring: spin briefly, then yield (threads outnumber cores). */
PAT_INLINE void pat_wait(unsigned int *spins)
{
	if (++*spins > 64) {
		sched_yield();
		*spins = 0;
	} else {
		__builtin_ia32_pause();
	}
}

PAT_INLINE int64_t pat_prodcons(struct gb_state *st, pat_alloc_fn a, pat_free_fn f,
				void *ctx, size_t size)
{
	int t = gb_thread_index(st), half = gb_thread_count(st) / 2;
	int64_t n = 256, ops = 0;
	unsigned int spins = 0;
	int failed = 0;

	if (t >= 2 * half) {	/* an odd thread out just runs the clock */
		while (gb_keep_running_batch(st, &n))
			;
		return 0;
	}
	if (t < half) {
		struct pat_ring *r = &pat_rings[t];
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

		while (gb_keep_running_batch(st, &n)) {
			for (int64_t i = 0; i < n; i++) {
				void *p = a(ctx, size);

				/* On failure pass NULL on: the consumer must
				 * still see as many items as it waits for. */
				if (__builtin_expect(!p, 0))
					failed = 1;
				else
					pat_touch(p, i);
				if (head - tail >= PAT_RING) {
					__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
					while ((tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE)) +
					       PAT_RING <= head)
						pat_wait(&spins);
				}
				r->slot[head++ % PAT_RING] = p;
				if (head % PAT_PUBLISH == 0)
					__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
			}
			ops += n;
		}
		__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
	} else {
		struct pat_ring *r = &pat_rings[t - half];
		uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

		while (gb_keep_running_batch(st, &n)) {
			for (int64_t i = 0; i < n; i++) {
				void *p;

				if (head == tail) {
					__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
					while ((head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE)) == tail)
						pat_wait(&spins);
				}
				p = r->slot[tail++ % PAT_RING];
				if (p)
					f(ctx, p, size);
				if (tail % PAT_PUBLISH == 0)
					__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
			}
		}
		__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	}
	return failed ? -1 : ops;
}

/* Large areas (vmalloc, mmap, big malloc): allocate, write one byte per
 * 4 KiB page (each page touched once), free. */
PAT_INLINE int64_t pat_big(struct gb_state *st, pat_alloc_fn a, pat_free_fn f,
			   void *ctx, size_t size)
{
	/* Batches of about 1 MiB per thread, so that the first, short trial
	 * of a run with many threads stays short. */
	int64_t n = size >= (1u << 20) ? 1 : (int64_t)((1u << 20) / size), ops = 0;

	while (gb_keep_running_batch(st, &n)) {
		for (int64_t i = 0; i < n; i++) {
			char *p = a(ctx, size);

			if (__builtin_expect(!p, 0))
				return pat_fail(st, n);
			for (size_t off = 0; off < size; off += 4096)
				((volatile char *)p)[off] = (char)i;
			f(ctx, p, size);
		}
		ops += n;
	}
	return ops;
}

/* The callgrind mode's loop: alloc, touch, free, `iters` times. */
PAT_INLINE void pat_cg_pair(pat_alloc_fn a, pat_free_fn f, void *ctx, size_t size, long iters)
{
	for (long i = 0; i < iters; i++) {
		void *p = a(ctx, size);

		if (__builtin_expect(!p, 0))
			return;
		pat_touch(p, i);
		f(ctx, p, size);
	}
}

/* pat_batch() for callgrind: `iters` operations in rounds of PAT_BATCH,
 * freed FIFO. */
PAT_INLINE void pat_cg_batch(pat_alloc_fn a, pat_free_fn f, void *ctx, size_t size, long iters)
{
	void *v[PAT_BATCH];

	for (long done = 0; done < iters; done += PAT_BATCH) {
		for (int i = 0; i < PAT_BATCH; i++) {
			v[i] = a(ctx, size);
			if (__builtin_expect(!v[i], 0))
				return;
			pat_touch(v[i], i);
		}
		for (int i = 0; i < PAT_BATCH; i++)
			f(ctx, v[i], size);
	}
}

/* pat_mix() for callgrind: the window filled, then `iters` operations,
 * each freeing the oldest object and allocating the next size, then the
 * window freed. The fill and the final free are a fixed cost that the
 * difference of two runs cancels. */
PAT_INLINE void pat_cg_mix(pat_alloc_fn a, pat_free_fn f, void *ctx, long iters)
{
	void *w[PAT_MIX_WINDOW];
	uint32_t ws[PAT_MIX_WINDOW];
	uint32_t k = 0;

	for (int i = 0; i < PAT_MIX_WINDOW; i++) {
		ws[i] = pat_mix_sizes[k++ % PAT_MIX_LEN];
		w[i] = a(ctx, ws[i]);
		if (__builtin_expect(!w[i], 0))
			return;
	}
	for (long i = 0; i < iters; i++) {
		unsigned int j = (unsigned int)i % PAT_MIX_WINDOW;

		f(ctx, w[j], ws[j]);
		ws[j] = pat_mix_sizes[k++ % PAT_MIX_LEN];
		w[j] = a(ctx, ws[j]);
		if (__builtin_expect(!w[j], 0))
			return;
		pat_touch(w[j], i);
	}
	for (int i = 0; i < PAT_MIX_WINDOW; i++)
		f(ctx, w[i], ws[i]);
}

#endif
