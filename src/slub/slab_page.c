/* The slab page layer (mm/slub.c's new_slab, __slab_free,
 * deactivate_slab, discard_slab, get_partial_node): slab pages, their own
 * freelists, and the node partial list. It knows nothing of CPUs: what a
 * CPU should take or park is returned to the caller (slab_page.h).
 *
 * Protocol: page->freelist + page->counters always change together by one
 * double-word compare-and-swap, so a free from any thread needs no lock; a
 * frozen slab is some CPU's slab, and only that CPU takes objects from it.
 *
 * Lock: n->list_lock (LOCK_RANK_SLAB_NODE) guards the node partial list,
 * nr_partial, the PG_slab_node_partial bit, the full list and every object
 * and counter of a debug cache's slabs. It is taken only when a slab must
 * move between lists (full -> partial without per-CPU partials, becoming
 * empty while on the node list) or to take from the list. The page
 * allocator's locks nest inside when slabs come and go; slabs go back to
 * the buddy after list_lock is dropped. */
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/vmstat.h"
#include "lib/bug.h"
#include "lib/events.h"
#include "lib/list.h"
#include "lib/random.h"
#include "slub/slab_check.h"
#include "slub/slab_page.h"
#include "slub/slub_debug.h"

static unsigned long slab_total_slabs;	/* atomic: slabs of every cache */

unsigned long slab_pages_total(void)
{
	return atomic_load_relaxed(&slab_total_slabs);
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

/* Threads the free objects of a new slab: in order, or from a random
 * start in the cache's random sequence (shuffle_freelist). */
static void *build_freelist(struct kmem_cache *s, struct page *slab, unsigned int objects)
{
	char *start = slab_address(slab);
	void *first = NULL, *prev = NULL;

	if (s->random_seq) {
		unsigned long limit = (unsigned long)objects * s->size;
		unsigned int count = s->oo.objects, pos = (unsigned int)prandom_below(count);

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

/* The words a free of an object in a tail page reads instead of the head
 * (slab_tail_fast_cache): set by new_slab(), cleared when the slab goes. */
static void set_tail_words(struct page *slab, unsigned int order, struct kmem_cache *s,
			   unsigned long fast_objects)
{
	for (unsigned long i = 1; i < (1UL << order); i++) {
		atomic_store_relaxed(&slab[i].tail_slab_cache, s);
		atomic_store_relaxed(&slab[i].tail_fast_objects, fast_objects);
	}
}

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
	objects = (unsigned int)((PAGE_SIZE << order) / s->size);
	start = slab_address(slab);
	atomic_store_relaxed(&slab->slab_cache, s);
	SetPageFlag(slab, PG_slab);
	set_tail_words(slab, order, s, s->head_objects ? objects : 0);
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
	set_tail_words(slab, order, NULL, 0);
	if (s->flags & SLAB_TYPESAFE_BY_RCU) {
		call_rcu((struct rcu_head *)&slab->slab_list, slab_free_pages_rcu);
		return;
	}
	kasan_unpoison(slab_address(slab), PAGE_SIZE << order);
	__free_pages(slab, order);
}

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

void *slab_take_freelist(struct page *slab)
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

void deactivate_slab(struct kmem_cache *s, struct page *slab, void *freelist)
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
		slab_fix(s, "Dropping the CPU freelist of slab %p", (void *)slab);
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

void node_add_partials(struct kmem_cache *s, struct page *chain)
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

void *node_get_partial(struct kmem_cache *s, unsigned int extra, struct page **slabp,
		       struct page **chain)
{
	struct kmem_cache_node *n = &s->node;
	struct list_head *pos, *tmp;
	unsigned int moved = 0;
	void *fl = NULL;

	*chain = NULL;
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
			if (!extra)
				break;
		} else {
			slab->next = *chain;
			*chain = slab;
			if (++moved >= extra)
				break;
		}
	}
	kmm_spin_unlock(&n->list_lock);
	return fl;
}

unsigned long node_discard_empty(struct kmem_cache *s)
{
	struct kmem_cache_node *n = &s->node;
	struct list_head discard = LIST_HEAD_INIT(discard), *pos, *tmp;
	unsigned long freed = 0;

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
		freed++;
	}
	return freed;
}

/* ---- the locked single-object path ---- */

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
			slab_fix(s, "Marking all objects used");
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

void *alloc_single_from_new_slab(struct kmem_cache *s, struct page *slab, unsigned long addr)
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

void *alloc_single(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
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

/* ---- frees ---- */

bool slab_free_to_page(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		       unsigned int cnt)
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
			return false;
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

	/* A full slab got its first free object: the caller parks it. */
	if (!n)
		return !was_frozen && !prior;
	/* Partial but on some CPU's partial list: not ours to move. */
	if (prior && !on_node_partial) {
		kmm_spin_unlock(&n->list_lock);
		return false;
	}
	if (!new.inuse && n->nr_partial >= s->min_partial) {
		if (prior)
			remove_partial_locked(n, slab);
		kmm_spin_unlock(&n->list_lock);
		discard_slab(s, slab);
		return false;
	}
	if (!prior)
		add_partial_locked(n, slab, true);
	kmm_spin_unlock(&n->list_lock);
	return false;
}

void slab_free_debug(struct kmem_cache *s, struct page *slab, void *object, unsigned long addr)
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
