/* SLUB slab caches, as mm/slub.c of kernels 6.x (DESIGN.md §6).
 *
 * Lock order (outermost first; ranks in lib/lock.h):
 *   slab_mutex (LOCK_RANK_SLAB_MUTEX)  the list of caches (slab_caches)
 *       and each cache's shutdown; taken by create, destroy, slabinfo,
 *       the slab shrinker (inside shrinker_lock) and exit. Nothing
 *       allocates memory while holding it.
 *   c->lock (LOCK_RANK_SLAB_CPU)  a cache's per-CPU local lock, as on
 *       PREEMPT_RT: it serialises the slow paths that change c->slab and
 *       c->freelist, and guards c->partial. The CPU's own threads only
 *       trylock it: on failure an allocation takes the locked
 *       single-object path (node lists) and a free goes straight to its
 *       slab. Flushes from other CPUs (shrink, destroy) lock it.
 *   barn->lock (LOCK_RANK_SLAB_BARN)  the cache's spare sheaves (sheaf.c);
 *       c->main and c->spare are guarded by c->lock for everyone but
 *       the CPU's owner thread, which runs its sheaf fast paths lockless
 *   n->list_lock (LOCK_RANK_SLAB_NODE)  the node partial list, nr_partial,
 *       the PG_slab_node_partial bit, the full list and every object and
 *       counter of a debug cache's slabs
 *   then the page allocator's own locks, when slabs come and go.
 *
 * Lockless parts:
 *   - c->freelist + c->tid: the fast paths' double-word cmpxchg
 *     (slub_fast.h). A slow path holding c->lock first swaps the freelist
 *     for CPU_SLAB_BUSY with a new tid ("claims" the CPU), changes c->slab,
 *     then stores the new freelist with the next tid. While claimed no
 *     fast path can commit, which is what disabling interrupts gives the
 *     kernel, and it holds however many threads share the CPU.
 *   - c->owner: a thread that keeps refilling a CPU uncontended becomes
 *     its owner and then runs the fast paths with plain per-CPU stores, as
 *     the kernel's this_cpu operations need no lock prefix. Ownership is
 *     given and taken only under c->lock with the CPU claimed; taking it
 *     from another thread (cpu_revoke_locked) is an asymmetric fence with
 *     membarrier(2). Without membarrier every CPU stays shared.
 *   - page->freelist + page->counters: always changed by double-word
 *     cmpxchg, so a free from any CPU needs no lock; list_lock is taken
 *     only when the slab must move between lists (full -> partial without
 *     per-CPU partials, becoming empty while on the node list).
 *
 * Caches are never merged (each kmem_cache_create makes its own cache and
 * slabinfo lists it under its own name), so reports name the cache the
 * caller created. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <kmm/kmm.h>
#include "slub/slab.h"
#include "slub/slub_fast.h"
#include "buddy/buddy.h"
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/fault_inject.h"
#include "lib/list.h"
#include "percpu/vmstat.h"

struct list_head slab_caches = LIST_HEAD_INIT(slab_caches);
struct kmm_mutex slab_mutex;
bool slab_up;			/* atomic */
unsigned long slab_tid_step = 1;
static struct shrinker *slab_shrinker;
static unsigned long slab_total_slabs;	/* atomic: slabs of every cache */
static struct fault_attr failslab;
static unsigned int slub_min_order, slub_max_order, slub_min_objects;
/* membarrier() works here: threads may own a CPU's slab state. */
static bool slab_owner_mode;

/* ---- owner records (slub_fast.h) ---- */

struct slab_thread slab_thread_none;
__thread struct slab_thread *slab_self __attribute__((tls_model("initial-exec"))) =
	&slab_thread_none;
static pthread_mutex_t slab_thread_lock = PTHREAD_MUTEX_INITIALIZER;
static struct slab_thread *slab_thread_free;
static pthread_key_t slab_thread_key;
static pthread_once_t slab_thread_once = PTHREAD_ONCE_INIT;

static void slab_thread_exit(void *arg)
{
	struct slab_thread *t = arg;

	pthread_mutex_lock(&slab_thread_lock);
	t->next = slab_thread_free;
	slab_thread_free = t;
	pthread_mutex_unlock(&slab_thread_lock);
}

static void slab_thread_key_init(void)
{
	pthread_key_create(&slab_thread_key, slab_thread_exit);
}

/* Gives the calling thread a record (a recycled one first): from then on
 * it may own CPUs. Records live as long as the process. */
noinline void slab_thread_register(void)
{
	struct slab_thread *t;

	pthread_once(&slab_thread_once, slab_thread_key_init);
	pthread_mutex_lock(&slab_thread_lock);
	t = slab_thread_free;
	if (t)
		slab_thread_free = t->next;
	pthread_mutex_unlock(&slab_thread_lock);
	if (!t) {
		static struct slab_thread *all;	/* keeps every record reachable */

		t = aligned_alloc(CACHELINE, sizeof(*t));
		if (!t)
			return;
		pthread_mutex_lock(&slab_thread_lock);
		t->next = all;
		all = t;
		pthread_mutex_unlock(&slab_thread_lock);
	}
	atomic_store_relaxed(&t->busy, 0);
	pthread_setspecific(slab_thread_key, t);
	slab_self = t;
}

/* ---- small helpers ---- */

static unsigned int fls_ul(unsigned long x)
{
	return x ? 64 - (unsigned int)__builtin_clzl(x) : 0;
}

static unsigned long roundup_pow_of_two(unsigned long x)
{
	return 1UL << fls_ul(x - 1);
}

static unsigned long random_ul(void)
{
	unsigned long v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_nsec * 0x9e3779b97f4a7c15UL ^ (unsigned long)&v;
}

/* Per-thread xorshift for freelist shuffling (no lock, no system call). */
static unsigned long random_below(unsigned long n)
{
	static __thread unsigned long state;

	if (!state)
		state = random_ul() | 1;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state % n;
}

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* ---- lists (n->list_lock held) ---- */

void add_partial_locked(struct kmem_cache_node *n, struct page *slab, bool tail)
{
	lock_assert_held(&n->list_lock);
	if (tail)
		list_add_tail(&slab->slab_list, &n->partial);
	else
		list_add(&slab->slab_list, &n->partial);
	atomic_store_relaxed(&n->nr_partial, n->nr_partial + 1);
	SetPageFlag(slab, PG_slab_node_partial);
}

void remove_partial_locked(struct kmem_cache_node *n, struct page *slab)
{
	lock_assert_held(&n->list_lock);
	list_del(&slab->slab_list);
	atomic_store_relaxed(&n->nr_partial, n->nr_partial - 1);
	ClearPageFlag(slab, PG_slab_node_partial);
}

void add_full_locked(struct kmem_cache_node *n, struct page *slab)
{
	lock_assert_held(&n->list_lock);
	list_add(&slab->slab_list, &n->full);
}

void remove_full_locked(struct kmem_cache_node *n, struct page *slab)
{
	lock_assert_held(&n->list_lock);
	list_del(&slab->slab_list);
}

unsigned long count_partial_free(struct kmem_cache_node *n)
{
	unsigned long nr_free = 0;
	struct list_head *pos;

	lock_assert_held(&n->list_lock);
	list_for_each(pos, &n->partial) {
		struct page *slab = list_entry(pos, struct page, slab_list);
		union slab_counters c = { .counters = slab_counters_read(slab) };

		nr_free += c.objects - c.inuse;
	}
	return nr_free;
}

/* ---- slab pages ---- */

/* Slot offsets in a random order, for slab_freelist_random=1
 * (init_cache_random_seq). */
