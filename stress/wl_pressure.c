/* Workload "pressure": keeps free memory near the low watermark so kswapd,
 * direct reclaim and the reserves are in play all the time.
 *
 * The pressure threads fill a hoard of pages with GFP_NOWAIT while free
 * memory is above the target (alternately kswapd's range and the min
 * watermark) (failures are allowed and counted),
 * and now and then allocate with GFP_KERNEL below it, which may sleep in
 * direct reclaim. A shrinker gives the hoard back, so reclaim (kswapd's
 * and direct) has something to reclaim; the other workloads' GFP_KERNEL
 * allocations succeed through it while GFP_ATOMIC dips into the reserves.
 *
 * hoard_lock protects the hoard; it is never held across a kmm call. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <kmm/shrinker.h>
#include "stress.h"

#define MAX_ZONES 4

static pthread_mutex_t hoard_lock = PTHREAD_MUTEX_INITIALIZER;
/* One hoard per zone, so reclaim for one zone gives back that zone's pages. */
static struct obj *hoard[MAX_ZONES];
static unsigned long hoard_n[MAX_ZONES], hoard_cap;
static char zone_names[MAX_ZONES][16];
static int nr_zones;
static unsigned long wmark_min, wmark_low, wmark_high;	/* summed over zones */
static struct shrinker *hoard_shrinker;
static int pressure_idx;
static unsigned long shrunk;

/* The zone of a page, by the layouts' boundaries (DESIGN.md §3). */
static int page_zone_idx(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	const char *name;

	if (pfn < ((16UL << 20) >> PAGE_SHIFT))
		name = "DMA";
	else if (stress_layout32)
		name = PageHighMem(page) ? "HighMem" : "Normal";
	else
		name = pfn < ((4UL << 30) >> PAGE_SHIFT) ? "DMA32" : "Normal";
	for (int i = 0; i < nr_zones; i++)
		if (!strcmp(zone_names[i], name))
			return i;
	return 0;
}

static bool hoard_push(const struct obj *o)
{
	int z = page_zone_idx(o->page);
	bool ok = false;

	pthread_mutex_lock(&hoard_lock);
	if (hoard_n[z] < hoard_cap) {
		hoard[z][hoard_n[z]++] = *o;
		ok = true;
	}
	pthread_mutex_unlock(&hoard_lock);
	return ok;
}

/* Takes an entry of a zone in `mask`: a random one when `rng` is given
 * (the swap keeps it O(1)), else the newest. */
static bool hoard_pop(struct obj *o, uint64_t *rng, unsigned int mask)
{
	int start = rng ? (int)rnd_below(rng, (unsigned)nr_zones) : 0;
	bool ok = false;

	pthread_mutex_lock(&hoard_lock);
	for (int k = 0; k < nr_zones && !ok; k++) {
		int z = (start + k) % nr_zones;
		unsigned long i;

		if (!(mask & (1u << z)) || !hoard_n[z])
			continue;
		i = rng ? rnd_next(rng) % hoard_n[z] : hoard_n[z] - 1;
		*o = hoard[z][i];
		hoard[z][i] = hoard[z][--hoard_n[z]];
		ok = true;
	}
	pthread_mutex_unlock(&hoard_lock);
	return ok;
}

static unsigned long hoard_count(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = 0;

	pthread_mutex_lock(&hoard_lock);
	for (int z = 0; z < nr_zones; z++)
		n += hoard_n[z];
	pthread_mutex_unlock(&hoard_lock);
	return n ? n : SHRINK_EMPTY;
}

/* Gives back pages of the zones that are short (below twice their high
 * watermark); a zone with plenty keeps its hoard, so the pressure stays. */
static unsigned long hoard_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct zone_view zv[MAX_ZONES];
	int n = parse_zones(zv, MAX_ZONES, false);
	unsigned long freed = 0;
	unsigned int mask = 0;
	struct obj o;

	for (int i = 0; i < n; i++)
		if (zv[i].managed && zv[i].free < 2 * zv[i].high)
			mask |= 1u << i;
	if (!mask)
		return SHRINK_STOP;
	while (freed < sc->nr_to_scan && hoard_pop(&o, NULL, mask)) {
		obj_free(&o);
		freed++;
	}
	stat_add(&shrunk, freed);
	return freed ? freed : SHRINK_STOP;
}

