/* The lifecycle of a cache (mm/slub.c and mm/slab_common.c): sizing
 * (slot layout, order, per-CPU partial limits), create and destroy, the
 * flush of every CPU, shrink, the slab shrinker and the shrink before free
 * page reporting, and the slab allocator's boot and exit.
 *
 * Lock order (outermost first; ranks in lib/lock.h):
 *   slab_mutex (LOCK_RANK_SLAB_MUTEX)  the list of caches (slab_caches)
 *       and each cache's shutdown; taken by create, destroy, slabinfo,
 *       kmm_stats, exit, free page reporting's shrink and the slab
 *       shrinker (inside shrinker_lock; only tried when the reclaimer
 *       holds a kmm mutex). Nothing allocates memory while holding it.
 *   then, through the layers below, c->lock, barn->lock, n->list_lock and
 *   the page allocator's locks, each one CPU or cache at a time. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/page_reporting.h"
#include "lib/bitops.h"
#include "lib/bug.h"
#include "lib/cmdline.h"
#include "lib/context.h"
#include "lib/host_mem.h"
#include "lib/list.h"
#include "lib/random.h"
#include "lib/rcu_batch.h"
#include "slub/cache.h"
#include "slub/cpu_slab.h"
#include "slub/slab_check.h"
#include "slub/sheaf.h"
#include "slub/slab_page.h"
#include "slub/slab_verify.h"
#include "slub/slub_debug.h"

struct list_head slab_caches = LIST_HEAD_INIT(slab_caches);
struct kmm_mutex slab_mutex;
bool slab_up;			/* atomic */
static struct shrinker *slab_shrinker;
static unsigned int slub_min_order, slub_max_order, slub_min_objects;

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* ---- sizing ---- */

/* Slot offsets in a random order, for slab_freelist_random=1
 * (init_cache_random_seq). */
static int init_random_seq(struct kmem_cache *s)
{
	unsigned int count = s->oo.objects;

	s->random_seq = host_alloc(count * sizeof(*s->random_seq));
	if (!s->random_seq)
		return -ENOMEM;
	for (unsigned int i = 0; i < count; i++)
		s->random_seq[i] = i * s->size;
	for (unsigned int i = count - 1; i > 0; i--) {
		unsigned int j = (unsigned int)prandom_below(i + 1), t = s->random_seq[i];

		s->random_seq[i] = s->random_seq[j];
		s->random_seq[j] = t;
	}
	return 0;
}

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

/* ---- flushing and shrinking ---- */

/* Sheaves first, every CPU's and the barn's: their objects may park slabs
 * on any CPU's partial list, which the second pass then empties. */
static void flush_all(struct kmem_cache *s)
{
	int cpu;

	if (kmem_cache_debug(s))
		return;
	if (s->sheaf_capacity) {
		for_each_possible_cpu(cpu)
			sheaf_flush_cpu(s, cpu);
		barn_shrink(s);
	}
	for_each_possible_cpu(cpu)
		cpu_slab_flush(s, cpu);
}

/* __kmem_cache_shrink(): every CPU's slabs back to the node, every empty
 * slab back to the buddy. Returns 1 when slabs remain. */
static int cache_shrink(struct kmem_cache *s, unsigned long *freed)
{
	flush_all(s);
	*freed += node_discard_empty(s);
	return atomic_load_relaxed(&s->node.nr_slabs) ? 1 : 0;
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
	unsigned long nr = slab_pages_total();

	return nr ? nr : SHRINK_EMPTY;
}

/* Every cache shrunk. A caller holding a kmm mutex (an allocation made
 * under one, in direct reclaim: its rank may come before slab_mutex's)
 * only tries, and returns false when slab_mutex is taken. One holding none
 * waits for it, as a walk under way (free page reporting's, another
 * reclaimer's) may have passed objects freed since; it walks itself
 * unless a walk that started after it asked has finished meanwhile, so
 * that waiting reclaimers do not flush every CPU of every cache again. */
static unsigned long shrink_walks;	/* atomic: walks started, under slab_mutex */

static bool shrink_all_caches(unsigned long *freed)
{
	unsigned long walks = atomic_load_acquire(&shrink_walks);
	struct list_head *pos;

	if (!kmm_mutex_trylock(&slab_mutex)) {
		if (kmm_mutexes_held)
			return false;
		kmm_mutex_lock(&slab_mutex);
		if (atomic_load_relaxed(&shrink_walks) != walks) {
			kmm_mutex_unlock(&slab_mutex);
			return true;
		}
	}
	atomic_store_relaxed(&shrink_walks, shrink_walks + 1);
	list_for_each(pos, &slab_caches)
		cache_shrink(list_entry(pos, struct kmem_cache, list), freed);
	kmm_mutex_unlock(&slab_mutex);
	return true;
}