static int init_random_seq(struct kmem_cache *s)
{
	unsigned int count = s->oo.objects;

	s->random_seq = malloc(count * sizeof(*s->random_seq));
	if (!s->random_seq)
		return -ENOMEM;
	for (unsigned int i = 0; i < count; i++)
		s->random_seq[i] = i * s->size;
	for (unsigned int i = count - 1; i > 0; i--) {
		unsigned int j = (unsigned int)random_below(i + 1), t = s->random_seq[i];

		s->random_seq[i] = s->random_seq[j];
		s->random_seq[j] = t;
	}
	return 0;
}

/* Threads the free objects of a new slab: in order, or from a random
 * start in the cache's random sequence (shuffle_freelist). */
static void *build_freelist(struct kmem_cache *s, struct page *slab, unsigned int objects)
{
	char *start = slab_address(slab);
	void *first = NULL, *prev = NULL;

	if (s->random_seq) {
		unsigned long limit = (unsigned long)objects * s->size;
		unsigned int count = s->oo.objects, pos = (unsigned int)random_below(count);

		for (unsigned int done = 0; done < objects;) {
			unsigned int idx = s->random_seq[pos];
			void *cur;

			pos = pos + 1 == count ? 0 : pos + 1;
			if (idx >= limit)
				continue;
			cur = start + s->red_left_pad + idx;
			if (prev)
				set_freepointer(s, prev, cur);
			else
				first = cur;
			prev = cur;
			done++;
		}
	} else {
		for (unsigned int i = 0; i < objects; i++) {
			void *cur = slab_object(s, slab, i);

			if (prev)
				set_freepointer(s, prev, cur);
			else
				first = cur;
			prev = cur;
		}
	}
	set_freepointer(s, prev, NULL);
	return first;
}

static enum zone_stat_item slab_stat_item(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE : NR_SLAB_UNRECLAIMABLE;
}

/* The gfp bits a slab page allocation keeps from the caller's
 * (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK); the zone comes from the cache. */
#define SLAB_GFP_KEEP	(__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | \
			 __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | \
			 __GFP_NOMEMALLOC | __GFP_HARDWALL | __GFP_THISNODE)

/* allocate_slab(): a new slab with every object free, not on any list,
 * unfrozen, inuse 0. Called with no slab lock held: it may sleep. */
struct page *new_slab(struct kmem_cache *s, gfp_t gfp)
{
	gfp_t flags, alloc_gfp;
	unsigned int order = s->oo.order, objects;
	union slab_counters cnt = { .counters = 0 };
	struct page *slab;
	void *start;

	if (unlikely(gfp & (__GFP_DMA32 | __GFP_HIGHMEM)))
		kmm_warn("Unexpected gfp: %#x. Fixing up to gfp: %#x. Fix your code!", gfp,
			 gfp & ~(__GFP_DMA32 | __GFP_HIGHMEM));
	flags = (gfp & SLAB_GFP_KEEP) | s->allocflags | __GFP_COMP;
	alloc_gfp = flags;
	if (s->oo.order > s->min.order) {
		/* The preferred order is opportunistic: no warning, no retry,
		 * and no direct reclaim for it (the kernel's rule). */
		alloc_gfp = ((flags | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC) &
			     ~(__GFP_NOFAIL | __GFP_DIRECT_RECLAIM));
	}
	slab = alloc_pages(alloc_gfp, order);
	if (unlikely(!slab) && order != s->min.order) {
		order = s->min.order;
		slab = alloc_pages(flags, order);
	}
	if (unlikely(!slab))
		return NULL;
	objects = order_objects(order, s->size);
	start = slab_address(slab);
	atomic_store_relaxed(&slab->slab_cache, s);
	SetPageFlag(slab, PG_slab);
	if (kmem_cache_debug(s))
		slab_debug_init_slab(s, slab);
	if (s->ctor) {
		for (unsigned int i = 0; i < objects; i++)
			s->ctor(slab_object(s, slab, i));
	}
	cnt.objects = objects;
	atomic_store_relaxed(&slab->counters, cnt.counters);
	atomic_store_relaxed(&slab->freelist, build_freelist(s, slab, objects));
	kasan_poison(start, PAGE_SIZE << order);

	atomic_add_relaxed(&s->node.nr_slabs, 1);
	atomic_add_relaxed(&s->node.total_objects, objects);
	atomic_add_relaxed(&slab_total_slabs, 1);
	mod_zone_page_state(page_zone(slab), slab_stat_item(s), 1L << order);
	count_event(EV_slab_new);
	return slab;
}

/* A SLAB_TYPESAFE_BY_RCU slab, no longer a slab, after its grace period:
 * readers that found one of its objects have left. */
static void slab_free_pages_rcu(struct rcu_head *head)
{
	struct page *slab = container_of((struct list_head *)head, struct page, slab_list);
	unsigned int order = compound_order(slab);

	kasan_unpoison(slab_address(slab), PAGE_SIZE << order);
	__free_pages(slab, order);
}

/* The one place where slab pages go back to the buddy. A
 * SLAB_TYPESAFE_BY_RCU cache's pages go one grace period later, the slab
 * (on no list by now) lending its slab_list as the rcu_head. */
static void slab_free_pages(struct kmem_cache *s, struct page *slab, unsigned int order)
{
	_Static_assert(sizeof(struct rcu_head) <= sizeof(slab->slab_list), "rcu_head fits slab_list");

	atomic_store_relaxed(&slab->slab_cache, NULL);
	ClearPageFlag(slab, PG_slab_node_partial);
	ClearPageFlag(slab, PG_slab);
	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		call_rcu((struct rcu_head *)&slab->slab_list, slab_free_pages_rcu);
		return;
	}
	kasan_unpoison(slab_address(slab), PAGE_SIZE << order);
	__free_pages(slab, order);
}

/* An empty slab that is on no list and that no CPU holds. */
void discard_slab(struct kmem_cache *s, struct page *slab)
{
	unsigned int order = compound_order(slab);

	if (kmem_cache_debug(s))
		slab_debug_discard(s, slab);

	atomic_sub_relaxed(&s->node.nr_slabs, 1);
	atomic_sub_relaxed(&s->node.total_objects, slab_objects(slab));
	atomic_sub_relaxed(&slab_total_slabs, 1);
	mod_zone_page_state(page_zone(slab), slab_stat_item(s), -(1L << order));
	count_event(EV_slab_discard);
	slab_free_pages(s, slab, order);
}

/* Takes the slab's whole freelist and freezes it for a CPU (all objects
 * count as in use); with nothing to take the slab stays unfrozen, full. */
static void *slab_take_freelist(struct page *slab)
{
	union slab_counters old, new;
	void *fl;

	do {
		old.counters = slab_counters_read(slab);
		fl = atomic_load_acquire(&slab->freelist);
		new = old;
		new.inuse = old.objects;
		new.frozen = fl != NULL;
	} while (!slab_update_freelist(slab, fl, old.counters, NULL, new.counters));
	return fl;
}

/* deactivate_slab(): a former CPU slab goes back with the CPU's freelist
 * spliced in front of its own, unfrozen, onto the node partial list (or
 * back to the buddy when empty, or onto no list when full). */
