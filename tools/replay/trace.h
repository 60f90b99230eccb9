/* kmm-replay's view of a kernel allocation trace (rp_: kmm-replay).
 *
 * Glossary:
 *   event   one parsed trace line: kmalloc, kfree, kmem_cache_alloc,
 *           kmem_cache_free, mm_page_alloc or mm_page_free(_batched), with
 *           its CPU, timestamp and context flags (struct rp_event).
 *   slot    one allocation of the trace, from its alloc event to the free
 *           that matched it by pointer (or pfn); what the replay allocates
 *           and frees (struct rp_slot).
 *   op      one step of a CPU's replay: allocate or free a slot, in the
 *           context the trace gives (struct rp_op).
 *   stream  one traced CPU's ops in trace order (struct rp_stream).
 *
 * The pipeline: input.c gives lines (plain, gzip, xz or zstd, file or
 * pipe), parse.c turns a line into an event, load.c reads them all, pairs
 * allocations with frees and builds the streams; engine.c replays the
 * streams through a backend (backend_kmm.c, backend_malloc.c); report.c
 * prints what happened. */
#ifndef RP_TRACE_H
#define RP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RP_NONE		UINT32_MAX
#define RP_PAGE_SIZE	4096UL
/* The kernel's largest kmalloc slab class; larger requests get pages. */
#define RP_KMALLOC_MAX_CACHE_SIZE 8192UL

enum rp_kind {
	RP_KMALLOC,
	RP_KFREE,
	RP_CACHE_ALLOC,
	RP_CACHE_FREE,
	RP_PAGE_ALLOC,
	RP_PAGE_FREE,
	RP_NR_KINDS
};

/* The hardirq/softirq column: what the CPU was running. */
enum rp_irq {
	RP_IRQ_NONE,		/* '.' */
	RP_IRQ_SOFT,		/* 's' */
	RP_IRQ_HARD,		/* 'h' */
	RP_IRQ_HARD_IN_SOFT,	/* 'H' */
	RP_IRQ_NMI,		/* 'z' */
	RP_IRQ_NMI_IN_HARD,	/* 'Z' */
};

/* The context columns (irqs-off, need-resched, hardirq/softirq,
 * preempt-depth, migrate-disable); known is false when the trace has none
 * (trace-cmd report without -l). */
struct rp_ctx {
	uint8_t known;
	uint8_t irqs_off;	/* 'd' or 'D' */
	uint8_t bh_off;		/* 'b' or 'D' */
	uint8_t irqs_unsupported; /* 'X' */
	uint8_t resched;	/* the need-resched character as printed */
	uint8_t irq;		/* enum rp_irq */
	uint8_t preempt;	/* preempt-depth, 0-15 */
	uint8_t migrate;	/* migrate-disable depth, 0-15 */
};

struct rp_event {
	uint64_t ts;		/* ns, or the raw count of a counter clock */
	uint64_t addr;		/* ptr= for slab events, pfn= for page events */
	uint32_t line;
	uint32_t bytes_req;
	uint32_t bytes_alloc;
	uint32_t gfp;		/* kmm's bits for the traced flags */
	uint32_t name;		/* cache name id (rp_names), RP_NONE if none */
	int32_t cpu;
	int32_t pid;		/* -1 if not printed */
	int16_t node;
	uint8_t kind;		/* enum rp_kind */
	uint8_t order;
	uint8_t has_alloc_sizes; /* bytes_req/bytes_alloc were printed */
	uint8_t null_page;	/* mm_page_alloc of a failed allocation */
	struct rp_ctx ctx;
};

/* Interned strings (cache names): id -> string. */
struct rp_names {
	char **str;
	uint32_t nr, cap;
	uint32_t *hash;		/* open addressing: id + 1, 0 empty */
	uint32_t hash_cap;
};
uint32_t rp_name_intern(struct rp_names *n, const char *s, size_t len);
void rp_names_free(struct rp_names *n);

/* ---- gfp.c: the GFP flags column ---- */
/* kmm's gfp bits for a printed flag list ("GFP_KERNEL|__GFP_ZERO", "none",
 * leftover hex). Names with no kmm counterpart are dropped; the first
 * unknown one is copied to `unknown` (empty when none). false if the text
 * is not a flag list at all. */
bool rp_gfp_parse(const char *s, size_t len, uint32_t *gfp, char *unknown, size_t unknown_len);
/* Printable form of kmm's bits, for reports. */
void rp_gfp_format(uint32_t gfp, char *buf, size_t len);

/* ---- parse.c: one line ---- */
enum rp_line {
	RP_LINE_EVENT,		/* *ev is filled */
	RP_LINE_SKIP,		/* blank, comment, header */
	RP_LINE_LOST,		/* "CPU:n [LOST m EVENTS]": *lost is m */
	RP_LINE_OTHER,		/* a kmem event that is not an allocation by a caller */
	RP_LINE_UNKNOWN,	/* another event: its name is in why */
	RP_LINE_BAD,		/* malformed: why says what */
};

struct rp_parser {
	struct rp_names *names;
	/* A non-fatal note on a line (an unknown GFP flag, first time each). */
	void (*note)(void *arg, unsigned long line, const char *msg);
	void *note_arg;
	char **gfp_seen;	/* unknown GFP names already noted */
	unsigned int nr_gfp_seen;
};

enum rp_line rp_parse_line(struct rp_parser *p, char *line, unsigned long lineno,
			   struct rp_event *ev, unsigned long *lost, char *why, size_t why_len);
/* Parses the context columns ("d..1.", "...."); false if malformed. */
bool rp_parse_ctx(const char *s, size_t len, struct rp_ctx *ctx);
void rp_parser_free(struct rp_parser *p);
const char *rp_kind_name(enum rp_kind k);

/* ---- input.c: lines of a file or pipe, decompressed ---- */
struct rp_input;
/* path "-" is standard input. NULL and a message in err on failure. */
struct rp_input *rp_input_open(const char *path, char *err, size_t err_len);
/* The next line, NUL-terminated without its newline (valid until the next
 * call); NULL at the end. *complete is false for a last line without a
 * newline. */
char *rp_input_line(struct rp_input *in, size_t *len, bool *complete);
const char *rp_input_codec(const struct rp_input *in);
/* After NULL: a read or decompression error ("" if none). */
const char *rp_input_error(const struct rp_input *in);
/* Stop at the next read (SIGINT while reading a live trace_pipe). */
void rp_input_interrupt(void);
void rp_input_close(struct rp_input *in);

#endif
