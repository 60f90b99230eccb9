/* kmm's malloc under many threads: more threads than kmm CPUs, blocks
 * freed by other threads, threads that come and go, fork() while other
 * threads allocate. Usage: threads_test threads|fork */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "mtest.h"

/* ThreadSanitizer runs it slower: fewer rounds, smaller blocks to fill.
 * gcc says it is on with __SANITIZE_THREAD__, clang with __has_feature. */
#if defined(__SANITIZE_THREAD__)
#define SCALE 4
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SCALE 4
#endif
#endif
#ifndef SCALE
#define SCALE 1
#endif

struct block {
	struct block *next;
	size_t size;
	unsigned int seed;
};

/* A lock-protected stack of blocks, for frees by another thread. */
static struct {
	pthread_mutex_t lock;
	struct block *head;
} handoff[8] = { [0 ... 7] = { PTHREAD_MUTEX_INITIALIZER, NULL } };

static unsigned long rng(unsigned long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t pick_size(unsigned long *s)
{
	unsigned long r = rng(s);

	switch (r % 16) {
	case 0:
		return 8192 + r % (200000 / SCALE);	/* compound pages */
	case 1:
		return sizeof(struct block) + r % 4096;
	default:
		return sizeof(struct block) + r % 300;
	}
}

static struct block *new_block(unsigned long *s)
{
	size_t size = pick_size(s);
	struct block *b = M(malloc)(size);

	CHECK(b);
	b->size = size;
	b->seed = (unsigned int)rng(s);
	mt_fill(b + 1, size - sizeof(*b), b->seed);
	return b;
}

static void free_block(struct block *b)
{
	CHECK(mt_intact(b + 1, b->size - sizeof(*b), b->seed));
	M(free)(b);
}

static void *worker(void *arg)
{
	unsigned long s = (unsigned long)arg * 0x9e3779b97f4a7c15UL + 1;
	struct block *mine[32] = { 0 };

	for (int r = 0; r < 3000 / SCALE; r++) {
		unsigned int i = (unsigned int)(rng(&s) % 32), q = (unsigned int)(rng(&s) % 8);

		if (mine[i]) {
			/* half the blocks are freed by whoever takes them */
			if (rng(&s) & 1) {
				free_block(mine[i]);
			} else {
				pthread_mutex_lock(&handoff[q].lock);
				mine[i]->next = handoff[q].head;
				handoff[q].head = mine[i];
				pthread_mutex_unlock(&handoff[q].lock);
			}
			mine[i] = NULL;
		} else {
			mine[i] = new_block(&s);
		}
		if ((r & 15) == 0) {
			struct block *b;

			pthread_mutex_lock(&handoff[q].lock);
			b = handoff[q].head;
			if (b)
				handoff[q].head = b->next;
			pthread_mutex_unlock(&handoff[q].lock);
			if (b)
				free_block(b);
		}
	}
	for (int i = 0; i < 32; i++)
		if (mine[i])
			free_block(mine[i]);
	return NULL;
}

static void run_threads(int n, int first)
{
	pthread_t t[64];

	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, worker, (void *)(long)(first + i)) == 0);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static void drain_handoff(void)
{
	for (int q = 0; q < 8; q++) {
		while (handoff[q].head) {
			struct block *b = handoff[q].head;

			handoff[q].head = b->next;
			free_block(b);
		}
	}
}

static int mode_threads(void)
{
	CHECK(mt_malloc_is_kmm());
	/* More threads at once than kmm has CPUs (five per host CPU). */
	run_threads(48 / SCALE, 0);
	/* Threads that come and go: their CPUs are claimed again. */
	for (int round = 0; round < 40 / SCALE; round++)
		run_threads(4, 100 + round * 4);
	drain_handoff();
	printf("threads: ok\n");
	return 0;
}

/* ---- fork ---- */

static volatile int stop;

static void *allocator(void *arg)
{
	unsigned long s = (unsigned long)arg + 7;
	struct block *mine[16] = { 0 };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned int i = (unsigned int)(rng(&s) % 16);

		if (mine[i])
			free_block(mine[i]);
		mine[i] = new_block(&s);
	}
	for (int i = 0; i < 16; i++)
		if (mine[i])
			free_block(mine[i]);
	return NULL;
}

static void *child_thread(void *arg)
{
	(void)arg;
	run_threads(2, 500);
	return NULL;
}

/* The child: the parent's blocks as they were at fork() (the parent
 * rewrites them at once), a working allocator, threads too. */
static int child(unsigned char *shared, size_t size)
{
	pthread_t t;
	struct timespec pause = { 0, 2000000 };

	nanosleep(&pause, NULL);
	if (!mt_intact(shared, size, 1))
		return 3;
	/* The parent's threads may have held these: the child starts afresh
	 * (their blocks are the parent's business). */
	for (int q = 0; q < 8; q++) {
		pthread_mutex_init(&handoff[q].lock, NULL);
		handoff[q].head = NULL;
	}
	for (int i = 0; i < 2000; i++) {
		void *p = M(malloc)((size_t)i * 5);

		if (!p)
			return 4;
		M(free)(p);
	}
	if (pthread_create(&t, NULL, child_thread, NULL))
		return 5;
	pthread_join(t, NULL);
	drain_handoff();
	M(free)(shared);
	return 0;
}

static int mode_fork(void)
{
	pthread_t t[4];
	size_t size = 200000;

	CHECK(mt_malloc_is_kmm());
	for (long i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, allocator, (void *)i) == 0);
	for (int round = 0; round < 10; round++) {
		unsigned char *shared = M(malloc)(size);
		int status;
		pid_t pid;

		mt_fill(shared, size, 1);
		pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(child(shared, size));
		mt_fill(shared, size, 2);
		CHECK(waitpid(pid, &status, 0) == pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "fork: child %d failed: status %#x\n", round, status);
			return 1;
		}
		CHECK(mt_intact(shared, size, 2));
		M(free)(shared);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("fork: ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "threads";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(mode, "threads"))
		return mode_threads();
	if (!strcmp(mode, "fork"))
		return mode_fork();
	fprintf(stderr, "usage: threads_test threads|fork\n");
	return 2;
}
