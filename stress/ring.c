/* Rings: objects handed from one CPU to another, which frees them (the
 * remote-free paths of the page and slab allocators).
 *
 * One bounded queue per CPU under a pthread mutex: any thread pushes,
 * the workers of that CPU pop. The queue's own locking is deliberately
 * plain so that every race TSan reports is kmm's. */
#include <pthread.h>
#include <stdlib.h>
#include "stress.h"

#define RING_SIZE 512

struct ring {
	pthread_mutex_t lock;
	unsigned int head, tail;	/* under lock */
	struct obj slot[RING_SIZE];
};

static struct ring *rings;
static int nr_rings;

int rings_init(int nr_cpus)
{
	rings = calloc((size_t)nr_cpus, sizeof(*rings));
	if (!rings)
		return -1;
	nr_rings = nr_cpus;
	for (int i = 0; i < nr_cpus; i++)
		pthread_mutex_init(&rings[i].lock, NULL);
	return 0;
}

bool ring_push(int cpu, const struct obj *o)
{
	struct ring *r = &rings[cpu % nr_rings];
	bool ok = false;

	pthread_mutex_lock(&r->lock);
	if (r->tail - r->head < RING_SIZE) {
		r->slot[r->tail % RING_SIZE] = *o;
		r->tail++;
		ok = true;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

static bool ring_pop(struct ring *r, struct obj *o)
{
	bool ok = false;

	pthread_mutex_lock(&r->lock);
	if (r->head != r->tail) {
		*o = r->slot[r->head % RING_SIZE];
		r->head++;
		ok = true;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}

int ring_drain(int cpu, int max)
{
	struct ring *r = &rings[cpu % nr_rings];
	struct obj o;
	int n = 0;

	while (n < max && ring_pop(r, &o)) {
		obj_free(&o);
		n++;
	}
	return n;
}

void rings_drain_all(void)
{
	for (int i = 0; i < nr_rings; i++)
		ring_drain(i, RING_SIZE * 2);
}

void rings_exit(void)
{
	for (int i = 0; i < nr_rings; i++)
		pthread_mutex_destroy(&rings[i].lock);
	free(rings);
	rings = NULL;
}
