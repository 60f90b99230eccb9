/* A program that knows only <kmm/kmm.h>: one thread holds rcu_read_lock()
 * on an object and reads it while another unpublishes it, frees it with
 * kfree_rcu() and allocates more. The object stays intact until the reader
 * leaves; after rcu_barrier() its memory is handed out again. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <kmm/kmm.h>

struct item {
	struct rcu_head rcu;
	unsigned long key;
	char name[40];
};

static struct item *current_item;
static int stage;	/* 1: reader inside, 2: item freed, 3: reader done */
static int reader_saw_intact;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		return 1;						\
	}								\
} while (0)

static void wait_stage(int s)
{
	while (__atomic_load_n(&stage, __ATOMIC_ACQUIRE) < s)
		sched_yield();
}

static bool intact(const struct item *it)
{
	return it->key == 42 && it->name[0] == 'a' && it->name[38] == 'z';
}

static void *reader(void *arg)
{
	struct item *it;
	bool ok = true;

	(void)arg;
	rcu_read_lock();
	it = rcu_dereference(current_item);
	__atomic_store_n(&stage, 1, __ATOMIC_RELEASE);
	wait_stage(2);
	for (int i = 0; i < 10000; i++)
		ok = ok && intact(it);
	rcu_read_unlock();
	__atomic_store_n(&reader_saw_intact, ok, __ATOMIC_RELAXED);
	__atomic_store_n(&stage, 3, __ATOMIC_RELEASE);
	return NULL;
}

static struct item *item_new(void)
{
	struct item *it = kzalloc(sizeof(*it), GFP_KERNEL);

	if (it) {
		it->key = 42;
		for (int i = 0; i < 39; i++)
			it->name[i] = (char)('a' + i % 26);
		it->name[38] = 'z';
	}
	return it;
}

int main(void)
{
	struct item *it, *more[256];
	pthread_t t;
	int n, reused = 0;

	/* One CPU, so the freed object comes back to this thread's CPU. */
	CHECK(kmm_init("mem=32M nr_cpus=1 slub_debug=P") == 0);
	it = item_new();
	CHECK(it != NULL);
	rcu_assign_pointer(current_item, it);
	CHECK(pthread_create(&t, NULL, reader, NULL) == 0);
	wait_stage(1);

	rcu_assign_pointer(current_item, NULL);
	kfree_rcu(it, rcu);
	for (n = 0; n < 64; n++) {
		more[n] = item_new();
		CHECK(more[n] != NULL && more[n] != it);
	}
	for (int i = 0; i < n; i++)
		kfree(more[i]);
	__atomic_store_n(&stage, 2, __ATOMIC_RELEASE);
	wait_stage(3);
	pthread_join(t, NULL);
	CHECK(reader_saw_intact);

	rcu_barrier();
	CHECK(kmm_kfree_rcu_pending() == 0);
	for (n = 0; n < 256 && !reused; n++) {
		more[n] = item_new();
		CHECK(more[n] != NULL);
		reused = more[n] == it;
	}
	CHECK(reused);
	for (int i = 0; i < n; i++)
		kfree_rcu(more[i], rcu);
	rcu_barrier();
	CHECK(kmm_exit() == 0);
	printf("kfree_rcu program: object kept for its reader, reused after rcu_barrier\n");
	return 0;
}
