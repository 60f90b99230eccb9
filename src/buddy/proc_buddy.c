/* buddyinfo, pagetypeinfo and zoneinfo, character for character in the
 * kernel's formats (mm/vmstat.c). Each shard's lock is taken while its
 * lists are counted, one shard at a time. */
#include <stdio.h>
#include <string.h>
#include <kmm/kmm.h>
#include "buddy/buddy.h"
#include "buddy/page_reporting.h"
#include "buddy/vmstat.h"

static const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

static void zone_free_counts(struct zone *z, unsigned long nr[NR_PAGE_ORDERS],
			     unsigned long by_mt[MIGRATE_TYPES][NR_PAGE_ORDERS])
{
	memset(nr, 0, sizeof(unsigned long) * NR_PAGE_ORDERS);
	if (by_mt)
		memset(by_mt, 0, sizeof(unsigned long) * MIGRATE_TYPES * NR_PAGE_ORDERS);
	for (unsigned int i = 0; i < z->nr_shards; i++) {
		struct buddy_shard *s = &z->shards[i];

		shard_lock(s);
		/* Deferred blocks are free Movable max-order blocks. */
		nr[MAX_PAGE_ORDER] += s->nr_deferred;
		if (by_mt)
			by_mt[MIGRATE_MOVABLE][MAX_PAGE_ORDER] += s->nr_deferred;
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			nr[o] += s->free_area[o].nr_free;
			if (!by_mt)
				continue;
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				struct list_head *pos;

				list_for_each(pos, &s->free_area[o].free_list[mt])
					by_mt[mt][o]++;
			}
		}
		shard_unlock(s);
	}
}

int buddyinfo_show(FILE *m)
{
	struct zone *z;

	for_each_populated_zone(z) {
		unsigned long nr[NR_PAGE_ORDERS];

		zone_free_counts(z, nr, NULL);
		fprintf(m, "Node %d, zone %8s ", 0, z->name);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			fprintf(m, "%6lu ", nr[o]);
		fputc('\n', m);
	}
	return 0;
}

int pagetypeinfo_show(FILE *m)
{
	struct zone *z;

	fprintf(m, "Page block order: %d\n", PAGEBLOCK_ORDER);
	fprintf(m, "Pages per block:  %lu\n", PAGEBLOCK_NR_PAGES);
	fputc('\n', m);
	fprintf(m, "%-43s ", "Free pages count per migrate type at order");
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		fprintf(m, "%6d ", o);
	fputc('\n', m);
	for_each_populated_zone(z) {
		unsigned long nr[NR_PAGE_ORDERS], by_mt[MIGRATE_TYPES][NR_PAGE_ORDERS];

		zone_free_counts(z, nr, by_mt);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			fprintf(m, "Node %4d, zone %8s, type %12s ", 0, z->name, migratetype_names[mt]);
			for (int o = 0; o < NR_PAGE_ORDERS; o++)
				fprintf(m, "%6lu ", by_mt[mt][o]);
			fputc('\n', m);
		}
	}
	fprintf(m, "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(m, "%12s ", migratetype_names[mt]);
	fputc('\n', m);
	for_each_populated_zone(z) {
		unsigned long count[MIGRATE_TYPES] = { 0 };
		unsigned long blocks = (z->spanned_pages + PAGEBLOCK_NR_PAGES - 1) >> PAGEBLOCK_ORDER;

		for (unsigned long b = 0; b < blocks; b++)
			count[pageblock_migratetype(z, z->zone_start_pfn + (b << PAGEBLOCK_ORDER))]++;
		fprintf(m, "Node %d, zone %8s ", 0, z->name);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			fprintf(m, "%12lu ", count[mt]);
		fputc('\n', m);
	}
	return 0;
}

static bool first_populated(const struct zone *z)
{
	const struct zone *p;

	for_each_populated_zone(p)
		return p == z;
	return false;
}

int zoneinfo_show(FILE *m)
{
	struct zone *z;
	int cpu;

	for_each_zone(z) {
		fprintf(m, "Node %d, zone %8s", 0, z->name);
		if (first_populated(z)) {
			fprintf(m, "\n  per-node stats");
			fprintf(m, "\n      %-12s %lu", "nr_slab_reclaimable",
				global_zone_page_state(NR_SLAB_RECLAIMABLE));
			fprintf(m, "\n      %-12s %lu", "nr_slab_unreclaimable",
				global_zone_page_state(NR_SLAB_UNRECLAIMABLE));
		}
		fprintf(m,
			"\n  pages free     %lu"
			"\n        boost    %lu"
			"\n        min      %lu"
			"\n        low      %lu"
			"\n        high     %lu"
			"\n        promo    %lu"
			"\n        spanned  %lu"
			"\n        present  %lu"
			"\n        managed  %lu"
			"\n        cma      %lu",
			zone_populated(z) ? zone_free_pages_exact(z) : 0UL, 0UL,
			z->watermark[WMARK_MIN], z->watermark[WMARK_LOW], z->watermark[WMARK_HIGH],
			z->watermark[WMARK_PROMO], z->spanned_pages, z->present_pages,
			atomic_load_relaxed(&z->managed_pages), 0UL);
		fprintf(m, "\n        protection: (");
		{
			bool first = true;
			struct zone *u;

			for_each_zone(u) {
				fprintf(m, first ? "%ld" : ", %ld", z->lowmem_reserve[u->type]);
				first = false;
			}
		}
		fputc(')', m);
		if (!zone_populated(z)) {
			fputc('\n', m);
			continue;
		}
		fprintf(m, "\n      %-12s %lu", "nr_free_pages", zone_free_pages_exact(z));
		fprintf(m, "\n  pagesets");
		for_each_possible_cpu(cpu) {
			struct per_cpu_pages *pcp = per_cpu_ptr(z->pcp, cpu);

			fprintf(m,
				"\n    cpu: %i"
				"\n              count:    %i"
				"\n              high:     %i"
				"\n              batch:    %i"
				"\n              high_min: %i"
				"\n              high_max: %i",
				cpu, atomic_load_relaxed(&pcp->count), atomic_load_relaxed(&pcp->high),
				atomic_load_relaxed(&pcp->batch), atomic_load_relaxed(&pcp->high_min),
				atomic_load_relaxed(&pcp->high_max));
			fprintf(m, "\n  vm stats threshold: %d",
				atomic_load_relaxed(&per_cpu_ptr(z->pcpstat, cpu)->stat_threshold));
		}
		fprintf(m,
			"\n  node_unreclaimable:  %u"
			"\n  start_pfn:           %lu",
			0u, z->zone_start_pfn);
		fputc('\n', m);
	}
	return 0;
}
