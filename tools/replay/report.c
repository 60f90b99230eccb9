/* The report of a replay: a table for people, JSON for machines, the
 * same figures in both. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"

#define RP_TABLE_ROWS	40

static const char *const slot_kind_names[] = { "kmalloc", "kmem_cache", "pages" };
static const char *const irq_names[] = { "task", "softirq", "hardirq", "hardirq-in-softirq",
					 "nmi", "nmi-in-hardirq" };

int rp_verdict(const struct rp_trace *tr, const struct rp_result *res)
{
	(void)tr;
	if (res->alloc_failures || res->kmm_reports || res->kmm_leaks > 0 || res->nr_mismatches ||
	    res->nr_class_diffs || res->error[0])
		return 1;
	return 0;
}

static uint64_t page_frees(const struct rp_trace *tr)
{
	return tr->c.events[RP_PAGE_FREE];
}

static unsigned int replay_threads(const struct rp_trace *tr)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tr->nr_streams; i++)
		n += tr->streams[i].nr > 0;
	return n;
}

static double span_s(const struct rp_trace *tr)
{
	return (double)(tr->last_ts - tr->first_ts) / 1e9;
}

/* ---- table ---- */

static const struct rp_trace *sort_tr;

static int cmp_cache_allocs(const void *a, const void *b)
{
	const struct rp_cache *x = &sort_tr->caches[*(const uint32_t *)a];
	const struct rp_cache *y = &sort_tr->caches[*(const uint32_t *)b];

	return x->allocs < y->allocs ? 1 : x->allocs > y->allocs ? -1 : 0;
}

static int cmp_kclass_size(const void *a, const void *b)
{
	const struct rp_kclass *x = &sort_tr->kclasses[*(const uint32_t *)a];
	const struct rp_kclass *y = &sort_tr->kclasses[*(const uint32_t *)b];

	return x->size < y->size ? -1 : x->size > y->size;
}

static uint32_t *sorted(const struct rp_trace *tr, uint32_t nr, int (*cmp)(const void *, const void *))
{
	uint32_t *idx = malloc((nr ? nr : 1) * sizeof(*idx));

	if (!idx)
		return NULL;
	for (uint32_t i = 0; i < nr; i++)
		idx[i] = i;
	sort_tr = tr;
	qsort(idx, nr, sizeof(*idx), cmp);
	return idx;
}

static void slabinfo_cols(FILE *f, const struct rp_slabinfo *s)
{
	if (s && s->seen)
		fprintf(f, " %8" PRIu64 " %8" PRIu64 " %6" PRIu64 " %4u\n", s->active_objs,
			s->num_objs, s->num_slabs, s->pagesperslab);
	else
		fprintf(f, " %8s %8s %6s %4s\n", "-", "-", "-", "-");
}

