/* kmem_cache: sizing, alignment, constructors, bulk, remote frees between
 * CPUs, threads sharing a CPU, shrinking, destroy with live objects, the
 * wrong cache, double free, slabinfo's format and the path counters. */
#include <pthread.h>
#include "kmm_test.h"
#include "lib/cpu_owner.h"
#include "slub/slab.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

static int setup(void **state)
{
	(void)state;
	return kmm_init("mem=256M nr_cpus=4 kswapd=off");
}

static int teardown(void **state)
{
	(void)state;
	return kmm_exit() == 0 ? 0 : -1;
}

static bool owner_mode(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) > 0;
}

/* Whether the calling thread owns `cpu`. */
static bool owns(unsigned int cpu)
{
	return kmm_current.own_delta && kmm_current.own_cpu == cpu;
}

static void test_sizing(void **state)
{
	struct kmem_cache *s = kmem_cache_create("sizing", 40, 0, SLAB_HWCACHE_ALIGN, NULL);
	struct kmem_cache *t = kmem_cache_create("odd", 100, 32, 0, NULL);
	struct kmem_cache *big = kmem_cache_create("big", 3000, 0, 0, NULL);
	void *p;

	(void)state;
	assert_non_null(s);
	/* HWCACHE_ALIGN: 40 bytes take a 64-byte line */
	assert_int_equal(s->align, 64);
	assert_int_equal(s->size, 64);
	assert_int_equal(s->oo.order, 0);
	assert_int_equal(s->oo.objects, 64);
	assert_int_equal(s->min_partial, 5);	/* ilog2(64)/2 = 3, clamped to 5 */
	assert_int_equal(s->cpu_partial_slabs, (120 * 2 + 63) / 64);
	assert_int_equal(kmem_cache_size(s), 40);
	assert_int_equal(t->size, 128);
	/* 3000-byte objects: the kernel picks order 3 (10 per slab, 1/16 waste) */
	assert_int_equal(big->oo.order, 3);
	assert_int_equal(big->oo.objects, 10);
	for (int i = 0; i < 100; i++) {
		p = kmem_cache_alloc(s, GFP_KERNEL);
		assert_int_equal((uintptr_t)p % 64, 0);
		kmem_cache_free(s, p);
		p = kmem_cache_alloc(t, GFP_KERNEL);
		assert_int_equal((uintptr_t)p % 32, 0);
		kmem_cache_free(t, p);
	}
	p = kmem_cache_zalloc(big, GFP_KERNEL);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(((char *)p)[i], 0);
	kmem_cache_free(big, p);
	kmem_cache_destroy(s);
	kmem_cache_destroy(t);
	kmem_cache_destroy(big);
}

static int ctor_calls;

static void ctor(void *obj)
{
	__atomic_add_fetch(&ctor_calls, 1, __ATOMIC_RELAXED);
	memset(obj, 0x42, 24);
}

static void test_constructor(void **state)
{
	struct kmem_cache *s = kmem_cache_create("ctor", 24, 0, 0, ctor);
	void *p[10];

	(void)state;
	ctor_calls = 0;
	for (int i = 0; i < 10; i++) {
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
		for (int j = 0; j < 24; j++)
			assert_int_equal(((unsigned char *)p[i])[j], 0x42);
	}
	/* one slab's worth of constructor calls, not one per allocation */
	assert_int_equal(ctor_calls, (int)s->oo.objects);
	for (int i = 0; i < 10; i++)
		kmem_cache_free(s, p[i]);
	/* the free pointer lives outside the object: a free object keeps
	 * its constructed state */
	p[0] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int j = 0; j < 24; j++)
		assert_int_equal(((unsigned char *)p[0])[j], 0x42);
	kmem_cache_free(s, p[0]);
	kmem_cache_destroy(s);
}

static void test_bulk(void **state)
{
	enum { N = 3000 };
	struct kmem_cache *s = kmem_cache_create("bulk", 64, 0, 0, NULL);
	void **p = calloc(N, sizeof(void *));

	(void)state;
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL | __GFP_ZERO, N, p), N);
	for (int i = 0; i < N; i++) {
		assert_non_null(p[i]);
		assert_int_equal(((long *)p[i])[0], 0);
		memset(p[i], i & 0xff, 64);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 64; j++)
			assert_int_equal(((unsigned char *)p[i])[j], i & 0xff);
	kmem_cache_free_bulk(s, N, p);
	assert_int_equal(kmem_cache_shrink(s), 0);
	assert_int_equal(s->node.nr_slabs, 0);
	/* again with a mix of single frees */
	assert_int_equal(kmem_cache_alloc_bulk(s, GFP_KERNEL, 100, p), 100);
	for (int i = 0; i < 100; i += 2)
		kmem_cache_free(s, p[i]);
	for (int i = 0; i < 50; i++)
		p[i] = p[2 * i + 1];
	kmem_cache_free_bulk(s, 50, p);
	kmem_cache_destroy(s);
	free(p);
}

