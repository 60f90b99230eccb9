/* Memory pressure: watermarks, the GFP_ATOMIC emergency reserve, blocking
 * allocations, __GFP_NORETRY, kswapd with a shrinker, HighAtomic blocks and
 * fault injection. After every scenario every page is back. */
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include "kmm_test.h"
#include "buddy/buddy.h"
#include "buddy/vmstat.h"

/* A page stack threaded through the pages themselves (all lowmem). */
struct stack {
	void *top;
	unsigned long n;
	pthread_mutex_t lock;
};

static void push(struct stack *s, struct page *p)
{
	void **va = page_address(p);

	pthread_mutex_lock(&s->lock);
	*va = s->top;
	s->top = va;
	__atomic_store_n(&s->n, s->n + 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->lock);
}

static struct page *pop(struct stack *s)
{
	void **va;

	pthread_mutex_lock(&s->lock);
	va = s->top;
	if (va) {
		s->top = *va;
		__atomic_store_n(&s->n, s->n - 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->lock);
	return va ? virt_to_page(va) : NULL;
}

static void release_all(struct stack *s)
{
	struct page *p;

	while ((p = pop(s)))
		__free_page(p);
}

static unsigned long fill(struct stack *s, gfp_t gfp)
{
	unsigned long n = 0;
	struct page *p;

	while ((p = alloc_page(gfp | __GFP_NOWARN))) {
		push(s, p);
		n++;
	}
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct stack pages = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void boot(const char *cmdline)
{
	assert_int_equal(kmm_test_boot(cmdline), 0);
}

static void finish(void)
{
	release_all(&pages);
	drain_all_pages(NULL);
	assert_int_equal(nr_free_pages(), boot_free);
	assert_int_equal(kmm_exit(), 0);
}

/* The floor a zone keeps against an allocation with these alloc flags. */
static long floor_of(struct zone *z, unsigned int alloc_flags)
{
	long min = (long)z->watermark[WMARK_MIN];

	if (alloc_flags & ALLOC_MIN_RESERVE) {
		min -= min / 2;
		if (alloc_flags & ALLOC_NON_BLOCK)
			min -= min / 4;
	}
	return min + z->lowmem_reserve[ZONE_NORMAL];
}

struct irq_fill {
	gfp_t gfp;
	unsigned long got;
};

static void *irq_filler(void *argp)
{
	struct irq_fill *a = argp;

	kmm_cpu_bind(1);
	kmm_irq_enter();
	a->got = fill(&pages, a->gfp);
	kmm_irq_exit();
	return NULL;
}

/* Fill with GFP_NOWAIT until it fails: every zone is at its min mark.
 * GFP_ATOMIC from an interrupt thread then still succeeds, down to 3/8 of
 * min, and GFP_NOWAIT keeps failing. */
static void test_atomic_reserve_below_nowait(void **state)
{
	struct irq_fill irq = { .gfp = GFP_ATOMIC };
	pthread_t th;
	struct zone *z;

	(void)state;
	boot("mem=64M nr_cpus=2 kswapd=off pcp=off");
	assert_true(fill(&pages, GFP_NOWAIT) > 10000);
	for_each_populated_zone(z)
		assert_true((long)zone_free_pages_exact(z) <= floor_of(z, ALLOC_NON_BLOCK));
	pthread_create(&th, NULL, irq_filler, &irq);
	pthread_join(th, NULL);
	/* the emergency pool gave pages: about 5/8 of min over the zones */
	assert_true(irq.got > 0);
	for_each_populated_zone(z) {
		long free = (long)zone_free_pages_exact(z);
		long floor = floor_of(z, ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK);

		assert_true(free <= floor);
		assert_true(free >= floor - 1);	/* never below the floor */
	}
	assert_null(alloc_page(GFP_NOWAIT | __GFP_NOWARN));
	/* __GFP_NOMEMALLOC: no "further quarter", so nothing left for it */
	assert_null(alloc_page(GFP_ATOMIC | __GFP_NOMEMALLOC | __GFP_NOWARN));
	/* __GFP_MEMALLOC ignores the watermarks altogether */
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_MEMALLOC);
	assert_non_null(p);
	__free_page(p);
	finish();
}

static struct page *blocked_result;
static double blocked_done;

static void *blocking_alloc(void *arg)
{
	(void)arg;
	kmm_cpu_bind(0);
	blocked_result = alloc_page(GFP_KERNEL);
	blocked_done = now();
	return NULL;
}

/* A GFP_KERNEL allocation with nothing free sleeps until another thread
 * frees, then succeeds. */
static void test_kernel_alloc_blocks_until_free(void **state)
{
	pthread_t th;
	double freed_at;

	(void)state;
	boot("mem=64M nr_cpus=2 kswapd=off pcp=off");
	fill(&pages, GFP_ATOMIC);
	pthread_create(&th, NULL, blocking_alloc, NULL);
	usleep(200 * 1000);
	/* still waiting: nothing was freed */
	assert_null(__atomic_load_n(&blocked_result, __ATOMIC_ACQUIRE));
	freed_at = now();
	/* enough to lift the zones back above their min watermark */
	for (int i = 0; i < 1024; i++)
		__free_page(pop(&pages));
	pthread_join(th, NULL);
	assert_non_null(blocked_result);
	assert_true(blocked_done >= freed_at);
	push(&pages, blocked_result);
	finish();
}

/* __GFP_NORETRY: one light attempt, then NULL (no long wait, no hang). */
static void test_noretry_fails_fast(void **state)
{
	double t0;

	(void)state;
	boot("mem=64M nr_cpus=2 kswapd=off pcp=off");
	fill(&pages, GFP_ATOMIC);
	t0 = now();
	assert_null(alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN));
	assert_true(now() - t0 < 1.0);
	/* __GFP_RETRY_MAYFAIL retries while reclaim progresses, then fails */
	assert_null(alloc_pages(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN, 2));
	/* costly orders fail without __GFP_RETRY_MAYFAIL */
	assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 5));
	finish();
}

