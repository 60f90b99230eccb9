/* Reading a trace: every line is parsed (bad ones reported with their
 * number and skipped), then the events are put in one order, allocations
 * are paired with frees, and each traced CPU gets its stream of ops.
 *
 * Order. Each CPU's events keep the order of the file (a timestamp below
 * its CPU's previous one is raised to it and counted); CPUs are merged by
 * timestamp, ties in file order. Pairing walks that merged order, so a
 * free always comes after its allocation in it: the replay's rule that an
 * op waits only for ops earlier in this order cannot deadlock (engine.c).
 *
 * Pairing. Slab objects pair by pointer, page blocks by pfn (a free of a
 * pfn inside a live block frees that part; the block goes when all of it
 * has). A free of something not allocated in the trace is unmatched (it
 * was allocated before the trace began). An allocation at a pointer or
 * pfn that is still live means its free was not traced (bulk frees have
 * no event): the old one is freed there, on that CPU, and counted.
 *
 * The kernel's own pages. The page allocator's events include the pages
 * that SLUB takes for new slabs and kmalloc takes above 8 KiB; kmm makes
 * those itself when it replays the slab events, so replaying them as page
 * allocations too would count that memory twice. They are told apart by
 * address: with unhashed pointers, an object's pointer minus the traced
 * kernel's direct-map base is its physical address, which lies in a live
 * traced page block. The base is found by a vote: a slab allocation right
 * after a page allocation on the same CPU is often an object of that new
 * slab, and (pointer - pfn * PAGE_SIZE) rounded down to the block size is
 * then the base; the commonest value wins when it has at least 3 votes
 * and twice the next one's. Without it (hashed pointers) every page
 * event is replayed. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"
#include "map.h"
#include "mem.h"

#define RP_MAX_ORDER		10	/* kmm's MAX_PAGE_ORDER */
#define RP_ZERO_SIZE_PTR	16

struct gop {
	uint32_t ev;
	uint32_t slot;
	uint8_t type;
};

struct loader {
	struct rp_trace *tr;
	const struct rp_load_opts *o;
	struct rp_event *ev;
	size_t nr_ev, cap_ev;
	uint32_t *order;
	size_t cap_order;
	struct gop *gops;
	size_t nr_gops, cap_gops;
	struct rp_map objs, pages, cache_of_name, kpair_of, kclass_of;
	unsigned int nr_bad_msgs;
	struct rp_names unknown_seen;
	size_t cap_caches, cap_kpairs, cap_kclasses;
};

/* Small arrays (caches, kmalloc sizes) stay in the heap; big ones in
 * mappings (mem.h). */
static void *grow_array(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 64;

	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p)
		abort();
	*cap = n;
	return p;
}

static __attribute__((format(printf, 3, 4)))
void msg(struct loader *l, unsigned long line, const char *fmt, ...)
{
	va_list ap;

	if (!l->o->msg)
		return;
	if (line)
		fprintf(l->o->msg, "kmm-replay: %s:%lu: ", l->tr->path, line);
	else
		fprintf(l->o->msg, "kmm-replay: %s: ", l->tr->path);
	va_start(ap, fmt);
	vfprintf(l->o->msg, fmt, ap);
	va_end(ap);
	fputc('\n', l->o->msg);
}

static void parser_note(void *arg, unsigned long line, const char *text)
{
	msg(arg, line, "%s", text);
}

const char *rp_cache_name(const struct rp_trace *tr, uint32_t cache)
{
	if (cache == RP_NONE || cache >= tr->nr_caches)
		return "-";
	return tr->names.str[tr->caches[cache].name];
}

/* ---- reading ---- */

static void count_ctx(struct rp_counts *c, const struct rp_ctx *x)
{
	if (!x->known)
		return;
	c->ctx_known++;
	c->ctx_irq[x->irq]++;
	c->ctx_irqs_off += x->irqs_off;
	c->ctx_bh_off += x->bh_off;
	c->ctx_preempt += x->preempt != 0;
}

