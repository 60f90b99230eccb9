/* Slab workloads (built when kmm has kmalloc and kmem_cache):
 *
 * kmalloc     every size class, odd sizes, large (page-backed) sizes up to
 *             KMALLOC_MAX_SIZE; kzalloc/kcalloc/kmalloc_array/krealloc;
 *             a fifth of the objects are freed by another CPU; interrupt
 *             threads kmalloc with GFP_ATOMIC.
 * caches      shared caches (one with a constructor) used by every thread
 *             and by interrupts, plus a private cache per thread, created
 *             when the thread starts and destroyed when it ends.
 * bulk        kmem_cache_alloc_bulk/free_bulk on the shared caches.
 * cachechurn  caches created, filled, emptied, shrunk and destroyed while
 *             the others are in use.
 *
 * A ctor cache's objects carry CTOR_MARK in their first 8 bytes, written
 * by the constructor: an object allocated without it lost its
 * constructed state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define HELD_MAX	64
#define IRQ_POOL	16
#define CTOR_MARK	0x4354304b4d4d4354ULL
#define NR_SHARED	4

struct scache {
	struct kmem_cache *s;
	unsigned int size;
	bool ctor;
	char name[40];
};

static struct scache shared[NR_SHARED];
static int kmalloc_idx, caches_idx, bulk_idx, churn_idx;
static unsigned long churn_serial, priv_serial;

static void ctor_mark(void *obj)
{
	uint64_t m = CTOR_MARK;

	memcpy(obj, &m, sizeof(m));
}

static void check_ctor(const struct scache *c, const void *obj)
{
	uint64_t m;

	memcpy(&m, obj, sizeof(m));
	if (m != CTOR_MARK)
		violation("cache %s: object %p lost its constructed state (%#llx)", c->name, obj,
			  (unsigned long long)m);
}

static int scache_create(struct scache *c, const char *name, unsigned int size,
			 unsigned int align, slab_flags_t flags, bool ctor)
{
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->size = size;
	c->ctor = ctor;
	c->s = kmem_cache_create(c->name, size, align, flags, ctor ? ctor_mark : NULL);
	if (!c->s)
		return -1;
	if (kmem_cache_size(c->s) < size)
		violation("cache %s: kmem_cache_size %u < object size %u", c->name,
			  kmem_cache_size(c->s), size);
	return 0;
}

/* An object from cache `c`, checked and stamped; false on failure. */
static bool scache_alloc(struct worker *w, const struct scache *c, gfp_t gfp, struct obj *o)
{
	bool zero = !c->ctor && rnd_chance(&w->rng, 10);
	void *p = zero ? kmem_cache_zalloc(c->s, gfp) : kmem_cache_alloc(c->s, gfp);

	if (!p)
		return false;
	*o = (struct obj){ .kind = OBJ_CACHE, .addr = p, .cache = c->s, .size = c->size,
			   .cpu = (uint16_t)w->cpu, .flags = c->ctor ? OBJ_F_CTOR : 0 };
	if (c->ctor)
		check_ctor(c, p);
	if (zero)
		obj_check_zero(o);
	obj_stamp(o, &w->rng);
	return true;
}

/* ---- kmalloc ---- */

struct held {
	int n;
	struct obj o[HELD_MAX];
};

static const unsigned int kmalloc_classes[] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192
};

static size_t pick_kmalloc_size(uint64_t *rng, unsigned long room_pages)
{
	unsigned int r = rnd_below(rng, 100);
	size_t size;

	if (r < 35)
		size = kmalloc_classes[rnd_below(rng, 13)];
	else if (r < 55)
		size = 1 + rnd_below(rng, 256);
	else if (r < 95)
		size = 1 + rnd_below(rng, KMALLOC_MAX_CACHE_SIZE);
	else
		size = KMALLOC_MAX_CACHE_SIZE + 1 + rnd_below(rng, (unsigned)KMALLOC_MAX_SIZE);
	if (size > KMALLOC_MAX_SIZE)
		size = KMALLOC_MAX_SIZE;
	while (size > KMALLOC_MAX_CACHE_SIZE && (size >> PAGE_SHIFT) > room_pages / 4)
		size /= 2;
	return size;
}