/* ---- objects handed between CPUs ---- */

struct ring {
	void *slot[256];
	unsigned int head, tail;	/* atomic */
};

struct pair_arg {
	struct kmem_cache *s;
	struct ring *ring;
	int cpu;
	int rounds;
};

static void *producer(void *arg)
{
	struct pair_arg *a = arg;

	kmm_cpu_bind(a->cpu);
	for (int i = 0; i < a->rounds; i++) {
		unsigned long *obj = kmem_cache_alloc(a->s, GFP_KERNEL);

		assert_non_null(obj);
		obj[0] = (unsigned long)obj ^ 0x5555;
		obj[7] = (unsigned long)i;
		while (__atomic_load_n(&a->ring->head, __ATOMIC_ACQUIRE) -
		       __atomic_load_n(&a->ring->tail, __ATOMIC_ACQUIRE) >= 256)
			sched_yield();
		a->ring->slot[a->ring->head % 256] = obj;
		__atomic_store_n(&a->ring->head, a->ring->head + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct pair_arg *a = arg;

	kmm_cpu_bind(a->cpu);
	for (int i = 0; i < a->rounds; i++) {
		unsigned long *obj;

		while (__atomic_load_n(&a->ring->tail, __ATOMIC_ACQUIRE) ==
		       __atomic_load_n(&a->ring->head, __ATOMIC_ACQUIRE))
			sched_yield();
		obj = a->ring->slot[a->ring->tail % 256];
		__atomic_store_n(&a->ring->tail, a->ring->tail + 1, __ATOMIC_RELEASE);
		assert_int_equal(obj[0], (unsigned long)obj ^ 0x5555);
		assert_int_equal(obj[7], (unsigned long)i);
		kmem_cache_free(a->s, obj);
	}
	return NULL;
}

static void test_remote_free(void **state)
{
	struct kmem_cache *s = kmem_cache_create("remote", 64, 0, 0, NULL);
	struct ring ring = { .head = 0 };
	struct pair_arg pa = { s, &ring, 0, 20000 }, ca = { s, &ring, 1, 20000 };
	struct kmm_stats st;
	pthread_t p, c;

	(void)state;
	kmm_stats_reset();
	pthread_create(&p, NULL, producer, &pa);
	pthread_create(&c, NULL, consumer, &ca);
	pthread_join(p, NULL);
	pthread_join(c, NULL);
	kmm_stats_read(&st);
	assert_true(st.slab_alloc_fast > 0);
	if (owner_mode()) {
		/* the consumer, alone on CPU 1, owns it: its frees of CPU 0's
		 * objects go onto its sheaves, full sheaves through the barn
		 * back to the producer */
		assert_true(st.slab_free_fast >= 20000 - 20000 / s->sheaf_capacity - 2);
		assert_true(st.barn_put > 0 && st.barn_get > 0);
	} else {
		/* the remote (slow) free path onto CPU 0's slabs */
		assert_true(st.slab_free_slow > 0);
	}
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* Several threads on one CPU at once, plus other CPUs: objects carry a
 * pattern checked before every free. */
struct mix_arg {
	struct kmem_cache *s;
	int cpu;
	unsigned int seed;
};

static void *mixer(void *arg)
{
	struct mix_arg *a = arg;
	void *held[64] = { NULL };
	unsigned int r = a->seed;

	if (a->cpu >= 0)
		kmm_cpu_bind(a->cpu);
	for (int i = 0; i < 40000; i++) {
		unsigned int k;

		r = r * 1103515245 + 12345;
		k = (r >> 16) % 64;
		if (held[k]) {
			unsigned long *o = held[k];

			assert_int_equal(o[0], (unsigned long)o);
			assert_int_equal(o[5], (unsigned long)o + 5);
			kmem_cache_free(a->s, o);
			held[k] = NULL;
		} else {
			unsigned long *o = kmem_cache_alloc(a->s, GFP_KERNEL);

			o[0] = (unsigned long)o;
			o[5] = (unsigned long)o + 5;
			held[k] = o;
		}
		if ((r >> 8) % 997 == 0) {
			void *b[16];

			if (kmem_cache_alloc_bulk(a->s, GFP_KERNEL, 16, b) == 16)
				kmem_cache_free_bulk(a->s, 16, b);
		}
	}
	for (int k = 0; k < 64; k++)
		if (held[k])
			kmem_cache_free(a->s, held[k]);
	return NULL;
}

static void test_shared_cpu_stress(void **state)
{
	struct kmem_cache *s = kmem_cache_create("mix", 48, 0, 0, NULL);
	struct mix_arg a[4] = { { s, 0, 1 }, { s, 0, 2 }, { s, 1, 3 }, { s, 2, 4 } };
	pthread_t t[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, mixer, &a[i]);
	for (int i = 0; i < 3; i++)
		kmem_cache_shrink(s);	/* flushes CPUs under the mixers' feet */
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* Unbound threads: their CPU is the host CPU they run on, so several of
 * them share CPUs and ownership of a CPU's slab state changes hands. */
static void test_unbound_threads(void **state)
{
	struct kmem_cache *s = kmem_cache_create("unbound", 48, 0, 0, NULL);
	struct mix_arg a[6];
	pthread_t t[6];

	(void)state;
	for (int i = 0; i < 6; i++) {
		a[i] = (struct mix_arg){ s, -1, (unsigned int)i + 11 };
		pthread_create(&t[i], NULL, mixer, &a[i]);
	}
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	/* no object lost: every slab comes back empty */
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

static void test_destroy_with_objects(void **state)
{
	struct kmem_cache *s = kmem_cache_create("leaky", 128, 0, 0, NULL);
	void *p = kmem_cache_alloc(s, GFP_KERNEL), *q = kmem_cache_alloc(s, GFP_KERNEL);
	char *info;

	(void)state;
	EXPECT_ONE_REPORT("Objects remaining in leaky on __kmem_cache_shutdown()",
			  kmem_cache_destroy(s));
	/* the cache is still there and still works */
	info = proc_text("slabinfo");
	assert_non_null(strstr(info, "\nleaky "));
	free(info);
	kmem_cache_free(s, p);
	kmem_cache_free(s, q);
	kmem_cache_destroy(s);
	info = proc_text("slabinfo");
	assert_null(strstr(info, "\nleaky "));
	free(info);
}

static void test_misuse(void **state)
{
	struct kmem_cache *a = kmem_cache_create("cache-a", 64, 0, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("cache-b", 64, 0, 0, NULL);
	char *p = kmem_cache_alloc(a, GFP_KERNEL), *q = kmalloc(64, GFP_KERNEL);

	(void)state;
	EXPECT_ONE_REPORT("Wrong slab cache. cache-b but object is from cache-a",
			  kmem_cache_free(b, p));
	EXPECT_ONE_REPORT("Wrong slab cache", kmem_cache_free(a, q));
	EXPECT_ONE_REPORT("Invalid object pointer", kmem_cache_free(a, p + 1));
	kmem_cache_free(a, p);
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free(a, p));
	/* Not the top of the sheaf or freelist any more: refused at once,
	 * and the freelist stays whole. */
	{
		/* `keep` holds the slab: the shrink below must not free it */
		void *keep = kmem_cache_alloc(a, GFP_KERNEL);
		void *x = kmem_cache_alloc(a, GFP_KERNEL), *y = kmem_cache_alloc(a, GFP_KERNEL);
		void *bulk[2];

		kmem_cache_free(a, x);
		kmem_cache_free(a, y);
		EXPECT_ONE_REPORT("Object already free", kmem_cache_free(a, x));
		bulk[0] = y;
		bulk[1] = NULL;
		EXPECT_ONE_REPORT("Object already free", kmem_cache_free_bulk(a, 2, bulk));
		/* the freelist is intact: two allocations give two objects */
		x = kmem_cache_alloc(a, GFP_KERNEL);
		y = kmem_cache_alloc(a, GFP_KERNEL);
		assert_ptr_not_equal(x, y);
		kmem_cache_free(a, x);
		kmem_cache_free(a, y);
		kmem_cache_free(a, keep);
	}
	kfree(q);
	EXPECT_ONE_REPORT("BUG kmalloc-64 (Not tainted): Object already free", kfree(q));
	EXPECT_ONE_REPORT("not a live cache", kmem_cache_destroy((struct kmem_cache *)&p));
	EXPECT_ONE_REPORT("integrity check failed", kmem_cache_create("x", 0, 0, 0, NULL));
	/* an alignment no slab can give: above the largest block */
	EXPECT_ONE_REPORT("integrity check failed",
			  assert_null(kmem_cache_create("x", 64, 1u << 31, 0, NULL)));
	EXPECT_ONE_REPORT("integrity check failed",
			  assert_null(kmem_cache_create("x", 64, (unsigned int)KMALLOC_MAX_SIZE * 2,
							0, NULL)));
	/* the largest block's alignment works */
	{
		struct kmem_cache *big = kmem_cache_create("x", 64, (unsigned int)KMALLOC_MAX_SIZE,
							   0, NULL);
		void *o;

		assert_non_null(big);
		o = kmem_cache_alloc(big, GFP_KERNEL);
		assert_non_null(o);
		assert_int_equal((unsigned long)o % KMALLOC_MAX_SIZE, 0);
		kmem_cache_free(big, o);
		kmem_cache_destroy(big);
	}
	kmem_cache_destroy(a);
	kmem_cache_destroy(b);
}

/* A free into a destroyed cache whose object's page now belongs to another
 * cache: the report names the live owner and reads nothing of the
 * destroyed cache (its memory is gone; ASan would stop the test). */
static void test_free_after_destroy(void **state)
{
	struct kmem_cache *a = kmem_cache_create("gone-a", 64, 0, 0, NULL);
	/* created first, so that b cannot be a's memory again */
	struct kmem_cache *b = kmem_cache_create("live-b", 64, 0, 0, NULL);
	void *x = kmem_cache_alloc(a, GFP_KERNEL), **held = NULL;
	struct page *head = object_head_page(x);

	(void)state;
	kmem_cache_free(a, x);
	kmem_cache_destroy(a);
	drain_all_pages(NULL);
	/* allocate from b (a list through the objects) until x's page is
	 * one of b's slabs: at most the 256M of memory */
	while (!PageSlab(head) || atomic_load_relaxed(&head->slab_cache) != b) {
		void **o = kmem_cache_alloc(b, GFP_KERNEL);

		assert_non_null(o);
		*o = held;
		held = o;
	}
	EXPECT_ONE_REPORT("is not a live cache but object is from live-b",
			  kmem_cache_free(a, x));
	while (held) {
		void **next = *held;

		kmem_cache_free(b, held);
		held = next;
	}
	kmem_cache_destroy(b);
}

static void test_slabinfo_format(void **state)
{
	struct kmem_cache *s = kmem_cache_create("fmt_cache", 200, 0, 0, NULL);
	void *p[30];
	char *info, *line, name[64];
	unsigned long active, num, a_slabs, n_slabs, shared;
	unsigned int objsize, perslab, limit, batch, sf;
	int pages, rows = 0;

	(void)state;
	for (int i = 0; i < 30; i++)
		p[i] = kmem_cache_alloc(s, GFP_KERNEL);
	info = proc_text("slabinfo");
	assert_memory_equal(info, "slabinfo - version: 2.1\n# name            <active_objs> <num_objs> "
			    "<objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> "
			    "<sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n",
			    strlen("slabinfo - version: 2.1\n# name            <active_objs> "
				   "<num_objs> <objsize> <objperslab> <pagesperslab> : tunables "
				   "<limit> <batchcount> <sharedfactor> : slabdata <active_slabs> "
				   "<num_slabs> <sharedavail>\n"));
	line = strchr(strchr(info, '\n') + 1, '\n') + 1;
	/* the newest cache comes first */
	assert_memory_equal(line, "fmt_cache        ", 17);
	for (; *line; line = strchr(line, '\n') + 1) {
		char expect[256];

		assert_int_equal(sscanf(line, "%63s %lu %lu %u %u %d : tunables %u %u %u : slabdata %lu %lu %lu",
					name, &active, &num, &objsize, &perslab, &pages, &limit, &batch,
					&sf, &a_slabs, &n_slabs, &shared), 12);
		snprintf(expect, sizeof(expect),
			 "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu\n",
			 name, active, num, objsize, perslab, pages, limit, batch, sf, a_slabs,
			 n_slabs, shared);
		assert_memory_equal(line, expect, strlen(expect));
		assert_true(active <= num);
		assert_int_equal(num, n_slabs * perslab);
		if (!strcmp(name, "fmt_cache")) {
			assert_int_equal(objsize, 200);
			assert_int_equal(perslab, 20);
			assert_int_equal(num, 40);
			assert_true(active >= 30);
		}
		rows++;
	}
	assert_true(rows >= 40);
	free(info);
	for (int i = 0; i < 30; i++)
		kmem_cache_free(s, p[i]);
	kmem_cache_destroy(s);
}

static void test_fast_path_counted(void **state)
{
	struct kmem_cache *s = kmem_cache_create("fast", 64, 0, 0, NULL);
	struct kmm_stats st;

	(void)state;
	kmm_cpu_bind(0);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	kmm_stats_reset();
	for (int i = 0; i < 1000; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	kmm_stats_read(&st);
	assert_int_equal(st.slab_alloc_fast, 1000);
	assert_int_equal(st.slab_free_fast, 1000);
	assert_int_equal(st.slab_alloc_slow, 0);
	/* with membarrier() the thread, alone on CPU 0, owns it, so its fast
	 * paths run without a locked instruction */
	if (owner_mode())
		assert_true(owns(0));
	kmm_cpu_unbind();
	kmem_cache_destroy(s);
}

/* Objects in a slab's tail pages are freed on the fast path too, from the
 * tail's own words, by kfree and kmem_cache_free alike; misuse there is
 * still refused, and the words go when the slab does (a compound page
 * that is no slab never has them). */
static void test_tail_pages(void **state)
{
	enum { N = 32 };
	struct kmem_cache *s = kmem_cache_create("tails", 1000, 0, 0, NULL);
	struct kmem_cache *other = kmem_cache_create("other", 1000, 0, 0, NULL);
	struct page *tails[N];
	unsigned int nr_tail = 0;
	char *v[N], *big;
	struct kmm_stats st;

	(void)state;
	kmm_cpu_bind(0);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	for (int i = 0; i < N; i++) {
		struct page *page = virt_to_page(v[i] = kmem_cache_alloc(s, GFP_KERNEL));

		assert_non_null(v[i]);
		if (PageTail(page)) {
			assert_ptr_equal(page->tail_slab_cache, s);
			tails[nr_tail++] = page;
		}
	}
	assert_true(nr_tail >= N / 2);
	EXPECT_ONE_REPORT("Invalid object pointer", kfree(v[N - 1] + 8));
	EXPECT_ONE_REPORT("Invalid object pointer", kmem_cache_free(s, v[N - 1] + 8));
	EXPECT_ONE_REPORT("Wrong slab cache", kmem_cache_free(other, v[N - 1]));
	kmm_stats_reset();
	for (int i = 0; i < N; i++) {
		if (i & 1)
			kfree(v[i]);
		else
			kmem_cache_free(s, v[i]);
	}
	kmm_stats_read(&st);
	assert_int_equal(st.slab_free_fast, N);
	EXPECT_ONE_REPORT("Object already free", kfree(v[N - 1]));
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free(s, v[N - 2]));

	kmem_cache_shrink(s);
	for (unsigned int i = 0; i < nr_tail; i++) {
		assert_null(tails[i]->tail_slab_cache);
		assert_int_equal(tails[i]->tail_fast_objects, 0);
	}
	big = kmalloc(20000, GFP_KERNEL);
	assert_non_null(big);
	assert_null(virt_to_page(big + 4096)->tail_slab_cache);
	EXPECT_ONE_REPORT("inside a large kmalloc", kfree(big + 4096));
	kfree(big);
	kmm_cpu_unbind();
	kmem_cache_destroy(other);
	kmem_cache_destroy(s);
}

static void *shrink_elsewhere(void *arg)
{
	kmem_cache_shrink(arg);
	return NULL;
}

/* A flush from another thread takes the CPU from its owner while it
 * empties the CPU's sheaves; the owner, bound alone, claims the CPU back
 * at its next slow path. */
static void test_owner_revoked(void **state)
{
	struct kmem_cache *s = kmem_cache_create("owned", 64, 0, 0, NULL);
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, 0);
	struct sheaf_cpu *sc = s->sheaf_cpu;
	void *mine[100];
	pthread_t t;

	(void)state;
	if (!owner_mode())
		skip();
	kmm_cpu_bind(0);
	/* an explicit claim: owned before any allocation */
	assert_true(owns(0));
	for (int i = 0; i < 100; i++)
		mine[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 50; i++)
		kmem_cache_free(s, mine[i]);
	assert_true(sheaf_main_size(c) > 0);
	pthread_create(&t, NULL, shrink_elsewhere, s);
	pthread_join(t, NULL);
	assert_false(owns(0));
	assert_int_equal(sheaf_main_size(c), 0);
	assert_true(!sc || !sc->spare);
	for (int i = 50; i < 100; i++)
		kmem_cache_free(s, mine[i]);
	assert_true(owns(0));
	kmm_cpu_unbind();
	assert_false(owns(0));
	assert_null(cpu_owner_of(0));
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* Release: a thread that unbinds gives its CPU up, one that binds again
 * alone owns it again, and one that ends leaves its CPU with no owner. */
static void *bind_unbind_exit(void *arg)
{
	struct kmem_cache *s = arg;

	kmm_cpu_bind(1);
	assert_true(owns(1));
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	kmm_cpu_unbind();
	assert_false(owns(1));
	assert_null(cpu_owner_of(1));
	kmm_cpu_bind(1);
	assert_true(owns(1));
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	return NULL;	/* ends bound, owning CPU 1 */
}

static void test_owner_released(void **state)
{
	struct kmem_cache *s = kmem_cache_create("released", 64, 0, 0, NULL);
	pthread_t t;

	(void)state;
	if (!owner_mode())
		skip();
	pthread_create(&t, NULL, bind_unbind_exit, s);
	pthread_join(t, NULL);
	assert_null(cpu_owner_of(1));
	kmm_cpu_bind(1);
	assert_true(owns(1));
	assert_ptr_equal(cpu_owner_of(1), &kmm_current);
	kmm_cpu_unbind();
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* A thread that only frees (objects another thread allocated) and is
 * bound to no CPU claims the CPU it stands in for through the sheaves'
 * slow path, within the claim policy's count, registering for its end
 * only then; its end leaves that CPU with no owner. */
struct free_only_arg {
	struct kmem_cache *s;
	void **objects;
	int n;
	unsigned int cpu;
	bool owned;
};

static void *free_only(void *arg)
{
	struct free_only_arg *a = arg;

	assert_int_equal(kmm_current.own_delta, 0);
	for (int i = 0; i < a->n; i++)
		kmem_cache_free(a->s, a->objects[i]);
	a->cpu = cpu_own_home();
	a->owned = owns(a->cpu);
	return NULL;
}

static void test_owner_free_only(void **state)
{
	struct kmem_cache *s = kmem_cache_create("free_only", 64, 0, 0, NULL);
	struct free_only_arg a = { s, NULL, 5000, 0, false };
	pthread_t t;

	(void)state;
	if (!owner_mode())
		skip();
	a.objects = calloc((size_t)a.n, sizeof(void *));
	assert_non_null(a.objects);
	for (int i = 0; i < a.n; i++) {
		a.objects[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(a.objects[i]);
	}
	/* this thread, unbound, may own a CPU by now: it gives it up */
	cpu_own_release();
	pthread_create(&t, NULL, free_only, &a);
	pthread_join(t, NULL);
	assert_true(a.owned);
	assert_null(cpu_owner_of(a.cpu));
	free(a.objects);
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

struct guest_arg {
	struct kmem_cache *s;
	int bad;
};

static void *guest_cpu0(void *arg)
{
	struct guest_arg *a = arg;
	void *v[200];

	kmm_cpu_bind(0);
	for (int i = 0; i < 200; i++) {
		v[i] = kmem_cache_alloc(a->s, GFP_KERNEL);
		if (!v[i])
			a->bad++;
		else
			memset(v[i], 0x5a, 64);
	}
	for (int i = 0; i < 200; i++)
		kmem_cache_free(a->s, v[i]);
	return NULL;
}

/* A second thread bound to a CPU whose owner was bound there alone: the
 * owner keeps the CPU; the guest runs on the per-CPU slab's lockless path
 * and its own slow paths. */
static void test_guest_leaves_owner(void **state)
{
	struct kmem_cache *s = kmem_cache_create("guest", 64, 0, 0, NULL);
	struct guest_arg a = { s, 0 };
	unsigned long bugs = kmm_bug_count();
	pthread_t t;

	(void)state;
	if (!owner_mode())
		skip();
	kmm_cpu_bind(0);
	for (int i = 0; i < 4; i++)
		kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	assert_true(owns(0));
	pthread_create(&t, NULL, guest_cpu0, &a);
	pthread_join(t, NULL);
	assert_int_equal(a.bad, 0);
	assert_int_equal(kmm_bug_count(), bugs);
	assert_true(owns(0));
	/* the owner's own fast path still works */
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	kmm_cpu_unbind();
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* Sheaves: an owner's frees go onto its CPU's sheaves; past main and
 * spare, full sheaves go into the barn (at most BARN_MAX_FULL) and the rest
 * are flushed to their slabs; allocations take them back in the same
 * order of places; the fast paths' counts in the sheaves' words show in
 * kmm_stats; a double free of an object in a sheaf is refused at once,
 * whether it is the top or not; a shrink gives every sheaf back. */
static void test_sheaves(void **state)
{
	struct kmem_cache *s = kmem_cache_create("sheaves", 64, 0, 0, NULL);
	unsigned int cap = s->sheaf_capacity, n = cap * (BARN_MAX_FULL + 4);
	void **v = calloc(n, sizeof(void *));
	struct kmem_cache_cpu *c = per_cpu_ptr(s->cpu_slab, 0);
	struct sheaf_cpu *sc = s->sheaf_cpu;
	bool sheaves = owner_mode();
	struct kmm_stats st;

	(void)state;
	assert_int_equal(cap, SHEAF_BYTES / 64);
	kmm_cpu_bind(0);
	kmem_cache_free(s, kmem_cache_alloc(s, GFP_KERNEL));
	for (unsigned int i = 0; i < n; i++)
		assert_non_null(v[i] = kmem_cache_alloc(s, GFP_KERNEL));
	kmm_stats_reset();
	for (unsigned int i = 0; i < n; i++)
		kmem_cache_free(s, v[i]);
	kmm_stats_read(&st);
	/* Sheaves serve the CPU's owner: with membarrier() this thread. */
	if (sheaves) {
		assert_true(owns(0));
		assert_int_equal(s->barn.nr_full, BARN_MAX_FULL);
		assert_true(st.barn_put >= BARN_MAX_FULL);
		assert_true(st.sheaf_flush >= 1);
		assert_int_equal(sheaf_main_size(c) + (sc->spare ? sc->spare->size : 0) + BARN_MAX_FULL * cap +
					 st.sheaf_flush * cap, n);
		/* one slow path per sheaf, every other free on the fast path */
		assert_true(st.slab_free_fast >= n - n / cap - 1);
		assert_true(st.slab_free_fast <= n);
		kmm_stats_reset();
		for (unsigned int i = 0; i < n; i++)
			assert_non_null(v[i] = kmem_cache_alloc(s, GFP_KERNEL));
		kmm_stats_read(&st);
		assert_true(st.barn_get >= BARN_MAX_FULL);
		assert_int_equal(s->barn.nr_full, 0);
		/* each allocation counted once, by the sheaf's word or a slow path */
		assert_int_equal(st.slab_alloc_fast + st.slab_alloc_slow, n);
		/* a slow path per sheaf taken from the spare (at most two), the
		 * barn or the slabs, and per new slab a refill stopped at */
		assert_true(st.slab_alloc_slow <= 2 + st.barn_get + st.sheaf_refill + st.slab_new);
	} else {
		for (unsigned int i = 0; i < n; i++)
			assert_non_null(v[i] = kmem_cache_alloc(s, GFP_KERNEL));
	}
	kmem_cache_free(s, v[0]);
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free(s, v[0]));
	kmem_cache_free(s, v[1]);
	/* under v[1] in the sheaf: refused at once all the same */
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free(s, v[0]));
	for (unsigned int i = 2; i < n; i++)
		kmem_cache_free(s, v[i]);
	kmm_cpu_unbind();
	assert_int_equal(kmem_cache_shrink(s), 0);
	assert_int_equal(sheaf_main_size(c), 0);
	assert_true(!sc || !sc->spare);
	assert_int_equal(s->barn.nr_full + s->barn.nr_empty, 0);
	free(v);
	kmem_cache_destroy(s);
}

/* A double free never puts one object in two places: the second free is
 * refused with one report wherever the first put the object (the owner's
 * sheaf, deep under others, or a freelist by another thread's free) and
 * wherever the second goes; the next allocations give distinct objects. */
struct free_arg {
	struct kmem_cache *s;
	void *object;
	int cpu;
};

static void *free_elsewhere(void *arg)
{
	struct free_arg *a = arg;

	if (a->cpu >= 0)
		kmm_cpu_bind(a->cpu);
	kmem_cache_free(a->s, a->object);
	if (a->cpu >= 0)
		kmm_cpu_unbind();
	return NULL;
}

static void free_on(struct kmem_cache *s, void *object, int cpu)
{
	struct free_arg a = { s, object, cpu };
	pthread_t t;

	pthread_create(&t, NULL, free_elsewhere, &a);
	pthread_join(t, NULL);
}

static void assert_distinct_allocations(struct kmem_cache *s, int n)
{
	void *v[8];

	for (int i = 0; i < n; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(v[i]);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(v[i], v[j]);
	}
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, v[i]);
}

static void test_double_free_anywhere(void **state)
{
	struct kmem_cache *s = kmem_cache_create("twice", 64, 0, 0, NULL);
	void *a, *b, *bulk[1];

	(void)state;
	kmm_cpu_bind(0);
	/* both frees by this CPU's thread, the copy under another object */
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free(s, a));
	assert_distinct_allocations(s, 8);
	/* the first free by a thread of another CPU, the second here */
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	free_on(s, a, 1);
	kmem_cache_free(s, b);
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free(s, a));
	assert_distinct_allocations(s, 8);
	/* the first free here, the second by a thread bound to no CPU, by a
	 * thread of another CPU, and in bulk */
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	EXPECT_ONE_REPORT("Object already free", free_on(s, a, -1));
	EXPECT_ONE_REPORT("Object already free", free_on(s, a, 1));
	bulk[0] = a;
	EXPECT_ONE_REPORT("Object already free", kmem_cache_free_bulk(s, 1, bulk));
	assert_distinct_allocations(s, 8);
	/* nothing was dropped or linked twice: every object comes back */
	kmm_cpu_unbind();
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

/* The owner's free looks at the low bits of the free pointer slot first:
 * an object whose data there has the bits a free object's slot has takes
 * the full check. Data with every pattern of those bits frees quietly; a
 * second free of any of them is still refused. */
static void test_free_data_like_free_pointer(void **state)
{
	struct kmem_cache *s = kmem_cache_create("lookalike", 64, 0, 0, NULL);
	unsigned long bugs = kmm_bug_count();
	uint64_t *v[8];

	(void)state;
	kmm_cpu_bind(0);
	for (unsigned int i = 0; i < 8; i++) {
		v[i] = kmem_cache_alloc(s, GFP_KERNEL);
		assert_non_null(v[i]);
		for (unsigned int w = 0; w < 64 / sizeof(uint64_t); w++)
			v[i][w] = 0x5a5a5a5a5a5a5a50ULL | i;
	}
	for (unsigned int i = 0; i < 8; i++)
		kmem_cache_free(s, v[i]);
	assert_int_equal(kmm_bug_count(), bugs);
	for (unsigned int i = 0; i < 8; i++)
		EXPECT_ONE_REPORT("Object already free", kmem_cache_free(s, v[i]));
	assert_distinct_allocations(s, 8);
	kmm_cpu_unbind();
	assert_int_equal(kmem_cache_shrink(s), 0);
	kmem_cache_destroy(s);
}

static void test_asan_poisoning(void **state)
{
	struct kmem_cache *s = kmem_cache_create("poisoned", 48, 0, 0, NULL);
	char *p = kmem_cache_alloc(s, GFP_KERNEL), *q = kmalloc(100, GFP_KERNEL);

	(void)state;
	p[47] = 1;
	q[99] = 1;
#ifdef KMM_ASAN
	assert_false(__asan_address_is_poisoned(p));
	assert_false(__asan_address_is_poisoned(p + 47));
	/* the next slot, still free, is poisoned */
	assert_true(__asan_address_is_poisoned(p + 48));
#endif
	kmem_cache_free(s, p);
	kfree(q);
#ifdef KMM_ASAN
	/* a use after free of kmm memory is caught by ASan */
	assert_true(__asan_address_is_poisoned(p));
	assert_true(__asan_address_is_poisoned(q + 50));
#endif
	kmem_cache_destroy(s);
}

static void test_atomic_context(void **state)
{
	struct kmem_cache *s = kmem_cache_create("atomic", 64, 0, 0, NULL);
	void *p;

	(void)state;
	kmm_irq_enter();
	EXPECT_ONE_REPORT("sleeping function called from invalid context",
			  p = kmem_cache_alloc(s, GFP_KERNEL));
	assert_null(p);
	p = kmem_cache_alloc(s, GFP_ATOMIC);
	assert_non_null(p);
	kmem_cache_free(s, p);
	kmm_irq_exit();
	kmem_cache_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizing),
		cmocka_unit_test(test_constructor),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_remote_free),
		cmocka_unit_test(test_shared_cpu_stress),
		cmocka_unit_test(test_unbound_threads),
		cmocka_unit_test(test_destroy_with_objects),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_free_after_destroy),
		cmocka_unit_test(test_slabinfo_format),
		cmocka_unit_test(test_fast_path_counted),
		cmocka_unit_test(test_tail_pages),
		cmocka_unit_test(test_atomic_context),
		cmocka_unit_test(test_owner_revoked),
		cmocka_unit_test(test_owner_released),
		cmocka_unit_test(test_owner_free_only),
		cmocka_unit_test(test_guest_leaves_owner),
		cmocka_unit_test(test_sheaves),
		cmocka_unit_test(test_double_free_anywhere),
		cmocka_unit_test(test_free_data_like_free_pointer),
		cmocka_unit_test(test_asan_poisoning),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
