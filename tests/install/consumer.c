/* A program outside the project: built against the installed headers and
 * library with pkg-config. It boots the seed's 8 GB layouts and checks the
 * zones, runs the exhaustion scenarios of the page allocator, checks
 * ksize() against Linux's kmalloc classes and writes /proc/slabinfo for
 * check.sh to parse with procps' slabtop. */
#include <kmm/kmm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAILED: %s (line %d)\n", #c, __LINE__); exit(1); } } while (0)

static char *view(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(kmm_proc_show(f, name) == 0);
	fclose(f);
	return buf;
}

static void zones(const char *cmdline, const char *const *want, const char *const *absent)
{
	CHECK(kmm_init(cmdline) == 0);
	char *bi = view("buddyinfo"), *zi = view("zoneinfo");
	for (; *want; want++) {
		char line[64];
		snprintf(line, sizeof(line), "Node 0, zone %8s ", *want);
		CHECK(strstr(bi, line));
		snprintf(line, sizeof(line), "Node 0, zone %8s\n", *want);
		CHECK(strstr(zi, line));
	}
	for (; *absent; absent++)
		CHECK(!strstr(bi, *absent));
	printf("%s\n%s", cmdline, bi);
	free(bi);
	free(zi);
	CHECK(kmm_exit() == 0);
}

static void *stack;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void push(void *p)
{
	pthread_mutex_lock(&lock);
	*(void **)p = stack;
	stack = p;
	pthread_mutex_unlock(&lock);
}

static void *pop(void)
{
	pthread_mutex_lock(&lock);
	void *p = stack;
	if (p)
		stack = *(void **)p;
	pthread_mutex_unlock(&lock);
	return p;
}

static unsigned long fill(gfp_t gfp)
{
	unsigned long n = 0, a;

	while ((a = __get_free_page(gfp | __GFP_NOWARN))) {
		push((void *)a);
		n++;
	}
	return n;
}

static unsigned long atomic_got;

static void *irq_thread(void *arg)
{
	(void)arg;
	kmm_cpu_bind(1);
	kmm_irq_enter();
	atomic_got = fill(GFP_ATOMIC);
	kmm_irq_exit();
	return NULL;
}

static unsigned long blocked;

static void *kernel_alloc(void *arg)
{
	(void)arg;
	__atomic_store_n(&blocked, __get_free_page(GFP_KERNEL), __ATOMIC_RELEASE);
	return NULL;
}

static void exhaustion(void)
{
	pthread_t th;
	void *p;

	CHECK(kmm_init("mem=128M nr_cpus=2 kswapd=off") == 0);
	drain_all_pages(NULL);
	unsigned long boot_free = nr_free_pages();
	unsigned long nowait = fill(GFP_NOWAIT);
	CHECK(nowait > 0);
	pthread_create(&th, NULL, irq_thread, NULL);
	pthread_join(th, NULL);
	CHECK(atomic_got > 0);			/* the emergency reserve */
	CHECK(!__get_free_page(GFP_NOWAIT | __GFP_NOWARN));	/* NOWAIT still fails */
	drain_all_pages(NULL);
	CHECK(nr_free_pages() > 0);		/* the floor held */
	fill(GFP_ATOMIC);
	pthread_create(&th, NULL, kernel_alloc, NULL);
	usleep(200000);
	CHECK(__atomic_load_n(&blocked, __ATOMIC_ACQUIRE) == 0);	/* it sleeps */
	/* enough to lift the zones back above their min watermark */
	for (int i = 0; i < 1024; i++)
		free_page((unsigned long)pop());
	pthread_join(th, NULL);
	CHECK(blocked != 0);			/* and succeeds after a free */
	free_page(blocked);
	printf("exhaustion: GFP_NOWAIT got %lu pages, then GFP_ATOMIC from an interrupt %lu more\n",
	       nowait, atomic_got);
	while ((p = pop()))
		free_page((unsigned long)p);
	drain_all_pages(NULL);
	CHECK(nr_free_pages() == boot_free);
	CHECK(kmm_exit() == 0);
}

/* vmalloc 256 MiB after fragmenting physical memory (every other page
 * held), use it, vfree it, and every page comes back. */
static void vmalloc_fragmented(void)
{
	enum { HOLD = 40000 };
	struct page **held = calloc(HOLD, sizeof(*held));
	unsigned long n = 256UL << 20;
	unsigned char *v;

	CHECK(kmm_init("mem=1G nr_cpus=2") == 0);
	drain_all_pages(NULL);
	unsigned long boot_free = nr_free_pages();
	for (int i = 0; i < HOLD; i++)
		held[i] = alloc_page(GFP_KERNEL);
	for (int i = 0; i < HOLD; i += 2) {
		__free_page(held[i]);
		held[i] = NULL;
	}
	v = vmalloc(n);
	CHECK(v);
	for (unsigned long i = 0; i < n; i += 4096)
		v[i] = (unsigned char)(i >> 12);
	for (unsigned long i = 0; i < n; i += 4096)
		CHECK(v[i] == (unsigned char)(i >> 12));
	/* a write through vmalloc shows through the page's direct map */
	CHECK(*(unsigned char *)page_address(vmalloc_to_page(v + 4096 * 7)) == 7);
	vfree(v);
	vm_unmap_aliases();
	for (int i = 0; i < HOLD; i++)
		if (held[i])
			__free_page(held[i]);
	free(held);
	drain_all_pages(NULL);
	CHECK(nr_free_pages() == boot_free);
	CHECK(kmm_exit() == 0);
	printf("vmalloc: 256 MiB after fragmenting, used, freed, every page back\n");
}

struct item {
	unsigned long magic;
	struct rcu_head rh;
};

