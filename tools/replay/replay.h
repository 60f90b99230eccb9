/* A loaded trace (load.c), its replay (engine.c through a backend) and
 * the report (report.c). See trace.h for the glossary. */
#ifndef RP_REPLAY_H
#define RP_REPLAY_H

#include <stdatomic.h>
#include <stdio.h>
#include "trace.h"

enum rp_slot_kind { RP_SLOT_KMALLOC, RP_SLOT_CACHE, RP_SLOT_PAGES, RP_NR_SLOT_KINDS };

/* Why a slot's ops are left out of the replay. */
enum rp_skip {
	RP_REPLAYED,
	RP_SKIP_SLAB_PAGES,	/* the kernel's pages under a slab of the trace */
	RP_SKIP_LARGE_KMALLOC,	/* the pages of a kmalloc above 8 KiB */
	RP_SKIP_ORDER,		/* an order above kmm's MAX_PAGE_ORDER */
};

struct rp_slot {
	uint32_t bytes_req;
	uint32_t bytes_alloc;	/* slab: traced; pages: PAGE_SIZE << order */
	uint32_t gfp;
	uint32_t cache;		/* rp_trace.caches index, or RP_NONE */
	uint32_t line;		/* the alloc event's line */
	uint32_t free_line;	/* 0 while live; the line that freed it */
	uint16_t pages_freed;	/* parts of a split page block freed so far */
	uint8_t kind;		/* enum rp_slot_kind */
	uint8_t order;
	uint8_t skip;		/* enum rp_skip */
};

enum rp_op_type { RP_OP_ALLOC, RP_OP_FREE };

struct rp_op {
	uint64_t ts;
	uint32_t slot;
	uint32_t line;
	uint8_t type;		/* enum rp_op_type */
	uint8_t irq;		/* enum rp_irq */
	uint8_t irqs_off;
	uint8_t bh_off;
	uint8_t preempt;
};

struct rp_stream {
	int cpu;
	struct rp_op *ops;
	size_t nr, cap;
};

/* A kmem_cache of the trace, and the layout that gives kmm the traced
 * slot size (align, and a constructor when the free pointer must go
 * after the object, as for the kernel's caches with a ctor or
 * SLAB_TYPESAFE_BY_RCU). */
struct rp_cache {
	uint32_t name;		/* rp_names id */
	uint32_t object_size;	/* traced bytes_req */
	uint32_t slot_size;	/* traced bytes_alloc */
	uint32_t align;
	bool ctor;
	bool layout_found;
	bool size_varies;	/* merged caches of different sizes */
	uint32_t first_line;
	uint64_t allocs, frees;
	uint64_t live, peak;	/* objects allocated within the trace */
};

/* kmalloc by traced class (bytes_alloc). */
struct rp_kclass {
	uint32_t size;
	uint64_t allocs, live, peak;
};

/* A distinct (bytes_req, bytes_alloc) of the trace's kmalloc events. */
struct rp_kpair {
	uint32_t bytes_req, bytes_alloc;
	uint64_t count;
	uint32_t first_line;
};

struct rp_counts {
	/* reading */
	uint64_t lines, skipped, other, unknown, malformed, lost_events;
	uint64_t events[RP_NR_KINDS];
	bool truncated_last;
	uint64_t ctx_known, ctx_irq[6], ctx_irqs_off, ctx_bh_off, ctx_preempt;
	uint64_t backwards_ts;	/* a CPU's timestamp below its previous one */
	uint64_t limited;	/* events left unread by --limit */
	/* pairing */
	uint64_t matched_frees;
	uint64_t unmatched_frees[2];	/* [0] slab, [1] pages: allocated before the trace */
	uint64_t live_end[RP_NR_SLOT_KINDS];	/* replayed slots live at the end */
	uint64_t untraced_frees[2];	/* [0] slab, [1] pages: allocated again while live */
	uint64_t traced_failures;	/* NULL in the trace */
	uint64_t noop_frees;		/* kfree(NULL) or of ZERO_SIZE_PTR */
	uint64_t zero_size;		/* kmalloc(0) */
	uint64_t split_frees;		/* part of a page block freed apart */
	uint64_t skipped_slots[4];	/* by enum rp_skip */
	uint64_t ops, irq_ops;
	uint64_t peak_live_bytes;	/* replayed memory, at its traced peak */
	uint64_t peak_live_pages;
};

