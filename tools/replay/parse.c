/* One line of trace text into an event.
 *
 * The line formats read:
 *   tracefs trace / trace_pipe:
 *     "  comm-pid  [cpu] d..1.  sec.usec: event: key=value ..."
 *     with record-tgid "(tgid)" after comm-pid; 4 context columns before
 *     5.13 (no migrate-disable), 5 after; no context columns when
 *     context-info is off;
 *   trace-cmd report:  "  comm-pid  [cpu]  sec.usec: event:  (func) key=value ..."
 *   trace-cmd report -l:  "  comm-pid  <cpu><context>  sec.usec: event: ..."
 * The timestamp ("digits[.digits]:") followed by "event:" anchors the
 * line, so a command name with spaces reads too. A counter clock prints an
 * integer: it is kept as is (its unit is not known).
 *
 * The events, as printed by 6.x kernels (include/trace/events/kmem.h) and
 * older ones:
 *   kmalloc           call_site= ptr= bytes_req= bytes_alloc= gfp_flags=
 *                     [node=] [accounted=]    (kmalloc_node before 6.1)
 *   kmem_cache_alloc  call_site= ptr= [name=] bytes_req= bytes_alloc=
 *                     gfp_flags= [node=] [accounted=]
 *                     (kmem_cache_alloc_node before 6.1)
 *   kfree             call_site= ptr=
 *   kmem_cache_free   call_site= ptr= [name=]
 *   mm_page_alloc     page= pfn= order= migratetype= gfp_flags=
 *   mm_page_free      page= pfn= order=
 *   mm_page_free_batched  page= pfn= [order=0] ([cold=] before 4.15)
 * pfn is hex with 0x since 4.x, decimal before; ptr is hex with 0x from
 * trace-cmd, without from tracefs, and hashed unless nohash-ptr is set
 * (the pairing needs only equality). Keys not listed are ignored. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"

#define RP_MAX_TOKENS	96
#define RP_MAX_PAGE_ORDER 10

struct tok {
	char *s;
	size_t n;
};

static const char *const kind_names[RP_NR_KINDS] = {
	"kmalloc", "kfree", "kmem_cache_alloc", "kmem_cache_free", "mm_page_alloc", "mm_page_free",
};

const char *rp_kind_name(enum rp_kind k)
{
	return k < RP_NR_KINDS ? kind_names[k] : "?";
}

static const struct {
	const char *name;
	enum rp_kind kind;
} event_names[] = {
	{ "kmalloc", RP_KMALLOC },
	{ "kmalloc_node", RP_KMALLOC },
	{ "kfree", RP_KFREE },
	{ "kmem_cache_alloc", RP_CACHE_ALLOC },
	{ "kmem_cache_alloc_node", RP_CACHE_ALLOC },
	{ "kmem_cache_free", RP_CACHE_FREE },
	{ "mm_page_alloc", RP_PAGE_ALLOC },
	{ "mm_page_free", RP_PAGE_FREE },
	{ "mm_page_free_batched", RP_PAGE_FREE },
	{ "mm_page_free_direct", RP_PAGE_FREE },	/* mm_page_free before 3.3 */
	{ "mm_pagevec_free", RP_PAGE_FREE },		/* mm_page_free_batched before 3.3 */
};

/* kmem events that are the page allocator's own bookkeeping (pcp refills
 * and drains, fallbacks, setup) or counters, not allocations by callers. */
static const char *const other_kmem_events[] = {
	"mm_page_alloc_zone_locked", "mm_page_pcpu_drain", "mm_page_alloc_extfrag",
	"mm_setup_per_zone_wmarks", "mm_setup_per_zone_lowmem_reserve",
	"mm_calculate_totalreserve_pages", "rss_stat", "mm_alloc_contig_migrate_range_info",
};

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_hex_digit(char c)
{
	return isxdigit((unsigned char)c) != 0;
}

