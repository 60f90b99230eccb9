/* The replay: one thread per traced CPU, each running its CPU's ops in
 * the trace's order, in the traced context.
 *
 * Cross-CPU order (the window). Each thread publishes the timestamp of
 * the next op it has not yet run (its progress; the maximum when it is
 * done). An op at time t waits until every other thread's progress is at
 * least t - window: no CPU runs more than `window` of trace time ahead of
 * another, and ops closer than that in time may interleave either way.
 * window 0 runs ops in timestamp order (equal times in either order).
 * A free also waits until its allocation has run (its slot holds a
 * handle, stored with release and read with acquire, which also orders
 * the allocating thread's writes to the object before the free).
 *
 * Why this cannot deadlock: load.c numbers all ops in one order (by
 * timestamp, each CPU's in its own order) in which every free follows its
 * allocation. The pending op first in that order has the least timestamp
 * of all pending ops, so its window holds, and its allocation, being
 * earlier, has run; so it can always run.
 *
 * Contexts. Consecutive ops of one context run inside one entry into it,
 * as one interrupt or one irqs-off section did: hard and soft interrupts
 * (and NMIs) through irq_enter/exit, nested ones ('H', 'Z') twice;
 * irqs-off through irqs_save/restore; preemption and BH disabled through
 * preempt_disable (BH-disabled code is atomic for sleeping allocations,
 * as in the kernel).
 *
 * Shared state: the slot handles (acquire/release), the progress words
 * (acquire/release, one cache line each), the ready and done counters.
 * Each thread's counts are its own until the main thread joins it. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "backend.h"
#include "mem.h"

/* Slot handles besides real ones: not yet allocated (0), allocation failed,
 * freed. */
#define RP_FAILED	((uintptr_t)1)
#define RP_FREED	((uintptr_t)2)

struct rp_progress {
	_Atomic uint64_t next_ts;
	char pad[64 - sizeof(uint64_t)];
};

struct ctx_state {
	uint8_t irq, irqs_off, preempt;
	unsigned long flags;
};

struct rp_worker {
	struct rp_engine *e;
	struct rp_shared *sh;
	const struct rp_stream *st;
	unsigned int idx;
	pthread_t thread;
	struct ctx_state ctx;
	uint64_t min_seen;
	/* counts, read by the main thread after the join */
	uint64_t ops, allocs, frees, irq_ops, failures, waits_window, waits_dep;
	uint64_t ksize_checked;
	uint64_t end_ns;		/* when its last op was done */
	uint64_t cpu_ns;		/* its CPU time over the replay */
	uint32_t failure_lines[8];
	unsigned int nr_failure_lines;
	struct rp_mismatch *mm;
	uint32_t nr_mm, cap_mm;
};

struct rp_shared {
	_Atomic uintptr_t *obj;		/* per slot: 0, a handle, RP_FAILED or RP_FREED */
	struct rp_progress *progress;
	unsigned int nr;
	_Atomic unsigned int ready, done;
	_Atomic int go;
	_Atomic int cancel;		/* a thread could not start: run nothing */
};

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Waiting for another CPU's thread, which is most often running and
 * about to get there: a short spin first, then the host CPU is given
 * up (there may be more traced CPUs than host ones). */
static void wait_a_little(unsigned int *spins)
{
	if (++*spins < 256) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	sched_yield();
}

/* ---- contexts ---- */

static unsigned int irq_depth(uint8_t irq)
{
	return irq == RP_IRQ_NONE ? 0 : (irq == RP_IRQ_HARD_IN_SOFT || irq == RP_IRQ_NMI_IN_HARD) ? 2 : 1;
}

static void ctx_leave(struct rp_worker *w)
{
	const struct rp_backend *be = w->e->be;

	if (w->ctx.irqs_off)
		be->irqs_restore(w->ctx.flags);
	for (unsigned int i = 0; i < w->ctx.preempt; i++)
		be->preempt_enable();
	for (unsigned int i = irq_depth(w->ctx.irq); i; i--)
		be->irq_exit();
	memset(&w->ctx, 0, sizeof(w->ctx));
}

