/* kmm-replay's replay (tools/replay): a generated multi-CPU trace with
 * interrupts, cross-CPU frees and objects left live, through kmm and
 * through malloc; a trace of a kernel with other kmalloc classes; a
 * sleeping allocation traced in interrupt context; the start of the real
 * trace under bench/traces (under TSan in the tsan preset: no report). */
#include <inttypes.h>
#include <unistd.h>
#include "kmm_test.h"
#include "replay.h"

static void load(struct rp_trace *tr, const char *text, size_t len, uint64_t limit)
{
	struct rp_load_opts o = { .msg = stderr, .max_messages = 5, .limit = limit };
	char *path = write_temp(text, len), err[256];

	assert_int_equal(rp_load(tr, path, &o, err, sizeof(err)), 0);
	unlink(path);
	free(path);
}

static struct rp_run_opts run_opts(bool use_malloc)
{
	struct rp_run_opts o = { .use_malloc = use_malloc, .window_ns = 1000000,
				 .context = RP_CONTEXT_FULL, .check_ksize = true, .sample_us = 500 };
	return o;
}

/* ---- a generated trace ---- */

struct live_obj {
	uint64_t addr;
	int kind;		/* 0 kmalloc, 1 cache, 2 pages */
	int cache, order;
};

static const struct { const char *name; unsigned int obj, slot; } gen_caches[] = {
	{ "anon_vma", 96, 104 }, { "filp", 184, 192 }, { "names_cache", 4096, 4096 },
	{ "dentry", 192, 192 }, { "buffer_head", 104, 104 },
};

/* The kernel's kmalloc class of n (6.x, 4 KiB pages). */
static unsigned int kclass(unsigned int n)
{
	if (n <= 8)
		return 8;
	if (n > 64 && n <= 96)
		return 96;
	if (n > 128 && n <= 192)
		return 192;
	if (n > 8192)
		return 4096u << get_order(n);
	unsigned int c = 16;

	while (c < n)
		c *= 2;
	return c;
}