/* "123.456789:" -> ns (digits after the point scaled to 9), or a counter. */
static bool parse_timestamp(const struct tok *t, uint64_t *ts)
{
	const char *s = t->s, *dot;
	size_t n = t->n;
	uint64_t sec = 0, frac = 0;
	size_t fd;

	if (n < 2 || s[n - 1] != ':')
		return false;
	n--;
	dot = memchr(s, '.', n);
	if (!dot) {
		if (!all_digits(s, n) || n > 19)
			return false;
		*ts = strtoull(s, NULL, 10);
		return true;
	}
	fd = n - (size_t)(dot - s) - 1;
	if (!all_digits(s, (size_t)(dot - s)) || !all_digits(dot + 1, fd) || fd > 9 ||
	    dot - s > 10)
		return false;
	for (const char *p = s; p < dot; p++)
		sec = sec * 10 + (uint64_t)(*p - '0');
	for (size_t i = 0; i < 9; i++)
		frac = frac * 10 + (i < fd ? (uint64_t)(dot[1 + i] - '0') : 0);
	*ts = sec * 1000000000ULL + frac;
	return true;
}

bool rp_parse_ctx(const char *s, size_t n, struct rp_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	/* 4 columns before 5.13, 5 since; a sixth (preempt-lazy depth) on
	 * some real-time kernels. */
	if (n < 4 || n > 6)
		return false;
	switch (s[0]) {
	case 'd': ctx->irqs_off = 1; break;
	case 'D': ctx->irqs_off = 1; ctx->bh_off = 1; break;
	case 'b': ctx->bh_off = 1; break;
	case 'X': ctx->irqs_unsupported = 1; break;
	case '.': break;
	default: return false;
	}
	if (!strchr("NnpLlbB.", s[1]))
		return false;
	ctx->resched = (uint8_t)s[1];
	switch (s[2]) {
	case 'Z': ctx->irq = RP_IRQ_NMI_IN_HARD; break;
	case 'z': ctx->irq = RP_IRQ_NMI; break;
	case 'H': ctx->irq = RP_IRQ_HARD_IN_SOFT; break;
	case 'h': ctx->irq = RP_IRQ_HARD; break;
	case 's': ctx->irq = RP_IRQ_SOFT; break;
	case '.': ctx->irq = RP_IRQ_NONE; break;
	default: return false;
	}
	for (size_t i = 3; i < n; i++) {
		uint8_t v;

		if (s[i] == '.')
			v = 0;
		else if (is_hex_digit(s[i]))
			v = (uint8_t)strtoul((char[]){ s[i], 0 }, NULL, 16);
		else
			return false;
		if (i == 3)
			ctx->preempt = v;
		else if (i == 4)
			ctx->migrate = v;
	}
	ctx->known = 1;
	return true;
}

/* An unsigned number: decimal, or hex with 0x (or bare hex when hex). */
static bool parse_u64(const char *s, size_t n, bool hex, uint64_t *v)
{
	char buf[40], *end;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X')) {
		hex = true;
		if (!is_hex_digit(buf[2]))
			return false;
	}
	if (!isxdigit((unsigned char)buf[0]) || (!hex && !isdigit((unsigned char)buf[0])))
		return false;
	*v = strtoull(buf, &end, hex ? 16 : 10);
	return *end == '\0';
}

static bool parse_s64(const char *s, size_t n, int64_t *v)
{
	uint64_t u;

	if (n && s[0] == '-') {
		if (!parse_u64(s + 1, n - 1, false, &u))
			return false;
		*v = -(int64_t)u;
		return true;
	}
	if (!parse_u64(s, n, false, &u))
		return false;
	*v = (int64_t)u;
	return true;
}

/* A pointer column: hex with or without 0x, or the printers' NULLs. */
static bool parse_ptr(const char *s, size_t n, uint64_t *v)
{
	if ((n == 6 && !memcmp(s, "(null)", 6)) || (n == 5 && !memcmp(s, "(nil)", 5))) {
		*v = 0;
		return true;
	}
	return parse_u64(s, n, true, v);
}

static bool split_tokens(char *line, struct tok *t, int *nr)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == RP_MAX_TOKENS)
			return false;
		t[n].s = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		t[n].n = (size_t)(p - t[n].s);
		n++;
	}
	*nr = n;
	return true;
}