static int read_events(struct loader *l, const char *path, char *err, size_t err_len)
{
	struct rp_trace *tr = l->tr;
	struct rp_counts *c = &tr->c;
	struct rp_parser p = { .names = &tr->names, .note = parser_note, .note_arg = l };
	struct rp_input *in = rp_input_open(path, err, err_len);
	unsigned long lineno = 0, lost;
	unsigned int max = l->o->max_messages ? l->o->max_messages : 20;
	size_t len;
	bool complete;
	char *line, why[200];

	if (!in)
		return -1;
	snprintf(tr->codec, sizeof(tr->codec), "%s", rp_input_codec(in));
	while ((line = rp_input_line(in, &len, &complete))) {
		struct rp_event ev;
		enum rp_line r;

		lineno++;
		c->lines++;
		if (!complete) {
			c->truncated_last = true;
			msg(l, lineno, "truncated last line (no newline at the end): skipped");
			break;
		}
		r = rp_parse_line(&p, line, lineno, &ev, &lost, why, sizeof(why));
		switch (r) {
		case RP_LINE_EVENT:
			rp_big_reserve((void **)&l->ev, &l->cap_ev, l->nr_ev + 1, sizeof(*l->ev));
			l->ev[l->nr_ev++] = ev;
			c->events[ev.kind]++;
			count_ctx(c, &ev.ctx);
			break;
		case RP_LINE_SKIP:
			c->skipped++;
			break;
		case RP_LINE_LOST:
			c->lost_events += lost;
			msg(l, lineno, "%lu events lost by the tracer here: their allocations and "
			    "frees are unmatched", lost);
			break;
		case RP_LINE_OTHER:
			c->other++;
			break;
		case RP_LINE_UNKNOWN: {
			uint32_t before = l->unknown_seen.nr;

			c->unknown++;
			rp_name_intern(&l->unknown_seen, why, strlen(why));
			if (l->unknown_seen.nr != before && before < max)
				msg(l, lineno, "unknown event '%s': skipped (its other lines are "
				    "counted, not shown)", why);
			break;
		}
		case RP_LINE_BAD:
			c->malformed++;
			if (l->nr_bad_msgs < max)
				msg(l, lineno, "malformed line: %s: skipped", why);
			else if (l->nr_bad_msgs == max)
				msg(l, lineno, "more malformed lines: counted, not shown");
			l->nr_bad_msgs++;
			break;
		}
		if (l->o->limit && l->nr_ev == l->o->limit) {
			c->limited = l->o->limit;
			break;
		}
	}
	if (rp_input_error(in)[0])
		msg(l, lineno, "%s after this line: the rest of the trace is lost",
		    rp_input_error(in));
	rp_input_close(in);
	rp_parser_free(&p);
	return 0;
}

/* ---- order ---- */

static const struct rp_event *sort_events;

static int cmp_order(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (sort_events[x].ts != sort_events[y].ts)
		return sort_events[x].ts < sort_events[y].ts ? -1 : 1;
	return x < y ? -1 : x > y;
}

static uint32_t *merge_cpus(struct loader *l)
{
	struct rp_trace *tr = l->tr;
	uint64_t *last = calloc(tr->nr_cpus ? tr->nr_cpus : 1, sizeof(*last));
	uint32_t *order;
	bool said = false;

	rp_big_reserve((void **)&l->order, &l->cap_order, l->nr_ev, sizeof(*l->order));
	order = l->order;
	if (!last)
		abort();
	for (size_t i = 0; i < l->nr_ev; i++) {
		struct rp_event *e = &l->ev[i];

		if (e->ts < last[e->cpu]) {
			if (!said)
				msg(l, e->line, "CPU %d's timestamp goes back: kept in the file's order "
				    "(more such lines are counted)", e->cpu);
			said = true;
			e->ts = last[e->cpu];
			tr->c.backwards_ts++;
		}
		last[e->cpu] = e->ts;
		order[i] = (uint32_t)i;
	}
	free(last);
	sort_events = l->ev;
	qsort(order, l->nr_ev, sizeof(*order), cmp_order);
	return order;
}

