/* The headless kfree_rcu (kfree_rcu.c): kvfree_rcu_mightsleep(),
 * kfree_rcu_mightsleep() and the one-argument kvfree_rcu()/kfree_rcu().
 * No rcu_head: the object stays intact while a reader may see it and is
 * freed after the grace period, from many threads at once, for slab,
 * large kmalloc and vmalloc'ed objects; without memory for an array page
 * the caller waits for the grace period and frees the object itself; the
 * two-argument forms still work beside them; called where it may not
 * sleep, it is reported and frees nothing. */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include "kmm_test.h"
#include "buddy/buddy.h"
#include "lib/fault_inject.h"

struct item {
	unsigned long magic;
	unsigned long seq;
	unsigned long data[6];
};

#define ITEM_MAGIC	0x6865616465726c73UL

static int boot(void **state)
{
	(void)state;
	/* Injected page failures (when a test turns them on) hit sleeping
	 * order-0 allocations too. */
	return kmm_test_boot("mem=64M nr_cpus=2 kswapd=off fail_page_alloc.ignore-gfp-wait=0 "
			     "fail_page_alloc.min-order=0");
}

static int shutdown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static struct item *item_new(gfp_t gfp, unsigned long seq)
{
	struct item *it = kmalloc(sizeof(*it), gfp);

	if (it) {
		it->magic = ITEM_MAGIC;
		it->seq = seq;
		for (int i = 0; i < 6; i++)
			it->data[i] = seq * 7 + (unsigned long)i;
	}
	return it;
}

static bool item_intact(const struct item *it, unsigned long seq)
{
	if (it->magic != ITEM_MAGIC || it->seq != seq)
		return false;
	for (int i = 0; i < 6; i++)
		if (it->data[i] != seq * 7 + (unsigned long)i)
			return false;
	return true;
}

/* --- every form, every kind of object ------------------------------------------ */

struct big {
	char data[64 << 10];
};

