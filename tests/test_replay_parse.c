/* kmm-replay's reading of traces (tools/replay): each event format of
 * tracefs and trace-cmd, old and new kernels; each context column; GFP
 * flag lists; the codecs and pipes; bad input (a message with the line
 * number, and reading goes on); the pairing of allocations with frees. */
#include <lzma.h>
#include <pthread.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include "kmm_test.h"
#include "replay.h"
#include "map.h"

static struct rp_names names;

static void note_count(void *arg, unsigned long line, const char *msg)
{
	(void)line;
	(void)msg;
	(*(int *)arg)++;
}

/* Parses one line, which must be an event. */
static struct rp_event parse_ok(const char *text)
{
	struct rp_parser p = { .names = &names };
	struct rp_event ev;
	unsigned long lost;
	char line[1024], why[200];
	enum rp_line r;

	snprintf(line, sizeof(line), "%s", text);
	r = rp_parse_line(&p, line, 7, &ev, &lost, why, sizeof(why));
	if (r != RP_LINE_EVENT)
		fail_msg("'%s' -> %d (%s)", text, r, why);
	assert_int_equal(ev.line, 7);
	rp_parser_free(&p);
	return ev;
}

static enum rp_line parse_r(const char *text, char *why)
{
	struct rp_parser p = { .names = &names };
	struct rp_event ev;
	unsigned long lost = 0;
	char line[1024];
	enum rp_line r;

	snprintf(line, sizeof(line), "%s", text);
	r = rp_parse_line(&p, line, 1, &ev, &lost, why, 200);
	rp_parser_free(&p);
	return r;
}

static const char *name_of(const struct rp_event *ev)
{
	return ev->name == RP_NONE ? "" : names.str[ev->name];
}

/* ---- the events of a 6.x kernel in tracefs ---- */

static void test_tracefs_6x(void **state)
{
	struct rp_event e;

	(void)state;
	e = parse_ok(" callgrind-amd64-14526   [001] .....  4067.133768: kmalloc: "
		     "call_site=proc_self_get_link+0xa2/0xc0 ptr=ffff8881056111c0 bytes_req=11 "
		     "bytes_alloc=16 gfp_flags=GFP_ATOMIC node=-1 accounted=false");
	assert_int_equal(e.kind, RP_KMALLOC);
	assert_int_equal(e.cpu, 1);
	assert_int_equal(e.pid, 14526);
	assert_true(e.ts == 4067133768000ULL);
	assert_true(e.addr == 0xffff8881056111c0ULL);
	assert_int_equal(e.bytes_req, 11);
	assert_int_equal(e.bytes_alloc, 16);
	assert_int_equal(e.gfp, GFP_ATOMIC);
	assert_int_equal(e.node, -1);
	assert_true(e.ctx.known);

	e = parse_ok("             cat-14527   [000] .....  4067.587719: kmem_cache_alloc: "
		     "call_site=ext4_alloc_inode+0x1f/0x190 ptr=ffff88815de7da70 name=ext4_inode_cache "
		     "bytes_req=1120 bytes_alloc=1128 gfp_flags=GFP_NOFS node=-1 accounted=true");
	assert_int_equal(e.kind, RP_CACHE_ALLOC);
	assert_string_equal(name_of(&e), "ext4_inode_cache");
	assert_int_equal(e.bytes_req, 1120);
	assert_int_equal(e.bytes_alloc, 1128);
	assert_int_equal(e.gfp, GFP_NOFS);

	e = parse_ok(" callgrind-amd64-14526   [001] .....  4067.126832: kfree: "
		     "call_site=vm_area_free+0x1c/0x80 ptr=0000000000000000");
	assert_int_equal(e.kind, RP_KFREE);
	assert_true(e.addr == 0);

	e = parse_ok(" callgrind-amd64-14526   [001] ..s1.  4067.126742: kmem_cache_free: "
		     "call_site=blk_update_request+0xe0/0x3b0 ptr=ffff88810476a240 name=bio-184");
	assert_int_equal(e.kind, RP_CACHE_FREE);
	assert_string_equal(name_of(&e), "bio-184");
	assert_int_equal(e.ctx.irq, RP_IRQ_SOFT);
	assert_int_equal(e.ctx.preempt, 1);

	e = parse_ok(" callgrind-amd64-14526   [001] .....  4067.130124: mm_page_alloc: "
		     "page=ffffea000619af40 pfn=0x1866bd order=0 migratetype=1 "
		     "gfp_flags=GFP_HIGHUSER_MOVABLE|__GFP_COMP");
	assert_int_equal(e.kind, RP_PAGE_ALLOC);
	assert_true(e.addr == 0x1866bd);
	assert_int_equal(e.order, 0);
	assert_int_equal(e.gfp, GFP_HIGHUSER_MOVABLE | __GFP_COMP);
	assert_false(e.null_page);

	e = parse_ok(" x-1 [000] .....  1.000001: mm_page_alloc: page=0000000000000000 pfn=0x0 "
		     "order=3 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_NOWARN");
	assert_true(e.null_page);
	assert_int_equal(e.order, 3);

	e = parse_ok(" x-1 [001] .....  4067.126586: mm_page_free: page=ffffea0004986740 "
		     "pfn=0x12619d order=2");
	assert_int_equal(e.kind, RP_PAGE_FREE);
	assert_true(e.addr == 0x12619d);
	assert_int_equal(e.order, 2);

	e = parse_ok(" x-1 [001] ...2.  4067.126587: mm_page_free_batched: page=ffffea00043aedc0 "
		     "pfn=0x10ebb7 order=0");
	assert_int_equal(e.kind, RP_PAGE_FREE);
	assert_true(e.addr == 0x10ebb7);
	assert_int_equal(e.ctx.preempt, 2);
}