/* ---- the direct-map base ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void find_direct_map(struct loader *l, const uint32_t *order)
{
	struct rp_trace *tr = l->tr;
	uint32_t *prev = malloc(tr->nr_cpus * sizeof(*prev));
	uint64_t *votes = NULL, max_ptr = 0, best = 0;
	size_t nr = 0, cap = 0, best_n = 0, second_n = 0;

	if (!prev)
		abort();
	memset(prev, 0xff, tr->nr_cpus * sizeof(*prev));
	for (size_t i = 0; i < l->nr_ev; i++) {
		const struct rp_event *e = &l->ev[order[i]];
		uint32_t pi = prev[e->cpu];

		prev[e->cpu] = order[i];
		if ((e->kind != RP_KMALLOC && e->kind != RP_CACHE_ALLOC) || e->addr <= RP_ZERO_SIZE_PTR)
			continue;
		if (e->addr > max_ptr)
			max_ptr = e->addr;
		if (pi == UINT32_MAX || l->ev[pi].kind != RP_PAGE_ALLOC || l->ev[pi].null_page ||
		    l->ev[pi].order > RP_MAX_ORDER)
			continue;
		uint64_t size = RP_PAGE_SIZE << l->ev[pi].order;

		rp_big_reserve((void **)&votes, &cap, nr + 1, sizeof(*votes));
		votes[nr++] = (e->addr - (l->ev[pi].addr << 12)) & ~(size - 1);
	}
	/* %p hashes to 32 bits unless nohash-ptr is set */
	tr->ptrs_hashed = max_ptr && max_ptr <= UINT32_MAX;
	if (nr)
		qsort(votes, nr, sizeof(*votes), cmp_u64);
	for (size_t i = 0; i < nr;) {
		size_t j = i;

		while (j < nr && votes[j] == votes[i])
			j++;
		if (j - i > best_n) {
			second_n = best_n;
			best_n = j - i;
			best = votes[i];
		} else if (j - i > second_n) {
			second_n = j - i;
		}
		i = j;
	}
	if (!tr->ptrs_hashed && best_n >= 3 && best_n >= 2 * second_n) {
		tr->direct_map = best;
		tr->direct_map_known = true;
	}
	rp_big_free(votes, cap, sizeof(*votes));
	free(prev);
}

/* ---- pairing ---- */

static uint32_t new_slot(struct loader *l, uint8_t kind, const struct rp_event *e)
{
	struct rp_trace *tr = l->tr;
	struct rp_slot *s;

	if (tr->nr_slots >= UINT32_MAX - 1)
		abort();
	rp_big_reserve((void **)&tr->slots, &tr->cap_slots, tr->nr_slots + 1, sizeof(*tr->slots));
	s = &tr->slots[tr->nr_slots];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->gfp = e->gfp;
	s->line = e->line;
	s->cache = RP_NONE;
	if (kind == RP_SLOT_PAGES) {
		s->order = e->order;
		s->bytes_alloc = e->order <= RP_MAX_ORDER ? (uint32_t)(RP_PAGE_SIZE << e->order) : 0;
		if (e->order > RP_MAX_ORDER)
			s->skip = RP_SKIP_ORDER;
	} else {
		s->bytes_req = e->bytes_req;
		s->bytes_alloc = e->bytes_alloc;
	}
	return (uint32_t)tr->nr_slots++;
}

static void add_gop(struct loader *l, uint32_t ev, uint32_t slot, uint8_t type)
{
	rp_big_reserve((void **)&l->gops, &l->cap_gops, l->nr_gops + 1, sizeof(*l->gops));
	l->gops[l->nr_gops++] = (struct gop){ .ev = ev, .slot = slot, .type = type };
	if (type == RP_OP_FREE)
		l->tr->slots[slot].free_line = l->ev[ev].line;
}

static uint32_t cache_for(struct loader *l, const struct rp_event *e)
{
	struct rp_trace *tr = l->tr;
	uint32_t name = e->name, idx;
	struct rp_cache *c;

	if (name == RP_NONE) {
		/* kernels before the name field: a cache per object layout */
		char syn[48];
		int n = snprintf(syn, sizeof(syn), "cache-%u-%u", e->bytes_req, e->bytes_alloc);

		name = rp_name_intern(&tr->names, syn, (size_t)n);
	}
	if (rp_map_get(&l->cache_of_name, name, &idx)) {
		c = &tr->caches[idx];
		if (c->object_size != e->bytes_req || c->slot_size != e->bytes_alloc) {
			if (!c->size_varies)
				msg(l, e->line, "cache %s: objects of %u/%u bytes here, %u/%u at line %u "
				    "(merged caches?): kmm's gets the larger", tr->names.str[name],
				    e->bytes_req, e->bytes_alloc, c->object_size, c->slot_size,
				    c->first_line);
			c->size_varies = true;
			if (e->bytes_req > c->object_size)
				c->object_size = e->bytes_req;
			if (e->bytes_alloc > c->slot_size)
				c->slot_size = e->bytes_alloc;
		}
		return idx;
	}
	tr->caches = grow_array(tr->caches, &l->cap_caches, tr->nr_caches + 1, sizeof(*tr->caches));
	c = &tr->caches[tr->nr_caches];
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->object_size = e->bytes_req;
	c->slot_size = e->bytes_alloc;
	c->first_line = e->line;
	rp_map_put(&l->cache_of_name, name, tr->nr_caches);
	return tr->nr_caches++;
}