static struct stack cache = { .lock = PTHREAD_MUTEX_INITIALIZER };
static unsigned long scanned;

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return __atomic_load_n(&cache.n, __ATOMIC_RELAXED);
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = 0;
	struct page *p;

	(void)s;
	while (freed < sc->nr_to_scan && (p = pop(&cache))) {
		__free_page(p);
		freed++;
	}
	__atomic_fetch_add(&scanned, freed, __ATOMIC_RELAXED);
	return freed ? freed : SHRINK_STOP;
}

static bool zones_balanced(void)
{
	struct zone *z;

	for_each_populated_zone(z)
		if (zone_free_pages_exact(z) <= z->watermark[WMARK_HIGH])
			return false;
	return true;
}

/* Below the low watermark kswapd wakes and, with a shrinker giving pages
 * back, restores every zone to its high watermark. */
static void test_kswapd_restores_high_watermark(void **state)
{
	struct shrinker *s;
	struct kmm_stats st;

	(void)state;
	boot("mem=64M nr_cpus=2 pcp=off");
	s = shrinker_alloc(0, "test-cache");
	s->count_objects = cache_count;
	s->scan_objects = cache_scan;
	shrinker_register(s);
	kmm_stats_reset();
	fill(&cache, GFP_NOWAIT);
	/* kswapd runs on its own thread: give a loaded machine time */
	for (int i = 0; i < 3000 && !zones_balanced(); i++)
		usleep(10 * 1000);
	assert_true(zones_balanced());
	kmm_stats_read(&st);
	assert_true(st.kswapd_wake >= 1);
	assert_true(__atomic_load_n(&scanned, __ATOMIC_RELAXED) > 0);
	shrinker_free(s);
	release_all(&cache);
	finish();
}

