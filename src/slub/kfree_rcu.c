/* kfree_rcu()/kvfree_rcu(): objects freed after a grace period, in bulk
 * (DESIGN.md §6), as the kernel's kfree_rcu_cpu; a client of RCU's
 * batching engine (lib/rcu_batch.h).
 *
 * Each CPU gathers pointers in page-sized arrays (struct kvfree_bulk), one
 * chain per channel: slab and kmalloc objects, freed with
 * kmem_cache_free_bulk() grouped by cache (kfree() for large kmalloc), and
 * vmalloc'ed ones, freed with kvfree() (vfree). Array pages come from
 * alloc_page(GFP_NOWAIT); when none can be had the object is chained
 * through its own rcu_head instead (rcu_head.func holds the object's
 * address, as in the kernel). What a CPU has gathered goes to liburcu as
 * one batch: when an array page fills, and whenever the engine flushes
 * (its monitor, rcu_barrier(), and the "kfree_rcu" shrinker here, which
 * flushes every client under memory pressure).
 *
 * Back-pressure: each object weighs its bytes (slab slot, large kmalloc
 * pages; a vmalloc'ed object one page), and the bytes pending are bounded
 * by an eighth of memory (KFREE_RCU_LIMIT_SHIFT; kfree_rcu.max_pending=
 * sets another bound, 0 none). Past the bound the
 * engine expedites: a caller that may sleep (rcu_can_wait(): not in
 * atomic context, no read-side section, no RCU callback) runs its CPU's
 * batch itself after a grace period instead of queueing more; one that
 * may not (interrupts, spinlocks held) queues as always, and the monitor
 * runs its CPU's batch at once after a grace period; reclaim's shrinker
 * hands every queue to liburcu, as below the bound.
 *
 * The headless form (kvfree_rcu_mightsleep(), kvfree_call_rcu(NULL, ptr))
 * has no rcu_head to chain through, so it may sleep: for an array page
 * (GFP_KERNEL, no retries), else for a grace period before freeing the
 * object at once, as the kernel's.
 *
 * Lock: the CPU's queue lock, LOCK_RANK_KFREE_RCU; alloc_page() is called
 * under it, so pcp and zone locks nest inside. It guards the CPU's arrays
 * and fallback chain. The engine's counters give kmm_kfree_rcu_pending()
 * (queued - done) and the bytes the bound reads.
 *
 * kfree_rcu() is callable from any context, interrupts included: it sleeps
 * only where rcu_can_wait() says it may. */
#include <errno.h>
#include <pthread.h>
#include <kmm/kmm.h>
#include "buddy/mmzone.h"
#include "buddy/page.h"
#include "buddy/reclaim.h"
#include "lib/bug.h"
#include "lib/context.h"
#include "lib/cpu.h"
#include "lib/events.h"
#include "lib/rcu_batch.h"
#include "slub/kfree_rcu.h"
#include "slub/slab_check.h"
#include "slub/slab.h"
#include "vmalloc/space.h"

enum { KFREE_CH_SLAB, KFREE_CH_VMALLOC, KFREE_N_CHANNELS };
#define KVFREE_BULK_MAX_ENTR	((PAGE_SIZE - 2 * sizeof(void *)) / sizeof(void *))

struct kvfree_bulk {
	struct kvfree_bulk *next;
	unsigned long nr;
	void *ptrs[KVFREE_BULK_MAX_ENTR];
};
_Static_assert(sizeof(struct kvfree_bulk) == PAGE_SIZE, "one array per page");

struct kfree_rcu_work {
	struct rcu_batch b;
	struct kvfree_bulk *bulk[KFREE_N_CHANNELS];
	struct rcu_head *head;
};

struct kfree_rcu_cpu {
	struct rcu_queue q;
	struct kvfree_bulk *bulk[KFREE_N_CHANNELS];	/* newest (filling) first */
	struct rcu_head *head;		/* fallback chain, no array page */
	struct kfree_rcu_work work[RCU_QUEUE_SLOTS];
} cacheline_aligned;

