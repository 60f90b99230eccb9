/* bench_footprint: what kmm costs a real process, as JSON.
 *
 *	bench_footprint [--out FILE] [--quick] [--kmm_cmdline="..."]
 *
 * Each measurement runs in a fresh child process (this program re-executed
 * with --child=...), so one measurement's memory never shows in another's
 * RSS; peers' mallocs are the Debian libraries loaded with LD_PRELOAD into
 * such a child, which checks that the library it asked for is the one
 * answering. Figures:
 *
 *   boot             kmm_init and kmm_exit time and RSS after boot at
 *                    mem=1G, 8G, 64G (median of 5 children)
 *   kmalloc_100mb    100 MiB of 64-byte objects: peak RSS of kmalloc
 *                    against each peer's malloc (the objects are chained
 *                    through themselves: no side array)
 *   alloc_free_shrink  the same 100 MiB from a kmem_cache (and from
 *                    kmalloc), all freed, kmem_cache_shrink and
 *                    drain_all_pages: RSS every 50 ms for 6 s, and when it
 *                    came back within 1.2x of the RSS before the allocation
 *   vmalloc_vs_mmap  vmalloc + touch every page + vfree against mmap +
 *                    touch + munmap of the same size, 64 KiB, 1 MiB,
 *                    16 MiB, at 1 and 2 threads (median of 3 interleaved
 *                    runs each)
 *   reuse_1m         1 MiB vmalloc + touch + vfree, steady state, against
 *                    each peer's malloc(1 MiB) + touch + free
 *
 * Timings are wall-clock: on a shared machine read them as such. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
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
	double elapsed;
	int failed;
};

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
	double t0;

	if (l->kind == LOOP_VMALLOC)
		kmm_cpu_bind(l->cpu);
	l->failed = loop_once(l, 0);
	pthread_barrier_wait(l->start);
	t0 = now();
	while (!l->failed && (now() - t0 < l->seconds || l->ops < 5)) {
		l->failed = loop_once(l, l->ops);
		l->ops++;
	}
	l->elapsed = now() - t0;
	return NULL;
}

static int child_loop(const char *what, size_t size, int threads, double seconds)
{
	enum loop_kind kind = !strcmp(what, "vmalloc") ? LOOP_VMALLOC :
			      !strcmp(what, "mmap") ? LOOP_MMAP : LOOP_MALLOC;
	struct loop l[2];
	pthread_t t[2];
	pthread_barrier_t start;
	double ns = 0;
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
		failed |= l[i].failed;
	}
	pthread_barrier_destroy(&start);
	printf("{\"ns_per_op\": %.1f, \"ops\": %lu, \"failed\": %d}\n", ns, l[0].ops, failed);
	if (kind == LOOP_VMALLOC) {
		kmm_cpu_bind(0);
		kmm_exit();
	}
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
	if (!strcmp(mode, "loop") && argc >= 4)
		return child_loop(argv[0], strtoul(argv[1], NULL, 0), atoi(argv[2]), atof(argv[3]));
	fprintf(stderr, "bench_footprint: bad child arguments\n");
	return 2;
}

/* ---- the parent: runs children, collects their JSON ---- */

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

struct out {
	FILE *f;
	int targets;		/* entries written to "targets" */
	char targets_buf[8192];
	size_t tlen;
};

static void target(struct out *o, const char *name, double value, const char *op, double limit)
{
	bool met = !strcmp(op, "<=") ? value <= limit : value >= limit;

	o->tlen += (size_t)snprintf(o->targets_buf + o->tlen, sizeof(o->targets_buf) - o->tlen,
				    "%s\n  {\"target\": \"%s\", \"value\": %.3f, \"op\": \"%s\", "
				    "\"limit\": %.3f, \"met\": %s}", o->targets++ ? "," : "", name,
				    value, op, limit, met ? "true" : "false");
	fprintf(stderr, "  %-58s %10.3f %s %-8.3g %s\n", name, value, op, limit,
		met ? "met" : "NOT MET");
}