static void deactivate_slab(struct kmem_cache *s, struct page *slab, void *freelist)
{
	struct kmem_cache_node *n = &s->node;
	union slab_counters old, new;
	unsigned int free_delta = 0, objects = slab_objects(slab);
	void *tail = NULL, *old_fl, *new_fl;

	for (void *p = freelist; p && free_delta <= objects; p = get_freepointer(s, p)) {
		tail = p;
		free_delta++;
	}
	if (unlikely(free_delta > objects)) {
		slab_err(s, slab, "Freechain corrupt");
		kmm_report_cont("FIX %s: Dropping the CPU freelist of slab %p", s->name, (void *)slab);
		tail = NULL;
	}
	do {
		old.counters = slab_counters_read(slab);
		old_fl = atomic_load_acquire(&slab->freelist);
		new = old;
		new.frozen = 0;
		if (tail) {
			new.inuse -= free_delta;
			set_freepointer(s, tail, old_fl);
			new_fl = freelist;
		} else {
			new_fl = old_fl;
		}
	} while (!slab_update_freelist(slab, old_fl, old.counters, new_fl, new.counters));

	if (!new.inuse && atomic_load_relaxed(&n->nr_partial) >= s->min_partial) {
		discard_slab(s, slab);
	} else if (new_fl) {
		kmm_spin_lock(&n->list_lock);
		add_partial_locked(n, slab, old_fl != NULL);
		kmm_spin_unlock(&n->list_lock);
	}
}

/* A chain of unfrozen slabs from a CPU's partial list goes to the node
 * (__put_partials); empty ones above min_partial go back to the buddy. */
static void put_partials(struct kmem_cache *s, struct page *chain)
{
	struct kmem_cache_node *n = &s->node;
	struct page *discard = NULL;

	kmm_spin_lock(&n->list_lock);
	while (chain) {
		struct page *slab = chain;
		union slab_counters c = { .counters = slab_counters_read(slab) };

		chain = slab->next;
		if (!c.inuse && n->nr_partial >= s->min_partial) {
			slab->next = discard;
			discard = slab;
		} else {
			add_partial_locked(n, slab, true);
		}
	}
	kmm_spin_unlock(&n->list_lock);
	while (discard) {
		struct page *slab = discard;

		discard = slab->next;
		discard_slab(s, slab);
	}
}

/* ---- the per-CPU part (c->lock held) ---- */

/* Takes the CPU's slab state away from its owner thread (slub_fast.h):
 * after the asymmetric fence the owner either is seen busy (and we wait
 * for it) or sees it no longer owns the CPU. The revoking thread may own
 * the CPU next, unless ownership already changed hands within the last
 * millisecond: then each such revoke doubles the refills a claim needs,
 * so threads that really share a CPU settle in shared mode. */
static void cpu_revoke_locked(struct kmem_cache_cpu *c, bool contended)
{
	struct timespec ts;
	unsigned long now;

	struct slab_thread *old = (struct slab_thread *)atomic_load_relaxed(&c->owner);

	lock_assert_held(&c->lock);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (unsigned long)ts.tv_sec * 1000000000UL + (unsigned long)ts.tv_nsec;
	/* Not 0: shared fast paths must keep out until our release, the old
	 * owner may still be inside its fast path. */
	atomic_store_relaxed(&c->owner, CPU_OWNER_REVOKING);
	/* The expedited form needs the registration slab_init made (a forked
	 * child may lack it); the global form needs none. */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		kmm_bug("slub: membarrier failed while taking a CPU's slab state from its owner");
	while (atomic_load_acquire(&old->busy))
		sched_yield();
	atomic_store_relaxed(&c->refills, 0);
	if (contended && now - c->last_revoke_ns < 1000000UL)
		atomic_store_relaxed(&c->claim_after, MIN(c->claim_after * 2, 4096u));
	else if (contended)
		atomic_store_relaxed(&c->claim_after, 1);
	c->last_revoke_ns = now;
}

/* Swaps c->freelist for CPU_SLAB_BUSY: from here until the release, no
 * fast path on this CPU can commit. Returns the freelist it held. */
void *cpu_claim_locked(struct kmem_cache_cpu *c, unsigned long *tidp, bool contended)
{
	unsigned long tid, owner = atomic_load_relaxed(&c->owner);
	void *fl;

	lock_assert_held(&c->lock);
	if (owner && owner != slab_token())
		cpu_revoke_locked(c, contended);
	do {
		tid = atomic_load_relaxed(&c->tid);
		fl = atomic_load_acquire(&c->freelist);
	} while (!cpu_pair_cas(c, fl, tid, CPU_SLAB_BUSY, next_tid(tid)));
	*tidp = next_tid(tid);
	return fl;
}

/* Publishes `fl` as the CPU's freelist (release: with any c->slab and
 * c->owner change). With `may_own`, a thread that keeps refilling this
 * CPU uncontended becomes its owner. */
void cpu_release_locked(struct kmem_cache_cpu *c, void *fl, unsigned long tid, bool may_own)
{
	unsigned long owner;
	bool ok;

	lock_assert_held(&c->lock);
	owner = atomic_load_relaxed(&c->owner);
	if (owner == CPU_OWNER_REVOKING)
		owner = 0;
	if (may_own && slab_owner_mode && !owner && slab_self != &slab_thread_none) {
		atomic_store_relaxed(&c->refills, c->refills + 1);
		if (c->refills >= c->claim_after)
			owner = slab_token();
	}
	atomic_store_relaxed(&c->owner, owner);
	ok = cpu_pair_cas(c, CPU_SLAB_BUSY, tid, fl, next_tid(tid));
	if (KMM_DEBUG_ON && !ok)
		kmm_bug("slub: a claimed CPU freelist changed under its claim");
}

/* With c->lock held: whether the calling thread owns the CPU, becoming its
 * owner when nobody does and the claim policy allows it (a claim and
 * release count as a refill). */
bool cpu_own_locked(struct kmem_cache_cpu *c)
{
	unsigned long owner = atomic_load_relaxed(&c->owner), tid;
	void *fl;

	lock_assert_held(&c->lock);
	if (owner == slab_token())
		return true;
	if (owner)
		return false;
	fl = cpu_claim_locked(c, &tid, true);
	cpu_release_locked(c, fl, tid, true);
	return atomic_load_relaxed(&c->owner) == slab_token();
}

/* Whether the sheaf slow paths (sheaf.c) may serve this thread on CPU `c`:
 * it owns the CPU, or nobody does and its next refill would make it the
 * owner. A lockless hint; cpu_own_locked() decides. */
static always_inline bool cpu_sheaves_usable(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	unsigned long owner;

	if (!s->sheaf_capacity)
		return false;
	owner = atomic_load_relaxed(&c->owner);
	return owner == slab_token() ||
	       (!owner && slab_owner_mode && slab_self != &slab_thread_none &&
		atomic_load_relaxed(&c->refills) + 1 >= atomic_load_relaxed(&c->claim_after));
}

/* Pushes an unfrozen partial slab on the CPU's partial list; when the list
 * is full and `drain`, returns the old list for put_partials(). */
static struct page *cpu_partial_push_locked(struct kmem_cache *s, struct kmem_cache_cpu *c,
					    struct page *slab, bool drain)
{
	struct page *old = c->partial, *to_put = NULL;
	int slabs = 0;

	lock_assert_held(&c->lock);
	if (old) {
		if (drain && old->slabs >= (int)s->cpu_partial_slabs) {
			to_put = old;
			old = NULL;
		} else {
			slabs = old->slabs;
		}
	}
	slab->slabs = slabs + 1;
	slab->next = old;
	c->partial = slab;
	return to_put;
}

/* get_partial_node(): the first node partial slab, frozen, becomes the
 * CPU slab; up to half of cpu_partial_slabs more move to the CPU's partial
 * list. Returns the new CPU slab's freelist. */
static void *get_partial_locked(struct kmem_cache *s, struct kmem_cache_cpu *c,
				struct page **slabp)
{
	struct kmem_cache_node *n = &s->node;
	struct list_head *pos, *tmp;
	unsigned int moved = 0;
	void *fl = NULL;