/* Bytes pending past which callers that may sleep wait, unless
 * kfree_rcu.max_pending= says otherwise: memory >> this. */
#define KFREE_RCU_LIMIT_SHIFT	3

static struct kfree_rcu_cpu krc[RCU_MAX_CPUS];
static unsigned long kfree_rcu_peak;	/* atomic: most objects waiting at once */
static struct shrinker *kfree_rcu_shrinker;

static void kfree_rcu_init_cpu(struct rcu_queue *q);
static void kfree_rcu_detach(struct rcu_queue *q, struct rcu_batch *b);
static void kfree_rcu_work_fn(struct rcu_batch *b);

struct rcu_batcher kfree_rcu_batcher = {
	.name = "kfree_rcu_cpu",
	.rank = LOCK_RANK_KFREE_RCU,
	.cpus = krc,
	.stride = sizeof(krc[0]),
	.init_cpu = kfree_rcu_init_cpu,
	.detach = kfree_rcu_detach,
	.run = kfree_rcu_work_fn,
};

static pthread_once_t kfree_rcu_once = PTHREAD_ONCE_INIT;

static void kfree_rcu_register(void)
{
	rcu_batcher_register(&kfree_rcu_batcher);
}

static void kfree_rcu_init_cpu(struct rcu_queue *q)
{
	struct kfree_rcu_cpu *krcp = container_of(q, struct kfree_rcu_cpu, q);

	for (int i = 0; i < RCU_QUEUE_SLOTS; i++)
		q->slot[i] = &krcp->work[i].b;
}

/* --- accounting ------------------------------------------------------------ */

static unsigned long kfree_rcu_count_pending(void)
{
	return rcu_batcher_pending(&kfree_rcu_batcher);
}

/* Sampled at every hand-over and before every batch is freed, the two
 * moments the count of waiting objects peaks, and whenever the count is
 * read: the peak is never below a count anyone saw before it. Returns
 * the count. */
static unsigned long kfree_rcu_note_peak(void)
{
	unsigned long now = kfree_rcu_count_pending();
	unsigned long peak = atomic_load_relaxed(&kfree_rcu_peak);

	while (now > peak && !atomic_cas_relaxed(&kfree_rcu_peak, &peak, now))
		;
	return now;
}

unsigned long kmm_kfree_rcu_pending(void)
{
	return kfree_rcu_note_peak();
}

unsigned long kmm_kfree_rcu_peak(void)
{
	kfree_rcu_note_peak();
	return atomic_load_relaxed(&kfree_rcu_peak);
}

void kmm_kfree_rcu_peak_reset(void)
{
	atomic_store_relaxed(&kfree_rcu_peak, kfree_rcu_count_pending());
}

/* --- freeing after the grace period ------------------------------------------ */

static struct kmem_cache *kfree_rcu_cache_of(const void *obj)
{
	struct page *page = page_compound_head(virt_to_page(obj));

	return PageSlab(page) ? atomic_load_relaxed(&page->slab_cache) : NULL;
}

/* Slab objects in runs of one cache, each run with one
 * kmem_cache_free_bulk(); large kmalloc with kfree(). */
static void kfree_rcu_free_slab_ptrs(void **ptrs, unsigned long nr)
{
	unsigned long i = 0;

	while (i < nr) {
		struct kmem_cache *s = kfree_rcu_cache_of(ptrs[i]);
		unsigned long j = i + 1;

		if (!s) {
			kfree(ptrs[i++]);
			continue;
		}
		while (j < nr && kfree_rcu_cache_of(ptrs[j]) == s)
			j++;
		kmem_cache_free_bulk(s, j - i, &ptrs[i]);
		i = j;
	}
}

static void kfree_rcu_free_bulk(struct kvfree_bulk *b, int ch)
{
	struct kvfree_bulk *next;

	for (; b; b = next) {
		next = b->next;
		if (ch == KFREE_CH_SLAB)
			kfree_rcu_free_slab_ptrs(b->ptrs, b->nr);
		else
			for (unsigned long i = 0; i < b->nr; i++)
				kvfree(b->ptrs[i]);
		__free_page(virt_to_page(b));
	}
}

