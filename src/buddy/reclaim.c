/* Reclaim (DESIGN.md §5): kswapd, direct reclaim and the shrinker list.
 *
 * There is no page cache to evict: what can be given back is what the
 * per-CPU lists hold and what shrinkers (slab caches, lazy vmalloc areas,
 * pending kfree_rcu batches, the user's own caches) release.
 *
 * Lock order, outermost first:
 *   shrinker_lock (LOCK_RANK_SHRINKER)  the shrinker list and each
 *       shrinker's bookkeeping (struct shrinker_entry). It is dropped while a shrinker runs, so
 *       reclaimers run shrinkers concurrently (as the kernel's do);
 *       in_use pins a running shrinker and shrinker_free() waits for it.
 *   reclaim_lock  (LOCK_RANK_RECLAIM)   kswapd's wake flag and condition;
 *       a leaf taken by any allocation that wakes kswapd, so it ranks
 *       inside every lock an allocation may be made under.
 * Allocations waiting for frees sleep on a futex event counter, not a
 * condition variable, so a free wakes them without taking any lock.
 * Shrinkers must not allocate with __GFP_DIRECT_RECLAIM. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"
#include "lib/host_mem.h"
#include "lib/list.h"
#include "lib/cpu.h"
#include "lib/events.h"
#include "buddy/vmstat.h"

#define SHRINK_BATCH 128

/* A shrinker and kmm's bookkeeping of it: shrinker_alloc() hands out the
 * public part, the kernel's fields. */
struct shrinker_entry {
	struct shrinker shrinker;
	char name[32];
	struct list_head list;		/* shrinker_list */
	bool registered;
	unsigned int in_use;		/* scans running without shrinker_lock */
};

static struct kmm_mutex shrinker_lock;
static struct list_head shrinker_list = LIST_HEAD_INIT(shrinker_list);
static pthread_once_t shrinker_once = PTHREAD_ONCE_INIT;

static pthread_cond_t shrinker_idle = PTHREAD_COND_INITIALIZER;
static struct kmm_mutex reclaim_lock = KMM_MUTEX_INIT("reclaim_lock", LOCK_RANK_RECLAIM);
static pthread_cond_t kswapd_wait = PTHREAD_COND_INITIALIZER;
static unsigned int free_event;	/* bumped by frees while someone waits */
static pthread_t kswapd_thread;
static bool kswapd_running, kswapd_should_stop, kswapd_wakeup;
unsigned int reclaim_nr_waiters;

static void shrinker_lock_init(void)
{
	kmm_mutex_init(&shrinker_lock, "shrinker_lock", LOCK_RANK_SHRINKER);
}

static struct shrinker_entry *shrinker_entry_of(struct shrinker *s)
{
	return container_of(s, struct shrinker_entry, shrinker);
}

struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
{
	struct shrinker_entry *e = host_calloc(1, sizeof(*e));
	va_list ap;

	if (!e)
		return NULL;
	e->shrinker.flags = flags;
	e->shrinker.seeks = DEFAULT_SEEKS;
	INIT_LIST_HEAD(&e->list);
	va_start(ap, fmt);
	vsnprintf(e->name, sizeof(e->name), fmt, ap);
	va_end(ap);
	return &e->shrinker;
}

void shrinker_register(struct shrinker *s)
{
	struct shrinker_entry *e;

	pthread_once(&shrinker_once, shrinker_lock_init);
	if (!s || !s->count_objects || !s->scan_objects) {
		kmm_warn("shrinker_register: shrinker %s without count/scan callbacks",
			 s ? shrinker_entry_of(s)->name : "(null)");
		return;
	}
	e = shrinker_entry_of(s);
	kmm_mutex_lock(&shrinker_lock);
	if (e->registered) {
		kmm_mutex_unlock(&shrinker_lock);
		kmm_warn("shrinker_register: %s registered twice", e->name);
		return;
	}
	list_add_tail(&e->list, &shrinker_list);
	e->registered = true;
	kmm_mutex_unlock(&shrinker_lock);
}