	lock_assert_held(&c->lock);
	if (!atomic_load_relaxed(&n->nr_partial))
		return NULL;
	kmm_spin_lock(&n->list_lock);
	list_for_each_safe(pos, tmp, &n->partial) {
		struct page *slab = list_entry(pos, struct page, slab_list);

		remove_partial_locked(n, slab);
		if (!fl) {
			fl = slab_take_freelist(slab);
			if (!fl)
				continue;
			*slabp = slab;
			if (!s->cpu_partial_slabs)
				break;
		} else {
			cpu_partial_push_locked(s, c, slab, false);
			if (++moved > s->cpu_partial_slabs / 2)
				break;
		}
	}
	kmm_spin_unlock(&n->list_lock);
	return fl;
}

/* ___slab_alloc() with the CPU claimed: an object from the CPU's freelist,
 * its slab's remote frees, its partial slabs, or the node partial list.
 * NULL: a new slab is needed. *flp is the CPU freelist in and out. */
void *cpu_take_locked(struct kmem_cache *s, struct kmem_cache_cpu *c, void **flp)
{
	struct page *slab;
	void *fl = *flp;

	if (fl)
		goto load;
	slab = c->slab;
	if (slab) {
		fl = slab_take_freelist(slab);
		if (fl)
			goto load;
		/* Full and now unfrozen: it lives on no list. */
		atomic_store_relaxed(&c->slab, NULL);
	}
	while ((slab = c->partial)) {
		c->partial = slab->next;
		fl = slab_take_freelist(slab);
		if (fl) {
			atomic_store_relaxed(&c->slab, slab);
			goto load;
		}
	}
	slab = NULL;
	fl = get_partial_locked(s, c, &slab);
	if (!fl)
		return NULL;
	atomic_store_relaxed(&c->slab, slab);
load:
	*flp = get_freepointer(s, fl);
	return fl;
}

/* ---- the locked single-object path (debug caches; busy CPUs) ---- */

/* Pops one object off a slab that is not frozen and not on a list (the
 * caller holds list_lock). NULL when its freelist is empty or corrupt. */
static void *take_one_locked(struct kmem_cache *s, struct kmem_cache_node *n, struct page *slab,
			     bool *full)
{
	union slab_counters old, new;
	void *object, *next;

	lock_assert_held(&n->list_lock);
	do {
		old.counters = slab_counters_read(slab);
		object = atomic_load_acquire(&slab->freelist);
		if (!object)
			return NULL;
		next = get_freepointer(s, object);
		if (unlikely(kmem_cache_debug(s) && next && !slab_object_start(s, slab, next))) {
			slab_err(s, slab, "Freepointer corrupt");
			kmm_report_cont("FIX %s: Marking all objects used", s->name);
			new = old;
			new.inuse = old.objects;
			slab_update_freelist(slab, object, old.counters, NULL, new.counters);
			return NULL;
		}
		new = old;
		new.inuse++;
	} while (!slab_update_freelist(slab, object, old.counters, next, new.counters));
	*full = next == NULL;
	return object;
}

static void *alloc_single_from_partial_locked(struct kmem_cache *s, struct kmem_cache_node *n,
					      unsigned long addr)
{
	struct list_head *pos, *tmp;

	list_for_each_safe(pos, tmp, &n->partial) {
		struct page *slab = list_entry(pos, struct page, slab_list);
		bool full = false;
		void *object;

		/* Off the list while we take from it: a concurrent remote
		 * free must not see it both on a list and full. */
		remove_partial_locked(n, slab);
		object = take_one_locked(s, n, slab, &full);
		if (!object || full) {
			if (kmem_cache_debug(s))
				add_full_locked(n, slab);
		} else {
			add_partial_locked(n, slab, false);
		}
		if (!object)
			continue;
		if (kmem_cache_debug(s))
			slab_debug_alloc_checks(s, slab, object, addr);
		return object;
	}
	return NULL;
}

static void *alloc_single_from_new_slab(struct kmem_cache *s, struct page *slab,
					unsigned long addr)
{
	struct kmem_cache_node *n = &s->node;
	bool full = false;
	void *object;

	kmm_spin_lock(&n->list_lock);
	object = take_one_locked(s, n, slab, &full);
	if (full) {
		if (kmem_cache_debug(s))
			add_full_locked(n, slab);
	} else {
		add_partial_locked(n, slab, false);
	}
	if (object && kmem_cache_debug(s))
		slab_debug_alloc_checks(s, slab, object, addr);
	kmm_spin_unlock(&n->list_lock);
	return object;
}

static void *alloc_single(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	struct kmem_cache_node *n = &s->node;
	struct page *slab;
	void *object = NULL;

	if (atomic_load_relaxed(&n->nr_partial)) {
		kmm_spin_lock(&n->list_lock);
		object = alloc_single_from_partial_locked(s, n, addr);
		kmm_spin_unlock(&n->list_lock);
		if (object)
			return object;
	}
	slab = new_slab(s, gfp);
	if (!slab)
		return NULL;
	return alloc_single_from_new_slab(s, slab, addr);
}

/* ---- allocation slow path ---- */

/* One object without the post-allocation hooks. */
static void *slab_alloc_refill(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	struct kmem_cache_cpu *c;
	struct page *slab, *flush;
	union slab_counters cnt;
	void *fl, *object, *flush_fl;
	unsigned long tid;

	if (unlikely(slab_self == &slab_thread_none) && slab_owner_mode)
		slab_thread_register();
	c = per_cpu_ptr(s->cpu_slab, cpu_id());
	if (!kmm_spin_trylock(&c->lock))
		return alloc_single(s, gfp, addr);
	fl = cpu_claim_locked(c, &tid, true);
	object = cpu_take_locked(s, c, &fl);
	cpu_release_locked(c, fl, tid, true);
	kmm_spin_unlock(&c->lock);
	if (object)
		return object;

	/* No slab lock held: the page allocator may sleep and reclaim. */
	slab = new_slab(s, gfp);
	if (!slab)
		return NULL;
	c = per_cpu_ptr(s->cpu_slab, cpu_id());
	if (!kmm_spin_trylock(&c->lock))
		return alloc_single_from_new_slab(s, slab, addr);
	object = atomic_load_relaxed(&slab->freelist);
	fl = get_freepointer(s, object);
	cnt.counters = slab_counters_read(slab);
	cnt.inuse = cnt.objects;
	cnt.frozen = 1;
	atomic_store_relaxed(&slab->freelist, NULL);
	atomic_store_relaxed(&slab->counters, cnt.counters);

	flush_fl = cpu_claim_locked(c, &tid, true);
	flush = c->slab;
	atomic_store_relaxed(&c->slab, slab);
	cpu_release_locked(c, fl, tid, true);
	kmm_spin_unlock(&c->lock);
	/* Another thread installed a slab meanwhile: retire it. */
	if (flush)
		deactivate_slab(s, flush, flush_fl);
	return object;
}

noinline void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	void *object;

	count_event(EV_slab_alloc_slow);
	object = slab_alloc_refill(s, gfp, addr);
	return object ? slab_post_alloc(s, gfp, object) : NULL;
}

noinline void *slab_alloc_shared(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (cpu_sheaves_usable(s, per_cpu_ptr(s->cpu_slab, cpu_id()))) {
		void *object = sheaf_alloc_slow(s);

		if (object) {
			count_event(EV_slab_alloc_slow);
			return slab_post_alloc(s, gfp, object);
		}
	}
	return slab_alloc_any(s, gfp, addr);
}

/* A debug or fault-injected cache, or zeroing: off the inline path. */
noinline void *slab_alloc_hooked(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	if (s->special)
		return slab_alloc_special(s, gfp, addr);
	return slab_alloc_owner(s, gfp, addr, true);
}