/* One CPU's batch, after its grace period, on a liburcu thread. */
static void kfree_rcu_work_fn(struct rcu_batch *b)
{
	struct kfree_rcu_work *w = container_of(b, struct kfree_rcu_work, b);
	struct kvfree_bulk *bulk[KFREE_N_CHANNELS];
	struct rcu_head *head = w->head, *next;

	for (int ch = 0; ch < KFREE_N_CHANNELS; ch++) {
		bulk[ch] = w->bulk[ch];
		w->bulk[ch] = NULL;
	}
	w->head = NULL;
	rcu_batch_release(b);

	kfree_rcu_note_peak();
	for (int ch = 0; ch < KFREE_N_CHANNELS; ch++)
		kfree_rcu_free_bulk(bulk[ch], ch);
	for (; head; head = next) {
		next = head->next;
		kvfree((void *)(uintptr_t)head->func);
	}
}

/* --- gathering and handing over ---------------------------------------------- */

/* What the CPU gathered goes into a free work slot (the engine hands it
 * to liburcu). */
static void kfree_rcu_detach(struct rcu_queue *q, struct rcu_batch *b)
{
	struct kfree_rcu_cpu *krcp = container_of(q, struct kfree_rcu_cpu, q);
	struct kfree_rcu_work *w = container_of(b, struct kfree_rcu_work, b);

	for (int ch = 0; ch < KFREE_N_CHANNELS; ch++) {
		w->bulk[ch] = krcp->bulk[ch];
		krcp->bulk[ch] = NULL;
	}
	w->head = krcp->head;
	krcp->head = NULL;
	count_event(EV_kfree_rcu_batches);
	kfree_rcu_note_peak();
}

/* What a pending object weighs against the bound: its slot, or a large
 * kmalloc's pages; a vmalloc'ed object counts one page (its area's size
 * would cost a lookup in the vmap tree). `page` is its head page, NULL
 * outside the direct map (vmalloc'ed: kvfree_call_rcu_ok() passed). */
static always_inline unsigned long kfree_rcu_weight(struct page *page)
{
	if (unlikely(!page))
		return PAGE_SIZE;
	if (likely(PageSlab(page)))
		return atomic_load_relaxed(&page->slab_cache)->size;
	return PAGE_SIZE << compound_order(page);
}

static always_inline int kfree_rcu_channel(struct page *page)
{
	return likely(page) ? KFREE_CH_SLAB : KFREE_CH_VMALLOC;
}

static always_inline void kfree_rcu_register_once(void)
{
	rcu_register();
	if (unlikely(!atomic_load_acquire(&kfree_rcu_batcher.registered)))
		pthread_once(&kfree_rcu_once, kfree_rcu_register);
}

static always_inline struct kfree_rcu_cpu *kfree_rcu_lock(void)
{
	return container_of(rcu_queue_lock(&kfree_rcu_batcher, cpu_id()), struct kfree_rcu_cpu, q);
}

/* Puts `page` as the channel's new array, holding `ptr` (lock held). */
static void kfree_rcu_new_array(struct kfree_rcu_cpu *krcp, int ch, struct page *page, void *ptr)
{
	struct kvfree_bulk *b = page_address(page);

	b->next = krcp->bulk[ch];
	b->nr = 0;
	b->ptrs[b->nr++] = ptr;
	krcp->bulk[ch] = b;
}

/* The channel's array is full or missing: start a new array page, else
 * chain the object through its rcu_head. A full array was offered to the
 * engine when it filled; it stays chained behind the new one. */
static noinline void kfree_rcu_add_slow(struct kfree_rcu_cpu *krcp, int ch,
					struct rcu_head *head, void *ptr)
{
	struct page *page;

