/* RCU torture in the style of liburcu's rcutorture, with kfree_rcu().
 *
 * Readers bound to CPUs follow pointers in a few published slots under
 * rcu_read_lock() and check the object they hold, repeatedly, for as long
 * as they hold it. Writers (bound threads, and threads in interrupt
 * context) replace the objects with rcu_assign_pointer semantics and free
 * the old ones with kfree_rcu(). The kernel is booted with slub_debug=P, so
 * a freed object is poisoned at once and a reused one carries another
 * generation.
 *
 * Each read ends in one bucket of an age histogram:
 *   0  the object is still the slot's current one
 *   1  it was replaced while held: removed, waiting for its grace period
 *   2  it was freed while held: poison seen
 *   3  it was freed and reused while held: another generation seen
 * With RCU working, everything past the second bucket is zero. The same
 * program built against a library whose kfree_rcu() frees at once
 * (KMM_RCU_NO_GRACE, test_rcu_torture_nograce) must fail, and does: its
 * readers see freed objects (or ASan / TSan catch them doing so).
 *
 * Teardown: rcu_barrier(), every object freed, every page back. */
#include <pthread.h>
#include <sched.h>
#include "kmm_test.h"
#include "buddy/buddy.h"
#include "buddy/reclaim.h"
#include "lib/compiler.h"

#define NR_CPUS		4
#define NR_SLOTS	8
#define NR_READERS	4
#define NR_WRITERS	4	/* the last two in interrupt context */
#define AGE_BUCKETS	4
#define TORT_MAGIC	0x52435554u	/* "RCUT" */
#define PAYLOAD_WORDS	6
#define POISON_WORD	0x6b6b6b6b6b6b6b6bUL

/* Writers do at least this many updates each, and go on until every
 * reader has made its reads (at most ten times as many). */
#ifdef KMM_TSAN
#define UPDATES_PER_WRITER	3000
#define READS_PER_READER	300
#else
#define UPDATES_PER_WRITER	40000
#define READS_PER_READER	3000
#endif

struct tort {
	unsigned int magic;
	unsigned int cpu;
	unsigned long gen;
	struct rcu_head rh;
	unsigned long payload[PAYLOAD_WORDS];
};

static struct tort *slots[NR_SLOTS];
static unsigned long next_gen;
static int writers_left;
static int readers_short;	/* readers that have not made their reads */
static unsigned long nr_updates;
static unsigned long hist[NR_READERS][AGE_BUCKETS];

static unsigned long payload_of(unsigned long gen, int i)
{
	return (gen * 0x9e3779b97f4a7c15UL) ^ (unsigned long)(i + 1);
}

static struct tort *tort_new(gfp_t gfp)
{
	struct tort *t = kmalloc(sizeof(*t), gfp);

	if (!t)
		return NULL;
	t->magic = TORT_MAGIC;
	t->cpu = (unsigned int)smp_processor_id();
	t->gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < PAYLOAD_WORDS; i++)
		t->payload[i] = payload_of(t->gen, i);
	return t;
}

/* 0: intact. 2: poison seen. 3: another object's contents. The rcu_head
 * is left out: kfree_rcu() may use it. */
static int tort_check(const struct tort *t, unsigned long gen)
{
	const unsigned long *hdr = (const unsigned long *)t;

	if (hdr[0] == POISON_WORD || t->gen == POISON_WORD)
		return 2;
	for (int i = 0; i < PAYLOAD_WORDS; i++)
		if (t->payload[i] == POISON_WORD)
			return 2;
	if (t->magic != TORT_MAGIC || t->gen != gen)
		return 3;
	for (int i = 0; i < PAYLOAD_WORDS; i++)
		if (t->payload[i] != payload_of(gen, i))
			return 3;
	return 0;
}

/* Replaces one slot's object and frees the old one after a grace period. */
static bool tort_update(unsigned int *seed, gfp_t gfp)
{
	int s = (int)(rand_r(seed) % NR_SLOTS);
	struct tort *n = tort_new(gfp), *old;

	if (!n)
		return false;
	old = __atomic_exchange_n(&slots[s], n, __ATOMIC_ACQ_REL);
	if (old)
		kfree_rcu(old, rh);
	return true;
}

