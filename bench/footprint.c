/* bench_footprint: what kmm costs a real process.
 *
 *	bench_footprint [--out=FILE] [--quick] [--kmm_cmdline="..."]
 *
 * Writes the benchmark driver's records JSON (bench/driver/collect.py:
 * {"context": {...}, "records": [{"allocator", "pattern", "threads",
 * "metrics"}]}) to FILE or stdout, one record per child and measurement
 * (the driver takes medians), and a summary on stderr. ./ci/bench --suite
 * footprint runs it and checks bench/targets.toml against it.
 *
 * Each measurement runs in a fresh child process (this program re-executed
 * with --child), so one measurement's memory never shows in another's
 * RSS; peers' mallocs are the Debian libraries loaded with LD_PRELOAD into
 * such a child, which checks that the library it asked for is the one
 * answering. Patterns:
 *
 *   boot/mem=1G|8G|64G  kmm_init and kmm_exit time (init_ms, exit_ms) and
 *                    RSS after boot (rss_kib), 5 children each
 *   kmalloc_100mb    100 MiB of 64-byte objects, chained through
 *                    themselves (no side array): peak RSS (max_rss_kib) of
 *                    kmalloc and of each peer's malloc
 *   alloc_free_shrink/kmem_cache|kmalloc  the same 100 MiB from a
 *                    kmem_cache (or kmalloc), all freed, kmem_cache_shrink
 *                    and drain_all_pages: RSS at 5 s over RSS before
 *                    (rss_ratio), and when it came within 1.2x (back_s)
 *   vmalloc_steady/65536|1048576|16777216  vmalloc + touch every page +
 *                    vfree (kmm) against mmap + touch + munmap (mmap) at 1
 *                    and 2 threads, in turn, 3 children each: ops_s and
 *                    CPU ns per pair (cpu_ns_op)
 *   reuse/1048576    1 MiB vmalloc + touch + vfree in steady state (kmm)
 *                    against each peer's malloc(1 MiB) + touch + free
 *   alloc_percpu_live/35000  35,000 alloc_percpu objects of mixed sizes and
 *                    alignments kept live: wall and CPU ns per call, 3 children
 *
 * Timings are wall-clock (ops_s) and CPU time (cpu_ns_op): on a shared
 * machine read the first as such. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <kmm/kmm.h>

#define MIB		(1UL << 20)
#define OBJ_SIZE	64
#define OBJ_BYTES	(100 * MIB)
#define NR_PEERS	4

static const char *const peers[NR_PEERS] = { "glibc", "jemalloc", "tcmalloc", "mimalloc" };
static const char *const peer_libs[NR_PEERS] = {
	NULL, "libjemalloc.so.2", "libtcmalloc_minimal.so.4", "libmimalloc.so.2",
};
/* A symbol only that malloc library defines: proof it is the one loaded. */
static const char *const peer_probe[NR_PEERS] = { NULL, "mallctl", "tc_malloc", "mi_version" };

static char self_path[4096];
static char kmm_cmdline[512] = "nr_cpus=2";
static int quick;

/* ---- small helpers ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	size_t len = strlen(key);
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len))
			kb = atol(line + len);
	fclose(f);
	return kb;
}

static long rss_kb(void)
{
	return status_kb("VmRSS:");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int peer_index(const char *name)
{
	for (int i = 0; i < NR_PEERS; i++)
		if (!strcmp(name, peers[i]))
			return i;
	return -1;
}

/* In a peer's child: is its malloc the one answering? */
static int check_peer(const char *name)
{
	int i = peer_index(name);

	if (i < 0)
		return -1;
	if (peer_probe[i] && !dlsym(RTLD_DEFAULT, peer_probe[i])) {
		fprintf(stderr, "bench_footprint: %s was not preloaded (no %s)\n", name,
			peer_probe[i]);
		return -1;
	}
	return 0;
}

static int boot_kmm(const char *extra)
{
	char line[768];

	snprintf(line, sizeof(line), "%s %s", kmm_cmdline, extra ? extra : "");
	if (kmm_init(line)) {
		fprintf(stderr, "bench_footprint: kmm_init(\"%s\") failed\n", line);
		return -1;
	}
	kmm_cpu_bind(0);
	return 0;
}