static void *held_init(struct worker *w)
{
	return calloc(1, sizeof(struct held));
}

static void held_exit(struct worker *w, void *arg)
{
	struct held *h = arg;

	if (!h)
		return;
	while (h->n)
		obj_free(&h->o[--h->n]);
	free(h);
}

static void held_drop(struct held *h, int i)
{
	obj_free(&h->o[i]);
	h->o[i] = h->o[--h->n];
}

static bool kmalloc_one(struct worker *w, struct obj *o, gfp_t gfp, size_t size)
{
	unsigned int how = rnd_below(&w->rng, 100);
	bool zero = false;
	void *p;

	if (how < 60) {
		p = kmalloc(size, gfp);
	} else if (how < 75) {
		p = kzalloc(size, gfp);
		zero = true;
	} else if (how < 85) {
		size_t n = 1 + rnd_below(&w->rng, 8);

		size = (size + n - 1) / n;
		p = kcalloc(n, size, gfp);
		size *= n;
		zero = true;
	} else if (how < 90) {
		p = kmalloc_array(1, size, gfp);
	} else {
		/* krealloc keeps the contents: grow or shrink a stamped object. */
		size_t first = 1 + rnd_below(&w->rng, (unsigned)size);
		void *q = kmalloc(first, gfp);

		if (!q)
			return false;
		payload_fill(q, first, 0x5eed);
		p = krealloc(q, size, gfp);
		if (!p) {
			kfree(q);
			return false;
		}
		payload_check(p, first < size ? first : size, 0x5eed, "krealloc contents");
	}
	if (!p)
		return false;
	if (ZERO_OR_NULL_PTR(p)) {
		violation("kmalloc(%zu) returned %p", size, p);
		return false;
	}
	if (ksize(p) < size)
		violation("ksize(%p) = %zu < requested %zu", p, ksize(p), size);
	*o = (struct obj){ .kind = OBJ_KMALLOC, .addr = p, .size = size, .cpu = (uint16_t)w->cpu };
	if (zero)
		obj_check_zero(o);
	obj_stamp(o, &w->rng);
	return true;
}

static void kmalloc_step(struct worker *w, void *arg)
{
	struct held *h = arg;
	unsigned long room = budget_pages() / 2;

	if (!h)
		return;
	if (kmalloc(0, GFP_KERNEL) != ZERO_SIZE_PTR)
		violation("kmalloc(0) is not ZERO_SIZE_PTR");
	kfree(ZERO_SIZE_PTR);
	kfree(NULL);
	for (int i = 0; i < 32; i++) {
		stat_add(&w->ops[kmalloc_idx], 1);
		if (h->n < HELD_MAX && rnd_chance(&w->rng, 55)) {
			gfp_t gfp = (rnd_chance(&w->rng, 80) ? GFP_KERNEL : GFP_NOWAIT) | __GFP_NOWARN;
			struct obj *o = &h->o[h->n];

			if (!kmalloc_one(w, o, gfp, pick_kmalloc_size(&w->rng, room))) {
				count_fail(kmalloc_idx);
				continue;
			}
			if (rnd_chance(&w->rng, 20) &&
			    ring_push((int)rnd_below(&w->rng, (unsigned)opts.cpus), o))
				continue;
			h->n++;
		} else if (h->n) {
			held_drop(h, (int)rnd_below(&w->rng, (unsigned)h->n));
		}
	}
}

static void kmalloc_irq_step(struct worker *w, void *arg)
{
	struct held *h = arg;
	struct obj o;

	if (!h)
		return;
	for (int i = 0; i < 2; i++) {
		size_t size = 1 + rnd_below(&w->rng, 2048);

		stat_add(&w->ops[kmalloc_idx], 1);
		if (!kmalloc_one(w, &o, GFP_ATOMIC | __GFP_NOWARN, size)) {
			count_atomic_fail();
			continue;
		}
		if (rnd_chance(&w->rng, 30) &&
		    ring_push((int)rnd_below(&w->rng, (unsigned)opts.cpus), &o))
			continue;
		if (h->n == IRQ_POOL)
			held_drop(h, (int)rnd_below(&w->rng, IRQ_POOL));
		h->o[h->n++] = o;
	}
}