/* The zones' low and high watermarks, from zoneinfo. */
static void read_watermarks(void)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	kmm_proc_show(f, "zoneinfo");
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long v;

		if (sscanf(line, " min %lu", &v) == 1)
			wmark_min += v;
		else if (sscanf(line, " low %lu", &v) == 1)
			wmark_low += v;
		else if (sscanf(line, " high %lu", &v) == 1)
			wmark_high += v;
	}
	free(buf);
}

static int pressure_setup(void)
{
	struct zone_view zv[MAX_ZONES];

	pressure_idx = case_index("pressure");
	read_watermarks();
	nr_zones = parse_zones(zv, MAX_ZONES, false);
	hoard_cap = opts.mem >> PAGE_SHIFT;
	for (int z = 0; z < nr_zones; z++) {
		snprintf(zone_names[z], sizeof(zone_names[z]), "%s", zv[z].name);
		hoard[z] = calloc(hoard_cap, sizeof(struct obj));
		if (!hoard[z])
			return -1;
	}
	hoard_shrinker = shrinker_alloc(0, "stress-hoard");
	if (!nr_zones || !hoard_shrinker)
		return -1;
	hoard_shrinker->count_objects = hoard_count;
	hoard_shrinker->scan_objects = hoard_scan;
	hoard_shrinker->batch = 64;
	shrinker_register(hoard_shrinker);
	return 0;
}

static void pressure_step(struct worker *w, void *arg)
{
	unsigned long free_pages = nr_free_pages();
	/* Aim between low and high (kswapd's range) for two seconds, then at
	 * the min watermark for two, where GFP_NOWAIT stops and only
	 * GFP_ATOMIC may go further, into the reserves. */
	bool deep = ((unsigned long)time(NULL) / 2) % 2;
	unsigned long target = deep ? wmark_min : wmark_low + (wmark_high - wmark_low) / 2;
	struct obj o;

	for (int i = 0; i < 16; i++) {
		bool take = free_pages > target ? rnd_chance(&w->rng, 90) : rnd_chance(&w->rng, 8);
		gfp_t gfp = (free_pages > target ? GFP_NOWAIT : GFP_KERNEL) | __GFP_NOWARN;
		/* Far above the target, close in with bigger blocks. */
		unsigned int order = free_pages > 8 * target + 4096 ? 4 + rnd_below(&w->rng, 3) :
				     rnd_chance(&w->rng, 75) ? 0 : 1 + rnd_below(&w->rng, 2);

		stat_add(&w->ops[pressure_idx], 1);
		if (!take) {
			if (hoard_pop(&o, &w->rng, ~0u))
				obj_free(&o);
			continue;
		}
		o = (struct obj){ .kind = OBJ_PAGES, .cpu = (uint16_t)w->cpu,
				  .order = (uint16_t)order, .size = PAGE_SIZE << order };
		if (rnd_chance(&w->rng, 50))
			gfp |= __GFP_MOVABLE | __GFP_HIGHMEM;
		o.page = alloc_pages(gfp, order);
		if (!o.page) {
			count_fail(pressure_idx);
			continue;
		}
		o.addr = page_address(o.page);
		obj_stamp(&o, &w->rng);
		if (!hoard_push(&o))
			obj_free(&o);
		free_pages -= 1UL << order;
	}
}

static void pressure_teardown(void)
{
	struct obj o;

	shrinker_free(hoard_shrinker);
	hoard_shrinker = NULL;
	while (hoard_pop(&o, NULL, ~0u))
		obj_free(&o);
	for (int z = 0; z < nr_zones; z++) {
		free(hoard[z]);
		hoard[z] = NULL;
	}
	printf("pressure: watermarks min %lu low %lu high %lu pages, %lu pages given back by the "
	       "shrinker\n", wmark_min, wmark_low, wmark_high, stat_get(&shrunk));
}

const struct stress_case case_pressure = {
	.name = "pressure",
	.help = "free memory held near the low watermark: kswapd, shrinkers, reserves",
	.default_on = true,
	.setup = pressure_setup,
	.step = pressure_step,
	.teardown = pressure_teardown,
};