static void note_kpair(struct loader *l, const struct rp_event *e)
{
	struct rp_trace *tr = l->tr;
	uint64_t key = (uint64_t)e->bytes_req << 32 | e->bytes_alloc;
	uint32_t idx;

	if (!rp_map_get(&l->kpair_of, key, &idx)) {
		tr->kpairs = grow_array(tr->kpairs, &l->cap_kpairs, tr->nr_kpairs + 1,
					sizeof(*tr->kpairs));
		idx = tr->nr_kpairs++;
		tr->kpairs[idx] = (struct rp_kpair){ .bytes_req = e->bytes_req,
			.bytes_alloc = e->bytes_alloc, .first_line = e->line };
		rp_map_put(&l->kpair_of, key, idx);
	}
	tr->kpairs[idx].count++;
}

/* The live page block holding `pfn`: its slot, and its head in *head. */
static uint32_t find_block(struct loader *l, uint64_t pfn, uint64_t *head)
{
	uint32_t s;

	for (unsigned int o = 0; o <= RP_MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);

		if (rp_map_get(&l->pages, h, &s) && h + (1ULL << l->tr->slots[s].order) > pfn) {
			*head = h;
			return s;
		}
	}
	return RP_NONE;
}

/* A new block over live ones: their frees were not traced. */
static void free_overlapped(struct loader *l, uint32_t ev, uint64_t pfn, unsigned int order)
{
	uint64_t head, n = 1ULL << (order > RP_MAX_ORDER ? RP_MAX_ORDER : order);
	uint32_t s = find_block(l, pfn, &head);

	if (s != RP_NONE) {
		add_gop(l, ev, s, RP_OP_FREE);
		rp_map_del(&l->pages, head);
		l->tr->c.untraced_frees[1]++;
	}
	for (uint64_t p = pfn + 1; p < pfn + n; p++) {
		if (rp_map_get(&l->pages, p, &s)) {
			add_gop(l, ev, s, RP_OP_FREE);
			rp_map_del(&l->pages, p);
			l->tr->c.untraced_frees[1]++;
		}
	}
}

/* An object in a live traced page block: that block held a slab (or was
 * a large kmalloc's) and is not replayed as pages. */
static void classify_page(struct loader *l, const struct rp_event *e)
{
	struct rp_trace *tr = l->tr;
	uint64_t off, head;
	uint32_t s;

	if (!tr->direct_map_known || e->addr < tr->direct_map)
		return;
	off = e->addr - tr->direct_map;
	if (off >> 52)
		return;
	s = find_block(l, off >> 12, &head);
	if (s == RP_NONE || tr->slots[s].skip != RP_REPLAYED)
		return;
	if (e->kind == RP_KMALLOC && e->bytes_alloc > RP_KMALLOC_MAX_CACHE_SIZE && off == head << 12)
		tr->slots[s].skip = RP_SKIP_LARGE_KMALLOC;
	else
		tr->slots[s].skip = RP_SKIP_SLAB_PAGES;
}