noinline void *slab_zero_object(struct kmem_cache *s, void *object)
{
	clear_freepointer(s, object);
	kasan_unpoison(object, s->object_size);
	return memset(object, 0, s->object_size);
}

/* A sleeping gfp in atomic context: reported and refused (might_alloc). */
noinline void *slab_alloc_atomic_bug(struct kmem_cache *s, gfp_t gfp, unsigned long addr,
				     const char *caller)
{
	if (!might_alloc_slow(gfp, caller))
		return NULL;
	return slab_alloc_shared(s, gfp, addr);
}

noinline void slab_free_shared(struct kmem_cache *s, struct page *slab, void *object,
			       unsigned long addr)
{
	if (unlikely(slab_object_is_free(s, slab, object)))
		return slab_report_double_free(s, slab, object);
	if (cpu_sheaves_usable(s, per_cpu_ptr(s->cpu_slab, cpu_id())) &&
	    sheaf_free_slow(s, object)) {
		count_event(EV_slab_free_slow);
		return;
	}
	slab_free_any(s, slab, object, addr);
}

static bool should_failslab(struct kmem_cache *s, gfp_t gfp)
{
	if (!failslab.enabled || (gfp & __GFP_NOFAIL))
		return false;
	if (kmm_config.failslab_ignore_gfp_wait && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	if (kmm_config.failslab_cache_filter && !(s->flags & SLAB_FAILSLAB))
		return false;
	return should_fail(&failslab, s->object_size);
}

/* Debug caches and fault injection: the locked path for every object. */
noinline void *slab_alloc_special(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	void *object;

	if (should_failslab(s, gfp))
		return NULL;
	if (!kmem_cache_debug(s))
		return slab_alloc_slow(s, gfp, addr);
	count_event(EV_slab_alloc_slow);
	object = alloc_single(s, gfp, addr);
	return object ? slab_post_alloc(s, gfp, object) : NULL;
}

/* ---- free slow paths ---- */

noinline void slab_report_double_free(struct kmem_cache *s, struct page *slab, void *object)
{
	slab_err(s, slab, "Object already free");
	kmm_report_cont("INFO: double free of %p (it is already on a freelist or in a sheaf)",
			object);
}

/* put_cpu_partial(): a slab that just stopped being full parks on this
 * CPU's partial list (or on the node list when the CPU is busy). */
static void put_cpu_partial(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu_id());
	struct page *to_put;

	if (!kmm_spin_trylock(&c->lock)) {
		kmm_spin_lock(&s->node.list_lock);
		add_partial_locked(&s->node, slab, true);
		kmm_spin_unlock(&s->node.list_lock);
		return;
	}
	to_put = cpu_partial_push_locked(s, c, slab, true);
	kmm_spin_unlock(&c->lock);
	if (to_put)
		put_partials(s, to_put);
}

/* __slab_free(): `cnt` objects chained head..tail go onto their slab's
 * own freelist by cmpxchg; list_lock only when the slab changes list.
 * The objects have been through slab_pre_free(). */
noinline void slab_free_slow(struct kmem_cache *s, struct page *slab, void *head, void *tail,
			     unsigned int cnt, unsigned long addr)
{
	struct kmem_cache_node *n = NULL;
	union slab_counters old, new;
	bool was_frozen, on_node_partial = false;
	void *prior;

	count_event(EV_slab_free_slow);
	do {
		if (n) {
			kmm_spin_unlock(&n->list_lock);
			n = NULL;
		}
		old.counters = slab_counters_read(slab);
		prior = atomic_load_acquire(&slab->freelist);
		if (unlikely(prior == head || old.inuse < cnt)) {
			slab_report_double_free(s, slab, head);
			return;
		}
		set_freepointer(s, tail, prior);
		new = old;
		was_frozen = old.frozen;
		new.inuse -= cnt;
		if ((!new.inuse || !prior) && !was_frozen) {
			if (!s->cpu_partial_slabs || prior) {
				n = &s->node;
				kmm_spin_lock(&n->list_lock);
				on_node_partial = PageFlag(slab, PG_slab_node_partial);
			}
		}
	} while (!slab_update_freelist(slab, prior, old.counters, head, new.counters));

	if (!n) {
		/* A full slab got its first free object: park it here. */
		if (!was_frozen && !prior)
			put_cpu_partial(s, slab);
		return;
	}
	/* Partial but on some CPU's partial list: not ours to move. */
	if (prior && !on_node_partial) {
		kmm_spin_unlock(&n->list_lock);
		return;
	}
	if (!new.inuse && n->nr_partial >= s->min_partial) {
		if (prior)
			remove_partial_locked(n, slab);
		kmm_spin_unlock(&n->list_lock);
		discard_slab(s, slab);
		return;
	}
	if (!prior)
		add_partial_locked(n, slab, true);
	kmm_spin_unlock(&n->list_lock);
}

/* free_to_partial_list(): a debug cache's free, checked under list_lock. */
static void debug_free_locked_path(struct kmem_cache *s, struct page *slab, void *object,
				   unsigned long addr)
{
	struct kmem_cache_node *n = &s->node;
	union slab_counters old, new;
	bool discard = false;
	void *prior;

	count_event(EV_slab_free_slow);
	kmm_spin_lock(&n->list_lock);
	if (!slab_debug_free_checks(s, slab, object, addr)) {
		kmm_spin_unlock(&n->list_lock);
		return;
	}
	do {
		old.counters = slab_counters_read(slab);
		prior = atomic_load_relaxed(&slab->freelist);
		set_freepointer(s, object, prior);
		new = old;
		new.inuse--;
	} while (!slab_update_freelist(slab, prior, old.counters, object, new.counters));
	if (!new.inuse && n->nr_partial >= s->min_partial) {
		if (prior)
			remove_partial_locked(n, slab);
		else
			remove_full_locked(n, slab);
		discard = true;
	} else if (!prior) {
		remove_full_locked(n, slab);
		add_partial_locked(n, slab, true);
	}
	kmm_spin_unlock(&n->list_lock);
	if (discard)
		discard_slab(s, slab);
}

/* A debug or fault-injected cache, or init_on_free: off the inline path. */
noinline void slab_free_hooked(struct kmem_cache *s, struct page *slab, void *object,
			       unsigned long addr)
{
	if (kmem_cache_debug(s))
		return debug_free_locked_path(s, slab, object, addr);
	slab_free_shared(s, slab, object, addr);
}

/* ---- flushing and shrinking ---- */

/* Takes a CPU's sheaves away (from any thread: the lock is taken, not
 * tried) and gives their objects back to their slabs. */
static void flush_cpu_sheaves(struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	struct slab_sheaf *main, *spare;
	unsigned long tid;
	void *fl;

	kmm_spin_lock(&c->lock);
	fl = cpu_claim_locked(c, &tid, false);
	main = atomic_load_relaxed(&c->main);
	spare = atomic_load_relaxed(&c->spare);
	atomic_store_relaxed(&c->main, NULL);
	atomic_store_relaxed(&c->spare, NULL);
	cpu_release_locked(c, fl, tid, false);
	sheaf_settle(main, cpu);
	sheaf_settle(spare, cpu);
	kmm_spin_unlock(&c->lock);
	sheaf_discard(s, main);
	sheaf_discard(s, spare);
}