static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg;
	bool irq = id >= NR_WRITERS / 2;
	unsigned int seed = (unsigned int)id * 7919u + 1;

	unsigned long done = 0;

	kmm_cpu_bind(id % NR_CPUS);
	while (done < UPDATES_PER_WRITER ||
	       (__atomic_load_n(&readers_short, __ATOMIC_RELAXED) && done < 10 * UPDATES_PER_WRITER)) {
		if (irq)
			kmm_irq_enter();
		/* (out of memory for a moment: try again) */
		done += tort_update(&seed, irq ? GFP_ATOMIC : GFP_KERNEL);
		if (irq)
			kmm_irq_exit();
	}
	__atomic_fetch_add(&nr_updates, done, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&writers_left, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *reader(void *arg)
{
	int id = (int)(intptr_t)arg;
	unsigned int seed = (unsigned int)id + 100;
	unsigned long reads = 0;

	kmm_cpu_bind(id % NR_CPUS);
	while (__atomic_load_n(&writers_left, __ATOMIC_ACQUIRE)) {
		int s = (int)(rand_r(&seed) % NR_SLOTS);
		struct tort *p;
		int age = 0;

		rcu_read_lock();
		p = rcu_dereference(slots[s]);
		if (p) {
			unsigned long gen = __atomic_load_n(&p->gen, __ATOMIC_RELAXED);

			/* Hold it a while, checking it all along. */
			for (int i = 0; i < 32 && !age; i++) {
				age = tort_check(p, gen);
				if (i == 16)
					sched_yield();
			}
			if (!age && rcu_access_pointer(slots[s]) != p)
				age = 1;
		}
		rcu_read_unlock();
		if (p)
			hist[id][age]++;
		if (++reads == READS_PER_READER)
			__atomic_fetch_sub(&readers_short, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int boot(void **state)
{
	(void)state;
	return kmm_test_boot("mem=128M nr_cpus=4 slub_debug=P");
}

static int shutdown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

static void test_torture(void **state)
{
	pthread_t r[NR_READERS], w[NR_WRITERS];
	unsigned long total[AGE_BUCKETS] = { 0 };
	struct kmm_stats st;
	unsigned int seed = 1;

	(void)state;
	for (int s = 0; s < NR_SLOTS; s++)
		while (!tort_update(&seed, GFP_KERNEL))
			;
	kmm_stats_reset();
	writers_left = NR_WRITERS;
	readers_short = NR_READERS;
	for (int i = 0; i < NR_READERS; i++)
		assert_int_equal(pthread_create(&r[i], NULL, reader, (void *)(intptr_t)i), 0);
	for (int i = 0; i < NR_WRITERS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < NR_WRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < NR_READERS; i++)
		pthread_join(r[i], NULL);

	for (int i = 0; i < NR_READERS; i++)
		for (int a = 0; a < AGE_BUCKETS; a++)
			total[a] += hist[i][a];
	printf("rcu torture: %lu updates, reads by age:", nr_updates);
	for (int a = 0; a < AGE_BUCKETS; a++)
		printf(" %lu", total[a]);
	printf(" (current, replaced, freed, reused)\n");
	kmm_stats_read(&st);
	printf("rcu torture: kfree_rcu %lu in %lu batches, peak waiting %lu\n",
	       st.kfree_rcu, st.kfree_rcu_batches, kmm_kfree_rcu_peak());
	assert_int_equal(total[2], 0);
	assert_int_equal(total[3], 0);
	assert_true(total[0] > 0);
	/* per-CPU event counts may rarely lose one; batches are few */
	assert_true(st.kfree_rcu > nr_updates / 2);
	assert_true(st.kfree_rcu_batches > 0 && st.kfree_rcu_batches < st.kfree_rcu / 8);

	/* Teardown: every object freed, every page back. */
	for (int s = 0; s < NR_SLOTS; s++)
		kfree_rcu(slots[s], rh);
	memset(slots, 0, sizeof(slots));
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

/* Deterministic: an object freed with kfree_rcu() while a reader holds it
 * stays intact until the reader leaves, however much is allocated in the
 * meantime; then it is freed. */
static void *replace_and_churn(void *arg)
{
	struct tort **slot = arg;
	struct tort *old = __atomic_exchange_n(slot, tort_new(GFP_KERNEL), __ATOMIC_ACQ_REL);
	struct tort *churn[256];

	kfree_rcu(old, rh);
	for (int i = 0; i < 256; i++) {
		churn[i] = tort_new(GFP_KERNEL);
		assert_non_null(churn[i]);
	}
	for (int i = 0; i < 256; i++)
		kfree(churn[i]);
	return NULL;
}

static void test_reader_keeps_object(void **state)
{
	struct tort *slot = tort_new(GFP_KERNEL), *p;
	unsigned long gen;
	pthread_t t;

	(void)state;
	assert_non_null(slot);
	rcu_read_lock();
	p = rcu_dereference(slot);
	gen = p->gen;
	assert_int_equal(pthread_create(&t, NULL, replace_and_churn, &slot), 0);
	pthread_join(t, NULL);
	assert_ptr_not_equal(rcu_access_pointer(slot), p);
	assert_int_equal(tort_check(p, gen), 0);
	rcu_read_unlock();
	kfree_rcu(slot, rh);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_keeps_object),
		cmocka_unit_test(test_torture),
		cmocka_unit_test(test_every_page_back),
	};

	return cmocka_run_group_tests(tests, boot, shutdown);
}