static void pair_event(struct loader *l, uint32_t i)
{
	struct rp_trace *tr = l->tr;
	struct rp_counts *c = &tr->c;
	const struct rp_event *e = &l->ev[i];
	uint32_t s;
	uint64_t head;

	switch (e->kind) {
	case RP_KMALLOC:
	case RP_CACHE_ALLOC:
		if (!e->addr) {
			c->traced_failures++;
			return;
		}
		if (e->addr <= RP_ZERO_SIZE_PTR) {
			c->zero_size++;
			return;
		}
		if (rp_map_get(&l->objs, e->addr, &s)) {
			add_gop(l, i, s, RP_OP_FREE);
			c->untraced_frees[0]++;
		}
		s = new_slot(l, e->kind == RP_KMALLOC ? RP_SLOT_KMALLOC : RP_SLOT_CACHE, e);
		if (e->kind == RP_CACHE_ALLOC)
			tr->slots[s].cache = cache_for(l, e);
		else
			note_kpair(l, e);
		add_gop(l, i, s, RP_OP_ALLOC);
		rp_map_put(&l->objs, e->addr, s);
		classify_page(l, e);
		return;
	case RP_KFREE:
	case RP_CACHE_FREE:
		if (e->addr <= RP_ZERO_SIZE_PTR) {
			c->noop_frees++;
			return;
		}
		if (!rp_map_get(&l->objs, e->addr, &s)) {
			c->unmatched_frees[0]++;
			return;
		}
		add_gop(l, i, s, RP_OP_FREE);
		rp_map_del(&l->objs, e->addr);
		c->matched_frees++;
		return;
	case RP_PAGE_ALLOC:
		if (e->null_page) {
			c->traced_failures++;
			return;
		}
		free_overlapped(l, i, e->addr, e->order);
		s = new_slot(l, RP_SLOT_PAGES, e);
		add_gop(l, i, s, RP_OP_ALLOC);
		rp_map_put(&l->pages, e->addr, s);
		return;
	case RP_PAGE_FREE:
		s = find_block(l, e->addr, &head);
		if (s == RP_NONE) {
			c->unmatched_frees[1]++;
			return;
		}
		struct rp_slot *sl = &tr->slots[s];

		if (head != e->addr || e->order < sl->order) {
			/* a split block (alloc_pages_exact, split_page) freed in parts */
			c->split_frees++;
			sl->pages_freed += (uint16_t)(e->order <= RP_MAX_ORDER ? 1u << e->order : 0);
			if (sl->pages_freed < (1u << sl->order))
				return;
		}
		add_gop(l, i, s, RP_OP_FREE);
		rp_map_del(&l->pages, head);
		c->matched_frees++;
		return;
	}
}

/* ---- streams ---- */

static struct rp_kclass *kclass_for(struct loader *l, uint32_t size)
{
	struct rp_trace *tr = l->tr;
	uint32_t idx;

	if (!rp_map_get(&l->kclass_of, size, &idx)) {
		tr->kclasses = grow_array(tr->kclasses, &l->cap_kclasses, tr->nr_kclasses + 1,
					  sizeof(*tr->kclasses));
		idx = tr->nr_kclasses++;
		tr->kclasses[idx] = (struct rp_kclass){ .size = size };
		rp_map_put(&l->kclass_of, size, idx);
	}
	return &tr->kclasses[idx];
}

static void emit(struct loader *l)
{
	struct rp_trace *tr = l->tr;
	struct rp_counts *c = &tr->c;
	uint64_t live_bytes = 0, live_pages = 0;

	tr->streams = calloc(tr->nr_cpus ? tr->nr_cpus : 1, sizeof(*tr->streams));
	if (!tr->streams)
		abort();
	tr->nr_streams = tr->nr_cpus;
	for (unsigned int i = 0; i < tr->nr_cpus; i++)
		tr->streams[i].cpu = (int)i;
	for (size_t g = 0; g < l->nr_gops; g++) {
		const struct gop *o = &l->gops[g];
		const struct rp_event *e = &l->ev[o->ev];
		struct rp_slot *s = &tr->slots[o->slot];
		struct rp_stream *st = &tr->streams[e->cpu];
		bool alloc = o->type == RP_OP_ALLOC;
		int64_t d = alloc ? 1 : -1;

		if (s->skip) {
			if (alloc)
				c->skipped_slots[s->skip]++;
			continue;
		}
		rp_big_reserve((void **)&st->ops, &st->cap, st->nr + 1, sizeof(*st->ops));
		st->ops[st->nr++] = (struct rp_op){
			.ts = e->ts, .slot = o->slot, .line = e->line, .type = o->type,
			.irq = e->ctx.irq, .irqs_off = e->ctx.irqs_off, .bh_off = e->ctx.bh_off,
			.preempt = e->ctx.preempt,
		};
		c->ops++;
		c->irq_ops += e->ctx.irq != RP_IRQ_NONE;
		live_bytes += (uint64_t)d * s->bytes_alloc;
		if (live_bytes > c->peak_live_bytes)
			c->peak_live_bytes = live_bytes;
		if (s->kind == RP_SLOT_PAGES) {
			live_pages += (uint64_t)d << s->order;
			if (live_pages > c->peak_live_pages)
				c->peak_live_pages = live_pages;
		} else if (s->kind == RP_SLOT_CACHE) {
			struct rp_cache *ca = &tr->caches[s->cache];

			ca->allocs += alloc;
			ca->frees += !alloc;
			ca->live += (uint64_t)d;
			if (ca->live > ca->peak)
				ca->peak = ca->live;
		} else {
			struct rp_kclass *k = kclass_for(l, s->bytes_alloc);

			k->allocs += alloc;
			k->live += (uint64_t)d;
			if (k->live > k->peak)
				k->peak = k->live;
		}
	}
	for (size_t i = 0; i < tr->nr_slots; i++)
		if (!tr->slots[i].skip && !tr->slots[i].free_line)
			c->live_end[tr->slots[i].kind]++;
}

