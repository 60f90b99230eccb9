/* bench_preload: allocation patterns of whole programs, run with each
 * allocator preloaded (the driver's preload suite sets LD_PRELOAD); the
 * runner measures the process's time and peak RSS. Plain malloc and free,
 * nothing allocator-specific.
 *
 *   bench_preload server|prodcons|mixed --threads=N [--scale=S]
 *   bench_preload --callgrind=malloc_pair|malloc_mix|calloc_pair --iters=N
 *
 * server    each thread accepts requests (a header and a 64 B - 4 KiB body,
 *           now and then 64 KiB) and queues them to the next thread, which
 *           handles them, frees them (a free by a thread other than the
 *           allocating one) and keeps a response string in a cache of 256
 *           whose evicted entries it frees; at most 1024 requests wait in
 *           a thread's inbox
 * prodcons  threads in pairs: a producer allocates 16 - 256 B objects into
 *           a ring, its consumer checks and frees them (one thread: both
 *           roles in turn)
 * mixed     each thread replaces objects in 4096 slots, sizes from 8 B to
 *           4 MiB (most small), lifetimes short (a few hot slots) and long
 *           (the rest), one replacement in ten a realloc
 * Each thread does the same work whatever the thread count; the program
 * prints a checksum of what it read back. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long scale_pct = 100;

static unsigned long rng(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "bench_preload: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return p;
}

/* ---- server ---- */

struct request {
	struct request *next;
	size_t len;
	unsigned long id;
	unsigned char body[];
};

struct inbox {
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
	struct request *head, *tail;
	unsigned long queued;
} __attribute__((aligned(64)));

#define SERVER_CACHE	256
#define SERVER_BATCH	16
#define SERVER_INFLIGHT	1024

static struct inbox *inboxes;
static int nthreads;