static void ctx_switch(struct rp_worker *w, const struct rp_op *op)
{
	const struct rp_backend *be = w->e->be;
	enum rp_context_mode mode = w->e->o->context;
	struct ctx_state want = { 0 };

	if (!be->irq_enter || mode == RP_CONTEXT_NONE)
		return;
	want.irq = op->irq;
	if (mode == RP_CONTEXT_FULL) {
		want.irqs_off = op->irqs_off;
		want.preempt = (uint8_t)(op->preempt + op->bh_off);
	}
	if (want.irq == w->ctx.irq && want.irqs_off == w->ctx.irqs_off &&
	    want.preempt == w->ctx.preempt)
		return;
	ctx_leave(w);
	for (unsigned int i = irq_depth(want.irq); i; i--)
		be->irq_enter();
	for (unsigned int i = 0; i < want.preempt; i++)
		be->preempt_disable();
	if (want.irqs_off)
		want.flags = be->irqs_save();
	w->ctx = want;
}

/* ---- the threads ---- */

static uint64_t others_min(const struct rp_worker *w)
{
	uint64_t min = UINT64_MAX;

	for (unsigned int i = 0; i < w->sh->nr; i++) {
		if (i == w->idx)
			continue;
		uint64_t t = atomic_load_explicit(&w->sh->progress[i].next_ts, memory_order_acquire);

		if (t < min)
			min = t;
	}
	return min;
}

static void note_mismatch(struct rp_worker *w, const struct rp_slot *s, size_t got)
{
	for (uint32_t i = 0; i < w->nr_mm; i++) {
		struct rp_mismatch *m = &w->mm[i];

		if (m->kind == s->kind && m->cache == s->cache && m->bytes_req == s->bytes_req &&
		    m->traced == s->bytes_alloc && m->got == got) {
			m->count++;
			return;
		}
	}
	if (w->nr_mm == w->cap_mm) {
		uint32_t cap = w->cap_mm ? w->cap_mm * 2 : 16;
		struct rp_mismatch *n = realloc(w->mm, cap * sizeof(*n));

		if (!n)
			return;
		w->mm = n;
		w->cap_mm = cap;
	}
	w->mm[w->nr_mm++] = (struct rp_mismatch){ .kind = s->kind, .cache = s->cache,
		.bytes_req = s->bytes_req, .traced = s->bytes_alloc, .got = (uint32_t)got,
		.count = 1, .first_line = s->line };
}

/* Writes one byte in each page of the object, as its user would, so
 * that the resident set is the memory in use whatever the allocator. */
static void touch(void *mem, size_t size)
{
	for (size_t off = 0; off < size; off += RP_PAGE_SIZE)
		((volatile char *)mem)[off] = 1;
}

static void run_op(struct rp_worker *w, const struct rp_op *op)
{
	struct rp_engine *e = w->e;
	const struct rp_slot *s = &e->tr->slots[op->slot];
	_Atomic uintptr_t *slot = &w->sh->obj[op->slot];

	if (op->type == RP_OP_FREE) {
		uintptr_t h = atomic_load_explicit(slot, memory_order_acquire);

		if (!h) {
			unsigned int spins = 0;

			w->waits_dep++;
			while (!(h = atomic_load_explicit(slot, memory_order_acquire)))
				wait_a_little(&spins);
		}
		if (h == RP_FAILED)
			return;
		ctx_switch(w, op);
		e->be->free(e, s, (void *)h);
		atomic_store_explicit(slot, RP_FREED, memory_order_relaxed);
		w->frees++;
		return;
	}
	void *mem = NULL, *h;

	ctx_switch(w, op);
	h = e->be->alloc(e, s, &mem);
	w->allocs++;
	if (!h) {
		w->failures++;
		if (w->nr_failure_lines < 8)
			w->failure_lines[w->nr_failure_lines++] = op->line;
		atomic_store_explicit(slot, RP_FAILED, memory_order_release);
		return;
	}
	touch(mem, s->kind == RP_SLOT_PAGES ? s->bytes_alloc : s->bytes_req);
	if (e->o->check_ksize && s->kind != RP_SLOT_PAGES && e->be->obj_size) {
		size_t got = e->be->obj_size(s, h);

		if (got) {
			w->ksize_checked++;
			if (got != s->bytes_alloc)
				note_mismatch(w, s, got);
		}
	}
	atomic_store_explicit(slot, (uintptr_t)h, memory_order_release);
}