static void bench_boot(struct out *o)
{
	static const char *const mems[] = { "1G", "8G", "64G" };
	int reps = quick ? 3 : 5;

	fprintf(o->f, "  \"boot\": [");
	for (size_t m = 0; m < 3; m++) {
		double init[5], exitt[5], rss[5];
		char buf[512], name[80];

		for (int r = 0; r < reps; r++) {
			const char *args[] = { "boot", mems[m], NULL };

			if (run_child(NULL, buf, sizeof(buf), args)) {
				fprintf(stderr, "bench_footprint: boot at mem=%s failed\n", mems[m]);
				exit(1);
			}
			init[r] = json_num(buf, "init_ms");
			exitt[r] = json_num(buf, "exit_ms");
			rss[r] = json_num(buf, "rss_kib");
		}
		fprintf(o->f, "%s\n    {\"mem\": \"%s\", \"init_ms\": %.3f, \"exit_ms\": %.3f, "
			"\"rss_after_boot_kib\": %.0f, \"runs\": %d}", m ? "," : "", mems[m],
			median(init, reps), median(exitt, reps), median(rss, reps), reps);
		snprintf(name, sizeof(name), "kmm_init ms at mem=%s", mems[m]);
		target(o, name, median(init, reps), "<=", 5);
		snprintf(name, sizeof(name), "RSS after boot MiB at mem=%s", mems[m]);
		target(o, name, median(rss, reps) / 1024, "<=", 10);
	}
	fprintf(o->f, "\n  ],\n");
}

static void bench_kmalloc(struct out *o)
{
	static const char *const who[] = { "kmm", "glibc", "jemalloc", "tcmalloc", "mimalloc" };
	double peak[5] = { 0 };
	char buf[512];

	fprintf(o->f, "  \"kmalloc_100mb\": {\"object_size\": %d, \"bytes\": %lu, \"results\": [",
		OBJ_SIZE, OBJ_BYTES);
	for (int i = 0; i < 5; i++) {
		const char *args[] = { "kmalloc", who[i], NULL };
		int p = peer_index(who[i]);

		if (run_child(p > 0 ? peer_libs[p] : NULL, buf, sizeof(buf), args)) {
			fprintf(stderr, "bench_footprint: 100 MiB of kmallocs with %s failed\n", who[i]);
			exit(1);
		}
		peak[i] = json_num(buf, "peak_rss_kib");
		fprintf(o->f, "%s\n    {\"allocator\": \"%s\", %s", i ? "," : "", who[i], buf + 1);
	}
	fprintf(o->f, "\n  ], \"kmm_over_mimalloc\": %.3f},\n", peak[0] / peak[4]);
	target(o, "100 MiB of 64 B kmallocs: peak RSS kmm / mimalloc", peak[0] / peak[4], "<=", 1.1);
}

static void bench_shrink(struct out *o)
{
	static const char *const variants[] = { "kmem_cache", "kmalloc" };
	char buf[768];

	fprintf(o->f, "  \"alloc_free_shrink\": [");
	for (int i = 0; i < 2; i++) {
		const char *args[] = { "shrink", variants[i], NULL };

		if (run_child(NULL, buf, sizeof(buf), args)) {
			fprintf(stderr, "bench_footprint: alloc-free-shrink (%s) failed\n", variants[i]);
			exit(1);
		}
		fprintf(o->f, "%s\n    %s", i ? "," : "", buf);
		if (!i)
			target(o, "alloc-free-shrink (kmem_cache): RSS at 5 s / before", json_num(buf,
			       "ratio_at_5s"), "<=", 1.2);
	}
	fprintf(o->f, "\n  ],\n");
}