/* Takes a CPU's slab state away and gives it back to the node. */
static void flush_cpu_slab(struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	struct page *slab, *partial;
	unsigned long tid;
	void *fl;

	kmm_spin_lock(&c->lock);
	fl = cpu_claim_locked(c, &tid, false);
	slab = c->slab;
	atomic_store_relaxed(&c->slab, NULL);
	partial = c->partial;
	c->partial = NULL;
	cpu_release_locked(c, NULL, tid, false);
	kmm_spin_unlock(&c->lock);
	if (slab)
		deactivate_slab(s, slab, fl);
	if (partial)
		put_partials(s, partial);
}

/* Sheaves first, every CPU's and the barn's: their objects may park slabs
 * on any CPU's partial list, which the second pass then empties. */
static void flush_all(struct kmem_cache *s)
{
	int cpu;

	if (kmem_cache_debug(s))
		return;
	if (s->sheaf_capacity) {
		for_each_possible_cpu(cpu)
			flush_cpu_sheaves(s, cpu);
		barn_shrink(s);
	}
	for_each_possible_cpu(cpu)
		flush_cpu_slab(s, cpu);
}

/* __kmem_cache_shrink(): every CPU's slabs back to the node, every empty
 * slab back to the buddy. Returns 1 when slabs remain. */
static int cache_shrink(struct kmem_cache *s, unsigned long *freed)
{
	struct kmem_cache_node *n = &s->node;
	struct list_head discard = LIST_HEAD_INIT(discard), *pos, *tmp;

	flush_all(s);
	kmm_spin_lock(&n->list_lock);
	list_for_each_safe(pos, tmp, &n->partial) {
		struct page *slab = list_entry(pos, struct page, slab_list);
		union slab_counters c = { .counters = slab_counters_read(slab) };

		if (!c.inuse) {
			remove_partial_locked(n, slab);
			list_add(&slab->slab_list, &discard);
		}
	}
	kmm_spin_unlock(&n->list_lock);
	list_for_each_safe(pos, tmp, &discard) {
		list_del(pos);
		discard_slab(s, list_entry(pos, struct page, slab_list));
		(*freed)++;
	}
	return atomic_load_relaxed(&n->nr_slabs) ? 1 : 0;
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	unsigned long freed = 0;

	if (!s)
		return 0;
	if (KMM_DEBUG_ON)
		slab_verify(s);
	return cache_shrink(s, &freed);
}

/* The slab shrinker: under memory pressure every cache gives back its
 * empty slabs, per-CPU ones included. */
static unsigned long slab_shrink_count(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long nr = atomic_load_relaxed(&slab_total_slabs);

	return nr ? nr : SHRINK_EMPTY;
}

static unsigned long slab_shrink_scan(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long freed = 0;
	struct list_head *pos;

	/* One reclaimer shrinking every cache is enough: the others would
	 * only queue here (and flush every CPU of every cache again). */
	if (!kmm_mutex_trylock(&slab_mutex))
		return SHRINK_STOP;
	list_for_each(pos, &slab_caches)
		cache_shrink(list_entry(pos, struct kmem_cache, list), &freed);
	kmm_mutex_unlock(&slab_mutex);
	/* One pass shrinks everything: tell shrink_slab the scan is done. */
	sc->nr_scanned = ~0UL;
	return freed;
}

/* ---- bulk ---- */

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t gfp, size_t nr, void **p)
{
	unsigned long addr = (unsigned long)__builtin_return_address(0);
	size_t i = 0;

	if (!nr)
		return 0;
	if (unlikely(!might_alloc(gfp, "kmem_cache_alloc_bulk")))
		return 0;
	if (unlikely(s->special)) {
		for (; i < nr; i++) {
			p[i] = slab_alloc_special(s, gfp, addr);
			if (!p[i])
				goto error;
		}
		return (int)nr;
	}
	while (i < nr) {
		int cpu = cpu_id();
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
		size_t first = i;
		unsigned long tid;
		void *fl, *object;

		if (kmm_spin_trylock(&c->lock)) {
			/* One claim for the whole batch: no cmpxchg per object. */
			fl = cpu_claim_locked(c, &tid, true);
			while (i < nr && (object = cpu_take_locked(s, c, &fl)))
				p[i++] = object;
			cpu_release_locked(c, fl, tid, true);
			kmm_spin_unlock(&c->lock);
			count_event_cpu(cpu, EV_slab_alloc_fast, i - first);
		}
		if (i < nr) {
			count_event(EV_slab_alloc_slow);
			object = slab_alloc_refill(s, gfp, addr);
			if (!object)
				goto error;
			p[i++] = object;
		}
	}
	for (i = 0; i < nr; i++)
		slab_post_alloc(s, gfp, p[i]);
	return (int)nr;
error:
	if (!s->special) {
		for (size_t j = 0; j < i; j++)
			slab_post_alloc(s, 0, p[j]);
	}
	kmem_cache_free_bulk(s, i, p);
	return 0;
}

/* Frees a chain of `cnt` objects of one slab with one cmpxchg. */
static void free_chain(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		       unsigned int cnt, unsigned long addr)
{
	enum cpu_push r = cpu_free_push(s, slab, head, tail, cnt, false);

	if (r == PUSH_SLOW)
		slab_free_slow(s, slab, head, tail, cnt, addr);
	else if (r == PUSH_DOUBLE_FREE)
		slab_report_double_free(s, slab, head);
}

/* build_detached_freelist(): from the end of the array, gather objects of
 * the same slab (up to 3 misses of look-ahead) and free each group with
 * one cmpxchg. Entries consumed are set to NULL, as the kernel does. */
void kmem_cache_free_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	unsigned long addr = (unsigned long)__builtin_return_address(0);

	while (nr) {
		void *object = p[--nr], *head, *tail;
		struct page *slab;
		unsigned int cnt = 1, misses = 0;

		if (!object)
			continue;
		p[nr] = NULL;
		slab = object_head_page(object);
		if (unlikely(!slab || !PageSlab(slab) ||
			     atomic_load_relaxed(&slab->slab_cache) != s ||
			     !slab_object_start(s, slab, object))) {
			slab_free_bad(s, object, slab, "kmem_cache_free_bulk");
			continue;
		}
		if (s->special) {
			slab_free_hooked(s, slab, object, addr);
			continue;
		}
		if (unlikely(slab_object_is_free(s, slab, object))) {
			slab_report_double_free(s, slab, object);
			continue;
		}
		slab_pre_free(s, object);
		head = tail = object;
		for (size_t i = nr; i-- > 0 && misses < 3;) {
			void *o = p[i];

			if (!o)
				continue;
			if (object_head_page(o) != slab || o == head || !slab_object_start(s, slab, o) ||
			    slab_object_is_free(s, slab, o)) {
				misses++;
				continue;
			}
			p[i] = NULL;
			slab_pre_free(s, o);
			set_freepointer(s, o, head);
			head = o;
			cnt++;
		}
		free_chain(s, slab, head, tail, cnt, addr);
	}
}

/* ---- creating and destroying caches ---- */

static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		unsigned int slab_size = (unsigned int)PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/* calculate_order() of kernels 6.8+: the smallest order from the
 * min_objects-derived one up to slub_max_order that wastes at most 1/16,
 * then 1/8, then 1/4 of the slab. */
static int calculate_order(unsigned int size)
{
	unsigned int min_objects = slub_min_objects, max_objects, min_order, order;

	if (!min_objects)
		min_objects = 4 * (fls_ul(nr_cpu_ids) + 1);
	max_objects = MAX(order_objects(slub_max_order, size), 1u);
	min_objects = MIN(min_objects, max_objects);
	min_order = MAX(slub_min_order, get_order((unsigned long)min_objects * size));
	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return (int)get_order((unsigned long)size * MAX_OBJS_PER_PAGE) - 1;
	for (unsigned int fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, slub_max_order, fraction);
		if (order <= slub_max_order)
			return (int)order;
	}
	order = get_order(size);
	return order <= MAX_PAGE_ORDER ? (int)order : -ENOSYS;
}