static void note_gfp(struct rp_parser *p, unsigned long lineno, const char *name)
{
	char msg[160];
	char **seen;

	for (unsigned int i = 0; i < p->nr_gfp_seen; i++)
		if (!strcmp(p->gfp_seen[i], name))
			return;
	seen = realloc(p->gfp_seen, (p->nr_gfp_seen + 1) * sizeof(*seen));
	if (!seen)
		return;
	p->gfp_seen = seen;
	p->gfp_seen[p->nr_gfp_seen] = strdup(name);
	if (!p->gfp_seen[p->nr_gfp_seen])
		return;
	p->nr_gfp_seen++;
	if (p->note) {
		snprintf(msg, sizeof(msg), "GFP flag '%s' is not known to kmm: ignored", name);
		p->note(p->note_arg, lineno, msg);
	}
}

#define WHY(...) do { snprintf(why, why_len, __VA_ARGS__); return RP_LINE_BAD; } while (0)

/* The fields after "event:", into *ev; RP_LINE_BAD with why if one that
 * this event needs is missing or malformed. */
static enum rp_line parse_fields(struct rp_parser *p, struct tok *t, int nr, unsigned long lineno,
				 struct rp_event *ev, char *why, size_t why_len)
{
	const char *ev_name = rp_kind_name(ev->kind);
	bool have_ptr = false, have_req = false, have_alloc = false, have_gfp = false;
	bool have_pfn = false, have_order = false, have_page = false;
	uint64_t page = 1;

	for (int i = 0; i < nr; i++) {
		char *eq = memchr(t[i].s, '=', t[i].n);
		const char *key = t[i].s, *val;
		size_t kn, vn;
		uint64_t u;
		int64_t sv;

		if (!eq)
			continue;	/* trace-cmd's "(func+off)" and the like */
		kn = (size_t)(eq - key);
		val = eq + 1;
		vn = t[i].n - kn - 1;
#define KEY(k) (kn == sizeof(k) - 1 && !memcmp(key, k, kn))
		if (KEY("ptr")) {
			if (!parse_ptr(val, vn, &ev->addr))
				WHY("%s: ptr=%.*s is not a pointer", ev_name, (int)vn, val);
			have_ptr = true;
		} else if (KEY("bytes_req") || KEY("bytes_alloc")) {
			if (!parse_u64(val, vn, false, &u) || u > UINT32_MAX)
				WHY("%s: %.*s is not a byte count", ev_name, (int)t[i].n, t[i].s);
			if (KEY("bytes_req")) {
				ev->bytes_req = (uint32_t)u;
				have_req = true;
			} else {
				ev->bytes_alloc = (uint32_t)u;
				have_alloc = true;
			}
		} else if (KEY("gfp_flags")) {
			char unknown[64];

			if (!rp_gfp_parse(val, vn, &ev->gfp, unknown, sizeof(unknown)))
				WHY("%s: gfp_flags=%.*s is not a flag list", ev_name, (int)vn, val);
			if (unknown[0])
				note_gfp(p, lineno, unknown);
			have_gfp = true;
		} else if (KEY("node")) {
			if (!parse_s64(val, vn, &sv) || sv < -1 || sv > 32767)
				WHY("%s: node=%.*s is not a node", ev_name, (int)vn, val);
			ev->node = (int16_t)sv;
		} else if (KEY("name")) {
			if (!vn)
				WHY("%s: empty name=", ev_name);
			ev->name = rp_name_intern(p->names, val, vn);
		} else if (KEY("pfn")) {
			if (!parse_u64(val, vn, false, &ev->addr))
				WHY("%s: pfn=%.*s is not a page frame number", ev_name, (int)vn, val);
			have_pfn = true;
		} else if (KEY("page")) {
			if (!parse_ptr(val, vn, &page))
				WHY("%s: page=%.*s is not a pointer", ev_name, (int)vn, val);
			have_page = true;
		} else if (KEY("order")) {
			if (!parse_u64(val, vn, false, &u) || u > 63)
				WHY("%s: order=%.*s is not an order", ev_name, (int)vn, val);
			ev->order = (uint8_t)u;
			have_order = true;
		}
#undef KEY
	}
	switch (ev->kind) {
	case RP_KMALLOC:
	case RP_CACHE_ALLOC:
		if (!have_ptr || !have_req || !have_alloc || !have_gfp)
			WHY("%s: missing %s", ev_name, !have_ptr ? "ptr=" : !have_req ? "bytes_req=" :
			    !have_alloc ? "bytes_alloc=" : "gfp_flags=");
		ev->has_alloc_sizes = 1;
		break;
	case RP_KFREE:
	case RP_CACHE_FREE:
		if (!have_ptr)
			WHY("%s: missing ptr=", ev_name);
		break;
	case RP_PAGE_ALLOC:
		if (!have_pfn || !have_order || !have_gfp)
			WHY("%s: missing %s", ev_name, !have_pfn ? "pfn=" : !have_order ? "order=" :
			    "gfp_flags=");
		/* A failed allocation prints a NULL page (and pfn 0). */
		ev->null_page = have_page && page == 0;
		break;
	case RP_PAGE_FREE:
		if (!have_pfn)
			WHY("%s: missing pfn=", ev_name);
		break;
	default:
		break;
	}
	return RP_LINE_EVENT;
}