/* A high-order atomic allocation that needed the slow path (below the low
 * watermark) reserves its pageblock as HighAtomic. */
static void test_highatomic_reserve(void **state)
{
	struct page *p;
	char *pt;

	(void)state;
	boot("mem=64M nr_cpus=2 kswapd=off pcp=off");
	/* everything down to min, then a little back: below the low mark */
	fill(&pages, GFP_NOWAIT);
	for (int i = 0; i < 64; i++)
		__free_page(pop(&pages));
	p = alloc_pages(GFP_ATOMIC, 2);
	assert_non_null(p);
	pt = proc_text("pagetypeinfo");
	/* DMA32 has one HighAtomic pageblock now */
	char *line = strstr(pt, "Node 0, zone    DMA32 ");
	assert_non_null(line);
	unsigned long unmov, mov, recl, high;
	assert_int_equal(sscanf(line + strlen("Node 0, zone    DMA32 "), "%lu %lu %lu %lu",
				&unmov, &mov, &recl, &high), 4);
	assert_int_equal(high, 1);
	free(pt);
	__free_pages(p, 2);
	finish();
}

/* The rule for a sleeping allocation that finds nothing (page_alloc.c):
 * it fails ALLOC_WAIT_US (2 s) after its first pass of direct reclaim, by
 * the clock, however often frees wake it and whatever reclaim hands back
 * meanwhile.
 * The slack is for a loaded machine. */
#define WAIT_BOUND	2.0
#define WAIT_SLACK	1.0

struct waiter {
	int cpu;
	unsigned int order;
	struct page *page;
	double elapsed;
	pthread_t th;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	double t0;

	kmm_cpu_bind(w->cpu);
	t0 = now();
	w->page = alloc_pages(GFP_KERNEL | __GFP_NOWARN, w->order);
	w->elapsed = now() - t0;
	return NULL;
}

struct churn {
	int cpu;
	bool stop;
	unsigned long rounds;
	pthread_t th;
};

/* An interrupt thread taking one page from the reserve and giving it back. */
static void *irq_churn(void *arg)
{
	struct churn *c = arg;

	kmm_cpu_bind(c->cpu);
	kmm_irq_enter();
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		struct page *p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);

		if (p) {
			__free_page(p);
			__atomic_store_n(&c->rounds, c->rounds + 1, __ATOMIC_RELAXED);
		}
	}
	kmm_irq_exit();
	return NULL;
}

/* Waiters on CPUs 0.. (order 0 and 1), with `nr_churn` interrupt threads
 * churning on the CPUs after them: every waiter fails within the bound. */
static void waiters_fail_in_bound(int nr_waiters, int nr_churn)
{
	struct waiter w[4];
	struct churn c[4];

	for (int i = 0; i < nr_churn; i++) {
		c[i] = (struct churn){ .cpu = nr_waiters + i };
		pthread_create(&c[i].th, NULL, irq_churn, &c[i]);
	}
	for (int i = 0; i < nr_waiters; i++) {
		w[i] = (struct waiter){ .cpu = i, .order = (unsigned int)i & 1 };
		pthread_create(&w[i].th, NULL, waiter_main, &w[i]);
	}
	for (int i = 0; i < nr_waiters; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(WAIT_BOUND + WAIT_SLACK) + 2;
		if (pthread_timedjoin_np(w[i].th, NULL, &ts))
			fail_msg("waiter %d (%d churning) still waits after %.1f s", i, nr_churn,
				 WAIT_BOUND + WAIT_SLACK + 2);
		if (w[i].page)
			fail_msg("waiter %d (order %u, %d churning) had a page after %.3f s", i,
				 w[i].order, nr_churn, w[i].elapsed);
		if (w[i].elapsed < WAIT_BOUND || w[i].elapsed > WAIT_BOUND + WAIT_SLACK)
			fail_msg("waiter %d (%d churning) failed after %.3f s, not in [%.1f, %.2f] s",
				 i, nr_churn, w[i].elapsed, WAIT_BOUND, WAIT_BOUND + WAIT_SLACK);
	}
	for (int i = 0; i < nr_churn; i++) {
		__atomic_store_n(&c[i].stop, true, __ATOMIC_RELEASE);
		pthread_join(c[i].th, NULL);
		assert_true(c[i].rounds > 100);
	}
}