static unsigned long slab_shrink_scan(struct shrinker *sh, struct shrink_control *sc)
{
	unsigned long freed = 0;

	if (!shrink_all_caches(&freed))
		return SHRINK_STOP;
	/* One pass shrinks everything: tell shrink_slab the scan is done. */
	sc->nr_scanned = ~0UL;
	return freed;
}

/* Before free page reporting gives memory back to the host, every cache
 * is shrunk, as the kernel shrinks every cache before memory goes offline
 * (slab_mem_going_offline_callback): what sheaves, the barn, per-CPU and
 * empty node slabs keep would pin the blocks around them. The reporter
 * runs a pass only after a free left a large block and its delay (2 s)
 * passed, so busy caches refill a few sheaves that often at most. */
static unsigned long slab_reporting_prepare(void)
{
	unsigned long freed = 0;

	shrink_all_caches(&freed);
	return freed;
}
/* ---- create and destroy ---- */

static void cache_free(struct kmem_cache *s)
{
	if (s->cpu_alloc)
		free_percpu(s->cpu_alloc);
	sheaf_cache_exit(s);
	host_free(s->random_seq);
	host_free(s->name);
	host_free(s);
}

/* slab_object_index_off()'s constants: size = m << size_shift, m odd,
 * and m's inverse mod 2^64 by Newton's iteration (each step doubles the
 * correct low bits; m * m == 1 mod 8 gives three to start with). */
static void set_size_inverse(struct kmem_cache *s)
{
	unsigned int k = ffs_ul(s->size);
	uint64_t m = s->size >> k, inv = m;

	for (int i = 0; i < 5; i++)
		inv *= 2 - m * inv;
	s->size_shift = k;
	s->size_inv = inv;
}

struct kmem_cache *slab_create_cache(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *),
				     struct kmem_cache_cpu *cpu_slab)
{
	struct kmem_cache *s = host_calloc(1, sizeof(*s));
	unsigned int min_partial;
	int cpu;

	if (!s)
		return NULL;
	s->name = host_strdup(name);
	s->flags = slub_debug_flags(name, flags);
	s->object_size = size;
	s->ctor = ctor;
	s->align = calculate_alignment(flags, align, size);
	if (!s->name || !calculate_sizes(s))
		goto fail;
	/* Links' low bits are random's (slab.h): never 0, which a hand-out
	 * leaves. */
	s->random = random_seed() | 1;
	set_size_inverse(s);
	min_partial = ilog2_ul(s->size);	/* ilog2(size) / 2, clamped */
	s->min_partial = MIN(MAX(min_partial / 2, (unsigned int)MIN_PARTIAL),
			     (unsigned int)MAX_PARTIAL);
	set_cpu_partial(s);
	s->zero_on_alloc = kmm_config.init_on_alloc && !ctor &&
			   !(s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON));
	s->zero_on_free = kmm_config.init_on_free && !ctor &&
			  !(s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON));
	/* No sheaves where every object needs a hook: the owner's fast paths
	 * then always find no room and nothing to pop, and frees always take
	 * the full object-start check. */
	s->special = kmem_cache_debug(s) || failslab_applies(s) || s->zero_on_alloc ||
		     s->zero_on_free;
	if (s->special)
		s->head_objects = 0;
	if (sheaf_cache_init(s))
		goto fail;
	kmm_spin_init(&s->node.list_lock, "slab_list_lock", LOCK_RANK_SLAB_NODE);
	INIT_LIST_HEAD(&s->node.partial);
	INIT_LIST_HEAD(&s->node.full);
	if (kmm_config.slab_freelist_random && init_random_seq(s))
		goto fail;
	if (!cpu_slab)
		cpu_slab = s->cpu_alloc = alloc_percpu(struct kmem_cache_cpu);
	if (!cpu_slab)
		goto fail;
	s->cpu_slab = cpu_slab;
	s->cpu_fast = cpu_null_ptr(cpu_slab);
	for_each_possible_cpu(cpu) {
		struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, cpu);

		memset(c, 0, sizeof(*c));
		cpu_slab_init_cpu(c, cpu);
	}
	sheaf_null_init(s, s->cpu_fast);
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
		s = slab_create_cache(name, size, align, flags, ctor, NULL);
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

static bool cache_is_listed_locked(const struct kmem_cache *s)
{
	struct list_head *pos;

	lock_assert_held(&slab_mutex);

	list_for_each(pos, &slab_caches)
		if (list_entry(pos, struct kmem_cache, list) == s)
			return true;
	return false;
}

/* /sys/kernel/slab/<cache>/validate: every CPU's slabs go back to the
 * node first (flush_all), then every listed slab is checked as slub_debug
 * would (slab_validate()). Under slab_mutex, so the cache cannot be
 * destroyed meanwhile. Returns the number of slabs walked, as the kernel's
 * does; the errors found are counted by kmm_bug_count(). */
