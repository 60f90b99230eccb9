/* Free page reporting (the kernel's mm/page_reporting.c, as a balloon
 * driver's guest uses it): free blocks of at least page_reporting_order
 * that stay free have their physical memory given back to the host, so a
 * program's RSS follows what it uses, not its peak.
 *
 * Protocol. The reporter registers page_reporting_notify() as the buddy's
 * free notifier: a free that leaves a block of the reporting order or more
 * in a shard calls it under the shard lock (after one compare in the free
 * path), and it does a futex wake on the idle -> requested transition. The
 * reporter thread (nice 19) then waits page_reporting.delay_ms (2 s, the
 * kernel's PAGE_REPORTING_DELAY), so that memory freed and soon reused is
 * not released. Memory about to leave first gets back what the layers
 * above keep idle: the prepare hook (the slab allocator shrinks every
 * cache, as the kernel does before memory goes offline: objects kept in
 * sheaves and per-CPU slabs would pin the blocks around them), then the
 * per-CPU page lists are drained. Then it makes a pass: for each shard,
 * order (highest first)
 * and migratetype it isolates up to REPORT_CAPACITY unreported blocks
 * under the shard lock, drops the lock, releases their memory, and frees
 * them back flagged PG_reported. A notify during a pass, or a pass that
 * gave anything back, brings another pass after the delay. Each list gets a
 * budget per pass of 1/16 of its blocks (at least one batch), as the
 * kernel's, so a pass never holds on
 * to much of memory at once; so does the watermark check, which leaves a
 * zone near its high watermark alone.
 *
 * Releasing a block: fallocate(PUNCH_HOLE) on the physical-memory memfd
 * (MADV_REMOVE on the direct map where that fails), which also drops the
 * pages from every mapping of them; then MADV_DONTNEED on the block's
 * struct pages but the first page of them (the head lives there): inside a
 * free block a zeroed struct page is exactly what it should be (state
 * PS_NONE, no flags), so they come back as zero pages when next touched.
 *
 * Locks: only shard locks, one at a time, never across a system call.
 * The state word and the stop flag are atomics. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/page_reporting.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"
#include "buddy/vmstat.h"

/* Blocks isolated at once (the kernel's PAGE_REPORTING_CAPACITY). */
#define REPORT_CAPACITY		32
/* A list's budget per pass: its blocks / REPORT_BUDGET_DIV, in batches. */
#define REPORT_BUDGET_DIV	16
#define STRUCT_PAGES_PER_PAGE	(PAGE_SIZE / sizeof(struct page))

enum { PR_IDLE, PR_REQUESTED, PR_ACTIVE };

/* The smallest order reported; above MAX_PAGE_ORDER while reporting is
 * off (before start, page_reporting=0, after a failure to release). */
static unsigned int page_reporting_order = NR_PAGE_ORDERS;

static unsigned int pr_state;
static unsigned int pr_stop;
static unsigned long (*pr_prepare)(void);	/* atomic */
static bool pr_running;
static pthread_t pr_thread;

