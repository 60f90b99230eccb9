/* Workload "devres" (built when kmm has devres): devices created, filled
 * with devm allocations and actions, partly freed with devm_kfree, then
 * detached (everything released, newest first), reused and destroyed.
 *
 * An action registered after the allocations runs first at detach and
 * checks every allocation still live (so their payloads are intact right
 * up to their release); an action registered before them runs last; the
 * order of all actions is checked. */
#include <stdio.h>
#include <string.h>
#include "stress.h"

#define DEV_OBJS	32

struct dev_obj {
	void *p;
	size_t size;
	uint64_t seed;
	bool live;
	bool str;
};

struct dev_ctx {
	struct dev_obj obj[DEV_OBJS];
	int n;
	int seq;		/* actions run so far */
	int first_ran, check_ran;
	bool has_first, has_check;	/* registered (fault injection may refuse) */
};

static int devres_idx;
static unsigned long dev_serial;

static void action_first(void *data)
{
	struct dev_ctx *c = data;

	c->first_ran = ++c->seq;
}

static void action_check(void *data)
{
	struct dev_ctx *c = data;

	c->check_ran = ++c->seq;
	for (int i = 0; i < c->n; i++) {
		struct dev_obj *o = &c->obj[i];

		if (!o->live)
			continue;
		if (o->str) {
			if (strlen(o->p) != o->size - 1)
				violation("devm_kstrdup string %p changed length", o->p);
		} else {
			payload_check(o->p, o->size, o->seed, "devres before release");
		}
	}
}

static unsigned long alloc_failures(void)
{
	struct kmm_stats st;

	kmm_stats_read(&st);
	return st.alloc_fail;
}

/* An action's record is a small allocation: only an injected failure, or
 * a page allocation that gave up once its wait for free memory ran out
 * (where the kernel would call the OOM killer), may refuse it. */
static bool add_action(struct device *dev, void (*fn)(void *), void *data)
{
	unsigned long mark = injected_mark();
	unsigned long failed = alloc_failures();

	if (!devm_add_action(dev, fn, data))
		return true;
	if (injected_since(mark) || alloc_failures() != failed)
		count_fail(devres_idx);
	else
		violation("devm_add_action failed");
	return false;
}

static void fill_device(struct worker *w, struct device *dev, struct dev_ctx *c)
{
	int n = 1 + (int)rnd_below(&w->rng, DEV_OBJS);

	memset(c, 0, sizeof(*c));
	c->has_first = add_action(dev, action_first, c);
	for (int i = 0; i < n; i++) {
		struct dev_obj *o = &c->obj[c->n];
		unsigned int how = rnd_below(&w->rng, 5);
		size_t size = 1 + rnd_below(&w->rng, rnd_chance(&w->rng, 90) ? 512 : 16384);
		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
		bool zero = false;

		o->str = false;
		if (how == 0) {
			o->p = devm_kmalloc(dev, size, gfp);
		} else if (how == 1) {
			o->p = devm_kzalloc(dev, size, gfp);
			zero = true;
		} else if (how == 2) {
			o->p = devm_kcalloc(dev, 1 + size % 7, size, gfp);
			size *= 1 + size % 7;
			zero = true;
		} else if (how == 3) {
			o->p = devm_kmalloc_array(dev, 2, size, gfp);
			size *= 2;
		} else {
			char s[64];

			snprintf(s, sizeof(s), "stress-%llu", (unsigned long long)rnd_next(&w->rng));
			o->p = devm_kstrdup(dev, s, gfp);
			if (o->p && strcmp(o->p, s))
				violation("devm_kstrdup copy differs");
			size = strlen(s) + 1;
			o->str = true;
		}
		if (!o->p) {
			count_fail(devres_idx);
			continue;
		}
		if (zero) {
			for (size_t b = 0; b < size; b += 1 + size / 16)
				if (((unsigned char *)o->p)[b])
					violation("devm zeroed allocation %p has byte %zu set", o->p, b);
		}
		o->size = size;
		o->live = true;
		if (!o->str) {
			o->seed = rnd_next(&w->rng) | 1;
			payload_fill(o->p, size, o->seed);
		}
		c->n++;
	}
	/* devm_kfree some of them early. */
	for (int i = 0; i < c->n; i++) {
		struct dev_obj *o = &c->obj[i];

		if (!rnd_chance(&w->rng, 25))
			continue;
		if (!o->str)
			payload_check(o->p, o->size, o->seed, "devm_kfree");
		devm_kfree(dev, o->p);
		o->live = false;
	}
	c->has_check = add_action(dev, action_check, c);
}

/* Newest first: check, then first; an action never registered never runs. */
static void check_order(const struct dev_ctx *c, const char *when)
{
	int want_check = c->has_check, want_first = c->has_check + c->has_first;

	if (!c->has_first)
		want_first = 0;
	if (c->check_ran != want_check || c->first_ran != want_first)
		violation("devres %s: actions ran in order check %d, first %d (want %d, %d)", when,
			  c->check_ran, c->first_ran, want_check, want_first);
}

static void devres_step(struct worker *w, void *arg)
{
	struct dev_ctx c;
	struct device *dev;
	char name[40];

	snprintf(name, sizeof(name), "stress-dev-%lu", stat_add(&dev_serial, 1));
	dev = kmm_device_create(name);
	stat_add(&w->ops[devres_idx], 1);
	if (!dev) {
		count_fail(devres_idx);
		return;
	}
	fill_device(w, dev, &c);
	if (rnd_chance(&w->rng, 50)) {
		kmm_device_detach(dev);
		check_order(&c, "detach");
		fill_device(w, dev, &c);
	}
	kmm_device_destroy(dev);
	check_order(&c, "destroy");
}

static int devres_setup(void)
{
	devres_idx = case_index("devres");
	return 0;
}

const struct stress_case case_devres = {
	.name = "devres",
	.help = "devices filled with devm allocations and actions, detached, destroyed",
	.default_on = true,
	.setup = devres_setup,
	.step = devres_step,
};
