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
 * Lock: the CPU's queue lock, LOCK_RANK_KFREE_RCU; alloc_page() is called
 * under it, so pcp and zone locks nest inside. It guards the CPU's arrays
 * and fallback chain. The engine's counters give
 * kmm_kfree_rcu_pending() (queued - done).
 *
 * Callable from any context, interrupts included: nothing here sleeps. */
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
	struct kfree_rcu_work work[RCU_BATCH_SLOTS];
} cacheline_aligned;

static struct kfree_rcu_cpu krc[RCU_MAX_CPUS];
static unsigned long kfree_rcu_peak;	/* atomic: most objects waiting at once */
static struct shrinker *kfree_rcu_shrinker;

static void kfree_rcu_init_cpu(struct rcu_queue *q);
static void kfree_rcu_detach(struct rcu_queue *q, struct rcu_batch *b);
static void kfree_rcu_work_fn(struct rcu_batch *b);

static struct rcu_batcher kfree_rcu_batcher = {
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

	for (int i = 0; i < RCU_BATCH_SLOTS; i++)
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

/* The channel's array is full or missing: start a new array page, else
 * chain the object through its rcu_head. False when neither is possible
 * (no memory and no rcu_head). */
static noinline bool kfree_rcu_add_slow(struct kfree_rcu_cpu *krcp, int ch,
					struct rcu_head *head, void *ptr)
{
	struct page *page;
	struct kvfree_bulk *b;

	lock_assert_held(&krcp->q.lock);
	/* A full array is a batch worth handing over. */
	if (krcp->bulk[ch])
		rcu_queue_flush_locked(&krcp->q);
	page = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
	if (page) {
		b = page_address(page);
		b->next = krcp->bulk[ch];
		b->nr = 0;
		b->ptrs[b->nr++] = ptr;
		krcp->bulk[ch] = b;
		return true;
	}
	if (!head)
		return false;
	head->func = (void (*)(struct rcu_head *))(uintptr_t)ptr;
	head->next = krcp->head;
	krcp->head = head;
	return true;
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

static always_inline bool kvfree_call_rcu_ok(struct rcu_head *head, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr, h = (uintptr_t)head;

	if (likely(virt_in_direct_map(ptr) && h - p < PAGE_SIZE && !(h % sizeof(void *))))
		return true;
	return !kvfree_call_rcu_bad(head, ptr);
}

/* A slab object that is free already (kfree() then kfree_rcu()): one
 * report now, and it is not queued, for after the grace period it may be
 * someone else's. */
static always_inline bool kvfree_rcu_double_free(void *ptr)
{
	struct page *slab = object_head_page(ptr);
	struct kmem_cache *s;

	if (!slab || !PageSlab(slab))
		return false;
	s = atomic_load_relaxed(&slab->slab_cache);
	if (likely(!slab_object_start(s, slab, ptr) || !slab_object_is_free(s, slab, ptr)))
		return false;
	slab_report_double_free(s, slab, ptr);
	return true;
}

/* No array page and no rcu_head (kvfree_call_rcu(NULL, ptr)): wait for
 * the grace period here, as the kernel's kvfree_rcu_mightsleep(). */
static noinline void kvfree_rcu_wait_and_free(void *ptr)
{
	if (!might_alloc(GFP_KERNEL, "kvfree_call_rcu without an rcu_head")) {
		kmm_bug("kvfree_call_rcu: no memory and no rcu_head in atomic context; %p is not freed",
			ptr);
		return;
	}
	synchronize_rcu();
	kvfree(ptr);
}

/* Budget: one trylock and a few stores; the slow path when an array page
 * fills (hand over, allocate the next), and on the first object a CPU
 * gathers (wake the monitor). */
void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	struct kfree_rcu_cpu *krcp;
	struct kvfree_bulk *b;
	unsigned long nr;
	int ch;

	if (unlikely(ZERO_OR_NULL_PTR(ptr)))
		return;
	if (unlikely(!kvfree_call_rcu_ok(head, ptr) || kvfree_rcu_double_free(ptr)))
		return;
	count_event(EV_kfree_rcu);
	if (RCU_NO_GRACE) {
		kvfree(ptr);
		return;
	}
	rcu_register();
	if (unlikely(!atomic_load_acquire(&kfree_rcu_batcher.registered)))
		pthread_once(&kfree_rcu_once, kfree_rcu_register);
	ch = unlikely(addr_in_vmalloc_space(ptr)) ? KFREE_CH_VMALLOC : KFREE_CH_SLAB;
	krcp = container_of(rcu_queue_lock(&kfree_rcu_batcher, cpu_id()), struct kfree_rcu_cpu, q);
	b = krcp->bulk[ch];
	if (likely(b && b->nr < KVFREE_BULK_MAX_ENTR)) {
		b->ptrs[b->nr++] = ptr;
	} else if (unlikely(!kfree_rcu_add_slow(krcp, ch, head, ptr))) {
		kmm_spin_unlock(&krcp->q.lock);
		kvfree_rcu_wait_and_free(ptr);
		return;
	}
	nr = rcu_queue_added_locked(&krcp->q);
	if (unlikely(nr == 1)) {
		rcu_queue_unlock_slow(&krcp->q, nr, false);
		return;
	}
	kmm_spin_unlock(&krcp->q.lock);
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
	kfree_rcu_shrinker = shrinker_alloc(0, "kfree_rcu");
	if (!kfree_rcu_shrinker)
		return -ENOMEM;
	kfree_rcu_shrinker->count_objects = kfree_rcu_shrink_count;
	kfree_rcu_shrinker->scan_objects = kfree_rcu_shrink_scan;
	kfree_rcu_shrinker->batch = 0;
	shrinker_register(kfree_rcu_shrinker);
	atomic_store_relaxed(&kfree_rcu_peak, kfree_rcu_count_pending());
	return 0;
}

/* Before the slab caches go: every pending callback and object. */
void kvfree_rcu_exit(void)
{
	kmm_rcu_barrier();
	if (kfree_rcu_shrinker) {
		shrinker_free(kfree_rcu_shrinker);
		kfree_rcu_shrinker = NULL;
	}
}