struct rp_trace {
	char *path;
	char codec[8];
	struct rp_names names;
	struct rp_slot *slots;
	size_t nr_slots, cap_slots;
	struct rp_stream *streams;	/* one per traced CPU, by CPU number */
	unsigned int nr_streams;
	unsigned int nr_cpus;		/* highest traced CPU + 1 */
	struct rp_cache *caches;
	uint32_t nr_caches;
	struct rp_kclass *kclasses;
	uint32_t nr_kclasses;
	struct rp_kpair *kpairs;
	uint32_t nr_kpairs;
	struct rp_counts c;
	uint64_t first_ts, last_ts;
	uint64_t direct_map;		/* the traced kernel's direct-map base */
	bool direct_map_known;
	bool ptrs_hashed;
};

struct rp_load_opts {
	FILE *msg;		/* where line messages go (NULL: nowhere) */
	unsigned int max_messages; /* of each kind, then only counted */
	uint64_t limit;		/* read at most this many events (0: all) */
};

/* Reads, pairs and splits into streams. 0, or -1 with err set (the file
 * cannot be read at all). */
int rp_load(struct rp_trace *tr, const char *path, const struct rp_load_opts *o,
	    char *err, size_t err_len);
void rp_trace_free(struct rp_trace *tr);
const char *rp_cache_name(const struct rp_trace *tr, uint32_t cache);

/* ---- the replay ---- */

/* A traced bytes_alloc that is not kmm's ksize (one entry per distinct). */
struct rp_mismatch {
	uint8_t kind;		/* enum rp_slot_kind */
	uint32_t cache;
	uint32_t bytes_req, traced, got;
	uint64_t count;
	uint32_t first_line;
};

/* Per-cache figures at the cache's peak, as slabinfo showed them. */
struct rp_slabinfo {
	uint64_t active_objs, num_objs, num_slabs;
	uint32_t objsize, objperslab, pagesperslab;
	bool seen;
};

struct rp_kclass_check {
	uint32_t req_min, req_max;	/* a run of bytes_req */
	uint32_t traced, kmm;
	uint64_t count;
};

enum rp_context_mode { RP_CONTEXT_FULL, RP_CONTEXT_IRQ, RP_CONTEXT_NONE };

struct rp_run_opts {
	bool use_malloc;
	uint64_t window_ns;
	enum rp_context_mode context;
	bool check_ksize;
	char cmdline[512];	/* kmm boot line; empty: sized from the trace */
	unsigned long mem_mb;	/* 0: sized from the trace */
	unsigned int sample_us;	/* slabinfo sampling period */
};

struct rp_result {
	const char *allocator;	/* "kmm" or "malloc" */
	char cmdline[600];
	uint64_t ops, allocs, frees, irq_ops;
	uint64_t alloc_failures;
	uint32_t failure_lines[8];
	unsigned int nr_failure_lines;
	uint64_t kmm_reports;
	long kmm_leaks;		/* kmm_exit()'s count; -1 in malloc mode */
	uint64_t live_freed;	/* live-at-end objects freed after the replay */
	double seconds;		/* wall time, first op to last */
	double cpu_seconds;	/* the replay threads' CPU time, summed */
	long baseline_rss_kb, peak_rss_kb;
	bool hwm_reset;		/* the peak is of the replay alone */
	uint64_t waits_window, waits_dependency;
	/* ksize */
	uint64_t ksize_checked;
	struct rp_mismatch *mismatches;
	uint32_t nr_mismatches;
	/* kmalloc classes probed before the replay */
	bool classes_checked;
	uint64_t classes_pairs;
	struct rp_kclass_check *class_diffs;
	uint32_t nr_class_diffs;
	/* per cache (rp_trace.caches order), and per kmalloc class */
	struct rp_slabinfo *cache_peak;
	uint32_t *cache_kmm_slot;	/* kmm's ksize of an object of the cache */
	struct rp_slabinfo *kclass_peak; /* rp_trace.kclasses order */
	uint64_t samples;
	char error[700];
};

int rp_replay(const struct rp_trace *tr, const struct rp_run_opts *o, struct rp_result *res);
/* "glibc", "jemalloc", "tcmalloc" or "mimalloc": whose malloc this is. */
const char *rp_malloc_name(void);
void rp_malloc_version(char *buf, size_t len);
void rp_result_free(struct rp_result *res);

/* 0 when everything the replay promises held (no failures, reports, leaks
 * or mismatches), else 1. */
int rp_verdict(const struct rp_trace *tr, const struct rp_result *res);
void rp_report_table(FILE *f, const struct rp_trace *tr, const struct rp_result *res,
		     const struct rp_run_opts *o);
void rp_report_json(FILE *f, const struct rp_trace *tr, const struct rp_result *res,
		    const struct rp_run_opts *o);
/* The benchmark driver's records (bench/README.md): one record, the
 * allocator named `label` (NULL: kmm, or the malloc that ran), the
 * pattern "replay/" and the trace file's name up to its first dot. */
void rp_report_records(FILE *f, const struct rp_trace *tr, const struct rp_result *res,
		       const char *label);

#endif