long validate_slab_cache(struct kmem_cache *s)
{
	unsigned long walked = 0;

	if (!might_alloc(GFP_KERNEL, "validate_slab_cache"))
		return -EINVAL;
	if (!atomic_load_acquire(&slab_up)) {
		kmm_warn("validate_slab_cache: kmm is not booted");
		return -EINVAL;
	}
	kmm_mutex_lock(&slab_mutex);
	if (!s || !cache_is_listed_locked(s)) {
		kmm_mutex_unlock(&slab_mutex);
		kmm_bug("validate_slab_cache: %p is not a live cache", (void *)s);
		return -EINVAL;
	}
	flush_all(s);
	slab_validate(s, &walked);
	kmm_mutex_unlock(&slab_mutex);
	return (long)walked;
}

/* How a wrong-cache report names a cache: `s` is whatever the caller
 * passed, perhaps a destroyed cache whose memory is gone, so its name is
 * read only while it is on the cache list. A report may come from any
 * context: the list's mutex is only tried (a few times); while another
 * thread keeps it, the caches are named by address. */
static void cache_name_for_report(const struct kmem_cache *s, char *buf, size_t len)
{
	bool locked = false;

	for (int i = 0; i < 64 && !(locked = kmm_mutex_trylock_unranked(&slab_mutex)); i++)
		sched_yield();
	if (!locked)
		snprintf(buf, len, "cache %p", (const void *)s);
	else if (cache_is_listed_locked(s))
		snprintf(buf, len, "%s", s->name);
	else
		snprintf(buf, len, "%p is not a live cache", (const void *)s);
	if (locked)
		kmm_mutex_unlock(&slab_mutex);
}

/* kmem_cache_free() of something that is not an object start of `s`:
 * the wrong cache is reported here, where the cache list is known;
 * everything else by slab_free_bad(). One report, nothing changes. */
noinline void cache_free_bad(struct kmem_cache *s, const void *x, struct page *page,
			     const char *caller)
{
	struct kmem_cache *owner = page && PageSlab(page) ?
		atomic_load_relaxed(&page->slab_cache) : NULL;

	if (s && owner && owner != s) {
		char sname[128], oname[128];

		cache_name_for_report(s, sname, sizeof(sname));
		cache_name_for_report(owner, oname, sizeof(oname));
		kmm_warn("%s: Wrong slab cache. %s but object is from %s", caller, sname, oname);
		return;
	}
	slab_free_bad(s, x, page, caller);
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
	/* The kernel counts each remaining object as an error of its own. */
	kmm_report_errors(active);
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
	/* kfree_rcu() of this cache's objects, or an RCU callback that frees
	 * some, may still be pending (the kernel's kvfree_rcu_barrier()). */
	if (rcu_batchers_pending())
		rcu_barrier();
	kmm_mutex_lock(&slab_mutex);
	if (!cache_is_listed_locked(s)) {
		kmm_mutex_unlock(&slab_mutex);
		kmm_bug("kmem_cache_destroy: %p is not a live cache", (void *)s);
		return;
	}
	if (s->kmalloc_bucket) {
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
/* For kmm_stats: the fast-path operations not yet settled, of every CPU's
 * main sheaf of every cache, added to `counts`; with `reset`
 * (kmm_stats_reset()) they are dropped instead. */
static void slab_stats_pending(unsigned long *counts, bool reset)
{
	struct list_head *pos;
	int cpu;

	if (!atomic_load_acquire(&slab_up) || cpu_in_atomic())
		return;
	kmm_mutex_lock(&slab_mutex);
	list_for_each(pos, &slab_caches) {
		struct kmem_cache *s = list_entry(pos, struct kmem_cache, list);

		if (!s->sheaf_capacity)
			continue;
		for_each_possible_cpu(cpu)
			sheaf_cpu_pending(s, cpu, counts, reset);
	}
	kmm_mutex_unlock(&slab_mutex);
}

/* ---- boot and exit ---- */

void slab_init(void)
{
	kmm_mutex_init(&slab_mutex, "slab_mutex", LOCK_RANK_SLAB_MUTEX);
	cpu_slab_init(nr_cpu_ids);
	slub_min_order = kmm_config.slub_min_order;
	slub_max_order = MAX(kmm_config.slub_max_order, slub_min_order);
	slub_max_order = MIN(slub_max_order, (unsigned int)MAX_PAGE_ORDER);
	slub_min_order = MIN(slub_min_order, slub_max_order);
	slub_min_objects = kmm_config.slub_min_objects;
	slub_debug_parse();
	atomic_store_release(&slab_up, true);
	events_set_pending(slab_stats_pending);
	slab_shrinker = shrinker_alloc(0, "slab");
	if (slab_shrinker) {
		slab_shrinker->count_objects = slab_shrink_count;
		slab_shrinker->scan_objects = slab_shrink_scan;
		shrinker_register(slab_shrinker);
	}
	page_reporting_set_prepare(slab_reporting_prepare);
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
	page_reporting_set_prepare(NULL);
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
	atomic_store_release(&slab_up, false);
	kmm_mutex_destroy(&slab_mutex);
	return leaked;
}