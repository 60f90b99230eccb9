/* A program outside kmm's own code, using only the public API: threads
 * free through kfree_rcu while others wait in rcu_barrier() and destroy
 * caches, for about a second. Built with ThreadSanitizer and run with no
 * TSAN_OPTIONS suppressions, it must report nothing: liburcu's internals
 * are suppressed by what kmm links into the program. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <kmm/kmm.h>

struct item {
	long v;
	struct rcu_head rh;
};

static int stop;

static void *freer(void *arg)
{
	kmm_cpu_bind((int)(long)arg);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct item *it = kmalloc(sizeof(*it), GFP_KERNEL);

		if (it) {
			it->v = 1;
			kfree_rcu(it, rh);
		}
	}
	kmm_cpu_unbind();
	return NULL;
}

static void *barrier(void *arg)
{
	kmm_cpu_bind((int)(long)arg);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct kmem_cache *c = kmem_cache_create("rcu-threads", 48, 0, 0, NULL);
		void *o = c ? kmem_cache_alloc(c, GFP_KERNEL) : NULL;

		if (o)
			kmem_cache_free(c, o);
		kmem_cache_destroy(c);
		rcu_barrier();
	}
	kmm_cpu_unbind();
	return NULL;
}

int main(void)
{
	struct timespec second = { 1, 0 };
	pthread_t th[4];

	if (kmm_init("mem=64M nr_cpus=4 kswapd=off"))
		return 2;
	for (long i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, i < 2 ? freer : barrier, (void *)i);
	nanosleep(&second, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	rcu_barrier();
	if (kmm_exit() != 0 || kmm_bug_count())
		return 1;
	printf("rcu_threads: no report\n");
	return 0;
}
