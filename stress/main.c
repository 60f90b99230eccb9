/* kmm-stress: boots kmm, runs the selected workloads on --cpus worker
 * threads and --irqs interrupt threads for --seconds, prints a status line
 * each second, then tears down and checks that everything came back.
 *
 * Threads: the main thread starts the workers and irq threads, restarts
 * each worker when its --thread-life is over, prints the status lines and
 * does the teardown. Shared counters are relaxed atomics (stat_*). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "stress.h"
/* kmm internals the teardown uses to give cached memory back: the
 * shrinkers (slab caches, lazy vmalloc areas) and empty per-CPU chunks. */
#include "buddy/reclaim.h"
#include "percpu/percpu_internal.h"
/* The invariant walks: periodically in debug builds, once at teardown. */
#include "buddy/buddy.h"
/* Which allocation failures fault injection made. */
#include "lib/fault_inject.h"

struct stress_opts opts = {
	.cpus = 4, .irqs = 1, .irq_rate = 1000, .seconds = 10, .thread_life = 2,
	.mem = 256UL << 20,
};
bool stress_layout32;
int stress_stop;

static const char *extra_cmdline = "";
static unsigned long nr_violations, nr_atomic_fail, nr_atomic_floor_checks, nr_injected;
static unsigned long case_fails[STRESS_MAX_CASES];
static unsigned long irq_firings;

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void violation(const char *fmt, ...)
{
	static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned long n = stat_add(&nr_violations, 1);
	va_list ap;

	if (n >= 50)
		return;
	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "INVARIANT FAILED: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (seed %" PRIu64 ")\n", opts.seed);
	pthread_mutex_unlock(&print_lock);
}

unsigned long violations(void)
{
	return stat_get(&nr_violations);
}

void count_fail(int idx)
{
	if (idx >= 0 && idx < STRESS_MAX_CASES)
		stat_add(&case_fails[idx], 1);
}

void count_atomic_fail(void)
{
	stat_add(&nr_atomic_fail, 1);
}

unsigned long budget_pages(void)
{
	/* Half of memory for the workers, the rest for pressure and reserves. */
	return (opts.mem >> PAGE_SHIFT) / 2 / (unsigned long)(opts.cpus + opts.irqs);
}

const char *gfp_zone_name(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return "DMA";
	if (gfp & __GFP_DMA32)
		return stress_layout32 ? "Normal" : "DMA32";
	if (gfp & __GFP_HIGHMEM)
		return stress_layout32 ? "HighMem" : "Normal";
	return "Normal";
}

/* ---- the GFP_ATOMIC reserve floor, from zoneinfo and pagetypeinfo ---- */