static void *worker_main(void *arg)
{
	struct rp_worker *w = arg;
	struct rp_engine *e = w->e;
	const struct rp_stream *st = w->st;
	uint64_t window = e->o->window_ns;

	e->be->thread_enter(e, st->cpu);
	atomic_fetch_add_explicit(&w->sh->ready, 1, memory_order_release);
	while (!atomic_load_explicit(&w->sh->go, memory_order_acquire))
		sched_yield();
	w->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; i < st->nr && !atomic_load_explicit(&w->sh->cancel, memory_order_relaxed); i++) {
		const struct rp_op *op = &st->ops[i];
		uint64_t need = op->ts > window ? op->ts - window : 0;

		if (need > w->min_seen) {
			w->min_seen = others_min(w);
			if (w->min_seen < need)
				w->waits_window++;
			for (unsigned int spins = 0; w->min_seen < need; w->min_seen = others_min(w))
				wait_a_little(&spins);
		}
		run_op(w, op);
		w->ops++;
		w->irq_ops += op->irq != RP_IRQ_NONE;
		atomic_store_explicit(&w->sh->progress[w->idx].next_ts,
				      i + 1 < st->nr ? st->ops[i + 1].ts : UINT64_MAX,
				      memory_order_release);
	}
	ctx_leave(w);
	w->end_ns = now_ns();
	w->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - w->cpu_ns;
	e->be->thread_exit(e);
	atomic_fetch_add_explicit(&w->sh->done, 1, memory_order_release);
	return NULL;
}

/* ---- resident set ---- */

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t n = strlen(key);
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			kb = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return kb;
}

/* Since Linux 4.0, "5" resets the peak resident set to the current one. */
static bool reset_hwm(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, "5", 1) == 1;
	close(fd);
	return ok;
}

static void merge_mismatch(struct rp_result *res, const struct rp_mismatch *m)
{
	for (uint32_t i = 0; i < res->nr_mismatches; i++) {
		struct rp_mismatch *r = &res->mismatches[i];

		if (r->kind == m->kind && r->cache == m->cache && r->bytes_req == m->bytes_req &&
		    r->traced == m->traced && r->got == m->got) {
			r->count += m->count;
			if (m->first_line < r->first_line)
				r->first_line = m->first_line;
			return;
		}
	}
	struct rp_mismatch *n = realloc(res->mismatches, (res->nr_mismatches + 1) * sizeof(*n));

	if (!n)
		return;
	res->mismatches = n;
	res->mismatches[res->nr_mismatches++] = *m;
}