static uint64_t rng(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* nr events on `cpus` CPUs; about a tenth in interrupts or atomic
 * sections (GFP_ATOMIC there), a third of frees on another CPU than the
 * allocation, what is live at the end stays. */
static char *gen_trace(unsigned int nr, unsigned int cpus, size_t *len, unsigned int *live_end)
{
	static const char *const ctxs[] = { ".....", "..s1.", "d.h1.", "d.H2.", "...1.", "d..1.",
					    "b..1.", "D.z1.", ".N.2." };
	struct live_obj *live = calloc(nr, sizeof(*live));
	unsigned int nr_live = 0;
	uint64_t seed = 42, next_addr = 0xffff888100000000ULL, next_pfn = 0x100000;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	assert_non_null(live);
	fprintf(f, "# tracer: nop\n#\n");
	for (unsigned int i = 0; i < nr; i++) {
		unsigned int cpu = (unsigned int)rng(&seed) % cpus;
		const char *ctx = rng(&seed) % 10 ? ctxs[0] : ctxs[1 + rng(&seed) % 8];
		const char *gfp = strcmp(ctx, ".....") ? "GFP_ATOMIC" : "GFP_KERNEL";
		bool do_free = nr_live && (nr_live > 3000 || rng(&seed) % 2);

		fprintf(f, "  gen-%u [%03u] %s %6u.%06u: ", 100 + cpu, cpu, ctx, 1000 + i / 1000000,
			i % 1000000);
		if (do_free) {
			unsigned int k = (unsigned int)rng(&seed) % nr_live;
			struct live_obj o = live[k];

			live[k] = live[--nr_live];
			if (o.kind == 0)
				fprintf(f, "kfree: call_site=f+0x1 ptr=%" PRIx64 "\n", o.addr);
			else if (o.kind == 1)
				fprintf(f, "kmem_cache_free: call_site=f+0x1 ptr=%" PRIx64 " name=%s\n",
					o.addr, gen_caches[o.cache].name);
			else
				fprintf(f, "mm_page_free: page=ffffea0000000000 pfn=%#" PRIx64
					" order=%d\n", o.addr, o.order);
			continue;
		}
		struct live_obj *o = &live[nr_live++];

		o->kind = (int)(rng(&seed) % 3);
		if (o->kind == 0) {
			unsigned int n = 1 + (unsigned int)(rng(&seed) % (rng(&seed) % 4 ? 512 : 12000));

			o->addr = next_addr;
			next_addr += 16384;
			fprintf(f, "kmalloc: call_site=f+0x1 ptr=%" PRIx64 " bytes_req=%u bytes_alloc=%u "
				"gfp_flags=%s node=-1 accounted=false\n", o->addr, n, kclass(n), gfp);
		} else if (o->kind == 1) {
			o->cache = (int)(rng(&seed) % (sizeof(gen_caches) / sizeof(gen_caches[0])));
			o->addr = next_addr;
			next_addr += 8192;
			fprintf(f, "kmem_cache_alloc: call_site=f+0x1 ptr=%" PRIx64 " name=%s bytes_req=%u "
				"bytes_alloc=%u gfp_flags=%s|__GFP_ZERO node=-1 accounted=true\n", o->addr,
				gen_caches[o->cache].name, gen_caches[o->cache].obj,
				gen_caches[o->cache].slot, gfp);
		} else {
			o->order = (int)(rng(&seed) % 8 ? 0 : rng(&seed) % 4);
			o->addr = next_pfn;
			next_pfn += 16;
			fprintf(f, "mm_page_alloc: page=ffffea0000000000 pfn=%#" PRIx64 " order=%d "
				"migratetype=0 gfp_flags=%s|__GFP_COMP\n", o->addr, o->order,
				strcmp(gfp, "GFP_KERNEL") ? "GFP_ATOMIC" : "GFP_HIGHUSER_MOVABLE");
		}
	}
	fclose(f);
	free(live);
	*live_end = nr_live;
	return text;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#endif
#ifndef ASAN_BUILD
#define ASAN_BUILD 0
#endif

/* Under ASan kmm's ksize is a cache's object size alone (ASan watches
 * only the object), so a cache whose slot is larger than its objects
 * differs from the traced slot there, and only there. */
static uint32_t expected_kmm_slot(const struct rp_cache *c)
{
	return ASAN_BUILD ? c->object_size : c->slot_size;
}

static bool expected_mismatch(const struct rp_trace *tr, const struct rp_mismatch *m)
{
	return ASAN_BUILD && m->kind == RP_SLOT_CACHE &&
	       m->got == tr->caches[m->cache].object_size;
}

static void check_clean(const struct rp_trace *tr, const struct rp_result *res)
{
	uint32_t unexpected = 0;

	for (uint32_t i = 0; i < res->nr_mismatches; i++)
		unexpected += !expected_mismatch(tr, &res->mismatches[i]);
	if (res->alloc_failures || res->kmm_reports || res->kmm_leaks > 0 || unexpected ||
	    res->nr_class_diffs || res->error[0]) {
		rp_report_table(stderr, tr, res, &(struct rp_run_opts){ .check_ksize = true });
		fail_msg("replay not clean: %s", res->error);
	}
	assert_int_equal(rp_verdict(tr, res), res->nr_mismatches != 0);
	assert_int_equal(res->ops, tr->c.ops);
	assert_int_equal(res->live_freed, tr->c.live_end[RP_SLOT_KMALLOC] +
			 tr->c.live_end[RP_SLOT_CACHE] + tr->c.live_end[RP_SLOT_PAGES]);
}

static void test_generated_kmm(void **state)
{
	struct rp_trace tr;
	struct rp_result res;
	struct rp_run_opts o = run_opts(false);
	unsigned int live_end;
	size_t len;
	char *text = gen_trace(20000, 4, &len, &live_end);

	(void)state;
	load(&tr, text, len, 0);
	assert_int_equal(tr.nr_cpus, 4);
	assert_int_equal(tr.c.malformed, 0);
	assert_int_equal(tr.c.live_end[RP_SLOT_KMALLOC] + tr.c.live_end[RP_SLOT_CACHE] +
			 tr.c.live_end[RP_SLOT_PAGES], live_end);
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	check_clean(&tr, &res);
	assert_string_equal(res.allocator, "kmm");
	assert_true(res.irq_ops > 500);
	assert_true(res.ksize_checked > 5000);
	assert_true(res.classes_checked);
	assert_int_equal(res.kmm_leaks, 0);
	assert_true(res.samples > 0);
	/* kmm's slot for each cache is the traced one, and slabinfo saw it */
	for (uint32_t i = 0; i < tr.nr_caches; i++) {
		assert_int_equal(res.cache_kmm_slot[i], expected_kmm_slot(&tr.caches[i]));
		assert_true(res.cache_peak[i].seen);
	}
	rp_result_free(&res);

	/* timestamp order, and no contexts: the same, clean */
	o.window_ns = 0;
	o.context = RP_CONTEXT_NONE;
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	check_clean(&tr, &res);
	rp_result_free(&res);
	o.context = RP_CONTEXT_IRQ;
	o.window_ns = 50000;
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	check_clean(&tr, &res);
	rp_result_free(&res);
	rp_trace_free(&tr);
	free(text);
}

static void test_generated_malloc(void **state)
{
	struct rp_trace tr;
	struct rp_result res;
	struct rp_run_opts o = run_opts(true);
	unsigned int live_end;
	size_t len;
	char *text = gen_trace(20000, 3, &len, &live_end);

	(void)state;
	load(&tr, text, len, 0);
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	assert_string_equal(res.allocator, "malloc");
	assert_int_equal(res.alloc_failures, 0);
	assert_int_equal(res.kmm_leaks, -1);
	assert_int_equal(res.live_freed, live_end);
	assert_int_equal(res.ops, tr.c.ops);
	assert_int_equal(rp_verdict(&tr, &res), 0);
	rp_result_free(&res);
	rp_trace_free(&tr);
	free(text);
}

/* A kernel whose smallest class is 16 and that has no kmalloc-96: said,
 * and replayed with kmm's own classes. */
static void test_other_kernel_classes(void **state)
{
	static const char text[] =
		"  a-1 [000] .....  1.000001: kmalloc: ptr=ffff888100000040 bytes_req=5 bytes_alloc=16 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000002: kmalloc: ptr=ffff888100000080 bytes_req=6 bytes_alloc=16 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000003: kmalloc: ptr=ffff8881000000c0 bytes_req=70 bytes_alloc=128 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000004: kmalloc: ptr=ffff888100000100 bytes_req=100 bytes_alloc=128 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000005: kfree: ptr=ffff888100000040\n"
		/* MAX_PAGE_ORDER 11: kmalloc up to 8 MiB */
		"  a-1 [000] .....  1.000006: kmalloc: ptr=ffff888200000000 bytes_req=5000000 "
		"bytes_alloc=8388608 gfp_flags=GFP_KERNEL|__GFP_NOWARN\n";
	struct rp_trace tr;
	struct rp_result res;
	struct rp_run_opts o = run_opts(false);
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	load(&tr, text, sizeof(text) - 1, 0);
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	assert_int_equal(res.alloc_failures, 1);	/* above kmm's 4 MiB */
	assert_int_equal(res.failure_lines[0], 6);
	assert_int_equal(res.kmm_reports, 0);
	assert_int_equal(res.kmm_leaks, 0);
	assert_int_equal(res.nr_class_diffs, 3);
	assert_int_equal(res.class_diffs[2].req_min, 5000000);
	assert_int_equal(res.class_diffs[2].kmm, 0);
	assert_int_equal(res.class_diffs[0].req_min, 5);
	assert_int_equal(res.class_diffs[0].req_max, 6);
	assert_int_equal(res.class_diffs[0].traced, 16);
	assert_int_equal(res.class_diffs[0].kmm, 8);
	assert_int_equal(res.class_diffs[1].req_min, 70);
	assert_int_equal(res.class_diffs[1].kmm, 96);
	assert_int_equal(res.nr_mismatches, 3);	/* kmalloc: the same under ASan */
	assert_int_equal(rp_verdict(&tr, &res), 1);
	f = open_memstream(&out, &len);
	rp_report_table(f, &tr, &res, &o);
	fclose(f);
	if (!strstr(out, "DIFFER from kmm's") || !strstr(out, "kmalloc(5..6): 16 bytes traced, 8 in kmm") ||
	    !strstr(out, "kmalloc - bytes_req 70: traced 128, kmm 96"))
		fail_msg("report:\n%s", out);
	free(out);
	rp_result_free(&res);
	rp_trace_free(&tr);
}

/* A sleeping allocation traced in a hard interrupt: kmm says so, once, and
 * refuses it; the verdict says the replay was not clean. */
static void test_sleeping_alloc_in_irq(void **state)
{
	static const char text[] =
		"  a-1 [000] d.h1.  1.000001: kmalloc: ptr=ffff888100000040 bytes_req=64 bytes_alloc=64 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000002: kfree: ptr=ffff888100000040\n";
	struct rp_trace tr;
	struct rp_result res;
	struct rp_run_opts o = run_opts(false);

	(void)state;
	load(&tr, text, sizeof(text) - 1, 0);
	kmm_report_quiet(true);
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	kmm_report_quiet(false);
	assert_int_equal(res.alloc_failures, 1);
	assert_int_equal(res.failure_lines[0], 1);
	assert_int_equal(res.kmm_reports, 1);
	assert_int_equal(res.kmm_leaks, 0);
	assert_int_equal(rp_verdict(&tr, &res), 1);
	rp_result_free(&res);

	/* in task context it is fine */
	o.context = RP_CONTEXT_NONE;
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	check_clean(&tr, &res);
	rp_result_free(&res);
	rp_trace_free(&tr);
}

/* The first events of the trace captured on a real machine. */
static void test_real_trace_start(void **state)
{
	struct rp_load_opts lo = { .msg = stderr, .limit = 40000 };
	struct rp_trace tr;
	struct rp_result res;
	struct rp_run_opts o = run_opts(false);
	char err[256], *out = NULL;
	size_t len = 0;
	FILE *f;
	int depth = 0;
	bool in_str = false;

	(void)state;
	assert_int_equal(rp_load(&tr, KMM_TRACE_DIR "/kmem-build.trace.zst", &lo, err, sizeof(err)), 0);
	assert_int_equal(tr.c.limited, 40000);
	assert_int_equal(tr.c.malformed, 0);
	assert_int_equal(tr.c.unknown, 0);
	assert_true(tr.c.ops > 30000);
	assert_true(tr.c.ctx_irq[RP_IRQ_SOFT] > 0);
	assert_int_equal(rp_replay(&tr, &o, &res), 0);
	check_clean(&tr, &res);
	assert_int_equal(res.classes_checked, true);
	assert_true(res.classes_pairs > 10);

	/* the JSON report is well nested */
	f = open_memstream(&out, &len);
	rp_report_json(f, &tr, &res, &o);
	fclose(f);
	for (const char *p = out; *p; p++) {
		if (*p == '"' && p[-1] != '\\')
			in_str = !in_str;
		else if (!in_str && (*p == '{' || *p == '['))
			depth++;
		else if (!in_str && (*p == '}' || *p == ']'))
			assert_true(--depth >= 0);
	}
	assert_int_equal(depth, 0);
	assert_false(in_str);
	if (!res.nr_mismatches)
		assert_non_null(strstr(out, "\"verdict\": \"ok\""));
	assert_non_null(strstr(out, "\"kmm_exit_leaks\": 0"));
	free(out);
	rp_result_free(&res);
	rp_trace_free(&tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_kmm),
		cmocka_unit_test(test_generated_malloc),
		cmocka_unit_test(test_other_kernel_classes),
		cmocka_unit_test(test_sleeping_alloc_in_irq),
		cmocka_unit_test(test_real_trace_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