static int kmalloc_setup(void)
{
	kmalloc_idx = case_index("kmalloc");
	return 0;
}

const struct stress_case case_kmalloc = {
	.name = "kmalloc",
	.help = "kmalloc family: every size class, large sizes, krealloc; GFP_ATOMIC in irqs",
	.default_on = true,
	.setup = kmalloc_setup,
	.thread_init = held_init,
	.step = kmalloc_step,
	.irq_step = kmalloc_irq_step,
	.thread_exit = held_exit,
};

/* ---- caches: shared and private ---- */

struct caches_state {
	struct held h;
	struct scache priv;
};

static int caches_setup(void)
{
	caches_idx = case_index("caches");
	if (scache_create(&shared[0], "stress-ctor-72", 72, 0, 0, true) ||
	    scache_create(&shared[1], "stress-hwalign-200", 200, 0, SLAB_HWCACHE_ALIGN, false) ||
	    scache_create(&shared[2], "stress-reclaim-1000", 1000, 8, SLAB_RECLAIM_ACCOUNT, false) ||
	    scache_create(&shared[3], "stress-ctor-3000", 3000, 64, 0, true))
		return -1;
	return 0;
}

static void *caches_thread_init(struct worker *w)
{
	struct caches_state *st = calloc(1, sizeof(*st));
	char name[40];

	if (!st || w->irq)
		return st;
	snprintf(name, sizeof(name), "stress-priv-%d-%lu", w->id,
		 stat_add(&priv_serial, 1));
	if (scache_create(&st->priv, name, 16 + rnd_below(&w->rng, 500),
			  rnd_chance(&w->rng, 50) ? 0 : 32, 0, rnd_chance(&w->rng, 50)))
		count_fail(caches_idx);
	return st;
}

static void caches_step(struct worker *w, void *arg)
{
	struct caches_state *st = arg;
	struct held *h = &st->h;

	if (!st)
		return;
	for (int i = 0; i < 32; i++) {
		stat_add(&w->ops[caches_idx], 1);
		if (h->n < HELD_MAX && rnd_chance(&w->rng, 55)) {
			bool priv = st->priv.s && rnd_chance(&w->rng, 30);
			const struct scache *c = priv ? &st->priv : &shared[rnd_below(&w->rng, NR_SHARED)];
			gfp_t gfp = (rnd_chance(&w->rng, 85) ? GFP_KERNEL : GFP_NOWAIT) | __GFP_NOWARN;
			struct obj *o = &h->o[h->n];

			if (!scache_alloc(w, c, gfp, o)) {
				count_fail(caches_idx);
				continue;
			}
			if (!priv && rnd_chance(&w->rng, 25) &&
			    ring_push((int)rnd_below(&w->rng, (unsigned)opts.cpus), o))
				continue;
			h->n++;
		} else if (h->n) {
			held_drop(h, (int)rnd_below(&w->rng, (unsigned)h->n));
		}
	}
}

static void caches_irq_step(struct worker *w, void *arg)
{
	struct caches_state *st = arg;
	struct held *h = &st->h;
	struct obj o;

	if (!st)
		return;
	stat_add(&w->ops[caches_idx], 1);
	if (!scache_alloc(w, &shared[rnd_below(&w->rng, NR_SHARED)], GFP_ATOMIC | __GFP_NOWARN, &o)) {
		count_atomic_fail();
		return;
	}
	if (rnd_chance(&w->rng, 30) && ring_push((int)rnd_below(&w->rng, (unsigned)opts.cpus), &o))
		return;
	if (h->n == IRQ_POOL)
		held_drop(h, (int)rnd_below(&w->rng, IRQ_POOL));
	h->o[h->n++] = o;
}

static void caches_thread_exit(struct worker *w, void *arg)
{
	struct caches_state *st = arg;

	if (!st)
		return;
	while (st->h.n)
		obj_free(&st->h.o[--st->h.n]);
	if (st->priv.s)
		kmem_cache_destroy(st->priv.s);
	free(st);
}

static void caches_teardown(void)
{
	for (int i = 0; i < NR_SHARED; i++) {
		if (shared[i].s)
			kmem_cache_destroy(shared[i].s);
		shared[i].s = NULL;
	}
}

