/* kmm-stress: the torture program's shared pieces.
 *
 * Glossary:
 *   worker   a pthread standing in for one CPU (kmm_cpu_bind); it runs the
 *            step of every selected case in turn, and is re-created every
 *            --thread-life seconds so threads come and go
 *   irq      a pthread bound to a CPU that fires --irq-rate times a second,
 *            each firing inside kmm_irq_enter()/kmm_irq_exit(), where the
 *            cases' irq steps allocate only with GFP_ATOMIC
 *   case     one workload (pages, pressure, slab, ...) chosen by --cases
 *   obj      a memory block the program owns: kind, address, size and the
 *            seed of its payload; every obj is stamped when allocated and
 *            checked before it is freed (obj.c)
 *   ring     a per-CPU queue of objs handed over by other CPUs, which the
 *            receiving CPU frees (remote frees)
 *   violation a failed invariant: printed at once, counted, and the run
 *            exits non-zero with the seed to reproduce it */
#ifndef KMM_STRESS_H
#define KMM_STRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <kmm/kmm.h>

#define STRESS_MAX_CPUS		256
#define STRESS_MAX_IRQS		64
#define STRESS_MAX_CASES	16

/* Relaxed counters shared with the status thread. */
#define stat_add(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define stat_get(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define stat_set(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELAXED)

struct stress_opts {
	int cpus;
	int irqs;
	int irq_rate;		/* firings per second per irq thread */
	double seconds;
	double thread_life;	/* seconds a worker lives before it is replaced */
	unsigned long mem;	/* bytes */
	uint64_t seed;
	bool layout32;
	bool quiet;		/* no status lines */
};

extern struct stress_opts opts;
extern bool stress_layout32;
/* Set when the run is ending: workers and irq threads leave their loops. */
extern int stress_stop;

/* xorshift64*: each thread has its own state, seeded from --seed. */
static inline uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline unsigned int rnd_below(uint64_t *s, unsigned int n)
{
	return n ? (unsigned int)((rnd_next(s) >> 32) % n) : 0;
}

static inline bool rnd_chance(uint64_t *s, unsigned int percent)
{
	return rnd_below(s, 100) < percent;
}

uint64_t seed_mix(uint64_t a, uint64_t b);

struct worker {
	int id;			/* worker slot, or irq index for irq threads */
	int cpu;
	bool irq;
	uint64_t rng;
	unsigned int generation;
	void *state[STRESS_MAX_CASES];	/* per-case, per-thread state */
	unsigned long ops[STRESS_MAX_CASES];	/* stat_add by the owner */
};

struct stress_case {
	const char *name;
	const char *help;
	bool default_on;
	/* After boot, before any thread starts. Non-zero aborts the run. */
	int (*setup)(void);
	/* Per-thread state (workers and irq threads). */
	void *(*thread_init)(struct worker *w);
	/* Task context: a bounded burst of operations. */
	void (*step)(struct worker *w, void *st);
	/* Interrupt context: GFP_ATOMIC only. */
	void (*irq_step)(struct worker *w, void *st);
	/* Frees everything the thread still holds. */
	void (*thread_exit)(struct worker *w, void *st);
	/* After every thread is gone and the rings are drained. */
	void (*teardown)(void);
};

/* Registered cases and the selected ones (cases.c). */
extern const struct stress_case *const stress_cases[];
extern int stress_nr_cases;
extern bool case_enabled[STRESS_MAX_CASES];
int case_index(const char *name);
static inline bool case_on(const char *name)
{
	int i = case_index(name);

	return i >= 0 && case_enabled[i];
}

/* ---- invariants and counters (main.c) ---- */

/* A failed invariant: printed (the first ones), counted, fails the run. */
void violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned long violations(void);
/* An allowed allocation failure (GFP_NOWAIT/ATOMIC under pressure, costly
 * orders, OOM): counted per case. */
void count_fail(int case_idx);
void count_atomic_fail(void);