/* Older kernels: no node/accounted/name fields, the _node events, decimal
 * pfns, 4 context columns, hashed pointers. */
static void test_tracefs_older(void **state)
{
	struct rp_event e;

	(void)state;
	e = parse_ok("  bash-100 [003] ....  55.000100: kmalloc: call_site=f+0x1 ptr=00000000a1b2c3d4 "
		     "bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL");
	assert_int_equal(e.kind, RP_KMALLOC);
	assert_int_equal(e.cpu, 3);
	assert_true(e.addr == 0xa1b2c3d4);
	assert_int_equal(e.bytes_alloc, 128);
	assert_int_equal(e.ctx.migrate, 0);

	e = parse_ok("  bash-100 [000] ...1  55.000200: kmalloc_node: call_site=f ptr=ffff888000001000 "
		     "bytes_req=4000 bytes_alloc=4096 gfp_flags=GFP_KERNEL|__GFP_ZERO node=0");
	assert_int_equal(e.kind, RP_KMALLOC);
	assert_int_equal(e.node, 0);
	assert_int_equal(e.gfp, GFP_KERNEL | __GFP_ZERO);

	e = parse_ok("  bash-100 [000] ....  55.000300: kmem_cache_alloc: call_site=f "
		     "ptr=ffff888000002000 bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 "
		     "accounted=true");
	assert_int_equal(e.kind, RP_CACHE_ALLOC);
	assert_true(e.name == RP_NONE);

	e = parse_ok("  bash-100 [000] ....  55.000400: kmem_cache_alloc_node: call_site=f "
		     "ptr=ffff888000003000 bytes_req=64 bytes_alloc=64 gfp_flags=GFP_ATOMIC node=1");
	assert_int_equal(e.kind, RP_CACHE_ALLOC);
	assert_int_equal(e.node, 1);

	e = parse_ok("  bash-100 [000] ....  55.000500: kmem_cache_free: call_site=f ptr=ffff888000003000");
	assert_int_equal(e.kind, RP_CACHE_FREE);
	assert_true(e.name == RP_NONE);

	e = parse_ok("  bash-100 [000] ....  55.000600: mm_page_alloc: page=ffffea0000000040 pfn=1234567 "
		     "order=1 migratetype=0 gfp_flags=GFP_KERNEL");
	assert_true(e.addr == 1234567);

	e = parse_ok("  bash-100 [000] ....  55.000700: mm_page_alloc: page=(null) pfn=0 order=0 "
		     "migratetype=0 gfp_flags=GFP_ATOMIC");
	assert_true(e.null_page);

	e = parse_ok("  bash-100 [000] ....  55.000800: mm_page_free_batched: page=ffffea0000000040 "
		     "pfn=1234567 order=0 cold=0");
	assert_int_equal(e.kind, RP_PAGE_FREE);

	e = parse_ok("  bash-100 [000] ....  55.000900: mm_page_free_direct: page=ffffea0000000040 "
		     "pfn=1234567 order=1");
	assert_int_equal(e.kind, RP_PAGE_FREE);
	assert_int_equal(e.order, 1);
}

/* trace-cmd report: [cpu] without context columns, 0x pointers, the kmem
 * plugin's "(func)" word, nanosecond timestamps; -l: CPU and context in
 * one word; record-tgid's "(tgid)"; a command name with spaces. */