enum rp_line rp_parse_line(struct rp_parser *p, char *line, unsigned long lineno,
			   struct rp_event *ev, unsigned long *lost, char *why, size_t why_len)
{
	struct tok t[RP_MAX_TOKENS];
	int nr, ts_i = -1, j;
	size_t len = strlen(line);
	char *lp;

	why[0] = '\0';
	memset(ev, 0, sizeof(*ev));
	ev->line = (uint32_t)lineno;
	ev->name = RP_NONE;
	ev->node = -1;
	ev->pid = -1;
	ev->cpu = -1;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		line[--len] = '\0';
	for (lp = line; *lp == ' ' || *lp == '\t'; lp++)
		;
	if (!*lp || *lp == '#')
		return RP_LINE_SKIP;
	/* trace-cmd's "cpus=N" and "version = N" headers */
	if (!strncmp(lp, "cpus=", 5) || !strncmp(lp, "version = ", 10))
		return RP_LINE_SKIP;
	{
		/* "CPU:1 [LOST 42 EVENTS]" (tracefs, trace-cmd) */
		const char *l = strstr(lp, "[LOST ");

		if (l && !strncmp(lp, "CPU", 3)) {
			*lost = strtoul(l + 6, NULL, 10);
			return RP_LINE_LOST;
		}
	}
	if (!split_tokens(line, t, &nr))
		WHY("too many words on the line");
	for (int i = 1; i + 1 < nr; i++) {
		if (t[i + 1].n > 1 && t[i + 1].s[t[i + 1].n - 1] == ':' &&
		    parse_timestamp(&t[i], &ev->ts)) {
			ts_i = i;
			break;
		}
	}
	if (ts_i < 0)
		WHY("no 'timestamp: event:' in the line");