void rp_report_table(FILE *f, const struct rp_trace *tr, const struct rp_result *res,
		     const struct rp_run_opts *o)
{
	const struct rp_counts *c = &tr->c;
	uint32_t *idx;

	fprintf(f, "kmm-replay: %s (%s): %u CPU%s, %.3f s of trace\n", tr->path, tr->codec,
		tr->nr_cpus, tr->nr_cpus == 1 ? "" : "s", span_s(tr));
	fprintf(f, "read:     %" PRIu64 " lines: kmalloc %" PRIu64 ", kfree %" PRIu64
		", kmem_cache_alloc %" PRIu64 ", kmem_cache_free %" PRIu64 ", mm_page_alloc %" PRIu64
		", mm_page_free %" PRIu64 "\n", c->lines, c->events[RP_KMALLOC], c->events[RP_KFREE],
		c->events[RP_CACHE_ALLOC], c->events[RP_CACHE_FREE], c->events[RP_PAGE_ALLOC],
		page_frees(tr));
	fprintf(f, "          skipped: %" PRIu64 " header lines, %" PRIu64 " other kmem events, %"
		PRIu64 " unknown events, %" PRIu64 " malformed lines%s; %" PRIu64
		" events lost by the tracer%s\n", c->skipped, c->other, c->unknown, c->malformed,
		c->truncated_last ? ", a truncated last line" : "", c->lost_events,
		c->limited ? " (stopped at --limit)" : "");
	if (c->ctx_known)
		fprintf(f, "contexts: %" PRIu64 " softirq, %" PRIu64 " hardirq, %" PRIu64 " NMI; %"
			PRIu64 " irqs off, %" PRIu64 " BH off, %" PRIu64 " preemption off\n",
			c->ctx_irq[RP_IRQ_SOFT], c->ctx_irq[RP_IRQ_HARD] + c->ctx_irq[RP_IRQ_HARD_IN_SOFT],
			c->ctx_irq[RP_IRQ_NMI] + c->ctx_irq[RP_IRQ_NMI_IN_HARD], c->ctx_irqs_off,
			c->ctx_bh_off, c->ctx_preempt);
	else
		fprintf(f, "contexts: none in the trace (trace-cmd report without -l?): all in task context\n");
	fprintf(f, "pairs:    %" PRIu64 " frees matched; unmatched: %" PRIu64 " slab and %" PRIu64
		" page frees of memory from before the trace, live at the end %" PRIu64
		" kmalloc, %" PRIu64 " cache objects, %" PRIu64 " page blocks\n", c->matched_frees,
		c->unmatched_frees[0], c->unmatched_frees[1], c->live_end[RP_SLOT_KMALLOC],
		c->live_end[RP_SLOT_CACHE], c->live_end[RP_SLOT_PAGES]);
	fprintf(f, "          frees not traced (address allocated again while live): %" PRIu64
		" slab, %" PRIu64 " pages; %" PRIu64 " page blocks freed in parts, %" PRIu64
		" traced allocation failures, %" PRIu64 " kmalloc(0), %" PRIu64 " frees of NULL\n",
		c->untraced_frees[0], c->untraced_frees[1], c->split_frees,
		c->traced_failures, c->zero_size, c->noop_frees);
	if (tr->direct_map_known)
		fprintf(f, "pages:    %" PRIu64 " blocks under slabs and %" PRIu64 " under large kmallocs"
			" of the trace left to kmm (direct map at %#" PRIx64 ")", c->skipped_slots[RP_SKIP_SLAB_PAGES],
			c->skipped_slots[RP_SKIP_LARGE_KMALLOC], tr->direct_map);
	else
		fprintf(f, "pages:    the kernel's slab pages not told apart (%s): all page events replayed",
			tr->ptrs_hashed ? "hashed pointers" : "no direct-map base found");
	fprintf(f, "; %" PRIu64 " above order 10 not replayed; peak %" PRIu64 " pages live\n",
		c->skipped_slots[RP_SKIP_ORDER], c->peak_live_pages);
	if (res->error[0])
		fprintf(f, "error:    %s\n", res->error);
	fprintf(f, "replay:   %s", res->allocator);
	if (res->cmdline[0])
		fprintf(f, " (%s)", res->cmdline);
	else
		fprintf(f, " (%s's)", rp_malloc_name());
	fprintf(f, ", %" PRIu64 " thread(s), window %.0f us: %" PRIu64 " ops (%" PRIu64
		" in interrupts) in %.3f s (%.3f s of CPU)\n", (uint64_t)replay_threads(tr),
		(double)o->window_ns / 1e3, res->ops, res->irq_ops, res->seconds, res->cpu_seconds);
	fprintf(f, "          allocation failures %" PRIu64, res->alloc_failures);
	for (unsigned int i = 0; i < res->nr_failure_lines; i++)
		fprintf(f, "%s%u", i ? "," : " (lines ", res->failure_lines[i]);
	fprintf(f, "%s", res->nr_failure_lines ? ")" : "");
	if (res->kmm_leaks >= 0)
		fprintf(f, ", kmm reports %" PRIu64 ", kmm_exit leaks %ld", res->kmm_reports,
			res->kmm_leaks);
	fprintf(f, " (after freeing the %" PRIu64 " live at the end)\n", res->live_freed);
	fprintf(f, "          peak RSS %ld kB, %ld kB above the loaded trace's %ld kB%s\n",
		res->peak_rss_kb, res->peak_rss_kb - res->baseline_rss_kb, res->baseline_rss_kb,
		res->hwm_reset ? "" : " (peak not reset: includes loading)");
	if (res->classes_checked) {
		if (!res->nr_class_diffs)
			fprintf(f, "kmalloc classes: the traced kernel's equal kmm's for all %" PRIu64
				" request sizes of the trace\n", res->classes_pairs);
		else
			fprintf(f, "kmalloc classes: the traced kernel's DIFFER from kmm's (replayed with"
				" kmm's, not remapped):\n");
		for (uint32_t i = 0; i < res->nr_class_diffs; i++) {
			const struct rp_kclass_check *d = &res->class_diffs[i];

			fprintf(f, "          kmalloc(%u..%u): %u bytes traced, %u in kmm (%" PRIu64
				" events)\n", d->req_min, d->req_max, d->traced, d->kmm, d->count);
		}
	}
	if (o->check_ksize && res->kmm_leaks >= 0) {
		fprintf(f, "ksize:    %" PRIu64 " objects checked, %s\n", res->ksize_checked,
			res->nr_mismatches ? "these differ from the traced bytes_alloc:" :
			"each equal to the traced bytes_alloc");
		for (uint32_t i = 0; i < res->nr_mismatches; i++) {
			const struct rp_mismatch *m = &res->mismatches[i];

			fprintf(f, "          %s %s bytes_req %u: traced %u, kmm %u (%" PRIu64
				" objects, first at line %u)\n", slot_kind_names[m->kind],
				rp_cache_name(tr, m->cache), m->bytes_req, m->traced, m->got, m->count,
				m->first_line);
		}
	}
	idx = sorted(tr, tr->nr_caches, cmp_cache_allocs);
	if (idx && tr->nr_caches) {
		fprintf(f, "\ncaches (traced: objects allocated in the trace; kmm: slabinfo when its "
			"active objects peaked)\n");
		fprintf(f, "%-26s %6s %5s %5s %8s %8s %7s | %8s %8s %6s %4s\n", "name", "object",
			"slot", "kmm", "allocs", "frees", "peak", "active", "total", "slabs", "pps");
		for (uint32_t r = 0; r < tr->nr_caches && r < RP_TABLE_ROWS; r++) {
			const struct rp_cache *ca = &tr->caches[idx[r]];

			fprintf(f, "%-26.26s %6u %5u %5u %8" PRIu64 " %8" PRIu64 " %7" PRIu64 " |",
				tr->names.str[ca->name], ca->object_size, ca->slot_size,
				res->cache_kmm_slot ? res->cache_kmm_slot[idx[r]] : 0, ca->allocs,
				ca->frees, ca->peak);
			slabinfo_cols(f, res->cache_peak ? &res->cache_peak[idx[r]] : NULL);
		}
		if (tr->nr_caches > RP_TABLE_ROWS)
			fprintf(f, "(%u more caches in --json)\n", tr->nr_caches - RP_TABLE_ROWS);
	}
	free(idx);
	idx = sorted(tr, tr->nr_kclasses, cmp_kclass_size);
	if (idx && tr->nr_kclasses) {
		fprintf(f, "\nkmalloc by traced class (kmm: its kmalloc-N, -rcl-N and dma- caches "
			"together)\n");
		fprintf(f, "%-26s %6s %5s %5s %8s %8s %7s | %8s %8s %6s %4s\n", "class", "", "", "",
			"allocs", "frees", "peak", "active", "total", "slabs", "pps");
		for (uint32_t r = 0; r < tr->nr_kclasses; r++) {
			const struct rp_kclass *k = &tr->kclasses[idx[r]];
			char name[32];

			snprintf(name, sizeof(name), "kmalloc-%u", k->size);
			fprintf(f, "%-26s %6s %5s %5s %8" PRIu64 " %8" PRIu64 " %7" PRIu64 " |", name,
				"", "", "", k->allocs, k->allocs - k->live, k->peak);
			slabinfo_cols(f, res->kclass_peak ? &res->kclass_peak[idx[r]] : NULL);
		}
	}
	free(idx);
	fprintf(f, "\nverdict: %s\n", rp_verdict(tr, res) ?
		"DIFFERENCES (see failures, reports, leaks, classes and ksize above)" :
		"0 allocation failures, 0 kmm reports, 0 leaks, every ksize as traced");
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_slabinfo(FILE *f, const struct rp_slabinfo *s)
{
	if (!s || !s->seen) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"active_objs\": %" PRIu64 ", \"num_objs\": %" PRIu64 ", \"objsize\": %u, "
		"\"objperslab\": %u, \"pagesperslab\": %u, \"num_slabs\": %" PRIu64 "}",
		s->active_objs, s->num_objs, s->objsize, s->objperslab, s->pagesperslab, s->num_slabs);
}