/* Median ns/op of `reps` children for each of two loops, run in turn. */
static void paired(const char *a_what, const char *a_lib, const char *b_what, const char *b_lib,
		   size_t size, int threads, double seconds, int reps, double *a_ns, double *b_ns)
{
	double a[5], b[5];
	char sz[32], th[8], sec[16], buf[256];

	snprintf(sz, sizeof(sz), "%zu", size);
	snprintf(th, sizeof(th), "%d", threads);
	snprintf(sec, sizeof(sec), "%.2f", seconds);
	for (int r = 0; r < reps; r++) {
		const char *aa[] = { "loop", a_what, sz, th, sec, NULL };
		const char *ba[] = { "loop", b_what, sz, th, sec, NULL };

		if (run_child(a_lib, buf, sizeof(buf), aa) || json_num(buf, "failed") != 0) {
			fprintf(stderr, "bench_footprint: %s loop of %zu failed\n", a_what, size);
			exit(1);
		}
		a[r] = json_num(buf, "ns_per_op");
		if (b_what) {
			if (run_child(b_lib, buf, sizeof(buf), ba) || json_num(buf, "failed") != 0) {
				fprintf(stderr, "bench_footprint: %s loop of %zu failed\n", b_what, size);
				exit(1);
			}
			b[r] = json_num(buf, "ns_per_op");
		}
	}
	*a_ns = median(a, reps);
	if (b_what)
		*b_ns = median(b, reps);
}

static void bench_vmalloc(struct out *o)
{
	static const size_t sizes[] = { 64 << 10, 1 << 20, 16 << 20 };
	int reps = 3, first = 1;
	double secs = quick ? 0.1 : 0.3;

	fprintf(o->f, "  \"vmalloc_vs_mmap\": [");
	for (size_t s = 0; s < 3; s++) {
		for (int threads = 1; threads <= 2; threads++) {
			double v, m;
			char name[96];

			paired("vmalloc", NULL, "mmap", NULL, sizes[s], threads, secs, reps, &v, &m);
			fprintf(o->f, "%s\n    {\"size\": %zu, \"threads\": %d, \"vmalloc_ns_per_op\": %.1f, "
				"\"mmap_ns_per_op\": %.1f, \"speedup\": %.2f}", first ? "" : ",",
				sizes[s], threads, v, m, m / v);
			first = 0;
			snprintf(name, sizeof(name), "vmalloc+vfree / mmap+munmap speed, %zu KiB, %d thr",
				 sizes[s] >> 10, threads);
			target(o, name, m / v, ">=", 1.0);
		}
	}
	fprintf(o->f, "\n  ],\n");
}

static void bench_reuse(struct out *o)
{
	double kmm, best = 0, peer_ns[NR_PEERS], dummy;
	double secs = quick ? 0.1 : 0.3;

	fprintf(o->f, "  \"reuse_1m\": {\"results\": [");
	paired("vmalloc", NULL, NULL, NULL, MIB, 1, secs, 3, &kmm, &dummy);
	fprintf(o->f, "\n    {\"allocator\": \"kmm\", \"call\": \"vmalloc+touch+vfree\", "
		"\"ns_per_op\": %.1f}", kmm);
	for (int i = 0; i < NR_PEERS; i++) {
		paired(peers[i], peer_libs[i], NULL, NULL, MIB, 1, secs, 3, &peer_ns[i], &dummy);
		fprintf(o->f, ",\n    {\"allocator\": \"%s\", \"call\": \"malloc+touch+free\", "
			"\"ns_per_op\": %.1f}", peers[i], peer_ns[i]);
		if (!best || peer_ns[i] < best)
			best = peer_ns[i];
	}
	fprintf(o->f, "\n  ], \"kmm_over_fastest_peer\": %.3f},\n", kmm / best);
	target(o, "1 MiB vmalloc+touch+vfree on reuse / fastest peer malloc", kmm / best, "<=", 2.0);
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	struct out o = { 0 };
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
	o.f = out_path ? fopen(out_path, "w") : stdout;
	if (!o.f)
		return 2;
	uname(&u);
	fprintf(o.f, "{\n  \"program\": \"bench_footprint\", \"machine\": \"%s %s, %ld CPUs\", "
		"\"kmm_cmdline\": \"%s\", \"quick\": %s,\n", u.sysname, u.machine,
		sysconf(_SC_NPROCESSORS_ONLN), kmm_cmdline, quick ? "true" : "false");
	fprintf(stderr, "bench_footprint: targets (timings are wall-clock)\n");
	bench_boot(&o);
	bench_kmalloc(&o);
	bench_shrink(&o);
	bench_vmalloc(&o);
	bench_reuse(&o);
	fprintf(o.f, "  \"targets\": [%s\n  ]\n}\n", o.targets_buf);
	if (o.f != stdout)
		fclose(o.f);
	return 0;
}