/* A zone as zoneinfo (and pagetypeinfo, when `usable`) show it. */
struct zone_view {
	char name[16];
	long free, min, high, managed;
	long protection[4];
	int nr_prot;
	long usable;		/* free pages outside HighAtomic/Isolate blocks */
};
int parse_zones(struct zone_view *zv, int max, bool usable);

/* Fault injection (fail_page_alloc=, failslab=): a failure is injected
 * when this thread's count of injected failures moved since a mark taken
 * before the allocation. Such a failure is counted (apart), never a
 * violation. */
unsigned long injected_mark(void);
bool injected_since(unsigned long mark);

/* Called when an order-0 GFP_ATOMIC page allocation failed: unless the
 * failure was injected (mark from before the allocation), checks the
 * zones' free pages against the atomic reserve floor (main.c), with a
 * second attempt between two looks. Returns the page if that attempt
 * succeeded, else NULL. */
struct page *atomic_fail_check(gfp_t gfp, unsigned long mark);

/* ---- objects (obj.c) ---- */

enum obj_kind {
	OBJ_NONE,
	OBJ_PAGES,	/* alloc_pages: page + order */
	OBJ_FREE_PAGES,	/* __get_free_pages: addr + order */
	OBJ_EXACT,	/* alloc_pages_exact: addr + size */
	OBJ_KMALLOC,
	OBJ_CACHE,	/* kmem_cache_alloc: cache */
	OBJ_VMALLOC,
	OBJ_KVMALLOC,
	OBJ_KINDS
};

struct obj {
	void *addr;		/* NULL for HighMem pages not mapped */
	struct page *page;	/* OBJ_PAGES */
	void *cache;		/* OBJ_CACHE: struct kmem_cache * */
	size_t size;		/* bytes (pages: PAGE_SIZE << order) */
	uint64_t seed;
	uint16_t kind;
	uint16_t order;
	uint16_t cpu;		/* allocating CPU */
	uint16_t flags;
};

#define OBJ_F_CTOR	0x1	/* cache object with a constructor mark */

#define MAGIC_LIVE	0x4b4d4d4c49564521ULL	/* "KMMLIVE!" */
#define MAGIC_DEAD	0x4b4d4d4445414421ULL	/* "KMMDEAD!" */
#define MAGIC_PAGE	0x4b4d4d5041474521ULL	/* per-page stamp */
#define MAGIC_RCU	0x4b4d4d5243555021ULL	/* RCU-published object */

/* Fills the header and the seeded payload; reports a violation when the
 * block still carries a live header (two owners). */
void obj_stamp(struct obj *o, uint64_t *rng);
/* Checks the header and payload; a violation when they differ. */
bool obj_check(const struct obj *o, const char *when);
/* Turns the header dead (for frees obj_free does not make). */
void obj_mark_dead(const struct obj *o);
/* Checks, marks dead and frees by kind. */
void obj_free(struct obj *o);
/* A zeroed block really is zero (first and last bytes of each page). */
bool obj_check_zero(const struct obj *o);
/* Payload helpers for kinds that keep their own bookkeeping. */
void payload_fill(void *p, size_t size, uint64_t seed);
bool payload_check(const void *p, size_t size, uint64_t seed, const char *what);

/* ---- rings: remote frees (ring.c) ---- */

int rings_init(int nr_cpus);
/* Hands `o` to CPU `cpu`, which frees it; false when its ring is full. */
bool ring_push(int cpu, const struct obj *o);
/* Frees up to `max` objs handed to `cpu`; returns how many. */
int ring_drain(int cpu, int max);
void rings_drain_all(void);
void rings_exit(void);

/* ---- kmm internals the teardown uses (main.c) ---- */
void stress_reclaim_all(void);

/* ---- helpers ---- */
/* The page `i` pages after `page` (struct page is opaque here). */
static inline struct page *page_nth(const struct page *page, unsigned long i)
{
	return pfn_to_page(page_to_pfn(page) + i);
}

const char *gfp_zone_name(gfp_t gfp);
unsigned long budget_pages(void);	/* pages one worker may hold */

#endif
