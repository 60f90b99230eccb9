/* The C allocator's functions on kmm, one thread: sizes, alignment, zeroing,
 * realloc, errno; memory exhaustion; misuse reported; signal handlers that
 * allocate; and, in the prefixed build, which sees kmm's owner sections,
 * calls made inside one. Usage: api_test api|enomem|misuse|signals|nested */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "mtest.h"
#ifdef KMM_MALLOC_PREFIX
#include "lib/cpu_owner.h"
#include "lib/host_mem.h"
#endif

/* Values the compiler cannot see through: the misuse here is deliberate. */
static volatile size_t huge_count = SIZE_MAX / 8;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Every size class and the three ranges (kmalloc caches, compound pages,
 * vmalloc): usable size, alignment, contents. */
static void test_sizes(void)
{
	static void *held[400];
	static size_t held_size[400];
	int n = 0;

	for (size_t size = 0; size <= (12UL << 20) && n < 400; size += size < 300 ? 1 : size / 4) {
		void *p = M(malloc)(size);

		CHECK(p);
		CHECK(M(malloc_usable_size)(p) >= size);
		CHECK((uintptr_t)p % (size >= 16 ? 16 : 8) == 0);
		mt_fill(p, size, (unsigned int)n);
		held[n] = p;
		held_size[n++] = size;
	}
	for (int i = 0; i < n; i++) {
		CHECK(mt_intact(held[i], held_size[i], (unsigned int)i));
		M(free)(held[i]);
	}
	M(free)(NULL);
	CHECK(M(malloc_usable_size)(NULL) == 0);
}

static void test_calloc(void)
{
	static const size_t sizes[] = { 1, 24, 100, 4000, 9000, 70000, 3 << 20, 6 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = M(malloc)(sizes[i]);

		memset(p, 0xee, sizes[i]);
		M(free)(p);
		p = M(calloc)(1, sizes[i]);
		CHECK(p);
		for (size_t j = 0; j < sizes[i]; j++)
			CHECK(p[j] == 0);
		M(free)(p);
	}
	errno = 0;
	CHECK(!M(calloc)(huge_count, 16));
	CHECK(errno == ENOMEM);
}

static void test_realloc(void)
{
	unsigned char *p = NULL;
	size_t size = 0;

	/* growth through every range, contents kept */
	for (size_t next = 1; next <= (9UL << 20); next = next * 3 / 2 + 1) {
		p = M(realloc)(p, next);
		CHECK(p);
		CHECK(mt_intact(p, size, 5));
		mt_fill(p, next, 5);
		size = next;
	}
	/* and shrinking back */
	while (size > 1) {
		size = size / 3;
		p = M(realloc)(p, size + 1);
		CHECK(p);
		CHECK(mt_intact(p, size + 1, 5));
	}
	errno = 0;
	CHECK(!M(realloc)(p, 0));		/* freed, as glibc does */
	p = M(realloc)(NULL, 77);
	CHECK(p && M(malloc_usable_size)(p) >= 77);
	CHECK(!M(reallocarray)(p, huge_count, 16) && errno == ENOMEM);
	p = M(reallocarray)(p, 10, 100);
	CHECK(p && M(malloc_usable_size)(p) >= 1000);
	M(free)(p);
}

static void test_aligned(void)
{
	void *p;

	for (size_t align = 1; align <= (4UL << 20); align <<= 1) {
		for (size_t size = 1; size <= (6UL << 20); size = size * 5 + 3) {
			if (align >= sizeof(void *)) {
				CHECK(M(posix_memalign)(&p, align, size) == 0);
				CHECK((uintptr_t)p % align == 0);
				CHECK(M(malloc_usable_size)(p) >= size);
				mt_fill(p, size, 1);
				M(free)(p);
			}
			p = M(aligned_alloc)(align, size);
			CHECK(p && (uintptr_t)p % align == 0);
			mt_fill(p, size, 2);
			M(free)(p);
			p = M(memalign)(align, size);
			CHECK(p && (uintptr_t)p % align == 0);
			M(free)(p);
		}
	}
	/* above 4 MiB: vmalloc, page alignment and more */
	for (size_t align = 4096; align <= (8UL << 20); align <<= 2) {
		CHECK(M(posix_memalign)(&p, align, 5UL << 20) == 0);
		CHECK((uintptr_t)p % align == 0 && M(malloc_usable_size)(p) >= (5UL << 20));
		mt_fill(p, 5UL << 20, 4);
		CHECK(mt_intact(p, 5UL << 20, 4));
		M(free)(p);
	}
	/* a memalign alignment that is not a power of two is rounded up */
	p = M(memalign)(48, 10);
	CHECK(p && (uintptr_t)p % 64 == 0);
	M(free)(p);
	CHECK(M(posix_memalign)(&p, 24, 10) == EINVAL);
	CHECK(M(posix_memalign)(&p, 4, 10) == EINVAL);
	errno = 0;
	CHECK(!M(aligned_alloc)(24, 10) && errno == EINVAL);
	p = M(valloc)(10);
	CHECK(p && (uintptr_t)p % 4096 == 0);
	M(free)(p);
	p = M(pvalloc)(0);
	CHECK(p && (uintptr_t)p % 4096 == 0 && M(malloc_usable_size)(p) >= 4096);
	M(free)(p);
	p = M(pvalloc)(5000);
	CHECK(p && M(malloc_usable_size)(p) >= 8192);
	M(free)(p);
}