void shrinker_free(struct shrinker *s)
{
	struct shrinker_entry *e;

	if (!s)
		return;
	e = shrinker_entry_of(s);
	pthread_once(&shrinker_once, shrinker_lock_init);
	kmm_mutex_lock(&shrinker_lock);
	if (e->registered) {
		e->registered = false;
		while (e->in_use)
			pthread_cond_wait(&shrinker_idle, &shrinker_lock.mutex);
		list_del(&e->list);
	}
	kmm_mutex_unlock(&shrinker_lock);
	host_free(e);
}

static unsigned long shrink_one(struct shrinker *s, gfp_t gfp, unsigned long nr_to_scan)
{
	struct shrink_control sc = { .gfp_mask = gfp, .nid = 0 };
	unsigned long count = s->count_objects(s, &sc), todo, freed = 0;
	unsigned long batch = s->batch > 0 ? (unsigned long)s->batch : SHRINK_BATCH;

	if (!count || count == SHRINK_EMPTY)
		return 0;
	todo = MIN(count, nr_to_scan);
	while (todo) {
		unsigned long ret;

		sc.nr_to_scan = MIN(batch, todo);
		sc.nr_scanned = sc.nr_to_scan;
		ret = s->scan_objects(s, &sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		todo -= MIN(todo, sc.nr_scanned ? sc.nr_scanned : sc.nr_to_scan);
	}
	return freed;
}

/* shrink_slab(): ask every shrinker for up to nr_to_scan objects, in
 * batches. Returns how many objects they freed. */
unsigned long shrink_slab(gfp_t gfp, unsigned long nr_to_scan)
{
	struct list_head *pos;
	unsigned long freed = 0;

	pthread_once(&shrinker_once, shrinker_lock_init);
	kmm_mutex_lock(&shrinker_lock);
	for (pos = shrinker_list.next; pos != &shrinker_list;) {
		struct shrinker_entry *e = container_of(pos, struct shrinker_entry, list);

		if (!e->registered) {
			pos = pos->next;
			continue;
		}
		e->in_use++;
		kmm_mutex_unlock(&shrinker_lock);
		freed += shrink_one(&e->shrinker, gfp, nr_to_scan);
		kmm_mutex_lock(&shrinker_lock);
		if (!--e->in_use)
			pthread_cond_broadcast(&shrinker_idle);
		pos = e->list.next;	/* e stays listed while in_use */
	}
	kmm_mutex_unlock(&shrinker_lock);
	return freed;
}

void shrinkers_exit(void)
{
	pthread_once(&shrinker_once, shrinker_lock_init);
	kmm_mutex_lock(&shrinker_lock);
	while (!list_empty(&shrinker_list)) {
		struct shrinker_entry *e = list_first_entry(&shrinker_list, struct shrinker_entry,
							    list);

		list_del(&e->list);
		e->registered = false;
	}
	kmm_mutex_unlock(&shrinker_lock);
}

static unsigned long total_free_exact(void)
{
	return nr_free_pages();
}

/* One pass of reclaim: pcp lists back to the buddy, then shrinkers. */
static unsigned long reclaim_pass(gfp_t gfp, unsigned long nr_to_scan)
{
	unsigned long before = total_free_exact(), after;

	drain_all_pages(NULL);
	shrink_slab(gfp, nr_to_scan);
	after = total_free_exact();
	return after > before ? after - before : 0;
}

unsigned long try_to_free_pages(gfp_t gfp, unsigned int order)
{
	return reclaim_pass(gfp, (unsigned long)SHRINK_BATCH << order);
}

/* Sleeps until a free bumps free_event or the timeout passes. A free that
 * lands between reading the event and sleeping changes the futex word, so
 * FUTEX_WAIT returns at once: no wake-up is lost. */
void reclaim_wait_for_free(unsigned long timeout_us)
{
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_us / 1000000),
		.tv_nsec = (long)(timeout_us % 1000000) * 1000,
	};
	unsigned int ev;

	atomic_add_acq_rel(&reclaim_nr_waiters, 1);
	ev = atomic_load_acquire(&free_event);
	syscall(SYS_futex, &free_event, FUTEX_WAIT_PRIVATE, ev, &ts, NULL, 0);
	atomic_sub_relaxed(&reclaim_nr_waiters, 1);
}

