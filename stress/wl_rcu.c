/* Workload "rcu" (built when kmm has kfree_rcu): readers and writers of
 * published pointers.
 *
 * A table of slots holds RCU-published objects (kmalloc'ed, from a cache,
 * or kvmalloc'ed). Readers, in rcu_read_lock(), rcu_dereference() slots
 * and check each object's magic and payload: an object freed before the
 * grace period ended shows up as a bad magic or payload (or, under ASan,
 * as a use after free). Writers publish a new object with
 * rcu_assign_pointer() and kfree_rcu() the old one; interrupt threads do
 * the same with GFP_ATOMIC. Readers also check that an object is never
 * newer than its slot's generation counter (a reused, republished block).
 *
 * slot_lock serialises the writers of one slot (never held in a kmm call
 * that can sleep: the allocation happens before it is taken). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define NR_SLOTS	64
#define RPAYLOAD	40

struct robj {
	uint64_t magic;
	uint64_t seed;
	uint64_t gen;
	struct rcu_head rh;
	unsigned char payload[RPAYLOAD];
};

enum { FROM_KMALLOC, FROM_CACHE, FROM_KVMALLOC };

static struct robj *slots[NR_SLOTS];
static pthread_mutex_t slot_lock[NR_SLOTS];
static uint64_t slot_gen[NR_SLOTS];	/* stat_*: generation of the newest write */
static struct kmem_cache *rcu_cache;
static int rcu_idx;
static unsigned long reads, writes;

static struct robj *robj_new(struct worker *w, gfp_t gfp, int slot)
{
	int from = (int)rnd_below(&w->rng, 3);
	struct robj *r;

	if (from == FROM_CACHE)
		r = kmem_cache_alloc(rcu_cache, gfp);
#ifdef STRESS_HAVE_KVMALLOC
	else if (from == FROM_KVMALLOC && !w->irq)
		r = kvmalloc(sizeof(*r) + rnd_below(&w->rng, 3) * PAGE_SIZE * 4, gfp);
#endif
	else
		r = kmalloc(sizeof(*r) + rnd_below(&w->rng, 200), gfp);
	if (!r)
		return NULL;
	r->magic = MAGIC_RCU;
	r->seed = rnd_next(&w->rng) | 1;
	r->gen = stat_add(&slot_gen[slot], 1) + 1;
	payload_fill(r->payload, RPAYLOAD, r->seed);
	return r;
}

static void robj_check(const struct robj *r, const char *when)
{
	if (r->magic != MAGIC_RCU) {
		violation("rcu %s: object %p has magic %#llx: freed before the grace period ended?",
			  when, (const void *)r, (unsigned long long)r->magic);
		return;
	}
	payload_check(r->payload, RPAYLOAD, r->seed, when);
}

static void publish(struct worker *w, gfp_t gfp, bool irq)
{
	int i = (int)rnd_below(&w->rng, NR_SLOTS);
	struct robj *r = robj_new(w, gfp, i), *old;

	if (!r) {
		if (irq)
			count_atomic_fail();
		else
			count_fail(rcu_idx);
		return;
	}
	if (irq) {
		/* An interrupt does not wait for a writer it interrupted. */
		if (pthread_mutex_trylock(&slot_lock[i])) {
			kfree_rcu(r, rh);
			return;
		}
	} else {
		pthread_mutex_lock(&slot_lock[i]);
	}
	old = slots[i];
	rcu_assign_pointer(slots[i], r);
	pthread_mutex_unlock(&slot_lock[i]);
	if (old) {
		robj_check(old, "writer");
		kvfree_rcu(old, rh);
	}
	stat_add(&writes, 1);
}

static void read_section(struct worker *w)
{
	rcu_read_lock();
	for (int k = 0; k < 8; k++) {
		int i = (int)rnd_below(&w->rng, NR_SLOTS);
		struct robj *r = rcu_dereference(slots[i]);

		if (!r)
			continue;
		robj_check(r, "reader");
		if (r->gen > stat_get(&slot_gen[i]))
			violation("rcu reader: object %p of generation %llu is newer than its slot (%llu)",
				  (void *)r, (unsigned long long)r->gen,
				  (unsigned long long)stat_get(&slot_gen[i]));
	}
	rcu_read_unlock();
	stat_add(&reads, 1);
}

static void rcu_step(struct worker *w, void *arg)
{
	for (int i = 0; i < 16; i++) {
		stat_add(&w->ops[rcu_idx], 1);
		if (rnd_chance(&w->rng, 75))
			read_section(w);
		else
			publish(w, GFP_KERNEL | __GFP_NOWARN, false);
	}
}

static void rcu_irq_step(struct worker *w, void *arg)
{
	stat_add(&w->ops[rcu_idx], 1);
	if (rnd_chance(&w->rng, 50))
		read_section(w);
	else
		publish(w, GFP_ATOMIC | __GFP_NOWARN, true);
}

static int rcu_setup(void)
{
	rcu_idx = case_index("rcu");
	for (int i = 0; i < NR_SLOTS; i++)
		pthread_mutex_init(&slot_lock[i], NULL);
	rcu_cache = kmem_cache_create("stress-rcu", sizeof(struct robj), 0, 0, NULL);
	return rcu_cache ? 0 : -1;
}

static void rcu_teardown(void)
{
	for (int i = 0; i < NR_SLOTS; i++) {
		struct robj *old = slots[i];

		rcu_assign_pointer(slots[i], NULL);
		if (old) {
			robj_check(old, "teardown");
			kvfree_rcu(old, rh);
		}
	}
	/* kmem_cache_destroy waits for the cache's pending RCU frees. */
	rcu_barrier();
	kmem_cache_destroy(rcu_cache);
	rcu_cache = NULL;
	for (int i = 0; i < NR_SLOTS; i++)
		pthread_mutex_destroy(&slot_lock[i]);
}

const struct stress_case case_rcu = {
	.name = "rcu",
	.help = "rcu_read_lock readers vs rcu_assign_pointer + kfree_rcu writers; irqs too",
	.default_on = true,
	.setup = rcu_setup,
	.step = rcu_step,
	.irq_step = rcu_irq_step,
	.teardown = rcu_teardown,
};