/* A successful call leaves errno alone. */
static void test_errno_kept(void)
{
	void *p;

	errno = 1234;
	p = M(malloc)(10);
	p = M(realloc)(p, 100000);
	M(free)(p);
	p = M(calloc)(3, 3);
	M(free)(p);
	CHECK(errno == 1234);
}

static int mode_api(void)
{
	CHECK(mt_malloc_is_kmm());
	test_sizes();
	test_calloc();
	test_realloc();
	test_aligned();
	test_errno_kept();
	printf("api: ok\n");
	return 0;
}

/* Run with KMM_CMDLINE=mem=64M: allocations fail with ENOMEM, each
 * promptly, and memory comes back when freed. */
static int mode_enomem(void)
{
	enum { MAX = 1 << 20 };
	static void *held[MAX];
	const size_t sizes[] = { 1 << 20, 64 };
	double worst = 0;

	CHECK(mt_malloc_is_kmm());
	for (int round = 0; round < 2; round++) {
		for (size_t s = 0; s < 2; s++) {
			int n = 0;
			double t;

			for (;;) {
				CHECK(n < MAX);
				t = now();
				errno = 0;
				held[n] = M(malloc)(sizes[s]);
				t = now() - t;
				worst = t > worst ? t : worst;
				if (!held[n])
					break;
				n++;
			}
			CHECK(errno == ENOMEM);
			CHECK(n > 10);
			while (n--)
				M(free)(held[n]);
		}
	}
	printf("enomem: worst call %.3f s\n", worst);
	CHECK(worst < 1.0);
	return 0;
}

/* Misuse: each is one report on stderr and changes nothing. Counted from
 * a file standing in for stderr. */
static int reports_in(const char *path)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(path, "r");

	CHECK(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "BUG", 3) || !strncmp(line, "WARNING", 7))
			n++;
	fclose(f);
	return n;
}

/* Read back from memory each time: the compiler may neither drop an
 * unused malloc/free pair nor warn about the deliberate second free. */
static void *volatile slot[4];

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return x < y ? -1 : x > y;
}

/* n blocks of one size held at once: all distinct. */
static int distinct_blocks(size_t size, int n)
{
	static void *held[2000];
	int ok = 1;

	CHECK(n <= 2000);
	for (int i = 0; i < n; i++)
		CHECK((held[i] = M(malloc)(size)));
	qsort(held, (size_t)n, sizeof(held[0]), cmp_ptr);
	for (int i = 1; i < n; i++)
		ok &= held[i] != held[i - 1];
	for (int i = 0; i < n; i++)
		M(free)(held[i]);
	return ok;
}