static void test_trace_cmd_and_variants(void **state)
{
	struct rp_event e;

	(void)state;
	e = parse_ok("            bash-5936  [000]  4421.038455: kmem_cache_alloc:     "
		     "(getname_flags.part.0+0x24) call_site=getname_flags.part.0+0x24 "
		     "ptr=0xffff888100df4000 name=names_cache bytes_req=4096 bytes_alloc=4096 "
		     "gfp_flags=GFP_KERNEL node=-1 accounted=false");
	assert_int_equal(e.kind, RP_CACHE_ALLOC);
	assert_int_equal(e.cpu, 0);
	assert_false(e.ctx.known);
	assert_true(e.addr == 0xffff888100df4000ULL);
	assert_string_equal(name_of(&e), "names_cache");

	e = parse_ok("            bash-5936  [000]  4421.038427213: kmem_cache_free:      "
		     "(__fput+0x141) call_site=__fput+0x141 ptr=0xffff8881066f28b8 name=lsm_file_cache");
	assert_true(e.ts == 4421038427213ULL);

	e = parse_ok("  <idle>-0       1.Ns1.  4421.040906: kmem_cache_free:      "
		     "(blk_update_request+0xe0) call_site=blk_update_request+0xe0 "
		     "ptr=0xffff888126c6ce40 name=bio-184");
	assert_int_equal(e.cpu, 1);
	assert_int_equal(e.pid, 0);
	assert_true(e.ctx.known);
	assert_int_equal(e.ctx.resched, 'N');
	assert_int_equal(e.ctx.irq, RP_IRQ_SOFT);
	assert_int_equal(e.ctx.preempt, 1);

	e = parse_ok("    bash-5936    12d..1  4421.038427: kfree: (f) call_site=f ptr=0xffff888100000040");
	assert_int_equal(e.cpu, 12);
	assert_true(e.ctx.irqs_off);

	e = parse_ok("            bash-1234    (   1200) [002] d.h1.   100.000001: kmalloc: "
		     "call_site=f ptr=ffff888100000080 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_ATOMIC");
	assert_int_equal(e.cpu, 2);
	assert_int_equal(e.pid, 1234);
	assert_int_equal(e.ctx.irq, RP_IRQ_HARD);

	e = parse_ok("  Web Content-4242 [001] .....  9.5: kfree: call_site=f ptr=ffff888100000100");
	assert_int_equal(e.pid, 4242);
	assert_true(e.ts == 9500000000ULL);

	/* a counter clock prints an integer */
	e = parse_ok("  a-1 [000] .....  123456789: kfree: call_site=f ptr=ffff888100000100");
	assert_true(e.ts == 123456789ULL);
}

/* ---- context columns ---- */

static void test_context_columns(void **state)
{
	struct rp_ctx c;

	(void)state;
	assert_true(rp_parse_ctx(".....", 5, &c));
	assert_true(c.known && !c.irqs_off && !c.bh_off && c.irq == RP_IRQ_NONE && !c.preempt);
	assert_true(rp_parse_ctx("d....", 5, &c) && c.irqs_off && !c.bh_off);
	assert_true(rp_parse_ctx("D....", 5, &c) && c.irqs_off && c.bh_off);
	assert_true(rp_parse_ctx("b....", 5, &c) && !c.irqs_off && c.bh_off);
	assert_true(rp_parse_ctx("X....", 5, &c) && c.irqs_unsupported && !c.irqs_off);
	for (const char *r = "NnpLlbB."; *r; r++) {
		char s[6] = { '.', *r, '.', '.', '.', 0 };

		assert_true(rp_parse_ctx(s, 5, &c));
		assert_int_equal(c.resched, *r);
	}
	static const struct { char ch; enum rp_irq irq; } irqs[] = {
		{ 'Z', RP_IRQ_NMI_IN_HARD }, { 'z', RP_IRQ_NMI }, { 'H', RP_IRQ_HARD_IN_SOFT },
		{ 'h', RP_IRQ_HARD }, { 's', RP_IRQ_SOFT }, { '.', RP_IRQ_NONE },
	};
	for (size_t i = 0; i < sizeof(irqs) / sizeof(irqs[0]); i++) {
		char s[6] = { 'd', '.', irqs[i].ch, '1', '.', 0 };

		assert_true(rp_parse_ctx(s, 5, &c));
		assert_int_equal(c.irq, irqs[i].irq);
	}
	assert_true(rp_parse_ctx("...f3", 5, &c) && c.preempt == 15 && c.migrate == 3);
	assert_true(rp_parse_ctx("..s2", 4, &c) && c.preempt == 2 && c.irq == RP_IRQ_SOFT);
	assert_true(rp_parse_ctx("dNh2.1", 6, &c) && c.preempt == 2);	/* PREEMPT_RT's sixth */
	/* malformed */
	assert_false(rp_parse_ctx("q....", 5, &c));
	assert_false(rp_parse_ctx(".q...", 5, &c));
	assert_false(rp_parse_ctx("..q..", 5, &c));
	assert_false(rp_parse_ctx("...g.", 5, &c));
	assert_false(rp_parse_ctx("...", 3, &c));
	assert_false(rp_parse_ctx(".......", 7, &c));
}

/* ---- GFP flags ---- */