static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = CACHELINE;

		while (size <= ralign / 2)
			ralign /= 2;
		align = MAX(align, ralign);
	}
	align = MAX(align, 8u);		/* ARCH_SLAB_MINALIGN */
	return ALIGN_UP(align, (unsigned int)sizeof(void *));
}

/* calculate_sizes(): the slot layout (see slab.h), order and objects. */
static bool calculate_sizes(struct kmem_cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned int size = ALIGN_UP(s->object_size, (unsigned int)sizeof(void *));
	int order;

	if ((flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !s->ctor)
		s->flags |= OBJECT_POISON;
	else
		s->flags &= ~OBJECT_POISON;
	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if ((flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)) || s->ctor ||
	    ((flags & SLAB_RED_ZONE) && s->object_size < sizeof(void *)) ||
	    slub_debug_orig_size(s)) {
		/* The object must stay intact while free: the free pointer
		 * goes after it. */
		s->offset = size;
		size += sizeof(void *);
	} else {
		s->offset = (s->object_size / 2) & ~(unsigned int)(sizeof(void *) - 1);
	}
	if (flags & SLAB_STORE_USER)
		size += 2 * sizeof(struct slab_track);
	if (slub_debug_orig_size(s))
		size += sizeof(unsigned int);
	if (flags & SLAB_RED_ZONE) {
		size += sizeof(void *);
		s->red_left_pad = ALIGN_UP((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	size = ALIGN_UP(size, s->align);
	s->size = size;
	order = calculate_order(size);
	if (order < 0)
		return false;
	s->allocflags = 0;
	if (flags & SLAB_CACHE_DMA)
		s->allocflags |= __GFP_DMA;
	if (flags & SLAB_CACHE_DMA32)
		s->allocflags |= __GFP_DMA32;
	if (flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;
	s->oo.order = (unsigned int)order;
	s->oo.objects = order_objects((unsigned int)order, size);
	s->min.order = get_order(size);
	s->min.objects = order_objects(s->min.order, size);
	s->head_objects = MIN(s->min.objects, (unsigned int)((PAGE_SIZE + size - 1) / size));
	return s->oo.objects > 0;
}

static void set_cpu_partial(struct kmem_cache *s)
{
	unsigned int nr_objects;

	if (kmem_cache_debug(s))
		nr_objects = 0;
	else if (s->size >= PAGE_SIZE)
		nr_objects = 6;
	else if (s->size >= 1024)
		nr_objects = 24;
	else if (s->size >= 256)
		nr_objects = 52;
	else
		nr_objects = 120;
	s->cpu_partial = nr_objects;
	/* Limit slabs, assuming they are half full. */
	s->cpu_partial_slabs = (nr_objects * 2 + s->oo.objects - 1) / s->oo.objects;
}

static void cache_free(struct kmem_cache *s)
{
	if (s->cpu_slab)
		free_percpu(s->cpu_slab);
	free(s->random_seq);
	free(s->name);
	free(s);
}

/* slab_object_index_off()'s constants: size = m << size_shift, m odd,
 * and m's inverse mod 2^64 by Newton's iteration (each step doubles the
 * correct low bits; m * m == 1 mod 8 gives three to start with). */
static void set_size_inverse(struct kmem_cache *s)
{
	unsigned int k = __builtin_ctz(s->size);
	uint64_t m = s->size >> k, inv = m;

	for (int i = 0; i < 5; i++)
		inv *= 2 - m * inv;
	s->size_shift = k;
	s->size_inv = inv;
}

struct kmem_cache *slab_create_cache(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache *s = calloc(1, sizeof(*s));
	unsigned int min_partial;
	int cpu;

	if (!s)
		return NULL;
	s->name = strdup(name);
	s->flags = slub_debug_flags(name, flags);
	s->object_size = size;
	s->ctor = ctor;
	s->align = calculate_alignment(flags, align, size);
	if (!s->name || !calculate_sizes(s))
		goto fail;
	s->random = random_ul();
	set_size_inverse(s);
	min_partial = fls_ul(s->size) - 1;	/* ilog2(size) / 2, clamped */
	s->min_partial = MIN(MAX(min_partial / 2, (unsigned int)MIN_PARTIAL),
			     (unsigned int)MAX_PARTIAL);
	set_cpu_partial(s);
	s->special = kmem_cache_debug(s) ||
		     (failslab.enabled && (!kmm_config.failslab_cache_filter ||
					   (s->flags & SLAB_FAILSLAB)));
	sheaf_cache_init(s);
	s->zero_on_alloc = kmm_config.init_on_alloc && !ctor &&
			   !(s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON));
	s->zero_on_free = kmm_config.init_on_free && !ctor &&
			  !(s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON));
	kmm_spin_init(&s->node.list_lock, "slab_list_lock", LOCK_RANK_SLAB_NODE);
	INIT_LIST_HEAD(&s->node.partial);
	INIT_LIST_HEAD(&s->node.full);
	if (kmm_config.slab_freelist_random && init_random_seq(s))
		goto fail;
	s->cpu_slab = alloc_percpu(struct kmem_cache_cpu);
	if (!s->cpu_slab)
		goto fail;
	for_each_possible_cpu(cpu) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);

		memset(c, 0, sizeof(*c));
		c->tid = (unsigned long)cpu;	/* init_tid(): the CPU in the low bits */
		c->claim_after = 1;
		kmm_spin_init(&c->lock, "slab_cpu_lock", LOCK_RANK_SLAB_CPU);
	}
	kmm_mutex_lock(&slab_mutex);
	list_add(&s->list, &slab_caches);
	kmm_mutex_unlock(&slab_mutex);
	return s;
fail:
	cache_free(s);
	return NULL;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	struct kmem_cache *s = NULL;
	const char *why = NULL;

	if (!atomic_load_acquire(&slab_up))
		why = "kmm is not booted";
	else if (!name)
		why = "no name";
	else if (in_interrupt())
		why = "called in interrupt context";
	else if (!size || size > KMALLOC_MAX_SIZE)
		why = "size out of range";
	else if (align & (align - 1))
		why = "alignment is not a power of two";
	else if (align > KMALLOC_MAX_SIZE)
		why = "alignment above the largest slab";
	else if (!might_alloc(GFP_KERNEL, "kmem_cache_create"))
		return NULL;
	if (why)
		kmm_warn("kmem_cache_create(%s) integrity check failed: %s (size %u, align %u)",
			 name ? name : "(null)", why, size, align);
	else
		s = slab_create_cache(name, size, align, flags & ~SLAB_KMALLOC, ctor);
	if (!s && (flags & SLAB_PANIC)) {
		fprintf(stderr, "Kernel panic - not syncing: kmem_cache_create: Failed to create slab '%s'\n",
			name ? name : "(null)");
		abort();
	}
	return s;
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return s->object_size;
}

bool cache_is_listed_locked(const struct kmem_cache *s)
{
	lock_assert_held(&slab_mutex);
	struct list_head *pos;

	list_for_each(pos, &slab_caches)
		if (list_entry(pos, struct kmem_cache, list) == s)
			return true;
	return false;
}

/* The kernel's list_slab_objects() report for a cache that still has
 * objects when it is destroyed. */