static int mode_misuse(void)
{
	char path[] = "/tmp/kmm-malloc-misuse.XXXXXX";
	int fd = mkstemp(path), saved = dup(2), local = 0, expect = 0;
	char *p;

	CHECK(fd >= 0 && saved >= 0);
	slot[0] = M(malloc)(40);
	slot[1] = M(malloc)(100000);
	slot[2] = M(malloc)(9 << 20);
	slot[3] = &local;
	dup2(fd, 2);
	for (int i = 0; i < 3; i++) {
		M(free)(slot[i]);
		M(free)(slot[i]);	/* double free: slab object, pages, vmalloc */
		expect++;
	}
	M(free)(slot[3]);		/* never allocated */
	expect++;
	p = M(malloc)(64);
	slot[3] = p + 8;
	M(free)(slot[3]);		/* inside an object */
	expect++;
	fflush(stderr);
	dup2(saved, 2);
	CHECK(reports_in(path) == expect);
	/* nothing changed: p is still live, the allocator still works, and
	 * no double-freed block is handed out twice */
	mt_fill(p, 64, 7);
	CHECK(distinct_blocks(40, 2000));
	CHECK(distinct_blocks(100000, 40));
	CHECK(distinct_blocks(9 << 20, 3));
	CHECK(mt_intact(p, 64, 7));
	M(free)(p);
	for (int i = 0; i < 1000; i++) {
		void *q = M(malloc)((size_t)i * 13);

		CHECK(q);
		M(free)(q);
	}
	unlink(path);
	printf("misuse: %d reports\n", expect);
	return 0;
}

/* Signal handlers that allocate while the program allocates: no deadlock,
 * no block handed out twice. The handler keeps some blocks for the main
 * loop to free (through a ring of atomic slots). */
#define RING 256
static void *ring[RING];
static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
	static unsigned int seq;
	void *p;

	(void)sig;
	p = M(malloc)(1 + seq % 300);
	if (!p)
		abort();
	mt_fill(p, 1 + seq % 300, seq);
	if (seq & 1) {
		M(free)(p);
	} else {
		void *old = __atomic_exchange_n(&ring[seq / 2 % RING], p, __ATOMIC_ACQ_REL);

		M(free)(old);
	}
	seq++;
	handled++;
}

static int mode_signals(void)
{
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	double end = now() + 0.5;
	void *held[64] = { 0 };
	unsigned long ops = 0;

	CHECK(mt_malloc_is_kmm());
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (now() < end) {
		for (unsigned int i = 0; i < 64; i++, ops++) {
			size_t size = (ops * 37) % 5000;

			if (held[i]) {
				CHECK(mt_intact(held[i], (((ops - 64) * 37) % 5000), (unsigned int)i));
				M(free)(held[i]);
			}
			held[i] = M(malloc)(size);
			CHECK(held[i]);
			mt_fill(held[i], size, i);
		}
		for (unsigned int i = 0; i < RING; i += 7)
			M(free)(__atomic_exchange_n(&ring[i], NULL, __ATOMIC_ACQ_REL));
	}
	it.it_value.tv_usec = 0;
	it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	for (unsigned int i = 0; i < 64; i++)
		M(free)(held[i]);
	for (unsigned int i = 0; i < RING; i++)
		M(free)(ring[i]);
	printf("signals: %lu operations, %d handlers allocated\n", ops, (int)handled);
	CHECK(handled > 10);
	return 0;
}

#ifdef KMM_MALLOC_PREFIX
/* What a signal handler that interrupts malloc's or free's inline fast
 * path (an owner section, shim.h) does, made deterministic: inside the
 * section a malloc is served from host memory, and a free of a kmm object
 * waits on the thread's deferred list until its next entry leaves, so that
 * the interrupted pop or push is never raced. */
static int mode_nested(void)
{
	void *k, *h, *q, *c;

	k = M(malloc)(64);	/* registers the thread: a kmm object */
	CHECK(k && !host_owns(k));
	cpu_own_enter();
	h = M(malloc)(64);
	CHECK(h && host_owns(h));
	M(free)(k);		/* deferred */
	cpu_own_exit();
	q = M(malloc)(64);	/* k is not free yet: not handed out */
	CHECK(q && q != k && !host_owns(q));
	c = M(calloc)(1, 8);	/* an entry: its leave frees k */
	CHECK(c);
	CHECK(M(malloc)(64) == k);	/* the most recently freed object */
	M(free)(k);
	M(free)(q);
	M(free)(c);
	M(free)(h);
	printf("nested: host block %p inside the section, %p freed at the next entry\n", h, k);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "api";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(mode, "api"))
		return mode_api();
	if (!strcmp(mode, "enomem"))
		return mode_enomem();
	if (!strcmp(mode, "misuse"))
		return mode_misuse();
	if (!strcmp(mode, "signals"))
		return mode_signals();
#ifdef KMM_MALLOC_PREFIX
	if (!strcmp(mode, "nested"))
		return mode_nested();
#endif
	fprintf(stderr, "usage: api_test api|enomem|misuse|signals|nested\n");
	return 2;
}