static void test_gfp_lists(void **state)
{
	uint32_t g;
	char unknown[64], buf[256];

	(void)state;
	assert_true(rp_gfp_parse("none", 4, &g, unknown, sizeof(unknown)) && g == 0);
	assert_true(rp_gfp_parse("GFP_KERNEL", 10, &g, unknown, sizeof(unknown)));
	assert_int_equal(g, GFP_KERNEL);
	assert_string_equal(unknown, "");
#define P(s) rp_gfp_parse(s, strlen(s), &g, unknown, sizeof(unknown))
	assert_true(P("GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP"));
	assert_int_equal(g, GFP_KERNEL | __GFP_ACCOUNT | __GFP_ZERO | __GFP_COMP);
	assert_true(P("GFP_NOFS|__GFP_HIGHMEM|__GFP_MOVABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_HARDWALL"));
	assert_int_equal(g, GFP_NOFS | __GFP_HIGHMEM | __GFP_MOVABLE | __GFP_NOWARN |
			 __GFP_NORETRY | __GFP_HARDWALL);
	assert_true(P("GFP_NOWAIT"));
	assert_int_equal(g, __GFP_KSWAPD_RECLAIM | __GFP_NOWARN);
	assert_true(P("GFP_TRANSHUGE"));
	assert_true(g & __GFP_DIRECT_RECLAIM);
	assert_false(g & __GFP_KSWAPD_RECLAIM);
	/* flags kmm has no use for are dropped quietly; unknown ones named */
	assert_true(P("GFP_KERNEL|__GFP_NO_OBJ_EXT|__GFP_ZEROTAGS"));
	assert_int_equal(g, GFP_KERNEL);
	assert_string_equal(unknown, "");
	assert_true(P("GFP_ATOMIC|__GFP_SOMETHING_NEW|0x8000000"));
	assert_int_equal(g, GFP_ATOMIC);
	assert_string_equal(unknown, "__GFP_SOMETHING_NEW");
	assert_true(P("__GFP_WAIT|__GFP_REPEAT"));	/* old names */
	assert_int_equal(g, __GFP_DIRECT_RECLAIM | __GFP_RETRY_MAYFAIL);
	/* not flag lists */
	assert_false(P(""));
	assert_false(P("GFP_KERNEL|"));
	assert_false(P("GFP_KERNEL||__GFP_ZERO"));
	assert_false(P("12abc"));
	assert_false(P("GFP_KERNEL,x"));
#undef P
	rp_gfp_format(GFP_KERNEL | __GFP_ZERO, buf, sizeof(buf));
	assert_string_equal(buf, "GFP_KERNEL|__GFP_ZERO");
	rp_gfp_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
}

static void test_unknown_gfp_noted_once(void **state)
{
	int notes = 0;
	struct rp_parser p = { .names = &names, .note = note_count, .note_arg = &notes };
	struct rp_event ev;
	unsigned long lost;
	char line[256], why[200];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), " a-1 [000] ..... 1.0: kmalloc: ptr=ffff888100000100 "
			 "bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL|__GFP_FUTURE");
		assert_int_equal(rp_parse_line(&p, line, 1, &ev, &lost, why, sizeof(why)),
				 RP_LINE_EVENT);
	}
	assert_int_equal(notes, 1);
	rp_parser_free(&p);
}

/* ---- lines that are not events, and malformed ones ---- */

static void test_line_kinds(void **state)
{
	char why[200];
	struct rp_parser p = { .names = &names };
	struct rp_event ev;
	unsigned long lost = 0;
	char line[128];

	(void)state;
	assert_int_equal(parse_r("# tracer: nop", why), RP_LINE_SKIP);
	assert_int_equal(parse_r("", why), RP_LINE_SKIP);
	assert_int_equal(parse_r("cpus=2", why), RP_LINE_SKIP);
	assert_int_equal(parse_r("  x-1 [000] .....  1.0: mm_page_pcpu_drain: page=0 pfn=0x1 order=0 "
				 "migratetype=0", why), RP_LINE_OTHER);
	assert_int_equal(parse_r("  x-1 [000] .....  1.0: sched_switch: prev_comm=a", why),
			 RP_LINE_UNKNOWN);
	assert_string_equal(why, "sched_switch");
	snprintf(line, sizeof(line), "CPU:1 [LOST 42 EVENTS]");
	assert_int_equal(rp_parse_line(&p, line, 1, &ev, &lost, why, sizeof(why)), RP_LINE_LOST);
	assert_int_equal(lost, 42);

	static const char *const bad[][2] = {
		{ "  x-1 [000] .....  1.0: kmalloc: bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL",
		  "missing ptr=" },
		{ "  x-1 [000] .....  1.0: kmalloc: ptr=ffff888100000000 bytes_req=abc bytes_alloc=8 "
		  "gfp_flags=GFP_KERNEL", "bytes_req=abc" },
		{ "  x-1 [000] .....  1.0: kmalloc: ptr=ffff888100000000 bytes_req=8 bytes_alloc=8 "
		  "gfp_flags=GFP_KERNEL|", "gfp_flags" },
		{ "  x-1 [000] .....  1.0: kmalloc: ptr=zz bytes_req=8 bytes_alloc=8 gfp_flags=none",
		  "ptr=zz" },
		{ "  x-1 [000] .....  1.0: mm_page_alloc: page=0 pfn=0x10 migratetype=0 gfp_flags=none",
		  "missing order=" },
		{ "  x-1 [000] .....  1.0: mm_page_free: page=0 pfn=0x1g order=0", "pfn=0x1g" },
		{ "  x-1 [000] .....  1.0: mm_page_free: page=0 pfn=0x10 order=x", "order=x" },
		{ "  x-1 [000] .....  1.0: kmem_cache_alloc: ptr=ffff888100000000 name= bytes_req=8 "
		  "bytes_alloc=8 gfp_flags=none", "empty name=" },
		{ "  x-1 [0x1] .....  1.0: kfree: ptr=ffff888100000000", "CPU column" },
		{ "  x-1 .....  1.0: kfree: ptr=ffff888100000000", "no CPU column" },
		{ "  x-1 [000] q....  1.0: kfree: ptr=ffff888100000000", "context columns" },
		{ "  x-1 [000] .....  1.0 kfree: ptr=ffff888100000000", "timestamp" },
		{ "  x-1 [000] .....  1.0: kmalloc: ptr=ffff888100000000 bytes_req=8 bytes_alloc=8 "
		  "gfp_flags=GFP_KERNEL node=x", "node=x" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_r(bad[i][0], why) != RP_LINE_BAD)
			fail_msg("'%s' was not malformed", bad[i][0]);
		if (!strstr(why, bad[i][1]))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i][0], why, bad[i][1]);
	}
	rp_parser_free(&p);
}