	/* Before the timestamp: [cpu] and maybe context columns, or the
	 * latency format's <cpu><context>; then maybe (tgid); comm-pid. */
	j = ts_i - 1;
	if (t[j].s[0] != '[' && j >= 1 && t[j - 1].s[0] == '[') {
		if (!rp_parse_ctx(t[j].s, t[j].n, &ev->ctx))
			WHY("context columns '%.*s' are malformed", (int)t[j].n, t[j].s);
		j--;
	}
	if (t[j].s[0] == '[') {
		if (t[j].n < 3 || t[j].s[t[j].n - 1] != ']' || !all_digits(t[j].s + 1, t[j].n - 2))
			WHY("CPU column '%.*s' is malformed", (int)t[j].n, t[j].s);
		ev->cpu = atoi(t[j].s + 1);
		j--;
	} else if (isdigit((unsigned char)t[j].s[0])) {
		size_t d = 0;

		while (d < t[j].n && isdigit((unsigned char)t[j].s[d]))
			d++;
		if (d == t[j].n || !rp_parse_ctx(t[j].s + d, t[j].n - d, &ev->ctx))
			WHY("CPU and context columns '%.*s' are malformed", (int)t[j].n, t[j].s);
		ev->cpu = atoi(t[j].s);
		j--;
	}
	if (ev->cpu < 0 || ev->cpu > 65535)
		WHY("no CPU column before the timestamp");
	if (j >= 0 && t[j].s[t[j].n - 1] == ')') {
		while (j >= 0 && t[j].s[0] != '(')
			j--;
		j--;
	}
	if (j >= 0) {
		char *dash = NULL;

		for (size_t k = 0; k < t[j].n; k++)
			if (t[j].s[k] == '-')
				dash = t[j].s + k;
		if (dash && all_digits(dash + 1, t[j].n - (size_t)(dash + 1 - t[j].s)))
			ev->pid = atoi(dash + 1);
	}

	/* The event name. */
	{
		struct tok *e = &t[ts_i + 1];
		size_t n = e->n - 1;

		for (size_t i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++) {
			if (strlen(event_names[i].name) == n && !memcmp(event_names[i].name, e->s, n)) {
				ev->kind = (uint8_t)event_names[i].kind;
				return parse_fields(p, t + ts_i + 2, nr - ts_i - 2, lineno, ev, why,
						    why_len);
			}
		}
		for (size_t i = 0; i < sizeof(other_kmem_events) / sizeof(other_kmem_events[0]); i++)
			if (strlen(other_kmem_events[i]) == n && !memcmp(other_kmem_events[i], e->s, n))
				return RP_LINE_OTHER;
		snprintf(why, why_len, "%.*s", (int)n, e->s);
		return RP_LINE_UNKNOWN;
	}
}

void rp_parser_free(struct rp_parser *p)
{
	for (unsigned int i = 0; i < p->nr_gfp_seen; i++)
		free(p->gfp_seen[i]);
	free(p->gfp_seen);
	p->gfp_seen = NULL;
	p->nr_gfp_seen = 0;
}

/* ---- interned names ---- */

static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

uint32_t rp_name_intern(struct rp_names *nm, const char *s, size_t n)
{
	uint32_t h, i;

	if (nm->nr * 2 >= nm->hash_cap) {
		uint32_t cap = nm->hash_cap ? nm->hash_cap * 2 : 64;
		uint32_t *nh = calloc(cap, sizeof(*nh));

		if (!nh)
			abort();
		for (uint32_t k = 0; k < nm->nr; k++) {
			i = name_hash(nm->str[k], strlen(nm->str[k])) & (cap - 1);
			while (nh[i])
				i = (i + 1) & (cap - 1);
			nh[i] = k + 1;
		}
		free(nm->hash);
		nm->hash = nh;
		nm->hash_cap = cap;
	}
	h = name_hash(s, n);
	for (i = h & (nm->hash_cap - 1); nm->hash[i]; i = (i + 1) & (nm->hash_cap - 1)) {
		const char *c = nm->str[nm->hash[i] - 1];

		if (strlen(c) == n && !memcmp(c, s, n))
			return nm->hash[i] - 1;
	}
	if (nm->nr == nm->cap) {
		uint32_t cap = nm->cap ? nm->cap * 2 : 32;
		char **ns = realloc(nm->str, cap * sizeof(*ns));

		if (!ns)
			abort();
		nm->str = ns;
		nm->cap = cap;
	}
	nm->str[nm->nr] = strndup(s, n);
	if (!nm->str[nm->nr])
		abort();
	nm->hash[i] = nm->nr + 1;
	return nm->nr++;
}

void rp_names_free(struct rp_names *nm)
{
	for (uint32_t i = 0; i < nm->nr; i++)
		free(nm->str[i]);
	free(nm->str);
	free(nm->hash);
	memset(nm, 0, sizeof(*nm));
}