/* ---- children: each prints one JSON object on stdout ---- */

static int child_boot(const char *mem)
{
	char extra[64];
	long before = rss_kb(), after;
	double t0, t1, t2;
	long leaked;

	snprintf(extra, sizeof(extra), "mem=%s", mem);
	t0 = now();
	if (boot_kmm(extra))
		return 1;
	t1 = now();
	after = rss_kb();
	leaked = kmm_exit();
	t2 = now();
	printf("{\"init_ms\": %.3f, \"exit_ms\": %.3f, \"rss_before_kib\": %ld, \"rss_kib\": %ld, "
	       "\"leaked\": %ld}\n", (t1 - t0) * 1e3, (t2 - t1) * 1e3, before, after, leaked);
	return leaked != 0;
}

/* 100 MiB of 64-byte objects, chained through their first word. */
static void **alloc_chain(void *(*alloc)(void *ctx), void *ctx, unsigned long *n)
{
	void **head = NULL;

	*n = 0;
	for (unsigned long i = 0; i < OBJ_BYTES / OBJ_SIZE; i++) {
		void **p = alloc(ctx);

		if (!p)
			break;
		memset(p, (int)i, OBJ_SIZE);
		*p = head;
		head = p;
		(*n)++;
	}
	return head;
}

static void free_chain(void **head, void (*release)(void *ctx, void *p), void *ctx)
{
	while (head) {
		void **next = *head;

		release(ctx, head);
		head = next;
	}
}

static void *kmalloc_obj(void *ctx)
{
	(void)ctx;
	return kmalloc(OBJ_SIZE, GFP_KERNEL);
}

