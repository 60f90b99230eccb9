/* slab_verify(): the invariants of a cache's node lists, walked in
 * KMM_DEBUG builds where the buddy runs buddy_verify() (at
 * kmem_cache_shrink and kmem_cache_destroy) and by slab_validate(), the
 * kernel's /sys/kernel/slab/<cache>/validate.
 *
 * Every slab on the node partial list (and on the full list of a debug
 * cache) is a slab head of this cache, not frozen, with the object count
 * of its order, inuse <= objects, and a freelist that stays on object
 * starts of the slab, ends within `objects` links and together with inuse
 * accounts for every object. A partial slab has a free object and carries
 * PG_slab_node_partial; a full one has none and does not. nr_partial is
 * the length of the partial list; nr_slabs and total_objects cover at
 * least the listed slabs (slabs on CPUs, and full ones outside debug
 * caches, are on no list).
 *
 * Locking: n->list_lock for the whole walk. Under it a listed slab only
 * gains free objects: a remote free pushes onto its freelist by
 * compare-and-swap without the lock, while taking objects from a listed
 * slab needs the lock. So a consistent (freelist, counters) pair read from
 * the slab has a chain below it that nobody changes while we walk it, and
 * the pair is consistent when counters read the same on both sides of the
 * freelist load (each such free lowers inuse).
 *
 * One report per damaged slab (the first thing found wrong), each through
 * kmm_bug("slab_verify: ..."). */
#include <kmm/kmm.h>
#include "lib/bug.h"
#include "lib/list.h"
#include "slub/slab_verify.h"
#include "slub/slub_debug.h"

static void *slab_snapshot(struct page *slab, union slab_counters *c)
{
	unsigned long before;
	void *fl;

	do {
		before = atomic_load_acquire(&slab->counters);
		fl = atomic_load_acquire(&slab->freelist);
		c->counters = atomic_load_acquire(&slab->counters);
	} while (c->counters != before);
	return fl;
}

/* Checks one listed slab; false after its one report. */
static bool verify_slab_locked(struct kmem_cache *s, struct page *slab, bool partial)
{
	const char *list = partial ? "partial" : "full";
	unsigned int expect, nr_free = 0;
	union slab_counters c;
	void *fp;

	lock_assert_held(&s->node.list_lock);
	if (!PageSlab(slab) || PageTail(slab)) {
		kmm_bug("slab_verify: %s: %p on the %s list is not a slab head (flags %#lx)",
			s->name, (void *)slab, list, atomic_load_relaxed(&slab->flags));
		return false;
	}
	if (atomic_load_relaxed(&slab->slab_cache) != s) {
		kmm_bug("slab_verify: %s: slab %p on the %s list belongs to cache %p", s->name,
			(void *)slab, list, (void *)atomic_load_relaxed(&slab->slab_cache));
		return false;
	}
	if (PageFlag(slab, PG_slab_node_partial) != partial) {
		kmm_bug("slab_verify: %s: slab %p on the %s list has PG_slab_node_partial %s",
			s->name, (void *)slab, list, partial ? "clear" : "set");
		return false;
	}
	fp = slab_snapshot(slab, &c);
	expect = (unsigned int)((PAGE_SIZE << compound_order(slab)) / s->size);
	if (c.frozen || c.objects != expect || c.inuse > c.objects) {
		kmm_bug("slab_verify: %s: slab %p on the %s list: counters inuse=%u objects=%u "
			"frozen=%u (order %u holds %u objects)", s->name, (void *)slab, list,
			c.inuse, c.objects, c.frozen, compound_order(slab), expect);
		return false;
	}
	for (; fp; fp = get_freepointer(s, fp)) {
		if (!slab_object_start(s, slab, fp)) {
			kmm_bug("slab_verify: %s: slab %p: free pointer %p after %u links is not an "
				"object of the slab", s->name, (void *)slab, fp, nr_free);
			return false;
		}
		if (++nr_free > c.objects) {
			kmm_bug("slab_verify: %s: slab %p: freelist longer than its %u objects "
				"(a cycle)", s->name, (void *)slab, c.objects);
			return false;
		}
	}
	if (nr_free + c.inuse != c.objects) {
		kmm_bug("slab_verify: %s: slab %p on the %s list: %u free objects on its freelist "
			"+ inuse %u != objects %u", s->name, (void *)slab, list, nr_free, c.inuse,
			c.objects);
		return false;
	}
	if (partial ? !nr_free : nr_free != 0) {
		kmm_bug("slab_verify: %s: slab %p on the %s list has %u free objects", s->name,
			(void *)slab, list, nr_free);
		return false;
	}
	return true;
}

/* The walk of slab_verify(); with `validate` the slots of every slab that
 * passed are checked too (debug caches). Returns the reports made; the
 * slabs walked go to *walked. */
static unsigned long verify_locked(struct kmem_cache *s, bool validate, unsigned long *walked)
{
	struct kmem_cache_node *n = &s->node;
	unsigned long nr[2] = { 0, 0 }, objects = 0, bad = 0, nr_slabs, total;
	struct list_head *lists[2] = { &n->partial, &n->full }, *pos;
	int nr_lists = kmem_cache_debug(s) ? 2 : 1;

	lock_assert_held(&n->list_lock);
	for (int l = 0; l < nr_lists; l++) {
		list_for_each(pos, lists[l]) {
			struct page *slab = list_entry(pos, struct page, slab_list);

			nr[l]++;
			if (!verify_slab_locked(s, slab, l == 0)) {
				bad++;
				continue;
			}
			objects += slab_objects(slab);
			if (validate)
				slab_debug_validate_slab(s, slab);
		}
	}
	if (nr[0] != atomic_load_relaxed(&n->nr_partial)) {
		kmm_bug("slab_verify: %s: %lu slabs on the partial list, nr_partial %lu", s->name,
			nr[0], atomic_load_relaxed(&n->nr_partial));
		bad++;
	}
	/* Slabs are counted before they are listed and after they leave. */
	nr_slabs = atomic_load_relaxed(&n->nr_slabs);
	total = atomic_load_relaxed(&n->total_objects);
	if (nr_slabs < nr[0] + nr[1] || total < objects) {
		kmm_bug("slab_verify: %s: %lu slabs (%lu objects) listed, nr_slabs %lu "
			"total_objects %lu", s->name, nr[0] + nr[1], objects, nr_slabs, total);
		bad++;
	}
	*walked = nr[0] + nr[1];
	return bad;
}

/* Returns the number of reports made. */
unsigned long slab_verify(struct kmem_cache *s)
{
	unsigned long bad, walked;

	kmm_spin_lock(&s->node.list_lock);
	bad = verify_locked(s, false, &walked);
	kmm_spin_unlock(&s->node.list_lock);
	return bad;
}

/* validate_slab_cache(): slab_verify, and for a debug cache every slot and
 * slab tail of its listed slabs (slab_debug_validate_slab). Returns the
 * number of errors reported meanwhile (kmm_bug_count()); the slabs walked
 * go to *walked. */
unsigned long slab_validate(struct kmem_cache *s, unsigned long *walked)
{
	unsigned long before = kmm_bug_count(), nr;

	kmm_spin_lock(&s->node.list_lock);
	verify_locked(s, kmem_cache_debug(s), walked ? walked : &nr);
	kmm_spin_unlock(&s->node.list_lock);
	return kmm_bug_count() - before;
}