static char *proc_capture(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (kmm_proc_show(f, name)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

int parse_zones(struct zone_view *zv, int max, bool usable)
{
	char *zi = proc_capture("zoneinfo"), *pt = usable ? proc_capture("pagetypeinfo") : NULL;
	char *line, *save = NULL;
	int n = 0;

	if (!zi || (usable && !pt)) {
		free(zi);
		free(pt);
		return 0;
	}
	for (line = strtok_r(zi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[16];
		long v;

		if (sscanf(line, "Node %*d, zone %15s", name) == 1 && n < max) {
			memset(&zv[n], 0, sizeof(zv[n]));
			strcpy(zv[n].name, name);
			n++;
		} else if (!n) {
			continue;
		} else if (sscanf(line, "  pages free %ld", &v) == 1) {
			zv[n - 1].free = v;
		} else if (sscanf(line, " min %ld", &v) == 1) {
			zv[n - 1].min = v;
		} else if (sscanf(line, " high %ld", &v) == 1) {
			zv[n - 1].high = v;
		} else if (sscanf(line, " managed %ld", &v) == 1) {
			zv[n - 1].managed = v;
		} else if (strstr(line, "protection: (")) {
			char *p = strchr(line, '(') + 1;

			while (zv[n - 1].nr_prot < 4 && *p && *p != ')') {
				zv[n - 1].protection[zv[n - 1].nr_prot++] = strtol(p, &p, 10);
				while (*p == ',' || *p == ' ')
					p++;
			}
		}
	}
	save = NULL;
	for (line = pt ? strtok_r(pt, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char name[16], type[16];
		int off = 0;

		if (sscanf(line, "Node %*d, zone %15[^,], type %15s%n", name, type, &off) != 2)
			continue;
		if (!strcmp(type, "HighAtomic") || !strcmp(type, "Isolate"))
			continue;
		for (int i = 0; i < n; i++) {
			char *p = line + off;

			if (strcmp(zv[i].name, name))
				continue;
			for (int o = 0; o <= MAX_PAGE_ORDER; o++)
				zv[i].usable += strtol(p, &p, 10) << o;
		}
	}
	free(zi);
	free(pt);
	return n;
}

/* How far above the GFP_ATOMIC floor the best eligible zone is: the
 * kernel 6.3+ rules, __GFP_HIGH halves min and ALLOC_NON_BLOCK takes a
 * further quarter, plus the lowmem reserve against the highest zone. */
static long atomic_headroom(gfp_t gfp, char *why, size_t len)
{
	struct zone_view zv[4];
	int n = parse_zones(zv, 4, true), top = -1;
	const char *topname = gfp_zone_name(gfp);
	long best = -(1L << 40);

	for (int i = 0; i < n; i++)
		if (!strcmp(zv[i].name, topname))
			top = i;
	for (int i = 0; i <= top; i++) {
		long min = zv[i].min, floor, room;

		if (!zv[i].managed)
			continue;
		min -= min / 2;
		min -= min / 4;
		floor = min + (top < zv[i].nr_prot ? zv[i].protection[top] : 0);
		room = zv[i].free - floor;
		if (zv[i].usable < room)
			room = zv[i].usable;
		if (room > best) {
			best = room;
			snprintf(why, len, "zone %.15s: %ld free (%ld outside HighAtomic), "
				 "min %ld, atomic floor %ld", zv[i].name, zv[i].free,
				 zv[i].usable, zv[i].min, floor);
		}
	}
	return best;
}

unsigned long injected_mark(void)
{
	return fault_injected_on_thread;
}

bool injected_since(unsigned long mark)
{
	if (fault_injected_on_thread == mark)
		return false;
	stat_add(&nr_injected, 1);
	return true;
}

/* Two looks, with a retry between them, so a zone that was only briefly
 * above the floor (pcp refills, other CPUs' frees) is not blamed. */
struct page *atomic_fail_check(gfp_t gfp, unsigned long mark)
{
	const long slack = 64;
	char why[256] = "";
	struct page *page;

	count_atomic_fail();
	if (injected_since(mark))
		return NULL;
	stat_add(&nr_atomic_floor_checks, 1);
	if (atomic_headroom(gfp, why, sizeof(why)) <= slack)
		return NULL;
	mark = injected_mark();
	page = alloc_pages(gfp | __GFP_NOWARN, 0);
	if (page || injected_since(mark))
		return page;
	if (atomic_headroom(gfp, why, sizeof(why)) > slack)
		violation("GFP_ATOMIC order-0 allocation (gfp %#x) failed above the reserve floor: %s",
			  gfp, why);
	return NULL;
}

/* ---- threads ---- */

struct slot {
	pthread_t th;
	struct worker w;
	int running;		/* stat_*: the thread has not finished */
	bool started;
};

static struct slot *workers, *irqs;

static void threads_case_init(struct worker *w)
{
	for (int c = 0; c < stress_nr_cases; c++)
		if (case_enabled[c] && stress_cases[c]->thread_init)
			w->state[c] = stress_cases[c]->thread_init(w);
}

static void threads_case_exit(struct worker *w)
{
	for (int c = stress_nr_cases - 1; c >= 0; c--) {
		if (case_enabled[c] && stress_cases[c]->thread_exit)
			stress_cases[c]->thread_exit(w, w->state[c]);
		w->state[c] = NULL;
	}
}

static void *worker_main(void *arg)
{
	struct slot *s = arg;
	struct worker *w = &s->w;
	double end = now_sec() + opts.thread_life * (0.5 + (double)rnd_below(&w->rng, 100) / 100);

	kmm_cpu_bind(w->cpu);
	threads_case_init(w);
	while (!stat_get(&stress_stop) && (opts.thread_life <= 0 || now_sec() < end)) {
		for (int c = 0; c < stress_nr_cases; c++)
			if (case_enabled[c] && stress_cases[c]->step)
				stress_cases[c]->step(w, w->state[c]);
		ring_drain(w->cpu, 64);
	}
	threads_case_exit(w);
	ring_drain(w->cpu, 1 << 20);
	kmm_cpu_unbind();
	stat_set(&s->running, 0);
	return NULL;
}

static void sleep_ns(long ns)
{
	struct timespec ts = { ns / 1000000000L, ns % 1000000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *irq_main(void *arg)
{
	struct slot *s = arg;
	struct worker *w = &s->w;
	long period = 1000000000L / (opts.irq_rate > 0 ? opts.irq_rate : 1);

	kmm_cpu_bind(w->cpu);
	threads_case_init(w);
	while (!stat_get(&stress_stop)) {
		sleep_ns(period);
		kmm_irq_enter();
		for (int c = 0; c < stress_nr_cases; c++)
			if (case_enabled[c] && stress_cases[c]->irq_step)
				stress_cases[c]->irq_step(w, w->state[c]);
		kmm_irq_exit();
		stat_add(&irq_firings, 1);
	}
	threads_case_exit(w);
	kmm_cpu_unbind();
	stat_set(&s->running, 0);
	return NULL;
}

static int slot_start(struct slot *s, void *(*fn)(void *))
{
	int err;

	s->w.generation++;
	s->w.rng = seed_mix(opts.seed, ((uint64_t)s->w.id << 32 | s->w.generation) +
			    (s->w.irq ? 0x1000000 : 0));
	stat_set(&s->running, 1);
	err = pthread_create(&s->th, NULL, fn, s);
	if (err) {
		fprintf(stderr, "kmm-stress: pthread_create: %s\n", strerror(err));
		stat_set(&s->running, 0);
		return -1;
	}
	s->started = true;
	return 0;
}

static unsigned long case_ops(int c)
{
	unsigned long n = 0;

	for (int i = 0; i < opts.cpus; i++)
		n += stat_get(&workers[i].w.ops[c]);
	for (int i = 0; i < opts.irqs; i++)
		n += stat_get(&irqs[i].w.ops[c]);
	return n;
}

static unsigned long total_fails(void)
{
	unsigned long n = 0;

	for (int c = 0; c < stress_nr_cases; c++)
		n += stat_get(&case_fails[c]);
	return n;
}

static void status_line(double elapsed, unsigned long *last, double dt)
{
	char buf[1024];
	int len = snprintf(buf, sizeof(buf), "[%6.1fs]", elapsed);

	for (int c = 0; c < stress_nr_cases; c++) {
		unsigned long n;

		if (!case_enabled[c])
			continue;
		n = case_ops(c);
		len += snprintf(buf + len, sizeof(buf) - (size_t)len, " %s %.0f/s",
				stress_cases[c]->name, (double)(n - last[c]) / dt);
		last[c] = n;
	}
	snprintf(buf + len, sizeof(buf) - (size_t)len,
		 " | irqs %lu | free %lu pages | fail %lu atomic-fail %lu | reports %lu | violations %lu",
		 stat_get(&irq_firings), nr_free_pages(), total_fails(), stat_get(&nr_atomic_fail),
		 kmm_report_count(), violations());
	printf("%s\n", buf);
	fflush(stdout);
}

static void invariant_walks(void)
{
	if (buddy_verify())
		violation("buddy_verify found corrupt free lists");
}

static void run(void)
{
	unsigned long last[STRESS_MAX_CASES] = { 0 };
	double start = now_sec(), next_status = start + 1, last_status = start;

	for (int i = 0; i < opts.cpus; i++)
		slot_start(&workers[i], worker_main);
	for (int i = 0; i < opts.irqs; i++)
		slot_start(&irqs[i], irq_main);
	for (;;) {
		double t = now_sec();

		if (t - start >= opts.seconds)
			break;
		for (int i = 0; i < opts.cpus; i++) {
			if (workers[i].started && !stat_get(&workers[i].running)) {
				pthread_join(workers[i].th, NULL);
				workers[i].started = false;
				slot_start(&workers[i], worker_main);
			}
		}
		if (t >= next_status) {
			if (KMM_DEBUG_ON)
				invariant_walks();
			if (!opts.quiet)
				status_line(t - start, last, t - last_status);
			last_status = t;
			next_status += 1;
		}
		sleep_ns(20 * 1000 * 1000);
	}
	stat_set(&stress_stop, 1);
	for (int i = 0; i < opts.cpus; i++)
		if (workers[i].started)
			pthread_join(workers[i].th, NULL);
	for (int i = 0; i < opts.irqs; i++)
		if (irqs[i].started)
			pthread_join(irqs[i].th, NULL);
}

/* ---- teardown checks and the report ---- */

void stress_reclaim_all(void)
{
	rcu_barrier();
	shrink_slab(GFP_KERNEL, 1UL << 30);
#ifdef STRESS_HAVE_VMALLOC
	vm_unmap_aliases();
#endif
	rcu_barrier();
	/* The last RCU callbacks may have emptied slabs. */
	shrink_slab(GFP_KERNEL, 1UL << 30);
	percpu_release_empty_chunks();
	drain_all_pages(NULL);
}

static bool proc_is_empty(const char *name, int *exists)
{
	char *txt = proc_capture(name);
	bool empty;

	*exists = txt != NULL;
	if (!txt)
		return true;
	empty = txt[0] == '\0';
	if (!empty) {
		fprintf(stderr, "--- %s is not empty at teardown ---\n%s", name, txt);
	}
	free(txt);
	return empty;
}

/* Every cache empty: slabinfo's active_objs is 0 on every line. */
static void check_caches_empty(void)
{
	char *txt = proc_capture("slabinfo"), *line, *save = NULL;

	if (!txt)
		return;
	for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned long active;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lu", name, &active) == 2 && active)
			violation("cache %s has %lu active objects at teardown", name, active);
	}
	free(txt);
}

static void show_view(const char *name)
{
	printf("--- /proc/%s ---\n", name);
	fflush(stdout);
	if (kmm_proc_show(stdout, name) == -ENOENT)
		printf("(not available in this build)\n");
	fflush(stdout);
}

static void summary(double seconds)
{
	struct kmm_stats st;

	printf("\n%-12s %14s %12s %10s\n", "case", "operations", "ops/s", "failures");
	for (int c = 0; c < stress_nr_cases; c++) {
		unsigned long n;

		if (!case_enabled[c])
			continue;
		n = case_ops(c);
		printf("%-12s %14lu %12.0f %10lu\n", stress_cases[c]->name, n,
		       (double)n / seconds, stat_get(&case_fails[c]));
	}
	printf("irq firings %lu, GFP_ATOMIC failures %lu (floor checks %lu), injected failures "
	       "seen %lu, violations %lu, kmm reports %lu\n", stat_get(&irq_firings),
	       stat_get(&nr_atomic_fail), stat_get(&nr_atomic_floor_checks),
	       stat_get(&nr_injected), violations(), kmm_report_count());
	kmm_stats_read(&st);
	printf("paths: pgalloc pcp %lu refill %lu buddy %lu | pgfree pcp %lu buddy %lu | "
	       "pcp drain %lu trylock-fail %lu zone-lock %lu | slab alloc fast %lu slow %lu free fast %lu slow %lu "
	       "new %lu discard %lu | kswapd wake %lu direct reclaim %lu alloc fail %lu | "
	       "vmalloc %lu mmap %lu | kfree_rcu %lu batches %lu\n",
	       st.pgalloc_pcp, st.pgalloc_pcp_refill, st.pgalloc_buddy, st.pgfree_pcp,
	       st.pgfree_buddy, st.pcp_drain, st.pcp_trylock_fail, st.zone_lock, st.slab_alloc_fast,
	       st.slab_alloc_slow, st.slab_free_fast, st.slab_free_slow, st.slab_new,
	       st.slab_discard, st.kswapd_wake, st.direct_reclaim, st.alloc_fail, st.vmalloc,
	       st.vmap_mmap, st.kfree_rcu, st.kfree_rcu_batches);
	show_view("buddyinfo");
	show_view("meminfo");
	show_view("slabinfo");
	show_view("vmallocinfo");
}

static void list_cases(void)
{
	for (int c = 0; c < stress_nr_cases; c++)
		printf("%-12s %s%s\n", stress_cases[c]->name, stress_cases[c]->help,
		       stress_cases[c]->default_on ? "" : " (not in the default set)");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kmm-stress [options]\n"
		"  --cpus N         worker threads, one per CPU (nr_cpus=N)    [4]\n"
		"  --irqs M         interrupt threads                          [1]\n"
		"  --irq-rate HZ    firings per second per interrupt thread    [1000]\n"
		"  --seconds S      run time                                   [10]\n"
		"  --mem SIZE       simulated memory (K/M/G)                    [256M]\n"
		"  --seed N         random seed (printed; reuse to reproduce)\n"
		"  --cases a,b,c    workloads by name (--list)\n"
		"  --layout L       64bit or 32bit zone layout                  [64bit]\n"
		"  --thread-life S  seconds before a worker is replaced (0: never) [2]\n"
		"  --cmdline STR    more kmm boot parameters (e.g. slub_debug=FZPU)\n"
		"  --quiet          no status lines\n"
		"  --list           list the workloads\n");
}

static int parse_size(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	case '\0': break;
	default: return -1;
	}
	if (*end || !v)
		return -1;
	*out = v;
	return 0;
}

static int select_cases(const char *list)
{
	char buf[512], *tok, *save = NULL;

	if (!list) {
		for (int c = 0; c < stress_nr_cases; c++)
			case_enabled[c] = stress_cases[c]->default_on;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c = case_index(tok);

		if (!strcmp(tok, "all")) {
			for (c = 0; c < stress_nr_cases; c++)
				case_enabled[c] = true;
			continue;
		}
		if (c < 0) {
			fprintf(stderr, "kmm-stress: unknown case '%s' (in this build: ", tok);
			for (c = 0; c < stress_nr_cases; c++)
				fprintf(stderr, "%s%s", c ? "," : "", stress_cases[c]->name);
			fprintf(stderr, ")\n");
			return -1;
		}
		case_enabled[c] = true;
	}
	return 0;
}

static int parse_args(int argc, char **argv, const char **cases)
{
	static const struct option lo[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "irqs", required_argument, NULL, 'i' },
		{ "irq-rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "mem", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 'S' },
		{ "cases", required_argument, NULL, 'C' },
		{ "layout", required_argument, NULL, 'L' },
		{ "thread-life", required_argument, NULL, 't' },
		{ "cmdline", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool seeded = false;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': opts.cpus = atoi(optarg); break;
		case 'i': opts.irqs = atoi(optarg); break;
		case 'r': opts.irq_rate = atoi(optarg); break;
		case 's': opts.seconds = atof(optarg); break;
		case 'm':
			if (parse_size(optarg, &opts.mem)) {
				fprintf(stderr, "kmm-stress: bad --mem '%s'\n", optarg);
				return -1;
			}
			break;
		case 'S': opts.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'C': *cases = optarg; break;
		case 'L':
			if (strcmp(optarg, "32bit") && strcmp(optarg, "64bit")) {
				fprintf(stderr, "kmm-stress: --layout is 64bit or 32bit\n");
				return -1;
			}
			opts.layout32 = !strcmp(optarg, "32bit");
			break;
		case 't': opts.thread_life = atof(optarg); break;
		case 'k': extra_cmdline = optarg; break;
		case 'q': opts.quiet = true; break;
		case 'l': list_cases(); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc || opts.cpus < 1 || opts.cpus > STRESS_MAX_CPUS || opts.irqs < 0 ||
	    opts.irqs > STRESS_MAX_IRQS || opts.seconds <= 0) {
		usage(stderr);
		return -1;
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opts.seed = seed_mix((uint64_t)ts.tv_nsec, (uint64_t)ts.tv_sec ^ (uint64_t)getpid());
	}
	stress_layout32 = opts.layout32;
	return 0;
}

int main(int argc, char **argv)
{
	const char *cases = NULL;
	unsigned long free_boot, free_end;
	char cmdline[512];
	double t0, elapsed;
	long leaked;
	int vm_exists, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parse_args(argc, argv, &cases) || select_cases(cases))
		return 2;
	snprintf(cmdline, sizeof(cmdline), "mem=%lu nr_cpus=%d layout=%s %s", opts.mem, opts.cpus,
		 opts.layout32 ? "32bit" : "64bit", extra_cmdline);
	printf("kmm-stress: seed %" PRIu64 ", %d CPUs, %d irq threads at %d Hz, %.0f s, cmdline '%s'\n",
	       opts.seed, opts.cpus, opts.irqs, opts.irq_rate, opts.seconds, cmdline);
	printf("kmm-stress: cases");
	for (int c = 0; c < stress_nr_cases; c++)
		if (case_enabled[c])
			printf(" %s", stress_cases[c]->name);
	printf("\n");
	rc = kmm_init(cmdline);
	if (rc) {
		fprintf(stderr, "kmm-stress: kmm_init('%s') failed: %d\n", cmdline, rc);
		return 2;
	}
	free_boot = nr_free_pages();
	workers = calloc((size_t)opts.cpus, sizeof(*workers));
	irqs = calloc((size_t)opts.irqs + 1, sizeof(*irqs));
	if (!workers || !irqs || rings_init(opts.cpus))
		return 2;
	for (int i = 0; i < opts.cpus; i++) {
		workers[i].w.id = i;
		workers[i].w.cpu = i;
	}
	for (int i = 0; i < opts.irqs; i++) {
		irqs[i].w.id = i;
		irqs[i].w.cpu = i % opts.cpus;
		irqs[i].w.irq = true;
	}
	for (int c = 0; c < stress_nr_cases; c++) {
		if (case_enabled[c] && stress_cases[c]->setup && stress_cases[c]->setup()) {
			fprintf(stderr, "kmm-stress: setup of case %s failed\n", stress_cases[c]->name);
			return 2;
		}
	}

	t0 = now_sec();
	run();
	elapsed = now_sec() - t0;

	rings_drain_all();
	for (int c = stress_nr_cases - 1; c >= 0; c--)
		if (case_enabled[c] && stress_cases[c]->teardown)
			stress_cases[c]->teardown();
	stress_reclaim_all();
	invariant_walks();
	free_end = nr_free_pages();
	if (free_end != free_boot)
		violation("free pages at teardown %lu, right after boot %lu: %ld pages not back",
			  free_end, free_boot, (long)free_boot - (long)free_end);
	check_caches_empty();
	if (!proc_is_empty("vmallocinfo", &vm_exists))
		violation("vmallocinfo is not empty at teardown");
	summary(elapsed);
	if (kmm_report_count())
		violation("kmm printed %lu BUG/WARNING reports", kmm_report_count());
	rings_exit();
	leaked = kmm_exit();
	if (leaked)
		violation("kmm_exit() reports %ld leaked objects and pages", leaked);
	free(workers);
	free(irqs);
	if (violations()) {
		printf("kmm-stress: FAILED: %lu invariant violations; reproduce with --seed %" PRIu64 "\n",
		       violations(), opts.seed);
		return 1;
	}
	printf("kmm-stress: PASSED (%lu pages back, seed %" PRIu64 ")\n", free_end, opts.seed);
	return 0;
}