	lock_assert_held(&krcp->q.lock);
	page = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
	if (page) {
		kfree_rcu_new_array(krcp, ch, page, ptr);
		return;
	}
	head->func = (void (*)(struct rcu_head *))(uintptr_t)ptr;
	head->next = krcp->head;
	krcp->head = head;
}

/* The object is in (lock held): counts it and unlocks. An array that just
 * filled is a batch worth; the engine's slow path also takes the queue's
 * first object and every step of weight, where it checks the bound. */
static always_inline void kfree_rcu_added_unlock(struct kfree_rcu_cpu *krcp, int ch,
						 unsigned long weight)
{
	struct kvfree_bulk *b = krcp->bulk[ch];
	bool full = b && b->nr == KVFREE_BULK_MAX_ENTR;

	if (unlikely(rcu_queue_added_locked(&krcp->q, weight) || full)) {
		rcu_queue_unlock_slow(&krcp->q, full, rcu_can_wait());
		return;
	}
	kmm_spin_unlock(&krcp->q.lock);
}

static noinline bool kvfree_call_rcu_bad(struct rcu_head *head, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr, h = (uintptr_t)head;

	if (!virt_in_direct_map(ptr) && !addr_in_vmalloc_space(ptr)) {
		kmm_bug("kvfree_call_rcu: %p was not allocated by kmm", ptr);
		return true;
	}
	if (head && (h < p || h - p >= KMALLOC_MAX_SIZE || h % sizeof(void *))) {
		kmm_bug("kvfree_call_rcu: rcu_head %p is not inside object %p", (void *)head, ptr);
		return true;
	}
	return false;
}

static always_inline bool kvfree_call_rcu_ok(struct rcu_head *head, void *ptr, unsigned long doff)
{
	uintptr_t p = (uintptr_t)ptr, h = (uintptr_t)head;

	if (likely(doff != ~0UL && h - p < PAGE_SIZE && !(h % sizeof(void *))))
		return true;
	return !kvfree_call_rcu_bad(head, ptr);
}

/* A slab object that is free already (kfree() then kfree_rcu()): one
 * report now, and it is not queued, for after the grace period it may be
 * someone else's. */
static always_inline bool kvfree_rcu_double_free(struct page *slab, void *ptr)
{
	struct kmem_cache *s;

	if (!slab || !PageSlab(slab))
		return false;
	s = atomic_load_relaxed(&slab->slab_cache);
	if (likely(!slab_object_start(s, slab, ptr) || !slab_object_is_free(s, slab, ptr)))
		return false;
	slab_report_double_free(s, slab, ptr);
	return true;
}

/* Counts the call, and false when the object was freed at once (no grace
 * periods in this build); else the channel and weight to queue it with. */
static always_inline bool kfree_rcu_prepare(void *ptr, struct page *page, int *ch,
					    unsigned long *weight)
{
	count_event(EV_kfree_rcu);
	if (RCU_NO_GRACE) {
		kvfree(ptr);
		return false;
	}
	kfree_rcu_register_once();
	*ch = kfree_rcu_channel(page);
	*weight = kfree_rcu_weight(page);
	return true;
}

/* kvfree_rcu_mightsleep(): no rcu_head to fall back on, so the caller must
 * be where it may sleep. The array page comes from GFP_KERNEL without
 * retries or reserves (the kernel's flags); when none can be had, the
 * object is freed here after a grace period. Called where it may not
 * sleep, it is reported and the object is not freed (a leak, never an
 * early free). */
static noinline void kvfree_rcu_headless(void *ptr, struct page *head_page)
{
	struct kfree_rcu_cpu *krcp;
	struct page *page = NULL;
	unsigned long weight;
	int ch;

	if (!rcu_may_wait("kvfree_rcu_mightsleep") || !kfree_rcu_prepare(ptr, head_page, &ch, &weight))
		return;
	for (;;) {
		struct kvfree_bulk *b;

		krcp = kfree_rcu_lock();
		b = krcp->bulk[ch];
		if (b && b->nr < KVFREE_BULK_MAX_ENTR) {
			b->ptrs[b->nr++] = ptr;
			break;
		}
		if (page) {
			kfree_rcu_new_array(krcp, ch, page, ptr);
			page = NULL;
			break;
		}
		kmm_spin_unlock(&krcp->q.lock);
		page = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN);
		if (!page) {
			rcu_gp_sync();
			kvfree(ptr);
			return;
		}
	}
	kfree_rcu_added_unlock(krcp, ch, weight);
	/* Another caller started an array while this one slept. */
	if (page)
		__free_page(page);
}