const struct stress_case case_caches = {
	.name = "caches",
	.help = "shared kmem_caches (with constructors) and a private cache per thread",
	.default_on = true,
	.setup = caches_setup,
	.thread_init = caches_thread_init,
	.step = caches_step,
	.irq_step = caches_irq_step,
	.thread_exit = caches_thread_exit,
	.teardown = caches_teardown,
};

/* ---- bulk ---- */

static int bulk_setup(void)
{
	bulk_idx = case_index("bulk");
	/* bulk uses the shared caches even when "caches" is not selected. */
	if (!case_on("caches"))
		return caches_setup();
	return 0;
}

static void bulk_teardown(void)
{
	if (!case_on("caches"))
		caches_teardown();
}

static void bulk_step(struct worker *w, void *arg)
{
	const struct scache *c = &shared[rnd_below(&w->rng, NR_SHARED)];
	size_t nr = 1 + rnd_below(&w->rng, 64);
	void *p[64];
	struct obj o[64];
	int got;

	got = kmem_cache_alloc_bulk(c->s, GFP_KERNEL | __GFP_NOWARN, nr, p);
	stat_add(&w->ops[bulk_idx], 1);
	if (got == 0) {
		count_fail(bulk_idx);
		return;
	}
	if ((size_t)got != nr) {
		violation("kmem_cache_alloc_bulk(%s, %zu) returned %d", c->name, nr, got);
		if (got < 0)
			return;
	}
	for (int i = 0; i < got; i++) {
		o[i] = (struct obj){ .kind = OBJ_CACHE, .addr = p[i], .cache = c->s,
				     .size = c->size, .cpu = (uint16_t)w->cpu,
				     .flags = c->ctor ? OBJ_F_CTOR : 0 };
		for (int j = 0; j < i; j++)
			if (p[j] == p[i])
				violation("kmem_cache_alloc_bulk(%s) returned %p twice", c->name, p[i]);
		if (c->ctor)
			check_ctor(c, p[i]);
		obj_stamp(&o[i], &w->rng);
	}
	for (int i = 0; i < got; i++) {
		obj_check(&o[i], "before kmem_cache_free_bulk");
		obj_mark_dead(&o[i]);
	}
	kmem_cache_free_bulk(c->s, (size_t)got, p);
}

const struct stress_case case_bulk = {
	.name = "bulk",
	.help = "kmem_cache_alloc_bulk/free_bulk on the shared caches",
	.default_on = true,
	.setup = bulk_setup,
	.step = bulk_step,
	.teardown = bulk_teardown,
};

/* ---- cachechurn ---- */

static void churn_step(struct worker *w, void *arg)
{
	static const slab_flags_t flags[] = { 0, SLAB_HWCACHE_ALIGN, SLAB_RECLAIM_ACCOUNT, 0 };
	struct scache c;
	char name[40];
	struct obj o[48];
	int n = 1 + (int)rnd_below(&w->rng, 48), got = 0;

	snprintf(name, sizeof(name), "stress-churn-%lu", stat_add(&churn_serial, 1));
	stat_add(&w->ops[churn_idx], 1);
	if (scache_create(&c, name, 8 + rnd_below(&w->rng, 2000), rnd_chance(&w->rng, 50) ? 0 : 16,
			  flags[rnd_below(&w->rng, 4)], rnd_chance(&w->rng, 40))) {
		count_fail(churn_idx);
		return;
	}
	for (int i = 0; i < n; i++)
		if (scache_alloc(w, &c, GFP_KERNEL | __GFP_NOWARN, &o[got]))
			got++;
	for (int i = 0; i < got; i += 2)
		obj_free(&o[i]);
	if (rnd_chance(&w->rng, 50))
		kmem_cache_shrink(c.s);
	for (int i = 1; i < got; i += 2)
		obj_free(&o[i]);
	kmem_cache_destroy(c.s);
}

static int churn_setup(void)
{
	churn_idx = case_index("cachechurn");
	return 0;
}

const struct stress_case case_cachechurn = {
	.name = "cachechurn",
	.help = "caches created, filled, shrunk and destroyed while others are in use",
	.default_on = true,
	.setup = churn_setup,
	.step = churn_step,
};