static long futex(unsigned int *word, int op, unsigned int val, const struct timespec *ts)
{
	return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* The buddy's free notifier: called under a shard lock, only wakes. */
static void page_reporting_notify(void)
{
	if (atomic_load_relaxed(&pr_state) == PR_REQUESTED)
		return;
	if (atomic_xchg_acq_rel(&pr_state, PR_REQUESTED) == PR_IDLE)
		futex(&pr_state, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/* Gives the memory of [pfn, pfn + 2^order) back to the host. */
static bool release_block(unsigned long pfn, unsigned int order)
{
	off_t off = (off_t)(pfn << PAGE_SHIFT);
	size_t len = PAGE_SIZE << order;

	if (fallocate(kmm_mem.memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)len)) {
		if (pfn + (1UL << order) > kmm_mem.lowmem_pages ||
		    madvise(pfn_to_virt(pfn), len, MADV_REMOVE))
			return false;
	}
	if ((1UL << order) > STRUCT_PAGES_PER_PAGE)
		madvise(pfn_page(pfn + STRUCT_PAGES_PER_PAGE),
			((1UL << order) - STRUCT_PAGES_PER_PAGE) * sizeof(struct page), MADV_DONTNEED);
	return true;
}

/* Free pages the zone must keep above its high watermark to be reported
 * from: memory that is about to run out is not worth releasing. */
static bool zone_has_room(struct zone *z, unsigned long pages)
{
	return (unsigned long)zone_page_state(z, NR_FREE_PAGES) >
	       z->watermark[WMARK_HIGH] + pages + z->drift;
}

static bool should_stop(void)
{
	return atomic_load_relaxed(&pr_stop);
}

/* Reports unreported blocks of one list, at most `batches` batches.
 * Returns the pages reported. */
static unsigned long report_list(struct buddy_shard *s, unsigned int order, int mt,
				 unsigned long batches)
{
	struct page *batch[REPORT_CAPACITY];
	unsigned long reported = 0;

	while (batches-- && !should_stop()) {
		unsigned int n, want = REPORT_CAPACITY;
		bool ok = true;

		while (want && !zone_has_room(s->zone, (unsigned long)want << order))
			want /= 2;
		if (!want)
			break;
		shard_lock(s);
		n = buddy_isolate_unreported_locked(s, order, mt, batch, want);
		shard_unlock(s);
		if (!n)
			break;
		for (unsigned int i = 0; i < n && ok; i++)
			ok = release_block(pfn_of(batch[i]), order);
		shard_lock(s);
		for (unsigned int i = 0; i < n; i++)
			buddy_putback_reported_locked(s, batch[i], order, mt, ok);
		shard_unlock(s);
		reclaim_wake_waiters();
		if (!ok) {
			kmm_pr_info("kmm: page_reporting: cannot release memory to the host (error %d): "
				    "reporting is off", errno);
			atomic_store_relaxed(&page_reporting_order, NR_PAGE_ORDERS);
			buddy_free_notify_unregister();
			break;
		}
		reported += (unsigned long)n << order;
		if (n < want)
			break;
	}
	return reported;
}

/* page_reporting_process(): every zone, shard, order and migratetype. */
static unsigned long report_pass(bool budgeted)
{
	unsigned int min_order = atomic_load_relaxed(&page_reporting_order);
	unsigned long reported = 0;
	struct zone *z;

	for_each_populated_zone(z) {
		for (unsigned int i = 0; i < z->nr_shards; i++) {
			struct buddy_shard *s = &z->shards[i];

			for (int order = MAX_PAGE_ORDER; order >= (int)min_order; order--) {
				unsigned long nr = atomic_load_relaxed(&s->free_area[order].nr_free);
				unsigned long batches = ULONG_MAX;

				if (!nr)
					continue;
				if (budgeted)
					batches = (nr + REPORT_CAPACITY * REPORT_BUDGET_DIV - 1) /
						  (REPORT_CAPACITY * REPORT_BUDGET_DIV);
				for (int mt = 0; mt < MIGRATE_TYPES; mt++)
					if (mt != MIGRATE_ISOLATE)
						reported += report_list(s, (unsigned int)order, mt, batches);
			}
		}
	}
	return reported;
}

void page_reporting_set_prepare(unsigned long (*prepare)(void))
{
	atomic_store_release(&pr_prepare, prepare);
}

/* What the layers above keep idle goes back to the buddy first; returns
 * the pages the hook gave back. */
static unsigned long report_prepare(void)
{
	unsigned long (*prepare)(void) = atomic_load_acquire(&pr_prepare);
	unsigned long freed;

	if (!prepare)
		return 0;
	freed = prepare();
	drain_all_pages(NULL);
	return freed;
}

unsigned long page_reporting_run(void)
{
	if (atomic_load_relaxed(&page_reporting_order) > MAX_PAGE_ORDER)
		return 0;
	return report_pass(false);
}

/* Sleeps `ms`, or less when stopped. */
static void reporter_delay(unsigned int ms)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (long)(ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while (!should_stop()) {
		struct timespec left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = end.tv_sec - now.tv_sec;
		left.tv_nsec = end.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000;
		}
		if (left.tv_sec < 0)
			break;
		futex(&pr_stop, FUTEX_WAIT_PRIVATE, 0, &left);
	}
}

static void *reporter_main(void *arg)
{
	(void)arg;
	/* Off the CPU's way: the work is never urgent. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	for (;;) {
		unsigned long freed;
		unsigned int st;

		while ((st = atomic_load_acquire(&pr_state)) == PR_IDLE && !should_stop())
			futex(&pr_state, FUTEX_WAIT_PRIVATE, PR_IDLE, NULL);
		if (should_stop())
			break;
		reporter_delay(kmm_config.page_reporting_delay_ms);
		if (should_stop())
			break;
		atomic_store_release(&pr_state, PR_ACTIVE);
		freed = report_prepare();
		/* A notify during the pass left PR_REQUESTED: go again. So does a
		 * pass whose hook gave pages back or that released memory: frees
		 * may still be under way above (objects freed into sheaves after
		 * the hook ran pin their slabs, and free nothing to the buddy that
		 * would notify), and the budget may have left blocks. Only a pass
		 * with nothing to give back lets the reporter idle. */
		if (report_pass(true) || freed)
			continue;
		st = PR_ACTIVE;
		atomic_cas_acq_rel(&pr_state, &st, PR_IDLE);
	}
	return NULL;
}

void page_reporting_start(void)
{
	bool on = kmm_config.page_reporting >= 0 ? kmm_config.page_reporting
						 : !kmm_mem.populated;

	atomic_store_relaxed(&pr_stop, 0);
	atomic_store_relaxed(&pr_state, PR_IDLE);
	if (!on)
		return;
	if (pthread_create(&pr_thread, NULL, reporter_main, NULL)) {
		kmm_pr_info("kmm: page_reporting: cannot start the reporter thread: free memory "
			    "stays with the process");
		return;
	}
	atomic_store_relaxed(&pr_running, true);
	atomic_store_relaxed(&page_reporting_order, kmm_config.page_reporting_order);
	buddy_free_notify_register(kmm_config.page_reporting_order, page_reporting_notify);
}

void page_reporting_stop(void)
{
	atomic_store_relaxed(&page_reporting_order, NR_PAGE_ORDERS);
	buddy_free_notify_unregister();
	if (!atomic_load_relaxed(&pr_running))
		return;
	atomic_store_release(&pr_stop, 1);
	futex(&pr_stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	atomic_xchg_acq_rel(&pr_state, PR_REQUESTED);
	futex(&pr_state, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	pthread_join(pr_thread, NULL);
	atomic_store_relaxed(&pr_running, false);
}

unsigned long page_reporting_free_reported(void)
{
	unsigned long pages = 0;
	struct zone *z;

	for_each_populated_zone(z) {
		for (unsigned int i = 0; i < z->nr_shards; i++) {
			pages += shard_nr_reported(&z->shards[i]);
			if (!kmm_mem.populated)
				pages += shard_nr_deferred(&z->shards[i]) << MAX_PAGE_ORDER;
		}
	}
	return pages;
}