/* Runs fn on nthreads threads, each given its index, and waits for them. */
static void run_indexed(void *(*fn)(void *))
{
	pthread_t t[256];

	for (long i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, fn, (void *)i);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

static void inbox_put(struct inbox *in, struct request *first, struct request *last,
		      unsigned long n)
{
	pthread_mutex_lock(&in->lock);
	if (in->tail)
		in->tail->next = first;
	else
		in->head = first;
	in->tail = last;
	__atomic_store_n(&in->queued, in->queued + n, __ATOMIC_RELAXED);
	pthread_cond_signal(&in->nonempty);
	pthread_mutex_unlock(&in->lock);
}

static struct request *inbox_take_all(struct inbox *in, int wait)
{
	struct request *r;

	pthread_mutex_lock(&in->lock);
	while (wait && !in->head)
		pthread_cond_wait(&in->nonempty, &in->lock);
	r = in->head;
	in->head = in->tail = NULL;
	__atomic_store_n(&in->queued, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&in->lock);
	return r;
}

struct server_result {
	unsigned long sum;
} __attribute__((aligned(64)));

static struct server_result *server_results;

static void *server_thread(void *arg)
{
	int self = (int)(long)arg;
	unsigned long s = (unsigned long)self * 0x9e3779b97f4a7c15UL + 1, sum = 0;
	long total = 200000 * scale_pct / 100, sent = 0, handled = 0;
	char *cache[SERVER_CACHE] = { 0 };
	struct inbox *next = &inboxes[(self + 1) % nthreads];

	while (handled < total || sent < total) {
		/* accept a batch of requests for the next thread, unless it
		 * has enough waiting */
		int can_send = sent < total &&
			       __atomic_load_n(&next->queued, __ATOMIC_RELAXED) < SERVER_INFLIGHT;

		if (can_send) {
			struct request *first = NULL, *last = NULL;
			int n = 0;

			for (; n < SERVER_BATCH && sent < total; n++, sent++) {
				unsigned long r = rng(&s);
				size_t len = r % 64 == 0 ? 65536 : 64 + r % 4032;
				struct request *q = xmalloc(sizeof(*q) + len);

				q->next = NULL;
				q->len = len;
				q->id = r;
				memset(q->body, (int)(r & 0xff), len);
				if (last)
					last->next = q;
				else
					first = q;
				last = q;
			}
			inbox_put(next, first, last, (unsigned long)n);
		}
		/* handle what the previous thread sent */
		for (struct request *q = inbox_take_all(&inboxes[self],
							       !can_send && handled < total), *nq; q;
		     q = nq) {
			unsigned int slot = (unsigned int)(q->id % SERVER_CACHE);
			char *resp;
			int len;

			nq = q->next;
			sum += q->body[0] + q->body[q->len - 1];
			len = snprintf(NULL, 0, "%lu:%zu:%lu", q->id, q->len, sum) + 1;
			resp = xmalloc((size_t)len + (q->id >> 20) % 448);
			snprintf(resp, (size_t)len, "%lu:%zu:%lu", q->id, q->len, sum);
			free(q);
			free(cache[slot]);
			cache[slot] = resp;
			handled++;
		}
	}
	for (int i = 0; i < SERVER_CACHE; i++) {
		if (cache[i])
			sum += (unsigned char)cache[i][0];
		free(cache[i]);
	}
	server_results[self].sum = sum;
	return NULL;
}

static unsigned long run_server(void)
{
	unsigned long sum = 0;

	inboxes = calloc((size_t)nthreads, sizeof(*inboxes));
	server_results = calloc((size_t)nthreads, sizeof(*server_results));
	for (int i = 0; i < nthreads; i++) {
		pthread_mutex_init(&inboxes[i].lock, NULL);
		pthread_cond_init(&inboxes[i].nonempty, NULL);
	}
	run_indexed(server_thread);
	for (int i = 0; i < nthreads; i++)
		sum += server_results[i].sum;
	free(inboxes);
	free(server_results);
	return sum;
}

/* ---- producer/consumer ---- */

#define RING 1024

struct ring {
	void *slot[RING];
	unsigned long head __attribute__((aligned(64)));	/* producer's */
	unsigned long tail __attribute__((aligned(64)));	/* consumer's */
	unsigned long sum;
} __attribute__((aligned(64)));

static struct ring *rings;

static int produce_one(struct ring *r, unsigned long *s)
{
	unsigned long h = r->head, v;
	size_t len;
	unsigned char *p;

	if (h - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == RING)
		return 0;
	v = rng(s);
	len = 16 + v % 240;	/* below 256: p[0] holds it */
	p = xmalloc(len);
	p[0] = (unsigned char)len;
	p[len - 1] = (unsigned char)v;
	r->slot[h % RING] = p;
	__atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
	return 1;
}

static int consume_one(struct ring *r)
{
	unsigned long t = r->tail;
	unsigned char *p;

	if (t == __atomic_load_n(&r->head, __ATOMIC_ACQUIRE))
		return 0;
	p = r->slot[t % RING];
	r->sum += p[0] + p[p[0] - 1];
	free(p);
	__atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
	return 1;
}

static long prodcons_total(void)
{
	return 2000000 * scale_pct / 100;
}

static void *producer(void *arg)
{
	struct ring *r = arg;
	unsigned long s = (unsigned long)(r - rings) * 7919 + 3;

	for (long n = 0; n < prodcons_total();)
		if (produce_one(r, &s))
			n++;
		else
			sched_yield();
	return NULL;
}

static void *consumer(void *arg)
{
	struct ring *r = arg;

	for (long n = 0; n < prodcons_total();)
		if (consume_one(r))
			n++;
		else
			sched_yield();
	return NULL;
}

static unsigned long run_prodcons(void)
{
	int pairs = nthreads / 2 ? nthreads / 2 : 1;
	pthread_t t[256];
	unsigned long sum = 0;

	rings = aligned_alloc(64, sizeof(*rings) * (size_t)pairs);
	memset(rings, 0, sizeof(*rings) * (size_t)pairs);
	if (nthreads == 1) {
		unsigned long s = 3;

		for (long n = 0; n < prodcons_total();) {
			while (n < prodcons_total() && produce_one(&rings[0], &s))
				n++;
			while (consume_one(&rings[0]))
				;
		}
		return rings[0].sum;
	}
	for (int i = 0; i < pairs; i++) {
		pthread_create(&t[2 * i], NULL, producer, &rings[i]);
		pthread_create(&t[2 * i + 1], NULL, consumer, &rings[i]);
	}
	for (int i = 0; i < 2 * pairs; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < pairs; i++)
		sum += rings[i].sum;
	free(rings);
	return sum;
}

/* ---- mixed sizes and lifetimes ---- */

#define SLOTS 4096

static size_t mixed_size(unsigned long r)
{
	unsigned long k = r % 1000;

	r >>= 10;
	if (k < 600)
		return 8 + r % 121;		/* 8 - 128 B */
	if (k < 850)
		return 128 + r % 897;		/* 128 B - 1 KiB */
	if (k < 950)
		return 1024 + r % 15361;	/* 1 - 16 KiB */
	if (k < 999)
		return 16384 + r % 245761;	/* 16 - 256 KiB */
	return 262144 + r % 3932161;		/* 256 KiB - 4 MiB */
}

struct mixed_result {
	unsigned long sum;
} __attribute__((aligned(64)));

static struct mixed_result *mixed_results;

static void *mixed_thread(void *arg)
{
	long self = (long)arg;
	unsigned long s = (unsigned long)self * 104729 + 11, sum = 0;
	long steps = 1000000 * scale_pct / 100;
	unsigned char **slot = calloc(SLOTS, sizeof(*slot));
	size_t *len = calloc(SLOTS, sizeof(*len));

	for (long i = 0; i < steps; i++) {
		unsigned long r = rng(&s);
		/* four in five picks among 64 hot slots: short lives */
		unsigned int k = (unsigned int)(r % 5 ? (r >> 8) % 64 : (r >> 8) % SLOTS);
		size_t n = mixed_size(rng(&s));

		if (slot[k]) {
			sum += slot[k][0] + slot[k][len[k] - 1];
			if (r % 10 == 0) {
				slot[k] = realloc(slot[k], n);
				if (!slot[k])
					exit(1);
				slot[k][0] = (unsigned char)n;
				slot[k][n - 1] = (unsigned char)r;
				len[k] = n;
				continue;
			}
			free(slot[k]);
		}
		slot[k] = xmalloc(n);
		slot[k][0] = (unsigned char)n;
		slot[k][n - 1] = (unsigned char)r;
		len[k] = n;
	}
	for (int k = 0; k < SLOTS; k++)
		free(slot[k]);
	free(slot);
	free(len);
	mixed_results[self].sum = sum;
	return NULL;
}

static unsigned long run_mixed(void)
{
	unsigned long sum = 0;

	mixed_results = calloc((size_t)nthreads, sizeof(*mixed_results));
	run_indexed(mixed_thread);
	for (int i = 0; i < nthreads; i++)
		sum += mixed_results[i].sum;
	free(mixed_results);
	return sum;
}

/* ---- callgrind: instructions per malloc+free, the loop in
 * bench_cg_measure (the driver collects only inside it) ---- */

enum cg_case { CG_PAIR, CG_MIX, CG_CALLOC };

__attribute__((noinline)) void bench_cg_measure(enum cg_case c, long iters)
{
	void *volatile keep;

	for (long i = 0; i < iters; i++) {
		void *p = c == CG_CALLOC ? calloc(1, 64) :
			  malloc(c == CG_MIX ? 1 + (size_t)((unsigned long)i * 2654435761UL % 1024) : 64);

		keep = p;
		free(p);
	}
	(void)keep;
}

int main(int argc, char **argv)
{
	const char *pattern = NULL, *cg = NULL;
	long iters = 100000;
	unsigned long sum;

	nthreads = 1;
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--threads=", 10))
			nthreads = atoi(argv[i] + 10);
		else if (!strncmp(argv[i], "--scale=", 8))
			scale_pct = atol(argv[i] + 8);
		else if (!strncmp(argv[i], "--callgrind=", 12))
			cg = argv[i] + 12;
		else if (!strncmp(argv[i], "--iters=", 8))
			iters = atol(argv[i] + 8);
		else
			pattern = argv[i];
	}
	if (cg) {
		enum cg_case c = !strcmp(cg, "malloc_pair") ? CG_PAIR :
				 !strcmp(cg, "malloc_mix") ? CG_MIX :
				 !strcmp(cg, "calloc_pair") ? CG_CALLOC : -1;

		if ((int)c < 0) {
			fprintf(stderr, "bench_preload: no callgrind case '%s'\n", cg);
			return 2;
		}
		bench_cg_measure(c, 1000);	/* warm */
		bench_cg_measure(c, iters);
		return 0;
	}
	if (nthreads < 1 || nthreads > 256 || scale_pct < 1 || !pattern) {
		fprintf(stderr, "usage: bench_preload server|prodcons|mixed --threads=N [--scale=PCT]\n"
			"       bench_preload --callgrind=malloc_pair|malloc_mix|calloc_pair --iters=N\n");
		return 2;
	}
	if (!strcmp(pattern, "server"))
		sum = run_server();
	else if (!strcmp(pattern, "prodcons"))
		sum = run_prodcons();
	else if (!strcmp(pattern, "mixed"))
		sum = run_mixed();
	else {
		fprintf(stderr, "bench_preload: unknown pattern '%s'\n", pattern);
		return 2;
	}
	printf("%s %d threads: checksum %lu\n", pattern, nthreads, sum);
	return 0;
}