/* Memory down into the GFP_ATOMIC reserve, with what reclaim could give
 * back (pcp lists, empty slabs) taken too, then 16 pages given back: far
 * below every min watermark, but with pages for interrupt threads. */
static void fill_to_reserve(void)
{
	fill(&pages, GFP_ATOMIC);
	rcu_barrier();
	shrink_slab(GFP_KERNEL, 1UL << 20);
	drain_all_pages(NULL);
	fill(&pages, GFP_ATOMIC);
	for (int i = 0; i < 16; i++)
		__free_page(pop(&pages));
}

/* GFP_KERNEL cannot have a page, the interrupt threads' GFP_ATOMIC can.
 * Quiet, and with the interrupt threads' frees waking the waiters and
 * going to a pcp list (pcp=on) or straight to the buddy (pcp=off), the
 * bound is the same. */
static void test_kernel_alloc_wait_bounded(void **state)
{
	(void)state;
	boot("mem=64M nr_cpus=4 kswapd=off");
	fill_to_reserve();
	waiters_fail_in_bound(1, 0);
	/* one waiter, one interrupt thread: a page drained from the other
	 * CPU's list is taken straight back */
	waiters_fail_in_bound(1, 1);
	finish();
	boot("mem=64M nr_cpus=4 kswapd=off pcp=off");
	fill_to_reserve();
	waiters_fail_in_bound(2, 2);
	finish();
}

/* fail_page_alloc with the kernel's syntax and knobs. */
static void test_fault_injection(void **state)
{
	int failed = 0;
	struct page *p;

	(void)state;
	/* probability 50%: about half fail */
	boot("mem=64M nr_cpus=2 kswapd=off fail_page_alloc=1,50,0,-1 "
	     "fail_page_alloc.ignore-gfp-wait=0 fail_page_alloc.min-order=0");
	for (int i = 0; i < 4000; i++) {
		p = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (p)
			__free_page(p);
		else
			failed++;
	}
	assert_true(failed > 1600 && failed < 2400);
	finish();

	/* interval 4, probability 100: exactly every fourth */
	boot("mem=64M nr_cpus=2 kswapd=off fail_page_alloc=4,100,0,-1 "
	     "fail_page_alloc.ignore-gfp-wait=0 fail_page_alloc.min-order=0");
	failed = 0;
	for (int i = 0; i < 400; i++) {
		p = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (p)
			__free_page(p);
		else
			failed++;
	}
	assert_int_equal(failed, 100);
	finish();

	/* times 3; the kernel's defaults skip sleeping and order-0 requests */
	boot("mem=64M nr_cpus=2 kswapd=off fail_page_alloc=1,100,0,3");
	failed = 0;
	for (int i = 0; i < 50; i++) {
		p = alloc_pages(GFP_KERNEL, 1);
		assert_non_null(p);
		__free_pages(p, 1);
		p = alloc_page(GFP_ATOMIC);
		assert_non_null(p);
		__free_page(p);
		p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 1);
		if (p)
			__free_pages(p, 1);
		else
			failed++;
	}
	assert_int_equal(failed, 3);
	finish();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atomic_reserve_below_nowait),
		cmocka_unit_test(test_kernel_alloc_blocks_until_free),
		cmocka_unit_test(test_noretry_fails_fast),
		cmocka_unit_test(test_kswapd_restores_high_watermark),
		cmocka_unit_test(test_highatomic_reserve),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_kernel_alloc_wait_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
