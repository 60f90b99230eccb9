/* kmm-replay: replays a Linux kernel's kmem and page-allocator trace
 * through kmm (or through malloc) and reports how it went. See
 * docs/replay.md. Exit status: 0 when the replay had no allocation
 * failure, no kmm report, no leak and no size difference; 1 when it had;
 * 2 when the trace could not be read or the command line is wrong. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"

static void usage(FILE *f)
{
	fputs("usage: kmm-replay [options] TRACE\n"
	      "  TRACE is the text of /sys/kernel/tracing/trace or trace_pipe, or of\n"
	      "  trace-cmd report (-l for contexts); plain, gzip, xz or zstd; - for stdin.\n"
	      "  --json            the report as JSON on standard output\n"
	      "  --malloc          replay through this process's malloc and free (LD_PRELOAD\n"
	      "                    another allocator to measure it)\n"
	      "  --window-us N     no CPU runs more than N us of trace time ahead of another\n"
	      "                    (default 1000; 0: timestamp order)\n"
	      "  --context MODE    full (default): interrupts, irqs-off and preemption as\n"
	      "                    traced; irq: interrupts only; none: all in task context\n"
	      "  --no-ksize        do not compare each object's ksize with bytes_alloc\n"
	      "  --mem MB          kmm's memory (default: sized from the trace)\n"
	      "  --cmdline ARGS    more kmm boot parameters, e.g. \"slub_debug=FZ\"\n"
	      "  --limit N         replay only the first N events\n"
	      "  --sample-us N     read kmm's slabinfo every N us (default 1000)\n"
	      "  --max-messages N  messages of each kind about the trace's lines (default 20)\n"
	      "  --quiet           no messages about the trace's lines\n"
	      "  --records FILE    also write the benchmark driver's record of the replay\n"
	      "  --label NAME      the allocator the record names (default: kmm, or the\n"
	      "                    malloc that ran; another known one is an error)\n", f);
}

static void on_sigint(int sig)
{
	(void)sig;
	rp_input_interrupt();
}

static bool parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	*v = strtoul(s, &end, 10);
	return *end == '\0';
}

int main(int argc, char **argv)
{
	enum { O_JSON = 256, O_MALLOC, O_WINDOW, O_CONTEXT, O_NOKSIZE, O_MEM, O_CMDLINE, O_LIMIT,
	       O_SAMPLE, O_MAXMSG, O_QUIET, O_RECORDS, O_LABEL };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "malloc", no_argument, NULL, O_MALLOC },
		{ "window-us", required_argument, NULL, O_WINDOW },
		{ "context", required_argument, NULL, O_CONTEXT },
		{ "no-ksize", no_argument, NULL, O_NOKSIZE },
		{ "mem", required_argument, NULL, O_MEM },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "sample-us", required_argument, NULL, O_SAMPLE },
		{ "max-messages", required_argument, NULL, O_MAXMSG },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "records", required_argument, NULL, O_RECORDS },
		{ "label", required_argument, NULL, O_LABEL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rp_run_opts ro = { .window_ns = 1000000, .context = RP_CONTEXT_FULL,
				  .check_ksize = true, .sample_us = 1000 };
	struct rp_load_opts lo = { .msg = stderr, .max_messages = 20 };
	struct sigaction sa = { .sa_handler = on_sigint }, old;
	struct rp_trace tr;
	struct rp_result res;
	bool json = false;
	const char *records = NULL, *label = NULL;
	char err[300];
	unsigned long v;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_JSON:
			json = true;
			break;
		case O_MALLOC:
			ro.use_malloc = true;
			break;
		case O_WINDOW:
			if (!parse_ulong(optarg, &v) || v > 3600UL * 1000000)
				goto bad;
			ro.window_ns = (uint64_t)v * 1000;
			break;
		case O_CONTEXT:
			if (!strcmp(optarg, "full"))
				ro.context = RP_CONTEXT_FULL;
			else if (!strcmp(optarg, "irq"))
				ro.context = RP_CONTEXT_IRQ;
			else if (!strcmp(optarg, "none"))
				ro.context = RP_CONTEXT_NONE;
			else
				goto bad;
			break;
		case O_NOKSIZE:
			ro.check_ksize = false;
			break;
		case O_MEM:
			if (!parse_ulong(optarg, &v) || !v || v > (1UL << 20))
				goto bad;
			ro.mem_mb = v;
			break;
		case O_CMDLINE:
			if (strlen(optarg) >= sizeof(ro.cmdline))
				goto bad;
			snprintf(ro.cmdline, sizeof(ro.cmdline), "%s", optarg);
			break;
		case O_LIMIT:
			if (!parse_ulong(optarg, &v) || !v)
				goto bad;
			lo.limit = v;
			break;
		case O_SAMPLE:
			if (!parse_ulong(optarg, &v) || !v || v > 10000000)
				goto bad;
			ro.sample_us = (unsigned int)v;
			break;
		case O_MAXMSG:
			if (!parse_ulong(optarg, &v) || v > 1000000)
				goto bad;
			lo.max_messages = (unsigned int)v;
			break;
		case O_QUIET:
			lo.msg = NULL;
			break;
		case O_RECORDS:
			records = optarg;
			break;
		case O_LABEL:
			if (!*optarg)
				goto bad;
			label = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	/* ^C while reading a live trace_pipe ends the trace, not the program */
	sigaction(SIGINT, &sa, &old);
	rc = rp_load(&tr, argv[optind], &lo, err, sizeof(err));
	sigaction(SIGINT, &old, NULL);
	if (rc) {
		fprintf(stderr, "kmm-replay: %s\n", err);
		return 2;
	}
	if (!tr.c.ops)
		fprintf(stderr, "kmm-replay: %s: no allocation or free to replay\n", tr.path);
	rc = rp_replay(&tr, &ro, &res);
	if (rc)
		fprintf(stderr, "kmm-replay: %s\n", res.error);
	if (json)
		rp_report_json(stdout, &tr, &res, &ro);
	else
		rp_report_table(stdout, &tr, &res, &ro);
	if (records) {
		FILE *f = fopen(records, "w");

		if (!f) {
			fprintf(stderr, "kmm-replay: %s: %m\n", records);
			rc = 2;
		} else {
			rp_report_records(f, &tr, &res, label);
			fclose(f);
		}
	}
	rc = rc ? 2 : rp_verdict(&tr, &res);
	rp_result_free(&res);
	rp_trace_free(&tr);
	return rc;
bad:
	fprintf(stderr, "kmm-replay: bad value for --%s: %s\n", longopts[c - O_JSON].name, optarg);
	return 2;
}