static void report_remaining_locked(struct kmem_cache *s)
{
	struct kmem_cache_node *n = &s->node;
	unsigned int shown = 0;
	unsigned long active, nr_slabs;
	struct list_head *lists[2] = { &n->partial, &n->full }, *pos;

	kmm_spin_lock(&n->list_lock);
	active = atomic_load_relaxed(&n->total_objects) - count_partial_free(n);
	nr_slabs = atomic_load_relaxed(&n->nr_slabs);
	slab_err(s, NULL, "Objects remaining in %s on __kmem_cache_shutdown()", s->name);
	for (int l = 0; l < 2; l++)
		list_for_each(pos, lists[l])
			slab_list_objects(s, list_entry(pos, struct page, slab_list), &shown, 16);
	kmm_spin_unlock(&n->list_lock);
	kmm_report_cont("kmem_cache_destroy %s: Slab cache still has objects (%lu in %lu slabs); "
			"it stays, with its memory", s->name, active, nr_slabs);
}

void kmem_cache_destroy(struct kmem_cache *s)
{
	unsigned long freed = 0;

	if (!s)
		return;
	if (!might_alloc(GFP_KERNEL, "kmem_cache_destroy"))
		return;
	if (!atomic_load_acquire(&slab_up)) {
		kmm_warn("kmem_cache_destroy: kmm is not booted");
		return;
	}
	/* kfree_rcu() of this cache's objects may still be pending (the
	 * kernel's kvfree_rcu_barrier()). */
	if (kmm_kfree_rcu_pending())
		rcu_barrier();
	kmm_mutex_lock(&slab_mutex);
	if (!cache_is_listed_locked(s)) {
		kmm_mutex_unlock(&slab_mutex);
		kmm_bug("kmem_cache_destroy: %p is not a live cache", (void *)s);
		return;
	}
	if (s->flags & SLAB_KMALLOC) {
		kmm_mutex_unlock(&slab_mutex);
		kmm_bug("kmem_cache_destroy: %s is a kmalloc cache", s->name);
		return;
	}
	if (KMM_DEBUG_ON)
		slab_verify(s);
	if (cache_shrink(s, &freed)) {
		report_remaining_locked(s);
		s->shutdown_failed = true;
		kmm_mutex_unlock(&slab_mutex);
		return;
	}
	list_del(&s->list);
	kmm_mutex_unlock(&slab_mutex);
	/* Its last slabs go back to the buddy after a grace period. */
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		rcu_barrier();
	cache_free(s);
}

/* ---- the public allocation entry points ---- */

#define RET_IP	((unsigned long)__builtin_return_address(0))

/* The atomic context first: one load of the thread's state, which the
 * fast path reads next to anyway. */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	if (unlikely(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)))
		return slab_alloc_atomic_bug(s, gfp, RET_IP, "kmem_cache_alloc");
	return slab_alloc(s, gfp, RET_IP);
}

void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t gfp)
{
	if (unlikely(cpu_in_atomic() && (gfp & __GFP_DIRECT_RECLAIM)))
		return slab_alloc_atomic_bug(s, gfp | __GFP_ZERO, RET_IP, "kmem_cache_zalloc");
	return slab_alloc(s, gfp | __GFP_ZERO, RET_IP);
}

/* Any object of `slab`: the full start check, then the whole free. */
static noinline void slab_free_checked(struct kmem_cache *s, struct page *slab, void *x,
				       unsigned long addr)
{
	if (unlikely(!slab_object_start(s, slab, x)))
		return slab_free_bad(s, x, slab, "kmem_cache_free");
	slab_free(s, slab, x, addr);
}

/* The word of struct page that holds a slab's cache holds a tail page's
 * compound_head (bit 0 set) and a free page's list link, and is cleared
 * when a slab goes back to the buddy: it names `s` only in the head page
 * of a live slab of `s`. An object in the head page is at its offset in
 * the page; one in a tail page goes through compound_head. */
void kmem_cache_free(struct kmem_cache *s, void *x)
{
	unsigned long doff = direct_map_offset(x), word;
	struct page *slab;

	if (unlikely(doff == ~0UL)) {
		if (x)
			slab_free_bad(s, x, NULL, "kmem_cache_free");
		return;
	}
	slab = pfn_page(doff >> PAGE_SHIFT);
	word = atomic_load_relaxed(&slab->compound_head);
	if (unlikely(word != (unsigned long)s)) {
		slab = (struct page *)(word - 1);
		if (unlikely(!(word & 1) || atomic_load_relaxed(&slab->slab_cache) != s))
			return slab_free_bad(s, x, direct_map_head_page(doff), "kmem_cache_free");
		return slab_free_checked(s, slab, x, RET_IP);
	}
	if (unlikely(slab_head_object_needs_check(s, doff)))
		return slab_free_checked(s, slab, x, RET_IP);
	return slab_free_owner(s, slab, x, RET_IP);
}

/* ---- boot and exit ---- */

int slab_init(void)
{
	int err;

	kmm_mutex_init(&slab_mutex, "slab_mutex", LOCK_RANK_SLAB_MUTEX);
	slab_tid_step = roundup_pow_of_two(nr_cpu_ids);
	slub_min_order = kmm_config.slub_min_order;
	slub_max_order = MAX(kmm_config.slub_max_order, slub_min_order);
	slub_max_order = MIN(slub_max_order, (unsigned int)MAX_PAGE_ORDER);
	slub_min_order = MIN(slub_min_order, slub_max_order);
	slub_min_objects = kmm_config.slub_min_objects;
	fault_attr_setup(&failslab, kmm_config.failslab);
	slub_debug_parse();
	slab_owner_mode = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	atomic_store_release(&slab_up, true);
	events_set_pending(slab_stats_pending);
	err = kmalloc_init();
	if (err) {
		slab_exit();
		return err;
	}
	slab_shrinker = shrinker_alloc(0, "slab");
	if (slab_shrinker) {
		slab_shrinker->count_objects = slab_shrink_count;
		slab_shrinker->scan_objects = slab_shrink_scan;
		shrinker_register(slab_shrinker);
	}
	return 0;
}

/* Tears every cache down; returns the objects still allocated, after
 * reporting them by cache (with allocation sites under slub_debug=U). */
long slab_exit(void)
{
	struct list_head *pos, *tmp;
	unsigned long total = kmm_mem.nr_pages;
	unsigned int shown = 0;
	long leaked = 0;
	bool any = false;

	if (!atomic_load_acquire(&slab_up))
		return 0;
	shrinker_free(slab_shrinker);
	slab_shrinker = NULL;
	events_set_pending(NULL);
	kmm_mutex_lock(&slab_mutex);
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);
		unsigned long freed = 0, active;

		cache_shrink(s, &freed);
		kmm_spin_lock(&s->node.list_lock);
		active = atomic_load_relaxed(&s->node.total_objects) - count_partial_free(&s->node);
		kmm_spin_unlock(&s->node.list_lock);
		if (!active)
			continue;
		leaked += (long)active;
		any = true;
		kmm_pr_info("kmm: cache %s: %lu objects still allocated at exit%s", s->name, active,
			    (s->flags & SLAB_STORE_USER) ? "" :
			    " (boot with slub_debug=U for allocation sites)");
	}
	/* Exit runs alone, so the leaked objects can be found by walking
	 * every page: full slabs are on no list. */
	for (unsigned long pfn = 0; any && pfn < total; pfn++) {
		struct page *page = pfn_page(pfn);

		if (PageSlab(page) && !PageTail(page))
			slab_list_objects(page->slab_cache, page, &shown, 32);
	}
	list_for_each_safe(pos, tmp, &slab_caches) {
		list_del(pos);
		cache_free(list_entry(pos, struct kmem_cache, list));
	}
	kmm_mutex_unlock(&slab_mutex);
	kmalloc_exit();
	atomic_store_release(&slab_up, false);
	kmm_mutex_destroy(&slab_mutex);
	return leaked;
}