noinline void reclaim_wake_waiters_slow(void)
{
	atomic_add_acq_rel(&free_event, 1);
	syscall(SYS_futex, &free_event, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void wakeup_kswapd(struct zone *z, unsigned int order)
{
	if (!atomic_load_relaxed(&kswapd_running) || atomic_load_relaxed(&kswapd_wakeup))
		return;	/* kswapd clears the flag when it starts a round */
	kmm_mutex_lock(&reclaim_lock);
	atomic_store_relaxed(&kswapd_wakeup, true);
	pthread_cond_signal(&kswapd_wait);
	kmm_mutex_unlock(&reclaim_lock);
}

static bool zone_balanced(struct zone *z)
{
	return zone_free_pages_exact(z) > z->watermark[WMARK_HIGH];
}

static bool all_zones_balanced(void)
{
	struct zone *z;

	for_each_populated_zone(z)
		if (!zone_balanced(z))
			return false;
	return true;
}

/* Rounds of reclaim without progress before kswapd gives up on a wake
 * (the kernel's kswapd_failures reach MAX_RECLAIM_RETRIES). */
#define KSWAPD_MAX_FAILURES	3
/* After a wake that reclaimed nothing, kswapd rests this long before it
 * answers the next one, so exhausted memory does not keep it spinning. */
#define KSWAPD_BACKOFF_US	10000

static void kswapd_rest(unsigned long us)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)us * 1000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	kmm_mutex_lock(&reclaim_lock);
	while (!atomic_load_relaxed(&kswapd_should_stop) &&
	       pthread_cond_timedwait(&kswapd_wait, &reclaim_lock.mutex, &ts) == 0)
		;
	kmm_mutex_unlock(&reclaim_lock);
}

/* kswapd: woken below a low watermark, reclaims until every zone is above
 * its high watermark or rounds stop making progress, then sleeps. The wake
 * flag is cleared before reclaiming, so a wake that comes during a round
 * (memory still being consumed) brings another round. */
static void *kswapd_main(void *arg)
{
	(void)arg;
	cpu_bind_own_thread(0);
	for (;;) {
		unsigned long progress = 0;
		int failures = 0;

		kmm_mutex_lock(&reclaim_lock);
		while (!atomic_load_relaxed(&kswapd_wakeup) && !atomic_load_relaxed(&kswapd_should_stop))
			pthread_cond_wait(&kswapd_wait, &reclaim_lock.mutex);
		atomic_store_relaxed(&kswapd_wakeup, false);
		kmm_mutex_unlock(&reclaim_lock);
		if (atomic_load_relaxed(&kswapd_should_stop))
			break;
		count_event(EV_kswapd_wake);
		while (!all_zones_balanced() && failures < KSWAPD_MAX_FAILURES) {
			unsigned long got = reclaim_pass(GFP_KERNEL, SHRINK_BATCH * 8);

			progress += got;
			failures = got ? 0 : failures + 1;
		}
		reclaim_wake_waiters_slow();
		if (!progress)
			kswapd_rest(KSWAPD_BACKOFF_US);
	}
	return NULL;
}

int kswapd_start(void)
{
	atomic_store_relaxed(&kswapd_should_stop, false);
	atomic_store_relaxed(&kswapd_wakeup, false);
	if (pthread_create(&kswapd_thread, NULL, kswapd_main, NULL))
		return -EAGAIN;
	atomic_store_relaxed(&kswapd_running, true);
	return 0;
}

void kswapd_stop(void)
{
	if (!atomic_load_relaxed(&kswapd_running))
		return;
	kmm_mutex_lock(&reclaim_lock);
	atomic_store_relaxed(&kswapd_should_stop, true);
	pthread_cond_signal(&kswapd_wait);
	kmm_mutex_unlock(&reclaim_lock);
	pthread_join(kswapd_thread, NULL);
	atomic_store_relaxed(&kswapd_running, false);
}