/* Budget: one trylock, the object's page and cache read for its weight, a
 * few stores; the slow path when an array page fills (hand over, or run
 * here past the bound) or is missing (allocate the next), on the first
 * object a CPU gathers (wake the monitor) and every step of weight. */
void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	unsigned long doff = direct_map_offset(ptr), weight;
	struct kfree_rcu_cpu *krcp;
	struct kvfree_bulk *b;
	struct page *page;
	int ch;

	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	if (unlikely(!kvfree_call_rcu_ok(head, ptr, doff)))
		return;
	/* The object's head page, found once for the check and the weight. */
	page = likely(doff != ~0UL) ? direct_map_head_page(doff) : NULL;
	if (unlikely(kvfree_rcu_double_free(page, ptr)))
		return;
	if (unlikely(!head)) {
		kvfree_rcu_headless(ptr, page);
		return;
	}
	if (!kfree_rcu_prepare(ptr, page, &ch, &weight))
		return;
	krcp = kfree_rcu_lock();
	b = krcp->bulk[ch];
	if (likely(b && b->nr < KVFREE_BULK_MAX_ENTR))
		b->ptrs[b->nr++] = ptr;
	else
		kfree_rcu_add_slow(krcp, ch, head, ptr);
	kfree_rcu_added_unlock(krcp, ch, weight);
}

/* --- memory pressure, boot and exit ---------------------------------------------- */

/* What every RCU client gathered and has not handed over. */
static unsigned long kfree_rcu_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long count = rcu_batchers_waiting();

	return count ? count : SHRINK_EMPTY;
}

/* Hands everything gathered to liburcu now: it is freed one grace period
 * later, which reclaim waits for. */
static unsigned long kfree_rcu_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long handed = rcu_batchers_flush();

	sc->nr_scanned = sc->nr_to_scan;
	return handed ? handed : SHRINK_STOP;
}

int kvfree_rcu_init(void)
{
	unsigned long limit;

	kfree_rcu_shrinker = shrinker_alloc(0, "kfree_rcu");
	if (!kfree_rcu_shrinker)
		return -ENOMEM;
	kfree_rcu_shrinker->count_objects = kfree_rcu_shrink_count;
	kfree_rcu_shrinker->scan_objects = kfree_rcu_shrink_scan;
	kfree_rcu_shrinker->batch = 0;
	shrinker_register(kfree_rcu_shrinker);
	atomic_store_relaxed(&kfree_rcu_peak, kfree_rcu_count_pending());
	limit = kmm_config.kfree_rcu_max_pending;
	if (limit == ~0UL)
		limit = (totalram_pages() << PAGE_SHIFT) >> KFREE_RCU_LIMIT_SHIFT;
	/* Checked every 1/(4 * nr_cpu_ids) of it per CPU: what all CPUs
	 * gathered since their last check stays under a quarter of the bound. */
	rcu_batcher_set_limit(&kfree_rcu_batcher, limit,
			      MAX(limit / (4UL * nr_cpu_ids), (unsigned long)PAGE_SIZE));
	return 0;
}

/* Before the slab caches go: every pending callback and object. */
void kvfree_rcu_exit(void)
{
	kmm_rcu_barrier();
	rcu_batcher_set_limit(&kfree_rcu_batcher, 0, 0);
	if (kfree_rcu_shrinker) {
		shrinker_free(kfree_rcu_shrinker);
		kfree_rcu_shrinker = NULL;
	}
}