int rp_replay(const struct rp_trace *tr, const struct rp_run_opts *o, struct rp_result *res)
{
	struct rp_engine e = { .tr = tr, .o = o, .res = res };
	struct rp_shared sh = { 0 };
	struct rp_worker *w;
	unsigned int nr = 0, k = 0;
	uint64_t t0, t1;
	size_t nr_live = 0, cap_obj = 0, cap_live = 0, cap_live_slots = 0;
	void **live = NULL;
	uint32_t *live_slots = NULL;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	e.be = o->use_malloc ? &rp_backend_malloc : &rp_backend_kmm;
	res->allocator = e.be->name;
	res->kmm_leaks = -1;
	for (unsigned int i = 0; i < tr->nr_streams; i++)
		nr += tr->streams[i].nr > 0;
	rp_big_reserve((void **)&sh.obj, &cap_obj, tr->nr_slots, sizeof(*sh.obj));
	sh.progress = aligned_alloc(64, (nr ? nr : 1) * sizeof(*sh.progress));
	w = calloc(nr ? nr : 1, sizeof(*w));
	if (!sh.progress || !w) {
		snprintf(res->error, sizeof(res->error), "out of memory for %u threads", nr);
		ret = -1;
		goto out;
	}
	/* From here the resident set is the allocator's and the replay's. */
	res->baseline_rss_kb = status_kb("VmRSS");
	res->hwm_reset = reset_hwm();
	if (e.be->setup(&e)) {
		ret = -1;
		goto out;
	}
	sh.nr = nr;
	for (unsigned int i = 0; i < tr->nr_streams; i++) {
		if (!tr->streams[i].nr)
			continue;
		w[k] = (struct rp_worker){ .e = &e, .sh = &sh, .st = &tr->streams[i], .idx = k };
		atomic_init(&sh.progress[k].next_ts, tr->streams[i].ops[0].ts);
		k++;
	}
	for (k = 0; k < nr; k++) {
		if (pthread_create(&w[k].thread, NULL, worker_main, &w[k])) {
			snprintf(res->error, sizeof(res->error), "cannot start thread %u of %u", k, nr);
			atomic_store_explicit(&sh.cancel, 1, memory_order_relaxed);
			nr = k;
			ret = -1;
			break;
		}
	}
	while (atomic_load_explicit(&sh.ready, memory_order_acquire) < nr)
		sched_yield();
	t0 = now_ns();
	atomic_store_explicit(&sh.go, 1, memory_order_release);
	while (atomic_load_explicit(&sh.done, memory_order_acquire) < nr) {
		struct timespec d = { 0, (long)(o->sample_us ? o->sample_us : 1000) * 1000 };

		if (e.be->sample)
			e.be->sample(&e);
		nanosleep(&d, NULL);
	}
	/* the time of the replay itself, not of the sampling loop's last sleep */
	t1 = t0;
	for (k = 0; k < nr; k++) {
		pthread_join(w[k].thread, NULL);
		if (w[k].end_ns > t1)
			t1 = w[k].end_ns;
	}
	res->seconds = (double)(t1 - t0) / 1e9;
	res->peak_rss_kb = status_kb("VmHWM");
	if (e.be->sample)
		e.be->sample(&e);
	for (k = 0; k < nr; k++) {
		res->ops += w[k].ops;
		res->allocs += w[k].allocs;
		res->frees += w[k].frees;
		res->irq_ops += w[k].irq_ops;
		res->alloc_failures += w[k].failures;
		res->waits_window += w[k].waits_window;
		res->waits_dependency += w[k].waits_dep;
		res->ksize_checked += w[k].ksize_checked;
		res->cpu_seconds += (double)w[k].cpu_ns / 1e9;
		for (unsigned int j = 0; j < w[k].nr_failure_lines && res->nr_failure_lines < 8; j++)
			res->failure_lines[res->nr_failure_lines++] = w[k].failure_lines[j];
		for (uint32_t j = 0; j < w[k].nr_mm; j++)
			merge_mismatch(res, &w[k].mm[j]);
		free(w[k].mm);
	}
	/* What the trace left live (and what a failed start left unrun). */
	rp_big_reserve((void **)&live, &cap_live, tr->nr_slots, sizeof(*live));
	rp_big_reserve((void **)&live_slots, &cap_live_slots, tr->nr_slots, sizeof(*live_slots));
	for (size_t i = 0; i < tr->nr_slots; i++) {
		uintptr_t h = atomic_load_explicit(&sh.obj[i], memory_order_acquire);

		if (h > RP_FREED) {
			live[nr_live] = (void *)h;
			live_slots[nr_live++] = (uint32_t)i;
		}
	}
	res->live_freed = nr_live;
	e.be->finish(&e, live, live_slots, nr_live);
	rp_big_free(live, cap_live, sizeof(*live));
	rp_big_free(live_slots, cap_live_slots, sizeof(*live_slots));
out:
	rp_big_free(sh.obj, cap_obj, sizeof(*sh.obj));
	free(sh.progress);
	free(w);
	return ret;
}

void rp_result_free(struct rp_result *res)
{
	free(res->mismatches);
	free(res->class_diffs);
	free(res->cache_peak);
	free(res->cache_kmm_slot);
	free(res->kclass_peak);
	memset(res, 0, sizeof(*res));
}