/* ---- loading: messages with line numbers, reading goes on ---- */

static const char good_trace[] =
	"# tracer: nop\n"
	"#\n"
	"  a-1 [000] .....  1.000001: kmalloc: call_site=f ptr=ffff888100000040 bytes_req=30 "
	"bytes_alloc=32 gfp_flags=GFP_KERNEL node=-1 accounted=false\n"
	"  a-1 [000] .....  1.000002: kmem_cache_alloc: call_site=f ptr=ffff888100001000 "
	"name=anon_vma bytes_req=96 bytes_alloc=104 gfp_flags=GFP_KERNEL node=-1 accounted=true\n"
	"  b-2 [001] ..s1.  1.000003: kfree: call_site=f ptr=ffff888100000040\n"
	"  b-2 [001] .....  1.000004: mm_page_alloc: page=ffffea0000000000 pfn=0x1000 order=1 "
	"migratetype=0 gfp_flags=GFP_KERNEL\n"
	"  a-1 [000] .....  1.000005: mm_page_free: page=ffffea0000000000 pfn=0x1000 order=1\n"
	"  a-1 [000] .....  1.000006: kmem_cache_free: call_site=f ptr=ffff888100001000 name=anon_vma\n";

static int load_text(const char *text, size_t len, struct rp_trace *tr, char **msgs)
{
	char *path = write_temp(text, len), err[256];
	size_t mlen = 0;
	FILE *m = open_memstream(msgs, &mlen);
	struct rp_load_opts o = { .msg = m, .max_messages = 5 };
	int r = rp_load(tr, path, &o, err, sizeof(err));

	fclose(m);
	unlink(path);
	free(path);
	return r;
}

static void test_load_bad_input(void **state)
{
	static const char text[] =
		"  a-1 [000] .....  1.000001: kmalloc: call_site=f ptr=ffff888100000040 bytes_req=30 "
		"bytes_alloc=32 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000002: sched_switch: prev_comm=a prev_pid=1\n"
		"  a-1 [000] .....  1.000003: kmalloc: call_site=f ptr=ffff888100000080 bytes_req=x "
		"bytes_alloc=32 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000004: sched_switch: prev_comm=a prev_pid=1\n"
		"CPU:0 [LOST 3 EVENTS]\n"
		"  a-1 [000] .....  1.000005: kfree: call_site=f ptr=ffff888100000040\n"
		"  a-1 [000] .....  1.000006: kmalloc: call_site=f ptr=ffff8881000000c0 bytes_req=8 "
		"bytes_alloc=8 gfp_flags=GFP_KERNEL|__GFP_FUTURE\n"
		"  a-1 [000] .....  1.000007: kfree: call_site=f ptr=ffff8881";	/* cut short */
	struct rp_trace tr;
	char *msgs = NULL;

	(void)state;
	assert_int_equal(load_text(text, sizeof(text) - 1, &tr, &msgs), 0);
	assert_int_equal(tr.c.lines, 8);
	assert_int_equal(tr.c.events[RP_KMALLOC], 2);
	assert_int_equal(tr.c.events[RP_KFREE], 1);	/* the one after the bad lines */
	assert_int_equal(tr.c.unknown, 2);
	assert_int_equal(tr.c.malformed, 1);
	assert_int_equal(tr.c.lost_events, 3);
	assert_true(tr.c.truncated_last);
	assert_int_equal(tr.c.matched_frees, 1);
	assert_int_equal(tr.c.live_end[RP_SLOT_KMALLOC], 1);
	/* one message each, with the file and line number */
	if (!strstr(msgs, ":2: unknown event 'sched_switch'"))
		fail_msg("messages:\n%s", msgs);
	assert_null(strstr(msgs, ":4: unknown event"));
	if (!strstr(msgs, ":3: malformed line: kmalloc: bytes_req=x is not a byte count"))
		fail_msg("messages:\n%s", msgs);
	if (!strstr(msgs, ":5: 3 events lost"))
		fail_msg("messages:\n%s", msgs);
	if (!strstr(msgs, ":7: GFP flag '__GFP_FUTURE' is not known to kmm"))
		fail_msg("messages:\n%s", msgs);
	if (!strstr(msgs, ":8: truncated last line"))
		fail_msg("messages:\n%s", msgs);
	free(msgs);
	rp_trace_free(&tr);
}

static void test_load_message_cap(void **state)
{
	char *text = NULL, *msgs = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct rp_trace tr;
	int n = 0;

	(void)state;
	for (int i = 0; i < 50; i++)
		fprintf(f, "  a-1 [000] .....  1.%06d: kfree: call_site=f ptr=nothex\n", i);
	fclose(f);
	assert_int_equal(load_text(text, len, &tr, &msgs), 0);
	assert_int_equal(tr.c.malformed, 50);
	for (char *p = msgs; (p = strstr(p, "malformed line:")); p++)
		n++;
	assert_int_equal(n, 5);
	assert_non_null(strstr(msgs, "more malformed lines: counted, not shown"));
	free(text);
	free(msgs);
	rp_trace_free(&tr);
}