static void kfree_obj(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static void *malloc_obj(void *ctx)
{
	(void)ctx;
	return malloc(OBJ_SIZE);
}

static void free_obj(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void *cache_obj(void *ctx)
{
	return kmem_cache_alloc(ctx, GFP_KERNEL);
}

static void cache_free_obj(void *ctx, void *p)
{
	kmem_cache_free(ctx, p);
}

static int child_kmalloc(const char *alloc)
{
	int kmm = !strcmp(alloc, "kmm");
	long base, after;
	unsigned long n;
	void **head;

	if (kmm ? boot_kmm(NULL) : check_peer(alloc))
		return 1;
	base = rss_kb();
	head = kmm ? alloc_chain(kmalloc_obj, NULL, &n) : alloc_chain(malloc_obj, NULL, &n);
	after = rss_kb();
	printf("{\"objects\": %lu, \"base_rss_kib\": %ld, \"rss_kib\": %ld, \"peak_rss_kib\": %ld}\n",
	       n, base, after, status_kb("VmHWM:"));
	free_chain(head, kmm ? kfree_obj : free_obj, NULL);
	if (kmm)
		kmm_exit();
	return n != OBJ_BYTES / OBJ_SIZE;
}

/* Allocate, free, shrink, then watch RSS come back (free page reporting
 * releases blocks that stay free for its delay). */
static int child_shrink(const char *variant)
{
	int use_cache = !strcmp(variant, "kmem_cache");
	struct kmem_cache *cache = NULL;
	double t0, back_at = -1, limit = quick ? 4.0 : 6.0;
	long base, peak, freed_rss, at5 = -1, last = -1;
	unsigned long n;
	void **head;

	if (boot_kmm(NULL))
		return 1;
	if (use_cache)
		cache = kmem_cache_create("footprint-64", OBJ_SIZE, 0, 0, NULL);
	base = rss_kb();
	head = use_cache ? alloc_chain(cache_obj, cache, &n) : alloc_chain(kmalloc_obj, NULL, &n);
	peak = rss_kb();
	free_chain(head, use_cache ? cache_free_obj : kfree_obj, cache);
	if (cache)
		kmem_cache_shrink(cache);
	drain_all_pages(NULL);
	t0 = now();
	freed_rss = rss_kb();
	while (now() - t0 < limit) {
		last = rss_kb();
		if (back_at < 0 && last <= base * 12 / 10)
			back_at = now() - t0;
		if (at5 < 0 && now() - t0 >= 5.0)
			at5 = last;
		usleep(50000);
	}
	if (at5 < 0)
		at5 = last;
	printf("{\"variant\": \"%s\", \"base_rss_kib\": %ld, \"peak_rss_kib\": %ld, "
	       "\"rss_after_free_kib\": %ld, \"rss_at_5s_kib\": %ld, \"rss_end_kib\": %ld, "
	       "\"seconds_to_1_2x\": %.2f, \"ratio_at_5s\": %.3f}\n", variant, base, peak,
	       freed_rss, at5, last, back_at, (double)at5 / (double)base);
	if (cache)
		kmem_cache_destroy(cache);
	kmm_exit();
	return 0;
}

/* ---- timed loops: alloc + touch every page + free ---- */

enum loop_kind { LOOP_VMALLOC, LOOP_MMAP, LOOP_MALLOC };

struct loop {
	enum loop_kind kind;
	size_t size;
	double seconds;
	int cpu;
	pthread_barrier_t *start;
	unsigned long ops;
	double elapsed, cpu_s;
	int failed;
};

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *loop_alloc(struct loop *l)
{
	void *p;

	switch (l->kind) {
	case LOOP_VMALLOC:
		return vmalloc(l->size);
	case LOOP_MMAP:
		p = mmap(NULL, l->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? NULL : p;
	case LOOP_MALLOC:
		return malloc(l->size);
	}
	return NULL;
}

static void loop_free(struct loop *l, void *p)
{
	switch (l->kind) {
	case LOOP_VMALLOC:
		vfree(p);
		break;
	case LOOP_MMAP:
		munmap(p, l->size);
		break;
	case LOOP_MALLOC:
		free(p);
		break;
	}
}

static int loop_once(struct loop *l, unsigned long i)
{
	volatile char *p = loop_alloc(l);

	if (!p)
		return -1;
	for (size_t off = 0; off < l->size; off += 4096)
		p[off] = (char)i;
	loop_free(l, (void *)p);
	return 0;
}

/* A warm-up pair, then pairs until `seconds` have passed (at least 5). */
static void *loop_thread(void *arg)
{
	struct loop *l = arg;
	double t0, c0;

	if (l->kind == LOOP_VMALLOC)
		kmm_cpu_bind(l->cpu);
	l->failed = loop_once(l, 0);
	pthread_barrier_wait(l->start);
	t0 = now();
	c0 = thread_cpu();
	while (!l->failed && (now() - t0 < l->seconds || l->ops < 5)) {
		l->failed = loop_once(l, l->ops);
		l->ops++;
	}
	l->elapsed = now() - t0;
	l->cpu_s = thread_cpu() - c0;
	return NULL;
}

static int child_loop(const char *what, size_t size, int threads, double seconds)
{
	enum loop_kind kind = !strcmp(what, "vmalloc") ? LOOP_VMALLOC :
			      !strcmp(what, "mmap") ? LOOP_MMAP : LOOP_MALLOC;
	struct loop l[2];
	pthread_t t[2];
	pthread_barrier_t start;
	double ns = 0, cpu = 0, longest = 0;
	unsigned long ops = 0;
	int failed = 0;

	if (kind == LOOP_VMALLOC ? boot_kmm(NULL) : kind == LOOP_MALLOC ? check_peer(what) : 0)
		return 1;
	pthread_barrier_init(&start, NULL, (unsigned int)threads);
	for (int i = 0; i < threads; i++) {
		l[i] = (struct loop){ .kind = kind, .size = size, .seconds = seconds, .cpu = i,
				      .start = &start };
		pthread_create(&t[i], NULL, loop_thread, &l[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ns += l[i].elapsed * 1e9 / (double)l[i].ops / threads;
		cpu += l[i].cpu_s;
		ops += l[i].ops;
		longest = l[i].elapsed > longest ? l[i].elapsed : longest;
		failed |= l[i].failed;
	}
	pthread_barrier_destroy(&start);
	/* ns_per_op: one thread's pair; ops_s: pairs per second, all threads */
	printf("{\"ns_per_op\": %.1f, \"ops_s\": %.1f, \"cpu_ns_op\": %.1f, \"ops\": %lu, "
	       "\"failed\": %d}\n", ns, (double)ops / longest, cpu * 1e9 / (double)ops, ops, failed);
	if (kind == LOOP_VMALLOC) {
		kmm_cpu_bind(0);
		kmm_exit();
	}
	return failed;
}

/* 35,000 live per-CPU objects, sizes and alignments of kernel structures. */
#define PERCPU_LIVE 35000

static int child_percpu(void)
{
	static const size_t sizes[] = { 8, 16, 24, 64, 8, 40, 128, 8 };
	void **p = calloc(PERCPU_LIVE, sizeof(*p));
	double t0, c0, t1, c1;
	int failed = 0;

	if (!p || boot_kmm(NULL))
		return 1;
	t0 = now();
	c0 = thread_cpu();
	for (int i = 0; i < PERCPU_LIVE; i++)
		failed |= !(p[i] = __alloc_percpu(sizes[i % 8], i % 5 ? 8 : 64));
	c1 = thread_cpu();
	t1 = now();
	printf("{\"ns_per_op\": %.1f, \"ops_s\": %.1f, \"cpu_ns_op\": %.1f, \"ops\": %d, "
	       "\"failed\": %d}\n", (t1 - t0) * 1e9 / PERCPU_LIVE, PERCPU_LIVE / (t1 - t0),
	       (c1 - c0) * 1e9 / PERCPU_LIVE, PERCPU_LIVE, failed);
	for (int i = 0; i < PERCPU_LIVE; i++)
		free_percpu(p[i]);
	free(p);
	kmm_exit();
	return failed;
}

static int child_main(const char *mode, int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "boot") && argc >= 1)
		return child_boot(argv[0]);
	if (!strcmp(mode, "kmalloc") && argc >= 1)
		return child_kmalloc(argv[0]);
	if (!strcmp(mode, "shrink") && argc >= 1)
		return child_shrink(argv[0]);
	if (!strcmp(mode, "percpu"))
		return child_percpu();
	if (!strcmp(mode, "loop") && argc >= 4)
		return child_loop(argv[0], strtoul(argv[1], NULL, 0), atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "bench_footprint: bad child arguments\n");
	return 2;
}

/* ---- the parent: runs children, writes their figures as records ---- */

/* Runs this program as a child with `args` (and LD_PRELOAD of `preload`),
 * returns its one line of JSON in buf; 0 when it succeeded. */
static int run_child(const char *preload, char *buf, size_t len, const char *const *args)
{
	char *argv[16], cmd[600];
	int pipefd[2], status, n = 0;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "--kmm_cmdline=%s", kmm_cmdline);
	argv[n++] = self_path;
	argv[n++] = cmd;
	if (quick)
		argv[n++] = "--quick";
	argv[n++] = "--child";
	for (; *args && n < 15; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		execv(self_path, argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (got + 1 < len && (r = read(pipefd[0], buf + got, len - got - 1)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	if (got && buf[got - 1] == '\n')
		buf[got - 1] = '\0';
	return 0;
}

static double json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(json, pat);
	return p ? atof(p + strlen(pat)) : -1;
}

/* The benchmark driver's records (bench/driver/collect.py): one per
 * (allocator, pattern, threads) and child; the driver takes medians. */
static FILE *out;
static int nr_records;

static void record(const char *alloc, const char *pattern, int threads, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void record(const char *alloc, const char *pattern, int threads, const char *fmt, ...)
{
	va_list ap;

	fprintf(out, "%s\n  {\"allocator\": \"%s\", \"pattern\": \"%s\", \"threads\": %d, "
		"\"metrics\": {", nr_records++ ? "," : "", alloc, pattern, threads);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputs("}}", out);
}

static void fail(const char *what)
{
	fprintf(stderr, "bench_footprint: %s failed\n", what);
	exit(1);
}

static void bench_boot(void)
{
	static const char *const mems[] = { "1G", "8G", "64G" };

	for (size_t m = 0; m < 3; m++) {
		double init[5], rss[5];
		int reps = quick ? 3 : 5;
		char buf[512], pattern[32];

		snprintf(pattern, sizeof(pattern), "boot/mem=%s", mems[m]);
		for (int r = 0; r < reps; r++) {
			const char *args[] = { "boot", mems[m], NULL };

			if (run_child(NULL, buf, sizeof(buf), args))
				fail(pattern);
			init[r] = json_num(buf, "init_ms");
			rss[r] = json_num(buf, "rss_kib");
			record("kmm", pattern, 1, "\"init_ms\": %.3f, \"exit_ms\": %.3f, \"rss_kib\": %.0f",
			       init[r], json_num(buf, "exit_ms"), rss[r]);
		}
		fprintf(stderr, "  %-14s kmm_init %7.3f ms, RSS after boot %6.2f MiB (median of %d)\n",
			pattern, median(init, reps), median(rss, reps) / 1024, reps);
	}
}

static void bench_kmalloc(void)
{
	static const char *const who[] = { "kmm", "glibc", "jemalloc", "tcmalloc", "mimalloc" };

	for (int i = 0; i < 5; i++) {
		const char *args[] = { "kmalloc", who[i], NULL };
		int p = peer_index(who[i]);
		char buf[512];

		if (run_child(p > 0 ? peer_libs[p] : NULL, buf, sizeof(buf), args))
			fail("100 MiB of 64-byte objects");
		record(who[i], "kmalloc_100mb", 1, "\"max_rss_kib\": %.0f, \"rss_kib\": %.0f",
		       json_num(buf, "peak_rss_kib"), json_num(buf, "rss_kib"));
		fprintf(stderr, "  kmalloc_100mb  %-9s peak RSS %7.1f MiB\n", who[i],
			json_num(buf, "peak_rss_kib") / 1024);
	}
}

static void bench_shrink(void)
{
	static const char *const variants[] = { "kmem_cache", "kmalloc" };

	for (int i = 0; i < 2; i++) {
		const char *args[] = { "shrink", variants[i], NULL };
		char buf[768], pattern[48], extra[32];
		double back;

		snprintf(pattern, sizeof(pattern), "alloc_free_shrink/%s", variants[i]);
		if (run_child(NULL, buf, sizeof(buf), args))
			fail(pattern);
		back = json_num(buf, "seconds_to_1_2x");
		/* back_s only when RSS did come back within 1.2x */
		snprintf(extra, sizeof(extra), ", \"back_s\": %.2f", back);
		record("kmm", pattern, 1, "\"rss_ratio\": %.3f, \"rss_kib\": %.0f, \"max_rss_kib\": %.0f%s",
		       json_num(buf, "ratio_at_5s"), json_num(buf, "rss_at_5s_kib"),
		       json_num(buf, "peak_rss_kib"), back >= 0 ? extra : "");
		snprintf(extra, sizeof(extra), back >= 0 ? "%.2f s" : "never", back);
		fprintf(stderr, "  %-30s RSS %.1f -> peak %.1f -> %.1f MiB at 5 s (%.2fx), "
			"within 1.2x: %s\n", pattern, json_num(buf, "base_rss_kib") / 1024,
			json_num(buf, "peak_rss_kib") / 1024, json_num(buf, "rss_at_5s_kib") / 1024,
			json_num(buf, "ratio_at_5s"), extra);
	}
}

/* One child's timed loop as a record. */
static void loop_record(const char *label, const char *what, const char *lib, size_t size,
			int threads, const char *pattern, double *ns)
{
	double secs = quick ? 0.1 : 0.3;
	char sz[32], th[8], sec[16], buf[256];
	const char *args[] = { "loop", what, sz, th, sec, NULL };

	snprintf(sz, sizeof(sz), "%zu", size);
	snprintf(th, sizeof(th), "%d", threads);
	snprintf(sec, sizeof(sec), "%.2f", secs);
	if (run_child(lib, buf, sizeof(buf), args) || json_num(buf, "failed") != 0)
		fail(pattern);
	*ns = json_num(buf, "ns_per_op");
	record(label, pattern, threads, "\"ops_s\": %.1f, \"cpu_ns_op\": %.1f, \"num_cpus\": %ld",
	       json_num(buf, "ops_s"), json_num(buf, "cpu_ns_op"), sysconf(_SC_NPROCESSORS_ONLN));
}

static void bench_vmalloc(void)
{
	static const size_t sizes[] = { 64 << 10, 1 << 20, 16 << 20 };

	for (size_t s = 0; s < 3; s++) {
		for (int threads = 1; threads <= 2; threads++) {
			double v[3], m[3];
			char pattern[48];

			snprintf(pattern, sizeof(pattern), "vmalloc_steady/%zu", sizes[s]);
			/* In turn, so that a noisy machine hits both alike. */
			for (int r = 0; r < 3; r++) {
				loop_record("kmm", "vmalloc", NULL, sizes[s], threads, pattern, &v[r]);
				loop_record("mmap", "mmap", NULL, sizes[s], threads, pattern, &m[r]);
			}
			fprintf(stderr, "  %-24s %d thr: vmalloc %10.0f ns, mmap %10.0f ns per pair "
				"per thread\n", pattern, threads, median(v, 3), median(m, 3));
		}
	}
}

static void bench_reuse(void)
{
	double ns[3];

	for (int r = 0; r < 3; r++) {
		loop_record("kmm", "vmalloc", NULL, MIB, 1, "reuse/1048576", &ns[r]);
		for (int i = 0; i < NR_PEERS; i++) {
			double pn;

			loop_record(peers[i], peers[i], peer_libs[i], MIB, 1, "reuse/1048576", &pn);
			if (r == 2)
				fprintf(stderr, "  reuse/1048576  %-9s %6.0f ns per malloc+touch+free\n",
					peers[i], pn);
		}
	}
	fprintf(stderr, "  reuse/1048576  kmm       %6.0f ns per vmalloc+touch+vfree (median)\n",
		median(ns, 3));
}

static void bench_percpu(void)
{
	const char *args[] = { "percpu", NULL };
	double ns[3], cpu[3];
	char buf[256];

	for (int r = 0; r < 3; r++) {
		if (run_child(NULL, buf, sizeof(buf), args) || json_num(buf, "failed") != 0)
			fail("alloc_percpu_live/35000");
		ns[r] = json_num(buf, "ns_per_op");
		cpu[r] = json_num(buf, "cpu_ns_op");
		record("kmm", "alloc_percpu_live/35000", 1, "\"ops_s\": %.1f, \"cpu_ns_op\": %.1f, "
		       "\"num_cpus\": %ld", json_num(buf, "ops_s"), cpu[r],
		       sysconf(_SC_NPROCESSORS_ONLN));
	}
	fprintf(stderr, "  alloc_percpu_live/35000  %6.0f ns per call, %6.0f ns CPU (median)\n",
		median(ns, 3), median(cpu, 3));
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	struct utsname u;
	ssize_t n;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--kmm_cmdline=", 14))
			snprintf(kmm_cmdline, sizeof(kmm_cmdline), "%s", argv[i] + 14);
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strncmp(argv[i], "--out=", 6))
			out_path = argv[i] + 6;
		else if (!strcmp(argv[i], "--child") && i + 1 < argc)
			return child_main(argv[i + 1], argc - i - 2, argv + i + 2);
		else {
			fprintf(stderr, "usage: bench_footprint [--out=FILE] [--quick] "
				"[--kmm_cmdline=\"...\"]\n");
			return 2;
		}
	}
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n <= 0)
		return 2;
	self_path[n] = '\0';
	out = out_path ? fopen(out_path, "w") : stdout;
	if (!out)
		return 2;
	uname(&u);
	fprintf(out, "{\"context\": {\"program\": \"bench_footprint\", \"footprint_kmm_cmdline\": "
		"\"%s\", \"footprint_quick\": %s},\n \"records\": [", kmm_cmdline,
		quick ? "true" : "false");
	fprintf(stderr, "bench_footprint (%s %s, %ld CPUs; timings are wall-clock):\n", u.sysname,
		u.machine, sysconf(_SC_NPROCESSORS_ONLN));
	bench_boot();
	bench_kmalloc();
	bench_shrink();
	bench_vmalloc();
	bench_reuse();
	bench_percpu();
	fprintf(out, "\n]}\n");
	if (out != stdout)
		fclose(out);
	return 0;
}