/* The align (and constructor) that makes SLUB's slot for an object of
 * `obj` bytes `slot` bytes: the object rounded to a word, a free pointer
 * after it when there is a constructor, all rounded to the alignment. */
static bool cache_layout(uint32_t obj, uint32_t slot, uint32_t *align, bool *ctor)
{
	for (uint32_t a = 8; a <= 4096; a *= 2) {
		for (int c = 0; c < 2; c++) {
			uint64_t s = ((uint64_t)obj + 7) / 8 * 8 + (c ? 8 : 0);

			s = (s + a - 1) / a * a;
			if (s == slot) {
				*align = a;
				*ctor = c;
				return true;
			}
		}
	}
	return false;
}

int rp_load(struct rp_trace *tr, const char *path, const struct rp_load_opts *o,
	    char *err, size_t err_len)
{
	struct loader l = { .tr = tr, .o = o };
	uint32_t *order;
	int max_cpu = -1;

	memset(tr, 0, sizeof(*tr));
	tr->path = strdup(path);
	if (!tr->path)
		abort();
	if (read_events(&l, path, err, err_len)) {
		rp_big_free(l.ev, l.cap_ev, sizeof(*l.ev));
		rp_names_free(&l.unknown_seen);
		return -1;
	}
	rp_names_free(&l.unknown_seen);
	for (size_t i = 0; i < l.nr_ev; i++)
		if (l.ev[i].cpu > max_cpu)
			max_cpu = l.ev[i].cpu;
	tr->nr_cpus = (unsigned int)(max_cpu + 1);
	order = merge_cpus(&l);
	if (l.nr_ev) {
		tr->first_ts = l.ev[order[0]].ts;
		tr->last_ts = l.ev[order[l.nr_ev - 1]].ts;
	}
	find_direct_map(&l, order);
	rp_map_init(&l.objs);
	rp_map_init(&l.pages);
	rp_map_init(&l.cache_of_name);
	rp_map_init(&l.kpair_of);
	rp_map_init(&l.kclass_of);
	for (size_t i = 0; i < l.nr_ev; i++)
		pair_event(&l, order[i]);
	emit(&l);
	for (uint32_t i = 0; i < tr->nr_caches; i++) {
		struct rp_cache *c = &tr->caches[i];

		c->layout_found = cache_layout(c->object_size, c->slot_size, &c->align, &c->ctor);
		if (!c->layout_found) {
			c->align = 8;
			msg(&l, c->first_line, "cache %s: a %u-byte slot for %u-byte objects is no "
			    "layout kmm makes (slab debugging in the traced kernel?): kmm's slot "
			    "will differ", tr->names.str[c->name], c->slot_size, c->object_size);
		}
	}
	rp_map_free(&l.objs);
	rp_map_free(&l.pages);
	rp_map_free(&l.cache_of_name);
	rp_map_free(&l.kpair_of);
	rp_map_free(&l.kclass_of);
	rp_big_free(l.order, l.cap_order, sizeof(*l.order));
	rp_big_free(l.gops, l.cap_gops, sizeof(*l.gops));
	rp_big_free(l.ev, l.cap_ev, sizeof(*l.ev));
	return 0;
}

void rp_trace_free(struct rp_trace *tr)
{
	for (unsigned int i = 0; i < tr->nr_streams; i++)
		rp_big_free(tr->streams[i].ops, tr->streams[i].cap, sizeof(*tr->streams[i].ops));
	free(tr->streams);
	rp_big_free(tr->slots, tr->cap_slots, sizeof(*tr->slots));
	free(tr->caches);
	free(tr->kclasses);
	free(tr->kpairs);
	free(tr->path);
	rp_names_free(&tr->names);
	memset(tr, 0, sizeof(*tr));
}