static struct item *published;
static volatile int reader_in, reader_go;

static void *reader(void *arg)
{
	unsigned long *seen = arg;

	rcu_read_lock();
	struct item *it = rcu_dereference(published);
	__atomic_store_n(&reader_in, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&reader_go, __ATOMIC_ACQUIRE))
		usleep(1000);
	*seen = it->magic;	/* replaced and kfree_rcu'd meanwhile */
	rcu_read_unlock();
	return NULL;
}

/* kfree_rcu while another thread reads the object under rcu_read_lock:
 * intact until the reader leaves, reused after that. */
static void kfree_rcu_reader(void)
{
	pthread_t th;
	unsigned long seen = 0;
	struct item *old, *fresh;

	CHECK(kmm_init("mem=64M nr_cpus=2 slub_debug=P") == 0);
	old = kmalloc(sizeof(*old), GFP_KERNEL);
	old->magic = 0xfeedface;
	rcu_assign_pointer(published, old);
	pthread_create(&th, NULL, reader, &seen);
	while (!__atomic_load_n(&reader_in, __ATOMIC_ACQUIRE))
		usleep(1000);
	fresh = kmalloc(sizeof(*fresh), GFP_KERNEL);
	fresh->magic = 1;
	rcu_assign_pointer(published, fresh);
	kfree_rcu(old, rh);
	usleep(50000);			/* grace periods would have passed */
	__atomic_store_n(&reader_go, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CHECK(seen == 0xfeedface);	/* not freed (or poisoned) under the reader */
	rcu_barrier();
	/* after the grace period the object is free and handed out again */
	int reused = 0;
	void *objs[64];
	for (int i = 0; i < 64; i++) {
		objs[i] = kmalloc(sizeof(struct item), GFP_KERNEL);
		reused |= objs[i] == (void *)old;
	}
	for (int i = 0; i < 64; i++)
		kfree(objs[i]);
	CHECK(reused);
	/* The headless forms: no rcu_head, a caller that may sleep. */
	kvfree_rcu_mightsleep(fresh);
	kfree_rcu_mightsleep((struct item *)kmalloc(sizeof(struct item), GFP_KERNEL));
	kvfree_rcu((struct item *)kvmalloc(sizeof(struct item), GFP_KERNEL));
	kfree_rcu((struct item *)kmalloc(sizeof(struct item), GFP_KERNEL));
	rcu_barrier();
	CHECK(kmm_kfree_rcu_pending() == 0);
	CHECK(kmm_exit() == 0);
	printf("kfree_rcu: object intact under its reader, reused after the grace period; "
	       "headless forms\n");
}

/* Linux's kmalloc size for n bytes (x86-64, 4 KiB pages): the caches
 * kmalloc-8 ... kmalloc-8k with kmalloc-96 and kmalloc-192, then whole
 * pages from the page allocator. */
static size_t linux_kmalloc_size(size_t n)
{
	static const size_t classes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024,
					  2048, 4096, 8192 };
	size_t pages = 4096;

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (n <= classes[i])
			return classes[i];
	while (pages < n)
		pages *= 2;
	return pages;
}

static void kmalloc_sizes(const char *slabinfo_out)
{
	struct kmem_cache *s;
	void *objs[100], *p;
	unsigned long bugs;

	CHECK(kmm_init("mem=256M nr_cpus=2") == 0);
	kmm_cpu_bind(0);
	for (size_t n = 1; n <= 8192; n++) {
		p = kmalloc(n, GFP_KERNEL);
		CHECK(p && ksize(p) == linux_kmalloc_size(n));
		kfree(p);
	}
	for (size_t n = 8193; n <= (4u << 20); n = n * 2 + 1) {
		p = kmalloc(n, GFP_KERNEL);
		CHECK(p && ksize(p) == linux_kmalloc_size(n));
		kfree(p);
	}
	p = kmalloc(4u << 20, GFP_KERNEL);	/* KMALLOC_MAX_SIZE */
	CHECK(p && ksize(p) == (4u << 20));
	kfree(p);
	bugs = kmm_bug_count();
	CHECK(kmalloc((4u << 20) + 1, GFP_KERNEL) == NULL);
	CHECK(kmm_bug_count() == bugs + 1);	/* the kernel's warning */
	CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
	kfree(ZERO_SIZE_PTR);

	s = kmem_cache_create("consumer-objs", 200, 0, SLAB_HWCACHE_ALIGN, NULL);
	CHECK(s);
	for (int i = 0; i < 100; i++)
		CHECK((objs[i] = kmem_cache_alloc(s, GFP_KERNEL)));
	if (slabinfo_out) {
		FILE *f = fopen(slabinfo_out, "w");

		CHECK(f && kmm_proc_show(f, "slabinfo") == 0);
		fclose(f);
	}
	for (int i = 0; i < 100; i++)
		kmem_cache_free(s, objs[i]);
	kmem_cache_destroy(s);
	kmm_cpu_unbind();
	CHECK(kmm_exit() == 0);
	printf("kmalloc: ksize matches Linux for 1..8192 and up to the 4 MiB limit\n");
}

int main(void)
{
	static const char *const z64[] = { "DMA", "DMA32", "Normal", NULL };
	static const char *const a64[] = { "HighMem", NULL };
	static const char *const z32[] = { "DMA", "Normal", "HighMem", NULL };
	static const char *const a32[] = { "DMA32", NULL };

	zones("mem=8G", z64, a64);
	zones("mem=8G layout=32bit", z32, a32);
	exhaustion();
	vmalloc_fragmented();
	kfree_rcu_reader();
	kmalloc_sizes(getenv("KMM_SLABINFO_OUT"));
	puts("consumer: all checks passed");
	return 0;
}