void rp_report_json(FILE *f, const struct rp_trace *tr, const struct rp_result *res,
		    const struct rp_run_opts *o)
{
	const struct rp_counts *c = &tr->c;

	fprintf(f, "{\n  \"trace\": {\"path\": ");
	json_str(f, tr->path);
	fprintf(f, ", \"codec\": \"%s\", \"cpus\": %u, \"span_s\": %.6f, \"lines\": %" PRIu64
		", \"events\": {\"kmalloc\": %" PRIu64 ", \"kfree\": %" PRIu64 ", \"kmem_cache_alloc\": %"
		PRIu64 ", \"kmem_cache_free\": %" PRIu64 ", \"mm_page_alloc\": %" PRIu64
		", \"mm_page_free\": %" PRIu64 "}, \"skipped_lines\": %" PRIu64 ", \"other_kmem_events\": %"
		PRIu64 ", \"unknown_events\": %" PRIu64 ", \"malformed_lines\": %" PRIu64
		", \"truncated_last_line\": %s, \"lost_events\": %" PRIu64 ", \"limit\": %" PRIu64
		", \"timestamps_backwards\": %" PRIu64 ", \"pointers_hashed\": %s},\n", tr->codec,
		tr->nr_cpus, span_s(tr), c->lines, c->events[RP_KMALLOC], c->events[RP_KFREE],
		c->events[RP_CACHE_ALLOC], c->events[RP_CACHE_FREE], c->events[RP_PAGE_ALLOC],
		page_frees(tr), c->skipped, c->other, c->unknown, c->malformed,
		c->truncated_last ? "true" : "false", c->lost_events, c->limited, c->backwards_ts,
		tr->ptrs_hashed ? "true" : "false");
	fprintf(f, "  \"contexts\": {\"known\": %" PRIu64, c->ctx_known);
	for (int i = 0; i < 6; i++)
		fprintf(f, ", \"%s\": %" PRIu64, irq_names[i], c->ctx_irq[i]);
	fprintf(f, ", \"irqs_off\": %" PRIu64 ", \"bh_off\": %" PRIu64 ", \"preempt_off\": %" PRIu64
		"},\n", c->ctx_irqs_off, c->ctx_bh_off, c->ctx_preempt);
	fprintf(f, "  \"pairs\": {\"matched_frees\": %" PRIu64 ", \"unmatched_frees\": {\"slab\": %"
		PRIu64 ", \"pages\": %" PRIu64 "}, \"live_at_end\": {\"kmalloc\": %" PRIu64
		", \"kmem_cache\": %" PRIu64 ", \"pages\": %" PRIu64 "}, \"untraced_frees\": {\"slab\": %" PRIu64 ", \"pages\": %" PRIu64 "}"
		", \"split_page_frees\": %" PRIu64 ", \"traced_failures\": %" PRIu64
		", \"zero_size\": %" PRIu64 ", \"null_frees\": %" PRIu64
		", \"pages_under_slabs\": %" PRIu64 ", \"pages_under_large_kmalloc\": %" PRIu64
		", \"pages_above_max_order\": %" PRIu64 ", \"direct_map\": ", c->matched_frees,
		c->unmatched_frees[0], c->unmatched_frees[1], c->live_end[RP_SLOT_KMALLOC],
		c->live_end[RP_SLOT_CACHE], c->live_end[RP_SLOT_PAGES], c->untraced_frees[0],
		c->untraced_frees[1],
		c->split_frees, c->traced_failures, c->zero_size, c->noop_frees,
		c->skipped_slots[RP_SKIP_SLAB_PAGES], c->skipped_slots[RP_SKIP_LARGE_KMALLOC],
		c->skipped_slots[RP_SKIP_ORDER]);
	if (tr->direct_map_known)
		fprintf(f, "\"%#" PRIx64 "\"", tr->direct_map);
	else
		fprintf(f, "null");
	fprintf(f, ", \"peak_live_bytes\": %" PRIu64 ", \"peak_live_pages\": %" PRIu64 "},\n",
		c->peak_live_bytes, c->peak_live_pages);
	fprintf(f, "  \"replay\": {\"allocator\": \"%s\", \"malloc\": \"%s\", \"cmdline\": ",
		res->allocator, rp_malloc_name());
	json_str(f, res->cmdline);
	fprintf(f, ", \"threads\": %u, \"window_us\": %.3f, \"context\": \"%s\", \"ops\": %" PRIu64
		", \"allocs\": %" PRIu64 ", \"frees\": %" PRIu64 ", \"irq_ops\": %" PRIu64
		", \"alloc_failures\": %" PRIu64 ", \"failure_lines\": [", replay_threads(tr),
		(double)o->window_ns / 1e3, o->context == RP_CONTEXT_FULL ? "full" :
		o->context == RP_CONTEXT_IRQ ? "irq" : "none", res->ops, res->allocs, res->frees,
		res->irq_ops, res->alloc_failures);
	for (unsigned int i = 0; i < res->nr_failure_lines; i++)
		fprintf(f, "%s%u", i ? ", " : "", res->failure_lines[i]);
	fprintf(f, "], \"kmm_reports\": ");
	if (res->kmm_leaks >= 0)
		fprintf(f, "%" PRIu64 ", \"kmm_exit_leaks\": %ld", res->kmm_reports, res->kmm_leaks);
	else
		fprintf(f, "null, \"kmm_exit_leaks\": null");
	fprintf(f, ", \"live_freed_after\": %" PRIu64 ", \"seconds\": %.6f, \"cpu_seconds\": %.6f"
		", \"ops_per_s\": %.0f"
		", \"baseline_rss_kb\": %ld, \"peak_rss_kb\": %ld, \"peak_rss_above_baseline_kb\": %ld"
		", \"peak_reset\": %s, \"window_waits\": %" PRIu64 ", \"dependency_waits\": %" PRIu64
		", \"slabinfo_samples\": %" PRIu64 ", \"error\": ", res->live_freed, res->seconds,
		res->cpu_seconds, res->seconds > 0 ? (double)res->ops / res->seconds : 0.0, res->baseline_rss_kb,
		res->peak_rss_kb, res->peak_rss_kb - res->baseline_rss_kb,
		res->hwm_reset ? "true" : "false", res->waits_window, res->waits_dependency,
		res->samples);
	if (res->error[0])
		json_str(f, res->error);
	else
		fprintf(f, "null");
	fprintf(f, "},\n  \"kmalloc_classes\": {\"checked\": %s, \"request_sizes\": %" PRIu64
		", \"differences\": [", res->classes_checked ? "true" : "false", res->classes_pairs);
	for (uint32_t i = 0; i < res->nr_class_diffs; i++) {
		const struct rp_kclass_check *d = &res->class_diffs[i];

		fprintf(f, "%s{\"bytes_req_min\": %u, \"bytes_req_max\": %u, \"traced\": %u, "
			"\"kmm\": %u, \"events\": %" PRIu64 "}", i ? ", " : "", d->req_min, d->req_max,
			d->traced, d->kmm, d->count);
	}
	fprintf(f, "]},\n  \"ksize\": {\"checked\": %" PRIu64 ", \"mismatches\": [", res->ksize_checked);
	for (uint32_t i = 0; i < res->nr_mismatches; i++) {
		const struct rp_mismatch *m = &res->mismatches[i];

		fprintf(f, "%s{\"kind\": \"%s\", \"cache\": ", i ? ", " : "", slot_kind_names[m->kind]);
		json_str(f, rp_cache_name(tr, m->cache));
		fprintf(f, ", \"bytes_req\": %u, \"traced\": %u, \"kmm\": %u, \"objects\": %" PRIu64
			", \"first_line\": %u}", m->bytes_req, m->traced, m->got, m->count, m->first_line);
	}
	fprintf(f, "]},\n  \"caches\": [");
	for (uint32_t i = 0; i < tr->nr_caches; i++) {
		const struct rp_cache *ca = &tr->caches[i];

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		json_str(f, tr->names.str[ca->name]);
		fprintf(f, ", \"object_size\": %u, \"traced_slot\": %u, \"kmm_slot\": %u, \"align\": %u"
			", \"ctor\": %s, \"layout_found\": %s, \"size_varies\": %s, \"allocs\": %" PRIu64
			", \"frees\": %" PRIu64 ", \"traced_peak\": %" PRIu64 ", \"kmm_at_peak\": ",
			ca->object_size, ca->slot_size, res->cache_kmm_slot ? res->cache_kmm_slot[i] : 0,
			ca->align, ca->ctor ? "true" : "false", ca->layout_found ? "true" : "false",
			ca->size_varies ? "true" : "false", ca->allocs, ca->frees, ca->peak);
		json_slabinfo(f, res->cache_peak ? &res->cache_peak[i] : NULL);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"kmalloc\": [");
	for (uint32_t i = 0; i < tr->nr_kclasses; i++) {
		const struct rp_kclass *k = &tr->kclasses[i];

		fprintf(f, "%s\n    {\"class\": %u, \"allocs\": %" PRIu64 ", \"frees\": %" PRIu64
			", \"traced_peak\": %" PRIu64 ", \"kmm_at_peak\": ", i ? "," : "", k->size,
			k->allocs, k->allocs - k->live, k->peak);
		json_slabinfo(f, res->kclass_peak ? &res->kclass_peak[i] : NULL);
		fputc('}', f);
	}
	fprintf(f, "\n  ],\n  \"verdict\": \"%s\"\n}\n", rp_verdict(tr, res) ? "differences" : "ok");
}