/* ---- codecs and pipes ---- */

static size_t compress_gzip(const char *in, size_t len, unsigned char *out, size_t cap)
{
	z_stream z = { 0 };

	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return z.total_out;
}

static size_t compress_xz(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t pos = 0;

	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)in, len,
						 out, &pos, cap), LZMA_OK);
	return pos;
}

static size_t compress_zstd(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t n = ZSTD_compress(out, cap, in, len, 3);

	assert_false(ZSTD_isError(n));
	return n;
}

static void check_good_trace(const struct rp_trace *tr, const char *codec)
{
	assert_string_equal(tr->codec, codec);
	assert_int_equal(tr->c.events[RP_KMALLOC], 1);
	assert_int_equal(tr->c.events[RP_CACHE_ALLOC], 1);
	assert_int_equal(tr->c.events[RP_PAGE_ALLOC], 1);
	assert_int_equal(tr->c.matched_frees, 3);
	assert_int_equal(tr->c.malformed, 0);
	assert_false(tr->c.truncated_last);
}

static void test_codecs(void **state)
{
	static unsigned char buf[8192];
	size_t (*const enc[])(const char *, size_t, unsigned char *, size_t) = {
		NULL, compress_gzip, compress_xz, compress_zstd };
	static const char *const codecs[] = { "plain", "gzip", "xz", "zstd" };

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct rp_trace tr;
		char *msgs = NULL;
		size_t n;

		if (enc[i])
			n = enc[i](good_trace, sizeof(good_trace) - 1, buf, sizeof(buf));
		else
			memcpy(buf, good_trace, n = sizeof(good_trace) - 1);
		assert_int_equal(load_text((const char *)buf, n, &tr, &msgs), 0);
		check_good_trace(&tr, codecs[i]);
		assert_string_equal(msgs, "");
		free(msgs);
		rp_trace_free(&tr);

		if (!enc[i])
			continue;
		/* cut short: the lines before the cut are read, and it is said */
		assert_int_equal(load_text((const char *)buf, n - 6, &tr, &msgs), 0);
		if (!strstr(msgs, "the rest of the trace is lost") && !strstr(msgs, "truncated"))
			fail_msg("%s cut short: messages:\n%s", codecs[i], msgs);
		free(msgs);
		rp_trace_free(&tr);
	}
}

struct pipe_writer {
	int fd;
	const unsigned char *data;
	size_t len;
};

static void *write_pipe(void *arg)
{
	struct pipe_writer *w = arg;

	/* in small pieces, as a live trace_pipe gives them */
	for (size_t off = 0; off < w->len; off += 7) {
		size_t n = w->len - off < 7 ? w->len - off : 7;

		if (write(w->fd, w->data + off, n) != (ssize_t)n)
			break;
	}
	close(w->fd);
	return NULL;
}

