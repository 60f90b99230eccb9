/* The per-CPU slab (docs/design.md §2.2): the slow paths
 * of c->freelist + c->tid (the fast paths are inline in cpu_slab.h),
 * c->slab, and the per-CPU partial slabs (the kernel's put_cpu_partial,
 * ___slab_alloc, flush_slab).
 *
 * Lock order: c->lock (LOCK_RANK_SLAB_CPU), a cache's per-CPU local lock
 * as on PREEMPT_RT, then n->list_lock and the page allocator's locks
 * through the page layer. c->lock serialises the slow paths that change
 * c->slab and c->freelist, and guards c->partial. The CPU's own threads
 * only trylock it: on failure an allocation takes the locked single-object
 * path (node lists) and a free parks its slab on the node list. Flushes
 * from other CPUs (shrink, destroy) lock it. A slow path that changes
 * c->slab claims the CPU first (cpu_claim_locked(): freelist swapped for
 * CPU_SLAB_BUSY with a new tid) and releases it with the next tid: while
 * claimed no fast path can commit, which is what disabling interrupts
 * gives the kernel, and it holds however many threads share the CPU. */
#include <kmm/kmm.h>
#include "lib/bitops.h"
#include "lib/bug.h"
#include "lib/cpu_owner.h"
#include "slub/cpu_slab.h"
#include "slub/slab_page.h"

unsigned long slab_tid_step = 1;

void cpu_slab_init(unsigned int nr_cpus)
{
	slab_tid_step = roundup_pow_of_two(nr_cpus);
}

void cpu_slab_init_cpu(struct kmem_cache_cpu *c, int cpu)
{
	c->freelist = NULL;
	c->tid = (unsigned long)cpu;	/* init_tid(): the CPU in the low bits */
	c->slab = NULL;
	c->partial = NULL;
	kmm_spin_init(&c->lock, "slab_cpu_lock", LOCK_RANK_SLAB_CPU);
}

/* ---- claiming the CPU slab (c->lock held) ---- */

void *cpu_claim_locked(struct kmem_cache_cpu *c, unsigned long *tidp)
{
	unsigned long tid;
	void *fl;

	lock_assert_held(&c->lock);
	do {
		tid = atomic_load_relaxed(&c->tid);
		fl = atomic_load_acquire(&c->freelist);
	} while (!cpu_pair_cas(c, fl, tid, CPU_SLAB_BUSY, next_tid(tid)));
	*tidp = next_tid(tid);
	return fl;
}

/* Release: with any c->slab change made under the claim. */
void cpu_release_locked(struct kmem_cache_cpu *c, void *fl, unsigned long tid)
{
	bool ok;

	lock_assert_held(&c->lock);
	ok = cpu_pair_cas(c, CPU_SLAB_BUSY, tid, fl, next_tid(tid));
	if (KMM_DEBUG_ON && !ok)
		kmm_bug("slub: a claimed CPU freelist changed under its claim");
}

/* ---- per-CPU partial slabs (c->lock held) ---- */

/* Pushes an unfrozen partial slab on the CPU's partial list; when the list
 * is full and `drain`, returns the old list for node_add_partials(). */
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

/* put_cpu_partial(): a slab that just stopped being full parks on this
 * CPU's partial list (or on the node list when the CPU is busy). */
static void cpu_partial_park(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu_id());
	struct page *to_put;

	if (!kmm_spin_trylock(&c->lock)) {
		slab->next = NULL;
		node_add_partials(s, slab);
		return;
	}
	to_put = cpu_partial_push_locked(s, c, slab, true);
	kmm_spin_unlock(&c->lock);
	if (to_put)
		node_add_partials(s, to_put);
}

void cpu_free_slow(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		   unsigned int cnt)
{
	if (slab_free_to_page(s, slab, head, tail, cnt))
		cpu_partial_park(s, slab);
}

/* The first node partial slab becomes the CPU slab; up to half of
 * cpu_partial_slabs more go to the CPU's partial list. Returns the new
 * CPU slab's freelist. */
static void *cpu_get_partial_locked(struct kmem_cache *s, struct kmem_cache_cpu *c,
				    struct page **slabp)
{
	unsigned int extra = s->cpu_partial_slabs ? s->cpu_partial_slabs / 2 + 1 : 0;
	struct page *chain;
	void *fl;

	lock_assert_held(&c->lock);
	fl = node_get_partial(s, extra, slabp, &chain);
	while (chain) {
		struct page *slab = chain;

		chain = slab->next;
		cpu_partial_push_locked(s, c, slab, false);
	}
	return fl;
}

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
	fl = cpu_get_partial_locked(s, c, &slab);
	if (!fl)
		return NULL;
	atomic_store_relaxed(&c->slab, slab);
load:
	*flp = get_freepointer(s, fl);
	return fl;
}

/* ---- allocation slow path ---- */

void *slab_alloc_refill(struct kmem_cache *s, gfp_t gfp, unsigned long addr)
{
	struct kmem_cache_cpu *c;
	struct page *slab, *flush;
	void *fl, *object, *flush_fl;
	unsigned long tid;
	int cpu = cpu_id();

	c = per_cpu_ptr(s->cpu_slab, cpu);
	if (!kmm_spin_trylock(&c->lock))
		return alloc_single(s, gfp, addr);
	if (s->sheaf_capacity)
		cpu_own_note_miss((unsigned int)cpu);
	fl = cpu_claim_locked(c, &tid);
	object = cpu_take_locked(s, c, &fl);
	cpu_release_locked(c, fl, tid);
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
	/* Nobody else knows the slab yet: its whole freelist, frozen. */
	object = slab_take_freelist(slab);
	fl = get_freepointer(s, object);
	flush_fl = cpu_claim_locked(c, &tid);
	flush = c->slab;
	atomic_store_relaxed(&c->slab, slab);
	cpu_release_locked(c, fl, tid);
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

size_t cpu_take_bulk(struct kmem_cache *s, size_t nr, void **p)
{
	int cpu = cpu_id();
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	unsigned long tid;
	size_t i = 0;
	void *fl, *object;

	if (!kmm_spin_trylock(&c->lock))
		return 0;
	/* One claim for the whole batch: no compare-and-swap per object. */
	fl = cpu_claim_locked(c, &tid);
	while (i < nr && (object = cpu_take_locked(s, c, &fl)))
		p[i++] = object;
	cpu_release_locked(c, fl, tid);
	kmm_spin_unlock(&c->lock);
	count_event_cpu(cpu, EV_slab_alloc_fast, i);
	return i;
}

void cpu_free_chain(struct kmem_cache *s, struct page *slab, void *head, void *tail,
		    unsigned int cnt)
{
	enum cpu_push r = cpu_free_push(s, slab, head, tail, cnt, false);

	if (r == PUSH_SLOW)
		cpu_free_slow(s, slab, head, tail, cnt);
	else if (r == PUSH_DOUBLE_FREE)
		slab_report_double_free(s, slab, head);
}

/* ---- flushing ---- */

void cpu_slab_flush(struct kmem_cache *s, int cpu)
{
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);
	struct page *slab, *partial;
	unsigned long tid;
	void *fl;

	kmm_spin_lock(&c->lock);
	fl = cpu_claim_locked(c, &tid);
	slab = c->slab;
	atomic_store_relaxed(&c->slab, NULL);
	partial = c->partial;
	c->partial = NULL;
	cpu_release_locked(c, NULL, tid);
	kmm_spin_unlock(&c->lock);
	if (slab)
		deactivate_slab(s, slab, fl);
	if (partial)
		node_add_partials(s, partial);
}