static void test_every_form_frees_after_the_grace_period(void **state)
{
	unsigned long bugs = kmm_bug_count();

	(void)state;
	rcu_barrier();
	for (int i = 0; i < 50; i++) {
		struct item *a = item_new(GFP_KERNEL, 1), *b = item_new(GFP_KERNEL, 2);
		struct item *c = item_new(GFP_KERNEL, 3), *d = item_new(GFP_KERNEL, 4);
		struct big *large = kmalloc(sizeof(*large), GFP_KERNEL);
		struct big *v = vmalloc(sizeof(*v));
		struct item *kv = kvmalloc(sizeof(*kv), GFP_KERNEL);

		assert_true(a && b && c && d && large && v && kv);
		kvfree_rcu_mightsleep(a);
		kfree_rcu_mightsleep(b);
		kvfree_rcu(c);
		kfree_rcu(d);
		kvfree_rcu_mightsleep(large);
		kvfree_rcu_mightsleep(v);
		kvfree_rcu(kv);
	}
	kvfree_rcu_mightsleep((struct item *)NULL);	/* a no-op, as kfree(NULL) */
	assert_true(kmm_kfree_rcu_pending() > 0);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* --- a reader keeps the object, then it goes ------------------------------------- */

static struct item *published;
static int reader_stage;	/* 1: inside, 2: may leave, 3: left */
static int reader_intact;

static void wait_stage(int s)
{
	while (__atomic_load_n(&reader_stage, __ATOMIC_ACQUIRE) < s)
		sched_yield();
}

static void *reader(void *arg)
{
	struct item *it;
	bool ok = true;

	(void)arg;
	rcu_read_lock();
	it = rcu_dereference(published);
	__atomic_store_n(&reader_stage, 1, __ATOMIC_RELEASE);
	wait_stage(2);
	for (int i = 0; i < 1000; i++)
		ok = ok && item_intact(it, 42);
	rcu_read_unlock();
	__atomic_store_n(&reader_intact, ok, __ATOMIC_RELAXED);
	__atomic_store_n(&reader_stage, 3, __ATOMIC_RELEASE);
	return NULL;
}

static void test_reader_keeps_the_object(void **state)
{
	struct item *it = item_new(GFP_KERNEL, 42);
	pthread_t t;

	(void)state;
	assert_non_null(it);
	reader_stage = 0;
	rcu_assign_pointer(published, it);
	assert_int_equal(pthread_create(&t, NULL, reader, NULL), 0);
	wait_stage(1);
	rcu_assign_pointer(published, NULL);
	kvfree_rcu_mightsleep(it);
	/* More objects, so that fresh allocations would reuse a freed one. */
	for (int i = 0; i < 1000; i++)
		kfree(item_new(GFP_KERNEL, 0));
	__atomic_store_n(&reader_stage, 2, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_true(reader_intact);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

/* --- no array page: wait for the grace period, free at once ------------------------ */

static int waiter_done;

static void *headless_waiter(void *arg)
{
	kvfree_rcu_mightsleep((struct item *)arg);
	__atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* After a barrier every CPU's array went with its batch, so a headless
 * call needs a page; with none to be had it waits for the reader's grace
 * period and frees the object itself: nothing queued, the cache empty. */
static void test_first_call_without_memory_waits(void **state)
{
	struct kmem_cache *s = kmem_cache_create("headless2", sizeof(struct item), 0, 0, NULL);
	struct item *it;
	pthread_t r, w;

	(void)state;
	assert_non_null(s);
	it = kmem_cache_alloc(s, GFP_KERNEL);
	assert_non_null(it);
	it->magic = ITEM_MAGIC;
	it->seq = 42;
	for (int i = 0; i < 6; i++)
		it->data[i] = 42 * 7 + (unsigned long)i;
	rcu_barrier();
	reader_stage = 0;
	rcu_assign_pointer(published, it);
	assert_int_equal(pthread_create(&r, NULL, reader, NULL), 0);
	wait_stage(1);
	fault_attr_setup(&fail_page_alloc, "1,100,0,-1");
	waiter_done = 0;
	assert_int_equal(pthread_create(&w, NULL, headless_waiter, it), 0);
	sleep_ms(50);
	assert_int_equal(__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	__atomic_store_n(&reader_stage, 2, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	__atomic_store_n(&fail_page_alloc.enabled, false, __ATOMIC_RELAXED);
	pthread_join(r, NULL);
	assert_true(reader_intact);
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* --- many threads, readers, and interrupts with the two-argument form -------------- */

#define SLOTS		64
#define WRITERS		4
#define WRITES		20000
#define READERS		2

struct rh_item {
	struct item it;
	struct rcu_head rh;
};

static struct item *slots[SLOTS];
static int stop_readers;
static unsigned long bad_reads;

static void *slot_reader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		rcu_read_lock();
		for (int i = 0; i < SLOTS; i++) {
			struct item *it = rcu_dereference(slots[i]);

			if (it && !item_intact(it, it->seq))
				__atomic_add_fetch(&bad_reads, 1, __ATOMIC_RELAXED);
		}
		rcu_read_unlock();
	}
	return NULL;
}

static void *slot_writer(void *arg)
{
	unsigned long id = (unsigned long)arg;

	for (unsigned long n = 0; n < WRITES; n++) {
		struct item *it = item_new(GFP_KERNEL, id * WRITES + n + 1);
		struct item *old;

		assert_non_null(it);
		old = __atomic_exchange_n(&slots[(id * 7 + n) % SLOTS], it, __ATOMIC_ACQ_REL);
		if (old && n % 2)
			kvfree_rcu_mightsleep(old);
		else if (old)
			kfree_rcu(old);
	}
	return NULL;
}

static void *irq_freer(void *arg)
{
	(void)arg;
	for (int i = 0; i < WRITES; i++) {
		struct rh_item *r;

		kmm_irq_enter();
		r = kmalloc(sizeof(*r), GFP_ATOMIC);
		if (r)
			kfree_rcu(r, rh);
		kmm_irq_exit();
	}
	return NULL;
}

static void test_many_threads_with_readers(void **state)
{
	pthread_t w[WRITERS], rd[READERS], irq;
	unsigned long bugs = kmm_bug_count();

	(void)state;
	stop_readers = 0;
	bad_reads = 0;
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&rd[i], NULL, slot_reader, NULL), 0);
	assert_int_equal(pthread_create(&irq, NULL, irq_freer, NULL), 0);
	for (unsigned long i = 0; i < WRITERS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, slot_writer, (void *)i), 0);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(irq, NULL);
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < READERS; i++)
		pthread_join(rd[i], NULL);
	assert_int_equal(bad_reads, 0);
	for (int i = 0; i < SLOTS; i++) {
		kvfree_rcu_mightsleep(slots[i]);
		slots[i] = NULL;
	}
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_int_equal(kmm_bug_count(), bugs);
}

/* --- where it may not sleep: reported, nothing freed ------------------------------- */

static void rcu_cb_headless(struct rcu_head *head)
{
	struct rh_item *r = container_of(head, struct rh_item, rh);

	kvfree_rcu_mightsleep(&r->it);
}

static void test_misuse_is_reported_and_frees_nothing(void **state)
{
	struct item *it = item_new(GFP_KERNEL, 9);
	struct rh_item *r = kmalloc(sizeof(*r), GFP_KERNEL);
	unsigned long bugs = kmm_bug_count();
	DEFINE_SPINLOCK(lock);

	(void)state;
	assert_non_null(it);
	assert_non_null(r);
	rcu_barrier();
	spin_lock(&lock);
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  kvfree_rcu_mightsleep(it));
	spin_unlock(&lock);
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context", kfree_rcu(it));
	kmm_irq_exit();
	rcu_read_lock();
	EXPECT_ONE_REPORT("inside an RCU read-side critical section", kvfree_rcu_mightsleep(it));
	rcu_read_unlock();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
	assert_true(item_intact(it, 9));
	/* From an RCU callback. */
	kmm_report_quiet(true);
	call_rcu(&r->rh, rcu_cb_headless);
	rcu_barrier();
	kmm_report_quiet(false);
	assert_int_equal(kmm_bug_count(), bugs + 4);
	kfree(r);
	/* Still allocated: freed normally now. */
	kvfree_rcu_mightsleep(it);
	rcu_barrier();
	assert_int_equal(kmm_kfree_rcu_pending(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_form_frees_after_the_grace_period),
		cmocka_unit_test(test_reader_keeps_the_object),
		cmocka_unit_test(test_first_call_without_memory_waits),
		cmocka_unit_test(test_many_threads_with_readers),
		cmocka_unit_test(test_misuse_is_reported_and_frees_nothing),
		cmocka_unit_test(test_every_page_back),
	};

	return cmocka_run_group_tests(tests, boot, shutdown);
}