static void test_pipe(void **state)
{
	static unsigned char buf[8192];
	struct pipe_writer w;
	struct rp_load_opts o = { .msg = NULL };
	struct rp_trace tr;
	pthread_t t;
	char path[64], err[256];
	int fds[2];

	(void)state;
	w.len = compress_zstd(good_trace, sizeof(good_trace) - 1, buf, sizeof(buf));
	w.data = buf;
	assert_int_equal(pipe(fds), 0);
	w.fd = fds[1];
	assert_int_equal(pthread_create(&t, NULL, write_pipe, &w), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(rp_load(&tr, path, &o, err, sizeof(err)), 0);
	pthread_join(t, NULL);
	close(fds[0]);
	check_good_trace(&tr, "zstd");
	rp_trace_free(&tr);

	assert_int_equal(rp_load(&tr, "/nonexistent/trace", &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	rp_trace_free(&tr);
}

/* ---- pairing ---- */

static void test_pairing(void **state)
{
	static const char text[] =
		/* cross-CPU free */
		"  a-1 [000] .....  1.000001: kmalloc: ptr=ffff888100000040 bytes_req=30 bytes_alloc=32 "
		"gfp_flags=GFP_KERNEL\n"
		"  b-2 [001] ..s..  1.000002: kfree: ptr=ffff888100000040\n"
		/* a free of something allocated before the trace */
		"  b-2 [001] .....  1.000003: kfree: ptr=ffff888100000400\n"
		"  b-2 [001] .....  1.000003: mm_page_free: page=0 pfn=0x9999 order=0\n"
		/* allocated again while live: an untraced free */
		"  a-1 [000] .....  1.000004: kmem_cache_alloc: ptr=ffff888100002000 name=maple_node "
		"bytes_req=256 bytes_alloc=256 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000005: kmem_cache_alloc: ptr=ffff888100002000 name=maple_node "
		"bytes_req=256 bytes_alloc=256 gfp_flags=GFP_KERNEL\n"
		/* failures, kmalloc(0), kfree(NULL) */
		"  a-1 [000] .....  1.000006: kmalloc: ptr=0000000000000000 bytes_req=9999999 "
		"bytes_alloc=0 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000006: kmalloc: ptr=0000000000000010 bytes_req=0 bytes_alloc=0 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000006: kfree: ptr=0000000000000010\n"
		"  a-1 [000] .....  1.000006: kfree: ptr=0000000000000000\n"
		"  a-1 [000] .....  1.000006: mm_page_alloc: page=0000000000000000 pfn=0x0 order=0 "
		"migratetype=0 gfp_flags=GFP_ATOMIC\n"
		/* a split block freed in parts */
		"  a-1 [000] .....  1.000007: mm_page_alloc: page=1 pfn=0x2000 order=2 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000008: mm_page_free: page=1 pfn=0x2003 order=0\n"
		"  a-1 [000] .....  1.000008: mm_page_free: page=1 pfn=0x2002 order=0\n"
		"  a-1 [000] .....  1.000009: mm_page_free: page=1 pfn=0x2000 order=1\n"
		/* a block over a live one */
		"  a-1 [000] .....  1.000010: mm_page_alloc: page=1 pfn=0x3001 order=0 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000011: mm_page_alloc: page=1 pfn=0x3000 order=1 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		/* the same timestamp on both CPUs: file order */
		"  a-1 [000] .....  1.000012: kmalloc: ptr=ffff888100000080 bytes_req=8 bytes_alloc=8 "
		"gfp_flags=GFP_KERNEL\n"
		"  b-2 [001] .....  1.000012: kfree: ptr=ffff888100000080\n"
		/* CPU 1's clock goes back: kept in file order */
		"  b-2 [001] .....  1.000011: kmalloc: ptr=ffff8881000000c0 bytes_req=8 bytes_alloc=8 "
		"gfp_flags=GFP_KERNEL\n";
	struct rp_trace tr;
	char *msgs = NULL;

	(void)state;
	assert_int_equal(load_text(text, sizeof(text) - 1, &tr, &msgs), 0);
	assert_int_equal(tr.nr_cpus, 2);
	assert_int_equal(tr.c.unmatched_frees[0], 1);
	assert_int_equal(tr.c.unmatched_frees[1], 1);
	assert_int_equal(tr.c.untraced_frees[0], 1);
	assert_int_equal(tr.c.untraced_frees[1], 1);
	assert_int_equal(tr.c.traced_failures, 2);
	assert_int_equal(tr.c.zero_size, 1);
	assert_int_equal(tr.c.noop_frees, 2);
	assert_int_equal(tr.c.split_frees, 3);
	assert_int_equal(tr.c.backwards_ts, 1);
	assert_int_equal(tr.c.matched_frees, 3);
	assert_int_equal(tr.c.live_end[RP_SLOT_CACHE], 1);
	assert_int_equal(tr.c.live_end[RP_SLOT_PAGES], 1);
	assert_int_equal(tr.c.live_end[RP_SLOT_KMALLOC], 1);
	assert_int_equal(tr.nr_caches, 1);
	assert_int_equal(tr.caches[0].allocs, 2);
	assert_int_equal(tr.caches[0].peak, 1);
	/* CPU 1 frees only after CPU 0 allocated: its ops carry later times */
	assert_int_equal(tr.streams[1].ops[0].type, RP_OP_FREE);
	assert_true(tr.streams[1].ops[0].ts > tr.streams[0].ops[0].ts);
	assert_int_equal(tr.streams[1].ops[0].irq, RP_IRQ_SOFT);
	assert_non_null(strstr(msgs, "CPU 1's timestamp goes back"));
	free(msgs);
	rp_trace_free(&tr);
}

/* The kernel's pages under new slabs and large kmallocs are told apart
 * by the direct-map base and left out; other page blocks are replayed. */
static void test_slab_pages_left_out(void **state)
{
	char *text = NULL, *msgs = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct rp_trace tr;
	uint64_t base = 0xffff888000000000ULL;

	(void)state;
	for (int i = 0; i < 4; i++) {
		unsigned long pfn = 0x10000 + (unsigned long)i * 8;

		/* a new slab, then an object in it */
		fprintf(f, "  a-1 [000] .....  1.%06d: mm_page_alloc: page=1 pfn=%#lx order=1 "
			"migratetype=0 gfp_flags=GFP_KERNEL|__GFP_COMP\n", i * 10, pfn);
		fprintf(f, "  a-1 [000] .....  1.%06d: kmem_cache_alloc: ptr=%#lx name=c bytes_req=64 "
			"bytes_alloc=64 gfp_flags=GFP_KERNEL\n", i * 10 + 1,
			(unsigned long)(base + (pfn << 12) + 64 * (unsigned long)i));
	}
	/* a large kmalloc's pages */
	fprintf(f, "  a-1 [000] .....  1.000100: mm_page_alloc: page=1 pfn=0x20000 order=2 "
		"migratetype=0 gfp_flags=GFP_KERNEL|__GFP_COMP\n");
	fprintf(f, "  a-1 [000] .....  1.000101: kmalloc: ptr=%#lx bytes_req=10000 bytes_alloc=16384 "
		"gfp_flags=GFP_KERNEL\n", (unsigned long)(base + (0x20000UL << 12)));
	/* pages of the page cache */
	fprintf(f, "  a-1 [000] .....  1.000200: mm_page_alloc: page=1 pfn=0x30000 order=0 "
		"migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n");
	fclose(f);
	assert_int_equal(load_text(text, len, &tr, &msgs), 0);
	assert_true(tr.direct_map_known);
	assert_true(tr.direct_map == base);
	assert_int_equal(tr.c.skipped_slots[RP_SKIP_SLAB_PAGES], 4);
	assert_int_equal(tr.c.skipped_slots[RP_SKIP_LARGE_KMALLOC], 1);
	assert_int_equal(tr.c.peak_live_pages, 1);
	free(text);
	free(msgs);
	rp_trace_free(&tr);

	/* hashed pointers (hash-ptr, the default): every page replayed */
	static const char hashed[] =
		"  a-1 [000] .....  1.000001: mm_page_alloc: page=1 pfn=0x10000 order=0 migratetype=0 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000002: kmalloc: ptr=000000003b2f1a9c bytes_req=8 bytes_alloc=8 "
		"gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000003: kfree: ptr=000000003b2f1a9c\n";
	assert_int_equal(load_text(hashed, sizeof(hashed) - 1, &tr, &msgs), 0);
	assert_true(tr.ptrs_hashed);
	assert_false(tr.direct_map_known);
	assert_int_equal(tr.c.matched_frees, 1);
	assert_int_equal(tr.c.peak_live_pages, 1);
	free(msgs);
	rp_trace_free(&tr);
}

/* SLUB's layout for the traced object and slot sizes. */
static void test_cache_layouts(void **state)
{
	static const char text[] =
		"  a-1 [000] .....  1.000001: kmem_cache_alloc: ptr=ffff888100001000 name=anon_vma "
		"bytes_req=96 bytes_alloc=104 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000002: kmem_cache_alloc: ptr=ffff888100002000 name=aligned "
		"bytes_req=40 bytes_alloc=64 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000003: kmem_cache_alloc: ptr=ffff888100003000 name=plain "
		"bytes_req=20 bytes_alloc=24 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000004: kmem_cache_alloc: ptr=ffff888100004000 name=debug "
		"bytes_req=64 bytes_alloc=200 gfp_flags=GFP_KERNEL\n"
		"  a-1 [000] .....  1.000005: kmem_cache_alloc: ptr=ffff888100005000 "
		"bytes_req=32 bytes_alloc=32 gfp_flags=GFP_KERNEL\n";
	struct rp_trace tr;
	char *msgs = NULL;

	(void)state;
	assert_int_equal(load_text(text, sizeof(text) - 1, &tr, &msgs), 0);
	assert_int_equal(tr.nr_caches, 5);
	assert_true(tr.caches[0].layout_found && tr.caches[0].ctor && tr.caches[0].align == 8);
	assert_true(tr.caches[1].layout_found && !tr.caches[1].ctor && tr.caches[1].align == 32);
	assert_true(tr.caches[2].layout_found && !tr.caches[2].ctor && tr.caches[2].align == 8);
	assert_false(tr.caches[3].layout_found);
	assert_non_null(strstr(msgs, ":4: cache debug: a 200-byte slot for 64-byte objects"));
	assert_string_equal(rp_cache_name(&tr, 4), "cache-32-32");
	free(msgs);
	rp_trace_free(&tr);
}

/* ---- the pairing map ---- */

static void test_map(void **state)
{
	enum { N = 20000 };
	static uint32_t ref[N];
	struct rp_map m;
	uint32_t v;
	uint64_t seed = 1;

	(void)state;
	rp_map_init(&m);
	memset(ref, 0xff, sizeof(ref));
	for (int round = 0; round < 200000; round++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		uint32_t k = (uint32_t)(seed >> 33) % N;
		uint64_t key = 0xffff888000000000ULL + (uint64_t)k * 64;

		if ((seed >> 20) & 1) {
			rp_map_put(&m, key, (uint32_t)round);
			ref[k] = (uint32_t)round;
		} else {
			assert_int_equal(rp_map_del(&m, key), ref[k] != UINT32_MAX);
			ref[k] = UINT32_MAX;
		}
	}
	for (uint32_t k = 0; k < N; k++) {
		bool found = rp_map_get(&m, 0xffff888000000000ULL + (uint64_t)k * 64, &v);

		assert_int_equal(found, ref[k] != UINT32_MAX);
		if (found)
			assert_int_equal(v, ref[k]);
	}
	rp_map_free(&m);
}

static int teardown(void **state)
{
	(void)state;
	rp_names_free(&names);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tracefs_6x),
		cmocka_unit_test(test_tracefs_older),
		cmocka_unit_test(test_trace_cmd_and_variants),
		cmocka_unit_test(test_context_columns),
		cmocka_unit_test(test_gfp_lists),
		cmocka_unit_test(test_unknown_gfp_noted_once),
		cmocka_unit_test(test_line_kinds),
		cmocka_unit_test(test_load_bad_input),
		cmocka_unit_test(test_load_message_cap),
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_slab_pages_left_out),
		cmocka_unit_test(test_cache_layouts),
		cmocka_unit_test(test_map),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