/* ---- the benchmark driver's records ---- */

void rp_report_records(FILE *f, const struct rp_trace *tr, const struct rp_result *res,
		       const char *label)
{
	const char *ran = res->kmm_leaks >= 0 ? "kmm" : rp_malloc_name();
	const char *base = strrchr(tr->path, '/') ? strrchr(tr->path, '/') + 1 : tr->path;
	int stem = (int)strcspn(base, ".");
	char error[sizeof(res->error) + 100] = "";

	if (!label)
		label = ran;
	if (res->error[0])
		snprintf(error, sizeof(error), "%s", res->error);
	else if (strcmp(label, ran) && (!strcmp(label, "kmm") || !strcmp(label, "glibc") ||
					 !strcmp(label, "jemalloc") || !strcmp(label, "tcmalloc") ||
					 !strcmp(label, "mimalloc")))
		snprintf(error, sizeof(error), "%s's malloc ran, not %s's (LD_PRELOAD?)", ran, label);
	else if (rp_verdict(tr, res))
		snprintf(error, sizeof(error), "%" PRIu64 " allocation failures, %" PRIu64
			 " kmm reports, %ld leaks, %u size differences", res->alloc_failures,
			 res->kmm_reports, res->kmm_leaks > 0 ? res->kmm_leaks : 0,
			 res->nr_mismatches + res->nr_class_diffs);
	fprintf(f, "{\"context\": {\"allocator\": ");
	json_str(f, label);
	if (res->cmdline[0]) {
		fprintf(f, ", \"kmm_cmdline\": ");
		json_str(f, res->cmdline);
	} else {
		char version[64];

		rp_malloc_version(version, sizeof(version));
		fprintf(f, ", \"allocator_version\": ");
		json_str(f, version);
	}
	fprintf(f, ", \"trace\": ");
	json_str(f, tr->path);
	fprintf(f, "},\n \"records\": [{\"allocator\": ");
	json_str(f, label);
	fprintf(f, ", \"pattern\": \"replay/%.*s\", \"threads\": %u", stem, base,
		replay_threads(tr));
	if (error[0]) {
		fprintf(f, ", \"error\": ");
		json_str(f, error);
	}
	fprintf(f, ",\n  \"metrics\": {\"replay_s\": %.6f, \"replay_cpu_s\": %.6f, "
		"\"replay_rss_kib\": %ld, \"ops\": %" PRIu64 ", \"alloc_failures\": %" PRIu64,
		res->seconds, res->cpu_seconds, res->peak_rss_kb - res->baseline_rss_kb, res->ops,
		res->alloc_failures);
	if (res->kmm_leaks >= 0)
		fprintf(f, ", \"kmm_reports\": %" PRIu64, res->kmm_reports);
	fprintf(f, "}}]}\n");
}
